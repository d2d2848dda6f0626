"""CSR models (rlth.models.sparse): every solver equals its dense counterpart, certificates hold.

Properties on hypothesis models (rlth.testing strategies with ``sparse=True``: one state, one
action, one-successor rows, stage-dependent and mixed stationarity, zero and tied rewards):
backward induction, policy evaluation, occupancy, value iteration, policy iteration, both LPs
and the Bellman residual agree with the dense route to 1e-12 (relative to the value scale), and
the rlth.testing assertion helpers (which recompute backups with scipy, no rlth solver code)
accept the sparse solutions.
"""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from rlth.instances import chain, gridworld, random_mdp, riverswim, sparse_garnet_rows
from rlth.models import (DiscountedMDP, FiniteHorizonMDP, SparseDiscountedMDP,
                         SparseFiniteHorizonMDP, sparse_mdp_from_function, sparse_mdp_from_table,
                         to_sparse)
from rlth.solvers.dp import (backward_induction, bellman_residual, evaluate_policy,
                             policy_iteration, value_iteration)
from rlth.solvers.lp import solve_finite_horizon_lp, solve_lp
from rlth.solvers.occupancy import concentrability, occupancy
from rlth.testing.mdp import (assert_bellman_optimal, assert_occupancy_valid,
                              assert_policy_value, discounted_mdps, finite_horizon_mdps,
                              stochastic_policies)

TOL = 1e-12


def _close(a, b, scale=1.0):
    assert np.max(np.abs(np.asarray(a) - np.asarray(b)), initial=0.0) <= TOL * max(1.0, scale)


@settings(max_examples=60, deadline=None)
@given(finite_horizon_mdps(n_states=(1, 5), n_actions=(1, 3), horizon=(1, 4)), st.data())
def test_finite_horizon_solvers_equal_dense(mdp, data):
    sm = to_sparse(mdp)
    a, b = backward_induction(mdp), backward_induction(sm)
    scale = float(np.max(np.abs(a.V)))
    _close(a.V, b.V, scale)
    _close(a.Q, b.Q, scale)
    # the policies agree wherever the maximum is unique beyond rounding
    gap = np.sort(a.Q, axis=-1)
    clear = gap[..., -1] - (gap[..., -2] if mdp.n_actions > 1 else -np.inf) > 1e-9
    assert np.array_equal(a.pi[clear], b.pi[clear])
    assert b.bellman_residual <= 1e-12 * max(1.0, scale)
    assert_bellman_optimal(sm, b, atol=1e-10)
    pi = data.draw(stochastic_policies(mdp.n_states, mdp.n_actions, mdp.horizon))
    ea, eb = evaluate_policy(mdp, pi), evaluate_policy(sm, pi)
    _close(ea.V, eb.V, scale)
    assert_policy_value(sm, pi, eb.V, atol=1e-10)
    _close(occupancy(mdp, pi), occupancy(sm, pi))
    assert_occupancy_valid(sm, pi, occupancy(sm, pi))
    _close(bellman_residual(mdp, a.V), bellman_residual(sm, a.V), scale)
    _close(solve_finite_horizon_lp(sm).V, a.V, 1e6 * max(1.0, scale))   # LP accuracy ~1e-7


@settings(max_examples=40, deadline=None)
@given(discounted_mdps(n_states=(1, 5), n_actions=(1, 3), gamma=(0.0, 0.95)), st.data())
def test_discounted_solvers_equal_dense(mdp, data):
    sm = to_sparse(mdp)
    a, b = policy_iteration(mdp), policy_iteration(sm)
    scale = float(np.max(np.abs(a.V))) / (1 - mdp.gamma)
    _close(a.V, b.V, scale)
    assert b.error_bound <= 1e-10 * max(1.0, scale)
    assert_bellman_optimal(sm, b, atol=1e-9)
    va, vb = value_iteration(mdp), value_iteration(sm)
    _close(va.V, vb.V, scale * 1e2)             # both within their error bounds of V*
    assert np.max(np.abs(vb.V - b.V)) <= vb.error_bound + b.error_bound
    lp = solve_lp(sm)
    assert np.max(np.abs(lp.V - b.V)) <= lp.error_bound + b.error_bound
    pi = data.draw(stochastic_policies(mdp.n_states, mdp.n_actions))
    _close(evaluate_policy(mdp, pi).V, evaluate_policy(sm, pi).V, scale * 1e2)
    assert_policy_value(sm, pi, evaluate_policy(sm, pi).V, atol=1e-9)
    _close(occupancy(mdp, pi), occupancy(sm, pi), 1e2)
    assert concentrability(sm, pi, pi) == pytest.approx(1.0)


