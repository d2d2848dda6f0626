r"""Categorical draws inside numba: inverse CDF, Walker's alias method, one online episode.

* :func:`inverse_cdf_draw` -- one draw from a probability row by a linear scan of its CDF
  (O(n), no table: for rows used once, e.g. a policy that changes every episode);
* :func:`build_alias` / :func:`alias_draw` -- Walker's alias method (below): O(n) per table,
  O(1) per draw, for rows drawn from many times (a model's ``P``);
* :func:`rollout_episode` -- one episode of a Markov policy by inverse-CDF draws in a fixed
  order (the online family's environment).

Each draw consumes exactly one uniform ``u`` in [0, 1) (``rng.random()`` of a
``numpy.random.Generator``, which numba reproduces bit for bit), so the stream, hence every seed,
is the same with and without ``NUMBA_DISABLE_JIT``.  Strict floating point (no fastmath).

Alias method
------------
A categorical distribution ``p`` over ``n`` outcomes is stored as two arrays ``prob[n]`` and
``alias[n]`` such that drawing a column ``j`` uniformly and returning ``j`` with probability
``prob[j]`` (else ``alias[j]``) yields outcome ``i`` with probability

.. math::
    \frac{1}{n}\Big(\mathrm{prob}[i] + \sum_{j:\,\mathrm{alias}[j] = i} (1 - \mathrm{prob}[j])\Big)
    = p_i .

One uniform ``u`` in [0, 1) drives a draw: ``j = floor(u n)`` and the fractional part
``u n - j`` (uniform on [0, 1) and independent of ``j`` up to floating-point resolution, i.e.
``2**-53 * n``) is compared with ``prob[j]``.  Building a table costs O(n) per row; a draw costs
O(1) whatever ``n``, against O(n) for an inverse-CDF scan and O(log n) for bisection.

Outcomes with ``p_i = 0`` get ``prob[i] = 0`` and are never returned (the fractional part is
``>= 0``), so a support is respected exactly.

Re-exported by :mod:`rlth.data` for other numba code: :func:`build_alias` (Python, validated)
and :func:`alias_draw` (``@njit``, callable from other jitted functions and from Python).

References
----------
A. J. Walker, "An efficient method for generating discrete random variables with general
distributions", ACM TOMS 3(3), 1977.  M. D. Vose, "A linear algorithm for generating random
numbers with a given distribution", IEEE TSE 17(9), 1991 (the O(n) construction used here, with
the ``(scaled[l] - 1) + scaled[s]`` update of K. Schwarz's note "Darts, Dice, and Coins" for
numerical stability).  [V] the alias identity above; [D] the single-uniform draw.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from .._validation import as_float_array

__all__ = ["inverse_cdf_draw", "build_alias", "alias_draw", "rollout_episode"]


@njit(cache=True)
def inverse_cdf_draw(row, u):
    """Inverse-CDF draw from a probability row ``row[n]`` with one uniform ``u`` in [0, 1).

    Returns the first ``i < n - 1`` with ``u < row[0] + ... + row[i]`` (summed left to right),
    else ``n - 1``; if rounding leaves ``u`` above the running sum, trailing zero-probability
    entries are skipped (the last positive entry is returned), so an outcome of probability 0 is
    never drawn.  A ``u`` outside [0, 1) is clamped (kernels do not raise): ``u < 0`` and NaN act
    as ``u = 0``, ``u >= 1`` as ``u`` just below 1.

    Examples
    --------
    >>> import numpy as np
    >>> row = np.array([0.1] * 10 + [0.0])      # the running sum ends at 1 - 2**-53
    >>> [int(inverse_cdf_draw(row, u)) for u in (0.05, 0.25, np.nextafter(1.0, 0.0))]
    [0, 2, 9]
    """
    n = row.shape[0]
    if not u >= 0.0:  # u < 0 or NaN: clamp to 0 (the first outcome of positive probability)
        u = 0.0
    acc = 0.0
    for i in range(n - 1):
        acc += row[i]
        if u < acc:
            return i
    # skip trailing zero-probability entries on round-off
    i = n - 1
    while i > 0 and row[i] == 0.0:
        i -= 1
    return i


@njit(cache=True)
def vose_row(p, prob, alias, scaled, small, large):
    """Vose's construction of one alias table ``(prob[n], alias[n])`` for a row ``p[n]``
    (non-negative, positive sum), with work arrays ``scaled``, ``small``, ``large`` of length
    >= n.  Strict floating point (no fastmath) so that NUMBA_DISABLE_JIT runs give identical
    tables.  Shared by the dense tables below and the per-row CSR tables
    (:func:`rlth._kernels.csr.csr_alias_tables`)."""
    n = p.shape[0]
    total = 0.0
    for j in range(n):
        total += p[j]
    factor = n / total
    ns = 0
    nl = 0
    for j in range(n):
        scaled[j] = p[j] * factor
        alias[j] = j
        if scaled[j] < 1.0:
            small[ns] = j
            ns += 1
        else:
            large[nl] = j
            nl += 1
    while ns > 0 and nl > 0:
        ns -= 1
        s = small[ns]
        l = large[nl - 1]
        prob[s] = scaled[s]
        alias[s] = l
        scaled[l] = (scaled[l] - 1.0) + scaled[s]
        if scaled[l] < 1.0:
            nl -= 1
            small[ns] = l
            ns += 1
    # leftovers are 1 up to rounding error
    while nl > 0:
        nl -= 1
        prob[large[nl]] = 1.0
    while ns > 0:
        ns -= 1
        prob[small[ns]] = 1.0


@njit(cache=True)
def _build_alias_rows(p):
    """Vose's construction (:func:`vose_row`) for every row of ``p[m, n]``."""
    m, n = p.shape
    prob = np.empty((m, n), dtype=np.float64)
    alias = np.empty((m, n), dtype=np.int64)
    scaled = np.empty(n, dtype=np.float64)
    small = np.empty(n, dtype=np.int64)
    large = np.empty(n, dtype=np.int64)
    for i in range(m):
        vose_row(p[i], prob[i], alias[i], scaled, small, large)
    return prob, alias


