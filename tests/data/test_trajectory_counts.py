"""Sequential-multinomial trajectory counts (dense and CSR models) have exactly the law of counted i.i.d. episodes.

The exact oracle: on a tiny model every trajectory (with its Bernoulli rewards) is enumerated, so
the per-episode statistic X (indicators of the cells (h, s, a), of the transitions
(h, s, a, s') and the rewards observed in each cell) has exactly known E[X] and E[X X^T]; K
i.i.d. episodes give E[Z] = K E[X] and E[Z Z^T] = K E[X X^T] + K (K - 1) E[X] E[X]^T for the
counted statistic Z.  Both samplers, :func:`rlth.data.sample_trajectory_dataset` and the raw
reference ``rollout(...).to_counts()``, are compared with these exact moments entry by entry.

Tolerance: each entry's replicate mean is compared with the exact value by a z-score using the
replicate standard error; |z| > 6.5 on any of the <= 1,300 entries fails.  Per entry the
two-sided normal tail is 8e-11, so a correct sampler fails with probability below 1.1e-7 (the
replicate means of bounded statistics over 12,000 replicates are normal to far better than this
tail needs at these sizes; entries that never varied are judged by the bound in ``_worst_z``).  A deliberately wrong sampler (next states drawn from the wrong
stage) is shown to fail the same check.
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from rlth.data import rollout, sample_trajectory_dataset, sample_trajectory_folds
from rlth.data.datasets import TransitionDataset
from rlth.instances import random_mdp
from rlth.models import to_sparse

H, S, A = 3, 2, 2
K = 7
REPS = 12_000
Z_MAX = 6.5


def _model():
    return random_mdp(S, A, horizon=H, rng=3, stationary=False)


def _policy():
    rng = np.random.default_rng(5)
    p = rng.dirichlet(np.ones(A), size=(H, S))
    return p


def _stat(counts, sums, nxt):
    return np.concatenate([counts.ravel(), nxt.ravel(), sums.ravel()]).astype(np.float64)


def _exact_moments(mdp, pi):
    """E[X], E[X X^T] of one episode's statistic, by enumerating every trajectory."""
    P = np.broadcast_to(mdp.P_stages, (H, S, A, S))
    R = np.broadcast_to(mdp.R_stages, (H, S, A))
    D = H * S * A * (S + 2)
    m1, m2 = np.zeros(D), np.zeros((D, D))
    for s0 in range(S):
        for steps in itertools.product(range(A), range(S), (0, 1), repeat=H):
            prob, s = mdp.rho[s0], s0
            counts = np.zeros((H, S, A))
            nxt = np.zeros((H, S, A, S))
            sums = np.zeros((H, S, A))
            for h in range(H):
                a, s2, r = steps[3 * h: 3 * h + 3]
                prob *= pi[h, s, a] * P[h, s, a, s2] * (R[h, s, a] if r else 1 - R[h, s, a])
                counts[h, s, a] = 1
                nxt[h, s, a, s2] = 1
                sums[h, s, a] = r
                s = s2
            if prob == 0.0:
                continue
            x = _stat(counts, sums, nxt)
            m1 += prob * x
            m2 += prob * np.outer(x, x)
    return m1, m2


def _worst_z(Z, mdp, pi):
    """Largest |z| over the entries of the first and second raw moments of Z (rows = replicates)."""
    m1, m2 = _exact_moments(mdp, pi)
    e1 = K * m1
    e2 = K * m2 + K * (K - 1) * np.outer(m1, m1)
    iu = np.triu_indices(Z.shape[1])
    second = (Z[:, :, None] * Z[:, None, :])[:, iu[0], iu[1]]
    worst = 0.0
    for sample, exact in ((Z, e1), (second, e2[iu])):
        mean = sample.mean(axis=0)
        se = sample.std(axis=0, ddof=1) / np.sqrt(len(sample))
        const = se == 0
        # An entry that never varied: a constant nonzero value must be exact; an entry that stayed
        # 0 is a nonnegative integer Y <= K^2, so P(Y >= 1) >= E[Y] / K^2 and all REPS replicates
        # are 0 with probability <= exp(-REPS E[Y] / K^2): below 1e-9 when E[Y] > 21 K^2 / REPS.
        zero = const & (mean == 0)
        assert np.allclose(mean[const & ~zero], exact[const & ~zero], atol=1e-9), \
            "a constant entry is wrong"
        if (exact[zero] > 21 * K**2 / REPS).any():
            return np.inf
        z = np.abs(mean[~const] - exact[~const]) / se[~const]
        worst = max(worst, float(z.max(initial=0.0)))
    return worst


def _draws(draw):
    return np.array([_stat(d.counts, d.reward_sums, d.next_counts) for d in draw()])


@pytest.mark.parametrize("sparse", [False, True])
def test_sequential_multinomials_match_the_exact_moments(sparse):
    """Dense model, and its CSR form (next-state multinomials over each row's support only,
    by sequential binomials in a numba kernel), against the same exact moments."""
    mdp, pi = _model(), _policy()
    model = to_sparse(mdp) if sparse else mdp
    rng = np.random.default_rng(11)
    if not sparse:
        Z = _draws(lambda: (sample_trajectory_dataset(model, pi, K, rng=rng)
                            for _ in range(REPS)))
    else:   # scatter each step's stored entries into the dense layout of _stat
        rows = np.repeat(np.arange(model.indptr.size - 1), np.diff(model.indptr))
        flat = rows * S + model.indices           # (h, s, a, s') positions of the entries
        Z = np.zeros((REPS, H * S * A * (S + 2)))
        off = H * S * A
        for i in range(REPS):
            d = sample_trajectory_dataset(model, pi, K, rng=rng)
            Z[i, :off] = d.counts.ravel()
            Z[i, off + flat] = np.concatenate(d.next_counts)
            Z[i, off + H * S * A * S:] = d.reward_sums.ravel()
    assert _worst_z(Z, mdp, pi) < Z_MAX


