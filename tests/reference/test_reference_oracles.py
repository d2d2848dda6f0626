"""rlth's fast implementations against the textbook references of :mod:`rlth.reference`.

Each test draws small random instances (hypothesis, rlth.testing strategies: S = 1, A = 1,
H = 1, gamma = 0, deterministic / one-successor rows, zero and tied rewards occur) plus named
degenerate cases, runs the rlth entry point and the reference, and asserts:

* values equal to 1e-10 (absolute; every value here is at most H <= 4 or 1/(1-gamma) <= 20,
  except value iteration, compared within the two stopping bounds, see its test);
* policies equal wherever the decision is not a near-tie (gap above ``GAP``), and both optimal
  (within ``1e-10`` of the maximum of the reference's Q) where it is.

Hypothesis (derandomized, 25 examples per property) mostly explores the small, degenerate corner;
each oracle also runs on seeded generic instances (``GENERIC``: Dirichlet / Garnet models with
U[0, 1] rewards, stage-dependent dynamics, large counts, supports with zeros) and on hand-made
cases for conventions random data rarely reach (VI-LCB's strict improvement and pessimistic
unvisited cells, LCB's union over all cells).  Dense and CSR models (``to_sparse``, Garnet
``sparse=True``) go through the same comparisons.  No test here is statistical: every comparison
is deterministic given the drawn instance and seed.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import rlth.reference as ref
from rlth.algorithms.offline.lcb import lcb_bandit, lcb_from_counts, vi_lcb, vi_lcb_n_folds
from rlth.algorithms.offline.pevi import pessimistic_linear_vi, pevi
from rlth.algorithms.online.ucbvi import UCBVI
from rlth.algorithms.preference.nash_md import nash_md, nash_md_step, theorem_step_sizes
from rlth.data import BanditDataset, TransitionDataset, rollout, sample_transition_folds
from rlth.estimators.linear import ridge_from_counts, target_sums_from_counts
from rlth.instances import random_mdp
from rlth.models import DiscountedMDP, FiniteHorizonMDP, PreferenceGame, to_sparse
from rlth.solvers.dp import backward_induction, evaluate_policy, policy_iteration, value_iteration
from rlth.testing.mdp import (deterministic_policies, discounted_mdps, finite_horizon_mdps,
                              probability_vectors)
from rlth.testing.preference import policies_for, preference_games

TOL = 1e-10     # value agreement
GAP = 1e-9      # a decision whose best and second-best Q differ by more is "not a tie"
FEW = settings(max_examples=25, deadline=None)


def assert_same_policy(pi_rlth, pi_ref, Q_ref, *, tol=TOL, gap=GAP, ref_is_argmax=True):
    """``pi_rlth == pi_ref`` where the top two entries of ``Q_ref`` differ by more than ``gap``;
    elsewhere both must be optimal for ``Q_ref`` within ``tol``.  With ``ref_is_argmax`` also
    checks that the reference's choice is the lowest-index maximizer of ``Q_ref``."""
    Q = np.asarray(Q_ref, dtype=np.float64)
    pi_rlth, pi_ref = np.asarray(pi_rlth), np.asarray(pi_ref)
    q_max = Q.max(axis=-1)
    q_rlth = np.take_along_axis(Q, pi_rlth[..., None], axis=-1)[..., 0]
    q_ref = np.take_along_axis(Q, pi_ref[..., None], axis=-1)[..., 0]
    assert np.all(q_ref >= q_max - tol), (pi_ref, Q)
    if ref_is_argmax:
        np.testing.assert_array_equal(pi_ref, Q.argmax(axis=-1))
    if Q.shape[-1] > 1:
        top2 = np.sort(Q, axis=-1)[..., -2:]
        clear = top2[..., 1] - top2[..., 0] > gap
    else:
        clear = np.ones(q_max.shape, dtype=bool)
    assert np.array_equal(pi_rlth[clear], pi_ref[clear]), (pi_rlth, pi_ref, Q)
    assert np.all(q_rlth >= q_max - tol), (pi_rlth, Q)


