"""Tests that kill generated mutants of :mod:`rlth.solvers.games` which the other game tests let
survive (``tools/mutation_sweep.py``; see docs/explanation/mutation_testing.md)."""
from __future__ import annotations

import numpy as np

from rlth.solvers.games import solve_matrix_game


def test_single_row_game_is_closed_form_with_ties_to_the_lowest_column():
    """One row: the column player picks the smallest payoff, ties to the lowest index, pure;
    the value is that payoff exactly and the duality gap exactly 0 (no LP round-off)."""
    A = np.array([[2.0, 0.1, 0.1, 1.0, 0.1]]) * 1e-3 + 7.0
    sol = solve_matrix_game(A)
    assert sol.x.tolist() == [1.0]
    assert sol.y.tolist() == [0.0, 1.0, 0.0, 0.0, 0.0]
    assert sol.value == A[0, 1] and sol.duality_gap == 0.0


def test_single_column_game_is_closed_form_with_ties_to_the_lowest_row():
    A = np.array([[0.3], [0.9], [0.9], [-1.0], [0.9]]) / 3.0
    sol = solve_matrix_game(A)
    assert sol.y.tolist() == [1.0]
    assert sol.x.tolist() == [0.0, 1.0, 0.0, 0.0, 0.0]
    assert sol.value == A[1, 0] and sol.duality_gap == 0.0
