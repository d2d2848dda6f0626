r"""Instances for offline RL from perturbed data sources (HetPEVI, arXiv 2306.08364).

Builders return exact models from :mod:`rlth.models` (the target and the law of its perturbed
sources) and per-source behaviour policies; nothing here samples data.

``perturbed_garnet``        target: a random finite-horizon MDP (Dirichlet rows, rewards in
                            ``[u, 1 - u]``), sources:
                            :class:`rlth.models.sources.PerturbedSourceLaw`
                            with ``Dirichlet(alpha P)`` transitions and ``r +- u`` rewards [D]
                            (v2 notes 2.3).
``perturbed_markov_game``   the same around a random zero-sum Markov game with payoffs in
                            ``[u, 1 - u]`` (reward range ``[0, 1]``).
``perturbed_pennies_game``  a Markov game whose every stage game is a perturbed matching-pennies
                            matrix with a fully mixed equilibrium and action-independent target
                            transitions, so the Nash strategies move continuously with the
                            estimates (exploitability ~ estimation error, not 0 once the
                            estimates are close, as with pure equilibria) [D].
``two_arm_sources``         ``H = S = 1``, two arms with means ``1/2 + gap`` and ``1/2``
                            (``member`` 0 puts the better arm at index 1, ``member`` 1 at index 0),
                            sources ``r_l(a) ~ Bernoulli(r(a))`` (support independent of the mean):
                            the family on which any learner needs ``L >~ 1/gap^2`` sources [D]
                            (our construction, not the paper's instance).
``partial_coverage``        per-source behaviour policies that each cover a random
                            ``coverage`` fraction of the actions of every state (at least one),
                            uniform over them: coverage is collective, not individual.
"""
from __future__ import annotations

import math

import numpy as np

from .._rng import as_generator
from .._validation import check_positive_float, check_positive_int, check_real
from ..models.games import MarkovGame
from ..models.mdp import FiniteHorizonMDP
from ..models.sources import PerturbedSourceLaw

__all__ = ["perturbed_garnet", "perturbed_markov_game", "perturbed_pennies_game", "two_arm_sources",
           "partial_coverage"]


def _noise(reward_noise) -> float:
    u = check_real("reward_noise", reward_noise)
    if not 0.0 <= u < 0.5:
        raise ValueError(f"reward_noise: must lie in [0, 1/2), got {u}")
    return u


def perturbed_garnet(n_states: int = 5, n_actions: int = 2, horizon: int = 4, *,
                     alpha: float = 10.0, reward_noise: float = 0.1, rng=None,
                     rho=None) -> PerturbedSourceLaw:
    """Random target MDP and the law of its perturbed sources.

    Parameters
    ----------
    n_states, n_actions, horizon : int
    alpha : float, default 10
        Dirichlet concentration of the source transitions (``inf``: unperturbed).
    reward_noise : float in [0, 1/2), default 0.1
        ``u``: target rewards ``u + (1 - 2u) U[0, 1]``, source rewards ``r +- u``.
    rng : seed
        Draws the target (stage-dependent Dirichlet(1) rows).
    rho : array_like, optional
        Initial distribution (uniform by default).

    Returns
    -------
    PerturbedSourceLaw
        ``.target`` is the :class:`FiniteHorizonMDP`.
    """
    S = check_positive_int("n_states", n_states)
    A = check_positive_int("n_actions", n_actions)
    H = check_positive_int("horizon", horizon)
    u = _noise(reward_noise)
    rng = as_generator(rng)
    g = rng.standard_gamma(1.0, size=(H, S, A, S)) + 1e-12
    P = g / g.sum(axis=-1, keepdims=True)
    R = u + (1.0 - 2.0 * u) * rng.random((H, S, A))
    target = FiniteHorizonMDP(P, R, rho)
    return PerturbedSourceLaw(target, alpha=alpha, reward_noise=u,
                              reward_kind="rademacher" if u > 0 else "none")


def perturbed_markov_game(n_states: int = 3, n_actions_max: int = 2, n_actions_min: int = 2,
                          horizon: int = 3, *, alpha: float = 10.0, reward_noise: float = 0.1,
                          rng=None) -> PerturbedSourceLaw:
    """Random zero-sum Markov game (payoffs in ``[u, 1 - u]``, range ``[0, 1]``) and its
    perturbed-source law (same kinds as :func:`perturbed_garnet`)."""
    S = check_positive_int("n_states", n_states)
    A = check_positive_int("n_actions_max", n_actions_max)
    B = check_positive_int("n_actions_min", n_actions_min)
    H = check_positive_int("horizon", horizon)
    u = _noise(reward_noise)
    rng = as_generator(rng)
    g = rng.standard_gamma(1.0, size=(H, S, A, B, S)) + 1e-12
    P = g / g.sum(axis=-1, keepdims=True)
    R = u + (1.0 - 2.0 * u) * rng.random((H, S, A, B))
    target = MarkovGame(P, R, horizon=H, reward_range=(0.0, 1.0))
    return PerturbedSourceLaw(target, alpha=alpha, reward_noise=u,
                              reward_kind="rademacher" if u > 0 else "none")