def close(a, b, tol=TOL):
    err = np.max(np.abs(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)),
                 initial=0.0)
    assert err <= tol, err


def dense(mdp):
    return mdp.to_dense() if hasattr(mdp, "to_dense") else mdp


# ------------------------------------------------------------------------------ degenerate models

def _fh(P, R, H):
    return FiniteHorizonMDP(np.asarray(P, float), np.asarray(R, float), horizon=H)


DEGENERATE_FH = [
    _fh([[[1.0]]], [[0.7]], 1),                                     # S = A = H = 1
    _fh([[[1.0]]], [[0.0]], 3),                                     # one state, zero reward
    _fh([[[1.0], [1.0], [1.0]]], [[0.5, 0.5, 0.5]], 2),             # S = 1, all actions tie
    _fh(np.eye(3)[[[1, 2], [2, 0], [0, 1]]], [[0, 1], [1, 0], [0.5, 0.5]], 4),  # one successor
    _fh(np.full((2, 2, 2), 0.5), np.zeros((2, 2)), 3),              # zero rewards: all ties
]
DEGENERATE_DISC = [
    DiscountedMDP(np.ones((1, 1, 1)), [[0.3]], 0.9),                # S = A = 1
    DiscountedMDP(np.eye(2)[[[1, 0], [0, 1]]], [[1, 0], [0, 1]], 0.0),   # gamma = 0
    DiscountedMDP(np.eye(3)[[[1, 2], [2, 0], [0, 0]]], [[0, 1], [1, 1], [0.5, 0.5]], 0.9),
    DiscountedMDP(np.full((2, 3, 2), 0.5), np.zeros((2, 3)), 0.5),  # all ties
]


# Hypothesis (derandomized, few examples) mostly explores the small and degenerate corner
# (gamma = 0, zero rewards, S = 1); the generic seeded instances below are the dense, non-tied
# counterpart: Dirichlet and Garnet models with U[0, 1] rewards, stage-dependent or not.
GENERIC = range(8)


def generic_fh(i, sparse=False):
    S, A, H = 2 + i % 4, 2 + i % 2, 2 + i % 5
    if sparse:
        return random_mdp(S + 3, A, horizon=H, branching=2, rng=i, sparse=True)
    return random_mdp(S, A, horizon=H, rng=i, stationary=bool(i % 2))


def generic_disc(i, sparse=False):
    S, A, gamma = 2 + i % 4, 2 + i % 2, (0.5, 0.9, 0.99, 0.3)[i % 4]
    if sparse:
        return random_mdp(S + 3, A, gamma=gamma, branching=2, rng=i, sparse=True)
    return random_mdp(S, A, gamma=gamma, rng=i)


# ------------------------------------------------------------------------------ dynamic programming

def check_backward_induction(mdp):
    m = dense(mdp)
    V, pi = ref.backward_induction(m.P, m.R)
    sol = backward_induction(mdp)
    close(sol.V, V)
    Q = m.R + np.einsum("hsat,ht->hsa", m.P, V[1:])
    assert_same_policy(sol.pi, pi, Q)
    return sol, V, pi


@FEW
@given(finite_horizon_mdps(n_states=(1, 4), n_actions=(1, 3), horizon=(1, 4)), st.booleans())
def test_backward_induction_matches_reference(mdp, sparse):
    check_backward_induction(to_sparse(mdp) if sparse else mdp)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("i", GENERIC)
def test_backward_induction_generic(i, sparse):
    check_backward_induction(generic_fh(i, sparse))


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("k", range(len(DEGENERATE_FH)))
def test_backward_induction_degenerate(k, sparse):
    mdp = DEGENERATE_FH[k]
    sol, V, pi = check_backward_induction(to_sparse(mdp) if sparse else mdp)
    if k in (0, 1, 2):                             # one action or all-tied: lowest index, 0
        assert np.all(pi == 0) and np.all(sol.pi == 0)
    if k == 4:                                     # exact ties everywhere: both take action 0
        assert np.all(pi == 0) and np.all(sol.pi == 0) and np.all(V == 0)


