"""rlth.testing assertion helpers take a solver's answer as it comes (issue 18).

A result object, a plain value array, a ``(V, Q, pi)`` tuple or a dict; a failed assertion says
which form it got; a shape that fits no form is a ValueError (never an AttributeError).  The first
tests follow the ``rlth.testing.mdp`` docstring literally with solvers written here in numpy.
"""
import numpy as np
import pytest
from hypothesis import given, settings

from rlth.instances import random_markov_game, rock_paper_scissors
from rlth.models.mdp import DiscountedMDP, FiniteHorizonMDP
from rlth.models.preference import PreferenceGame
from rlth.solvers.dp import backward_induction, evaluate_policy, value_iteration
from rlth.solvers.games import solve_markov_game, solve_matrix_game
from rlth.solvers.occupancy import occupancy
from rlth.solvers.preference import solve_regularized_nash
from rlth.testing.games import assert_equilibrium
from rlth.testing.mdp import (assert_bellman_optimal, assert_occupancy_valid, assert_policy_value,
                              discounted_mdps, finite_horizon_mdps)
from rlth.testing.preference import assert_regularized_nash

INNER = settings(max_examples=15, database=None, deadline=None, derandomize=True)


# ----------------------------------------------------------------------------- user solvers

def my_backward_induction(mdp, bug=False):
    """Plain V[H+1, S]; ``bug``: the backup reads V[h] instead of V[h+1] (off by one)."""
    V = np.zeros((mdp.horizon + 1, mdp.n_states))
    for h in range(mdp.horizon - 1, -1, -1):
        nxt = V[h] if bug else V[h + 1]
        V[h] = (mdp.R[h] + mdp.P[h] @ nxt).max(axis=1)
    return V


def my_value_iteration(mdp, bug=False, n_iter=1500):
    """Plain V[S]; ``bug``: discounts with gamma**2 instead of gamma."""
    g = mdp.gamma ** 2 if bug else mdp.gamma
    V = np.zeros(mdp.n_states)
    for _ in range(n_iter):
        V = (mdp.R + g * mdp.P @ V).max(axis=1)
    return V


def test_docstring_usage_with_a_correct_plain_array_solver():
    @INNER
    @given(finite_horizon_mdps())
    def test_my_solver(mdp):
        assert_bellman_optimal(mdp, my_backward_induction(mdp), atol=1e-9)

    @INNER
    @given(discounted_mdps())
    def test_my_discounted_solver(mdp):
        assert_bellman_optimal(mdp, my_value_iteration(mdp), atol=1e-9)

    test_my_solver()
    test_my_discounted_solver()


def _notes(exc):
    return "\n".join(getattr(exc, "__notes__", []))


def _shows_counterexample(exc, model):
    """Hypothesis notes the shrunk example ("Falsifying example:" / "Failing test case:")."""
    notes = _notes(exc)
    return (("Falsifying example: test_my_solver(" in notes
             or "Failing test case: test_my_solver(" in notes) and f"mdp={model}(" in notes)


def test_off_by_one_solver_fails_with_a_shrunk_counterexample():
    @INNER
    @given(finite_horizon_mdps())
    def test_my_solver(mdp):
        assert_bellman_optimal(mdp, my_backward_induction(mdp, bug=True), atol=1e-9)

    with pytest.raises(AssertionError) as info:
        test_my_solver()
    msg, notes = str(info.value), _notes(info.value)
    assert "got a V array of shape" in msg
    assert _shows_counterexample(info.value, "FiniteHorizonMDP"), notes
    assert "horizon=2" in notes                        # shrunk: H = 1 cannot show the bug


def test_wrong_discount_solver_fails_with_a_shrunk_counterexample():
    @INNER
    @given(discounted_mdps())
    def test_my_solver(mdp):
        assert_bellman_optimal(mdp, my_value_iteration(mdp, bug=True), atol=1e-9)

    with pytest.raises(AssertionError) as info:
        test_my_solver()
    assert "Bellman optimality violated" in str(info.value)
    assert "got a V array of shape (" in str(info.value)
    assert _shows_counterexample(info.value, "DiscountedMDP"), _notes(info.value)


