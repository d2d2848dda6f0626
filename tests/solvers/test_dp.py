"""Exact DP solvers: oracles (brute force, LP, analytic), certificates, occupancies, error paths."""
import contextlib
import itertools
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rlth.models import DiscountedMDP, FiniteHorizonMDP
from rlth.instances import puterman_two_state, random_mdp
from rlth.solvers import _backward, dp
from rlth.solvers.dp import (backward_induction, bellman_residual, evaluate_policy,
                             policy_iteration, value_iteration)
from rlth.solvers.occupancy import concentrability, occupancy
from rlth.solvers.lp import solve_finite_horizon_lp, solve_lp
from rlth.testing.mdp import (assert_bellman_optimal, assert_occupancy_valid, assert_policy_value,
                              deterministic_policies, discounted_mdps, finite_horizon_mdps,
                              policies, stochastic_policies)

ATOL = 1e-10


# ----------------------------------------------------------------------------- oracles

def brute_force_fh(mdp):
    """V_0^pi for every deterministic Markov policy, vectorized: returns (N, S)."""
    H, S, A = mdp.horizon, mdp.n_states, mdp.n_actions
    pols = np.array(list(itertools.product(range(A), repeat=H * S)), dtype=np.int64)
    pols = pols.reshape(-1, H, S)
    V = np.zeros((pols.shape[0], S))
    for h in range(H - 1, -1, -1):
        q = mdp.R[h][None] + np.einsum("sat,nt->nsa", mdp.P[h], V)
        V = np.take_along_axis(q, pols[:, h, :, None], axis=2)[..., 0]
    return V


def brute_force_disc(mdp):
    """V^pi for every stationary deterministic policy via one linear solve each: (N, S)."""
    S, A = mdp.n_states, mdp.n_actions
    out = []
    for pol in itertools.product(range(A), repeat=S):
        pol = np.array(pol)
        P_pi = mdp.P[np.arange(S), pol]
        out.append(np.linalg.solve(np.eye(S) - mdp.gamma * P_pi, mdp.R[np.arange(S), pol]))
    return np.array(out)


def naive_eval_fh(mdp, pis):
    """Stochastic-policy evaluation with einsum (no rlth solver code)."""
    V = np.zeros((mdp.horizon + 1, mdp.n_states))
    for h in range(mdp.horizon - 1, -1, -1):
        V[h] = np.einsum("sa,sa->s", pis[h], mdp.R[h] + mdp.P[h] @ V[h + 1])
    return V


def to_stoch(pi, A, H=None):
    pi = np.asarray(pi)
    if pi.dtype.kind in "iu":
        pi = np.eye(A)[pi]
    if H is not None and pi.ndim == 2:
        pi = np.broadcast_to(pi, (H,) + pi.shape)
    return pi


@contextlib.contextmanager
def dispatch(path):
    """Force the fused numba kernels ("numba"), the BLAS gemv recursion ("blas") or, for
    stationary models, policy speculation ("speculative", backward induction only)."""
    old = _backward.NUMBA_MAX_STAGE_BYTES, _backward.SPEC_MIN_STAGE_BYTES
    _backward.NUMBA_MAX_STAGE_BYTES = 1 << 62 if path == "numba" else 0
    _backward.SPEC_MIN_STAGE_BYTES = -1 if path == "speculative" else 1 << 62
    try:
        yield
    finally:
        _backward.NUMBA_MAX_STAGE_BYTES, _backward.SPEC_MIN_STAGE_BYTES = old


# ----------------------------------------------------------------------------- finite horizon

@given(finite_horizon_mdps(n_states=(1, 3), n_actions=(1, 2), horizon=(1, 3)))
def test_backward_induction_equals_brute_force_and_lp(mdp):
    sol = backward_induction(mdp)
    Vall = brute_force_fh(mdp)
    np.testing.assert_allclose(sol.V[0], Vall.max(axis=0), atol=ATOL, rtol=0)
    assert sol.value == pytest.approx(float((Vall @ mdp.rho).max()), abs=ATOL)
    lp = solve_finite_horizon_lp(mdp)
    np.testing.assert_allclose(sol.V, lp.V, atol=1e-8, rtol=0)
    assert sol.bellman_residual <= ATOL


@settings(max_examples=40)
@given(finite_horizon_mdps(n_states=(1, 5), n_actions=(1, 4), horizon=(1, 5)))
def test_backward_induction_certificate_and_tie_break(mdp):
    for path in ("numba", "blas", "speculative"):
        with dispatch(path):
            sol = backward_induction(mdp)
        assert_bellman_optimal(mdp, sol, atol=ATOL)
        assert sol.V.shape == (mdp.horizon + 1, mdp.n_states)
        assert sol.pi.dtype == np.int64 and sol.pi.shape == (mdp.horizon, mdp.n_states)
        # ties -> lowest index among the exact maxima of the returned Q
        np.testing.assert_array_equal(sol.pi, np.argmax(sol.Q, axis=-1))
        assert np.all(sol.V[-1] == 0)
        assert sol.bellman_residual == pytest.approx(bellman_residual(mdp, sol.V), abs=1e-14)
        assert sol.bellman_residual <= ATOL
        assert not sol.V.flags.writeable


def test_backward_induction_tie_break_lowest_index():
    P = np.full((3, 4, 3), 1 / 3)
    R = np.zeros((3, 4))
    R[1, 2] = R[1, 3] = 1.0
    sol = backward_induction(FiniteHorizonMDP(P, R, horizon=3))
    np.testing.assert_array_equal(sol.pi, [[0, 2, 0]] * 3)


