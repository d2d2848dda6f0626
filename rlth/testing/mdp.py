"""Hypothesis strategies for MDPs and policies, and assertion helpers for solver outputs.

Use them to property-test your own solver against rlth's exact ones::

    from hypothesis import given
    from rlth.testing.mdp import finite_horizon_mdps, assert_bellman_optimal

    @given(finite_horizon_mdps())
    def test_my_solver(mdp):
        assert_bellman_optimal(mdp, my_solver(mdp), atol=1e-9)

The strategies cover the corner cases that break solvers: one state, one action, deterministic
transitions (one-hot rows), sparse rows, all-zero rewards, tied rewards (few distinct values, so
Q-values tie exactly), stationary and stage-dependent dynamics, and initial distributions with
zeros.  Probability rows are normalized weights, so they sum to 1 within a few ulp (the models
accept 1e-10).

The assertion helpers recompute every backup with plain ``numpy.einsum``, sharing no code with
:mod:`rlth.solvers`.
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from ..models.mdp import DiscountedMDP, FiniteHorizonMDP

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
                        reward_kind: str | None = None) -> FiniteHorizonMDP:
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
    return FiniteHorizonMDP(P, R, rho, horizon=H)


@st.composite
def discounted_mdps(draw, *, n_states=(1, 4), n_actions=(1, 3), gamma=(0.0, 0.95),
                    row_kind: str | None = None, reward_kind: str | None = None) -> DiscountedMDP:
    """Small discounted MDPs; ``gamma`` is a float or an inclusive range (``gamma < 1``)."""
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
    return DiscountedMDP(P, R, g, rho)


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


# ----------------------------------------------------------------------------- assertions

def _backup(mdp, V):
    """Q from V with plain einsum (no rlth solver code)."""
    if isinstance(mdp, FiniteHorizonMDP):
        return mdp.R + np.einsum("hsat,ht->hsa", mdp.P, V[1:])
    return mdp.R + mdp.gamma * np.einsum("sat,t->sa", mdp.P, V)


def _one_hot(pi, n_actions):
    pi = np.asarray(pi)
    if pi.dtype.kind in "iu":
        return np.eye(n_actions)[pi]
    return pi


def assert_bellman_optimal(mdp, solution, atol: float = 1e-8) -> None:
    """Assert that ``solution`` (with ``V``, ``pi`` and optionally ``Q``) solves ``mdp``.

    Checks, with every backup recomputed by einsum: ``V`` satisfies the Bellman optimality
    equation (and ``V[H] = 0`` in the finite-horizon case), ``Q`` (if present) equals the
    backup of ``V``, and ``pi`` is greedy (its action's Q-value is within ``atol`` of the max).

    Raises
    ------
    AssertionError
        With the violated condition and its size.
    """
    V = np.asarray(solution.V, dtype=float)
    Qb = _backup(mdp, V)
    if isinstance(mdp, FiniteHorizonMDP):
        assert V.shape == (mdp.horizon + 1, mdp.n_states), f"V has shape {V.shape}"
        err = np.max(np.abs(V[-1]))
        assert err <= atol, f"V[H] is not 0 (max |V[H]| = {err:.3g})"
        Vh = V[:-1]
    else:
        assert V.shape == (mdp.n_states,), f"V has shape {V.shape}"
        Vh = V
    err = np.max(np.abs(Qb.max(axis=-1) - Vh))
    assert err <= atol, f"Bellman optimality violated by {err:.3g} > atol={atol:g}"
    Q = getattr(solution, "Q", None)
    if Q is not None:
        err = np.max(np.abs(np.asarray(Q) - Qb))
        assert err <= atol, f"Q differs from the backup of V by {err:.3g} > atol={atol:g}"
    pi = getattr(solution, "pi", None)
    if pi is not None:
        q_pi = np.sum(_one_hot(pi, mdp.n_actions) * Qb, axis=-1)
        gap = np.max(Qb.max(axis=-1) - q_pi)
        assert gap <= atol, f"pi is not greedy: Q-gap {gap:.3g} > atol={atol:g}"


def assert_policy_value(mdp, pi, V, atol: float = 1e-8) -> None:
    """Assert that ``V`` is the value of policy ``pi`` (policy evaluation equation, einsum)."""
    V = np.asarray(V, dtype=float)
    Qb = _backup(mdp, V)
    pis = _one_hot(pi, mdp.n_actions)
    TV = np.sum(pis * Qb, axis=-1)
    if isinstance(mdp, FiniteHorizonMDP):
        err = max(np.max(np.abs(TV - V[:-1])), np.max(np.abs(V[-1])))
    else:
        err = np.max(np.abs(TV - V))
    assert err <= atol, f"V is not the value of pi: residual {err:.3g} > atol={atol:g}"


def assert_occupancy_valid(mdp, pi, d, atol: float = 1e-10) -> None:
    """Assert that ``d`` is the occupancy of ``pi``: non-negative, normalized, consistent with
    ``pi`` and satisfying the flow (Bellman-flow) equations, all recomputed by einsum."""
    d = np.asarray(d, dtype=float)
    pis = _one_hot(pi, mdp.n_actions)
    assert np.all(d >= 0), "occupancy has negative entries"
    dS = d.sum(axis=-1)
    err = np.max(np.abs(d - dS[..., None] * pis))
    assert err <= atol, f"d(s, a) != d(s) pi(a|s) (error {err:.3g})"
    if isinstance(mdp, FiniteHorizonMDP):
        err = np.max(np.abs(d.sum(axis=(1, 2)) - 1))
        assert err <= atol, f"d[h] does not sum to 1 (error {err:.3g})"
        err = np.max(np.abs(dS[0] - mdp.rho))
        assert err <= atol, f"d[0] does not match rho (error {err:.3g})"
        flow = np.einsum("hsa,hsat->ht", d[:-1], mdp.P[:-1])
        err = np.max(np.abs(flow - dS[1:])) if mdp.horizon > 1 else 0.0
        assert err <= atol, f"flow equations violated by {err:.3g}"
    else:
        err = abs(d.sum() - 1)
        assert err <= atol, f"d does not sum to 1 (error {err:.3g})"
        flow = (1 - mdp.gamma) * mdp.rho + mdp.gamma * np.einsum("sa,sat->t", d, mdp.P)
        err = np.max(np.abs(flow - dS))
        assert err <= atol, f"flow equations violated by {err:.3g}"
