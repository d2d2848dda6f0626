"""Input validation shared by every constructor and public entry point.

Each helper raises ``ValueError`` whose message starts with the argument's name, so a user always
learns *which* input is wrong and *how*.  Kernels downstream assume validated input and never
re-check.  Tolerance for probability rows is ``PROB_TOL = 1e-10`` (docs/explanation/conventions.md section 4).
"""
from __future__ import annotations

import numbers
import os

import numpy as np

PROB_TOL = 1e-10


def _physical_memory_bytes() -> int:
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, OSError, ValueError):  # no sysconf (Windows): 64 GiB
        return 64 * 2**30


#: Largest single array (in bytes) a constructor or sampler agrees to allocate: the machine's
#: physical memory, ``os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES')`` (64 GiB where
#: sysconf is unavailable).  A request above it raises ``ValueError`` at once instead of trying
#: to allocate (and swapping or being killed); see :func:`check_array_bytes`.
MAX_ARRAY_BYTES = _physical_memory_bytes()

__all__ = [
    "PROB_TOL",
    "MAX_ARRAY_BYTES",
    "check_array_bytes",
    "as_array",
    "as_float_array",
    "check_ndim",
    "check_distribution",
    "check_in_range",
    "check_real",
    "check_gamma",
    "check_delta",
    "check_positive_int",
    "check_nonnegative_int",
    "check_positive_float",
    "check_instance",
    "check_choice",
    "check_reward_range",
    "as_initial_distribution",
    "common_horizon",
    "freeze",
    "readonly_copy",
]


def as_array(name: str, x) -> np.ndarray:
    """``np.asarray(x)``; input numpy cannot turn into an array (e.g. a ragged nested list)
    raises ``ValueError`` naming ``name``."""
    try:
        return np.asarray(x)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: cannot be converted to an array ({exc})") from None


