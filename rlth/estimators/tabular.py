r"""Tabular estimates from sufficient statistics: empirical means and the empirical MDP.

An offline dataset of i.i.d. tuples :math:`(s, a, r, s')` is summarized by its counts
:math:`N(s, a)`, reward sums :math:`\Sigma_r(s, a) = \sum_{i : (s_i, a_i) = (s, a)} r_i` and
next-state counts :math:`N(s, a, s')`; every estimate below reads only these (docs/explanation/performance.md
section 6), so its cost does not depend on the number of samples.

.. math::
    \hat r(s, a) = \frac{\Sigma_r(s, a)}{N(s, a)}, \qquad
    \hat P(s' \mid s, a) = \frac{N(s, a, s')}{N(s, a)} \qquad (N(s, a) > 0).

An unvisited cell (:math:`N(s, a) = 0`) has no estimate; the convention used here is
:math:`\hat r = 0` and, for the empirical MDP, a self-loop :math:`\hat P(\cdot \mid s, a) =
\delta_s` [D].  Callers that need another convention (LCB scores an unvisited cell ``-1``,
VI-LCB sends it to the state of lowest value) apply it on top of the ``visited`` mask.

Functions
---------
check_counts
    Validate a table of counts (non-negative integers, given number of dimensions).
empirical_means
    :math:`\hat r` and the visited mask from counts and reward sums.
empirical_mdp
    The certainty-equivalent model :math:`(\hat P, \hat r)`.
argmax_rows
    Row-wise argmax with the lowest-index tie-break (optionally preferring a mask first).

Examples
--------
>>> import numpy as np
>>> counts, r_hat, visited = empirical_means(np.array([[4, 0]]), np.array([[3.0, 0.0]]))
>>> r_hat.tolist(), visited.tolist()
([[0.75, 0.0]], [[True, False]])
"""
from __future__ import annotations

import numpy as np

from .._validation import as_float_array

__all__ = ["check_counts", "empirical_means", "empirical_mdp", "argmax_rows"]


def check_counts(counts, *, ndim: int | None = None, name: str = "counts") -> np.ndarray:
    """Validate a table of visit counts and return it as C-contiguous int64.

    Parameters
    ----------
    counts : array_like of int
        Integer-valued counts, any shape (float input is accepted when every entry is an
        integer).
    ndim : int, optional
        Required number of dimensions (e.g. 2 for ``N[S, A]``); any when omitted.
    name : str, default "counts"
        Argument name used in error messages.

    Returns
    -------
    ndarray of int64, same shape as ``counts``

    Raises
    ------
    ValueError
        Non-integer or non-finite entries, the wrong number of dimensions, an empty table, or
        a negative count (message starts with ``name``).
    """
    counts = np.asarray(counts)
    if counts.dtype.kind not in "iu":
        c = as_float_array(name, counts)
        if np.any(c != np.round(c)):
            raise ValueError(f"{name}: must be integers")
        counts = c
    counts = np.ascontiguousarray(counts, dtype=np.int64)
    if ndim is not None and counts.ndim != ndim:
        raise ValueError(f"{name}: expected {ndim} dimensions, got shape {counts.shape}")
    if counts.size == 0:
        raise ValueError(f"{name}: is empty")
    if np.any(counts < 0):
        raise ValueError(f"{name}: must be >= 0")
    return counts


def empirical_means(counts, reward_sums, *, ndim: int | None = 2):
    r"""Empirical mean reward of every cell, from counts and reward sums.

    .. math:: \hat r(s, a) = \Sigma_r(s, a) / N(s, a) \ \ (N(s, a) > 0), \qquad
              \hat r(s, a) = 0 \ \ (N(s, a) = 0)\ [D].

    Parameters
    ----------
    counts : array_like of int, shape (S, A) (any shape with ``ndim=None``)
        ``N(s, a)``.
    reward_sums : array_like, same shape as ``counts``
        Sum of the observed rewards of each cell.
    ndim : int or None, default 2
        Required number of dimensions of ``counts``.

    Returns
    -------
    counts : ndarray of int64
        The validated counts.
    r_hat : ndarray of float64, same shape
        Empirical means (0 where unvisited).
    visited : ndarray of bool, same shape
        ``counts > 0``.

    Raises
    ------
    ValueError
        Bad ``counts`` (see :func:`check_counts`), or ``reward_sums`` of another shape or
        with non-finite entries.

    Notes
    -----
    Unbiased on visited cells: :math:`\mathbb E[\hat r(s,a) \mid N(s,a) = n] = r(s,a)` for
    ``n > 0``; its deviation is bounded by :func:`rlth.estimators.confidence.hoeffding_width`.
    """
    counts = check_counts(counts, ndim=ndim)
    sums = as_float_array("reward_sums", reward_sums, shape=counts.shape)
    visited = counts > 0
    r_hat = np.where(visited, sums / np.maximum(counts, 1), 0.0)
    return counts, r_hat, visited