def test_stage_dependent_hand_example():
    # action a moves to state a; stage 0 pays 0.2 for action 1 in state 0, stage 1 pays
    # 0.1 in state 0 and 1 in state 1
    P = np.zeros((2, 2, 2, 2))
    P[:, :, 0, 0] = 1.0
    P[:, :, 1, 1] = 1.0
    R = np.array([[[0.0, 0.2], [0.0, 0.0]], [[0.1, 0.1], [1.0, 1.0]]])
    mdp = FiniteHorizonMDP(P, R, rho=[1.0, 0.0])
    sol = backward_induction(mdp)
    np.testing.assert_allclose(sol.V, [[1.2, 1.0], [0.1, 1.0], [0.0, 0.0]])
    np.testing.assert_array_equal(sol.pi, [[1, 1], [0, 0]])
    assert sol.value == pytest.approx(1.2)


@given(st.data())
def test_evaluate_policy_finite(data):
    mdp = data.draw(finite_horizon_mdps(n_states=(1, 4), n_actions=(1, 3), horizon=(1, 4)))
    pi = data.draw(policies(mdp.n_states, mdp.n_actions, mdp.horizon))
    with dispatch(data.draw(st.sampled_from(["numba", "blas"]))):
        ev = evaluate_policy(mdp, pi)
    pis = to_stoch(pi, mdp.n_actions, mdp.horizon)
    np.testing.assert_allclose(ev.V, naive_eval_fh(mdp, pis), atol=ATOL, rtol=0)
    assert_policy_value(mdp, pi, ev.V, atol=ATOL)
    assert ev.value == pytest.approx(mdp.rho @ ev.V[0], abs=1e-12)
    assert ev.bellman_residual <= ATOL
    # a stationary policy is broadcast over the horizon
    pi_s = data.draw(stochastic_policies(mdp.n_states, mdp.n_actions))
    np.testing.assert_allclose(evaluate_policy(mdp, pi_s).V,
                               evaluate_policy(mdp, np.broadcast_to(pi_s, (mdp.horizon,)
                                                                    + pi_s.shape)).V, atol=1e-14)


@given(finite_horizon_mdps())
def test_evaluate_greedy_of_backward_induction_is_optimal(mdp):
    sol = backward_induction(mdp)
    ev = evaluate_policy(mdp, sol.pi)
    np.testing.assert_allclose(ev.V, sol.V, atol=ATOL, rtol=0)
    np.testing.assert_allclose(ev.Q, sol.Q, atol=ATOL, rtol=0)
    # one-hot float form gives the same value as the int form
    np.testing.assert_allclose(evaluate_policy(mdp, np.eye(mdp.n_actions)[sol.pi]).V, ev.V,
                               atol=1e-14)


@given(st.data())
def test_occupancy_finite(data):
    mdp = data.draw(finite_horizon_mdps())
    pi = data.draw(policies(mdp.n_states, mdp.n_actions, mdp.horizon))
    d = occupancy(mdp, pi)
    assert d.shape == (mdp.horizon, mdp.n_states, mdp.n_actions)
    np.testing.assert_allclose(d.sum(axis=(1, 2)), 1.0, atol=1e-12)
    assert_occupancy_valid(mdp, pi, d, atol=1e-12)
    value = evaluate_policy(mdp, pi).value
    assert np.sum(d * mdp.R) == pytest.approx(value, abs=1e-10)


def test_finite_horizon_large_path_matches_kernel(monkeypatch):
    mdp = random_mdp(30, 4, horizon=6, stationary=False, rng=3)
    a = backward_induction(mdp)
    ev_a = evaluate_policy(mdp, a.pi)
    monkeypatch.setattr(_backward, "NUMBA_MAX_STAGE_BYTES", 0)
    b = backward_induction(mdp)
    np.testing.assert_allclose(a.V, b.V, atol=1e-13, rtol=0)
    np.testing.assert_array_equal(a.pi, b.pi)
    np.testing.assert_allclose(evaluate_policy(mdp, a.pi).V, ev_a.V, atol=1e-13, rtol=0)


@pytest.mark.parametrize("mixed", ["stationary P", "stationary R"])
def test_mixed_stationarity_equals_the_fully_stage_dependent_model(mixed):
    # a model stores a stationary P (or R) once next to a stage-dependent R (or P); every path
    # must read each array at its own stage index and agree with the model that stores both
    # arrays at full length
    H = 5
    base = random_mdp(6, 3, horizon=H, stationary=False, rng=21)
    P_full, R_full = np.array(base.P_stages), np.array(base.R_stages)
    if mixed == "stationary P":
        P_full[:] = P_full[0]
        mdp = FiniteHorizonMDP(P_full[0], R_full, base.rho)
    else:
        R_full[:] = R_full[0]
        mdp = FiniteHorizonMDP(P_full, R_full[0], base.rho)
    assert not mdp.is_stationary and min(mdp.P_stages.shape[0], mdp.R_stages.shape[0]) == 1
    full = FiniteHorizonMDP(P_full, R_full, base.rho)
    ref = backward_induction(full)
    pis = np.random.default_rng(0).dirichlet(np.ones(3), size=(H, 6))
    for path in ("numba", "blas", "speculative"):
        with dispatch(path):
            sol = backward_induction(mdp)
            ev = evaluate_policy(mdp, pis)
            cert = sol.bellman_residual
        np.testing.assert_allclose(sol.V, ref.V, atol=1e-13, rtol=0, err_msg=path)
        np.testing.assert_array_equal(sol.pi, ref.pi)
        np.testing.assert_allclose(ev.V, evaluate_policy(full, pis).V, atol=1e-13, rtol=0)
        assert cert <= 1e-13
        assert_bellman_optimal(mdp, sol, atol=1e-12)
    np.testing.assert_allclose(occupancy(mdp, pis), occupancy(full, pis), atol=1e-14, rtol=0)
    # both certificate routes see a perturbation at a stage where the arrays' indices differ
    V = np.array(ref.V)
    V[3, 2] += 0.25
    for path in ("numba", "blas"):
        with dispatch(path):
            assert dp._certificate_fh(mdp, V) == pytest.approx(bellman_residual(full, V),
                                                               abs=1e-13)