def test_costs_reach_the_sparse_maximum_from_minus_infinity():
    """Negative rewards only: a max kernel started at 0 instead of -inf would return 0."""
    m = random_mdp(30, 3, horizon=6, rng=4, branching=3, sparse=True)
    costs = SparseFiniteHorizonMDP(m.P_matrix(0), -np.asarray(m.R_stages[0]) - 1.0, m.rho,
                                   horizon=6, reward_range=(-2.0, 0.0))
    sol = backward_induction(costs)
    assert sol.value < -6.0 and np.all(sol.V[:-1] < 0)
    _close(sol.V, backward_induction(costs.to_dense()).V, 12.0)
    d = random_mdp(30, 3, gamma=0.9, rng=5, branching=3, sparse=True)
    neg = SparseDiscountedMDP(d.P_matrix(), -np.asarray(d.R) - 1.0, 0.9, reward_range=(-2, 0))
    vi = value_iteration(neg)
    assert np.all(vi.V < -9.9)
    assert np.max(np.abs(vi.V - policy_iteration(neg.to_dense()).V)) <= vi.error_bound + 1e-12


def test_stage_dependent_transitions_with_stationary_rewards_and_reverse():
    rng = np.random.default_rng(0)
    Ps = [sparse_garnet_rows(8, 4, 2, rng=rng) for _ in range(3)]
    R = rng.random((4, 2))
    m = SparseFiniteHorizonMDP(Ps, R, horizon=3)
    dense = m.to_dense()
    assert not m.is_stationary and m.n_p_stages == 3 and dense.P_stages.shape[0] == 3
    _close(backward_induction(m).V, backward_induction(dense).V, 3.0)
    m2 = SparseFiniteHorizonMDP(Ps[0], rng.random((5, 4, 2)))
    assert m2.horizon == 5 and m2.n_p_stages == 1
    _close(backward_induction(m2).V, backward_induction(m2.to_dense()).V, 5.0)


@pytest.mark.parametrize("build", [
    lambda sparse: gridworld(5, 6, horizon=7, slip=0.2, pit=(2, 2), walls=[(1, 3)],
                             sparse=sparse),
    lambda sparse: chain(9, horizon=12, slip=0.1, sparse=sparse),
    lambda sparse: riverswim(7, gamma=0.95, sparse=sparse),
])
def test_sparse_instances_equal_their_dense_builders(build):
    a, b = build(False), build(True)
    assert np.array_equal(b.to_dense().P, a.P) and np.array_equal(b.to_dense().R, a.R)
    assert np.array_equal(b.rho, a.rho)


def test_sparse_garnet_has_the_garnet_law():
    """k distinct successors per row, weights summing to 1, successors uniform over states."""
    M = sparse_garnet_rows(20000, 10, 3, rng=1)
    nnz = np.diff(M.indptr)
    assert nnz.max() <= 3 and np.allclose(M.sum(axis=1), 1.0, atol=1e-12)
    # P(a given state is a successor of a row) = 3/10; rows with a zero gap lose one entry,
    # which has probability 0 in exact arithmetic: here none
    assert (nnz == 3).all()
    freq = np.bincount(M.indices, minlength=10) / 20000
    # binomial(20000, 0.3) per state: sd 0.0032; 6 sd bound, Bonferroni over 10: < 2e-8
    assert np.max(np.abs(freq - 0.3)) < 6 * np.sqrt(0.3 * 0.7 / 20000)
    # weights of a row: gaps of 2 sorted uniforms, so each has mean 1/3
    assert abs(M.data.mean() - 1 / 3) < 1e-12 + 6 * np.sqrt(1 / 18 / M.data.size)


