r"""Per-source offline data for HetPEVI, as sufficient statistics.

Two data modes (``shared/theory/pnlsvi_hetpevi_stepmix_v2.md`` section 2.3, [D]):

``exact``         the learner is handed every source's exact model ``(P_l, r_l)`` on the cells its
                  behaviour policy reaches (occupancy ``d^{rho_l}_{l,h}(s, c) > 0`` in source
                  ``l``): infinitely many samples per source, only the *source* uncertainty is
                  left.  Counts are ``+inf`` on covered cells and ``0`` elsewhere.
``trajectories``  each source supplies ``K`` episodes of its own behaviour policy in its own
                  model, drawn as per-step counts by
                  :func:`rlth.data.offline.sample_trajectory_dataset` (exact sequential
                  multinomials; cost independent of ``K``), one call per source.

A Markov game is handled as the MDP over joint actions ``c = (a, b)`` (behaviour policies are
distributions over joint actions); the arrays keep the cell shape ``(A, B)``.

Stored per source: ``counts[L, H, S, *cell]`` (float64: ``inf`` in the exact mode),
``P_hat[L, H, S, *cell, S]`` and ``r_hat[L, H, S, *cell]`` (exact models or empirical
estimates; a self-loop and 0 on cells the source never saw, which every learner excludes).
``next_counts`` / ``reward_sums`` are recovered as ``counts * P_hat`` / ``counts * r_hat`` in the
trajectory mode (exact integers up to one rounding).

References
----------
Shi, Xiong, Shen, Yang (2023), arXiv 2306.08364: "multiple datasets ... collected from randomly
perturbed versions of the target task" [V]; "collectively (instead of individually)" good
coverage [V]; the per-source trajectory model [R].
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._rng import as_generator
from .._validation import (as_float_array, check_choice, check_distribution, check_instance,
                           check_nonnegative_int, freeze)
from ..models.mdp import FiniteHorizonMDP
from ..models.sources import SourceModels
from .offline import TRANSITION_REWARD_KINDS, sample_trajectory_dataset

__all__ = ["SourceData", "check_source_behavior", "exact_source_data",
           "sample_source_trajectories", "source_occupancy", "stack_source_datasets"]


@dataclass(frozen=True, eq=False)
class SourceData:
    """Per-source sufficient statistics (module docstring).

    Attributes
    ----------
    counts : ndarray, shape (L, H, S, ``*cell``)
        Samples of source ``l`` in cell ``(h, s, c)``; ``inf`` on covered cells in the exact
        mode.
    P_hat : ndarray, shape (L, H, S, ``*cell``, S)
    r_hat : ndarray, shape (L, H, S, ``*cell``)
    mode : {"exact", "trajectories"}
    n_episodes : int or None
        ``K`` per source (trajectory mode).
    rho : ndarray, shape (S,)
        Initial distribution of the target (shared by the sources).
    """

    counts: np.ndarray
    P_hat: np.ndarray
    r_hat: np.ndarray
    mode: str
    n_episodes: int | None
    rho: np.ndarray

    def __post_init__(self):
        c = np.asarray(self.counts)
        if c.ndim not in (4, 5) or c.shape[0] < 1:
            raise ValueError(f"counts: expected shape (L >= 1, H, S, *cell), got {c.shape}")
        if np.any(np.isnan(c)) or np.any(c < 0):
            raise ValueError("counts: must be >= 0 (inf allowed for exact sources)")
        S = c.shape[2]
        if np.shape(self.P_hat) != c.shape + (S,):
            raise ValueError(f"P_hat: expected shape {c.shape + (S,)}, got {np.shape(self.P_hat)}")
        if np.shape(self.r_hat) != c.shape:
            raise ValueError(f"r_hat: expected shape {c.shape}, got {np.shape(self.r_hat)}")
        if np.shape(self.rho) != (S,):
            raise ValueError(f"rho: expected shape {(S,)}, got {np.shape(self.rho)}")
        check_choice("mode", self.mode, ("exact", "trajectories"))

    @property
    def n_sources(self) -> int:
        return self.counts.shape[0]

    @property
    def horizon(self) -> int:
        return self.counts.shape[1]

    @property
    def n_states(self) -> int:
        return self.counts.shape[2]

    @property
    def cell_shape(self) -> tuple[int, ...]:
        return self.counts.shape[3:]

    @property
    def covered(self) -> np.ndarray:
        """``counts > 0``: the cells each source saw."""
        return self.counts > 0

    def flat(self):
        """``(counts[L,H,S,C], P_hat[L,H,S,C,S], r_hat[L,H,S,C])`` with joint cells flattened."""
        L, H, S = self.counts.shape[:3]
        C = int(np.prod(self.cell_shape))
        return (self.counts.reshape(L, H, S, C), self.P_hat.reshape(L, H, S, C, S),
                self.r_hat.reshape(L, H, S, C))


def _flat_sources(sources: SourceModels):
    check_instance("sources", sources, SourceModels)
    L, H, S = sources.R.shape[:3]
    cell = sources.R.shape[3:]
    C = int(np.prod(cell))
    return sources.P.reshape(L, H, S, C, S), sources.R.reshape(L, H, S, C), cell


def check_source_behavior(behavior, n_sources: int, horizon: int, n_states: int,
                          cell: tuple[int, ...]) -> np.ndarray:
    """Validate per-source behaviour policies; return ``[L, H, S, C]`` (joint cells flattened).

    Parameters
    ----------
    behavior : array_like, shape (L, H, S, ``*cell``) or (L, S, ``*cell``)
        ``behavior[l, h, s]`` a distribution over the (joint) actions; the 3+len(cell)-D form
        is stationary.

    Raises
    ------
    ValueError
        Wrong shape (message names ``behavior``), negative entries, rows not summing to 1.
    """
    b = as_float_array("behavior", behavior)
    C = int(np.prod(cell))
    full, stat = (n_sources, horizon, n_states) + tuple(cell), (n_sources, n_states) + tuple(cell)
    if b.shape == stat:
        b = np.broadcast_to(b[:, None], full)
    elif b.shape != full:
        raise ValueError(f"behavior: expected shape {full} (or {stat} stationary), got {b.shape}")
    b = np.ascontiguousarray(b).reshape(n_sources, horizon, n_states, C)
    check_distribution("behavior", b)
    return b / b.sum(axis=-1, keepdims=True)


def source_occupancy(sources: SourceModels, behavior) -> np.ndarray:
    r"""Exact occupancies ``d[l, h, s, c] = Pr_l(s_h = s, c_h = c)`` of each source's behaviour.

    Forward recursion in source ``l``'s own model from the target's ``rho``,
    :math:`d_{h+1}(s') = \sum_{s,c} d_h(s,c) P_{l,h}(s'|s,c)`; cost ``O(L H S^2 C)``.

    Returns
    -------
    ndarray, shape (L, H, S, ``*cell``)
    """
    P, _, cell = _flat_sources(sources)
    L, H, S, C, _ = P.shape
    b = check_source_behavior(behavior, L, H, S, cell)
    d = np.empty((L, H, S, C))
    ds = np.broadcast_to(np.asarray(sources.target.rho, dtype=np.float64), (L, S))
    for h in range(H):
        d[:, h] = ds[:, :, None] * b[:, h]
        if h + 1 < H:
            ds = np.einsum("lsc,lsct->lt", d[:, h], P[:, h])
    return d.reshape((L, H, S) + tuple(cell))


def exact_source_data(sources: SourceModels, behavior) -> SourceData:
    """The exact-source mode: each source's exact model on the cells its behaviour reaches.

    Parameters
    ----------
    sources : SourceModels
    behavior : array_like, shape (L, H, S, ``*cell``) or (L, S, ``*cell``)
        Per-source behaviour policies (over joint actions for a game).

    Returns
    -------
    SourceData
        ``counts = inf`` where ``d^{rho_l}_{l,h}(s, c) > 0`` (:func:`source_occupancy`), else 0;
        ``P_hat = P_l`` and ``r_hat = r_l`` there, a self-loop and 0 elsewhere.

    Guarantee
    ---------
    Deterministic given ``sources``: only the source uncertainty remains (the "infinite samples
    per source" mode of the v2 notes, section 2.3 [D]).
    """
    P, R, cell = _flat_sources(sources)
    L, H, S, C, _ = P.shape
    cov = source_occupancy(sources, behavior).reshape(L, H, S, C) > 0
    counts = np.where(cov, np.inf, 0.0)
    eye = np.broadcast_to(np.eye(S)[None, None, :, None, :], P.shape)
    P_hat = np.where(cov[..., None], P, eye)
    r_hat = np.where(cov, R, 0.0)
    return _finish(counts, P_hat, r_hat, cell, "exact", None, sources.target.rho)


def sample_source_trajectories(sources: SourceModels, behavior, n_episodes, *, rng=None,
                               reward: str = "bernoulli") -> SourceData:
    """``K`` episodes per source of its own behaviour policy, as per-step counts.

    Parameters
    ----------
    sources : SourceModels
        Realised sources (rewards must lie in [0, 1] for ``reward="bernoulli"``).
    behavior : array_like, shape (L, H, S, ``*cell``) or (L, S, ``*cell``)
    n_episodes : int
        ``K >= 0`` per source.
    rng : Generator, int or SeedSequence
        Consumed source by source, in order.
    reward : {"bernoulli", "mean"}
        Observed rewards (see :func:`rlth.data.offline.sample_trajectory_dataset`).

    Returns
    -------
    SourceData
        ``counts[l] = `` the per-step counts of source ``l``'s K episodes; ``P_hat``, ``r_hat``
        the empirical estimates (self-loop and 0 where unvisited).  Cost ``O(L H S^2 C)``,
        independent of ``K``.

    Guarantee
    ---------
    Source ``l``'s statistics have exactly the law of the counted K episodes of ``behavior[l]``
    in source ``l`` (:func:`rlth.data.offline.sample_trajectory_dataset`), independently across
    sources given the sources.
    """
    P, R, cell = _flat_sources(sources)
    L, H, S, C, _ = P.shape
    b = check_source_behavior(behavior, L, H, S, cell)
    K = check_nonnegative_int("n_episodes", n_episodes)
    check_choice("reward", reward, TRANSITION_REWARD_KINDS)
    t = sources.target
    lo, hi = t.reward_range
    if reward == "bernoulli" and (R.min() < 0.0 or R.max() > 1.0):
        raise ValueError("reward: 'bernoulli' needs source rewards in [0, 1]; use reward='mean'")
    rng = as_generator(rng)
    counts = np.empty((L, H, S, C))
    nxt = np.empty((L, H, S, C, S))
    sums = np.empty((L, H, S, C))
    rr = (min(lo, 0.0), max(hi, 1.0))
    for l in range(L):
        mdp = FiniteHorizonMDP(P[l], R[l], t.rho, reward_range=rr)
        ds = sample_trajectory_dataset(mdp, b[l], K, rng=rng, reward=reward)
        counts[l] = ds.counts
        nxt[l] = ds.next_counts
        sums[l] = ds.reward_sums
    vis = counts > 0
    n1 = np.maximum(counts, 1.0)
    eye = np.broadcast_to(np.eye(S)[None, None, :, None, :], nxt.shape)
    P_hat = np.where(vis[..., None], nxt / n1[..., None], eye)
    r_hat = np.where(vis, sums / n1, 0.0)
    return _finish(counts, P_hat, r_hat, cell, "trajectories", K, t.rho)


def stack_source_datasets(datasets, rho) -> SourceData:
    """Per-source data from a list of per-source finite-horizon datasets (e.g. a user's own).

    Parameters
    ----------
    datasets : sequence of TransitionDataset
        One ``[H, S, A]`` dataset per source (``L >= 1``), all of the same shape.
    rho : array_like, shape (S,)
        Initial distribution of the target.

    Returns
    -------
    SourceData
        Trajectory mode with ``n_episodes = max_l n_samples``.

    Raises
    ------
    ValueError
        No source (``L = 0``), a dataset that is not a finite-horizon ``TransitionDataset``,
        sources of different shapes (message names ``datasets`` and the first mismatch), a bad
        ``rho``.
    """
    from .datasets import TransitionDataset
    datasets = list(datasets)
    if not datasets:
        raise ValueError("datasets: need at least one source (L >= 1), got none")
    for i, d in enumerate(datasets):
        check_instance(f"datasets[{i}]", d, TransitionDataset)
        if d.horizon is None:
            raise ValueError(f"datasets[{i}]: needs the finite-horizon [H, S, A] form")
    shape = datasets[0].counts.shape
    for i, d in enumerate(datasets[1:], start=1):
        if d.counts.shape != shape:
            raise ValueError(f"datasets: source {i} has shape {d.counts.shape} but source 0 has "
                             f"{shape}; every source must share (H, S, A)")
    H, S, A = shape
    rho = as_float_array("rho", rho, shape=(S,))
    check_distribution("rho", rho)
    counts = np.stack([d.counts for d in datasets]).astype(np.float64)
    nxt = np.stack([d.next_counts for d in datasets]).astype(np.float64)
    sums = np.stack([d.reward_sums for d in datasets])
    vis = counts > 0
    n1 = np.maximum(counts, 1.0)
    eye = np.broadcast_to(np.eye(S)[None, None, :, None, :], nxt.shape)
    P_hat = np.where(vis[..., None], nxt / n1[..., None], eye)
    r_hat = np.where(vis, sums / n1, 0.0)
    K = max(int(d.n_samples) for d in datasets)
    return _finish(counts, P_hat, r_hat, (A,), "trajectories", K, rho)


def _finish(counts, P_hat, r_hat, cell, mode, K, rho) -> SourceData:
    L, H, S = counts.shape[:3]
    counts = np.ascontiguousarray(counts.reshape((L, H, S) + tuple(cell)))
    P_hat = np.ascontiguousarray(P_hat.reshape((L, H, S) + tuple(cell) + (S,)))
    r_hat = np.ascontiguousarray(r_hat.reshape((L, H, S) + tuple(cell)))
    rho = np.array(rho, dtype=np.float64)
    freeze(counts, P_hat, r_hat, rho)
    return SourceData(counts, P_hat, r_hat, mode, K, rho)