def test_certify_false_skips_residual():
    mdp = random_mdp(5, 2, horizon=3, rng=0)
    sol = backward_induction(mdp, certify=False)
    assert np.isnan(sol.bellman_residual)
    np.testing.assert_array_equal(sol.V, backward_induction(mdp).V)


def test_certificate_is_computed_on_first_access_and_cached(monkeypatch):
    mdp = random_mdp(6, 3, horizon=4, rng=1)
    calls = []
    real = dp._certificate_fh
    monkeypatch.setattr(dp, "_certificate_fh", lambda m, V: calls.append(1) or real(m, V))
    sol = backward_induction(mdp)
    assert calls == []                                       # the solve did not certify
    first = sol.bellman_residual
    assert sol.bellman_residual == first and calls == [1]    # computed once, then cached
    assert first == pytest.approx(bellman_residual(mdp, sol.V), abs=1e-14)
    assert first <= ATOL
    # an unread certificate survives pickling (process-pool sweeps return solutions)
    monkeypatch.undo()
    unread = backward_induction(mdp)
    clone = pickle.loads(pickle.dumps(unread))
    assert not callable(clone._residual)                     # resolved, the model not pickled
    assert clone.bellman_residual == pytest.approx(first, abs=1e-14)
    np.testing.assert_array_equal(clone.V, unread.V)


# ----------------------------------------------------------------------------- speculation

def _speculation_cases():
    """Stationary instances whose greedy policy settles at once (dense), late (Garnet), keeps
    changing (deterministic Garnet, gridworld), or is tied everywhere (zero rewards)."""
    from rlth.instances import gridworld, riverswim
    zero = random_mdp(7, 3, horizon=20, rng=4)
    yield "dense", random_mdp(40, 5, horizon=30, rng=0)
    for seed in range(4):
        yield f"garnet1-{seed}", random_mdp(40, 4, horizon=40, rng=seed, branching=1)
        yield f"garnet2-{seed}", random_mdp(60, 6, horizon=60, rng=seed, branching=2)
    yield "gridworld", gridworld(4, 4, horizon=30)
    yield "riverswim", riverswim(8, horizon=40)
    yield "zero-rewards", FiniteHorizonMDP(zero.P_stages[0], np.zeros((7, 3)), horizon=20)
    yield "S=1", random_mdp(1, 3, horizon=9, rng=5)
    yield "A=1", random_mdp(5, 1, horizon=9, rng=6)
    # stationary P with stage-dependent rewards: random per stage, growing with the stage,
    # and a terminal reward only
    dense = random_mdp(40, 5, horizon=30, rng=7)
    yield "random-R_h", FiniteHorizonMDP(dense.P_stages[0],
                                         np.random.default_rng(8).random((30, 40, 5)))
    yield "growing-R_h", FiniteHorizonMDP(
        dense.P_stages[0], dense.R_stages[0] * (np.arange(1, 31) / 30)[:, None, None])
    river = riverswim(8, horizon=40)
    R_T = np.zeros((40,) + river.R_stages.shape[1:])
    R_T[-1] = river.R_stages[0]
    yield "riverswim-terminal-R", FiniteHorizonMDP(river.P_stages[0], R_T)


def test_verify_block_kernel_acceptance():
    from rlth._kernels import dp as K
    S, A, H = 3, 2, 4
    W = np.array([[1.0, 2.0, 3.0], [1.5, 2.5, 3.5], [2.0, 3.0, 4.0]])      # k = 3, h = 2

    def run(W_mod, tol_factor=1e-12):
        Q = np.zeros((H, S, A))
        for i in range(3):                        # backups whose max equals W[i + 1]
            Q[2 - i, :, 1] = W[min(i + 1, 2)]
            Q[2 - i, :, 0] = W[min(i + 1, 2)] - 1.0
        V = np.full((H + 1, S), -7.0)
        pi = np.full((H, S), -1, dtype=np.int64)
        n = K.verify_block_kernel(Q, W_mod, V, pi, 2, tol_factor, 1.0)
        return n, V, pi

    n, V, pi = run(W)
    assert n == 3
    np.testing.assert_array_equal(pi[:3], 1)
    np.testing.assert_array_equal(V[2], W[1])
    assert np.all(V[3] == -7.0) and np.all(pi[3] == -1)     # stages outside the block untouched
    bad = W.copy()
    bad[1, 2] += 1e-6                                        # stage h's max != W[1]: refute at 0
    n, V, pi = run(bad)
    assert n == 1 and np.all(V[1] == -7.0)                  # stage h-1 not written
    assert run(bad, tol_factor=1.0)[0] == 3                  # within a loose tolerance: kept
    nan = W.copy()
    nan[2, 0] = np.nan                                       # NaN at the second check refutes
    assert run(nan)[0] == 2
    nan[2, :] = [np.nan, 3.0, 4.0]
    nan[1, :] = [1.5, np.nan, 3.5]                           # a NaN then finite values: still NaN
    assert run(nan)[0] == 1