@FEW
@given(discounted_mdps(n_states=(1, 4), n_actions=(1, 3)), st.booleans(), st.data())
def test_policy_evaluation_matches_reference(mdp, sparse, data):
    pi = data.draw(deterministic_policies(mdp.n_states, mdp.n_actions))
    model = to_sparse(mdp) if sparse else mdp
    close(evaluate_policy(model, pi).V, ref.policy_evaluation(mdp.P, mdp.R, mdp.gamma, pi))


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("i", GENERIC)
def test_policy_evaluation_generic(i, sparse):
    mdp = generic_disc(i, sparse)
    m = dense(mdp)
    rng = np.random.default_rng(i)
    for _ in range(3):
        pi = rng.integers(0, m.n_actions, m.n_states)
        close(evaluate_policy(mdp, pi).V, ref.policy_evaluation(m.P, m.R, m.gamma, pi))


def check_discounted(mdp):
    m = dense(mdp)
    V_pi, pi_pi = ref.policy_iteration(m.P, m.R, m.gamma)
    Q_star = m.R + m.gamma * m.P @ V_pi
    # the reference PI is optimal: its V solves the Bellman optimality equation
    close(Q_star.max(axis=1), V_pi)
    pi_sol = policy_iteration(mdp)
    close(pi_sol.V, V_pi)
    # Howard's PI keeps the incumbent on ties (reference and rlth): optimal, not lowest index
    assert_same_policy(pi_sol.pi, pi_pi, Q_star, ref_is_argmax=False)
    # value iteration: Puterman Thm 6.3.1 for the reference (||V - V*|| < tol/2), rlth's own
    # certified error_bound for rlth; so the two differ by at most their sum
    tol = 1e-10
    V_vi, pi_vi = ref.value_iteration(m.P, m.R, m.gamma, tol)
    close(V_vi, V_pi, tol / 2 + 1e-13)
    vi = value_iteration(mdp, tol=tol)
    close(vi.V, V_vi, vi.error_bound + tol / 2)
    # greedy policies of VI: equal to argmax Q* where Q* has a clear gap, near-optimal elsewhere:
    # pi greedy for V with ||V - V*|| <= e gives Q*(s, pi(s)) >= V*(s) - 2 gamma e
    assert_same_policy(vi.pi, pi_vi, Q_star, tol=3 * m.gamma * tol + 1e-13, gap=1e-8,
                       ref_is_argmax=False)
    assert_same_policy(pi_vi, Q_star.argmax(axis=1), Q_star, tol=m.gamma * tol + 1e-13,
                       gap=1e-8, ref_is_argmax=False)


@FEW
@given(discounted_mdps(n_states=(1, 4), n_actions=(1, 3)), st.booleans())
def test_value_and_policy_iteration_match_reference(mdp, sparse):
    check_discounted(to_sparse(mdp) if sparse else mdp)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("i", GENERIC)
def test_value_and_policy_iteration_generic(i, sparse):
    check_discounted(generic_disc(i, sparse))


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("k", range(len(DEGENERATE_DISC)))
def test_discounted_degenerate(k, sparse):
    mdp = DEGENERATE_DISC[k]
    check_discounted(to_sparse(mdp) if sparse else mdp)


# ------------------------------------------------------------------------------ LCB / VI-LCB

