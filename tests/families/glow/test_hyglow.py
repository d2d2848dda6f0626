"""H2O, MABO.CR and HyGLOW (Algorithms 2-3, Eq. 13 of arXiv 2401.09681).

Deterministic except ``test_layer_tuples_follow_nu``: each of its 8 cell frequencies is within
6 standard deviations of nu (two-sided normal tail 2e-9 per cell, total < 1e-7).
"""
from __future__ import annotations

import numpy as np
import pytest

from rlth.algorithms.online.glow import LayerStats, class_quantities, clip, td_sums
from rlth.algorithms.online.hyglow import (H2O, OfflineMABOCR, _ratios, mabo_cr_values,
                                           mle_model, offline_distribution, run_hyglow,
                                           sample_offline, single_policy_concentrability)
from rlth.data.layered import sample_layer_tuples
from rlth.instances.finite_classes import combination_lock_class, contextual_bandit_class

CB = contextual_bandit_class(2, 2, 0.5)
LOCK = combination_lock_class(2, 2, 0.1, 0.5)


def test_offline_distribution_and_concentrability():
    cq = class_quantities(CB)
    assert single_policy_concentrability(CB, cq, offline_distribution(cq, 0.0)) == \
        pytest.approx(2.0)                                  # C* = A for uniform nu, rho uniform
    assert single_policy_concentrability(CB, cq, offline_distribution(cq, 1.0)) == \
        pytest.approx(1.0)
    cl = class_quantities(LOCK)
    nu = offline_distribution(cl, 0.5)
    np.testing.assert_allclose(nu.sum(axis=(1, 2)), 1.0)
    with pytest.raises(ValueError, match="lam"):
        offline_distribution(cq, 1.5)
    with pytest.raises(ValueError, match="lam"):
        offline_distribution(cq, 0.0, rest="off_support")
    with pytest.raises(ValueError, match="rest"):
        offline_distribution(cq, 0.5, rest="other")
    for mc in (CB, LOCK):
        q = class_quantities(mc)
        for lam in (1.0, 0.3, 0.01):
            nu = offline_distribution(q, lam, rest="off_support")
            np.testing.assert_allclose(nu.sum(axis=(1, 2)), 1.0)
            assert single_policy_concentrability(mc, q, nu) == pytest.approx(1.0 / lam)


@pytest.mark.parametrize("mc", [CB, LOCK, contextual_bandit_class(2, 3, 0.5, family="codes")])
@pytest.mark.parametrize("lam,gamma", [(0.0, 0.01), (0.9, 0.2), (0.5, 1.0)])
def test_numba_engine_equals_python_engine(mc, lam, gamma):
    cq = class_quantities(mc)
    nu = offline_distribution(cq, lam)
    for seed in range(2):
        off = sample_offline(mc, nu, 400, rng=10 + seed)
        ag = H2O(mc, 400, offline=off, nu=nu, gamma=gamma)
        a = run_hyglow(ag, rng=seed, engine="python")
        b = run_hyglow(ag, rng=seed, engine="numba")
        assert np.array_equal(a.policies, b.policies)


def test_mabo_cr_equals_per_sample_reference():
    """The augmented class (W, -W, per-layer masks), |.| per layer and the penalty inside the
    sum, computed tuple by tuple."""
    rng = np.random.default_rng(5)
    mc = LOCK
    cq = class_quantities(mc)
    S, A, H = mc.n_states, mc.n_actions, mc.horizon
    n = 31
    tup = [(rng.integers(S, size=n), rng.integers(A, size=n), rng.integers(2, size=n) * 1.0,
            rng.integers(S, size=n)) for _ in range(H)]
    stats = LayerStats(S, A, H)
    for h, (x, a, r, y) in enumerate(tup):
        for i in range(n):
            stats.add(h, x[i], a[i], r[i], y[i])
    W = rng.random((4, H, S, A)) * 3
    gn, alpha = 1.7, 8 / 1.7
    vals = mabo_cr_values(td_sums(cq, stats), stats.counts, stats.n, W, gn, alpha)
    for f in range(cq.n_models):
        best = -np.inf
        for j in range(W.shape[0]):
            for sign in (1.0, -1.0):
                per = []
                for h in range(H):
                    x, a, r, y = tup[h]
                    w = clip(sign * W[j, h, x, a], gn)
                    delta = cq.Q[f, h, x, a] - r - cq.V[f, h + 1, y]
                    per.append(abs(np.mean(w * delta)) - alpha * np.mean(w * w))
                for mask in [list(range(H))] + [[h] for h in range(H)]:
                    best = max(best, sum(per[h] for h in mask))
        assert vals[f] == pytest.approx(best, abs=1e-12)