@pytest.mark.parametrize("plain_stages", ["gemv", "numba"])
@pytest.mark.parametrize("first_block", [2, 16])
def test_speculative_backward_induction_equals_plain_recursion(monkeypatch, first_block,
                                                               plain_stages):
    outcomes = []
    real = _backward.speculative_stages

    def recording(*args):
        n = real(*args)
        outcomes.append((args[-2], n))                         # (block length k, stages kept)
        return n

    monkeypatch.setattr(_backward, "speculative_stages", recording)
    monkeypatch.setattr(_backward, "SPEC_FIRST_BLOCK", first_block)
    # the stages between blocks (and the reference recursion) by gemv or by the fused kernel
    monkeypatch.setattr(_backward, "NUMBA_MAX_STAGE_BYTES", 0 if plain_stages == "gemv" else 1 << 62)
    monkeypatch.setattr(_backward, "SPEC_MIN_STAGE_BYTES", -1)          # speculate at every size
    per_case = {}
    for name, mdp in _speculation_cases():
        monkeypatch.setattr(_backward, "SPECULATE", False)
        plain = backward_induction(mdp)
        monkeypatch.setattr(_backward, "SPECULATE", True)
        n_before = len(outcomes)
        spec = backward_induction(mdp)
        kept = sum(n for _, n in outcomes[n_before:])
        assert kept <= mdp.horizon, name
        np.testing.assert_allclose(spec.V, plain.V, atol=1e-12, rtol=0, err_msg=name)
        assert_bellman_optimal(mdp, spec, atol=1e-12)
        np.testing.assert_array_equal(spec.pi, np.argmax(spec.Q, axis=-1), err_msg=name)
        # the speculative policy is optimal (evaluated exactly, not just greedy)
        np.testing.assert_allclose(evaluate_policy(mdp, spec.pi).V, plain.V, atol=1e-12, rtol=0,
                                   err_msg=name)
        per_case[name] = outcomes[n_before:]
    # both branches ran: blocks verified in full and blocks refuted part-way ...
    assert any(n == k for k, n in outcomes) and any(n < k for k, n in outcomes)
    # ... and instances whose policy settles are verified, not refuted stage by stage
    for name in ("dense", "riverswim", "garnet2-0", "growing-R_h", "riverswim-terminal-R"):
        assert any(n == k >= 2 for k, n in per_case[name]), (name, per_case[name])



# ----------------------------------------------------------------------------- discounted

def test_puterman_two_state_analytic():
    mdp = puterman_two_state(0.95)
    v_star = np.array([(5 + 0.95 / 2 * -20) / (1 - 0.95 / 2), -20.0])
    assert v_star[0] == pytest.approx(-8.571428571428571, abs=1e-12)
    for sol in (policy_iteration(mdp), value_iteration(mdp, tol=1e-11), solve_lp(mdp)):
        np.testing.assert_allclose(sol.V, v_star, atol=1e-9, rtol=0)
        assert sol.pi[0] == 0
        assert sol.value == pytest.approx(v_star[0], abs=1e-9)
    np.testing.assert_allclose(policy_iteration(mdp).V, v_star, atol=1e-12, rtol=0)


@given(discounted_mdps(n_states=(1, 4), n_actions=(1, 3)))
def test_policy_iteration_exact_vs_brute_force(mdp):
    sol = policy_iteration(mdp)
    v_star = brute_force_disc(mdp).max(axis=0)
    scale = 1.0 / (1.0 - mdp.gamma)
    np.testing.assert_allclose(sol.V, v_star, atol=1e-11 * scale, rtol=0)
    assert_bellman_optimal(mdp, sol, atol=1e-11 * scale)
    rho = dp.backup_rounding(mdp, sol.V, sol.bellman_residual)
    assert sol.error_bound == (sol.bellman_residual + rho) / (1 - mdp.gamma)
    assert sol.bellman_residual <= 1e-12 * scale


@given(discounted_mdps(n_states=(1, 6), n_actions=(1, 4), gamma=(0.0, 0.99)),
       st.sampled_from([1e-4, 1e-8, 1e-10]))
def test_value_iteration_within_its_error_bound(mdp, tol):
    for path in ("numba", "blas"):
        with dispatch(path):
            vi = value_iteration(mdp, tol=tol)
        pi_sol = policy_iteration(mdp)
        lp = solve_lp(mdp)
        np.testing.assert_allclose(pi_sol.V, lp.V, atol=1e-7, rtol=0)
        assert vi.error_bound <= tol
        # the bound holds up to the round-off of the reference (|V*| <= 1/(1-gamma))
        err = np.max(np.abs(vi.V - pi_sol.V))
        assert err <= vi.error_bound + 1e-12 / (1 - mdp.gamma), (err, vi.error_bound)
        # the certificate is consistent: ||V - V*|| <= residual / (1 - gamma)
        assert err <= vi.bellman_residual / (1 - mdp.gamma) + 1e-12 / (1 - mdp.gamma)
        assert vi.n_iter >= 1


@pytest.mark.parametrize("gamma", [0.9, 0.99])
def test_slow_mixing_instances_pi_vi_lp_agree(gamma):
    from rlth.instances import chain, riverswim
    for mdp in (riverswim(12, gamma=gamma), chain(15, gamma=gamma, slip=0.1)):
        pi_sol = policy_iteration(mdp)
        vi = value_iteration(mdp, tol=1e-9)
        lp = solve_lp(mdp)
        scale = 1 / (1 - gamma)
        np.testing.assert_allclose(pi_sol.V, lp.V, atol=1e-8 * scale, rtol=0)
        assert np.max(np.abs(vi.V - pi_sol.V)) <= vi.error_bound + 1e-12 * scale
        np.testing.assert_allclose(evaluate_policy(mdp, pi_sol.pi).V, pi_sol.V, atol=1e-12 * scale)
        assert_bellman_optimal(mdp, pi_sol, atol=1e-11 * scale)