@st.composite
def bandit_counts(draw, n_rows=None):
    """Counts (visits 0..30, zeros frequent) and Bernoulli reward sums (integers <= counts)."""
    S = draw(st.integers(1, 3)) if n_rows is None else n_rows
    A = draw(st.integers(1, 4))
    counts = np.array(draw(st.lists(st.sampled_from([0, 0, 1, 2, 5, 30]), min_size=S * A,
                                    max_size=S * A))).reshape(S, A)
    frac = np.array(draw(st.lists(st.sampled_from([0.0, 0.5, 1.0, 0.3]), min_size=S * A,
                                  max_size=S * A))).reshape(S, A)
    return counts, np.floor(frac * counts)


@FEW
@given(bandit_counts(n_rows=1), st.sampled_from([None, 0.1, 0.5]), st.sampled_from([0.5, 2000.0]))
@example((np.array([[10, 1000]]), np.array([[9.0, 800.0]])), None, 0.5)   # the docstring case
@example((np.array([[0, 0, 0]]), np.zeros((1, 3))), None, 0.5)             # nothing logged
def test_lcb_bandit_matches_reference(data, delta, c):
    counts, sums = data
    N = int(counts.sum())
    arm = ref.lcb(counts[0], sums[0], delta=delta, c=c)
    if N > 0:       # lcb_bandit needs a dataset of N >= 1 samples (ValueError otherwise)
        assert lcb_bandit(BanditDataset(counts[0], sums[0], sums[0], N), delta=delta, c=c) == arm
    assert lcb_from_counts(counts, sums, delta=delta, c=c).policy[0] == arm


@FEW
@given(bandit_counts(), st.sampled_from([None, 0.05]), st.sampled_from([0.5, 2000.0]))
@example((np.array([[4, 400], [1, 1]]), np.array([[4.0, 144.0], [0.0, 1.0]])), 0.1, 0.5)
def test_lcb_contextual_matches_reference(data, delta, c):
    """The explicit example flips with the union size inside the log: log(2 S A / delta) picks
    arm 1 in context 0, log(2 A / delta) would pick arm 0."""
    counts, sums = data
    res = lcb_from_counts(counts, sums, delta=delta, c=c)
    pi = ref.lcb(counts, sums, delta=delta, c=c)
    np.testing.assert_array_equal(res.policy, pi)     # same formula: ties resolved identically


def test_lcb_penalty_union_is_over_all_cells():
    counts, sums = np.array([[4, 400], [1, 1]]), np.array([[4.0, 144.0], [0.0, 1.0]])
    assert ref.lcb(counts, sums, delta=0.1, c=0.5)[0] == 1
    assert ref.lcb(counts[:1], sums[:1], delta=0.1, c=0.5)[0] == 0


@pytest.mark.parametrize("i", GENERIC)
def test_lcb_generic(i):
    rng = np.random.default_rng(i)
    S, A = 1 + i % 3, 2 + i % 4
    counts = rng.multinomial(10 ** (2 + i % 4), rng.dirichlet(np.ones(S * A) / 2)).reshape(S, A)
    sums = rng.binomial(counts, rng.uniform(size=(S, A))).astype(float)
    for delta, c in [(None, 0.5), (0.01, 2000.0), (0.2, 0.05)]:
        pi = ref.lcb(counts, sums, delta=delta, c=c)
        np.testing.assert_array_equal(lcb_from_counts(counts, sums, delta=delta, c=c).policy, pi)
        if S == 1:
            ds = BanditDataset(counts[0], sums[0], sums[0], int(counts.sum()))
            assert lcb_bandit(ds, delta=delta, c=c) == pi[0]


def _stack(folds):
    return (np.stack([f.counts for f in folds]), np.stack([f.reward_sums for f in folds]),
            np.stack([f.next_counts for f in folds]))


