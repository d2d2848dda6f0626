r"""Pessimism for offline bandits and discounted MDPs: LCB and VI-LCB.

Rashidinejad, Zhu, Ma, Jiao, Russell, "Bridging Offline Reinforcement Learning and Imitation
Learning: A Tale of Pessimism" (arXiv 2103.12021; NeurIPS 2021; IEEE T-IT 68(12), 2022).

The data are ``N`` i.i.d. tuples ``(s, a, r[, s'])`` with ``(s, a) ~ mu``; every algorithm here
reads only the sufficient statistics (counts ``N(s, a)``, reward sums, next-state counts), so a
dataset of ``N = 1e9`` samples costs the same as one of ``1e3``.

**LCB** (Algorithm 1 for multi-armed bandits, Algorithm 2 for contextual bandits)::

    r_hat(s, a) = mean reward in cell (s, a)        (0 if N(s, a) = 0)
    b(s, a)     = sqrt(c * log(2 |S| |A| / delta) / N(s, a))   (1 if N(s, a) = 0)
    pi_hat(s)   = argmax_a  r_hat(s, a) - b(s, a)

so an unvisited cell scores ``-1``.  Paper constants: ``c = 2000`` for contextual bandits [V],
``delta = 1/N`` in the theorems [V].  The multi-armed bandit constant of Algorithm 1 could not be
checked against the paper text; we default to the Hoeffding form ``c = 1/2``
(``b = sqrt(log(2|A|/delta) / (2 N(a)))``) and tag it [R]; ``c`` is a parameter.
Ties go to the lowest action index [D] (the paper does not specify them).

The penalty is not capped, so a visited cell with ``b > 1 + r_hat`` scores below an unvisited
one (docs/explanation/theory_notes.md, LCB pitfall 1).  ``clipped=True`` is the *named* variant ``max(r_hat - b, -1)`` with ties
going to visited actions [D]; it is not the paper's algorithm.

**VI-LCB** (Algorithm 3, discounted)::

    T = floor(log N / (1 - gamma)); split D into T+1 folds D_0..D_T      [V3]
    L = 2000 log(2 (T+1) |S| |A| / delta),  V_max = 1 / (1 - gamma)      [V3]
    pi_0(s) = argmax_a m_0(s, a)   (behaviour cloning on D_0)            [R]
    V_0 = 0
    for t = 1..T (fold t only):
        Q_t = r_t - b_t + gamma P_t V_{t-1},  b_t = V_max sqrt(L / max(m_t, 1))   [V3]
        where max_a Q_t(s, a) > V_{t-1}(s):  V_t(s), pi_t(s) = max, argmax     (strict >) [V3]
        elsewhere V_t(s), pi_t(s) = V_{t-1}(s), pi_{t-1}(s)
    return pi_T

An unvisited cell of fold ``t`` has ``r_t = 0`` and ``P_t`` the point mass on the state of
lowest current value (the paper allows "any probability vector"; we take the most pessimistic
one) [D].  ``penalty_scale`` multiplies ``b_t`` (1 = paper): with the paper constants every
``b_t > 1`` until ``N ~ 1e9`` at ``gamma = 0.9``, so VI-LCB returns ``pi_0`` (docs/explanation/theory_notes.md, LCB pitfall 2).

References
----------
Rashidinejad et al. (2021), arXiv 2103.12021: Algorithm 1 (LCB, MAB), Algorithm 2 (LCB, CB),
Algorithm 3 (VI-LCB); Definition 1 (single-policy concentrability C*).

Guarantee
---------
MAB, C* >= 2: E[r(a*) - r(pi_hat)] = O~(sqrt(C*/N)) (Theorem 1 [R]).  CB: O~(sqrt(S(C*-1)/N) + S/N)
(Theorem 4 [V]).  MDP: O~(sqrt(S C* / ((1-gamma)^5 N))), and O~(S / ((1-gamma)^4 N)) for
nearly-expert data (Theorem 6/7 [R]).  See :mod:`rlth.theory.lcb`.

Examples
--------
>>> import numpy as np
>>> res = lcb_from_counts(np.array([[10, 1000]]), np.array([[9.0, 800.0]]), c=0.5)
>>> int(res.policy[0])          # the well-logged arm wins although its mean is lower
1
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from ..._validation import check_gamma, check_positive_float, check_positive_int
from ...estimators.confidence import hoeffding_log_term, hoeffding_width, resolve_delta
from ...estimators.tabular import argmax_rows, empirical_means

__all__ = [
    "PAPER_C_CB", "PAPER_C_MAB", "PAPER_C_VI", "LCBResult", "VILCBResult",
    "lcb_from_counts", "lcb_bandit", "lcb_contextual", "lcb_penalty",
    "vi_lcb", "vi_lcb_n_folds", "vi_lcb_penalty",
]

PAPER_C_CB = 2000.0     # [V] Algorithm 2: b = sqrt(2000 log(2|S||A|/delta) / N(s, a))
PAPER_C_MAB = 0.5       # [R] Algorithm 1: Hoeffding form assumed, paper text not verified
PAPER_C_VI = 2000.0     # [V3] Algorithm 3: L = 2000 log(2 (T+1) |S||A| / delta)


# ----------------------------------------------------------------------------------------------
# results
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LCBResult:
    """Output of LCB on a (contextual) bandit dataset.

    Attributes
    ----------
    policy : ndarray of int64, shape (S,)
        Greedy action of the lower confidence bound per context (``S = 1`` for a MAB).
    lower : ndarray, shape (S, A)
        The score maximized: ``r_hat - b`` (``-1`` where unvisited; clipped at ``-1`` when
        ``clipped``).
    r_hat : ndarray, shape (S, A)
    bonus : ndarray, shape (S, A)
        The penalty ``b`` (1 where unvisited).
    delta, c : float
        Failure probability and penalty constant used.
    """

    policy: np.ndarray
    lower: np.ndarray
    r_hat: np.ndarray
    bonus: np.ndarray
    delta: float
    c: float


@dataclass(frozen=True)
class VILCBResult:
    """Output of VI-LCB.

    Attributes
    ----------
    policy : ndarray of int64, shape (S,)
        ``pi_T``.
    V : ndarray, shape (S,)
        ``V_T`` (a pessimistic value estimate, in ``[0, 1/(1-gamma)]``).
    pi0 : ndarray of int64, shape (S,)
        The behaviour-cloning initial policy (argmax of fold-0 counts).
    n_folds : int
        ``T + 1``.
    n_updates : int
        Number of (t, s) pairs where the strict-improvement update fired.
    V_history : ndarray, shape (T+1, S) or None
        ``V_0..V_T`` when requested.
    min_penalty : float
        Smallest ``b_t(s, a)`` over all folds and visited cells (``> 1`` means the
        penalty dominates every reward: the output is ``pi_0``).
    """

    policy: np.ndarray
    V: np.ndarray
    pi0: np.ndarray
    n_folds: int
    n_updates: int
    V_history: np.ndarray | None
    min_penalty: float


# ----------------------------------------------------------------------------------------------
# LCB for bandits
# ----------------------------------------------------------------------------------------------
def dataset_fields(dataset, ndim: int, what: str):
    """``(counts, reward_sums, n_samples)`` of a dataset whose counts have ``ndim`` axes
    (``BanditDataset``: 1, ``ContextualDataset`` / ``[S, A]`` ``TransitionDataset``: 2), else
    a ``ValueError`` naming ``dataset``."""
    try:
        counts = np.asarray(dataset.counts)
        sums = np.asarray(dataset.reward_sums)
        n = int(dataset.n_samples)
    except (AttributeError, TypeError, ValueError):
        counts = None
    if counts is None or counts.ndim != ndim:
        raise ValueError(f"dataset: expected a {what} (counts with {ndim} axes, reward_sums, "
                         f"n_samples), got {type(dataset).__name__}")
    return counts, sums, n


def lcb_penalty(counts, delta: float, c: float, n_cells: int | None = None) -> np.ndarray:
    """The LCB penalty ``b = sqrt(c log(2 n_cells / delta) / N)``, and 1 where ``N = 0``.

    The Hoeffding width of :func:`rlth.estimators.confidence.hoeffding_width` with the union
    over ``n_cells`` cells and LCB's value 1 for an unvisited cell.

    Parameters
    ----------
    counts : array_like of int
        ``N(s, a)``.
    delta : float
        Failure probability in (0, 1].
    c : float
        Penalty constant (``PAPER_C_CB`` = 2000 for contextual bandits).
    n_cells : int, optional
        ``|S| |A|`` inside the log (defaults to ``counts.size``).

    Returns
    -------
    ndarray, same shape as ``counts``
    """
    if n_cells is not None:
        n_cells = check_positive_int("n_cells", n_cells)
    return hoeffding_width(counts, delta, c=c, n_union=n_cells, unvisited=1.0)


def lcb_from_counts(counts, reward_sums, *, delta=None, c: float = PAPER_C_CB,
                    clipped: bool = False, n_samples: int | None = None,
                    n_cells: int | None = None) -> LCBResult:
    """LCB (Algorithms 1-2) from sufficient statistics.

    Parameters
    ----------
    counts : array_like of int, shape (S, A)
        ``N(s, a)``; a multi-armed bandit is ``S = 1``.
    reward_sums : array_like, shape (S, A)
        Sum of observed rewards per cell (rewards in [0, 1]).
    delta : float, optional
        Failure probability; default ``1 / N`` as in the theorems [V].
    c : float, default 2000 (paper, contextual bandits [V])
        Penalty constant in ``b = sqrt(c log(2|S||A|/delta) / N(s, a))``.
    clipped : bool, default False
        Named variant: score ``max(r_hat - b, -1)``, ties to visited actions [D].
    n_samples : int, optional
        ``N``; default ``counts.sum()``.
    n_cells : int, optional
        ``|S||A|`` inside the log; default ``counts.size``.  Lets a caller stack the rows of
        many independent datasets (rows are decided independently).

    Returns
    -------
    LCBResult

    References
    ----------
    Rashidinejad et al. (2021), Algorithms 1 and 2.

    Guarantee
    ---------
    Theorem 4 (CB): E[J(pi*) - J(pi_hat)] = O~(sqrt(S (C* - 1) / N) + S / N) with c = 2000,
    delta = 1/N.
    """
    counts, r_hat, visited = empirical_means(counts, reward_sums)
    c = check_positive_float("c", c, allow_zero=True)
    if n_samples is not None:
        n_samples = check_positive_int("n_samples", n_samples)
    delta = resolve_delta(delta, int(counts.sum()) if n_samples is None else n_samples)
    bonus = lcb_penalty(counts, delta, c, n_cells)
    lower = r_hat - bonus
    if clipped:
        lower = np.maximum(lower, -1.0)
        policy = argmax_rows(lower, prefer=visited)
    else:
        policy = argmax_rows(lower)
    return LCBResult(policy, lower, r_hat, bonus, delta, c)


def lcb_bandit(dataset, *, delta=None, c: float = PAPER_C_MAB, clipped: bool = False) -> int:
    """LCB for a multi-armed bandit dataset (Algorithm 1); returns the chosen arm.

    Parameters
    ----------
    dataset : BanditDataset
        ``counts[K]``, ``reward_sums[K]``, ``n_samples`` (see :mod:`rlth.data`).
    delta : float, optional
        Default ``1 / N``.
    c : float, default 1/2 [R]
        Penalty constant (Hoeffding form assumed for Algorithm 1; 2000 is the CB constant).
    clipped : bool
        Named clipped variant (see module docstring).

    Returns
    -------
    int
    """
    counts, sums, n = dataset_fields(dataset, 1, "BanditDataset")
    res = lcb_from_counts(counts[None, :], sums[None, :], delta=delta, c=c, clipped=clipped,
                          n_samples=n)
    return int(res.policy[0])


def lcb_contextual(dataset, *, delta=None, c: float = PAPER_C_CB,
                   clipped: bool = False) -> LCBResult:
    """LCB for a contextual bandit dataset (Algorithm 2).

    Parameters
    ----------
    dataset : ContextualDataset
        ``counts[S, A]``, ``reward_sums[S, A]``, ``n_samples``.
    delta, c, clipped
        As in :func:`lcb_from_counts` (paper: ``c = 2000``, ``delta = 1/N``).

    Returns
    -------
    LCBResult
    """
    counts, sums, n = dataset_fields(dataset, 2, "ContextualDataset")
    return lcb_from_counts(counts, sums, delta=delta, c=c, clipped=clipped, n_samples=n)


# ----------------------------------------------------------------------------------------------
# VI-LCB
# ----------------------------------------------------------------------------------------------
def vi_lcb_n_folds(n_samples: int, gamma: float) -> int:
    """``T + 1`` with ``T = floor(log N / (1 - gamma))`` (at least 1) [V3]."""
    n = check_positive_int("n_samples", n_samples)
    gamma = check_gamma(gamma)
    return max(int(np.floor(np.log(n) / (1.0 - gamma))), 1) + 1


def vi_lcb_penalty(n_samples: int, gamma: float, n_states: int, n_actions: int, *, delta=None,
                   penalty_scale: float = 1.0) -> float:
    """The per-fold penalty coefficient ``penalty_scale * V_max * sqrt(L)``; ``b_t = coef /
    sqrt(max(m_t, 1))``, ``L = 2000 log(2 (T+1) |S||A| / delta)`` [V3]."""
    n_folds = vi_lcb_n_folds(n_samples, gamma)
    n_states = check_positive_int("n_states", n_states)
    n_actions = check_positive_int("n_actions", n_actions)
    penalty_scale = check_positive_float("penalty_scale", penalty_scale, allow_zero=True)
    delta = resolve_delta(delta, n_samples)
    L = PAPER_C_VI * hoeffding_log_term(delta, n_folds * n_states * n_actions)
    return float(penalty_scale / (1.0 - gamma) * np.sqrt(L))


@njit(cache=True)
def _vi_lcb_kernel(counts, reward_sums, next_counts, gamma, coef, v_max, history):
    n_folds, S, A = counts.shape
    V = np.zeros(S)
    pi = np.zeros(S, dtype=np.int64)
    for s in range(S):                       # pi_0 = argmax_a m_0(s, a), lowest index on ties
        best = 0
        for a in range(1, A):
            if counts[0, s, a] > counts[0, s, best]:
                best = a
        pi[s] = best
    pi0 = pi.copy()
    n_updates = 0
    min_pen = np.inf
    Vnew = np.empty(S)
    for t in range(1, n_folds):
        vmin = V.min()
        for s in range(S):
            best_q = -np.inf
            best_a = 0
            for a in range(A):
                m = counts[t, s, a]
                if m > 0:
                    b = coef / np.sqrt(m)
                    if b < min_pen:
                        min_pen = b
                    pv = 0.0
                    for s2 in range(S):
                        pv += next_counts[t, s, a, s2] * V[s2]
                    q = reward_sums[t, s, a] / m - b + gamma * pv / m
                else:
                    q = -coef + gamma * vmin
                if q > best_q:
                    best_q = q
                    best_a = a
            if best_q > V[s]:
                Vnew[s] = best_q
                pi[s] = best_a
                n_updates += 1
            else:
                Vnew[s] = V[s]
        for s in range(S):
            V[s] = min(Vnew[s], v_max)       # no-op in exact arithmetic (V_t <= V_max)
        if history.shape[0] > 0:
            history[t] = V
    return V, pi, pi0, n_updates, min_pen


def _stack_folds(folds):
    if not isinstance(folds, (list, tuple)):
        raise ValueError("folds: expected a list of TransitionDataset (one per fold)")
    if len(folds) < 1:
        raise ValueError("folds: needs at least one fold")
    try:
        counts = np.stack([np.asarray(f.counts) for f in folds])
        sums = np.stack([np.asarray(f.reward_sums, dtype=np.float64) for f in folds])
        nxt = np.stack([np.asarray(f.next_counts, dtype=np.float64) for f in folds])
        n_total = int(sum(int(f.n_samples) for f in folds))
    except (AttributeError, ValueError) as exc:
        raise ValueError(f"folds: every fold must be a TransitionDataset of the same [S, A] "
                         f"shape ({exc})") from None
    if counts.ndim != 3:
        raise ValueError(f"folds: each fold's counts must have shape (S, A), got {counts.shape[1:]}")
    S, A = counts.shape[1:]
    if nxt.shape != (len(folds), S, A, S):
        raise ValueError(f"folds: next_counts must have shape (S, A, S), got {nxt.shape[1:]}")
    counts = np.ascontiguousarray(counts, dtype=np.int64)
    if np.any(counts < 0):
        raise ValueError("folds: counts must be >= 0")
    if not np.array_equal(nxt.sum(axis=-1), counts):
        raise ValueError("folds: next_counts must sum to counts over the next state")
    return counts, np.ascontiguousarray(sums), np.ascontiguousarray(nxt), n_total


def vi_lcb(folds, gamma: float, *, delta=None, penalty_scale: float = 1.0,
           n_samples: int | None = None, return_history: bool = False) -> VILCBResult:
    """VI-LCB (Algorithm 3) on ``T + 1`` independent folds of transition data.

    Parameters
    ----------
    folds : list of TransitionDataset, length T + 1
        ``D_0, ..., D_T`` (``counts[S, A]``, ``reward_sums[S, A]``, ``next_counts[S, A, S]``),
        e.g. from ``rlth.data.sample_transition_folds(mdp, mu, N, vi_lcb_n_folds(N, gamma))``.
        Fold 0 only fixes ``pi_0``; fold ``t`` drives iteration ``t``.
    gamma : float
        Discount factor.
    delta : float, optional
        Default ``1 / N`` (N = total samples over folds unless ``n_samples`` is given) [R].
    penalty_scale : float, default 1 (paper)
        Multiplies ``b_t``; values below 1 are a named deviation (the paper's penalty exceeds 1
        below ``N ~ 1e9``, theory notes, LCB pitfall 2).
    n_samples : int, optional
        ``N`` used in ``delta = 1/N``; default the total over folds.
    return_history : bool
        Keep ``V_0..V_T``.

    Returns
    -------
    VILCBResult

    References
    ----------
    Rashidinejad et al. (2021), Algorithm 3; constants as in the module docstring.

    Guarantee
    ---------
    With probability >= 1 - delta, ``V_T <= V^{pi_T}`` elementwise and
    ``J(pi*) - J(pi_T) = O~(sqrt(S C* / ((1-gamma)^5 N)))`` (Theorem 6 [R]).
    """
    gamma = check_gamma(gamma)
    counts, sums, nxt, n_total = _stack_folds(folds)
    penalty_scale = check_positive_float("penalty_scale", penalty_scale, allow_zero=True)
    n = n_total if n_samples is None else check_positive_int("n_samples", n_samples)
    n_folds, S, A = counts.shape
    delta = resolve_delta(delta, n)
    L = PAPER_C_VI * hoeffding_log_term(delta, n_folds * S * A)
    v_max = 1.0 / (1.0 - gamma)
    coef = penalty_scale * v_max * np.sqrt(L)
    hist = np.zeros((n_folds if return_history else 0, S))
    V, pi, pi0, n_upd, min_pen = _vi_lcb_kernel(counts, sums, nxt, gamma, coef, v_max, hist)
    return VILCBResult(pi, V, pi0, n_folds, int(n_upd), hist if return_history else None,
                       float(min_pen))