def _tie_instance():
    """State 0: action 0 pays 0 and leads to 1 -> 2 -> 3 (rewards 1, 1, then absorbing 0);
    action 1 pays 3/4 and jumps to the absorbing state 3.  gamma = 1/2: Q*(0, .) = (3/4, 3/4),
    an exact tie in floating point (dyadic numbers).  States 1-3 have two identical actions.
    PI's initial policy (greedy w.r.t. one backup of max_a R) scores (1/2, 3/4) in state 0, so
    it starts on action 1."""
    e = np.eye(4)
    P = np.stack([[e[1], e[3]], [e[2], e[2]], [e[3], e[3]], [e[3], e[3]]])
    R = np.array([[0.0, 0.75], [1.0, 1.0], [1.0, 1.0], [0.0, 0.0]])
    return DiscountedMDP(P, R, 0.5)


@pytest.mark.parametrize("path", ["numba", "blas"])
def test_value_iteration_tie_break_lowest_index(path):
    mdp = _tie_instance()
    with dispatch(path):
        vi = value_iteration(mdp)
    np.testing.assert_array_equal(vi.V, [0.75, 1.5, 1.0, 0.0])     # exact after 3 sweeps
    assert vi.Q[0, 0] == vi.Q[0, 1] == 0.75
    np.testing.assert_array_equal(vi.pi, [0, 0, 0, 0])


def test_policy_iteration_keeps_incumbent_on_exact_ties():
    """Documented contract: PI keeps the incumbent action when nothing beats it by more than
    the tolerance, so here it returns action 1 in state 0 (not the lowest index 0)."""
    mdp = _tie_instance()
    sol = policy_iteration(mdp)
    np.testing.assert_array_equal(sol.V, [0.75, 1.5, 1.0, 0.0])
    assert sol.Q[0, 0] == sol.Q[0, 1]
    np.testing.assert_array_equal(sol.pi, [1, 0, 0, 0])
    assert sol.n_iter == 1                       # the initial policy is already stable


@given(discounted_mdps(n_states=(1, 4), n_actions=(1, 3)))
def test_tie_break_on_duplicated_actions(mdp):
    """Actions A..2A-1 are exact copies of 0..A-1: VI (both paths) picks the lowest index among
    the exact maxima of its Q, hence never a copy; PI satisfies its documented contract
    (incumbent within 64 eps (1 + |max Q|) of the maximum) and, since its initial policy and
    every switch take the lowest-index maximizer, never picks a copy either."""
    A = mdp.n_actions
    dup = DiscountedMDP(np.concatenate([mdp.P, mdp.P], axis=1),
                        np.concatenate([mdp.R, mdp.R], axis=1), mdp.gamma)
    for path in ("numba", "blas"):
        with dispatch(path):
            vi = value_iteration(dup)
        lowest = np.array([np.flatnonzero(q == q.max())[0] for q in vi.Q])
        np.testing.assert_array_equal(vi.pi, lowest)
        assert np.all(vi.pi < A)
    pi_sol = policy_iteration(dup)
    idx = np.arange(dup.n_states)
    qmax = pi_sol.Q.max(axis=1)
    assert np.all(pi_sol.Q[idx, pi_sol.pi] >= qmax - 64 * np.finfo(float).eps * (1 + np.abs(qmax)))
    assert np.all(pi_sol.pi < A)
    np.testing.assert_allclose(pi_sol.V, policy_iteration(mdp).V, atol=1e-12 / (1 - mdp.gamma),
                               rtol=0)


def test_policy_iteration_switches_to_lowest_index_maximizer():
    """Duplicated actions on instances where PI switches actions (n_iter >= 2): every switch
    takes the lowest-index maximizer, so no copy (index >= A) is ever returned."""
    from rlth.instances import chain, riverswim
    for mdp in (riverswim(6, gamma=0.9), chain(8, gamma=0.9, slip=0.1)):
        A = mdp.n_actions
        dup = DiscountedMDP(np.concatenate([mdp.P, mdp.P], axis=1),
                            np.concatenate([mdp.R, mdp.R], axis=1), mdp.gamma)
        sol = policy_iteration(dup)
        assert sol.n_iter >= 2
        np.testing.assert_array_equal(sol.pi, policy_iteration(mdp).pi)
        assert np.all(sol.pi < A)


def test_value_iteration_gamma_zero_is_one_sweep():
    mdp = DiscountedMDP(np.full((3, 2, 3), 1 / 3), np.arange(6.0).reshape(3, 2) / 6, 0.0)
    vi = value_iteration(mdp)
    assert vi.n_iter == 1 and vi.error_bound == 0.0
    np.testing.assert_array_equal(vi.V, mdp.R.max(axis=1))


def test_value_iteration_max_iter_raises():
    mdp = random_mdp(5, 2, gamma=0.99, rng=0)
    with pytest.raises(RuntimeError, match="max_iter"):
        value_iteration(mdp, tol=1e-10, max_iter=5)


@given(st.data())
def test_evaluate_policy_discounted(data):
    mdp = data.draw(discounted_mdps())
    pi = data.draw(policies(mdp.n_states, mdp.n_actions))
    ev = evaluate_policy(mdp, pi)
    pis = to_stoch(pi, mdp.n_actions)
    # independent oracle: the Neumann series sum_t gamma^t P_pi^t r_pi, truncated where the tail
    # gamma^T / (1 - gamma) is below 1e-13
    P_pi = np.einsum("sa,sat->st", pis, mdp.P)
    r_pi = np.einsum("sa,sa->s", pis, mdp.R)
    V, term, g = np.zeros(mdp.n_states), r_pi.copy(), mdp.gamma
    n_terms = 1 if g == 0 else int(np.ceil(np.log(1e-13 * (1 - g)) / np.log(g))) + 1
    for _ in range(n_terms):
        V += term
        term = g * (P_pi @ term)
    np.testing.assert_allclose(ev.V, V, atol=1e-11 / (1 - g), rtol=0)
    assert_policy_value(mdp, pi, ev.V, atol=1e-11 / (1 - g))
    assert ev.value == pytest.approx(mdp.rho @ ev.V, abs=1e-12)