def test_constructors_from_function_and_gymnasium_table():
    m = sparse_mdp_from_function(4, 2, lambda s, a: [(0.5, (s + a) % 4), (0.5, (s + a) % 4),
                                                     ], np.zeros((4, 2)), gamma=0.5)
    assert m.nnz == 8 and np.allclose(m.P_matrix().sum(axis=1), 1.0)
    table = {0: {0: [(0.7, 1, 1.0, False), (0.3, 2, 0.0, True)], 1: [(1.0, 0, 0.0, False)]},
             1: {0: [(1.0, 1, 0.5, False)], 1: [(1.0, 2, 0.0, True)]},
             2: {0: [(1.0, 2, 0.0, True)], 1: [(1.0, 2, 0.0, True)]}}
    t = sparse_mdp_from_table(table, horizon=3)
    assert t.R_stages[0].tolist() == [[0.7, 0.0], [0.5, 0.0], [0.0, 0.0]]
    assert t.P_matrix().toarray()[2 * 2 + 0].tolist() == [0.0, 0.0, 1.0]   # terminal absorbs


def test_a_million_state_model_is_built_sparse_and_the_dense_one_is_refused():
    with pytest.raises(ValueError, match="n_rows.*sparse=True"):
        gridworld(1000, 1000, horizon=5)
    with pytest.raises(ValueError, match="n_states.*sparse=True"):
        random_mdp(10**6, 4, horizon=5, branching=3)
    with pytest.raises(ValueError, match="n_states.*sparse=True"):
        chain(10**6, horizon=5)
    g = chain(10**6, horizon=3, sparse=True)
    assert g.nbytes < 100e6
    sol = backward_induction(g, certify=False)
    assert sol.V[0, 0] == 0.0 and sol.V[0, -1] == 3.0


@pytest.mark.parametrize("kw, match", [
    (dict(P=np.eye(2)), "P: expected a scipy.sparse"),
    (dict(P=sp.csr_matrix(np.array([[0.5, 0.4], [0.0, 1.0]]))), "P: row"),
    (dict(P=sp.csr_matrix(np.array([[1.5, -0.5], [0.0, 1.0]]))), "P: contains negative"),
    (dict(P=sp.csr_matrix(np.array([[np.nan, 1.0], [0.0, 1.0]]))), "P: contains non-finite"),
    (dict(P=sp.csr_matrix(np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]))), "P: shape"),
    (dict(P=sp.csr_matrix(np.array([[1 + 0j, 0], [0, 1]]))), "P: complex"),
    (dict(R=np.full((2, 1), 2.0)), "R"),
    (dict(R=np.zeros((3, 1))), "R: trailing shape"),
    (dict(rho=[0.5, 0.6]), "rho"),
    (dict(horizon=0), "horizon"),
    (dict(horizon=None), "horizon: required"),
    (dict(P=[]), "P: the sequence of stages is empty"),
])
def test_bad_input_names_the_argument(kw, match):
    args = dict(P=sp.csr_matrix(np.eye(2)), R=np.zeros((2, 1)), horizon=3)
    args.update(kw)
    with pytest.raises(ValueError, match=match):
        SparseFiniteHorizonMDP(**args)


def test_bad_input_discounted_and_builders():
    with pytest.raises(ValueError, match="gamma"):
        SparseDiscountedMDP(sp.csr_matrix(np.eye(2)), np.zeros((2, 1)), 1.0)
    with pytest.raises(ValueError, match="sparse: a sparse random MDP needs branching"):
        random_mdp(5, 2, horizon=3, sparse=True)
    with pytest.raises(ValueError, match="sparse: expected a bool"):
        chain(5, horizon=3, sparse="yes")
    with pytest.raises(ValueError, match="transition"):
        sparse_mdp_from_function(2, 1, lambda s, a: [(1.0, 7)], np.zeros((2, 1)), horizon=2)
    with pytest.raises(ValueError, match="table"):
        sparse_mdp_from_table({0: {0: [(1.0, 0)]}}, horizon=2)
    with pytest.raises(ValueError, match="mdp"):
        to_sparse("not a model")
    with pytest.raises(ValueError, match="h: must lie"):
        chain(3, horizon=2, sparse=True).P_matrix(5)


