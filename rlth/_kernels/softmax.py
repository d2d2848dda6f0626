r"""Masked softmax and log-softmax: one numba kernel (in place, one row) and one numpy function.

For logits :math:`z` and a mask :math:`m` (the support, e.g. of a reference policy :math:`\mu`)

.. math::

    \mathrm{softmax}_m(z)_y = \frac{\mathbb 1[m_y]\, e^{z_y - M}}{\sum_{y': m_{y'}} e^{z_{y'} - M}},
    \qquad \log\mathrm{softmax}_m(z)_y = z_y - M - \log\sum_{y': m_{y'}} e^{z_{y'} - M}
    \quad (m_y),

with :math:`M = \max_{y: m_y} z_y` (the shift keeps every exponent <= 0: no overflow, and the
largest term is exactly 1).  Entries off the mask get probability 0 (log-probability
:math:`-\infty`, or left untouched by the in-place kernel).

* :func:`masked_log_softmax_inplace` (``@njit``) -- one row, in place, returns the probabilities:
  the normalisation step of the preference dynamics kernel
  (:mod:`rlth.algorithms.preference.nash_md`);
* :func:`masked_softmax` (numpy) -- rows along the last axis: soft best responses, MMD steps and
  the readable numpy references (:mod:`rlth.solvers.preference`,
  :func:`rlth.algorithms.preference.nash_md.nash_md_step`).

Strict floating point in both (no fastmath), so the kernel gives the same bits with and without
``NUMBA_DISABLE_JIT``.
"""
from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["masked_log_softmax_inplace", "masked_softmax"]


@njit(cache=True)
def masked_log_softmax_inplace(l, mask):
    """In place on ``mask``: ``l <- l - logsumexp(l[mask])``; returns ``p = exp(l)`` on
    ``mask``, 0 elsewhere (``l`` off the mask is not touched).

    ``l[n]`` float64, ``mask[n]`` bool with at least one ``True`` entry where ``l`` is finite.
    """
    n = l.size
    m = -np.inf
    for y in range(n):
        if mask[y] and l[y] > m:
            m = l[y]
    s = 0.0
    for y in range(n):
        if mask[y]:
            s += np.exp(l[y] - m)
    lse = m + np.log(s)
    p = np.zeros(n)
    for y in range(n):
        if mask[y]:
            l[y] -= lse
            p[y] = np.exp(l[y])
    return p


def masked_softmax(z, mask=None) -> np.ndarray:
    """Softmax of ``z`` along the last axis restricted to ``mask`` (0 elsewhere).

    Parameters
    ----------
    z : ndarray, shape (..., n)
        Logits (``-inf`` allowed; every row needs a finite entry on the mask).
    mask : ndarray of bool, shape (..., n), optional
        Support; ``None`` means every entry.

    Returns
    -------
    ndarray, shape (..., n)
        A new array.

    Examples
    --------
    >>> import numpy as np
    >>> masked_softmax(np.log([[1.0, 3.0, 5.0]]), np.array([[True, True, False]])).tolist()
    [[0.25, 0.75, 0.0]]
    """
    if mask is not None:
        z = np.where(mask, z, -np.inf)
    z = z - z.max(axis=-1, keepdims=True)
    p = np.exp(z)
    return p / p.sum(axis=-1, keepdims=True)
