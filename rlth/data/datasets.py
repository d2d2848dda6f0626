r"""Typed, validated, read-only containers for offline data.

Sufficient statistics
    :class:`BanditDataset` (``counts[K]``, reward sums and sums of squares),
    :class:`ContextualDataset` (the same over context-action pairs ``[S, A]``) and
    :class:`TransitionDataset` (``counts``, reward sums and next-state counts, either ``[S, A]``
    for i.i.d. transitions of a discounted MDP or ``[H, S, A]`` for a finite-horizon MDP with
    ``n_samples`` transitions per step ``h``).  For i.i.d. samples these are sufficient for every
    estimator rlth implements (empirical means, variances, empirical kernels, counts in bonuses).
Sparse models
    :class:`SparseTransitionDataset`: the same statistics for a CSR model
    (:mod:`rlth.models.sparse`), the next-state counts stored per step over the model's stored
    successors only (O(nnz) per step, never ``S^2 A``).
Raw data
    :class:`TrajectoryDataset` (``states[K, H+1]``, ``actions[K, H]``, ``rewards[K, H]``) with
    :attr:`~TrajectoryDataset.returns` and :meth:`~TrajectoryDataset.to_counts`.

Every container validates once at construction (``ValueError`` naming the field), stores
C-contiguous int64 / float64 arrays with the write flag cleared, and offers ``to_dict()``
(``cls(**d)`` rebuilds it).

Invariants checked
    counts >= 0 and integer; the counts of each step sum to ``n_samples``; reward sums vanish
    where the count is 0; next-state counts sum to the counts; sums of squares are >= 0.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import (as_float_array, check_ndim, check_nonnegative_int, check_positive_int,
                           freeze)

__all__ = ["BanditDataset", "ContextualDataset", "TransitionDataset", "TrajectoryDataset",
           "SparseTransitionDataset"]


def _int_array(name: str, x, ndim: int | tuple[int, ...], nonneg: bool = True) -> np.ndarray:
    arr = np.asarray(x)
    if arr.dtype == bool:
        raise ValueError(f"{name}: expected integers, got booleans")
    if arr.dtype.kind not in "iu":
        f = as_float_array(name, arr)
        if f.size and np.any(f != np.round(f)):
            raise ValueError(f"{name}: expected integer values")
        if f.size and np.max(np.abs(f)) > 2.0**62:
            raise ValueError(f"{name}: entries must lie within +-2**62 (int64 counts), "
                             f"got {np.max(np.abs(f)):.3g}")
        arr = f
    arr = np.ascontiguousarray(arr, dtype=np.int64)
    check_ndim(name, arr, ndim)
    if nonneg and arr.size and arr.min() < 0:
        raise ValueError(f"{name}: must be non-negative, got minimum {arr.min()}")
    return arr


def _same_shape(name: str, arr: np.ndarray, shape: tuple) -> None:
    if arr.shape != shape:
        raise ValueError(f"{name}: expected shape {shape} (that of counts), got {arr.shape}")


def _zero_where_unvisited(name: str, sums: np.ndarray, counts: np.ndarray) -> None:
    if np.any(sums[counts == 0] != 0):
        raise ValueError(f"{name}: must be 0 where counts is 0")


def _check_total(counts: np.ndarray, n_samples: int, n_lead: int) -> None:
    """The counts of each leading index (step h) sum to n_samples."""
    axes = tuple(range(n_lead, counts.ndim))
    tot = counts.sum(axis=axes) if axes else counts
    if np.any(tot != n_samples):
        raise ValueError(f"n_samples: counts sum to {np.unique(tot).tolist()} "
                         f"but n_samples is {n_samples}")


class _DictMixin:
    _fields: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        """The fields as a dict (the read-only arrays themselves); ``cls(**d)`` rebuilds."""
        return {f: getattr(self, f) for f in self._fields}


@dataclass(frozen=True, eq=False, init=False)
class _RewardSumsDataset(_DictMixin):
    """Counts, reward sums and sums of squares per cell (arm, or context-action pair).

    Subclasses set the class attribute ``_counts_ndim`` (dimensions of ``counts``).
    """

    counts: np.ndarray
    reward_sums: np.ndarray
    reward_sq_sums: np.ndarray
    n_samples: int
    _fields = ("counts", "reward_sums", "reward_sq_sums", "n_samples")

    def __init__(self, counts, reward_sums, reward_sq_sums, n_samples):
        counts = _int_array("counts", counts, self._counts_ndim)
        n_samples = check_nonnegative_int("n_samples", n_samples)
        reward_sums = as_float_array("reward_sums", reward_sums)
        reward_sq_sums = as_float_array("reward_sq_sums", reward_sq_sums)
        _same_shape("reward_sums", reward_sums, counts.shape)
        _same_shape("reward_sq_sums", reward_sq_sums, counts.shape)
        if reward_sq_sums.size and reward_sq_sums.min() < 0:
            raise ValueError("reward_sq_sums: must be non-negative")
        _zero_where_unvisited("reward_sums", reward_sums, counts)
        _zero_where_unvisited("reward_sq_sums", reward_sq_sums, counts)
        _check_total(counts, n_samples, n_lead=0)
        freeze(counts, reward_sums, reward_sq_sums)
        object.__setattr__(self, "counts", counts)
        object.__setattr__(self, "reward_sums", reward_sums)
        object.__setattr__(self, "reward_sq_sums", reward_sq_sums)
        object.__setattr__(self, "n_samples", n_samples)


@dataclass(frozen=True, eq=False, init=False)
class BanditDataset(_RewardSumsDataset):
    """Sufficient statistics of ``n_samples`` i.i.d. (arm, reward) pairs from a K-armed bandit.

    Parameters
    ----------
    counts : array_like of int, shape (K,)
        Pulls per arm; sums to ``n_samples``.
    reward_sums : array_like, shape (K,)
        Sum of the rewards observed on each arm.
    reward_sq_sums : array_like, shape (K,)
        Sum of the squared rewards on each arm (sample variances need it).
    n_samples : int
        Dataset size N.
    """

    _counts_ndim = 1

    @property
    def n_arms(self) -> int:
        return self.counts.shape[0]


@dataclass(frozen=True, eq=False, init=False)
class ContextualDataset(_RewardSumsDataset):
    """Sufficient statistics of ``n_samples`` i.i.d. (context, action, reward) triples.

    Parameters
    ----------
    counts : array_like of int, shape (S, A)
        Visits per (context, action); sums to ``n_samples``.
    reward_sums, reward_sq_sums : array_like, shape (S, A)
    n_samples : int
    """

    _counts_ndim = 2

    @property
    def n_contexts(self) -> int:
        return self.counts.shape[0]

    @property
    def n_actions(self) -> int:
        return self.counts.shape[1]


class _CellCountsShape:
    """Sizes of a dataset whose ``counts`` are ``[S, A]`` or ``[H, S, A]``."""

    @property
    def n_states(self) -> int:
        return self.counts.shape[-2]

    @property
    def n_actions(self) -> int:
        return self.counts.shape[-1]

    @property
    def horizon(self) -> int | None:
        """H for the finite-horizon form ``[H, S, A]``, None for the ``[S, A]`` form."""
        return self.counts.shape[0] if self.counts.ndim == 3 else None


@dataclass(frozen=True, eq=False, init=False)
class TransitionDataset(_CellCountsShape, _DictMixin):
    """Sufficient statistics of i.i.d. transitions ``(s, a, r, s')``.

    Parameters
    ----------
    counts : array_like of int, shape (S, A) or (H, S, A)
        Visits per (s, a) (per step h in the finite-horizon form).
    reward_sums : array_like, shape as ``counts``
        Sum of the observed rewards per cell.
    next_counts : array_like of int, shape counts.shape + (S,)
        ``next_counts[..., s, a, s']`` transitions from (s, a) to s'; sums over s' to ``counts``.
    n_samples : int
        Transitions in total (discounted form) or per step h (finite-horizon form).

    Notes
    -----
    Rewards are Bernoulli (or exact means), so sums of squares equal the sums and are not stored.
    """

    counts: np.ndarray
    reward_sums: np.ndarray
    next_counts: np.ndarray
    n_samples: int
    _fields = ("counts", "reward_sums", "next_counts", "n_samples")

    def __init__(self, counts, reward_sums, next_counts, n_samples):
        counts = _int_array("counts", counts, (2, 3))
        n_samples = check_nonnegative_int("n_samples", n_samples)
        reward_sums = as_float_array("reward_sums", reward_sums)
        _same_shape("reward_sums", reward_sums, counts.shape)
        next_counts = _int_array("next_counts", next_counts, counts.ndim + 1)
        S = counts.shape[-2]
        if next_counts.shape != counts.shape + (S,):
            raise ValueError(f"next_counts: expected shape {counts.shape + (S,)}, "
                             f"got {next_counts.shape}")
        if not np.array_equal(next_counts.sum(axis=-1), counts):
            raise ValueError("next_counts: must sum over the next state to counts")
        _zero_where_unvisited("reward_sums", reward_sums, counts)
        _check_total(counts, n_samples, counts.ndim - 2)
        freeze(counts, reward_sums, next_counts)
        object.__setattr__(self, "counts", counts)
        object.__setattr__(self, "reward_sums", reward_sums)
        object.__setattr__(self, "next_counts", next_counts)
        object.__setattr__(self, "n_samples", n_samples)



@dataclass(frozen=True, eq=False, init=False)
class TrajectoryDataset(_DictMixin):
    """K episodes of a finite-horizon MDP.

    Parameters
    ----------
    states : array_like of int, shape (K, H+1)
        ``states[k, h]`` = s_h of episode k (``states[:, H]`` is the terminal state).
    actions : array_like of int, shape (K, H)
    rewards : array_like, shape (K, H)
        Observed rewards r_h.
    n_states, n_actions : int, optional
        Sizes of the MDP (inferred as ``max + 1`` when omitted;
        :func:`rlth.data.episodes.rollout` sets them).
    """

    states: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    n_states: int
    n_actions: int
    _fields = ("states", "actions", "rewards", "n_states", "n_actions")

    def __init__(self, states, actions, rewards, n_states=None, n_actions=None):
        states = _int_array("states", states, 2)
        actions = _int_array("actions", actions, 2)
        rewards = as_float_array("rewards", rewards, ndim=2)
        K, H1 = states.shape
        if H1 < 2:
            raise ValueError(f"states: needs shape (K, H+1) with H >= 1, got {states.shape}")
        if actions.shape != (K, H1 - 1):
            raise ValueError(f"actions: expected shape {(K, H1 - 1)}, got {actions.shape}")
        if rewards.shape != (K, H1 - 1):
            raise ValueError(f"rewards: expected shape {(K, H1 - 1)}, got {rewards.shape}")
        n_states = self._size("n_states", n_states, states)
        n_actions = self._size("n_actions", n_actions, actions)
        freeze(states, actions, rewards)
        object.__setattr__(self, "states", states)
        object.__setattr__(self, "actions", actions)
        object.__setattr__(self, "rewards", rewards)
        object.__setattr__(self, "n_states", n_states)
        object.__setattr__(self, "n_actions", n_actions)

    @classmethod
    def _trusted(cls, states, actions, rewards, n_states: int, n_actions: int):
        """Internal: wrap valid arrays made by a sampler (C-contiguous, right dtypes), unchecked."""
        obj = object.__new__(cls)
        freeze(states, actions, rewards)
        for name, val in (("states", states), ("actions", actions), ("rewards", rewards),
                          ("n_states", int(n_states)), ("n_actions", int(n_actions))):
            object.__setattr__(obj, name, val)
        return obj

    @staticmethod
    def _size(name: str, n, arr: np.ndarray) -> int:
        top = int(arr.max()) + 1 if arr.size else 1
        if n is None:
            return top
        n = check_positive_int(name, n)
        if top > n:
            what = "states" if name == "n_states" else "actions"
            raise ValueError(f"{what}: entries must lie in [0, {n - 1}], got maximum {top - 1}")
        return n

    @property
    def n_episodes(self) -> int:
        return self.states.shape[0]

    @property
    def horizon(self) -> int:
        return self.actions.shape[1]

    @property
    def returns(self) -> np.ndarray:
        """Undiscounted return of each episode, shape (K,)."""
        return self.rewards.sum(axis=1)

    def to_counts(self) -> TransitionDataset:
        """Per-step sufficient statistics, shape ``[H, S, A]`` with ``n_samples = K``.

        ``counts[h, s, a]`` counts episodes with ``(s_h, a_h) = (s, a)``, ``reward_sums`` adds
        their ``r_h`` and ``next_counts[h, s, a, s']`` counts ``s_{h+1} = s'``.  (Within one step
        the K samples are i.i.d. from the step-h occupancy; across steps they are dependent.)
        """
        K, H = self.actions.shape
        S, A = self.n_states, self.n_actions
        h = np.arange(H, dtype=np.int64)[None, :]
        cell = (h * S + self.states[:, :H]) * A + self.actions  # [K, H]
        flat = cell.ravel()
        counts = np.bincount(flat, minlength=H * S * A).reshape(H, S, A)
        rsum = np.bincount(flat, weights=self.rewards.ravel(), minlength=H * S * A)
        nxt = np.bincount(flat * S + self.states[:, 1:].ravel(), minlength=H * S * A * S)
        return TransitionDataset(counts, rsum.reshape(H, S, A), nxt.reshape(H, S, A, S), K)


def _csr_index_array(name: str, x) -> np.ndarray:
    """A CSR index array: int32 / int64 kept as is (the models store int32 when it fits, and a
    dataset shares the model's arrays), anything else validated and converted by
    :func:`_int_array`."""
    arr = np.asarray(x)
    if arr.dtype not in (np.int32, np.int64):
        return _int_array(name, arr, 1)
    arr = np.ascontiguousarray(arr)
    check_ndim(name, arr, 1)
    if arr.size and arr.min() < 0:
        raise ValueError(f"{name}: must be non-negative, got minimum {arr.min()}")
    return arr


@dataclass(frozen=True, eq=False, init=False)
class SparseTransitionDataset(_CellCountsShape, _DictMixin):
    """Sufficient statistics of transitions of a CSR model, next-state counts over its support.

    Parameters
    ----------
    counts : array_like of int, shape (H, S, A) or (S, A)
        Visits per (s, a) (per step h in the finite-horizon form).
    reward_sums : array_like, shape as ``counts``
    next_counts : sequence of array_like of int
        One array per step (one for the ``[S, A]`` form): ``next_counts[h][k]`` transitions
        along the stored entry ``k`` of the stage's CSR rows, i.e. from row ``(s, a)`` to
        ``indices[k]``; ``next_counts[h]`` has the length of stage ``h``'s stored entries.
    indptr, indices : array_like of int
        The model's CSR structure (``SparseFiniteHorizonMDP.indptr`` / ``.indices``; int32 or
        int64 arrays are kept in their dtype, shared, not copied, when already read-only).
    n_samples : int
        Transitions per step (or in total for the ``[S, A]`` form).
    """

    counts: np.ndarray
    reward_sums: np.ndarray
    next_counts: tuple
    indptr: np.ndarray
    indices: np.ndarray
    n_samples: int
    _fields = ("counts", "reward_sums", "next_counts", "indptr", "indices", "n_samples")

    def __init__(self, counts, reward_sums, next_counts, indptr, indices, n_samples):
        counts = _int_array("counts", counts, (2, 3))
        n_samples = check_nonnegative_int("n_samples", n_samples)
        reward_sums = as_float_array("reward_sums", reward_sums)
        _same_shape("reward_sums", reward_sums, counts.shape)
        indptr = _csr_index_array("indptr", indptr)
        indices = _csr_index_array("indices", indices)
        S, A = counts.shape[-2], counts.shape[-1]
        n_steps = counts.shape[0] if counts.ndim == 3 else 1
        if (indptr.size - 1) % (S * A) or indptr.size < 2:
            raise ValueError(f"indptr: length - 1 = {indptr.size - 1} is not a multiple of "
                             f"S * A = {S * A}")
        n_p = (indptr.size - 1) // (S * A)
        if n_p not in (1, n_steps):
            raise ValueError(f"indptr: holds {n_p} stages, counts {n_steps} steps")
        if indptr[-1] != indices.size:
            raise ValueError(f"indices: length {indices.size} != indptr[-1] = {indptr[-1]}")
        if indptr[0] != 0 or np.any(np.diff(indptr) < 0):
            raise ValueError("indptr: must start at 0 and be non-decreasing")
        if indices.size and indices.max() >= S:
            raise ValueError(f"indices: next state {int(indices.max())} is out of range for "
                             f"{S} states")
        try:
            seq = list(next_counts)
        except TypeError:
            raise ValueError("next_counts: expected one array per step") from None
        if len(seq) != n_steps:
            raise ValueError(f"next_counts: expected {n_steps} arrays (one per step), "
                             f"got {len(seq)}")
        out = []
        for h, arr in enumerate(seq):
            hp = h if n_p > 1 else 0
            lo, hi = indptr[hp * S * A], indptr[(hp + 1) * S * A]
            arr = _int_array(f"next_counts[{h}]", arr, 1)
            if arr.size != hi - lo:
                raise ValueError(f"next_counts[{h}]: expected {hi - lo} entries (the stage's "
                                 f"stored successors), got {arr.size}")
            cum = np.concatenate([[0], np.cumsum(arr)])
            rows = cum[indptr[hp * S * A:(hp + 1) * S * A + 1] - lo]
            step_counts = counts[h] if counts.ndim == 3 else counts
            if not np.array_equal(np.diff(rows), step_counts.reshape(-1)):
                raise ValueError(f"next_counts[{h}]: must sum over each row's successors to "
                                 f"counts")
            freeze(arr)
            out.append(arr)
        _zero_where_unvisited("reward_sums", reward_sums, counts)
        _check_total(counts, n_samples, counts.ndim - 2)
        freeze(counts, reward_sums, indptr, indices)
        for name, val in (("counts", counts), ("reward_sums", reward_sums),
                          ("next_counts", tuple(out)), ("indptr", indptr), ("indices", indices),
                          ("n_samples", n_samples)):
            object.__setattr__(self, name, val)


    def next_count_matrix(self, h: int = 0):
        """Step h's next-state counts as a ``scipy.sparse`` CSR matrix ``(S*A, S)``."""
        import scipy.sparse as sp
        S, A = self.n_states, self.n_actions
        n_p = (self.indptr.size - 1) // (S * A)
        hp = h if n_p > 1 else 0
        ptr = self.indptr[hp * S * A:(hp + 1) * S * A + 1]
        lo = ptr[0]
        return sp.csr_matrix((self.next_counts[h], self.indices[lo:ptr[-1]], ptr - lo),
                             shape=(S * A, S))

    def to_dense(self) -> TransitionDataset:
        """The same statistics as a dense :class:`TransitionDataset` (small models only)."""
        from .._validation import check_array_bytes
        S, A = self.n_states, self.n_actions
        check_array_bytes("dataset", (len(self.next_counts), S, A, S), what="the dense counts")
        nxt = np.stack([self.next_count_matrix(h).toarray().reshape(S, A, S)
                        for h in range(len(self.next_counts))])
        if self.counts.ndim == 2:
            nxt = nxt[0]
        return TransitionDataset(self.counts, self.reward_sums, nxt, self.n_samples)
