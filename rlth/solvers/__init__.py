"""Exact ground truth with certificates.

* :mod:`rlth.solvers.dp` -- backward induction, policy evaluation, value and policy iteration
  (Bellman residual / error bound returned with every solution);
* :mod:`rlth.solvers.occupancy` -- occupancy measures and concentrability coefficients;
* :mod:`rlth.solvers.lp` -- the MDP linear programs (HiGHS, cvxpy second opinion);
* :mod:`rlth.solvers.games` -- matrix and Markov games (duality gap, exploitability);
* :mod:`rlth.solvers.preference` -- regularized Nash equilibria of preference games.
"""
from .dp import (backward_induction, bellman_residual, evaluate_policy, optimal_value,
                 policy_iteration, value_iteration)
from .occupancy import concentrability, occupancy
from .games import (best_response_value, exploitability, matrix_game_gap, solve_markov_game,
                    solve_matrix_game)
from .lp import solve_finite_horizon_lp, solve_lp
from .preference import solve_nash, solve_regularized_nash

__all__ = ["backward_induction", "optimal_value", "evaluate_policy", "occupancy", "concentrability",
           "value_iteration", "policy_iteration", "bellman_residual", "solve_lp",
           "solve_finite_horizon_lp", "solve_matrix_game", "matrix_game_gap", "solve_markov_game",
           "best_response_value", "exploitability", "solve_regularized_nash", "solve_nash"]