def test_dense_and_sparse_types_are_distinct_and_conversion_round_trips():
    m = random_mdp(6, 2, horizon=3, rng=0, stationary=False)
    s = to_sparse(m)
    assert isinstance(s, SparseFiniteHorizonMDP) and isinstance(s.to_dense(), FiniteHorizonMDP)
    assert np.array_equal(s.to_dense().P, m.P)
    d = random_mdp(6, 2, gamma=0.8, rng=0)
    assert isinstance(to_sparse(d).to_dense(), DiscountedMDP)
    assert np.array_equal(to_sparse(d).to_dense().P, d.P)


def test_large_models_take_the_iterative_route_and_keep_their_certificates():
    """Above DIRECT_MAX_STATES policy evaluation uses BiCGSTAB and the occupancy's transposed
    system falls back to the fixed-point iteration when BiCGSTAB breaks down (it does on this
    instance); both stay exact to their stated error."""
    from rlth.solvers._sparse import DIRECT_MAX_STATES
    S = DIRECT_MAX_STATES + 1000
    m = random_mdp(S, 3, gamma=0.99, rng=0, branching=4, sparse=True)
    pi = policy_iteration(m)
    vi = value_iteration(m, tol=1e-9)
    assert pi.error_bound < 1e-9
    assert np.max(np.abs(pi.V - vi.V)) <= pi.error_bound + vi.error_bound
    assert np.array_equal(pi.pi, vi.pi) or np.max(np.abs(pi.V - vi.V)) < 1e-9
    d = occupancy(m, pi.pi)
    assert_occupancy_valid(m, pi.pi, d, atol=1e-10)
    ev = evaluate_policy(m, pi.pi)
    assert ev.bellman_residual < 1e-10 and abs(ev.value - pi.value) < 1e-9


def _both_layouts(build, monkeypatch):
    """The same model built twice: int32 index arrays (the default at these sizes) and int64
    ones (the layout every model had before int32 was introduced), by lowering the int32 limit."""
    import rlth.models.sparse as msp
    narrow = build()
    with monkeypatch.context() as mp:
        mp.setattr(msp, "_INDEX32_MAX", 0)
        wide = build()
    return narrow, wide


@pytest.mark.parametrize("build", [
    lambda: random_mdp(40, 3, horizon=6, rng=1, branching=3, stationary=False, sparse=True),
    lambda: gridworld(6, 7, horizon=5, slip=0.2, sparse=True),
    # rows long enough for the compiler to vectorise the sum into partial sums
    lambda: random_mdp(300, 3, horizon=5, rng=1, branching=64, sparse=True),
])
def test_int32_and_int64_index_layouts_give_bit_identical_solutions(build, monkeypatch):
    """The kernels are specialised on the index dtype by numba, one source: every solver must
    return the same bits on either layout (the sums run in the same order), and scipy shares the
    int32 arrays (``P_matrix`` copies nothing)."""
    narrow, wide = _both_layouts(build, monkeypatch)
    assert narrow.indices.dtype == np.int32 and narrow.indptr.dtype == np.int32
    assert wide.indices.dtype == np.int64 and wide.indptr.dtype == np.int64
    assert np.array_equal(narrow.indices, wide.indices)
    assert np.array_equal(narrow.indptr, wide.indptr)
    assert np.array_equal(narrow.data, wide.data)
    assert narrow.nbytes == wide.nbytes - 4 * (narrow.indices.size + narrow.indptr.size)
    if narrow.n_p_stages == 1:      # scipy copies a stage that is a small view of all stages
        P = narrow.P_matrix(0)
        assert np.shares_memory(P.indices, narrow.indices)
        assert np.shares_memory(P.data, narrow.data)
    a, b = backward_induction(narrow), backward_induction(wide)
    for x, y in ((a.V, b.V), (a.Q, b.Q), (a.pi, b.pi)):
        assert np.array_equal(x, y)
    assert a.bellman_residual == b.bellman_residual
    pi = np.full((narrow.horizon, narrow.n_states, narrow.n_actions), 1.0 / narrow.n_actions)
    assert np.array_equal(evaluate_policy(narrow, pi).V, evaluate_policy(wide, pi).V)
    assert np.array_equal(occupancy(narrow, pi), occupancy(wide, pi))
    assert np.array_equal(narrow.to_dense().P, wide.to_dense().P)