def build_alias(probs, name: str = "probs") -> tuple[np.ndarray, np.ndarray]:
    """Alias tables for every categorical distribution along the last axis of ``probs``.

    Parameters
    ----------
    probs : array_like, shape (..., n)
        Non-negative weights; each row (last axis) must have a positive sum and is normalized
        (so exact distributions and unnormalized weights both work).
    name : str
        Argument name used in error messages.

    Returns
    -------
    prob : ndarray, shape (..., n), float64
        Acceptance probabilities in [0, 1].
    alias : ndarray, shape (..., n), int64
        Alias outcomes.

    Raises
    ------
    ValueError
        ``probs`` is not a finite array with at least one dimension, has negative entries or a
        row with zero sum.

    Examples
    --------
    >>> prob, alias = build_alias([0.5, 0.5, 0.0])
    >>> [int(alias_draw(prob, alias, u)) for u in (0.1, 0.5, 0.9)]
    [0, 0, 1]
    """
    p = as_float_array(name, probs)
    if p.ndim == 0 or p.shape[-1] == 0:
        raise ValueError(f"{name}: needs a non-empty last axis, got shape {p.shape}")
    if np.any(p < 0):
        raise ValueError(f"{name}: has negative entries (min {p.min():.3g})")
    rows = p.reshape(-1, p.shape[-1])
    if rows.shape[0] and np.any(rows.sum(axis=1) <= 0):
        raise ValueError(f"{name}: every row must have a positive sum")
    rows = np.ascontiguousarray(rows)
    if not rows.flags.writeable:  # one compiled signature (numba types read-only arrays apart)
        rows = rows.copy()
    prob, alias = _build_alias_rows(rows)
    return prob.reshape(p.shape), alias.reshape(p.shape)


@njit(cache=True)
def alias_draw(prob_row, alias_row, u):
    """One draw from the alias table ``(prob_row, alias_row)`` driven by a uniform ``u`` in [0, 1).

    Parameters
    ----------
    prob_row : ndarray, shape (n,), float64
    alias_row : ndarray, shape (n,), int64
    u : float
        Uniform in [0, 1), e.g. ``rng.random()`` of a ``numpy.random.Generator`` (which numba
        reproduces bit for bit inside jitted code).

    Returns
    -------
    int
        Outcome index in ``[0, n)``, never one of probability 0.  A ``u`` outside [0, 1) is
        clamped (kernels do not raise): ``u < 0`` and NaN act as ``u = 0``, ``u >= 1`` (and
        ``inf``) as ``u`` just below 1; draws for ``u`` in [0, 1) are unaffected.
    """
    n = prob_row.shape[0]
    if u >= 0.0:
        x = u * n
        if x > n:  # u > 1 or inf: clamp to the top of the last column
            x = float(n)
    else:  # u < 0 or NaN: clamp to the bottom of the first column
        x = 0.0
    j = int(x)
    if j >= n:  # u * n rounded up to n
        j = n - 1
    if x - j < prob_row[j]:
        return j
    return alias_row[j]


@njit(cache=True)
def rollout_episode(P, rho, pi, H, rng, states, actions):
    """Roll out one episode of ``pi[H, S, A]`` on ``P[Hp, S, A, S]`` (``Hp`` = 1 or ``H``) from
    ``rho[S]``; writes ``states[H+1]`` and ``actions[H]`` (int64).

    Draw order (fixed, shared by every engine of the online runner): ``s_0``, then per step the
    action and the next state, each by :func:`inverse_cdf_draw` from one ``rng.random()``
    (``2H + 1`` uniforms per episode).
    """
    s = inverse_cdf_draw(rho, rng.random())
    states[0] = s
    for h in range(H):
        hp = h if P.shape[0] > 1 else 0
        a = inverse_cdf_draw(pi[h, s], rng.random())
        actions[h] = a
        s = inverse_cdf_draw(P[hp, s, a], rng.random())
        states[h + 1] = s