def test_h2o_hybrid_set_has_t_minus_one_offline_and_online_tuples():
    cq = class_quantities(LOCK)
    nu = offline_distribution(cq, 0.0)
    off = sample_offline(LOCK, nu, 50, rng=1)
    ag = H2O(LOCK, 50, offline=off, nu=nu, gamma=0.5)
    seen = []
    orig = ag.propose

    def spy(t):
        seen.append((t, ag.stats.n.copy(), ag.off_stats.n.copy()))
        return orig(t)

    ag.propose = spy
    run_hyglow(ag, rng=0, engine="python")
    for t, n_on, n_off in seen:
        assert np.all(n_on == t - 1) and np.all(n_off == t - 1)


def test_mle_recovers_the_true_model_with_data():
    cq = class_quantities(LOCK)
    tup = sample_offline(LOCK, offline_distribution(cq, 0.0), 3000, rng=2)
    st = LayerStats(2, 2, 2)
    for h in range(2):
        for i in range(tup.n):
            st.add(h, tup.states[h, i], tup.actions[h, i], tup.rewards[h, i],
                   tup.next_states[h, i])
    assert mle_model(LOCK, st) == LOCK.true_index
    assert OfflineMABOCR(LOCK, nu=offline_distribution(cq, 0.0), gamma=1.0).fit(tup, 3000) == \
        cq.optimal_policy_index


def test_ratios_infinite_where_mu_vanishes():
    cq = class_quantities(CB)
    mu = np.zeros((cq.n_models, 1, 2, 2))
    mu[:, 0, 0, 0] = 1.0
    W = _ratios(cq, mu, True)
    assert np.isinf(W).any() and np.all(W[np.isfinite(W)] >= 0)


def test_layer_tuples_follow_nu():
    cq = class_quantities(LOCK)
    nu = offline_distribution(cq, 0.3)
    n = 20_000
    tup = sample_layer_tuples(LOCK.true_model, nu, n, rng=3)
    for h in range(2):
        freq = np.bincount(tup.states[h] * 2 + tup.actions[h], minlength=4) / n
        sd = np.sqrt(nu[h].reshape(-1) * (1 - nu[h].reshape(-1)) / n)
        assert np.all(np.abs(freq - nu[h].reshape(-1)) <= 6 * sd + 1e-15)


def test_hyglow_rejects_bad_input():
    cq = class_quantities(CB)
    nu = offline_distribution(cq, 0.0)
    off = sample_offline(CB, nu, 10, rng=0)
    with pytest.raises(ValueError, match="base"):
        H2O(CB, 10, offline=off, nu=nu, base="fqi")
    with pytest.raises(ValueError, match="offline"):
        H2O(CB, 20, offline=off, nu=nu)
    with pytest.raises(ValueError, match="offline"):
        H2O(CB, 5, offline=None, nu=nu)
    with pytest.raises(ValueError, match="nu"):
        H2O(CB, 5, offline=off, nu=np.ones((1, 2, 3)))
    with pytest.raises(ValueError, match="gamma"):
        H2O(CB, 5, offline=off, nu=nu, gamma=2.0)
    with pytest.raises(ValueError, match="n_rounds"):
        H2O(CB, 0, offline=off, nu=nu)
    with pytest.raises(ValueError, match="engine"):
        run_hyglow(H2O(CB, 5, offline=off, nu=nu, base="mle"), engine="numba")
    with pytest.raises(ValueError, match="agent"):
        run_hyglow("x")
    with pytest.raises(ValueError, match="nu"):
        sample_layer_tuples(CB.true_model, np.full((1, 2, 2), 0.3), 5)
    with pytest.raises(ValueError, match="n_samples"):
        sample_layer_tuples(CB.true_model, nu, 0)