@FEW
@given(discounted_mdps(n_states=(1, 4), n_actions=(1, 3), gamma=(0.0, 0.9)), st.data())
def test_vi_lcb_matches_reference(mdp, data):
    S, A = mdp.n_states, mdp.n_actions
    mu = data.draw(probability_vectors(S * A)).reshape(S, A)
    n_folds = data.draw(st.integers(1, 5))
    N = data.draw(st.sampled_from([n_folds, 20, 200]))
    scale = data.draw(st.sampled_from([1.0, 1e-2, 1e-4, 0.0]))
    delta = data.draw(st.sampled_from([None, 0.1]))
    seed = data.draw(st.integers(0, 2**16))
    folds = sample_transition_folds(mdp, mu, N, n_folds, rng=seed)
    res = vi_lcb(folds, mdp.gamma, delta=delta, penalty_scale=scale)
    V, pi = ref.vi_lcb(*_stack(folds), mdp.gamma, delta=delta, penalty_scale=scale)
    close(res.V, V)
    np.testing.assert_array_equal(res.policy, pi)


@pytest.mark.parametrize("i", GENERIC)
def test_vi_lcb_generic(i):
    mdp = generic_disc(i)
    S, A = mdp.n_states, mdp.n_actions
    rng = np.random.default_rng(i)
    mu = rng.dirichlet(np.ones(S * A) / 2).reshape(S, A)     # some cells rarely or never logged
    for N, scale in [(10 ** 3, 1e-2), (10 ** 5, 1e-3), (10 ** 4, 1.0)]:
        n_folds = min(vi_lcb_n_folds(N, mdp.gamma), 40)
        folds = sample_transition_folds(mdp, mu, N, n_folds, rng=rng)
        res = vi_lcb(folds, mdp.gamma, penalty_scale=scale)
        V, pi = ref.vi_lcb(*_stack(folds), mdp.gamma, penalty_scale=scale)
        close(res.V, V)
        np.testing.assert_array_equal(res.policy, pi)


def test_vi_lcb_strict_improvement_keeps_pi0_on_ties():
    """penalty_scale = 0, a zero-reward absorbing state whose behaviour-cloning action is 1:
    Q_t(1, .) = 0 = V_{t-1}(1) at every fold, so the strict rule keeps pi_0(1) = 1 (a >= rule
    would switch to action 0)."""
    counts = np.array([[[3, 1], [1, 2]], [[5, 2], [1, 4]], [[2, 7], [2, 2]]])
    nxt = np.zeros(counts.shape + (2,), dtype=np.int64)
    nxt[:, 0, :, 0] = counts[:, 0, :]
    nxt[:, 1, :, 1] = counts[:, 1, :]
    sums = np.zeros(counts.shape)
    sums[:, 0, :] = np.floor(0.5 * counts[:, 0, :])
    folds = [TransitionDataset(counts[t], sums[t], nxt[t], int(counts[t].sum())) for t in range(3)]
    res = vi_lcb(folds, 0.8, delta=0.2, penalty_scale=0.0)
    V, pi = ref.vi_lcb(counts, sums, nxt, 0.8, delta=0.2, penalty_scale=0.0)
    assert pi[1] == 1 and V[1] == 0.0
    close(res.V, V)
    np.testing.assert_array_equal(res.policy, pi)


def test_vi_lcb_unvisited_cell_is_pessimistic():
    """penalty_scale = 0.  State 0 is absorbing with reward 1 (V grows), state 1 absorbing with
    reward 0 under its only logged action 0; action 1 of state 1 is never logged.  Its backup
    uses the point mass on the *lowest*-value state (state 1, value 0), so it never beats
    V(1) = 0 and pi(1) stays 0; the most optimistic successor (state 0) would pick action 1."""
    counts = np.array([[[4, 0], [3, 0]]] * 4)
    nxt = np.zeros(counts.shape + (2,), dtype=np.int64)
    nxt[:, 0, 0, 0] = 4
    nxt[:, 1, 0, 1] = 3
    sums = np.zeros(counts.shape)
    sums[:, 0, 0] = 4.0
    folds = [TransitionDataset(counts[t], sums[t], nxt[t], 7) for t in range(4)]
    res = vi_lcb(folds, 0.5, delta=0.5, penalty_scale=0.0)
    V, pi = ref.vi_lcb(counts, sums, nxt, 0.5, delta=0.5, penalty_scale=0.0)
    np.testing.assert_array_equal(pi, [0, 0])
    close(V, [1.75, 0.0])                      # 1, 1 + 0.5, 1 + 0.5 * 1.5
    close(res.V, V)
    np.testing.assert_array_equal(res.policy, pi)