@given(st.data())
def test_occupancy_discounted(data):
    mdp = data.draw(discounted_mdps())
    pi = data.draw(policies(mdp.n_states, mdp.n_actions))
    d = occupancy(mdp, pi)
    assert d.shape == (mdp.n_states, mdp.n_actions)
    assert d.sum() == pytest.approx(1.0, abs=1e-12)
    assert_occupancy_valid(mdp, pi, d, atol=1e-11)
    value = evaluate_policy(mdp, pi).value
    assert np.sum(d * mdp.R) / (1 - mdp.gamma) == pytest.approx(value, abs=1e-10 / (1 - mdp.gamma))


def test_occupancy_unreachable_states_are_exact_zeros():
    # state 2 is never reached from state 0 (absorbing chain 0 -> 1 -> 1)
    P = np.zeros((3, 1, 3))
    P[0, 0, 1] = P[1, 0, 1] = P[2, 0, 0] = 1.0
    mdp = DiscountedMDP(P, np.zeros((3, 1)), 0.9, rho=[1.0, 0.0, 0.0])
    d = occupancy(mdp, np.zeros(3, dtype=np.int64))
    assert d[2, 0] == 0.0
    np.testing.assert_allclose(d[:, 0], [0.1, 0.9, 0.0], atol=1e-15)


# ----------------------------------------------------------------------------- concentrability

@given(st.data())
def test_concentrability_properties(data):
    kind = data.draw(st.sampled_from(["fh", "disc"]))
    if kind == "fh":
        mdp = data.draw(finite_horizon_mdps())
        H = mdp.horizon
    else:
        mdp = data.draw(discounted_mdps())
        H = None
    target = data.draw(policies(mdp.n_states, mdp.n_actions, H))
    behavior = data.draw(policies(mdp.n_states, mdp.n_actions, H))
    d_t, d_b = occupancy(mdp, target), occupancy(mdp, behavior)
    c = concentrability(mdp, target, behavior)
    assert c >= 1.0 - 1e-12
    assert concentrability(mdp, target, target) == 1.0
    assert concentrability(mdp, target, behavior_distribution=d_t) == 1.0
    covered = np.all(d_b[d_t > 0] > 0)
    assert np.isinf(c) == (not covered)
    if covered:
        assert c == pytest.approx(np.max(d_t[d_t > 0] / d_b[d_t > 0]))
        if np.max(np.abs(d_t - d_b)) > 1e-9:          # different occupancies: C > 1
            assert c > 1.0
    # uniform behavior covers everything
    shape = d_t.shape
    unif = np.full(shape, 1.0 / np.prod(shape[-2:]))
    cu = concentrability(mdp, target, behavior_distribution=unif)
    assert 1.0 - 1e-12 <= cu <= np.prod(shape[-2:]) + 1e-9


def test_concentrability_inf_when_uncovered():
    mdp = puterman_two_state()
    mu = np.array([[1.0, 0.0], [0.0, 0.0]])
    assert concentrability(mdp, np.array([0, 0]), behavior_distribution=mu) == np.inf


# ----------------------------------------------------------------------------- error paths

@pytest.fixture
def fh():
    return random_mdp(3, 2, horizon=4, rng=0)


@pytest.fixture
def disc():
    return random_mdp(3, 2, gamma=0.9, rng=0)


@pytest.mark.parametrize("bad, msg", [
    (np.zeros((4, 2), dtype=np.int64), "shape"),              # wrong S
    (np.zeros((3, 3), dtype=np.int64), "shape"),              # wrong H
    (np.full((4, 3), 2, dtype=np.int64), "action indices"),   # out of range
    (np.full((4, 3), -1, dtype=np.int64), "action indices"),
    (np.full((4, 3, 2), 0.6), "sum to 1"),                    # not a distribution
    (np.array([[[1.5, -0.5]] * 3] * 4), "negative"),
    (np.full((4, 3, 3), 1 / 3), "shape"),
    (np.full((4, 3, 2), np.nan), "NaN"),
    (np.zeros((4, 3), dtype=bool), "boolean"),
])
def test_bad_policies_raise(fh, bad, msg):
    for fn in (evaluate_policy, occupancy):
        with pytest.raises(ValueError, match=rf"^pi: .*{msg}"):
            fn(fh, bad)
    with pytest.raises(ValueError, match=r"^pi_target: "):
        concentrability(fh, bad, np.zeros((4, 3), dtype=np.int64))
    with pytest.raises(ValueError, match=r"^behavior: "):
        concentrability(fh, np.zeros((4, 3), dtype=np.int64), bad)


def test_bad_discounted_policy(disc):
    with pytest.raises(ValueError, match=r"^pi: .*shape"):
        evaluate_policy(disc, np.zeros((2, 3), dtype=np.int64))
    with pytest.raises(ValueError, match=r"^pi: .*action indices"):
        occupancy(disc, np.array([0, 1, 2]))


def test_wrong_model_kind(fh, disc):
    with pytest.raises(ValueError, match=r"^mdp: expected a FiniteHorizonMDP"):
        backward_induction(disc)
    for fn in (value_iteration, policy_iteration):
        with pytest.raises(ValueError, match=r"^mdp: expected a DiscountedMDP"):
            fn(fh)
    with pytest.raises(ValueError, match=r"^mdp"):
        evaluate_policy("not an mdp", np.zeros(3, dtype=np.int64))


