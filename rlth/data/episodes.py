r"""Episodes of a finite-horizon MDP under a fixed policy: numba, alias tables, step-major loop.

:func:`rollout` simulates K independent episodes

.. math::
    s_0 \sim \rho,\quad a_h \sim \pi_h(\cdot\mid s_h),\quad r_h \sim \mathrm{Bernoulli}(r_h(s_h, a_h))
    \ (\text{or } r_h = r_h(s_h, a_h)),\quad s_{h+1} \sim P_h(\cdot\mid s_h, a_h),
    \qquad h = 0, \dots, H-1,

so that ``E[returns] = rho @ V^pi_0`` exactly (:func:`rlth.solvers.dp.evaluate_policy`) and the
frequencies of :math:`(s_h, a_h)` estimate the occupancy :math:`d^\pi_h(s, a)`.

Implementation (docs/explanation/performance.md section 3): Vose alias tables for ``rho``, every row of ``P`` and
(stochastic policies) every row of ``pi`` give O(1) draws; tables for ``P`` are built once per
model and cached (weakly, per model object; a stationary model stores one set).  The loop is
step-major (h outer, episodes inner): independent episodes interleave, which hides the cache
misses of large tables (2.4x over episode-major at S = 1000).  The caller's
``numpy.random.Generator`` is passed into the jitted kernel, which numba reproduces bit for bit,
so results are identical with ``NUMBA_DISABLE_JIT=1`` and the caller's generator advances.

Random-number order (fixed, part of the reproducibility contract): ``K`` uniforms for
:math:`s_0` (episode order); then for each step h and episode k in order: one uniform for the
action (stochastic policies only), one for the reward (``"bernoulli"`` only), one for the next
state.  Strict floating point in the kernel (no fastmath: an FMA would change the alias draw
bits against the interpreted run).  (The online runner's one-episode rollout,
:func:`rlth._kernels.sampling.rollout_episode`, is a different stream: inverse-CDF draws,
episode-major, no rewards.)
"""
from __future__ import annotations

import weakref

import numpy as np
from numba import njit

from .._rng import as_generator
from .._validation import (as_float_array, check_array_bytes, check_distribution, check_instance,
                           check_nonnegative_int)
from ..models.mdp import FiniteHorizonMDP
from ..models.sparse import SparseFiniteHorizonMDP
from .._kernels.csr import csr_alias_tables, csr_draw
from .._kernels.sampling import alias_draw, build_alias
from .datasets import TrajectoryDataset
from .offline import _check_reward_kind

__all__ = ["rollout", "clear_alias_cache"]

# model -> (rho_prob, rho_alias, P_prob, P_alias); weak keys: freed with the model
_ALIAS_CACHE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def clear_alias_cache() -> None:
    """Drop the cached alias tables of every model (they are rebuilt on the next rollout)."""
    _ALIAS_CACHE.clear()


def _model_tables(mdp: FiniteHorizonMDP):
    tables = _ALIAS_CACHE.get(mdp)
    if tables is None:
        rho_prob, rho_alias = build_alias(mdp.rho, name="rho")
        if isinstance(mdp, SparseFiniteHorizonMDP):   # one table per CSR row, over its support
            P_prob, P_alias = csr_alias_tables(mdp.indptr, mdp.data)
            P_prob, P_alias = P_prob.reshape(1, 1, 1, -1), P_alias.reshape(1, 1, 1, -1)
        else:
            P_prob, P_alias = build_alias(mdp.P_stages, name="P")
        tables = (rho_prob, rho_alias, P_prob, P_alias)
        _ALIAS_CACHE[mdp] = tables
    return tables


def _policy(pi, S: int, A: int, H: int):
    """(stochastic?, pi_det[Hpi, S] int64, pi_prob[Hpi, S, A], pi_alias[Hpi, S, A])."""
    arr = np.asarray(pi)
    if arr.dtype == bool:
        raise ValueError("pi: boolean arrays are not policies")
    dummy_f = np.zeros((1, 1, 1))
    dummy_i = np.zeros((1, 1, 1), dtype=np.int64)
    if arr.dtype.kind in "iu":
        if arr.shape not in {(H, S), (S,)}:
            raise ValueError(f"pi: deterministic policy must have shape {(H, S)} (or {(S,)}), "
                             f"got {arr.shape}")
        if arr.min() < 0 or arr.max() >= A:
            raise ValueError(f"pi: action indices must lie in [0, {A - 1}], "
                             f"got range [{arr.min()}, {arr.max()}]")
        det = np.ascontiguousarray(arr.reshape(-1, S), dtype=np.int64)
        return False, det, dummy_f, dummy_i
    p = as_float_array("pi", arr)
    if p.shape not in {(H, S, A), (S, A)}:
        raise ValueError(f"pi: stochastic policy must have shape {(H, S, A)} (or {(S, A)}), "
                         f"got {p.shape}")
    check_distribution("pi", p)
    prob, alias = build_alias(p.reshape(-1, S, A), name="pi")
    return True, np.zeros((1, 1), dtype=np.int64), prob, alias


