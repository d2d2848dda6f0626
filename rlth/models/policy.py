"""Policies: validation and conversion between the deterministic and stochastic forms.

Conventions (docs/explanation/conventions.md section 1):

* finite horizon: deterministic ``pi[H, S]`` (int action indices) or stochastic ``pi[H, S, A]``;
* discounted (stationary): deterministic ``pi[S]`` or stochastic ``pi[S, A]``.

A stationary policy given to a finite-horizon model is broadcast over the horizon.
"""
from __future__ import annotations

import numpy as np

from .._validation import (PROB_TOL, as_array, as_float_array, check_array_bytes,
                           check_distribution, check_positive_int)

__all__ = ["as_stochastic_policy", "deterministic_to_stochastic", "is_deterministic_policy"]


def deterministic_to_stochastic(pi: np.ndarray, n_actions: int) -> np.ndarray:
    """One-hot encode integer actions ``pi[...]`` into ``pi[..., A]``.

    ``ValueError`` naming ``n_actions`` unless it is a positive int, naming ``pi`` unless it is
    an integer array of actions in ``[0, n_actions)``.
    """
    n_actions = check_positive_int("n_actions", n_actions)
    pi = as_array("pi", pi)
    if pi.dtype.kind not in "iu":
        raise ValueError(f"pi: expected integer actions, got dtype {pi.dtype}")
    if pi.size and (pi.min() < 0 or pi.max() >= n_actions):
        raise ValueError(f"pi: actions must lie in [0, {n_actions}), got range "
                         f"[{pi.min()}, {pi.max()}]")
    out = np.zeros(pi.shape + (n_actions,))
    np.put_along_axis(out, pi[..., None], 1.0, axis=-1)
    return out


def is_deterministic_policy(pi) -> bool:
    arr = np.asarray(pi)
    return arr.dtype.kind in "iu"


def as_stochastic_policy(pi, n_states: int, n_actions: int, horizon: int | None = None,
                         name: str = "pi") -> np.ndarray:
    """Validate a policy and return it as a C-contiguous float64 stochastic array.

    Parameters
    ----------
    pi : array_like
        Integer array of actions (``[H, S]`` or ``[S]``) or float array of distributions
        (``[H, S, A]`` or ``[S, A]``).
    n_states, n_actions : int
    horizon : int, optional
        ``None`` for a stationary (discounted) policy; otherwise the output has a leading
        ``H`` axis and stationary inputs are broadcast.
    name : str
        Argument name used in error messages.

    Returns
    -------
    ndarray, shape (H, S, A) or (S, A)

    Raises
    ------
    ValueError
        Wrong shape, action index out of range, negative entries or rows not summing to 1.
    """
    arr = as_array(name, pi)
    if arr.dtype == bool:
        raise ValueError(f"{name}: boolean arrays are not policies")
    lead = () if horizon is None else (horizon,)
    if arr.dtype.kind in "iu":
        if arr.shape not in {lead + (n_states,), (n_states,)}:
            raise ValueError(f"{name}: deterministic policy must have shape "
                             f"{lead + (n_states,)}, got {arr.shape}")
        if arr.size and (arr.min() < 0 or arr.max() >= n_actions):
            raise ValueError(f"{name}: action indices must lie in [0, {n_actions - 1}], "
                             f"got range [{arr.min()}, {arr.max()}]")
        out = deterministic_to_stochastic(arr.astype(np.int64), n_actions)
    else:
        out = as_float_array(name, arr)
        if out.shape not in {lead + (n_states, n_actions), (n_states, n_actions)}:
            raise ValueError(f"{name}: stochastic policy must have shape "
                             f"{lead + (n_states, n_actions)}, got {out.shape}")
        check_distribution(name, out, tol=PROB_TOL)
    if horizon is not None and out.ndim == 2:
        check_array_bytes("horizon", (horizon,) + out.shape, what="the broadcast policy")
        out = np.broadcast_to(out, (horizon,) + out.shape)
    return np.ascontiguousarray(out, dtype=np.float64)
