r"""Textbook preference optimization in plain numpy: one Nash-MD step.

It imports nothing of rlth.

References
----------
.. [1] R. Munos, M. Valko, D. Calandriello, M. G. Azar, M. Rowland, Z. D. Guo, Y. Tang,
   M. Geist, T. Mesnard, C. Fiegel, A. Michi, M. Selvi, S. Girgin, N. Momchev, O. Bachem,
   D. J. Mankowitz, D. Precup, B. Piot, "Nash Learning from Human Feedback", ICML 2024,
   arXiv 2312.00886: the tabular Nash-MD algorithm, eqs. (3)-(5), Theorem 1.
"""
from __future__ import annotations

import numpy as np

__all__ = ["nash_md_step"]


def nash_md_step(pref, mu, pi, eta, tau):
    r"""One Nash-MD step on a preference matrix game: geometric mixture, then mirror step.

    Pseudocode (Munos et al. 2023, eqs. 3-5; ``P(y > y')`` the preference matrix, ``mu`` the
    reference policy, all policies restricted to the support of ``mu``)::

        pi_mu(y)   proportional to  pi(y)^(1 - eta tau) mu(y)^(eta tau)          (eq. 3)
        g(y)       = P(y > pi_mu) = sum_{y'} P(y > y') pi_mu(y')                 (eq. 4)
        pi_next(y) proportional to  pi_mu(y) exp(eta g(y))                       (eq. 5:
                   argmax_pi eta P(pi > pi_mu) - KL(pi, pi_mu))

    with ``0 < eta tau <= 1`` (the mixture weight must be a weight).  Theorem 1's schedule is
    ``eta_t = 2 / (tau (t + 2))``.  A leading context axis is allowed (every context is updated
    independently).

    Parameters
    ----------
    pref : array_like, shape (Y, Y) or (X, Y, Y)
        ``pref[y, y'] = P(y > y')`` with ``pref + pref^T = 1``.
    mu : array_like, shape (Y,) or (X, Y)
        Reference policy.
    pi : array_like, shape as ``mu``
        Current policy ``pi_t``, positive on the support of ``mu``.
    eta, tau : float
        Step size and regularization, ``0 < eta tau <= 1``.

    Returns
    -------
    ndarray, shape as ``mu``
        ``pi_{t+1}`` (0 off the support of ``mu``).

    References
    ----------
    Munos et al. (2023), eqs. (3)-(5).
    """
    pref, mu, pi = (np.asarray(x, dtype=np.float64) for x in (pref, mu, pi))
    if pref.shape != mu.shape + mu.shape[-1:] or pi.shape != mu.shape or not 0 < eta * tau <= 1:
        raise ValueError(f"pref, pi, eta: need shapes (..., Y, Y), (..., Y) and 0 < eta tau <= 1,"
                         f" got {pref.shape}, {pi.shape}, eta tau = {eta * tau}")
    sup = mu > 0
    log_pi, log_mu = np.log(np.where(sup, pi, 1.0)), np.log(np.where(sup, mu, 1.0))
    z = np.where(sup, (1 - eta * tau) * log_pi + eta * tau * log_mu, -np.inf)     # eq. 3
    pi_mu = np.exp(z - z.max(axis=-1, keepdims=True))
    pi_mu /= pi_mu.sum(axis=-1, keepdims=True)
    g = np.einsum("...ab,...b->...a", pref, pi_mu)                                 # eq. 4
    z = z + eta * g                                                                # eq. 5
    pi_next = np.exp(z - z.max(axis=-1, keepdims=True))
    return pi_next / pi_next.sum(axis=-1, keepdims=True)
