r"""Finite-horizon and discounted MDPs with sparse (CSR) transitions.

The same models as :mod:`rlth.models.mdp`, for the large sparse instances people teach and test
with (gridworlds, chains, Garnets with a few successors per state-action pair), where a dense
``P[S, A, S]`` cannot be held: at ``S = 1e6``, ``A = 4`` it would need 32 TB, its CSR form with
five successors 0.24 GB.

Storage
-------
The transitions of all stages are one CSR matrix over the rows ``(h, s, a)``, row index
``(h * S + s) * A + a`` (``h`` only over the stored stages: one when ``P`` is stationary), and
columns ``s'``: ``indptr[Hp * S * A + 1]``, ``indices[nnz]`` (next states, sorted within a row,
no duplicates) and ``data[nnz]`` (float64 probabilities, all > 0).  The index arrays are int32
when their values fit (``indices`` when ``S <= 2**31 - 1``, ``indptr`` when ``nnz <= 2**31 -
1``; scipy's own rule, so :meth:`P_matrix` shares them with scipy without a copy) and int64
otherwise: a backup streams 12 bytes per stored transition instead of 16, which made the CSR
sweep 1.3x faster at ``S = 1e6`` (``experiments/benchmarks/sparse.py``).  Row ``(h, s, a)`` is
the distribution :math:`P_h(\cdot \mid s, a)`:

.. math::
    P_h(s' \mid s, a) = \text{data}[k] \text{ for the } k \in [\text{indptr}[r], \text{indptr}[r+1])
    \text{ with indices}[k] = s', \quad r = (h S + s) A + a,

and 0 for every other ``s'``.  Rewards stay dense, ``R_stages[Hr, S, A]`` (O(SA) memory), as in
the dense models.  Memory is O(nnz + H S A) (O(nnz + S A) when stationary).

Validation is the dense models': every row sums to 1 (tolerance 1e-10), no negative or
non-finite probability, next states in range, rewards in the declared range; explicit zeros are
dropped and duplicate entries summed (a row may list ``s'`` twice, as ``scipy.sparse`` allows).

Constructors: from ``scipy.sparse`` matrices (:class:`SparseFiniteHorizonMDP`,
:class:`SparseDiscountedMDP`), from a transition function ``(s, a) -> [(p, s'), ...]``
(:func:`sparse_mdp_from_function`), from a gymnasium toy-text table ``P[s][a] = [(p, s', r,
done), ...]`` (:func:`sparse_mdp_from_table`), and from or to the dense models
(:func:`to_sparse`, ``.to_dense()``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from .._validation import (PROB_TOL, as_float_array, as_initial_distribution, check_array_bytes,
                           check_gamma, check_in_range, check_positive_int, check_reward_range,
                           readonly_copy)
from .mdp import DiscountedMDP, FiniteHorizonMDP

__all__ = ["SparseFiniteHorizonMDP", "SparseDiscountedMDP", "sparse_mdp_from_function",
           "sparse_mdp_from_table", "to_sparse", "is_sparse_mdp"]


#: Largest value an int32 index array holds (module constant so a test can lower it and check
#: the int64 layout gives the same results).
_INDEX32_MAX = int(np.iinfo(np.int32).max)


def _index_dtype(max_value: int) -> type:
    """int32 when every value up to ``max_value`` fits, else int64."""
    return np.int32 if max_value <= _INDEX32_MAX else np.int64


def _csr_stage(name: str, P, n_rows: int | None, n_states: int | None) -> sp.csr_matrix:
    """One stage as a canonical CSR matrix ``(S*A, S)``: float64, sorted, summed duplicates."""
    if not sp.issparse(P):
        raise ValueError(f"{name}: expected a scipy.sparse matrix of shape (S*A, S), got "
                         f"{type(P).__name__} (build dense models with FiniteHorizonMDP / "
                         f"DiscountedMDP, or convert with rlth.models.to_sparse)")
    if P.ndim != 2:
        raise ValueError(f"{name}: expected a 2-D sparse matrix, got {P.ndim} dimensions")
    if np.iscomplexobj(P.data if hasattr(P, "data") else P.tocsr().data):
        raise ValueError(f"{name}: complex probabilities are not allowed")
    M = sp.csr_matrix(P, dtype=np.float64, copy=True)
    rows, cols = M.shape
    if n_states is not None and cols != n_states:
        raise ValueError(f"{name}: expected {n_states} columns (next states), got {cols}")
    if n_rows is not None and rows != n_rows:
        raise ValueError(f"{name}: expected {n_rows} rows (state-action pairs), got {rows}")
    if cols == 0 or rows == 0 or rows % cols:
        raise ValueError(f"{name}: shape must be (S*A, S) with S, A >= 1, got {M.shape}")
    if not np.isfinite(M.data).all():
        raise ValueError(f"{name}: contains non-finite probabilities (NaN or inf)")
    if (M.data < 0).any():
        raise ValueError(f"{name}: contains negative probabilities (min {M.data.min():.3g})")
    M.sum_duplicates()
    M.eliminate_zeros()
    M.sort_indices()
    sums = np.asarray(M.sum(axis=1)).ravel()
    bad = np.flatnonzero(np.abs(sums - 1.0) > PROB_TOL)
    if bad.size:
        r = int(bad[0])
        A = rows // cols
        raise ValueError(f"{name}: row (s, a) = ({r // A}, {r % A}) sums to {sums[r]!r}, not 1 "
                         f"(tolerance {PROB_TOL:g}); {bad.size} such rows")
    return M


def _stack(name: str, P, horizon) -> tuple[int, int, int, np.ndarray, np.ndarray, np.ndarray]:
    """(S, A, Hp, indptr, indices, data) of one CSR matrix or a sequence of per-stage ones."""
    if sp.issparse(P):
        stages = [_csr_stage(name, P, None, None)]
    elif isinstance(P, np.ndarray):
        raise ValueError(f"{name}: expected a scipy.sparse matrix of shape (S*A, S) (or a "
                         f"sequence of them), got a dense ndarray (build dense models with "
                         f"FiniteHorizonMDP / DiscountedMDP)")
    else:
        try:
            seq = list(P)
        except TypeError:
            raise ValueError(f"{name}: expected a scipy.sparse matrix (S*A, S) or a sequence "
                             f"of H of them, got {type(P).__name__}") from None
        if not seq:
            raise ValueError(f"{name}: the sequence of stages is empty")
        first = _csr_stage(f"{name}[0]", seq[0], None, None)
        stages = [first] + [_csr_stage(f"{name}[{h}]", m, first.shape[0], first.shape[1])
                            for h, m in enumerate(seq[1:], start=1)]
        if horizon is not None and len(stages) not in (1, horizon):
            raise ValueError(f"{name}: {len(stages)} stages given, but horizon = {horizon}")
    S = stages[0].shape[1]
    A = stages[0].shape[0] // S
    nnz = np.array([m.nnz for m in stages], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(nnz)])
    indptr = np.empty(len(stages) * S * A + 1, dtype=_index_dtype(int(offsets[-1])))
    for h, m in enumerate(stages):
        indptr[h * S * A:(h + 1) * S * A] = m.indptr[:-1].astype(np.int64) + offsets[h]
    indptr[-1] = offsets[-1]
    idx_dtype = _index_dtype(S)
    if len(stages) == 1:
        indices, data = stages[0].indices.astype(idx_dtype, copy=False), stages[0].data
    else:
        indices = np.empty(int(offsets[-1]), dtype=idx_dtype)
        data = np.empty(int(offsets[-1]))
        for h, m in enumerate(stages):
            indices[offsets[h]:offsets[h + 1]] = m.indices
            data[offsets[h]:offsets[h + 1]] = m.data
    return S, A, len(stages), indptr, indices, data


def _rewards(R, n_states: int, n_actions: int, ndims: tuple[int, ...]) -> np.ndarray:
    R = as_float_array("R", R, ndim=ndims)
    if R.shape[-2:] != (n_states, n_actions):
        raise ValueError(f"R: trailing shape must be (n_states, n_actions) = "
                         f"{(n_states, n_actions)}, got {R.shape}")
    return R


class _CSRTransitions:
    """Accessors shared by the sparse models (which hold ``indptr``, ``indices``, ``data``)."""

    @property
    def nnz(self) -> int:
        """Stored transition probabilities (all stages)."""
        return int(self.data.size)

    @property
    def nbytes(self) -> int:
        """Bytes of the CSR arrays (``indptr``, ``indices``, ``data``)."""
        return int(self.indptr.nbytes + self.indices.nbytes + self.data.nbytes)

    @property
    def max_row_nnz(self) -> int:
        """Largest number of successors of one (stage, state, action) row."""
        return int(np.diff(self.indptr).max(initial=0))

    def _stage_matrix(self, hp: int) -> sp.csr_matrix:
        S, A = self.n_states, self.n_actions
        lo, hi = hp * S * A, (hp + 1) * S * A
        base = self.indptr[lo]
        return sp.csr_matrix((self.data[base:self.indptr[hi]], self.indices[base:self.indptr[hi]],
                              self.indptr[lo:hi + 1] - base), shape=(S * A, S))


@dataclass(frozen=True, eq=False, init=False)
class SparseFiniteHorizonMDP(_CSRTransitions):
    """Finite-horizon MDP with CSR transitions (module docstring for the storage).

    Parameters
    ----------
    P : scipy.sparse matrix of shape (S*A, S), or a sequence of H of them
        Row ``s * A + a`` of stage h is :math:`P_h(\\cdot \\mid s, a)`; one matrix is stationary
        and needs ``horizon`` unless ``R`` has H stages.
    R : array_like, shape (H, S, A) or (S, A)
        Mean rewards (dense); 2-D means stationary.
    rho : array_like, shape (S,), optional
        Initial-state distribution; uniform when omitted.
    horizon : int, optional
        Required when both ``P`` and ``R`` are stationary; must match otherwise.
    reward_range : (float, float), default (0, 1)

    Attributes
    ----------
    indptr, indices, data : ndarray
        CSR over the rows ``(h, s, a)`` of the stored stages (``n_p_stages`` of them).
    R_stages : ndarray, shape (H or 1, S, A)
    rho : ndarray, shape (S,)

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> P = sp.csr_matrix(([1.0, 0.5, 0.5], [1, 0, 1], [0, 1, 3]), shape=(2, 2))
    >>> m = SparseFiniteHorizonMDP(P, [[0.0], [1.0]], horizon=3)
    >>> m.n_states, m.n_actions, m.nnz, m.is_stationary
    (2, 1, 3, True)
    """

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    R_stages: np.ndarray
    rho: np.ndarray
    horizon: int
    n_states: int
    n_actions: int
    n_p_stages: int
    reward_range: tuple[float, float] = field(default=(0.0, 1.0))

    def __init__(self, P, R, rho=None, horizon=None, reward_range=(0.0, 1.0)):
        if horizon is not None:
            horizon = check_positive_int("horizon", horizon)
        S, A, Hp, indptr, indices, data = _stack("P", P, horizon)
        R = _rewards(R, S, A, (2, 3))
        Hr = R.shape[0] if R.ndim == 3 else 1
        lengths = {n for n, stagewise in ((Hp, Hp > 1 or not sp.issparse(P)), (Hr, R.ndim == 3))
                   if stagewise}
        H = horizon
        if H is None:
            if not lengths:
                raise ValueError("horizon: required when P and R are both stationary")
            H = max(lengths)
        for n, what in ((Hp, "P"), (Hr, "R")):
            if n not in (1, H):
                raise ValueError(f"{what}: has {n} stages, but horizon = {H}")
        check_array_bytes("horizon", (H + 1, S), what="the values V")
        reward_range = check_reward_range(reward_range)
        check_in_range("R", R, *reward_range)
        R_stages = R if R.ndim == 3 else R[None]
        for name, val in (("indptr", readonly_copy(indptr)), ("indices", readonly_copy(indices)),
                          ("data", readonly_copy(data)),
                          ("R_stages", readonly_copy(np.ascontiguousarray(R_stages))),
                          ("rho", as_initial_distribution(rho, S)), ("horizon", int(H)),
                          ("n_states", int(S)), ("n_actions", int(A)), ("n_p_stages", int(Hp)),
                          ("reward_range", reward_range)):
            object.__setattr__(self, name, val)

    @property
    def is_stationary(self) -> bool:
        """Both ``P`` and ``R`` are the same at every stage."""
        return self.n_p_stages == 1 and self.R_stages.shape[0] == 1

    @property
    def R(self) -> np.ndarray:
        """Mean rewards as a read-only ``[H, S, A]`` view."""
        return np.broadcast_to(self.R_stages, (self.horizon,) + self.R_stages.shape[1:])

    def P_matrix(self, h: int = 0) -> sp.csr_matrix:
        """Stage h's transitions as a ``scipy.sparse`` CSR matrix ``(S*A, S)`` (shares the model's
        arrays when ``P`` is stationary; scipy copies one stage of a stage-dependent ``P``, a
        small view of the stacked arrays)."""
        h = int(h)
        if not 0 <= h < self.horizon:
            raise ValueError(f"h: must lie in [0, {self.horizon - 1}], got {h}")
        hp = h if self.n_p_stages > 1 else 0
        return self._stage_matrix(hp)

    def to_dense(self) -> FiniteHorizonMDP:
        """The same model as a dense :class:`FiniteHorizonMDP` (refused when it would not fit)."""
        S, A, Hp = self.n_states, self.n_actions, self.n_p_stages
        check_array_bytes("mdp", (Hp, S, A, S), what="the dense transitions")
        P = np.stack([self.P_matrix(h).toarray().reshape(S, A, S) for h in range(Hp)])
        R = self.R_stages if self.R_stages.shape[0] > 1 else self.R_stages[0]
        return FiniteHorizonMDP(P if Hp > 1 else P[0], R, self.rho, horizon=self.horizon,
                                reward_range=self.reward_range)

    def with_rho(self, rho) -> "SparseFiniteHorizonMDP":
        """The same MDP with another initial distribution (shares the CSR arrays)."""
        new = object.__new__(type(self))
        for name in self.__dataclass_fields__:
            object.__setattr__(new, name, getattr(self, name))
        object.__setattr__(new, "rho", as_initial_distribution(rho, self.n_states))
        return new


@dataclass(frozen=True, eq=False, init=False)
class SparseDiscountedMDP(_CSRTransitions):
    """Discounted MDP with CSR transitions ``P`` of shape ``(S*A, S)``.

    Parameters
    ----------
    P : scipy.sparse matrix, shape (S*A, S)
    R : array_like, shape (S, A)
    gamma : float in [0, 1)
    rho : array_like, shape (S,), optional
    reward_range : (float, float), default (0, 1)

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> P = sp.csr_matrix(([1.0, 1.0], [1, 1], [0, 1, 2]), shape=(2, 2))
    >>> SparseDiscountedMDP(P, [[0.0], [1.0]], 0.9).nnz
    2
    """

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    R: np.ndarray
    gamma: float
    rho: np.ndarray
    n_states: int
    n_actions: int
    reward_range: tuple[float, float] = field(default=(0.0, 1.0))

    def __init__(self, P, R, gamma, rho=None, reward_range=(0.0, 1.0)):
        if not sp.issparse(P):
            raise ValueError(f"P: expected a scipy.sparse matrix of shape (S*A, S), got "
                             f"{type(P).__name__}")
        S, A, _, indptr, indices, data = _stack("P", P, None)
        R = _rewards(R, S, A, (2,))
        gamma = check_gamma(gamma)
        reward_range = check_reward_range(reward_range)
        check_in_range("R", R, *reward_range)
        for name, val in (("indptr", readonly_copy(indptr)), ("indices", readonly_copy(indices)),
                          ("data", readonly_copy(data)), ("R", readonly_copy(R)),
                          ("gamma", gamma), ("rho", as_initial_distribution(rho, S)),
                          ("n_states", int(S)), ("n_actions", int(A)),
                          ("reward_range", reward_range)):
            object.__setattr__(self, name, val)

    def P_matrix(self) -> sp.csr_matrix:
        """Transitions as a ``scipy.sparse`` CSR matrix ``(S*A, S)`` (shares memory)."""
        return self._stage_matrix(0)

    def to_dense(self) -> DiscountedMDP:
        """The same model as a dense :class:`DiscountedMDP` (refused when it would not fit)."""
        S, A = self.n_states, self.n_actions
        check_array_bytes("mdp", (S, A, S), what="the dense transitions")
        return DiscountedMDP(self.P_matrix().toarray().reshape(S, A, S), self.R, self.gamma,
                             self.rho, reward_range=self.reward_range)


def is_sparse_mdp(mdp) -> bool:
    """Whether ``mdp`` is one of the CSR models."""
    return isinstance(mdp, (SparseFiniteHorizonMDP, SparseDiscountedMDP))


def to_sparse(mdp):
    """The CSR form of a dense :class:`FiniteHorizonMDP` or :class:`DiscountedMDP`.

    Examples
    --------
    >>> from rlth.instances import chain
    >>> to_sparse(chain(5, horizon=4)).nnz <= 5 * 2 * 5
    True
    """
    if isinstance(mdp, FiniteHorizonMDP):
        S, A = mdp.n_states, mdp.n_actions
        stages = [sp.csr_matrix(P.reshape(S * A, S)) for P in mdp.P_stages]
        R = mdp.R_stages if mdp.R_stages.shape[0] > 1 else mdp.R_stages[0]
        return SparseFiniteHorizonMDP(stages if len(stages) > 1 else stages[0], R, mdp.rho,
                                      horizon=mdp.horizon, reward_range=mdp.reward_range)
    if isinstance(mdp, DiscountedMDP):
        S, A = mdp.n_states, mdp.n_actions
        return SparseDiscountedMDP(sp.csr_matrix(mdp.P.reshape(S * A, S)), mdp.R, mdp.gamma,
                                   mdp.rho, reward_range=mdp.reward_range)
    raise ValueError(f"mdp: expected a FiniteHorizonMDP or DiscountedMDP, got "
                     f"{type(mdp).__name__}")


def _build(n_states, n_actions, horizon, gamma, rho, reward_range, rows, cols, vals, R):
    S, A = n_states, n_actions
    P = sp.csr_matrix((vals, (rows, cols)), shape=(S * A, S))
    if gamma is not None:
        if horizon is not None:
            raise ValueError("horizon: give horizon or gamma, not both")
        return SparseDiscountedMDP(P, R, gamma, rho, reward_range=reward_range)
    if horizon is None:
        raise ValueError("horizon: give horizon (finite horizon) or gamma (discounted)")
    return SparseFiniteHorizonMDP(P, R, rho, horizon=horizon, reward_range=reward_range)


def sparse_mdp_from_function(n_states: int, n_actions: int, transition, R, *, horizon=None,
                             gamma=None, rho=None, reward_range=(0.0, 1.0)):
    """A stationary CSR model from a transition function ``(s, a) -> [(p, s'), ...]``.

    Parameters
    ----------
    n_states, n_actions : int
    transition : callable
        ``transition(s, a)`` returns the successors of (s, a) as ``(probability, next_state)``
        pairs (a next state may repeat: its probabilities add).  Called S*A times, in Python.
    R : array_like, shape (S, A)
    horizon, gamma : one of them
        Finite-horizon (``horizon``) or discounted (``gamma``) model.
    rho, reward_range
        As in the model constructors.

    Examples
    --------
    >>> m = sparse_mdp_from_function(3, 1, lambda s, a: [(1.0, min(s + 1, 2))],
    ...                              [[0.0], [0.0], [1.0]], horizon=4)
    >>> m.P_matrix().toarray().tolist()
    [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 1.0]]
    """
    S = check_positive_int("n_states", n_states)
    A = check_positive_int("n_actions", n_actions)
    if not callable(transition):
        raise ValueError(f"transition: expected a callable (s, a) -> [(p, s'), ...], got "
                         f"{type(transition).__name__}")
    rows, cols, vals = [], [], []
    for s in range(S):
        for a in range(A):
            for item in transition(s, a):
                try:
                    p, s2 = item
                except (TypeError, ValueError):
                    raise ValueError(f"transition: ({s}, {a}) returned {item!r}, expected "
                                     f"(probability, next_state) pairs") from None
                if not (isinstance(s2, (int, np.integer)) and 0 <= s2 < S):
                    raise ValueError(f"transition: ({s}, {a}) -> next state {s2!r} is not an "
                                     f"integer in [0, {S - 1}]")
                rows.append(s * A + a)
                cols.append(int(s2))
                vals.append(float(p))
    return _build(S, A, horizon, gamma, rho, reward_range, rows, cols, vals, R)


def sparse_mdp_from_table(table, *, horizon=None, gamma=None, rho=None,
                          reward_range=None):
    """A stationary CSR model from a gymnasium toy-text table ``P[s][a] = [(p, s', r, done)]``.

    The mean reward of (s, a) is ``sum p * r`` over its entries (the expectation of the
    transition reward, as gymnasium's ``step`` pays it); a ``done`` successor becomes absorbing
    with reward 0, as an episode that ended collects nothing more (the same convention as
    :func:`rlth.adapters.gymnasium.model_from_gymnasium`).

    Parameters
    ----------
    table : dict or sequence
        ``table[s][a]`` a list of ``(probability, next_state, reward, terminated)``.
    horizon, gamma, rho
        As in :func:`sparse_mdp_from_function`.
    reward_range : (float, float), optional
        Default: the range of the mean rewards, widened to include 0.

    Examples
    --------
    >>> table = {0: {0: [(1.0, 1, 1.0, True)]}, 1: {0: [(1.0, 1, 0.0, False)]}}
    >>> m = sparse_mdp_from_table(table, horizon=2)
    >>> m.R_stages[0].tolist()
    [[1.0], [0.0]]
    """
    try:
        S = len(table)
        A = len(table[0])
    except (TypeError, KeyError, IndexError):
        raise ValueError("table: expected table[s][a] = [(p, s', r, done), ...]") from None
    S = check_positive_int("table (number of states)", S)
    A = check_positive_int("table (number of actions)", A)
    absorbing = np.zeros(S, dtype=bool)
    R = np.zeros((S, A))
    succ = {}
    for s in range(S):
        try:
            row = table[s]
            n_row = len(row)
        except (TypeError, KeyError, IndexError):
            raise ValueError(f"table: expected table[s][a] = [(p, s', r, done), ...]; "
                             f"table[{s}] is missing or not a mapping of actions") from None
        if n_row != A:
            raise ValueError(f"table: state {s} has {n_row} actions, state 0 has {A}")
        for a in range(A):
            out = []
            try:
                items = list(row[a])
            except (TypeError, KeyError, IndexError):
                raise ValueError(f"table: expected table[s][a] = [(p, s', r, done), ...]; "
                                 f"table[{s}][{a}] is missing or not a list of outcomes") from None
            for item in items:
                try:
                    p, s2, r, done = item
                    p, r = float(p), float(r)
                except (TypeError, ValueError):
                    raise ValueError(f"table: entry {item!r} of ({s}, {a}) is not "
                                     f"(p, next_state, reward, done)") from None
                if not 0.0 <= p <= 1.0:
                    raise ValueError(f"table: probability {p!r} of ({s}, {a}) is outside [0, 1]")
                if isinstance(s2, bool) or not isinstance(s2, (int, np.integer)) \
                        or not 0 <= s2 < S:
                    raise ValueError(f"table: next state {s2!r} of ({s}, {a}) is not a state "
                                     f"index in [0, {S})")
                R[s, a] += p * r
                out.append((p, int(s2)))
                if done:
                    absorbing[s2] = True
            succ[s, a] = out
    if not np.isfinite(R).all():
        raise ValueError("table: rewards must be finite")

    def transition(s, a):
        return [(1.0, s)] if absorbing[s] else succ[s, a]
    R[absorbing] = 0.0
    if reward_range is None:
        reward_range = (min(0.0, float(R.min())), max(0.0, float(R.max())))
    return sparse_mdp_from_function(S, A, transition, R, horizon=horizon, gamma=gamma, rho=rho,
                                    reward_range=reward_range)