# ----------------------------------------------------------------------------- fixtures

@pytest.fixture
def disc():
    P = np.array([[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [0.0, 1.0]]])
    return DiscountedMDP(P, np.array([[0.0, 0.0], [1.0, 1.0]]), gamma=0.5)


@pytest.fixture
def fh():
    rng = np.random.default_rng(3)
    P = rng.random((3, 4, 2, 4))
    return FiniteHorizonMDP(P / P.sum(-1, keepdims=True), rng.random((3, 4, 2)), horizon=3)


# ----------------------------------------------------------------------------- MDP forms

def test_bellman_optimal_accepts_every_form(disc, fh):
    for mdp, sol in ((disc, value_iteration(disc, tol=1e-14)), (fh, backward_induction(fh))):
        V, Q, pi = np.asarray(sol.V), np.asarray(sol.Q), np.asarray(sol.pi)
        assert_bellman_optimal(mdp, sol)                                  # result object
        assert_bellman_optimal(mdp, V)                                    # V array
        assert_bellman_optimal(mdp, V.tolist())                           # nested list
        assert_bellman_optimal(mdp, (V, Q, pi))                           # tuple
        assert_bellman_optimal(mdp, (V, None, None))
        assert_bellman_optimal(mdp, (None, Q, None))                      # V = max_a Q
        assert_bellman_optimal(mdp, {"V": V, "pi": pi})                   # dict
        assert_bellman_optimal(mdp, {"Q": Q})
        assert_bellman_optimal(mdp, {"V": V, "pi": np.eye(mdp.n_actions)[pi]})
    assert_bellman_optimal(fh, np.asarray(backward_induction(fh).V)[:-1])  # V[H, S]


def test_bellman_optimal_messages_name_the_form(disc, fh):
    sol = backward_induction(fh)
    bad = np.array(sol.V)
    bad[0, 1] += 0.1
    with pytest.raises(AssertionError, match=r"got a V array of shape \(4, 4\)"):
        assert_bellman_optimal(fh, bad)
    with pytest.raises(AssertionError, match=r"got a \(V, Q, pi\) tuple"):
        assert_bellman_optimal(fh, (bad, None, None))
    with pytest.raises(AssertionError, match=r"got a dict with keys \['Q', 'V'\]"):
        assert_bellman_optimal(fh, {"V": sol.V, "Q": np.asarray(sol.Q) + 0.1})
    with pytest.raises(AssertionError, match="V = max_a Q"):
        assert_bellman_optimal(fh, {"Q": np.asarray(sol.Q) + 0.1})
    with pytest.raises(AssertionError, match="pi is not greedy.*got a Wrong result"):
        class Wrong:                      # any object with the attributes
            V, pi = sol.V, 1 - np.asarray(sol.pi)
        assert_bellman_optimal(fh, Wrong())
    with pytest.raises(AssertionError, match=r"V\[H\] is not 0"):
        assert_bellman_optimal(fh, np.asarray(sol.V) + 1.0)
    with pytest.raises(AssertionError, match=r"got a V array of shape \(2,\)"):
        assert_bellman_optimal(disc, [0.0, 2.0])


@pytest.mark.parametrize("bad, match", [
    (np.zeros(3), r"solution: expected V of shape \(S,\) = \(2,\), got shape \(3,\)"),
    (np.zeros((2, 2)), "this is the shape of Q"),
    ((np.zeros(2), np.zeros(2)), "tuple must be \\(V, Q, pi\\).*length 2"),
    ((0.0, 1.0, 2.0), "ambiguous"),
    ({"V": np.zeros(2), "policy": 0}, "unknown key"),
    ({"pi": np.zeros(2, dtype=int)}, "needs V or Q"),
    ((np.zeros(2), np.zeros((2, 3)), None), r"expected Q of shape \(S, A\) = \(2, 2\)"),
    ((np.zeros(2), None, np.zeros(3, dtype=int)), "expected pi of shape"),
    ((np.zeros(2), None, np.array([0.5, 0.0])), "non-integer"),
    ((np.zeros(2), None, np.array([0, 2])), "actions must lie in 0..1"),
    (None, "got None"),
    ("V", "expected a result object"),
])
def test_bellman_optimal_value_errors_discounted(disc, bad, match):
    with pytest.raises(ValueError, match=match):
        assert_bellman_optimal(disc, bad)