def perturbed_pennies_game(n_states: int = 3, horizon: int = 3, *, alpha: float = 10.0,
                           reward_noise: float = 0.1, amplitude: float = 0.3,
                           rng=None) -> PerturbedSourceLaw:
    """Markov game with 2x2 matching-pennies-like stage payoffs and action-independent moves.

    ``R_h(s) = 1/2 + amplitude * [[x, -y], [-z, w]]`` with ``x, y, z, w ~ U[1/2, 1]`` (a unique,
    fully mixed equilibrium), ``P_h(.|s, a, b) = q_h(s)`` (Dirichlet(1), the same for every joint
    action), so the continuation value adds a constant to each stage game and every stage
    equilibrium of the target is fully mixed.  Sources as in :func:`perturbed_garnet` (their
    transitions do depend on the joint action).

    Raises
    ------
    ValueError
        ``amplitude`` such that a payoff leaves ``[u, 1 - u]``; bad sizes or noise.
    """
    S = check_positive_int("n_states", n_states)
    H = check_positive_int("horizon", horizon)
    u = _noise(reward_noise)
    amp = check_positive_float("amplitude", amplitude)
    if 0.5 + amp > 1.0 - u:
        raise ValueError(f"amplitude: 1/2 + {amp} exceeds 1 - reward_noise = {1 - u}")
    rng = as_generator(rng)
    xyzw = rng.uniform(0.5, 1.0, size=(H, S, 4))
    M = np.stack([np.stack([xyzw[..., 0], -xyzw[..., 1]], -1),
                  np.stack([-xyzw[..., 2], xyzw[..., 3]], -1)], -2)
    R = 0.5 + amp * M
    g = rng.standard_gamma(1.0, size=(H, S, S)) + 1e-12
    q = g / g.sum(axis=-1, keepdims=True)
    P = np.ascontiguousarray(np.broadcast_to(q[:, :, None, None, :], (H, S, 2, 2, S)))
    target = MarkovGame(P, R, horizon=H, reward_range=(0.0, 1.0))
    return PerturbedSourceLaw(target, alpha=alpha, reward_noise=u,
                              reward_kind="rademacher" if u > 0 else "none")


def two_arm_sources(gap: float, member: int = 0) -> PerturbedSourceLaw:
    """Two-arm, one-step target with means ``(1/2, 1/2 + gap)`` (``member`` 0) or
    ``(1/2 + gap, 1/2)`` (``member`` 1), sources with Bernoulli arm means [D].

    Raises
    ------
    ValueError
        ``gap`` outside ``(0, 1/2]``; ``member`` not 0 or 1.
    """
    gap = check_real("gap", gap)
    if not 0.0 < gap <= 0.5:
        raise ValueError(f"gap: must lie in (0, 1/2], got {gap}")
    if member not in (0, 1):
        raise ValueError(f"member: must be 0 or 1, got {member!r}")
    means = [0.5, 0.5 + gap] if member == 0 else [0.5 + gap, 0.5]
    target = FiniteHorizonMDP(np.ones((1, 1, 2, 1)), np.array([[means]]), horizon=1)
    return PerturbedSourceLaw(target, alpha=math.inf, reward_kind="bernoulli")


def partial_coverage(n_sources: int, n_states: int, n_actions, horizon: int, *,
                     coverage: float = 0.5, rng=None) -> np.ndarray:
    """Per-source behaviour policies, each uniform over a random subset of actions per state.

    Parameters
    ----------
    n_sources, n_states, horizon : int
    n_actions : int or tuple of int
        ``A`` (MDP) or ``(A, B)`` (game: subsets of joint actions).
    coverage : float in (0, 1], default 1/2
        Fraction of the (joint) actions each source plays in each state: ``max(1,
        round(coverage * C))`` of them, the same at every step.
    rng : seed

    Returns
    -------
    ndarray, shape (L, H, S, *cell)
    """
    L = check_positive_int("n_sources", n_sources)
    S = check_positive_int("n_states", n_states)
    H = check_positive_int("horizon", horizon)
    cell = (n_actions,) if np.ndim(n_actions) == 0 else tuple(n_actions)
    cell = tuple(check_positive_int("n_actions", int(c)) for c in cell)
    frac = check_positive_float("coverage", coverage)
    if frac > 1.0:
        raise ValueError(f"coverage: must lie in (0, 1], got {frac}")
    C = int(np.prod(cell))
    k = max(1, int(round(frac * C)))
    rng = as_generator(rng)
    keys = rng.random((L, S, C))
    ranks = np.argsort(np.argsort(keys, axis=-1), axis=-1)
    mask = (ranks < k).astype(np.float64)
    beh = mask / mask.sum(axis=-1, keepdims=True)
    beh = np.broadcast_to(beh[:, None], (L, H, S, C)).reshape((L, H, S) + cell)
    return np.ascontiguousarray(beh)
