"""Exact rational linear algebra: the oracle behind the tests of the floating-point certificates.

Over :class:`fractions.Fraction` entries there is no rounding, so a value function solved here is
the exact one of the rational model whose entries are the floats' exact values.
"""
from __future__ import annotations

__all__ = ["solve_rational"]


def solve_rational(M, b) -> list:
    r"""``x`` with ``M x = b``, by Gauss-Jordan elimination in exact arithmetic.

    Parameters
    ----------
    M : list of list of Fraction or int, shape (n, n)
        A nonsingular matrix, e.g. ``I - gamma P^pi`` of a rational MDP.
    b : list of Fraction or int, shape (n,)

    Returns
    -------
    list of Fraction, shape (n,)

    Notes
    -----
    Column by column: swap in the first row with a nonzero pivot, then eliminate the column from
    every other row, :math:`M_r \leftarrow M_r - (M_{rc}/M_{cc}) M_c`; finally
    :math:`x_i = M_{i,n} / M_{ii}` on the augmented matrix.
    """
    n = len(b)
    M = [list(row) + [b[i]] for i, row in enumerate(M)]
    for c in range(n):
        p = next(r for r in range(c, n) if M[r][c] != 0)
        M[c], M[p] = M[p], M[c]
        for r in range(n):
            if r != c and M[r][c] != 0:
                f = M[r][c] / M[c][c]
                M[r] = [a - f * e for a, e in zip(M[r], M[c])]
    return [M[i][n] / M[i][i] for i in range(n)]
