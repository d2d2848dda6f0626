"""Certificates at the rounding floor (issue 17 item 10): every discounted ``error_bound``
includes the rounding term of its own computation, checked against exact rational references.

References are exact: the float model's entries are converted to ``fractions.Fraction``
(exactly), and V* of that rational model is found by exact policy iteration with Gaussian
elimination over the rationals, so the measured error ``||V - V*||_inf`` has no rounding of its
own (one final conversion to float, relative error <= 2**-53).
"""
from fractions import Fraction

import numpy as np
import pytest

from rlth.instances import random_mdp
from rlth.models import DiscountedMDP
from rlth.reference import solve_rational
from rlth.solvers import lp as lp_mod
from rlth.solvers.dp import (backup_rounding, policy_iteration,
                             value_iteration)
from rlth.solvers.lp import LPSolverError, solve_lp

U = np.finfo(float).eps / 2


def exact_v_star(mdp, pi0):
    """V* of the rational model with exactly the float entries of ``mdp`` (exact PI from pi0)."""
    S, A = mdp.n_states, mdp.n_actions
    P = [[[Fraction(float(x)) for x in mdp.P[s, a]] for a in range(A)] for s in range(S)]
    R = [[Fraction(float(mdp.R[s, a])) for a in range(A)] for s in range(S)]
    g = Fraction(float(mdp.gamma))
    pi = [int(a) for a in pi0]
    for _ in range(100):
        M = [[(1 if s == t else 0) - g * P[s][pi[s]][t] for t in range(S)] for s in range(S)]
        V = solve_rational(M, [R[s][pi[s]] for s in range(S)])
        Q = [[R[s][a] + g * sum(P[s][a][t] * V[t] for t in range(S)) for a in range(A)]
             for s in range(S)]
        new = [max(range(A), key=lambda a: (Q[s][a], a == pi[s])) for s in range(S)]
        if all(Q[s][new[s]] <= Q[s][pi[s]] for s in range(S)):
            return V
        pi = new
    raise AssertionError("exact policy iteration did not stabilise")


def exact_error(V, V_star):
    return float(max(abs(Fraction(float(v)) - w) for v, w in zip(V, V_star)))


def _models():
    base = random_mdp(3, 2, gamma=0.9, rng=11)
    out = []
    for gamma in (0.9, 0.999, 0.9999):
        for scale in (1.0, 1e12):
            out.append(DiscountedMDP(base.P, base.R * scale, gamma,
                                     reward_range=(0.0, scale)))
    return out


@pytest.mark.parametrize("mdp", _models(), ids=lambda m: f"g{m.gamma}-R{m.R.max():.0e}")
def test_error_bounds_hold_against_exact_references(mdp):
    """Every solver's error_bound bounds the exact error, and is never 0 where rounding cannot
    be ruled out.  Before: rewards of 1e12 or gamma = 0.9999 gave error_bound 0.0 (or a
    residual-only bound) below the true error."""
    pi_sol = policy_iteration(mdp)
    V_star = exact_v_star(mdp, pi_sol.pi)
    # 4x the rounding floor at the values reached (||V*|| <= ||R|| / (1 - gamma))
    v_max = np.full(3, mdp.R.max() / (1 - mdp.gamma))
    tol = 4 * backup_rounding(mdp, v_max) / (1 - mdp.gamma)
    sols = {"pi": pi_sol, "vi": value_iteration(mdp, tol=tol, max_iter=10 ** 6),
            "lp": solve_lp(mdp)}
    for name, sol in sols.items():
        err = exact_error(sol.V, V_star)
        assert sol.error_bound > 0.0, name
        assert err <= sol.error_bound, (name, err, sol.error_bound)
        rho = backup_rounding(mdp, sol.V, sol.bellman_residual)
        if name != "vi":
            assert sol.error_bound == (sol.bellman_residual + rho) / (1 - mdp.gamma)
        # the rounding term is a small multiple of u ||V|| / (1 - gamma), never far above
        assert rho <= 2 * (3 + 3) * U * (mdp.R.max() + mdp.gamma * np.abs(sol.V).max()) * 1.01 \
            + 2 * U * sol.bellman_residual


def test_bellman_residual_alone_is_not_a_certificate_at_the_floor():
    """Policy iteration with rewards of 1e12: the computed residual of its values is exactly 0,
    the exact error is 4.3e-3; the old error_bound (residual / (1 - gamma)) was 0.0."""
    base = random_mdp(3, 2, gamma=0.9, rng=11)
    mdp = DiscountedMDP(base.P, base.R * 1e12, 0.9, reward_range=(0.0, 1e12))
    sol = policy_iteration(mdp)
    err = exact_error(sol.V, exact_v_star(mdp, sol.pi))
    assert sol.bellman_residual == 0.0 and err > 1e-3
    assert err <= sol.error_bound <= 100 * err


@pytest.mark.parametrize("tol", [1e-300, 1e-20, 0.5e-15])
def test_value_iteration_tol_below_floor_raises(tol):
    mdp = random_mdp(4, 2, gamma=0.9, rng=0)
    with pytest.raises(ValueError, match=r"^tol: .*floor"):
        value_iteration(mdp, tol=tol)


