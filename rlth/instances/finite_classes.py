r"""Finite model classes for GLOW / HyGLOW (Amortila et al. 2024, arXiv 2401.09681).

Each builder returns a :class:`rlth.models.classes.FiniteModelClass` that contains the true model,
so Assumption 2.1 (:math:`Q^\star \in \mathcal F`, with :math:`\mathcal F = \{Q^\star_M\}`) holds
by construction, and the density ratios of Assumption 2.2' are realized exactly from the
class's occupancies (:func:`rlth.algorithms.online.glow.glow_weights`).  Rewards are Bernoulli
and normalized so that :math:`\sum_h r_h \in [0, 1]` a.s. (Section 1.1 of the paper).

* :func:`contextual_bandit_class` -- ``H = 1``: ``n_contexts`` uniform contexts, reward models
  indexed by a best-action map ``b_M``; ``"cyclic"`` gives ``n_actions`` models
  ``b_j(x) = (x + j) mod A`` (coverability ``C_cov = A``), ``"codes"`` every map in
  ``A^{n_contexts}``.  The ratios needed are model-free (v2 note, section I.6 [D]).
* :func:`combination_lock_class` -- an episodic lock with a good and a dead state per layer,
  indexed by its code ``c in A^H``; the class holds every code, ``|F| = A^H``.

Closed forms (coverability, concentrability of offline data) are computed exactly by the GLOW
module from occupancies; these builders only build models.
"""
from __future__ import annotations

import itertools

import numpy as np

from .._validation import check_positive_int, check_real
from ..models.classes import FiniteModelClass
from ..models.mdp import FiniteHorizonMDP

__all__ = ["contextual_bandit_class", "combination_lock_class"]


def _unit(name, x, *, open_low=False, open_high=False):
    x = check_real(name, x)
    lo_ok = x > 0 if open_low else x >= 0
    hi_ok = x < 1 if open_high else x <= 1
    if not (lo_ok and hi_ok):
        raise ValueError(f"{name}: must lie in {'(' if open_low else '['}0, 1"
                         f"{')' if open_high else ']'}, got {x}")
    return x


def _true_index(true_index, n):
    if true_index is None:
        return n // 2
    if isinstance(true_index, bool) or not isinstance(true_index, (int, np.integer)):
        raise ValueError(f"true_index: expected an int or None, got {true_index!r}")
    if not 0 <= int(true_index) < n:
        raise ValueError(f"true_index: must lie in [0, {n - 1}], got {true_index}")
    return int(true_index)


def contextual_bandit_class(n_contexts: int = 2, n_actions: int = 2, gap: float = 0.5, *,
                            family: str = "cyclic", true_index: int | None = None
                            ) -> FiniteModelClass:
    r"""Contextual bandit (``H = 1``) with a finite reward-model class.

    Model ``M`` has mean reward ``1/2 + gap/2`` for its best action ``b_M(x)`` and
    ``1/2 - gap/2`` for every other action, contexts uniform.

    Parameters
    ----------
    n_contexts, n_actions : int
        ``S`` contexts (states of a horizon-1 MDP) and ``A`` arms.
    gap : float in (0, 1]
        Reward gap of every context.
    family : {"cyclic", "codes"}
        ``"cyclic"``: ``A`` models, ``b_j(x) = (x + j) mod A``; ``"codes"``: all ``A^S`` maps
        (lexicographic order).
    true_index : int, optional
        Index of the true model (default: the middle one, so that the lowest-index tie-break
        does not favour the truth).

    Returns
    -------
    FiniteModelClass
        Names are the best-action maps, e.g. ``"01"``.

    Examples
    --------
    >>> c = contextual_bandit_class(2, 3, 0.5)
    >>> c.n_models, c.horizon, c.names
    (3, 1, ('01', '12', '20'))
    """
    S = check_positive_int("n_contexts", n_contexts)
    A = check_positive_int("n_actions", n_actions)
    gap = _unit("gap", gap, open_low=True)
    if family == "cyclic":
        codes = [tuple((x + j) % A for x in range(S)) for j in range(A)]
    elif family == "codes":
        if A ** S > 4096:
            raise ValueError(f"n_contexts: 'codes' would build A^S = {A ** S} > 4096 models")
        codes = list(itertools.product(range(A), repeat=S))
    else:
        raise ValueError(f"family: must be 'cyclic' or 'codes', got {family!r}")
    P = np.zeros((1, S, A, S))
    P[0, np.arange(S), :, np.arange(S)] = 1.0          # irrelevant at H = 1
    models = []
    for code in codes:
        R = np.full((1, S, A), 0.5 - gap / 2)
        R[0, np.arange(S), list(code)] = 0.5 + gap / 2
        models.append(FiniteHorizonMDP(P, R, rho=np.full(S, 1.0 / S)))
    names = ["".join(str(a) for a in c) for c in codes]
    return FiniteModelClass(models, _true_index(true_index, len(models)), names=names)


def combination_lock_class(horizon: int = 3, n_actions: int = 2, noise: float = 0.1,
                           gap: float = 0.5, *, true_index: int | None = None
                           ) -> FiniteModelClass:
    r"""Combination locks indexed by their code ``c in A^H`` (all codes form the class).

    States per layer: 0 = good, 1 = dead; start in good.  In the good state of layer ``h``,
    action ``c_h`` keeps the lock good with probability ``1 - noise`` (dead otherwise); any
    other action, and every action in the dead state, leads to dead.  Rewards are paid only at
    the last layer in the good state: Bernoulli ``1/2 + gap/2`` for ``c_{H-1}``, ``1/2 - gap/2``
    otherwise; so ``sum_h r_h in {0, 1}``.  ``J(pi_c) = (1 - noise)^{H-1} (1/2 + gap/2)``.

    Parameters
    ----------
    horizon : int
        ``H >= 1`` (the class has ``A^H`` models; at most 4096).
    n_actions : int
    noise : float in [0, 1)
    gap : float in (0, 1]
    true_index : int, optional
        Index of the true code in lexicographic order (default: the middle one).

    Returns
    -------
    FiniteModelClass
        Names are the codes, e.g. ``"010"``.

    Examples
    --------
    >>> c = combination_lock_class(2, 2)
    >>> c.n_models, c.n_states, c.names[c.true_index]
    (4, 2, '10')
    """
    H = check_positive_int("horizon", horizon)
    A = check_positive_int("n_actions", n_actions)
    noise = _unit("noise", noise, open_high=True)
    gap = _unit("gap", gap, open_low=True)
    if A ** H > 4096:
        raise ValueError(f"horizon: the class would hold A^H = {A ** H} > 4096 models")
    codes = list(itertools.product(range(A), repeat=H))
    models = []
    for code in codes:
        P = np.zeros((H, 2, A, 2))
        P[:, :, :, 1] = 1.0
        R = np.zeros((H, 2, A))
        for h, a in enumerate(code):
            P[h, 0, a] = (1.0 - noise, noise)
        R[H - 1, 0, :] = 0.5 - gap / 2
        R[H - 1, 0, code[H - 1]] = 0.5 + gap / 2
        models.append(FiniteHorizonMDP(P, R, rho=np.array([1.0, 0.0]), horizon=H))
    names = ["".join(str(a) for a in c) for c in codes]
    return FiniteModelClass(models, _true_index(true_index, len(models)), names=names)