def test_bellman_optimal_value_errors_finite_horizon(fh):
    for shape in [(4,), (5, 4), (3, 4, 2), (2, 4)]:
        with pytest.raises(ValueError, match=r"expected V of shape \(H\+1, S\) = \(4, 4\) or "
                                             r"\(H, S\) = \(3, 4\)"):
            assert_bellman_optimal(fh, np.zeros(shape))


def test_policy_value_accepts_every_form(disc, fh):
    for mdp in (disc, fh):
        lead = (mdp.n_states,) if mdp is disc else (mdp.horizon, mdp.n_states)
        pi = np.zeros(lead, dtype=np.int64)
        ev = evaluate_policy(mdp, pi)
        V, Q = np.asarray(ev.V), np.asarray(ev.Q)
        assert_policy_value(mdp, pi, ev)                           # result object
        assert_policy_value(mdp, pi, V)                            # V array
        assert_policy_value(mdp, pi, (V, Q, None))                 # tuple
        assert_policy_value(mdp, pi, (None, Q, None))              # V = sum_a pi Q
        assert_policy_value(mdp, None, (V, None, pi))              # pi from the tuple
        assert_policy_value(mdp, pi, {"V": V, "Q": Q})             # dict
        assert_policy_value(mdp, np.eye(mdp.n_actions)[pi], {"Q": Q})
        with pytest.raises(AssertionError, match="got a dict with keys"):
            assert_policy_value(mdp, pi, {"V": V + 0.5})
        with pytest.raises(AssertionError, match="Q differs.*got a Off result"):
            class Off:
                pass
            off = Off()
            off.V, off.Q = V, Q + 0.5
            assert_policy_value(mdp, pi, off)
        with pytest.raises(AssertionError, match="got a PolicyEvaluation result"):
            assert_policy_value(mdp, 1 - pi, ev)           # the value of another policy
    assert_policy_value(fh, np.zeros((3, 4), dtype=int),
                        np.asarray(evaluate_policy(fh, np.zeros((3, 4), dtype=int)).V)[:-1])
    with pytest.raises(ValueError, match="V: expected V of shape"):
        assert_policy_value(disc, np.zeros(2, dtype=int), np.zeros(5))
    with pytest.raises(ValueError, match="pi: expected pi of shape"):
        assert_policy_value(disc, np.zeros(5, dtype=int), np.zeros(2))
    with pytest.raises(ValueError, match="carries no pi"):
        assert_policy_value(disc, None, np.zeros(2))


def test_occupancy_shapes(disc, fh):
    for mdp in (disc, fh):
        lead = (mdp.n_states,) if mdp is disc else (mdp.horizon, mdp.n_states)
        pi = np.zeros(lead, dtype=np.int64)
        d = occupancy(mdp, pi)
        assert_occupancy_valid(mdp, pi, d, atol=1e-12)
        with pytest.raises(ValueError, match="d: expected an occupancy of shape"):
            assert_occupancy_valid(mdp, pi, np.asarray(d)[..., :1])
        with pytest.raises(ValueError, match="pi: expected pi of shape"):
            assert_occupancy_valid(mdp, np.zeros(7, dtype=int), d)


def test_no_attribute_error_anywhere(disc):
    for bad in (np.zeros(3), [1, 2, 3], (1.0, 2.0, 3.0), {"W": 1}, object(), "x"):
        with pytest.raises(ValueError):
            assert_bellman_optimal(disc, bad)
        with pytest.raises(ValueError):
            assert_policy_value(disc, np.zeros(2, dtype=int), bad)


# ----------------------------------------------------------------------------- games