def test_vi_lcb_unvisited_cells_and_one_fold():
    """Hand-made folds: an unvisited cell is scored with r = 0 and the worst state's value;
    a single fold returns behaviour cloning with V = 0."""
    counts = np.array([[[3, 0], [0, 2]], [[5, 0], [1, 4]], [[0, 7], [2, 2]]])
    nxt = np.zeros(counts.shape + (2,), dtype=np.int64)
    nxt[..., 0] = counts // 2
    nxt[..., 1] = counts - counts // 2
    sums = np.floor(0.6 * counts)
    folds = [TransitionDataset(counts[t], sums[t], nxt[t], int(counts[t].sum())) for t in range(3)]
    for scale in (1e-3, 0.1, 1.0):
        res = vi_lcb(folds, 0.8, delta=0.2, penalty_scale=scale)
        V, pi = ref.vi_lcb(counts, sums, nxt, 0.8, delta=0.2, penalty_scale=scale)
        close(res.V, V)
        np.testing.assert_array_equal(res.policy, pi)
    res = vi_lcb(folds[:1], 0.8)
    V, pi = ref.vi_lcb(counts[:1], sums[:1], nxt[:1], 0.8)
    np.testing.assert_array_equal(V, 0.0)
    np.testing.assert_array_equal(res.V, 0.0)
    np.testing.assert_array_equal(pi, [0, 1])
    np.testing.assert_array_equal(res.policy, pi)


# ------------------------------------------------------------------------------ linear: LSVI, PEVI

@st.composite
def linear_offline(draw):
    """A finite-horizon MDP, features (random, one-hot, or stage-dependent) and K rollouts."""
    mdp = draw(finite_horizon_mdps(n_states=(1, 3), n_actions=(1, 3), horizon=(1, 3)))
    S, A, H = mdp.n_states, mdp.n_actions, mdp.horizon
    d = draw(st.integers(1, 4))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    kind = draw(st.sampled_from(["random", "onehot", "stages"]))
    if kind == "onehot":
        phi = np.eye(S * A).reshape(S, A, S * A)
    elif kind == "stages":
        phi = rng.uniform(-1, 1, (H, S, A, d))
    else:
        phi = rng.uniform(0, 1, (S, A, d))
    K = draw(st.sampled_from([1, 3, 20]))
    behavior = rng.dirichlet(np.ones(A), size=S)
    traj = rollout(mdp, behavior, K, rng=rng)
    return phi, traj


@FEW
@given(linear_offline(), st.sampled_from([1.0, 0.1]))
def test_ridge_lsvi_matches_estimators(inst, lam):
    """Reference ridge LSVI (sums over samples) == rlth's estimators (sums over cells), stage by
    stage, and == rlth's pessimistic_linear_vi with beta = 0."""
    phi, traj = inst
    Q, V, pi = ref.ridge_lsvi(phi, traj.states, traj.actions, traj.rewards, lam=lam)
    data = traj.to_counts()
    H = data.horizon
    for h in range(H):
        ph = phi if phi.ndim == 3 else phi[h]
        Y = target_sums_from_counts(data.next_counts[h], V[h + 1], data.reward_sums[h])
        est = ridge_from_counts(ph, data.counts[h], Y, lam=lam)
        close(np.clip(ph @ est.w, 0.0, H - h), Q[h])
    res = pessimistic_linear_vi(phi, data, beta=0.0, lam=lam)
    close(res.Q, Q)
    close(res.V, V)
    assert_same_policy(res.policy, pi, Q)