def test_other_error_paths(fh, disc):
    pi = np.zeros((4, 3), dtype=np.int64)
    with pytest.raises(ValueError, match=r"^behavior: give exactly one"):
        concentrability(fh, pi)
    with pytest.raises(ValueError, match=r"^behavior: give exactly one"):
        concentrability(fh, pi, pi, behavior_distribution=np.full((4, 3, 2), 1 / 6))
    with pytest.raises(ValueError, match=r"^behavior_distribution: expected shape"):
        concentrability(fh, pi, behavior_distribution=np.full((3, 2), 1 / 6))
    with pytest.raises(ValueError, match=r"^behavior_distribution: .*sum to 1"):
        concentrability(fh, pi, behavior_distribution=np.full((4, 3, 2), 1 / 5))
    with pytest.raises(ValueError, match=r"^tol"):
        value_iteration(disc, tol=-1.0)
    with pytest.raises(ValueError, match=r"^max_iter"):
        value_iteration(disc, max_iter=0)
    with pytest.raises(ValueError, match=r"^V: expected shape"):
        bellman_residual(fh, np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"^V: expected shape"):
        bellman_residual(disc, np.zeros(4))


def test_bellman_residual_detects_wrong_values(fh, disc):
    sol = backward_induction(fh)
    V = np.array(sol.V)
    V[1, 2] += 0.25
    assert bellman_residual(fh, V) == pytest.approx(0.25, abs=1e-12)
    V = np.array(policy_iteration(disc).V) + 1.0
    assert bellman_residual(disc, V) == pytest.approx(1 - disc.gamma, abs=1e-12)
    with pytest.raises(AssertionError, match="Bellman optimality"):
        class Fake:
            pass
        f = Fake()
        f.V = V
        assert_bellman_optimal(disc, f, atol=1e-6)


@given(st.data())
def test_deterministic_policy_strategy_in_range(data):
    S, A = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 3))
    H = data.draw(st.integers(1, 3))
    pi = data.draw(deterministic_policies(S, A, H))
    assert pi.shape == (H, S) and pi.min() >= 0 and pi.max() < A


def test_certificate_routes_agree(monkeypatch):
    # the numba certificate loop and the numpy GEMM route agree, also for a wrong V
    for stationary in (True, False):
        mdp = random_mdp(6, 3, horizon=7, stationary=stationary, rng=11)
        V = np.array(backward_induction(mdp).V)
        V[2, 1] -= 0.125
        small = dp._certificate_fh(mdp, V)
        monkeypatch.setattr(_backward, "NUMBA_MAX_STAGE_BYTES", 0)
        assert dp._certificate_fh(mdp, V) == pytest.approx(small, abs=1e-14)
        assert small == pytest.approx(0.125, abs=1e-12)
        monkeypatch.undo()


@pytest.mark.parametrize("S, A, H", [(1, 1, 1), (3, 1, 2), (4, 3, 5), (5, 4, 8), (2, 5, 3)])
def test_certificate_kernel_edges(S, A, H):
    # odd action counts and horizons not divisible by 4 exercise the kernel's block edges
    mdp = random_mdp(S, A, horizon=H, rng=S + A + H)
    V = np.array(backward_induction(mdp).V)
    assert dp._certificate_fh(mdp, V) <= 1e-14
    for h in range(H + 1):
        W = V.copy()
        W[h, S - 1] += 0.5
        assert dp._certificate_fh(mdp, W) == pytest.approx(bellman_residual(mdp, W), abs=1e-14)
        assert dp._certificate_fh(mdp, W) >= 0.5 * (1 - 1e-12) - 1e-12


@pytest.mark.parametrize("condition", [
    lambda m: m.n_states == 1 and m.n_actions == 1,
    lambda m: np.all(np.isin(m.P_stages, (0.0, 1.0))) and m.n_states > 1,     # deterministic
    lambda m: np.all(m.R_stages == 0) and m.n_actions > 1,                     # zero rewards
    lambda m: m.n_actions > 1 and np.any(m.R_stages[..., 0] == m.R_stages[..., 1]),  # ties
    lambda m: not m.is_stationary and m.horizon > 1,
    lambda m: np.any(m.rho == 0),
])
def test_strategies_reach_corner_cases(condition):
    from hypothesis import find
    find(finite_horizon_mdps(), condition, settings=settings(max_examples=2000, database=None))


# ----------------------------------------------------------------------------- costs (negative rewards)

def _cost_models():
    """Cost models (rewards in [-1, 0], all strictly negative): any max/argmax that starts from
    0 instead of -inf returns V = 0 on them.  Stationary P, so the speculative path speculates;
    stage-dependent and stationary R."""
    out = []
    for seed, stat_R in [(0, True), (2, False), (2, True)]:
        base = random_mdp(3, 2, horizon=6, stationary=stat_R, rng=seed)
        P = base.P[0]                                     # stationary P
        R = -(0.05 + 0.95 * (base.R if not stat_R else base.R[0]))      # in [-1, -0.05]
        out.append(FiniteHorizonMDP(P, R, rho=base.rho, horizon=6, reward_range=(-1.0, 0.0)))
    return out


@pytest.mark.parametrize("path", ["numba", "blas", "speculative"])
@pytest.mark.parametrize("k", range(3))
def test_cost_model_on_every_path_equals_brute_force(monkeypatch, path, k):
    """Issue 17: a max/argmax kernel starting from 0 went unnoticed on the large-model and
    speculative paths because no test solved a model with negative rewards there."""
    mdp = _cost_models()[k]
    calls = []
    real = _backward.speculative_stages
    monkeypatch.setattr(_backward, "speculative_stages",
                        lambda *a: calls.append(1) or real(*a))
    monkeypatch.setattr(_backward, "SPEC_FIRST_BLOCK", 2)
    with dispatch(path):
        sol = backward_induction(mdp)
    if path == "speculative":
        assert calls, "the speculative path did not speculate"
    Vall = brute_force_fh(mdp)                  # 2**18 policies of a 3-state, 6-stage model
    np.testing.assert_allclose(sol.V[0], Vall.max(axis=0), atol=ATOL, rtol=0)
    assert np.all(sol.V[:-1] < 0)               # every stage pays a strictly negative reward
    np.testing.assert_allclose(sol.V, solve_finite_horizon_lp(mdp).V, atol=1e-8, rtol=0)
    np.testing.assert_array_equal(sol.pi, np.argmax(sol.Q, axis=-1))
    assert sol.bellman_residual <= ATOL