def test_value_iteration_tol_below_floor_of_large_rewards_raises():
    base = random_mdp(4, 2, gamma=0.9, rng=0)
    mdp = DiscountedMDP(base.P, base.R * 1e12, 0.9, reward_range=(0.0, 1e12))
    with pytest.raises(ValueError, match=r"^tol: .*floor"):
        value_iteration(mdp, tol=1e-10)                # explicit 1e-10 on values ~1e13
    assert value_iteration(mdp, tol=10.0).error_bound <= 10.0


def test_value_iteration_default_tol_rises_to_the_floor_and_is_still_certified():
    """The default never raises for want of precision: it certifies 1e-10 when the model allows
    it, else twice the rounding floor, and the bound holds against the exact solution."""
    base = random_mdp(4, 2, gamma=0.9, rng=0)
    for scale in (1.0, 1e12):
        mdp = DiscountedMDP(base.P, base.R * scale, 0.9, reward_range=(0.0, scale))
        sol = value_iteration(mdp)
        exact = policy_iteration(mdp)
        assert np.max(np.abs(sol.V - exact.V)) <= sol.error_bound + exact.error_bound
        if scale == 1.0:
            assert sol.error_bound <= 1e-10
        else:
            assert sol.error_bound > 1e-10          # 1e-10 is not attainable at 1e13


def test_value_iteration_floor_reached_after_converging_raises():
    """An a-priori feasible tol that the values reached make infeasible: ||V|| >> ||R||."""
    S = 2
    P = np.zeros((S, 1, S))
    P[:, 0, 0] = 1.0
    R = np.array([[1.0], [1.0]])
    mdp = DiscountedMDP(P, R, 0.9999)
    floor0 = backup_rounding(mdp, np.zeros(S)) / (1 - mdp.gamma)
    reached = backup_rounding(mdp, np.full(S, 1e4)) / (1 - mdp.gamma)
    assert floor0 < 3 * floor0 < reached
    with pytest.raises(ValueError, match=r"^tol: .*floor"):
        value_iteration(mdp, tol=3 * floor0, max_iter=10 ** 6)


def test_value_iteration_gamma_zero_is_exact():
    mdp = DiscountedMDP(np.full((3, 2, 3), 1 / 3), np.arange(6.0).reshape(3, 2) / 6, 0.0)
    vi = value_iteration(mdp, tol=1e-300)
    assert vi.error_bound == 0.0 and vi.n_iter == 1


def _near_tie_mdp(gamma, delta):
    """State 0: action 0 -> absorbing state 1 (reward 1), action 1 -> absorbing state 2 (reward
    1 - delta (1 - gamma)): V*(1) - V*(2) = delta, Q*(0, 0) - Q*(0, 1) = gamma delta."""
    P = np.zeros((3, 2, 3))
    P[0, 0, 1] = P[0, 1, 2] = 1.0
    P[1, :, 1] = P[2, :, 2] = 1.0
    R = np.array([[0.0, 0.0], [1.0, 1.0], [1.0 - delta * (1 - gamma)] * 2])
    return DiscountedMDP(P, R, gamma)


def test_lp_acceptance_does_not_loosen_as_gamma_goes_to_one(monkeypatch):
    """A 'successful' LP point whose greedy policy is not optimal and whose Bellman residual
    (1e-3) passes the old residual test 1e-6 (1 + ||V||) = 1e-2 at gamma = 0.9999 is rejected:
    its error bound is residual / (1 - gamma) ~ 10."""
    gamma, delta = 0.9999, 1e-3
    mdp = _near_tie_mdp(gamma, delta)
    ref = policy_iteration(mdp)
    assert ref.pi[0] == 0
    V = ref.V.copy()
    V[2] += 2 * delta                        # makes action 1 greedy in state 0 (non-optimal)

    class _Res:
        status, message, nit = 0, "fake", 0
        x = V

    monkeypatch.setattr(lp_mod, "linprog", lambda *a, **k: _Res())
    with pytest.raises(LPSolverError, match="rejected"):
        solve_lp(mdp)
    monkeypatch.undo()
    sol = solve_lp(mdp)
    assert sol.pi[0] == 0
    assert sol.error_bound <= 1e-6 * (1 + np.abs(sol.V).max())


def test_policy_loss_bound_certifies_the_policy():
    """The policy certificate used by the LP acceptance: exact for the optimal policy, at
    least the true loss for a non-optimal one, however close the values are."""
    mdp = _near_tie_mdp(0.9999, 1e-3)
    good = lp_mod._policy_loss_bound(mdp, np.array([0, 0, 0]))
    bad = lp_mod._policy_loss_bound(mdp, np.array([1, 0, 0]))
    assert good <= 1e-6       # the rounding term at ||V|| = 1e4, gamma = 0.9999: ~9e-8
    V_star = policy_iteration(mdp).V
    assert bad >= V_star[0] - (0.9999 * V_star[2]) - 1e-9      # the true loss gamma * delta
