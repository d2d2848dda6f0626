"""Tests that kill generated mutants of :mod:`rlth.solvers.lp` which the other LP tests let
survive (``tools/mutation_sweep.py``; see docs/explanation/mutation_testing.md)."""
from __future__ import annotations

import numpy as np
import pytest

from rlth.instances import random_mdp
from rlth.models.sparse import to_sparse
from rlth.solvers import lp
from rlth.solvers.dp import backward_induction
from rlth.solvers.lp import solve_finite_horizon_lp, solve_lp


@pytest.mark.parametrize("H", [2, 4])
def test_sparse_finite_horizon_lp_equals_backward_induction(H):
    m = random_mdp(5, 3, horizon=H, rng=3, stationary=False)
    ref = backward_induction(m)
    sol = solve_finite_horizon_lp(to_sparse(m))
    np.testing.assert_allclose(sol.V, ref.V, atol=1e-8)
    np.testing.assert_array_equal(sol.pi, ref.pi)


def test_discounted_acceptance_is_inclusive_at_the_limit(monkeypatch):
    """``_accept_discounted`` rejects only a loss bound *above* ``_ACCEPT (1 + ||V||)``: a policy
    certified exactly at the limit is accepted, one a rounding step above it is not."""
    m = random_mdp(4, 2, gamma=0.9, rng=1)
    sol = solve_lp(m)
    limit = lp._ACCEPT * (1.0 + float(np.max(np.abs(sol.V))))
    assert sol.error_bound <= limit
    monkeypatch.setattr(lp, "_policy_loss_bound", lambda mdp, pi: limit)
    lp._accept_discounted("solve_lp", m, sol)                      # no error
    monkeypatch.setattr(lp, "_policy_loss_bound", lambda mdp, pi: np.nextafter(limit, np.inf))
    with pytest.raises(lp.LPSolverError, match="certified"):
        lp._accept_discounted("solve_lp", m, sol)