@pytest.mark.parametrize("path", ["numba", "blas"])
def test_cost_model_value_iteration_on_both_paths(path):
    base = random_mdp(4, 3, gamma=0.9, rng=4)
    mdp = DiscountedMDP(base.P, -(0.05 + 0.95 * base.R), 0.9, reward_range=(-1.0, 0.0))
    with dispatch(path):
        vi = value_iteration(mdp, tol=1e-10)
    ref = brute_force_disc(mdp).max(axis=0)
    assert np.all(ref < 0)
    np.testing.assert_allclose(vi.V, ref, atol=1e-10, rtol=0)
    np.testing.assert_allclose(policy_iteration(mdp).V, ref, atol=1e-12, rtol=0)


# ----------------------------------------------------------------------------- PI on near-ties

def _near_tie_instance(eps_rel, gamma=0.9):
    """Five states; in states 0-2 two actions reach the same absorbing states with rewards
    that tie exactly (state 0), differ by eps_rel relative (state 1: action 1 better; state 2:
    action 0 better), and action 2 of every state is strictly worse.  States 3 and 4 are
    absorbing.  Q* of the two tied actions agrees to within round-off, so PI must terminate
    and keep its incumbent where nothing beats it by more than its tolerance."""
    S, A = 5, 3
    P = np.zeros((S, A, S))
    R = np.zeros((S, A))
    third = 1.0 / 3.0
    for s in range(3):
        P[s, 0, 3], P[s, 0, 4] = third, 1 - third            # the same mix two ways
        P[s, 1, 4], P[s, 1, 3] = 1 - third, third
        P[s, 2, 3] = 1.0
        R[s, :2] = 0.7
        R[s, 2] = 0.1
    R[1, 1] = 0.7 * (1 + eps_rel)
    R[2, 0] = 0.7 * (1 + eps_rel)
    P[3, :, 3] = P[4, :, 4] = 1.0
    R[3] = 0.3
    R[4] = 0.9
    return DiscountedMDP(P, R, gamma)


@pytest.mark.parametrize("eps_rel", [0.0, 1e-16, 4e-16, 1e-15, 1e-14, 1e-12, 1e-9])
def test_policy_iteration_terminates_and_keeps_actions_on_near_ties(eps_rel):
    """Issue 17: PI without its round-off tolerance cycled to max_iter on near-ties (4 of 300
    random MDPs).  Exact ties and ties to within a few ulps: PI stops after a few steps (the
    initial policy is already optimal up to the ties), keeps its incumbent action where no
    action beats it by more than 64 eps (1 + |Q|), and switches where one does."""
    mdp = _near_tie_instance(eps_rel)
    sol = policy_iteration(mdp, max_iter=50)
    assert sol.n_iter <= 3
    idx = np.arange(mdp.n_states)
    qmax = sol.Q.max(axis=1)
    tol = 64 * np.finfo(float).eps * (1 + np.abs(qmax))
    assert np.all(sol.Q[idx, sol.pi] >= qmax - tol)           # documented contract
    assert np.all(sol.pi[:3] != 2)                            # the strictly worse action: never
    V_star = brute_force_disc(mdp).max(axis=0)
    np.testing.assert_allclose(sol.V, V_star, atol=1e-13, rtol=0)
    # the initial policy takes the lowest-index maximizer of one backup of max_a R: state 0 and
    # state 2 start (and stay) on action 0; state 1 switches to action 1 only if its advantage
    # exceeds the tolerance
    assert sol.pi[0] == 0 and sol.pi[2] == 0
    adv = 0.7 * eps_rel
    if adv > 64 * np.finfo(float).eps * (1 + qmax[1]) * 4:
        assert sol.pi[1] == 1
    # repeated runs give the same answer (no dependence on a cycle's phase)
    again = policy_iteration(mdp, max_iter=50)
    np.testing.assert_array_equal(again.pi, sol.pi)
    assert again.n_iter == sol.n_iter


def test_policy_iteration_stops_on_ties_to_rounding():
    """Constant rewards: every policy is optimal (V* = c / (1 - gamma) in every state), so every
    Q*(s, a) ties exactly, and the computed Q differ only by the round-off of the linear solve,
    which changes with the policy.  PI without its round-off tolerance switches on that noise
    and cycled to max_iter on 6 of these 100 MDPs (measured with the tolerance set to 0); with
    it, the initial policy is kept and PI stops after one evaluation."""
    rng = np.random.default_rng(3)
    for _ in range(100):
        S, A = int(rng.integers(2, 9)), int(rng.integers(2, 4))
        base = random_mdp(S, A, gamma=float(rng.uniform(0.5, 0.999)), rng=rng)
        c = float(rng.uniform(0.1, 1.0))
        mdp = DiscountedMDP(base.P, np.full((S, A), c), base.gamma)
        sol = policy_iteration(mdp, max_iter=50)
        assert sol.n_iter == 1
        initial = np.argmax(dp._disc_backup(mdp, mdp.R.max(axis=1)), axis=1)
        np.testing.assert_array_equal(sol.pi, initial)          # the incumbent is kept
        np.testing.assert_allclose(sol.V, c / (1 - mdp.gamma), rtol=1e-13)
        assert sol.error_bound >= np.max(np.abs(sol.V - c / (1 - mdp.gamma)))