@pytest.mark.parametrize("sparse", [False, True])
def test_raw_episodes_match_the_same_exact_moments(sparse):
    """The reference sampler (numba rollouts, counted) against the same oracle; with a CSR
    model the next states come from per-row alias tables over the support."""
    mdp, pi = _model(), _policy()
    ep = rollout(to_sparse(mdp) if sparse else mdp, pi, K * REPS, rng=12)
    st, ac, rw = ep.states.reshape(REPS, K, H + 1), ep.actions.reshape(REPS, K, H), \
        ep.rewards.reshape(REPS, K, H)
    from rlth.data import TrajectoryDataset

    def counted():
        for i in range(REPS):
            yield TrajectoryDataset(st[i], ac[i], rw[i], S, A).to_counts()
    Z = _draws(counted)
    assert _worst_z(Z, mdp, pi) < Z_MAX


def test_the_check_detects_a_wrong_sampler():
    """Next states drawn from stage h+1's kernel: a plausible bug the moment check must catch."""
    mdp, pi = _model(), _policy()
    rng = np.random.default_rng(13)
    P = np.broadcast_to(mdp.P_stages, (H, S, A, S))
    R = np.broadcast_to(mdp.R_stages, (H, S, A))

    def wrong():
        for _ in range(REPS):
            counts = np.empty((H, S, A), np.int64)
            nxt = np.empty((H, S, A, S), np.int64)
            sums = np.empty((H, S, A))
            n_s = rng.multinomial(K, mdp.rho)
            for h in range(H):
                counts[h] = rng.multinomial(n_s, pi[h])
                sums[h] = rng.binomial(counts[h], R[h])
                nxt[h] = rng.multinomial(counts[h], P[min(h + 1, H - 1)])
                n_s = nxt[h].sum(axis=(0, 1))
            yield TransitionDataset(counts, sums, nxt, K)
    assert _worst_z(_draws(wrong), mdp, pi) > Z_MAX


def test_counts_are_consistent_and_cost_does_not_grow_with_k():
    mdp, pi = _model(), _policy()
    d = sample_trajectory_dataset(mdp, pi, 10**15, rng=0)
    # every step holds all K episodes; step h+1's states are step h's next states
    assert (d.counts.sum(axis=(1, 2)) == 10**15).all()
    for h in range(H - 1):
        assert np.array_equal(d.next_counts[h].sum(axis=(0, 1)), d.counts[h + 1].sum(axis=1))
    m = sample_trajectory_dataset(mdp, pi, 10**6, rng=0, reward="mean")
    assert np.allclose(m.reward_sums, m.counts * np.broadcast_to(mdp.R_stages, (H, S, A)))


def test_same_seed_same_data_and_folds_independent_draws():
    mdp, pi = _model(), _policy()
    a = sample_trajectory_dataset(mdp, pi, 1000, rng=4)
    b = sample_trajectory_dataset(mdp, pi, 1000, rng=4)
    assert np.array_equal(a.next_counts, b.next_counts)
    folds = sample_trajectory_folds(mdp, pi, 1001, 2, rng=4)
    assert [f.n_samples for f in folds] == [500, 500]
    # the first fold is the first draw of the same stream; the second is a fresh draw
    assert np.array_equal(folds[0].counts, sample_trajectory_dataset(mdp, pi, 500, rng=4).counts)


def test_deterministic_policy_and_stationary_policy_accepted():
    mdp = _model()
    d = sample_trajectory_dataset(mdp, np.ones((H, S), dtype=np.int64), 50, rng=0)
    assert d.counts[:, :, 0].sum() == 0
    e = sample_trajectory_dataset(mdp, np.full((S, A), 1 / A), 50, rng=0)
    assert e.counts.sum() == 50 * H


@pytest.mark.parametrize("kw, match", [
    (dict(n_episodes=-1), "n_episodes"),
    (dict(n_episodes=2.5), "n_episodes"),
    (dict(n_episodes=2**63), "n_episodes"),
    (dict(behavior_policy=np.full((S, A), 0.7)), "behavior_policy"),
    (dict(behavior_policy=np.full((H, S, A + 1), 1 / (A + 1))), "behavior_policy"),
    (dict(behavior_policy=np.full((H, S), A, dtype=np.int64)), "behavior_policy"),
    (dict(reward="gaussian"), "reward"),
    (dict(mdp="not an mdp"), "mdp"),
])
def test_bad_input_names_the_argument(kw, match):
    args = dict(mdp=_model(), behavior_policy=np.full((S, A), 1 / A), n_episodes=5)
    args.update(kw)
    with pytest.raises(ValueError, match=match):
        sample_trajectory_dataset(**args)


def test_bad_fold_count():
    with pytest.raises(ValueError, match="n_folds"):
        sample_trajectory_folds(_model(), np.full((S, A), 1 / A), 10, 0)