def test_int32_and_int64_layouts_discounted_value_iteration_identical(monkeypatch):
    narrow, wide = _both_layouts(
        lambda: random_mdp(300, 4, gamma=0.9, rng=2, branching=4, sparse=True), monkeypatch)
    assert narrow.indices.dtype == np.int32 and wide.indices.dtype == np.int64
    a, b = value_iteration(narrow, tol=1e-10), value_iteration(wide, tol=1e-10)
    assert a.n_iter == b.n_iter and np.array_equal(a.V, b.V) and np.array_equal(a.pi, b.pi)
    assert np.array_equal(policy_iteration(narrow).V, policy_iteration(wide).V)


def test_index_dtype_follows_the_values_it_must_hold(monkeypatch):
    """int32 exactly when the largest value fits: ``indices`` by the number of states,
    ``indptr`` by the number of stored transitions (checked at a lowered limit)."""
    import rlth.models.sparse as msp
    monkeypatch.setattr(msp, "_INDEX32_MAX", 20)
    m = random_mdp(20, 2, horizon=2, rng=0, branching=1, sparse=True)   # S = 20, nnz = 40
    assert m.indices.dtype == np.int32 and m.indptr.dtype == np.int64
    m = random_mdp(21, 1, horizon=2, rng=0, branching=1, sparse=True)   # S = 21 > 20
    assert m.indices.dtype == np.int64 and m.indptr.dtype == np.int64
    m = random_mdp(10, 2, horizon=2, rng=0, branching=1, sparse=True)   # nnz = 20
    assert m.indices.dtype == np.int32 and m.indptr.dtype == np.int32


def _solve_all(m, pi):
    """Every CSR solver route, as arrays (finite horizon) for the flavour comparison."""
    from rlth.solvers.dp import optimal_value
    bi = backward_induction(m)
    ev = evaluate_policy(m, pi)
    return [bi.V, bi.Q, bi.pi, bi.bellman_residual, optimal_value(m), ev.V, ev.Q,
            bellman_residual(m, ev.V, pi), bellman_residual(m, bi.V * 0.5)]


@pytest.mark.parametrize("build", [
    # three blocks of BLOCK states, the last one partial, stage-dependent transitions
    lambda: random_mdp(2 * 4096 + 123, 2, horizon=3, rng=3, branching=3, stationary=False,
                       sparse=True),
    lambda: gridworld(9, 11, horizon=4, slip=0.3, sparse=True),          # one partial block
    lambda: random_mdp(4096 + 5, 2, horizon=2, rng=2, branching=64, sparse=True),  # long rows
    lambda: random_mdp(1, 1, horizon=2, rng=0, branching=1, sparse=True),  # one state
])
def test_threaded_drivers_return_the_bits_of_the_serial_ones(build, monkeypatch):
    """Each state's backup reads only the previous stage and the per-block maxima are folded in
    block order, so spreading the blocks over threads must change no bit of any solver."""
    import rlth._kernels.csr as KC
    m = build()
    assert KC.BLOCK == 4096
    pi = np.random.default_rng(0).dirichlet(np.ones(m.n_actions),
                                            size=(m.horizon, m.n_states))
    got = {}
    for flavour in (KC.SERIAL, KC.THREADED):
        with monkeypatch.context() as mp:
            mp.setattr(KC, "drivers_for", lambda n_rows, f=flavour: f)
            got[flavour] = _solve_all(m, pi)
    for x, y in zip(got[KC.SERIAL], got[KC.THREADED]):
        assert np.array_equal(x, y)
    # and right, across block boundaries: scipy recomputes every backup (no rlth kernel)
    V, Q, pi_star = got[KC.SERIAL][:3]
    assert_bellman_optimal(m, (V, Q, pi_star), atol=1e-12)
    assert_policy_value(m, pi, got[KC.SERIAL][5], atol=1e-12)