@FEW
@given(linear_offline(), st.sampled_from([0.1, 0.5]), st.sampled_from([1.0, 0.01]))
def test_pevi_matches_reference(inst, delta, c):
    phi, traj = inst
    Q, V, pi = ref.pevi(phi, traj.states, traj.actions, traj.rewards, delta, c=c)
    res = pevi(phi, traj.to_counts(), delta=delta, beta_scale=c)
    close(res.Q, Q)
    close(res.V, V)
    assert_same_policy(res.policy, pi, Q)


@pytest.mark.parametrize("i", GENERIC)
def test_ridge_lsvi_and_pevi_generic(i):
    mdp = generic_fh(i)
    S, A, H = mdp.n_states, mdp.n_actions, mdp.horizon
    rng = np.random.default_rng(i)
    d = 2 + i % 3
    phi = rng.uniform(0, 1, (S, A, d)) if i % 2 else rng.normal(size=(H, S, A, d))
    traj = rollout(mdp, rng.dirichlet(np.ones(A), size=S), 40, rng=rng)
    data = traj.to_counts()
    for lam in (1.0, 0.05):
        Q, V, pi = ref.ridge_lsvi(phi, traj.states, traj.actions, traj.rewards, lam=lam)
        res = pessimistic_linear_vi(phi, data, beta=0.0, lam=lam)
        close(res.Q, Q)
        assert_same_policy(res.policy, pi, Q)
    for c in (1.0, 0.01):
        Q, V, pi = ref.pevi(phi, traj.states, traj.actions, traj.rewards, 0.1, c=c)
        res = pevi(phi, data, delta=0.1, beta_scale=c)
        close(res.Q, Q)
        close(res.V, V)
        assert_same_policy(res.policy, pi, Q)


# ------------------------------------------------------------------------------ UCBVI

@FEW
@given(finite_horizon_mdps(n_states=(1, 3), n_actions=(1, 3), horizon=(1, 4)),
       st.sampled_from([1.0, 0.05, 0.0]), st.sampled_from(["remaining", "H"]),
       st.sampled_from([None, True, False]), st.integers(0, 2**16))
def test_ucbvi_planning_matches_reference(mdp, scale, clip, pooled, seed):
    """Five episodes: before each, the agent's optimistic Q (public ``optimistic_policy``) equals
    the reference's, computed from the agent's counts and the previous episode's Q."""
    agent = UCBVI(bonus="ch", delta=0.1, bonus_scale=scale, pooled=pooled, clip=clip)
    K = 5
    agent.reset(mdp, K)
    rng = np.random.default_rng(seed)
    for _ in range(K):
        Q_prev = agent.Q.copy()
        onehot = agent.optimistic_policy()
        Q, pi = ref.ucbvi_episode(mdp.R, agent.n_sa, agent.n_sas, Q_prev, agent.L,
                                  bonus_scale=scale, clip=clip)
        close(agent.Q, Q)
        assert_same_policy(onehot.argmax(axis=2), pi, Q)
        ep = rollout(mdp, pi, 1, rng=rng)
        agent.observe(ep.states[0], ep.actions[0])


@pytest.mark.parametrize("clip", ["remaining", "H"])
@pytest.mark.parametrize("i", GENERIC)
def test_ucbvi_planning_generic(i, clip):
    """Large random counts (so the bonus is below the cap) and a random previous Q (so the min
    with it binds), written into the agent's public count tables."""
    mdp = generic_fh(i)
    H = mdp.horizon
    rng = np.random.default_rng(i)
    for scale in (1e-2, 1e-3, 0.0):
        agent = UCBVI(bonus="ch", bonus_scale=scale, pooled=bool(i % 2), clip=clip)
        agent.reset(mdp, 1000)
        n_sas = rng.integers(0, 10 ** (1 + i % 5), size=agent.n_sas.shape)
        n_sas[..., 0, :] *= rng.integers(0, 2, size=n_sas[..., 0, :].shape)   # unvisited cells
        agent.n_sas[...] = n_sas
        agent.n_sa[...] = n_sas.sum(axis=-1)
        agent.Q[...] = rng.uniform(0, H, size=agent.Q.shape)
        Q_prev = agent.Q.copy()
        onehot = agent.optimistic_policy()
        Q, pi = ref.ucbvi_episode(mdp.R, agent.n_sa, agent.n_sas, Q_prev, agent.L,
                                  bonus_scale=scale, clip=clip)
        close(agent.Q, Q)
        assert_same_policy(onehot.argmax(axis=2), pi, Q)
        assert np.any(Q < np.minimum(Q_prev, H)), "the fresh backup never bound"