def as_float_array(name: str, x, ndim: int | tuple[int, ...] | None = None,
                   shape: tuple | None = None) -> np.ndarray:
    """Return ``x`` as a C-contiguous float64 array with only finite entries.

    Complex input (even with zero imaginary part), strings, datetimes and ragged nested lists
    are rejected, never cast.

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
        raw = np.asarray(x)
        kind = raw.dtype.kind
        if kind == "c":
            raise ValueError(f"{name}: has complex entries (dtype {raw.dtype}); expected real "
                             f"numbers (the imaginary part is never dropped silently)")
        if kind in "USVM":
            raise ValueError(f"{name}: cannot be converted to a float array (expected real "
                             f"numbers, got dtype {raw.dtype})")
        if kind == "O" and any(isinstance(v, (complex, np.complexfloating, str, bytes))
                               for v in raw.flat):
            raise ValueError(f"{name}: cannot be converted to a float array (expected real "
                             f"numbers, got complex or string entries)")
        arr = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        if str(exc).startswith(f"{name}: "):
            raise
        raise ValueError(f"{name}: cannot be converted to a float array ({exc})") from None
    if ndim is not None:
        check_ndim(name, arr, ndim)
    if shape is not None:
        if arr.ndim != len(shape) or any(
                s is not None and s != a for s, a in zip(shape, arr.shape)):
            want = tuple("*" if s is None else s for s in shape)
            raise ValueError(f"{name}: expected shape {want}, got {arr.shape}")
    if arr.size and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: contains NaN or infinite entries")
    return np.ascontiguousarray(arr)


def check_array_bytes(name: str, shape, itemsize: int = 8, what: str = "an array",
                      extra_bytes: int = 0, hint: str = "use a smaller size") -> None:
    """Refuse at once an allocation of ``prod(shape) * itemsize + extra_bytes`` bytes above
    :data:`MAX_ARRAY_BYTES` (the machine's physical memory), with a ``ValueError`` naming
    ``name`` (the argument that makes the array too large).

    Computed with Python integers, so sizes that overflow int64 are caught too.
    """
    n = 1
    for d in shape:
        n *= int(d)
    nbytes = n * int(itemsize) + int(extra_bytes)
    if nbytes > MAX_ARRAY_BYTES:
        dims = tuple(int(d) for d in shape)
        raise ValueError(f"{name}: {what} of shape {dims} would need {nbytes:.3g} bytes, above "
                         f"the limit MAX_ARRAY_BYTES = {MAX_ARRAY_BYTES:.3g} bytes (this "
                         f"machine's physical memory); {hint}")


def check_ndim(name: str, arr: np.ndarray, ndim: int | tuple[int, ...]) -> None:
    """Check that ``arr`` has ``ndim`` dimensions (or one of them)."""
    allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
    if arr.ndim not in allowed:
        raise ValueError(f"{name}: expected {' or '.join(map(str, allowed))} dimensions, "
                         f"got shape {arr.shape}")


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


def check_real(name: str, x) -> float:
    """A finite real number (numpy reals accepted; bools, complex and strings rejected)."""
    return _real(name, x)


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


def _int_at_least(name: str, n, low: int) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise ValueError(f"{name}: expected an integer, got {type(n).__name__}")
    if n < low:
        raise ValueError(f"{name}: must be >= {low}, got {n}")
    return int(n)


def check_positive_int(name: str, n) -> int:
    """Integer >= 1 (numpy integers accepted, bools and floats rejected)."""
    return _int_at_least(name, n, 1)


def check_nonnegative_int(name: str, n) -> int:
    """Integer >= 0 (numpy integers accepted, bools and floats rejected)."""
    return _int_at_least(name, n, 0)


def check_instance(name: str, obj, types, what: str | None = None, hint: str | None = None):
    """Return ``obj`` if it is an instance of ``types``, else raise ``ValueError`` naming ``name``.

    ``what`` describes the expected type in the message (default: the type names joined by
    "or"); ``hint`` is appended in parentheses (e.g. which function to use instead).
    """
    if not isinstance(obj, types):
        if what is None:
            tup = types if isinstance(types, tuple) else (types,)
            what = " or ".join(t.__name__ for t in tup)
        article = "an" if what[:1].lower() in "aeiou" else "a"
        tail = f" ({hint})" if hint else ""
        raise ValueError(f"{name}: expected {article} {what}, got {type(obj).__name__}{tail}")
    return obj


def check_choice(name: str, value, choices: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of the strings ``choices``, else raise ``ValueError``."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name}: must be one of {choices}, got {value!r}")
    return value


def check_reward_range(reward_range) -> tuple[float, float]:
    """A declared reward range ``(low, high)`` of finite floats with ``low <= high``."""
    try:
        lo, hi = (float(v) for v in reward_range)
    except (TypeError, ValueError):
        raise ValueError(f"reward_range: expected a pair (low, high), "
                         f"got {reward_range!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo <= hi):
        raise ValueError(f"reward_range: need finite low <= high, got {reward_range!r}")
    return lo, hi


def as_initial_distribution(rho, n_states: int, name: str = "rho") -> np.ndarray:
    """A read-only initial-state distribution of length ``n_states``; uniform when ``None``."""
    if rho is None:
        return readonly_copy(np.full(n_states, 1.0 / n_states))
    rho = as_float_array(name, rho, shape=(n_states,))
    check_distribution(name, rho)
    return readonly_copy(rho)


def common_horizon(horizon, **stage_arrays: tuple[np.ndarray, int]) -> int:
    """The horizon ``H`` on which the stage-dependent arrays and ``horizon`` agree.

    ``stage_arrays`` maps each argument name to ``(array, ndim of its stage-dependent form)``:
    an array with that many dimensions is stage-dependent and its leading length is ``H``; any
    other array is stationary.  ``horizon`` (``None`` or an integer >= 1) must agree with them,
    and is required when every array (two or more) is stationary.
    """
    lengths = {a.shape[0] for a, nd in stage_arrays.values() if a.ndim == nd}
    if horizon is not None:
        lengths.add(check_positive_int("horizon", horizon))
    names = list(stage_arrays)
    if not lengths:
        listed = ", ".join(names[:-1]) + " and " + names[-1]
        every = "both" if len(names) == 2 else "all"
        raise ValueError(f"horizon: required when {listed} are {every} stationary")
    if len(lengths) > 1:
        shapes = ", ".join(f"{k} {a.shape}" for k, (a, _) in stage_arrays.items())
        raise ValueError(f"horizon: stage-dependent {'/'.join(names)} and horizon disagree on the "
                         f"horizon: {shapes}, horizon={horizon}")
    H = lengths.pop()
    if H < 1:
        raise ValueError(f"horizon: must be >= 1, got {H}")
    return H


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
