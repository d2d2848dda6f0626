"""LP oracles: agreement with DP and between solvers, and refusal to return garbage."""
import numpy as np
import pytest
from hypothesis import given, settings

from rlth.instances import puterman_two_state, random_mdp
from rlth.solvers import lp as lp_mod
from rlth.solvers.dp import backup_rounding, backward_induction, policy_iteration
from rlth.solvers.lp import LPSolverError, solve_finite_horizon_lp, solve_lp
from rlth.testing.mdp import assert_bellman_optimal, discounted_mdps, finite_horizon_mdps


@given(discounted_mdps(n_states=(1, 5), n_actions=(1, 3), gamma=(0.0, 0.99)))
def test_discounted_lp_equals_policy_iteration(mdp):
    sol = solve_lp(mdp)
    ref = policy_iteration(mdp)
    # HiGHS is accurate to its feasibility tolerance (~1e-7), not to 1e-8: the LP and PI values
    # agree within the sum of their certified error bounds, and the LP's bound is within the
    # acceptance limit 1e-6 (1 + ||V||) that solve_lp enforces
    err = np.max(np.abs(sol.V - ref.V))
    assert err <= sol.error_bound + ref.error_bound
    assert sol.error_bound <= 1e-6 * (1.0 + np.max(np.abs(sol.V)))
    assert abs(sol.value - ref.value) <= sol.error_bound + ref.error_bound
    rho = backup_rounding(mdp, sol.V, sol.bellman_residual)
    assert sol.error_bound == (sol.bellman_residual + rho) / (1 - mdp.gamma)
    assert_bellman_optimal(mdp, sol, atol=2 * sol.bellman_residual + 1e-12)


@settings(max_examples=30)
@given(finite_horizon_mdps(n_states=(1, 5), n_actions=(1, 3), horizon=(1, 6)))
def test_finite_horizon_lp_equals_backward_induction(mdp):
    sol = solve_finite_horizon_lp(mdp)
    ref = backward_induction(mdp)
    np.testing.assert_allclose(sol.V, ref.V, atol=1e-8, rtol=0)
    assert sol.value == pytest.approx(ref.value, abs=1e-8)
    assert sol.bellman_residual <= 1e-8
    assert_bellman_optimal(mdp, sol, atol=1e-8)


@pytest.mark.parametrize("cvxpy_solver", ["CLARABEL", "HIGHS", "clarabel"])
def test_cvxpy_second_opinion(cvxpy_solver):
    mdp = random_mdp(12, 3, gamma=0.9, rng=5)
    ref = policy_iteration(mdp)
    sol = solve_lp(mdp, "cvxpy", cvxpy_solver=cvxpy_solver)
    np.testing.assert_allclose(sol.V, ref.V, atol=1e-6, rtol=0)
    np.testing.assert_array_equal(sol.pi, ref.pi)
    fh = random_mdp(4, 3, horizon=4, stationary=False, rng=6)
    np.testing.assert_allclose(solve_finite_horizon_lp(fh, "cvxpy", cvxpy_solver=cvxpy_solver).V,
                               backward_induction(fh).V, atol=1e-6, rtol=0)


def test_puterman_lp():
    sol = solve_lp(puterman_two_state())
    np.testing.assert_allclose(sol.V, [-8.571428571428571, -20.0], atol=1e-9)


def test_bad_solver_arguments():
    mdp = puterman_two_state()
    with pytest.raises(ValueError, match=r"^solver: "):
        solve_lp(mdp, "simplex")
    with pytest.raises(ValueError, match=r"^cvxpy_solver: .*SCS"):
        solve_lp(mdp, "cvxpy", cvxpy_solver="SCS")
    with pytest.raises(ValueError, match=r"^mdp: "):
        solve_lp(mdp.to_finite_horizon(3))
    with pytest.raises(ValueError, match=r"^mdp: "):
        solve_finite_horizon_lp(mdp)


class _Res:
    def __init__(self, status, x, message="fake"):
        self.status, self.x, self.message, self.nit = status, x, message, 0


def test_solver_failure_raises(monkeypatch):
    mdp = random_mdp(4, 2, gamma=0.9, rng=0)
    monkeypatch.setattr(lp_mod, "linprog", lambda *a, **k: _Res(2, None, "infeasible"))
    with pytest.raises(LPSolverError, match="status 2"):
        solve_lp(mdp)
    with pytest.raises(LPSolverError, match="status 2"):
        solve_finite_horizon_lp(mdp.to_finite_horizon(3))


def test_garbage_solution_is_rejected(monkeypatch):
    # a solver that claims success but returns a wrong point (OpenSpiel PR #1618's failure mode)
    mdp = random_mdp(4, 2, gamma=0.9, rng=0)
    monkeypatch.setattr(lp_mod, "linprog", lambda c, **k: _Res(0, np.zeros(c.shape[0])))
    with pytest.raises(LPSolverError, match="rejected"):
        solve_lp(mdp)
    with pytest.raises(LPSolverError, match="rejected"):
        solve_finite_horizon_lp(mdp.to_finite_horizon(3))