def test_equilibrium_accepts_every_form_matrix_game():
    game = rock_paper_scissors()
    sol = solve_matrix_game(game)
    x, y = np.asarray(sol.x), np.asarray(sol.y)
    assert assert_equilibrium(game, x, y) <= 1e-12                      # two arrays
    assert assert_equilibrium(game, sol) <= 1e-12                       # result object
    assert assert_equilibrium(game.A, (x, y)) <= 1e-12                  # (x, y) tuple
    assert assert_equilibrium(game, {"x": x, "y": y}) <= 1e-12          # dict
    assert assert_equilibrium(game, (0.0, None, x, y)) <= 1e-12         # (V, Q, pi_max, pi_min)
    assert assert_equilibrium(game, 0.0) <= 1e-8                        # the value alone
    with pytest.raises(AssertionError, match=r"got a \(pi_max, pi_min\) tuple"):
        assert_equilibrium(game, ([1.0, 0.0, 0.0], y))
    with pytest.raises(AssertionError, match=r"not the value of the game.*got a value"):
        assert_equilibrium(game, 0.25)
    with pytest.raises(ValueError, match="value of a matrix game is a scalar"):
        assert_equilibrium(game, np.zeros(3))
    with pytest.raises(ValueError, match="only one player's policy"):
        assert_equilibrium(game, {"x": x})


def test_equilibrium_accepts_every_form_markov_game():
    game = random_markov_game(3, 2, 2, horizon=3, rng=4)
    ne = solve_markov_game(game)
    V, Q = np.asarray(ne.V), np.asarray(ne.Q)
    assert_equilibrium(game, ne.pi_max, ne.pi_min)
    assert_equilibrium(game, ne)                                        # result object
    assert_equilibrium(game, V)                                         # V[H+1, S]
    assert_equilibrium(game, V[:-1])                                    # V[H, S]
    assert_equilibrium(game, (ne.pi_max, ne.pi_min))                    # tuple
    assert_equilibrium(game, (V, Q, None, None))
    assert_equilibrium(game, {"Q": Q})                                  # V = val(Q)
    assert_equilibrium(game, {"V": V, "pi_max": ne.pi_max, "pi_min": ne.pi_min})
    bad = V.copy()
    bad[1, 0] += 0.1
    with pytest.raises(AssertionError, match=r"Shapley equation.*got a V array of shape \(4, 3\)"):
        assert_equilibrium(game, bad)
    uniform = np.full((3, 3, 2), 0.5)
    with pytest.raises(AssertionError, match="not an equilibrium.*got a dict"):
        assert_equilibrium(game, {"pi_max": ne.pi_max, "pi_min": uniform})
    with pytest.raises(ValueError, match=r"expected V of shape \(4, 3\) or \(3, 3\)"):
        assert_equilibrium(game, np.zeros(3))
    with pytest.raises(ValueError, match="neither policies nor a value"):
        assert_equilibrium(game, {})


# ----------------------------------------------------------------------------- preference

def test_regularized_nash_accepts_every_form():
    rng = np.random.default_rng(0)
    low = np.tril(rng.random((4, 4)), -1)
    pref = (low + np.triu(1.0 - low.T, 1) + 0.5 * np.eye(4))[None]
    game = PreferenceGame(pref, np.full((1, 4), 0.25))
    sol = solve_regularized_nash(game, 0.5)
    pi = np.asarray(sol.pi)
    for form in (sol, pi, pi[0], pi.tolist(), (None, None, pi), {"pi": pi}):
        assert assert_regularized_nash(game, form, 0.5, tol=1e-10) <= 1e-10
    with pytest.raises(AssertionError, match=r"got a pi array of shape \(1, 4\)"):
        assert_regularized_nash(game, np.full((1, 4), 0.25), 0.5)
    with pytest.raises(AssertionError, match="got a RegularizedNashSolution result"):
        assert_regularized_nash(game, sol, 0.05)
    with pytest.raises(ValueError, match=r"pi: expected a policy of shape \(X, Y\) = \(1, 4\)"):
        assert_regularized_nash(game, np.full(3, 1 / 3), 0.5)
    with pytest.raises(ValueError, match="has no pi"):
        assert_regularized_nash(game, {"V": 1.0}, 0.5)
