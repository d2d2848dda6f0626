"""Bad-input suite for the solvers and the preference family (issue 17, continued): every public
entry point of ``rlth.solvers`` (dp, occupancy, lp, games, preference), of
``rlth.algorithms.preference`` (nash_md, dynamics) and the closed forms of ``rlth.theory`` that
take user input answers bad input (wrong model type, NaN/inf/complex/negative entries, rows not
summing to 1, wrong shapes, ragged lists, empty, strings, bools, out-of-range parameters, huge
sizes) with a ``ValueError`` whose message starts with the argument's name
(docs/explanation/conventions.md section 4), and never returns a result.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rlth.algorithms.preference import dynamics as dyn
from rlth.algorithms.preference.nash_md import (geometric_mixture, nash_md, nash_md_step,
                                                step_sizes, theorem_step_sizes)
from rlth.instances import rock_paper_scissors
from rlth.instances.preference import linear_preference, nontransitive_dice
from rlth.models import DiscountedMDP, FiniteHorizonMDP, MarkovGame
from rlth.solvers.dp import (backup_rounding, backward_induction, bellman_residual,
                             evaluate_policy, greedy_policy, policy_iteration, value_iteration)
from rlth.solvers.games import (best_response_value, evaluate_policy_pair, exploitability,
                                matrix_game_gap, solve_markov_game, solve_matrix_game)
from rlth.solvers.lp import solve_finite_horizon_lp, solve_lp
from rlth.solvers.occupancy import concentrability, occupancy
from rlth.solvers.preference import (duality_gap, mmd_step, regularized_exploitability,
                                     soft_best_response, solve_nash, solve_regularized_nash)
from rlth.theory import lcb as th_lcb
from rlth.theory import nash_md as th_nash
from rlth.theory import selftest as th_self
from rlth.theory import stepmix as th_step

from _rejects import rejects  # tests/harness/_rejects.py

HUGE = 10**7

SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


# ----------------------------------------------------------------------------------- fixtures
S, A, H = 2, 2, 3
FH = FiniteHorizonMDP(np.full((S, A, S), 0.5), np.full((S, A), 0.5), horizon=H)
DISC = DiscountedMDP(np.full((S, A, S), 0.5), np.full((S, A), 0.5), gamma=0.9)
RPS = rock_paper_scissors()
MG = MarkovGame(np.full((S, A, A, S), 0.5), np.zeros((S, A, A)), horizon=H)
PG = nontransitive_dice(mu=[0.6, 0.3, 0.1])
Y = PG.n_actions
GOOD_PI = np.full((S, A), 0.5)

# bad policies for an [S, A] (or [H, S, A]) stochastic policy
BAD_POLICIES = [
    np.array([[np.nan, 0.5], [0.5, 0.5]]),
    np.array([[np.inf, 0.5], [0.5, 0.5]]),
    np.array([[0.5 + 0j, 0.5], [0.5, 0.5]]),
    np.array([[1.5, -0.5], [0.5, 0.5]]),
    np.array([[0.3, 0.3], [0.5, 0.5]]),
    np.full((S, A + 1), 1 / 3),
    np.full((S + 1, A), 0.5),
    [[0.5, 0.5], [1.0]],
    np.empty((0, A)),
    "0.5",
    np.array([[0.5, 0.5], [0.5, 0.5]], dtype=object) + "x" if False else [["a", "b"], ["c", "d"]],
    np.array([5, 0]),  # deterministic action out of range
    np.array([0, -1]),
    np.array([True, False]),
    None,
]
BAD_DIST = [[np.nan, 1.0], [np.inf, 0.0], [0.5 + 0j, 0.5], [1.5, -0.5], [0.3, 0.3], [1.0],
            [1 / 3] * 3, [[0.5, 0.5]], [], "ab", [[0.5], [0.5, 0.5]], None]
BAD_PREF_POLICY = [np.full(Y, np.nan), np.full(Y, np.inf), np.full(Y, 1 / Y) + 0j,
                   np.array([1.5, -0.5] + [0.0] * (Y - 2)), np.full(Y, 0.1), np.full(Y + 1, 1 / (Y + 1)),
                   np.full((2, Y), 1 / Y), [[1.0], [0.5, 0.5]], [], "pi", None]
BAD_POSITIVE = [0.0, -1.0, np.nan, np.inf, -np.inf, 1 + 1j, "1", True, None, [1.0]]
BAD_INT = [0, -1, 2.7, "10", True, None, np.nan, 1 + 0j]
NOT_MODELS = [None, 3, "mdp", np.zeros((2, 2)), RPS, PG]


# ----------------------------------------------------------------------------------- dp
@pytest.mark.parametrize("bad", NOT_MODELS + [DISC])
def test_backward_induction_rejects_non_fh(bad):
    rejects("mdp", backward_induction, bad)


@pytest.mark.parametrize("bad", NOT_MODELS + [FH])
def test_discounted_solvers_reject_non_discounted(bad):
    rejects("mdp", value_iteration, bad)
    rejects("mdp", policy_iteration, bad)
    rejects("mdp", solve_lp, bad)


@pytest.mark.parametrize("bad", NOT_MODELS)
def test_mdp_entry_points_reject_non_mdp(bad):
    rejects("mdp", evaluate_policy, bad, GOOD_PI)
    rejects("mdp", bellman_residual, bad, np.zeros(S))
    rejects("mdp", occupancy, bad, GOOD_PI)
    rejects("mdp", concentrability, bad, GOOD_PI, GOOD_PI)
    if not isinstance(bad, DiscountedMDP):
        rejects("mdp", solve_finite_horizon_lp, bad)


@pytest.mark.parametrize("bad", BAD_POLICIES)
@pytest.mark.parametrize("mdp", [FH, DISC], ids=["fh", "disc"])
def test_policy_arguments_reject_bad_policies(mdp, bad):
    rejects("pi", evaluate_policy, mdp, bad)
    V = np.zeros((H + 1, S)) if mdp is FH else np.zeros(S)
    if bad is not None:   # pi=None: the optimality equation
        rejects("pi", bellman_residual, mdp, V, bad)
    rejects("pi", occupancy, mdp, bad)
    rejects("pi_target", concentrability, mdp, bad, GOOD_PI)
    rejects("behavior", concentrability, mdp, GOOD_PI, bad)


@pytest.mark.parametrize("bad", [np.zeros(S + 1), np.full(S, np.nan), np.full(S, np.inf),
                                 np.zeros(S) + 0j, [[0.0], [0.0, 1.0]], [], "V", None,
                                 np.zeros((S, S))])
def test_bellman_residual_rejects_bad_V(bad):
    rejects("V", bellman_residual, DISC, bad)
    rejects("V", bellman_residual, FH, bad)


@pytest.mark.parametrize("bad", [np.full((2, 2), np.nan), np.full((2, 2), np.inf),
                                 np.zeros((2, 2)) + 0j, [[0.0], [0.0, 1.0]], "Q", None,
                                 np.empty((0,)), np.empty((2, 0)), np.float64(1.0)])
def test_greedy_policy_rejects_bad_Q(bad):
    rejects("Q", greedy_policy, bad)


@pytest.mark.parametrize("bad", [b for b in BAD_POSITIVE if b is not None])
def test_value_iteration_rejects_bad_tol(bad):
    rejects("tol", value_iteration, DISC, tol=bad)


@pytest.mark.parametrize("bad", BAD_INT)
def test_iteration_counts_rejected(bad):
    rejects("max_iter", value_iteration, DISC, max_iter=bad)
    rejects("max_iter", policy_iteration, DISC, max_iter=bad)


def test_value_iteration_tol_below_floor():
    rejects("tol", value_iteration, DISC, tol=1e-300)


def test_backup_rounding_rejects_bad_input():
    for bad in NOT_MODELS + [FH]:
        rejects("mdp", backup_rounding, bad, np.zeros(S))
    for bad in [np.zeros(S + 1), np.full(S, np.nan), np.zeros(S) + 0j, "V", [[0.0], [0.0, 1.0]]]:
        rejects("V", backup_rounding, DISC, bad)
    for bad in [-1.0, np.nan, np.inf, "0", True, None, 1j]:
        rejects("residual", backup_rounding, DISC, np.zeros(S), bad)
    for bad in [0, -1, 2.5, "2", True]:
        rejects("nnz", backup_rounding, DISC, np.zeros(S), nnz=bad)


# ----------------------------------------------------------------------------------- occupancy
def test_concentrability_argument_combinations():
    rejects("behavior", concentrability, DISC, GOOD_PI)
    rejects("behavior", concentrability, DISC, GOOD_PI, GOOD_PI,
            behavior_distribution=np.full((S, A), 0.25))


@pytest.mark.parametrize("bad", [np.full((S, A), np.nan), np.full((S, A), 0.5),
                                 np.full((S, A), 0.25) + 0j, np.full((S + 1, A), 1 / 6),
                                 np.array([[1.0, -0.5], [0.25, 0.25]]), "mu", [[0.5], [0.5, 0.0]]])
def test_concentrability_rejects_bad_behavior_distribution(bad):
    rejects("behavior_distribution", concentrability, DISC, GOOD_PI,
            behavior_distribution=bad)


# ----------------------------------------------------------------------------------- lp
@pytest.mark.parametrize("bad", ["simplex", "HIGHS", None, 1, True])
def test_lp_solver_choice(bad):
    rejects("solver", solve_lp, DISC, solver=bad)
    rejects("solver", solve_finite_horizon_lp, FH, solver=bad)
    rejects("solver", solve_matrix_game, RPS, solver=bad)
    rejects("solver", solve_markov_game, MG, solver=bad)


@pytest.mark.parametrize("bad", ["SCS", "ECOS", None, 1])
def test_cvxpy_solver_choice(bad):
    rejects("cvxpy_solver", solve_lp, DISC, solver="cvxpy", cvxpy_solver=bad)
    rejects("cvxpy_solver", solve_finite_horizon_lp, FH, solver="cvxpy", cvxpy_solver=bad)
    rejects("cvxpy_solver", solve_matrix_game, RPS, solver="cvxpy", cvxpy_solver=bad)


# ----------------------------------------------------------------------------------- games
@pytest.mark.parametrize("bad", [None, "A", np.full((2, 2), np.nan), np.full((2, 2), np.inf),
                                 np.zeros((2, 2)) + 0j, [[0.0], [0.0, 1.0]], np.zeros(3),
                                 np.zeros((2, 2, 2)), np.empty((0, 2)), MG, FH, PG, True])
def test_solve_matrix_game_rejects_bad_payoff(bad):
    rejects("A", solve_matrix_game, bad)
    rejects("A", matrix_game_gap, bad, [0.5, 0.5], [0.5, 0.5])


@pytest.mark.parametrize("bad", BAD_DIST)
def test_matrix_game_gap_rejects_bad_strategies(bad):
    A2 = np.array([[1.0, -1.0], [-1.0, 1.0]])
    rejects("x", matrix_game_gap, A2, bad, [0.5, 0.5])
    rejects("y", matrix_game_gap, A2, [0.5, 0.5], bad)


@pytest.mark.parametrize("bad", NOT_MODELS[:4] + [FH, DISC, PG])
def test_game_entry_points_reject_non_games(bad):
    rejects("game", solve_markov_game, bad)
    rejects("game", best_response_value, bad, np.full(3, 1 / 3))
    rejects("game", evaluate_policy_pair, bad, np.full(3, 1 / 3), np.full(3, 1 / 3))
    rejects("game", exploitability, bad, np.full(3, 1 / 3), np.full(3, 1 / 3))


def test_solve_markov_game_rejects_matrix_game():
    rejects("game", solve_markov_game, RPS)


@pytest.mark.parametrize("bad", ["MAX", None, 1, "", True])
def test_best_response_player(bad):
    rejects("player", best_response_value, RPS, np.full(3, 1 / 3), bad)


BAD_STRATEGIES3 = [np.full(3, np.nan), np.full(3, np.inf), np.full(3, 1 / 3) + 0j,
                   np.array([1.5, -0.5, 0.0]), np.full(3, 0.2), np.full(4, 0.25),
                   [[1.0], [0.5, 0.5]], [], "x", None, np.array(3), np.array(-1),
                   np.array([True, False, False])]


@pytest.mark.parametrize("bad", BAD_STRATEGIES3)
def test_game_policies_rejected(bad):
    u = np.full(3, 1 / 3)
    rejects("policy", best_response_value, RPS, bad, "max")
    rejects("policy", best_response_value, RPS, bad, "min")
    rejects("pi_max", evaluate_policy_pair, RPS, bad, u)
    rejects("pi_min", evaluate_policy_pair, RPS, u, bad)
    rejects("pi_max", exploitability, RPS, bad, u)
    rejects("pi_min", exploitability, RPS, u, bad)


@pytest.mark.parametrize("bad", BAD_POLICIES)
def test_markov_game_policies_rejected(bad):
    rejects("pi_max", exploitability, MG, bad, GOOD_PI)
    rejects("pi_min", evaluate_policy_pair, MG, GOOD_PI, bad)
    rejects("policy", best_response_value, MG, bad)


# ----------------------------------------------------------------------------------- preference
NOT_PREF = [None, 3, "game", np.zeros((3, 3)), RPS, FH]


@pytest.mark.parametrize("bad", NOT_PREF)
def test_preference_solvers_reject_non_games(bad):
    u = np.full(Y, 1 / Y)
    rejects("game", solve_regularized_nash, bad, 0.1)
    rejects("game", solve_nash, bad)
    rejects("game", soft_best_response, bad, u, 0.1)
    rejects("game", regularized_exploitability, bad, u, 0.1)
    rejects("game", duality_gap, bad, u, tau=0.1)
    rejects("game", mmd_step, bad, u, 0.1, 0.1)
    rejects("game", nash_md, bad, 0.1, 3)
    rejects("game", nash_md_step, bad, u, 0.1, 0.1)
    for f in (dyn.omd, dyn.mmd, dyn.extragradient):
        rejects("game", f, bad, 0.1, 0.1, 3)
    rejects("game", dyn.mwu_self_play, bad, 0.1, 3)
    rejects("game", dyn.soft_best_response_iteration, bad, 0.1, 3)
    rejects("game", dyn.fictitious_play, bad, 3)


@pytest.mark.parametrize("bad", BAD_PREF_POLICY)
def test_preference_policies_rejected(bad):
    u = np.full(Y, 1 / Y)
    rejects("pi", soft_best_response, PG, bad, 0.1)
    rejects("pi", regularized_exploitability, PG, bad, 0.1)
    rejects("pi", duality_gap, PG, bad, tau=0.1)
    if bad is not None:   # None: pi_prime defaults to pi
        rejects("pi_prime", duality_gap, PG, u, bad, tau=0.1)
    rejects("pi", mmd_step, PG, bad, 0.1, 0.1)
    rejects("pi", nash_md_step, PG, bad, 0.1, 0.1)
    rejects("pi", geometric_mixture, bad, PG.mu, 0.1)
    if bad is None:   # pi0=None: start from mu
        return
    rejects("pi0", nash_md, PG, 0.1, 3, pi0=bad)
    for f in (dyn.omd, dyn.mmd, dyn.extragradient):
        rejects("pi0", f, PG, 0.1, 0.1, 3, pi0=bad)
    rejects("pi0", dyn.mwu_self_play, PG, 0.1, 3, pi0=bad)
    rejects("pi0", dyn.soft_best_response_iteration, PG, 0.1, 3, pi0=bad)
    rejects("pi0", dyn.fictitious_play, PG, 3, pi0=bad)


@pytest.mark.parametrize("bad", BAD_POSITIVE)
def test_preference_tau_rejected(bad):
    u = np.full(Y, 1 / Y)
    rejects("tau", solve_regularized_nash, PG, bad)
    if bad != 0.0:
        rejects("tau", soft_best_response, PG, u, bad)
        rejects("tau", regularized_exploitability, PG, u, bad)
        rejects("tau", duality_gap, PG, u, tau=bad)
        rejects("tau", dyn.fictitious_play, PG, 3, tau=bad)
        rejects("tau", mmd_step, PG, u, bad, 0.1)   # tau = 0: mirror descent, no magnet
    rejects("tau", nash_md_step, PG, u, bad, 0.1)
    rejects("tau", nash_md, PG, bad, 3)
    rejects("tau", theorem_step_sizes, bad, 3)
    rejects("tau", step_sizes, 0.1, bad, 3)
    for f in (dyn.omd, dyn.mmd, dyn.extragradient):
        rejects("tau", f, PG, bad, 0.1, 3)
    rejects("tau", dyn.soft_best_response_iteration, PG, bad, 3)
    rejects("tau", th_nash.linear_preference_equilibrium, [0.0, 1.0], None, [0.5, 0.5], bad)


@pytest.mark.parametrize("bad", BAD_POSITIVE)
def test_preference_eta_rejected(bad):
    u = np.full(Y, 1 / Y)
    rejects("eta", mmd_step, PG, u, 0.1, bad)
    rejects("eta", nash_md_step, PG, u, 0.1, bad)
    if bad is not None:   # None selects the theorem schedule
        rejects("eta", nash_md, PG, 0.1, 3, eta=bad)
        rejects("eta", step_sizes, bad, 0.1, 3)
        for f in (dyn.omd, dyn.mmd, dyn.extragradient):
            rejects("eta", f, PG, 0.1, bad, 3)
        rejects("eta", dyn.mwu_self_play, PG, bad, 3)


@pytest.mark.parametrize("bad", [[np.nan] * 3, [0.1, -0.1, 0.1], [0.1], [0.1 + 0j] * 3, "eta",
                                 [[0.1], [0.1, 0.1]], lambda t: np.nan, lambda t: -1.0,
                                 lambda t: 1j, lambda t: "x", [20.0] * 3])
def test_step_schedules_rejected(bad):
    rejects("eta", step_sizes, bad, 0.1, 3)
    rejects("eta", nash_md, PG, 0.1, 3, eta=bad)


@pytest.mark.parametrize("bad", [-1.0, np.nan, 1 + 0j, "1", True])
def test_step_sizes_max_weight(bad):
    rejects("max_weight", step_sizes, 0.1, 0.1, 3, max_weight=bad)


def test_geometric_mixture_rejects_bad_weight_and_mu():
    for bad in [-0.1, 1.5, np.nan, "w", True, None]:
        rejects("weight", geometric_mixture, PG.mu, PG.mu, bad)
    for bad in BAD_PREF_POLICY:
        if not (isinstance(bad, np.ndarray) and bad.shape == (2, Y)):   # valid [2, Y] mu
            rejects("mu", geometric_mixture, PG.mu, bad, 0.1)


def test_mmd_and_nash_md_step_extra_arguments():
    u = np.full(Y, 1 / Y)
    rejects("eta", nash_md_step, PG, u, 0.5, 10.0)  # eta * tau > 1
    for bad in [np.full((1, Y), np.nan), np.zeros((1, Y + 1)), np.zeros((1, Y)) + 0j, "g"]:
        rejects("g", nash_md_step, PG, u, 0.1, 0.1, g=bad)


@pytest.mark.parametrize("bad", BAD_INT)
def test_iteration_counts_preference(bad):
    rejects("max_iter", solve_regularized_nash, PG, 0.1, max_iter=bad)
    rejects("warm_start_iter", solve_regularized_nash, PG, 0.1, warm_start_iter=bad)
    if bad != 0:
        rejects("n_iter", nash_md, PG, 0.1, bad)
        rejects("n_iter", theorem_step_sizes, 0.1, bad)
        rejects("n_iter", step_sizes, 0.1, 0.1, bad)
        rejects("n_iter", dyn.omd, PG, 0.1, 0.1, bad)
        rejects("n_iter", dyn.fictitious_play, PG, bad)
        rejects("n_samples", nash_md, PG, 0.1, 3, feedback="sampled", n_samples=bad)


def test_huge_sizes_refused():
    rejects("n_iter", nash_md, PG, 0.1, 10**15)
    rejects("n_iter", theorem_step_sizes, 0.1, 10**15)
    rejects("n_iter", dyn.omd, PG, 0.1, 0.1, 10**15)


@pytest.mark.parametrize("bad", BAD_POSITIVE)
def test_solve_regularized_nash_tol(bad):
    rejects("tol", solve_regularized_nash, PG, 0.1, tol=bad)


@pytest.mark.parametrize("bad", ["NEWTON", None, 1, "cvx"])
def test_solve_regularized_nash_method(bad):
    rejects("method", solve_regularized_nash, PG, 0.1, method=bad)


def test_solve_regularized_nash_cvxpy_solver():
    for bad in ["SCS-nope", None, 1]:
        rejects("solver", solve_regularized_nash, PG, 0.1, method="cvxpy", solver=bad)


@pytest.mark.parametrize("bad", ["SAMPLED", None, 1, True])
def test_feedback_choice(bad):
    rejects("feedback", nash_md, PG, 0.1, 3, feedback=bad)
    rejects("feedback", dyn.omd, PG, 0.1, 0.1, 3, feedback=bad)


@pytest.mark.parametrize("bad", [[-1], [4], [], [[1, 2]], [1.5], ["1"], [True], "1", 2.0])
def test_checkpoints_rejected(bad):
    rejects("checkpoints", nash_md, PG, 0.1, 3, checkpoints=bad)
    rejects("checkpoints", dyn.omd, PG, 0.1, 0.1, 3, checkpoints=bad)
    rejects("checkpoints", dyn.fictitious_play, PG, 3, checkpoints=bad)


@pytest.mark.parametrize("bad", ["seed", 1.5, -1, [1.5]])
def test_rng_rejected(bad):
    rejects("rng", nash_md, PG, 0.1, 3, feedback="sampled", rng=bad)


# ----------------------------------------------------------------------------------- theory
def test_theory_closed_forms_reject_bad_input():
    for bad in BAD_INT:
        rejects("n_samples", th_lcb.mpa_error_probability, bad, 0.5)
        rejects("n_samples", th_lcb.cb_expert_closed_form, 3, bad)
        rejects("n_contexts", th_lcb.cb_expert_closed_form, bad, 10)
    for bad in [-0.1, 1.1, np.nan, "0.5", True, None, 1j]:
        rejects("mu_star", th_lcb.mpa_error_probability, 10, bad)
    for bad in [0.5, 1.0, np.nan, np.inf, "2", True, None, 1j]:
        rejects("c_star", th_lcb.mab_kl_rate, bad)
        if bad != 1.0:   # C* = 1 is valid for the heuristic
            rejects("c_star", th_lcb.nonadaptive_exponent, bad, 1.0)
    for bad in [-1.0, np.nan, "1", True, None]:
        rejects("c", th_lcb.nonadaptive_exponent, 1.5, bad)
    for bad in [0, -3, np.nan, np.inf, "10", True, None, 1j]:
        rejects("N", th_self.bernoulli_mae, bad, 0.5)
        rejects("K", th_self.mc_eval_mae, bad)
    for bad in [-0.1, 1.1, np.nan, "0.5", True, None]:
        rejects("p", th_self.bernoulli_mae, 10, bad)
    for bad in BAD_INT:
        rejects("n_states", th_self.selftest_mdp, 7, bad)
        rejects("n_actions", th_self.selftest_mdp, 7, 2, bad)
        rejects("horizon", th_self.selftest_mdp, 7, 2, 2, bad)
    rejects("mdp", th_self.return_pmf, DISC, GOOD_PI)
    rejects("mdp", th_self.return_pmf, None, GOOD_PI)
    for bad in BAD_POLICIES:
        rejects("pi", th_self.return_pmf, FH, bad)
    for bad in [np.nan, np.inf, "0.1", True, None, 1j]:
        rejects("gap", th_step.gap_chain_values, bad)
        rejects("trap_good", th_step.gap_chain_values, 0.1, trap_good=bad)
    for bad in BAD_INT:
        rejects("horizon", th_step.gap_chain_values, 0.1, horizon=bad)
    for bad in [-0.1, 1.1, np.nan, "0.5", True]:
        rejects("quality", th_step.gap_chain_values, 0.1, quality=bad)
    for bad in [np.nan, [np.nan, 1.0], [1j, 0], "r", [[0.0], [0.0, 1.0]], []]:
        rejects("rewards", th_nash.linear_preference_equilibrium, bad, None, [0.5, 0.5], 0.1)
    for bad in [[np.nan, 1.0], [1.5, -0.5], [0.3, 0.3], [1.0], "mu", [1j, 1]]:
        rejects("mu", th_nash.linear_preference_equilibrium, [0.0, 1.0], None, bad, 0.1)


# ----------------------------------------------------------------------------------- hypothesis
_bad_entry = st.sampled_from([np.nan, np.inf, -np.inf, -0.5, 2.0])


@SETTINGS
@given(i=st.integers(0, S - 1), j=st.integers(0, A - 1), v=_bad_entry,
       which=st.sampled_from(["fh", "disc"]))
def test_hypothesis_bad_policy_entry(i, j, v, which):
    pi = GOOD_PI.copy()
    pi[i, j] = v
    mdp = FH if which == "fh" else DISC
    rejects("pi", evaluate_policy, mdp, pi)
    rejects("pi", occupancy, mdp, pi)
    rejects("pi_max", exploitability, MG, pi, GOOD_PI)


@SETTINGS
@given(j=st.integers(0, Y - 1), v=_bad_entry, tau=st.floats(1e-3, 10.0))
def test_hypothesis_bad_preference_policy_entry(j, v, tau):
    pi = np.full(Y, 1 / Y)
    pi[j] = v
    rejects("pi", soft_best_response, PG, pi, tau)
    rejects("pi", regularized_exploitability, PG, pi, tau)
    rejects("pi", mmd_step, PG, pi, tau, 0.1)
    rejects("pi0", nash_md, PG, tau, 2, pi0=pi)


@SETTINGS
@given(x=st.one_of(st.floats(allow_nan=True, allow_infinity=True).filter(lambda t: not t > 0),
                   st.floats(allow_nan=True).map(lambda t: complex(t, 1.0)),
                   st.text(max_size=3), st.booleans(), st.none()))
def test_hypothesis_bad_positive_reals(x):
    u = np.full(Y, 1 / Y)
    rejects("tau", solve_regularized_nash, PG, x)
    if x != 0:   # mmd_step allows tau = 0
        rejects("tau", mmd_step, PG, u, x, 0.1)
    rejects("eta", mmd_step, PG, u, 0.1, x)
    rejects("tau", nash_md, PG, x, 2)
    if x is not None:   # tol=None: the default accuracy
        rejects("tol", value_iteration, DISC, tol=x)


@SETTINGS
@given(n=st.one_of(st.integers(max_value=0), st.floats(allow_nan=True), st.text(max_size=3),
                   st.booleans()))
def test_hypothesis_bad_counts(n):
    rejects("max_iter", value_iteration, DISC, max_iter=n)
    rejects("max_iter", policy_iteration, DISC, max_iter=n)
    rejects("max_iter", solve_regularized_nash, PG, 0.1, max_iter=n)


@SETTINGS
@given(m=st.integers(1, 4), n=st.integers(1, 4), data=st.data())
def test_hypothesis_matrix_game_gap_wrong_shapes(m, n, data):
    A2 = np.zeros((m, n))
    k = data.draw(st.integers(1, 5).filter(lambda k: k != m))
    rejects("x", matrix_game_gap, A2, np.full(k, 1 / k), np.full(n, 1 / n))
    k = data.draw(st.integers(1, 5).filter(lambda k: k != n))
    rejects("y", matrix_game_gap, A2, np.full(m, 1 / m), np.full(k, 1 / k))


def test_valid_inputs_still_work():
    assert backward_induction(FH).V.shape == (H + 1, S)
    assert value_iteration(DISC).V.shape == (S,)
    assert abs(solve_matrix_game(RPS).value) < 1e-9
    assert regularized_exploitability(PG, PG.mu, 0.1) >= 0
    assert mmd_step(PG, PG.mu, 0.1, 0.1).shape == PG.mu.shape
    assert nash_md(PG, 0.1, 3).log_iterates.shape[0] == 1
    assert th_lcb.mab_kl_rate(2.0) == 0.0
    assert th_self.bernoulli_mae(10.0, 0.5) > 0
    assert linear_preference([0.0, 1.0]) is not None
