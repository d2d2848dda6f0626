"""Hypothesis strategies for MDPs and policies, and assertion helpers for solver outputs.

Use them to property-test your own solver against rlth's exact ones::

    from hypothesis import given
    from rlth.testing.mdp import finite_horizon_mdps, assert_bellman_optimal

    @given(finite_horizon_mdps())
    def test_my_solver(mdp):
        assert_bellman_optimal(mdp, my_solver(mdp), atol=1e-9)

``my_solver`` may return what is natural for it: rlth's result objects, a plain value array
(``V[S]`` discounted, ``V[H+1, S]`` or ``V[H, S]`` finite horizon), a ``(V, Q, pi)`` tuple
(entries may be ``None``) or a dict with keys among ``"V"``, ``"Q"``, ``"pi"``.  A failing
assertion says which form it got; a shape that fits no form is a ``ValueError``.

The strategies cover the corner cases that break solvers: one state, one action, deterministic
transitions (one-hot rows), sparse rows, all-zero rewards, tied rewards (few distinct values, so
Q-values tie exactly), stationary and stage-dependent dynamics, and initial distributions with
zeros.  Probability rows are normalized weights, so they sum to 1 within a few ulp (the models
accept 1e-10).

The assertion helpers recompute every backup with plain ``numpy.einsum``, sharing no code with
:mod:`rlth.solvers`.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from hypothesis import strategies as st

from ..models.mdp import DiscountedMDP, FiniteHorizonMDP
from ..models.sparse import SparseFiniteHorizonMDP, is_sparse_mdp, to_sparse


def _fh(mdp) -> bool:
    """Finite horizon (dense or CSR)."""
    return isinstance(mdp, (FiniteHorizonMDP, SparseFiniteHorizonMDP))


def _P_times(mdp, V, h=None):
    """``sum_t P(t | s, a) V[t]`` as ``[S, A]`` (stage h), by einsum (dense) or a scipy CSR
    product (sparse): no rlth solver code."""
    S, A = mdp.n_states, mdp.n_actions
    if is_sparse_mdp(mdp):
        M = mdp.P_matrix(h) if h is not None else mdp.P_matrix()
        return (M @ V).reshape(S, A)
    P = mdp.P[h] if h is not None else mdp.P
    return np.einsum("sat,t->sa", P, V)


def _flow_in(mdp, d_h, h=None):
    """``sum_{s,a} d(s, a) P(t | s, a)`` as ``[S]`` (stage h)."""
    S, A = mdp.n_states, mdp.n_actions
    if is_sparse_mdp(mdp):
        M = mdp.P_matrix(h) if h is not None else mdp.P_matrix()
        return M.T @ d_h.reshape(S * A)
    P = mdp.P[h] if h is not None else mdp.P
    return np.einsum("sa,sat->t", d_h, P)

__all__ = ["probability_vectors", "stochastic_matrices", "reward_arrays", "finite_horizon_mdps",
           "discounted_mdps", "deterministic_policies", "stochastic_policies", "policies",
           "assert_bellman_optimal", "assert_policy_value", "assert_occupancy_valid"]

_ROW_KINDS = ("deterministic", "integer", "float")
_REWARD_KINDS = ("zero", "tied", "float")


def _as_range(name, r):
    if isinstance(r, int):
        return r, r
    lo, hi = r
    if not 1 <= lo <= hi:
        raise ValueError(f"{name}: expected an int >= 1 or a range (lo, hi) with 1 <= lo <= hi, "
                         f"got {r!r}")
    return int(lo), int(hi)


@st.composite
def probability_vectors(draw, n: int, *, kind: str | None = None) -> np.ndarray:
    """A probability vector of length ``n``.

    Parameters
    ----------
    n : int
    kind : {"deterministic", "integer", "float"}, optional
        ``deterministic``: one-hot; ``integer``: normalized integer weights in 0..4 (sparse
        supports and exact ties); ``float``: normalized floats in [0, 1].  Drawn when omitted.
    """
    kind = draw(st.sampled_from(_ROW_KINDS)) if kind is None else kind
    if kind not in _ROW_KINDS:
        raise ValueError(f"kind: expected one of {_ROW_KINDS}, got {kind!r}")
    if kind == "deterministic" or n == 1:
        p = np.zeros(n)
        p[draw(st.integers(0, n - 1))] = 1.0
        return p
    if kind == "integer":
        w = np.array(draw(st.lists(st.integers(0, 4), min_size=n, max_size=n)), dtype=float)
    else:
        w = np.array(draw(st.lists(st.floats(0.0, 1.0, allow_subnormal=False),
                                   min_size=n, max_size=n)))
        w[w < 1e-6] = 0.0          # keep ratios (concentrability) finite-precision friendly
    if w.sum() == 0:
        w[draw(st.integers(0, n - 1))] = 1.0
    return w / w.sum()


@st.composite
def stochastic_matrices(draw, shape: tuple[int, ...], n: int, *,
                        kind: str | None = None) -> np.ndarray:
    """An array of shape ``shape + (n,)`` whose last-axis rows are probability vectors.

    ``kind`` as in :func:`probability_vectors`; when omitted each row draws its own kind, except
    that ``"deterministic"`` may be drawn for the whole array (a deterministic MDP).
    """
    if kind is None and draw(st.booleans()):
        kind = "deterministic"
    rows = [draw(probability_vectors(n, kind=kind)) for _ in range(int(np.prod(shape)))]
    return np.array(rows, dtype=np.float64).reshape(tuple(shape) + (n,))


@st.composite
def reward_arrays(draw, shape: tuple[int, ...], *, kind: str | None = None,
                  low: float = 0.0, high: float = 1.0) -> np.ndarray:
    """Mean rewards in ``[low, high]``.

    ``kind``: ``zero`` (all 0, clipped into the range), ``tied`` (values in
    ``{low, (low+high)/2, high}``, so Q-values tie exactly) or ``float``; drawn when omitted.
    """
    kind = draw(st.sampled_from(_REWARD_KINDS)) if kind is None else kind
    size = int(np.prod(shape))
    if kind == "zero":
        return np.full(shape, min(max(0.0, low), high))
    if kind == "tied":
        vals = np.array([low, (low + high) / 2, high])
        idx = draw(st.lists(st.integers(0, 2), min_size=size, max_size=size))
        return vals[np.array(idx, dtype=np.int64)].reshape(shape)
    if kind == "float":
        x = draw(st.lists(st.floats(low, high, allow_subnormal=False), min_size=size,
                          max_size=size))
        return np.array(x, dtype=np.float64).reshape(shape)
    raise ValueError(f"kind: expected one of {_REWARD_KINDS}, got {kind!r}")


@st.composite
def finite_horizon_mdps(draw, *, n_states=(1, 4), n_actions=(1, 3), horizon=(1, 4),
                        stationary: bool | None = None, row_kind: str | None = None,
                        reward_kind: str | None = None, sparse: bool = False):
    """Small finite-horizon MDPs.

    Parameters
    ----------
    n_states, n_actions, horizon : int or (int, int)
        Fixed value or inclusive range.
    stationary : bool, optional
        ``True``: ``P[S, A, S]``, ``R[S, A]``; ``False``: stage-dependent ``P[H, ...]``,
        ``R[H, ...]``; when omitted, drawn independently for ``P`` and ``R``, so mixed models
        (stationary ``P`` with stage-dependent ``R`` and vice versa) occur too.
    row_kind, reward_kind : str, optional
        See :func:`probability_vectors` and :func:`reward_arrays`.
    sparse : bool, default False
        Return the CSR form (:class:`rlth.models.SparseFiniteHorizonMDP`); deterministic and
        integer rows give rows with one or a few stored successors.
    """
    S = draw(st.integers(*_as_range("n_states", n_states)))
    A = draw(st.integers(*_as_range("n_actions", n_actions)))
    H = draw(st.integers(*_as_range("horizon", horizon)))
    if stationary is None:
        stat_P, stat_R = draw(st.booleans()), draw(st.booleans())
    else:
        stat_P = stat_R = bool(stationary)
    P = draw(stochastic_matrices((() if stat_P else (H,)) + (S, A), S, kind=row_kind))
    R = draw(reward_arrays((() if stat_R else (H,)) + (S, A), kind=reward_kind))
    rho = draw(probability_vectors(S))
    mdp = FiniteHorizonMDP(P, R, rho, horizon=H)
    return to_sparse(mdp) if sparse else mdp


@st.composite
def discounted_mdps(draw, *, n_states=(1, 4), n_actions=(1, 3), gamma=(0.0, 0.95),
                    row_kind: str | None = None, reward_kind: str | None = None,
                    sparse: bool = False):
    """Small discounted MDPs; ``gamma`` is a float or an inclusive range (``gamma < 1``);
    ``sparse=True`` returns the CSR form (:class:`rlth.models.SparseDiscountedMDP`)."""
    S = draw(st.integers(*_as_range("n_states", n_states)))
    A = draw(st.integers(*_as_range("n_actions", n_actions)))
    if isinstance(gamma, (int, float)):
        g = float(gamma)
    else:
        g = draw(st.one_of(st.just(float(gamma[0])),
                           st.floats(float(gamma[0]), float(gamma[1]), allow_subnormal=False)))
    P = draw(stochastic_matrices((S, A), S, kind=row_kind))
    R = draw(reward_arrays((S, A), kind=reward_kind))
    rho = draw(probability_vectors(S))
    mdp = DiscountedMDP(P, R, g, rho)
    return to_sparse(mdp) if sparse else mdp


def _policy_lead(n_states, horizon):
    return (n_states,) if horizon is None else (horizon, n_states)


@st.composite
def deterministic_policies(draw, n_states: int, n_actions: int, horizon: int | None = None):
    """Integer actions ``pi[S]`` (``horizon=None``) or ``pi[H, S]``."""
    shape = _policy_lead(n_states, horizon)
    a = draw(st.lists(st.integers(0, n_actions - 1), min_size=int(np.prod(shape)),
                      max_size=int(np.prod(shape))))
    return np.array(a, dtype=np.int64).reshape(shape)


@st.composite
def stochastic_policies(draw, n_states: int, n_actions: int, horizon: int | None = None,
                        *, kind: str | None = None):
    """Distributions ``pi[S, A]`` or ``pi[H, S, A]`` (rows may be one-hot or sparse)."""
    return draw(stochastic_matrices(_policy_lead(n_states, horizon), n_actions, kind=kind))


def policies(n_states: int, n_actions: int, horizon: int | None = None):
    """Either a deterministic or a stochastic policy."""
    return st.one_of(deterministic_policies(n_states, n_actions, horizon),
                     stochastic_policies(n_states, n_actions, horizon))


# ----------------------------------------------------------------------------- solver results

def _is_array_like(x) -> bool:
    return isinstance(x, (np.ndarray, np.generic, list, int, float))


def _read_result(result, name: str, keys: tuple[str, ...], array_key: str):
    """Split what a solver returned into ``{key: value or None}`` and describe its form.

    Forms: a mapping with keys among ``keys``; a plain tuple of ``len(keys)`` entries (``None``
    for missing ones); an object with at least one of the attributes ``keys`` (rlth's result
    dataclasses, namedtuples); otherwise an array read as ``keys[array_key]``.
    """
    spell = f"({', '.join(keys)})"
    if isinstance(result, Mapping):
        unknown = sorted(str(k) for k in result if k not in keys)
        if unknown:
            raise ValueError(f"{name}: a dict may only have keys among {list(keys)}, got "
                             f"unknown key(s) {unknown}")
        return {k: result.get(k) for k in keys}, f"a dict with keys {sorted(result)}"
    if isinstance(result, tuple) and not hasattr(result, "_fields"):
        if len(result) != len(keys):
            raise ValueError(f"{name}: a tuple must be {spell} with None for the entries you do "
                             f"not have (or pass a dict); got a tuple of length {len(result)}")
        if all(v is not None and np.ndim(v) == 0 for v in result):
            raise ValueError(f"{name}: ambiguous: a tuple of {len(result)} numbers is read as a "
                             f"{spell} tuple, but its entries are scalars; pass a {array_key} "
                             f"array as a numpy array or a list")
        return dict(zip(keys, result)), f"a {spell} tuple"
    if not _is_array_like(result) and any(hasattr(result, k) for k in keys):
        return ({k: getattr(result, k, None) for k in keys},
                f"a {type(result).__name__} result")
    if result is None:
        raise ValueError(f"{name}: got None; expected a result object, a {array_key} array, a "
                         f"{spell} tuple or a dict with keys among {list(keys)}")
    try:
        arr = np.asarray(result, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected a result object (with attributes among "
                         f"{list(keys)}), a {array_key} array, a {spell} tuple or a dict; got "
                         f"{type(result).__name__}") from None
    return ({k: (arr if k == array_key else None) for k in keys},
            f"a {array_key} array of shape {arr.shape}")


def _shape_text(mdp) -> dict:
    S, A = mdp.n_states, mdp.n_actions
    if _fh(mdp):
        H = mdp.horizon
        return {"V": f"(H+1, S) = {(H + 1, S)} or (H, S) = {(H, S)}",
                "Q": f"(H, S, A) = {(H, S, A)}",
                "pi": f"(H, S) = {(H, S)} (actions) or (H, S, A) = {(H, S, A)} (distributions)",
                "d": f"(H, S, A) = {(H, S, A)}"}
    return {"V": f"(S,) = {(S,)}", "Q": f"(S, A) = {(S, A)}",
            "pi": f"(S,) = {(S,)} (actions) or (S, A) = {(S, A)} (distributions)",
            "d": f"(S, A) = {(S, A)}"}


def _values(mdp, V, name: str) -> np.ndarray:
    """``V[S]`` or ``V[H+1, S]`` (a finite-horizon ``V[H, S]`` gets ``V[H] = 0`` appended)."""
    V = np.asarray(V, dtype=float)
    S = mdp.n_states
    if _fh(mdp):
        H = mdp.horizon
        if V.shape == (H + 1, S):
            return V
        if V.shape == (H, S):
            return np.concatenate([V, np.zeros((1, S))])
    elif V.shape == (S,):
        return V
    hint = ""
    if V.shape == _q_shape(mdp):
        hint = "; this is the shape of Q: pass {'Q': Q} or (None, Q, None)"
    raise ValueError(f"{name}: expected V of shape {_shape_text(mdp)['V']}, got shape "
                     f"{V.shape}{hint}")


def _q_shape(mdp) -> tuple:
    lead = (mdp.horizon,) if _fh(mdp) else ()
    return lead + (mdp.n_states, mdp.n_actions)


def _q_values(mdp, Q, name: str) -> np.ndarray:
    Q = np.asarray(Q, dtype=float)
    if Q.shape != _q_shape(mdp):
        raise ValueError(f"{name}: expected Q of shape {_shape_text(mdp)['Q']}, got shape "
                         f"{Q.shape}")
    return Q


def _policy(mdp, pi, name: str, atol: float = 1e-8) -> np.ndarray:
    """Stochastic policy ``[S, A]`` / ``[H, S, A]`` from actions or distributions."""
    if not _is_array_like(pi):
        if isinstance(pi, Mapping) and "pi" in pi:
            pi = pi["pi"]
        elif hasattr(pi, "pi"):
            pi = pi.pi
    arr = np.asarray(pi)
    lead = _q_shape(mdp)[:-1]
    A = mdp.n_actions
    if arr.shape == lead and arr.dtype.kind in "iufb":
        if arr.dtype.kind not in "iu":
            if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
                raise ValueError(f"{name}: an array of shape {arr.shape} is read as actions, "
                                 f"but it has non-integer entries")
        if np.any((arr < 0) | (arr >= A)):
            raise ValueError(f"{name}: actions must lie in 0..{A - 1}")
        return np.eye(A)[arr.astype(np.int64)]
    if arr.shape == lead + (A,) and arr.dtype.kind in "iuf":
        arr = arr.astype(float)
        bad = np.any(arr < -atol) or np.max(np.abs(arr.sum(axis=-1) - 1)) > atol
        if bad:
            raise AssertionError(f"{name}: the rows of pi are not probability distributions")
        return arr
    raise ValueError(f"{name}: expected pi of shape {_shape_text(mdp)['pi']}, got shape "
                     f"{arr.shape}")


def _mdp_result(mdp, result, name: str):
    """``(V or None, Q or None, pi or None, form)`` with checked shapes (``V`` padded)."""
    parts, form = _read_result(result, name, ("V", "Q", "pi"), "V")
    V = None if parts["V"] is None else _values(mdp, parts["V"], name)
    Q = None if parts["Q"] is None else _q_values(mdp, parts["Q"], name)
    pi = None if parts["pi"] is None else _policy(mdp, parts["pi"], name)
    return V, Q, pi, form


def _pad(mdp, Vh):
    if _fh(mdp):
        return np.concatenate([Vh, np.zeros((1, mdp.n_states))])
    return Vh


# ----------------------------------------------------------------------------- assertions

def _backup(mdp, V):
    """Q from V with plain einsum (no rlth solver code)."""
    if _fh(mdp):
        return mdp.R + np.stack([_P_times(mdp, V[h + 1], h) for h in range(mdp.horizon)])
    return mdp.R + mdp.gamma * _P_times(mdp, V)


def assert_bellman_optimal(mdp, solution, atol: float = 1e-8) -> None:
    """Assert that ``solution`` solves ``mdp`` (Bellman optimality, recomputed by einsum).

    Parameters
    ----------
    mdp : FiniteHorizonMDP or DiscountedMDP
    solution : result object, array_like, tuple or dict
        What the solver under test returned, in any of these forms:

        * a result object with attributes ``V`` and optionally ``Q`` and ``pi`` (rlth's
          :class:`~rlth.solvers.dp.DiscountedSolution`, ``FiniteHorizonSolution``, ...);
        * a plain value array ``V``: shape ``(S,)`` (discounted), ``(H+1, S)`` or ``(H, S)``
          (finite horizon; ``V[H] = 0`` is appended to the latter);
        * a tuple ``(V, Q, pi)`` whose entries may be ``None``;
        * a dict with keys among ``"V"``, ``"Q"``, ``"pi"``.

        ``Q`` has shape ``(S, A)`` / ``(H, S, A)``; ``pi`` holds actions (``(S,)`` /
        ``(H, S)``) or distributions (``(S, A)`` / ``(H, S, A)``).
    atol : float
        Tolerance of every check (max-norm).

    Notes
    -----
    Checks ``V`` against the Bellman optimality equation ``V = max_a (R + P V)`` (and
    ``V[H] = 0``), ``Q`` (when given) against the backup ``R + P V`` of ``V``, and that ``pi``
    (when given) is greedy: its action's backed-up Q-value is within ``atol`` of the maximum.
    Given only ``V``, nothing else is needed: the optimality equation determines ``V*``, and a
    policy greedy w.r.t. ``V`` is exactly one Bellman backup of ``V`` away, so it is not checked
    separately.  Given ``Q`` without ``V``, ``V = max_a Q`` is used (so ``Q`` must be the fixed
    point ``Q = R + P max_a Q``).

    Raises
    ------
    AssertionError
        With the violated condition, its size and the form of ``solution`` it got.
    ValueError
        If ``solution`` has no ``V`` or ``Q``, or shapes that fit no form (the message names
        the argument and the expected shapes).

    Examples
    --------
    A two-state MDP: state 1 pays 1 forever, state 0 pays nothing but can move to state 1.

    >>> import numpy as np
    >>> from rlth.models.mdp import DiscountedMDP
    >>> P = np.array([[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [0.0, 1.0]]])
    >>> R = np.array([[0.0, 0.0], [1.0, 1.0]])
    >>> mdp = DiscountedMDP(P, R, gamma=0.5)
    >>> def my_solver(mdp, n_iter=200):      # plain value iteration returning V[S]
    ...     V = np.zeros(mdp.n_states)
    ...     for _ in range(n_iter):
    ...         V = (mdp.R + mdp.gamma * mdp.P @ V).max(axis=1)
    ...     return V
    >>> my_solver(mdp)
    array([1., 2.])
    >>> assert_bellman_optimal(mdp, my_solver(mdp))
    >>> assert_bellman_optimal(mdp, (my_solver(mdp), None, np.array([1, 0])))
    >>> assert_bellman_optimal(mdp, np.array([0.0, 2.0]))
    Traceback (most recent call last):
    ...
    AssertionError: Bellman optimality violated by 1 > atol=1e-08; got a V array of shape (2,)
    >>> assert_bellman_optimal(mdp, {"V": np.array([1.0, 2.0]), "pi": np.array([0, 0])})
    Traceback (most recent call last):
    ...
    AssertionError: pi is not greedy: Q-gap 0.5 > atol=1e-08; got a dict with keys ['V', 'pi']
    """
    V, Q, pi, form = _mdp_result(mdp, solution, "solution")
    got = f"got {form}"
    if V is None:
        if Q is None:
            raise ValueError(f"solution: needs V or Q, {got} without either")
        V, got = _pad(mdp, Q.max(axis=-1)), f"{got} (V = max_a Q)"
    Qb = _backup(mdp, V)
    if _fh(mdp):
        err = np.max(np.abs(V[-1]))
        assert err <= atol, f"V[H] is not 0 (max |V[H]| = {err:.3g}); {got}"
        Vh = V[:-1]
    else:
        Vh = V
    err = np.max(np.abs(Qb.max(axis=-1) - Vh))
    assert err <= atol, f"Bellman optimality violated by {err:.3g} > atol={atol:g}; {got}"
    if Q is not None:
        err = np.max(np.abs(Q - Qb))
        assert err <= atol, f"Q differs from the backup of V by {err:.3g} > atol={atol:g}; {got}"
    if pi is not None:
        q_pi = np.sum(pi * Qb, axis=-1)
        gap = np.max(Qb.max(axis=-1) - q_pi)
        assert gap <= atol, f"pi is not greedy: Q-gap {gap:.3g} > atol={atol:g}; {got}"


def assert_policy_value(mdp, pi, V, atol: float = 1e-8) -> None:
    """Assert that ``V`` is the value of policy ``pi`` (policy evaluation equation, einsum).

    Parameters
    ----------
    mdp : FiniteHorizonMDP or DiscountedMDP
    pi : array_like or None
        Actions (``(S,)`` / ``(H, S)``) or distributions (``(S, A)`` / ``(H, S, A)``); a result
        object or dict with a ``pi`` is also taken.  ``None``: the ``pi`` of ``V`` (a tuple,
        dict or result object that carries one).
    V : result object, array_like, tuple or dict
        What the policy evaluator under test returned: a result object with ``V`` and/or ``Q``
        (rlth's :class:`~rlth.solvers.dp.PolicyEvaluation`), a plain value array of shape
        ``(S,)``, ``(H+1, S)`` or ``(H, S)`` (``V[H] = 0`` appended), a tuple ``(V, Q, pi)``
        with ``None`` for missing entries, or a dict with keys among ``"V"``, ``"Q"``, ``"pi"``.
        A ``pi`` inside it is ignored when the ``pi`` argument is given.
    atol : float
        Tolerance of every check (max-norm).

    Notes
    -----
    Checks ``V = sum_a pi(a|s) (R + P V)(s, a)`` (and ``V[H] = 0``) and, when ``Q`` is given,
    ``Q = R + P V``.  Given only ``Q``, ``V = sum_a pi(a|s) Q(s, a)`` is computed from it exactly
    (so ``Q`` must satisfy ``Q = R + P (pi Q)``).

    Raises
    ------
    AssertionError
        With the residual and the form of ``V`` it got.
    ValueError
        If shapes fit no form, or neither ``V`` nor ``Q`` (or no ``pi``) is given.

    Examples
    --------
    >>> import numpy as np
    >>> from rlth.models.mdp import DiscountedMDP
    >>> P = np.array([[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [0.0, 1.0]]])
    >>> mdp = DiscountedMDP(P, np.array([[0.0, 0.0], [1.0, 1.0]]), gamma=0.5)
    >>> pi = np.array([0, 0])                         # stay in state 0: value 0 there
    >>> assert_policy_value(mdp, pi, np.array([0.0, 2.0]))
    >>> assert_policy_value(mdp, pi, np.array([1.0, 2.0]))
    Traceback (most recent call last):
    ...
    AssertionError: V is not the value of pi: residual 0.5 > atol=1e-08; got a V array of shape (2,)
    """
    Vv, Q, pi_r, form = _mdp_result(mdp, V, "V")
    got = f"got {form}"
    if pi is None:
        if pi_r is None:
            raise ValueError(f"pi: None, and V ({form}) carries no pi")
        pis = pi_r
    else:
        pis = _policy(mdp, pi, "pi")
    if Vv is None:
        if Q is None:
            raise ValueError(f"V: needs V or Q, {got} without either")
        Vv, got = _pad(mdp, np.sum(pis * Q, axis=-1)), f"{got} (V = sum_a pi Q)"
    Qb = _backup(mdp, Vv)
    TV = np.sum(pis * Qb, axis=-1)
    if _fh(mdp):
        err = max(np.max(np.abs(TV - Vv[:-1])), np.max(np.abs(Vv[-1])))
    else:
        err = np.max(np.abs(TV - Vv))
    assert err <= atol, f"V is not the value of pi: residual {err:.3g} > atol={atol:g}; {got}"
    if Q is not None:
        err = np.max(np.abs(Q - Qb))
        assert err <= atol, f"Q differs from the backup of V by {err:.3g} > atol={atol:g}; {got}"


def assert_occupancy_valid(mdp, pi, d, atol: float = 1e-10) -> None:
    """Assert that ``d`` is the occupancy of ``pi``: non-negative, normalized, consistent with
    ``pi`` and satisfying the flow (Bellman-flow) equations, all recomputed by einsum.

    Parameters
    ----------
    mdp : FiniteHorizonMDP or DiscountedMDP
    pi : array_like
        Actions (``(S,)`` / ``(H, S)``) or distributions (``(S, A)`` / ``(H, S, A)``); a result
        object or dict with a ``pi`` is also taken.
    d : array_like
        State-action occupancy, shape ``(S, A)`` (normalized discounted) or ``(H, S, A)`` (one
        distribution per stage).
    atol : float

    Raises
    ------
    AssertionError
        With the violated condition.
    ValueError
        If ``pi`` or ``d`` has a shape that fits no form.

    Examples
    --------
    >>> import numpy as np
    >>> from rlth.models.mdp import DiscountedMDP
    >>> P = np.array([[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [0.0, 1.0]]])
    >>> mdp = DiscountedMDP(P, np.zeros((2, 2)), gamma=0.5, rho=np.array([1.0, 0.0]))
    >>> assert_occupancy_valid(mdp, np.array([1, 0]), np.array([[0.0, 0.5], [0.5, 0.0]]))
    """
    pis = _policy(mdp, pi, "pi")
    d = np.asarray(d, dtype=float)
    if d.shape != _q_shape(mdp):
        raise ValueError(f"d: expected an occupancy of shape {_shape_text(mdp)['d']}, got "
                         f"shape {d.shape}")
    assert np.all(d >= 0), "occupancy has negative entries"
    dS = d.sum(axis=-1)
    err = np.max(np.abs(d - dS[..., None] * pis))
    assert err <= atol, f"d(s, a) != d(s) pi(a|s) (error {err:.3g})"
    if _fh(mdp):
        err = np.max(np.abs(d.sum(axis=(1, 2)) - 1))
        assert err <= atol, f"d[h] does not sum to 1 (error {err:.3g})"
        err = np.max(np.abs(dS[0] - mdp.rho))
        assert err <= atol, f"d[0] does not match rho (error {err:.3g})"
        err = 0.0
        if mdp.horizon > 1:
            flow = np.stack([_flow_in(mdp, d[h], h) for h in range(mdp.horizon - 1)])
            err = np.max(np.abs(flow - dS[1:]))
        assert err <= atol, f"flow equations violated by {err:.3g}"
    else:
        err = abs(d.sum() - 1)
        assert err <= atol, f"d does not sum to 1 (error {err:.3g})"
        flow = (1 - mdp.gamma) * mdp.rho + mdp.gamma * _flow_in(mdp, d)
        err = np.max(np.abs(flow - dS))
        assert err <= atol, f"flow equations violated by {err:.3g}"