def empirical_mdp(counts, reward_sums, next_counts):
    r"""Certainty-equivalent model :math:`(\hat P, \hat r)` from transition counts.

    .. math:: \hat P(s' \mid s, a) = N(s, a, s') / N(s, a), \qquad
              \hat r(s, a) = \Sigma_r(s, a) / N(s, a),

    and for an unvisited cell :math:`\hat r(s, a) = 0`, :math:`\hat P(\cdot \mid s, a) =
    \delta_s` (self-loop) [D].

    Parameters
    ----------
    counts : array_like of int, shape (S, A)
        ``N(s, a)``.
    reward_sums : array_like, shape (S, A)
        Reward sums per cell.
    next_counts : array_like, shape (S, A, S)
        ``N(s, a, s')``; should sum to ``counts`` over ``s'`` (not checked: a row that does
        not is simply normalized by ``N(s, a)``).

    Returns
    -------
    P_hat : ndarray, shape (S, A, S)
    r_hat : ndarray, shape (S, A)

    Raises
    ------
    ValueError
        Bad ``counts`` / ``reward_sums`` (see :func:`empirical_means`) or ``next_counts`` of
        the wrong shape, negative, or not summing over the next state to ``counts``.

    Examples
    --------
    >>> import numpy as np
    >>> P, r = empirical_mdp(np.array([[2, 0]]), np.array([[1.0, 0.0]]), np.array([[[2], [0]]]))
    >>> P[0, :, 0].tolist(), r.tolist()
    ([1.0, 1.0], [[0.5, 0.0]])
    """
    counts, r, visited = empirical_means(counts, reward_sums, ndim=2)
    unvisited = ~visited
    nxt = as_float_array("next_counts", next_counts)
    S, A = counts.shape
    if nxt.shape != (S, A, S):
        raise ValueError(f"next_counts: expected shape {(S, A, S)}, got {nxt.shape}")
    if nxt.size and nxt.min() < 0:
        raise ValueError(f"next_counts: must be non-negative, got minimum {nxt.min():.6g}")
    if not np.array_equal(nxt.sum(axis=-1), counts):
        raise ValueError("next_counts: must sum over the next state to counts")
    m = np.maximum(counts, 1)[..., None]
    P = nxt / m
    if unvisited.any():
        s_idx, a_idx = np.nonzero(unvisited)
        P[s_idx, a_idx, :] = 0.0
        P[s_idx, a_idx, s_idx] = 1.0
    return P, r


def argmax_rows(score, prefer=None) -> np.ndarray:
    """Row-wise argmax of a 2-D score, ties to ``prefer`` first, then to the lowest index.

    Parameters
    ----------
    score : array_like, shape (S, A)
        May hold ``-inf`` (an action that must not be chosen while another is finite).
    prefer : array_like of bool, shape (S, A), optional
        Among the maximizers of a row, those with ``prefer`` true win (e.g. visited actions).

    Returns
    -------
    ndarray of int64, shape (S,)

    Raises
    ------
    ValueError
        ``score`` is not a 2-D real array without NaN, or ``prefer`` has another shape.

    Examples
    --------
    >>> import numpy as np
    >>> argmax_rows(np.array([[1.0, 1.0, 0.0]])).tolist()
    [0]
    >>> argmax_rows(np.array([[1.0, 1.0, 0.0]]), prefer=np.array([[False, True, False]])).tolist()
    [1]
    """
    score = np.asarray(score)
    if score.dtype.kind not in "biuf":
        raise ValueError(f"score: expected real numbers, got dtype {score.dtype}")
    if score.ndim != 2:
        raise ValueError(f"score: expected 2 dimensions, got shape {score.shape}")
    if score.dtype.kind == "f" and np.isnan(score).any():
        raise ValueError("score: contains NaN entries")
    if prefer is None:
        return np.argmax(score, axis=1).astype(np.int64)
    prefer = np.asarray(prefer, dtype=bool)
    if prefer.shape != score.shape:
        raise ValueError(f"prefer: expected shape {score.shape}, got {prefer.shape}")
    best = score.max(axis=1, keepdims=True)
    at_max = score == best
    key = at_max.astype(np.int64) * 2 + (at_max & prefer)
    return np.argmax(key, axis=1).astype(np.int64)