@njit(cache=True)
def _rollout_kernel(rho_prob, rho_alias, P_prob, P_alias, indptr, indices, R, pi_det, pi_prob,
                    pi_alias, stochastic, bernoulli, n_episodes, horizon, rng):
    """Step-major episodes.  Dense transitions: alias tables ``P_prob[Hp, S, A, S]``; CSR
    transitions (``indptr.size > 1``): per-row tables over each row's support stored flat in
    ``P_prob[0, 0, 0, :nnz]`` (:func:`rlth._kernels.csr.csr_alias_tables`), drawn by
    :func:`rlth._kernels.csr.csr_draw`.  Same random-number order either way."""
    K = n_episodes
    H = horizon
    S, A = R.shape[1], R.shape[2]
    csr = indptr.size > 1
    n_p = (indptr.size - 1) // (S * A) if csr else P_prob.shape[0]
    states = np.empty((H + 1, K), dtype=np.int64)
    actions = np.empty((H, K), dtype=np.int64)
    rewards = np.empty((H, K), dtype=np.float64)
    for k in range(K):
        states[0, k] = alias_draw(rho_prob, rho_alias, rng.random())
    for h in range(H):
        hp = h if n_p > 1 else 0
        hr = h if R.shape[0] > 1 else 0
        if stochastic:
            hpi = h if pi_prob.shape[0] > 1 else 0
        else:
            hpi = h if pi_det.shape[0] > 1 else 0
        for k in range(K):
            s = states[h, k]
            if stochastic:
                a = alias_draw(pi_prob[hpi, s], pi_alias[hpi, s], rng.random())
            else:
                a = pi_det[hpi, s]
            actions[h, k] = a
            r = R[hr, s, a]
            if bernoulli:
                rewards[h, k] = 1.0 if rng.random() < r else 0.0
            else:
                rewards[h, k] = r
            if csr:
                states[h + 1, k] = csr_draw(indptr, indices, P_prob[0, 0, 0], P_alias[0, 0, 0],
                                            (hp * S + s) * A + a, rng.random())
            else:
                states[h + 1, k] = alias_draw(P_prob[hp, s, a], P_alias[hp, s, a],
                                              rng.random())
    return states, actions, rewards


_NO_CSR = np.zeros(1, dtype=np.int64)


def rollout(mdp: FiniteHorizonMDP, pi, n_episodes, *, rng=None,
            reward: str = "bernoulli") -> TrajectoryDataset:
    r"""Simulate ``n_episodes`` independent episodes of ``mdp`` under policy ``pi``.

    Parameters
    ----------
    mdp : FiniteHorizonMDP or SparseFiniteHorizonMDP
        Stage-dependent or stationary.  (For a DiscountedMDP use ``mdp.to_finite_horizon(H)``.)
        A CSR model draws next states from per-row alias tables over each row's support
        (O(nnz) memory): the same random-number order, the same law, but not the same draws as
        its dense form.
    pi : array_like
        Deterministic int ``pi[H, S]`` or stochastic ``pi[H, S, A]``; stationary ``pi[S]`` /
        ``pi[S, A]`` are used at every step.
    n_episodes : int
        K >= 0.
    rng : Generator, int or SeedSequence
        A Generator passed in is advanced (numba shares its state).
    reward : {"bernoulli", "mean"}
        Observed reward ``r_h ~ Bernoulli(R[h, s, a])`` (needs R in [0, 1]) or exactly
        ``R[h, s, a]``.

    Returns
    -------
    TrajectoryDataset
        ``states[K, H+1]``, ``actions[K, H]``, ``rewards[K, H]``.

    Guarantee
    ---------
    ``E[returns] = rho @ V^pi_0`` and ``Pr(s_h = s, a_h = a) = d^pi_h(s, a)`` exactly (the
    sampler draws from the model's laws; alias tables are exact up to float64 rounding).
    Tested against :func:`rlth.solvers.dp.evaluate_policy` and ``occupancy``.

    References
    ----------
    Vose (1991) alias tables; docs/explanation/performance.md section 3 (step-major loop).

    Examples
    --------
    >>> from rlth.instances import random_mdp
    >>> m = random_mdp(4, 2, horizon=5, rng=0)
    >>> d = rollout(m, np.zeros((5, 4), dtype=int), 3, rng=1)
    >>> d.states.shape, d.actions.shape, d.returns.shape
    ((3, 6), (3, 5), (3,))
    """
    check_instance("mdp", mdp, (FiniteHorizonMDP, SparseFiniteHorizonMDP),
                   hint="use DiscountedMDP.to_finite_horizon(H)")
    S, A, H = mdp.n_states, mdp.n_actions, mdp.horizon
    stochastic, pi_det, pi_prob, pi_alias = _policy(pi, S, A, H)
    K = check_nonnegative_int("n_episodes", n_episodes)
    check_array_bytes("n_episodes", (3, K, H + 1), what="the trajectories (states, actions, "
                      "rewards)")
    reward = _check_reward_kind(reward, mdp.R_stages)
    rng = as_generator(rng)
    rho_prob, rho_alias, P_prob, P_alias = _model_tables(mdp)
    csr = isinstance(mdp, SparseFiniteHorizonMDP)
    states, actions, rewards = _rollout_kernel(
        rho_prob, rho_alias, P_prob, P_alias, mdp.indptr if csr else _NO_CSR,
        mdp.indices if csr else _NO_CSR, mdp.R_stages, pi_det, pi_prob, pi_alias, stochastic,
        reward == "bernoulli", K, H, rng)
    return TrajectoryDataset._trusted(np.ascontiguousarray(states.T),
                                      np.ascontiguousarray(actions.T),
                                      np.ascontiguousarray(rewards.T), S, A)

