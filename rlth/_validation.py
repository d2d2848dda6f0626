"""Input validation shared by every constructor and public entry point.

Each helper raises ``ValueError`` whose message starts with the argument's name, so a user always
learns *which* input is wrong and *how*.  Kernels downstream assume validated input and never
re-check.  Tolerance for probability rows is ``PROB_TOL = 1e-10`` (design.md section 7).
"""
from __future__ import annotations

import numbers

import numpy as np

PROB_TOL = 1e-10

__all__ = [
    "PROB_TOL",
    "as_float_array",
    "check_distribution",
    "check_in_range",
    "check_gamma",
    "check_delta",
    "check_positive_int",
    "check_nonnegative_int",
    "check_positive_float",
    "check_instance",
    "freeze",
    "readonly_copy",
]


def as_float_array(name: str, x, ndim: int | tuple[int, ...] | None = None,
                   shape: tuple | None = None) -> np.ndarray:
    """Return ``x`` as a C-contiguous float64 array with only finite entries.

    Parameters
    ----------
    name : str
        Argument name, used in error messages.
    x : array_like
    ndim : int or tuple of int, optional
        Allowed number(s) of dimensions.
    shape : tuple, optional
        Expected shape; ``None`` entries are wildcards.
    """
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: cannot be converted to a float array ({exc})") from None
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            raise ValueError(f"{name}: expected {' or '.join(map(str, allowed))} dimensions, "
                             f"got shape {arr.shape}")
    if shape is not None:
        if arr.ndim != len(shape) or any(
                s is not None and s != a for s, a in zip(shape, arr.shape)):
            want = tuple("*" if s is None else s for s in shape)
            raise ValueError(f"{name}: expected shape {want}, got {arr.shape}")
    if arr.size and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: contains NaN or infinite entries")
    return np.ascontiguousarray(arr)


def check_distribution(name: str, p: np.ndarray, axis: int = -1, tol: float = PROB_TOL) -> None:
    """Check that ``p`` holds probability vectors along ``axis`` (non-negative, sum to 1 +- tol)."""
    if p.size == 0:
        raise ValueError(f"{name}: is empty")
    if np.any(p < 0):
        idx = np.unravel_index(np.argmin(p), p.shape)
        raise ValueError(f"{name}: has negative probability {p[idx]:.3g} at index {idx}")
    sums = p.sum(axis=axis)
    err = np.abs(sums - 1.0)
    if np.any(err > tol):
        idx = np.unravel_index(np.argmax(err), sums.shape)
        raise ValueError(f"{name}: probabilities along axis {axis} must sum to 1 (tol {tol:g}); "
                         f"entry {idx} sums to {sums[idx]!r}")


def check_in_range(name: str, x: np.ndarray, low: float, high: float) -> None:
    """Check ``low <= x <= high`` elementwise."""
    if x.size and (np.min(x) < low or np.max(x) > high):
        raise ValueError(f"{name}: entries must lie in [{low}, {high}], "
                         f"got range [{np.min(x):.6g}, {np.max(x):.6g}]")


def _real(name: str, x) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise ValueError(f"{name}: expected a real number, got {type(x).__name__}")
    x = float(x)
    if not np.isfinite(x):
        raise ValueError(f"{name}: must be finite, got {x}")
    return x


def check_gamma(gamma) -> float:
    """Discount factor in [0, 1)."""
    g = _real("gamma", gamma)
    if not 0.0 <= g < 1.0:
        raise ValueError(f"gamma: must lie in [0, 1), got {g}")
    return g


def check_delta(delta, name: str = "delta") -> float:
    """Failure probability in (0, 1)."""
    d = _real(name, delta)
    if not 0.0 < d < 1.0:
        raise ValueError(f"{name}: must lie in (0, 1), got {d}")
    return d


def check_positive_float(name: str, x, allow_zero: bool = False) -> float:
    v = _real(name, x)
    if v < 0 or (v == 0 and not allow_zero):
        raise ValueError(f"{name}: must be {'>= 0' if allow_zero else '> 0'}, got {v}")
    return v


def check_positive_int(name: str, n) -> int:
    """Integer >= 1 (numpy integers accepted, bools and floats rejected)."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise ValueError(f"{name}: expected an integer, got {type(n).__name__}")
    if n < 1:
        raise ValueError(f"{name}: must be >= 1, got {n}")
    return int(n)


def check_nonnegative_int(name: str, n) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise ValueError(f"{name}: expected an integer, got {type(n).__name__}")
    if n < 0:
        raise ValueError(f"{name}: must be >= 0, got {n}")
    return int(n)


def check_instance(name: str, obj, types, what: str | None = None):
    """Return ``obj`` if it is an instance of ``types``, else raise ``ValueError`` naming ``name``.

    ``what`` describes the expected type in the message (default: the type names joined by
    "or").
    """
    if not isinstance(obj, types):
        if what is None:
            tup = types if isinstance(types, tuple) else (types,)
            what = " or ".join(t.__name__ for t in tup)
        article = "an" if what[:1].lower() in "aeiou" else "a"
        raise ValueError(f"{name}: expected {article} {what}, got {type(obj).__name__}")
    return obj


def freeze(*arrays: np.ndarray) -> None:
    """Make arrays that the caller has just allocated read-only, in place (no copy)."""
    for a in arrays:
        a.setflags(write=False)


def readonly_copy(a: np.ndarray) -> np.ndarray:
    """A read-only array that the owner does not share with anyone.

    Anything still writable (the caller's own array, or a view whose base the caller can write)
    is copied first: freezing it in place would break the caller's later writes, and writes
    through a view's base would silently change a validated object.  Costs one copy at
    construction, never in a solver.
    """
    if a.flags.writeable or a.base is not None:
        a = a.copy()
    a.setflags(write=False)
    return a