def test_threaded_value_iteration_and_backup_equal_serial(monkeypatch):
    import rlth._kernels.csr as KC
    m = random_mdp(4096 + 57, 3, gamma=0.9, rng=4, branching=4, sparse=True)
    got = {}
    for flavour in (KC.SERIAL, KC.THREADED):
        with monkeypatch.context() as mp:
            mp.setattr(KC, "drivers_for", lambda n_rows, f=flavour: f)
            sol = value_iteration(m, tol=1e-9)
            got[flavour] = (sol.n_iter, sol.V, sol.Q, sol.pi, sol.error_bound,
                            bellman_residual(m, sol.V))
    a, b = got[KC.SERIAL], got[KC.THREADED]
    assert a[0] == b[0] and all(np.array_equal(x, y) for x, y in zip(a[1:], b[1:]))
    exact = policy_iteration(m)                   # sparse linear solves, no VI kernel
    assert np.max(np.abs(a[1] - exact.V)) <= a[4] + exact.error_bound


def test_drivers_are_threaded_by_stage_size_and_numba_thread_count():
    """Threaded from THREADED_MIN_ROWS rows per stage when numba may use more than one thread;
    serial below it, and serial when the caller set one thread (as a sweep's workers do)."""
    import numba

    import rlth._kernels.csr as KC
    from rlth.solvers.dp import optimal_value
    big = KC.THREADED_MIN_ROWS
    assert KC.drivers_for(big - 1) is KC.SERIAL
    n = numba.get_num_threads()
    if n > 1:
        assert KC.drivers_for(big) is KC.THREADED
    try:
        numba.set_num_threads(1)
        assert KC.drivers_for(big) is KC.SERIAL
    finally:
        numba.set_num_threads(n)
    m = random_mdp(big // 4, 4, horizon=2, rng=5, branching=2, sparse=True)  # on the threshold
    args = (m.indptr, m.indices, m.data, m.R_stages, m.horizon, m.rho)
    serial, threaded = KC.SERIAL.backward_values(*args), KC.THREADED.backward_values(*args)
    assert optimal_value(m) == serial == threaded


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_kernel_certificates_of_a_non_finite_value_are_nan_as_the_dense_ones(bad):
    """A NaN difference, or inf - inf, must not vanish from the sup norm (numba's max(0, nan) is
    0). The public solvers refuse a non-finite V, so this is the kernels' own contract, shared
    with the dense certificate (rlth._kernels.dp.fh_residual_kernel): NaN on either flavour,
    whichever stage holds it."""
    import rlth._kernels.csr as KC
    from rlth._kernels.dp import fh_residual_kernel
    d = random_mdp(6, 2, horizon=3, rng=0, branching=2)
    sm = to_sparse(d)
    pi = np.full((d.horizon, d.n_states, d.n_actions), 0.5)
    for h, s in ((1, 2), (0, 5)):
        V = backward_induction(d).V.copy()
        V[h, s] = bad
        if bad == np.inf:              # inf - inf in the backup of the stage before
            V[h - 1 if h else 0, :] = np.inf if h else V[0, :]
        dense = fh_residual_kernel(d.P_stages, d.R_stages, V)
        assert np.isnan(dense) or (bad == np.inf and h == 0)
        for flavour in (KC.SERIAL, KC.THREADED):
            for use_pi in (False, True):
                got = flavour.fh_residual(sm.indptr, sm.indices, sm.data, sm.R_stages,
                                          sm.horizon, V, pi, use_pi)
                assert np.isnan(got) == np.isnan(dense), (flavour, use_pi, got, dense)