# ------------------------------------------------------------------------------ Nash-MD

@FEW
@given(preference_games(max_actions=5, max_contexts=2, allow_zeros=True), st.data(),
       st.sampled_from([0.05, 0.5, 2.0]))
def test_nash_md_step_matches_reference(game, data, tau):
    pi = data.draw(policies_for(game))
    t = data.draw(st.integers(0, 50))
    eta = 2.0 / (tau * (t + 2))                       # Theorem 1's schedule, eta tau <= 1
    new = ref.nash_md_step(game.pref, game.mu, pi, eta, tau)
    close(nash_md(game, tau, 1, eta=[eta], pi0=pi).pi, new, 1e-12)   # the numba kernel
    close(nash_md_step(game, pi, tau, eta), new, 1e-12)              # rlth's numpy step
    assert np.all(new[~game.support] == 0) and np.allclose(new.sum(axis=1), 1.0)


@FEW
@given(preference_games(max_actions=4, max_contexts=1), st.sampled_from([0.1, 1.0]))
def test_nash_md_iterates_match_reference(game, tau):
    """Twenty composed reference steps == rlth's Nash-MD run with Theorem 1's schedule."""
    T = 20
    res = nash_md(game, tau, T, checkpoints=np.arange(T + 1))
    pi = game.mu.copy()
    for t, eta in enumerate(theorem_step_sizes(tau, T)):
        pi = ref.nash_md_step(game.pref, game.mu, pi, eta, tau)
        close(res.iterates[t + 1], pi, 1e-11)


def test_nash_md_rock_paper_scissors_single_context_shapes():
    rps = np.array([[0.5, 0.0, 1.0], [1.0, 0.5, 0.0], [0.0, 1.0, 0.5]])
    mu = np.array([0.6, 0.3, 0.1])
    game = PreferenceGame(rps, mu)
    new = ref.nash_md_step(rps, mu, mu, 0.5, 1.0)          # 1-D form
    assert new.shape == (3,)
    close(nash_md(game, 1.0, 1, eta=[0.5]).pi[0], new, 1e-12)


@pytest.mark.parametrize("i", GENERIC)
def test_nash_md_generic(i):
    rng = np.random.default_rng(i)
    X, Y = 1 + i % 3, 2 + i % 5
    pref = rng.uniform(size=(X, Y, Y))
    pref = 0.5 + 0.5 * (pref - pref.swapaxes(-1, -2))
    mu = rng.dirichlet(np.ones(Y), size=X)
    if i % 2:
        mu[:, 0] = 0.0                                    # a response outside the support
        mu /= mu.sum(axis=1, keepdims=True)
    game = PreferenceGame(pref, mu)
    pi = rng.dirichlet(np.ones(Y), size=X) * game.support
    pi /= pi.sum(axis=1, keepdims=True)
    for tau, eta in [(0.1, 2.0), (1.0, 0.3), (0.5, 2.0)]:
        new = ref.nash_md_step(game.pref, game.mu, pi, eta, tau)
        close(nash_md(game, tau, 1, eta=[eta], pi0=pi).pi, new, 1e-12)
        close(nash_md_step(game, pi, tau, eta), new, 1e-12)
