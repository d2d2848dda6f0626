"""Helpers shared by the environment adapters: action validation and one inverse-CDF draw."""
from __future__ import annotations

import operator

import numpy as np

__all__ = ["check_action", "draw"]


def check_action(name: str, action, n_actions: int) -> int:
    """``action`` as an int in ``[0, n_actions)``, else ``ValueError`` naming ``name``."""
    if isinstance(action, (bool, np.bool_)):
        raise ValueError(f"{name}: expected an integer in [0, {n_actions - 1}], got {action!r}")
    try:
        a = operator.index(action)
    except TypeError:
        raise ValueError(f"{name}: expected an integer in [0, {n_actions - 1}], "
                         f"got {type(action).__name__} {action!r}") from None
    if not 0 <= a < n_actions:
        raise ValueError(f"{name}: must lie in [0, {n_actions - 1}], got {a}")
    return a


def draw(rng: np.random.Generator, p: np.ndarray) -> int:
    """One draw from the distribution ``p`` by the inverse CDF (one uniform).

    The uniform is scaled by the row's computed total, so a zero-probability entry is never
    drawn, even when rounding leaves the cumulative sum a hair below 1.
    """
    cdf = np.cumsum(p)
    return int(np.searchsorted(cdf, rng.random() * cdf[-1], side="right"))
