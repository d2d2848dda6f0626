r"""Duels of a linear dueling bandit (:class:`~rlth.models.bandits.LinearDuelingBandit`).

A duel draws :math:`x \sim \rho`, :math:`y_1 \sim \pi_1(\cdot|x)`, :math:`y_2 \sim
\pi_2(\cdot|x)` independently and a Bradley-Terry label: :math:`y_1` wins with probability
:math:`\sigma(r^*(x, y_1) - r^*(x, y_2))`.  Everything the Bradley-Terry likelihood (and VPO)
needs is the count table ``wins[x, y, y']`` = number of duels of ``y`` with ``y'`` in context
``x`` won by ``y`` (a duel of ``y`` with itself counts once on the diagonal, won by ``y``).

* :func:`sample_duel_counts` -- ``n`` i.i.d. duels drawn directly as that sufficient statistic:
  multinomial counts of the cells :math:`(x, y_1, y_2)`, then a binomial number of wins per cell.
  Same law as counting ``n`` individual duels; cost :math:`O(XY^2)`, independent of ``n``.
* :func:`sample_duel` -- one duel (online protocols: :mod:`rlth.algorithms.preference.runner`),
  by inverse-CDF draws in a fixed order.
* :func:`chosen_measure` -- the empirical law of (context, chosen response), the calibration
  measure of "chosen-response" VPO.
"""
from __future__ import annotations

import numpy as np

from .._kernels.sampling import inverse_cdf_draw
from .._rng import as_generator
from .._validation import as_float_array, check_distribution, check_instance, check_positive_int
from ..models.bandits import LinearDuelingBandit

__all__ = ["sample_duel_counts", "sample_duel", "chosen_measure"]


def _policy(model, pi, name):
    pi = as_float_array(name, pi, shape=(model.n_contexts, model.n_responses))
    check_distribution(name, pi)
    return pi


def _win_prob(model):
    return model.preference


def sample_duel_counts(model: LinearDuelingBandit, pi1, pi2, n_samples: int, *,
                       rng=None) -> np.ndarray:
    r"""``n_samples`` i.i.d. duels as the count table ``wins[x, y, y']``.

    Parameters
    ----------
    model : LinearDuelingBandit
    pi1, pi2 : array_like, shape (X, Y)
        Laws of the first and second response per context.
    n_samples : int
        Number of duels ``N >= 1``.
    rng : Generator, int or SeedSequence

    Returns
    -------
    ndarray, shape (X, Y, Y), float64
        Integer-valued counts summing to ``N``.

    Raises
    ------
    ValueError
        ``model`` not a LinearDuelingBandit, policies of the wrong shape or not distributions,
        ``n_samples <= 0``.
    """
    model = check_instance("model", model, LinearDuelingBandit)
    p1 = _policy(model, pi1, "pi1")
    p2 = _policy(model, pi2, "pi2")
    N = check_positive_int("n_samples", n_samples)
    rng = as_generator(rng)
    X, Y = p1.shape
    cell = model.context_probs[:, None, None] * p1[:, :, None] * p2[:, None, :]
    cell = cell.ravel()
    cell = cell / cell.sum()
    M = rng.multinomial(N, cell).reshape(X, Y, Y).astype(np.int64)
    P = _win_prob(model)
    k = rng.binomial(M, P)                        # wins of the first response per cell
    W = k.astype(np.float64) + (M - k).astype(np.float64).swapaxes(1, 2)
    # a duel of y with itself is won by y: undo the split on the diagonal
    idx = np.arange(Y)
    W[:, idx, idx] = M[:, idx, idx]
    return np.ascontiguousarray(W)


def sample_duel(model: LinearDuelingBandit, pi1, pi2, *, rng=None
                ) -> tuple[int, int, int, bool]:
    r"""One duel: ``(x, y1, y2, y1_won)``.

    Draws, in this order, four uniforms: the context, :math:`y_1 \sim \pi_1(\cdot|x)`,
    :math:`y_2 \sim \pi_2(\cdot|x)` (inverse CDF) and the label (:math:`y_1` wins iff
    :math:`u < \sigma(r^*(x, y_1) - r^*(x, y_2))`).  Policies are validated (shape, rows
    summing to 1).
    """
    model = check_instance("model", model, LinearDuelingBandit)
    p1 = _policy(model, pi1, "pi1")
    p2 = _policy(model, pi2, "pi2")
    rng = as_generator(rng)
    x = int(inverse_cdf_draw(model.context_probs, rng.random()))
    y1 = int(inverse_cdf_draw(p1[x], rng.random()))
    y2 = int(inverse_cdf_draw(p2[x], rng.random()))
    r = model.phi[x, [y1, y2]] @ model.theta
    p_win = 0.5 * (1.0 + np.tanh(0.5 * (r[0] - r[1])))
    return x, y1, y2, bool(rng.random() < p_win)


def chosen_measure(wins) -> np.ndarray:
    r"""Empirical law of (context, chosen response): ``q[x, y] = sum_{y'} wins[x, y, y'] / N``.

    Raises
    ------
    ValueError
        ``wins`` not 3-d ``(X, Y, Y)``, negative or non-finite entries, or no duel at all.
    """
    W = as_float_array("wins", wins, ndim=3)
    if W.shape[1] != W.shape[2]:
        raise ValueError(f"wins: expected shape (X, Y, Y), got {W.shape}")
    if np.any(W < 0):
        raise ValueError(f"wins: counts must be >= 0, min is {W.min():.3g}")
    total = W.sum()
    if not total > 0:
        raise ValueError("wins: no duel recorded (all counts are 0)")
    return np.ascontiguousarray(W.sum(axis=2) / total)
