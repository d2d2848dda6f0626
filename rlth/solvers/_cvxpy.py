"""LP back ends shared by the LP solvers of the ``solvers`` family (:mod:`.lp`, :mod:`.games`).

``scipy.optimize.linprog(method="highs")`` is the reference oracle; cvxpy with an accurate LP
solver is the second opinion.  SCS is refused: its first-order accuracy (~1e-4 on MDP LPs,
~1e-5 on 50x50 games, docs/explanation/performance.md section 5) is not usable as an oracle.
"""
from __future__ import annotations

from .._validation import check_choice

#: LP back ends: scipy's HiGHS, or cvxpy with one of :data:`CVXPY_SOLVERS`.
LP_SOLVERS = ("highs", "cvxpy")

#: cvxpy back ends accepted as a second opinion (accurate LP solvers only).
CVXPY_SOLVERS = ("CLARABEL", "HIGHS")


def check_lp_solver(solver, cvxpy_solver) -> str | None:
    """Validate ``solver`` and, for ``"cvxpy"``, return the upper-cased ``cvxpy_solver``."""
    check_choice("solver", solver, LP_SOLVERS)
    if solver != "cvxpy":
        return None
    name = str(cvxpy_solver).upper()
    if name not in CVXPY_SOLVERS:
        raise ValueError(f"cvxpy_solver: must be one of {CVXPY_SOLVERS} (accurate LP solvers; "
                         f"SCS is too inaccurate for an oracle), got {cvxpy_solver!r}")
    return name


def solve_cvxpy(prob, cvxpy_solver: str, what: str, error: type[Exception]) -> None:
    """Solve the cvxpy problem ``prob``; raise ``error`` naming ``what`` unless it is optimal."""
    import cvxpy as cp

    try:
        prob.solve(solver=cvxpy_solver)
    except cp.error.SolverError as exc:
        raise error(f"{what}: cvxpy/{cvxpy_solver} failed ({exc})") from None
    if prob.status != cp.OPTIMAL:
        raise error(f"{what}: cvxpy/{cvxpy_solver} returned status {prob.status!r}")
