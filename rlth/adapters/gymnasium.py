r"""Gymnasium environments over exact rlth models, and exact models from toy-text environments.

Needs ``gymnasium>=1.0`` (``pip install rlth[gym]``); this module imports it at import time and
raises an ``ImportError`` with that hint when it is missing.  ``import rlth`` never imports it.

Models -> environments
----------------------
:class:`MDPEnv` runs any :class:`~rlth.models.mdp.FiniteHorizonMDP` or
:class:`~rlth.models.mdp.DiscountedMDP` as a ``gymnasium.Env``; :class:`ContextualBanditEnv`
runs a :class:`~rlth.models.bandits.ContextualBandit` (or a
:class:`~rlth.models.bandits.MultiArmedBandit`, one context) as one-step episodes.  The law of an
episode is the model's:

.. math::
    s_0 \sim \rho,\quad r_h \sim \mathrm{Bernoulli}(r_h(s_h, a_h)),\quad
    s_{h+1} \sim P_h(\cdot \mid s_h, a_h),

the same law as :func:`rlth.data.episodes.rollout` (rewards ``1.0`` w.p. the mean reward, else
``0.0``; ``reward="mean"`` pays the mean exactly instead).  All randomness comes from
gymnasium's ``self.np_random``, seeded by ``reset(seed=...)``: one uniform for ``s_0``, then per
step one uniform for the reward (Bernoulli only) and one for the next state (inverse CDF of the
row).  The exact model is ``env.unwrapped.model``, so ``V*`` and ``V^pi`` of what an agent
learned are computed exactly (:func:`rlth.adapters.outside.evaluate_agent`).

Horizon and ends.  A finite-horizon episode lasts exactly ``H`` steps and ends with
``truncated=True`` (never ``terminated``: the model has no terminal states; the last
observation is ``s_H``).  Optimal finite-horizon policies are non-stationary, so
``observe_step=True`` observes the pair ``(h, s)`` (``h`` = number of steps taken, ``0..H``).  A
discounted MDP has no natural end: an episode is ``truncated`` only after ``max_episode_steps``
steps when that is given, and the environment does not discount (the agent does: the value of
the model is ``E[sum_t gamma^t r_t]``).

Environments -> models
----------------------
:func:`model_from_gymnasium` reads an environment whose ``unwrapped.P`` table is exposed
(FrozenLake, Taxi, CliffWalking: ``P[s][a] = [(prob, next_state, reward, terminated), ...]``)
into an exact model.  Decisions:

* *terminal transitions*: a transition with ``terminated=True`` pays its reward and moves to one
  extra absorbing state (index ``S``, the last one) that pays 0 (in the environment's scale)
  forever.  The next state written in the table is not made absorbing itself: in Taxi and
  CliffWalking the table has ordinary moves out of it, and the episode ends on *arriving*, not
  on being there.  Without terminated transitions no state is added.
* *rewards*: rlth models hold mean rewards in [0, 1].  If every reward of the table (and the 0
  of the absorbing state) lies in [0, 1] the map is the identity; otherwise rewards are mapped by
  ``r' = scale * r + shift`` with ``scale = 1 / (hi - lo)``, ``shift = -lo * scale`` over
  ``[lo, hi]`` = the range of the table's rewards together with 0.  Every step (the absorbing ones
  included) pays ``scale * r + shift``, so for every policy
  ``V'_h = scale * V_h + shift * (H - h)`` (finite horizon) and
  ``V' = scale * V + shift / (1 - gamma)`` (discounted), the same for ``Q``; optimal policies are
  unchanged (``scale > 0``).  :class:`RewardMap` holds the map and maps values back
  (:meth:`RewardMap.value_to_env`).
* *initial distribution*: ``unwrapped.initial_state_distrib`` when present, else a point mass at
  the state ``env.reset()`` returns (exact only for environments with a deterministic start).

Examples
--------
>>> import numpy as np
>>> from rlth.instances import random_mdp
>>> env = MDPEnv(random_mdp(3, 2, horizon=4, rng=0))
>>> obs, info = env.reset(seed=1)
>>> obs in env.observation_space, env.unwrapped.model.horizon
(True, 4)
>>> for _ in range(4):
...     obs, reward, terminated, truncated, info = env.step(0)
>>> reward in (0.0, 1.0), terminated, truncated
(True, False, True)
"""
from __future__ import annotations

import operator
from dataclasses import dataclass

import numpy as np

try:
    import gymnasium as gym
    from gymnasium import spaces
except ImportError as exc:          # pragma: no cover - exercised only without gymnasium
    raise ImportError("rlth.adapters.gymnasium needs gymnasium>=1.0: pip install rlth[gym] "
                      "(or pip install 'gymnasium>=1.0')") from exc

from .._validation import (as_float_array, check_choice, check_distribution, check_gamma,
                           check_instance, check_positive_int)
from ..models.bandits import ContextualBandit, MultiArmedBandit
from ..models.mdp import DiscountedMDP, FiniteHorizonMDP
from ._common import check_action, draw

__all__ = ["MDPEnv", "ContextualBanditEnv", "RewardMap", "model_from_gymnasium"]

REWARDS = ("bernoulli", "mean")


class MDPEnv(gym.Env):
    """A ``gymnasium.Env`` over an exact finite-horizon or discounted MDP.

    Parameters
    ----------
    model : FiniteHorizonMDP or DiscountedMDP
        Reachable as ``env.unwrapped.model``.
    max_episode_steps : int, optional
        Discounted: truncate after this many steps (no end otherwise).  Finite horizon: truncate
        after ``min(H, max_episode_steps)`` steps (default ``H``).
    observe_step : bool, default False
        Finite horizon only: observe ``(h, s)`` (``Tuple(Discrete(H + 1), Discrete(S))``) instead
        of ``s`` (``Discrete(S)``), since optimal policies are non-stationary.
    reward : {"bernoulli", "mean"}
        Observed reward ``~ Bernoulli(R[h, s, a])`` (needs rewards in [0, 1]; the law of
        :func:`rlth.data.episodes.rollout`) or exactly ``R[h, s, a]``.

    Notes
    -----
    ``step`` returns ``info = {"h": steps taken, "mean_reward": R[h, s, a]}``; ``reset`` returns
    ``info = {"h": 0}``.  ``step`` before ``reset`` or after the episode ended raises
    ``RuntimeError``; an invalid action raises ``ValueError`` naming ``action``.
    """

    metadata = {"render_modes": []}

    def __init__(self, model, *, max_episode_steps=None, observe_step: bool = False,
                 reward: str = "bernoulli"):
        check_instance("model", model, (FiniteHorizonMDP, DiscountedMDP))
        self.model = model
        self.reward_kind = check_choice("reward", reward, REWARDS)
        if not isinstance(observe_step, (bool, np.bool_)):
            raise ValueError(f"observe_step: expected a bool, got {observe_step!r}")
        self.observe_step = bool(observe_step)
        limit = None if max_episode_steps is None else check_positive_int("max_episode_steps",
                                                                           max_episode_steps)
        S, A = model.n_states, model.n_actions
        self._finite = isinstance(model, FiniteHorizonMDP)
        if self._finite:
            H = model.horizon
            self.max_episode_steps = H if limit is None else min(H, limit)
            R_all = model.R_stages
        else:
            if self.observe_step:
                raise ValueError("observe_step: only for a FiniteHorizonMDP (a discounted MDP "
                                 "is stationary)")
            self.max_episode_steps = limit
            R_all = model.R
        if self.reward_kind == "bernoulli" and (R_all.min() < 0.0 or R_all.max() > 1.0):
            raise ValueError(f"reward: 'bernoulli' needs mean rewards in [0, 1], the model's "
                             f"lie in [{R_all.min():.6g}, {R_all.max():.6g}]; use "
                             f"reward='mean'")
        self.action_space = spaces.Discrete(A)
        if self.observe_step:
            self.observation_space = spaces.Tuple((spaces.Discrete(model.horizon + 1),
                                                   spaces.Discrete(S)))
        else:
            self.observation_space = spaces.Discrete(S)
        self._state: int | None = None
        self._t = 0
        self._done = True

    def _obs(self):
        return (self._t, self._state) if self.observe_step else self._state

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self._state = draw(self.np_random, self.model.rho)
        self._t = 0
        self._done = False
        return self._obs(), {"h": 0}

    def _stage(self):
        m, h = self.model, self._t
        if not self._finite:
            return m.P, m.R
        Ps, Rs = m.P_stages, m.R_stages
        return Ps[h if Ps.shape[0] > 1 else 0], Rs[h if Rs.shape[0] > 1 else 0]

    def step(self, action):
        if self._done:
            raise RuntimeError("step: the episode is over (or never started); call reset()")
        a = check_action("action", action, self.model.n_actions)
        P, R = self._stage()
        s = self._state
        mean = float(R[s, a])
        rng = self.np_random
        if self.reward_kind == "bernoulli":
            r = 1.0 if rng.random() < mean else 0.0
        else:
            r = mean
        self._state = draw(rng, P[s, a])
        self._t += 1
        truncated = self.max_episode_steps is not None and self._t >= self.max_episode_steps
        self._done = truncated
        return self._obs(), r, False, bool(truncated), {"h": self._t, "mean_reward": mean}


class ContextualBanditEnv(gym.Env):
    """A ``gymnasium.Env`` with one-step episodes over a contextual (or multi-armed) bandit.

    ``reset`` draws a context ``s ~ context_probs`` (observation ``Discrete(S)``; a
    :class:`~rlth.models.bandits.MultiArmedBandit` has the single context 0); ``step(a)`` pays a
    reward drawn from the model's noise (``"bernoulli"``: ``1.0`` w.p. ``means[s, a]``, else
    ``0.0``; ``"gaussian"``: ``means[s, a] + sigma * N(0, 1)``) and ends the episode
    (``terminated=True``; the observation returned is the context again).  The exact model is
    ``env.unwrapped.model``.

    Examples
    --------
    >>> from rlth.models import ContextualBandit
    >>> env = ContextualBanditEnv(ContextualBandit([0.5, 0.5], [[0.1, 0.9], [0.8, 0.2]]))
    >>> ctx, _ = env.reset(seed=0)
    >>> _, reward, terminated, truncated, info = env.step(1)
    >>> terminated, truncated, info["mean_reward"] in (0.9, 0.2)
    (True, False, True)
    """

    metadata = {"render_modes": []}

    def __init__(self, bandit):
        check_instance("bandit", bandit, (ContextualBandit, MultiArmedBandit))
        self.model = bandit
        if isinstance(bandit, MultiArmedBandit):
            self._probs, self._means = np.ones(1), bandit.means[None]
        else:
            self._probs, self._means = bandit.context_probs, bandit.means
        self.observation_space = spaces.Discrete(self._means.shape[0])
        self.action_space = spaces.Discrete(self._means.shape[1])
        self._context: int | None = None

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self._context = draw(self.np_random, self._probs)
        return self._context, {}

    def step(self, action):
        if self._context is None:
            raise RuntimeError("step: the episode is over (or never started); call reset()")
        a = check_action("action", action, self._means.shape[1])
        s = self._context
        mean = float(self._means[s, a])
        if self.model.reward == "bernoulli":
            r = 1.0 if self.np_random.random() < mean else 0.0
        else:
            r = mean + self.model.sigma * float(self.np_random.standard_normal())
        self._context = None
        return s, r, True, False, {"mean_reward": mean}


# ----------------------------------------------------------------------------------------------
# environments -> models


@dataclass(frozen=True)
class RewardMap:
    """The affine reward map ``r_model = scale * r_env + shift`` of :func:`model_from_gymnasium`.

    Attributes
    ----------
    scale, shift : float
        ``scale > 0``; ``(1.0, 0.0)`` when the environment's rewards already lie in [0, 1].
    horizon : int or None
        Horizon of the model (finite horizon), else None.
    gamma : float or None
        Discount of the model (discounted), else None.
    absorbing_state : int or None
        Index of the added absorbing state (``S`` of the environment), or None if the table has
        no terminated transition.
    """

    scale: float
    shift: float
    horizon: int | None = None
    gamma: float | None = None
    absorbing_state: int | None = None

    def reward_to_model(self, r):
        """``scale * r + shift``."""
        return self.scale * np.asarray(r, dtype=float) + self.shift

    def value_to_env(self, value, *, step: int = 0):
        """A model value (``V_h``, ``Q_h``, ``rho @ V_h``) at ``step`` h in the env's scale.

        Finite horizon ``(value - shift * (H - h)) / scale``; discounted
        ``(value - shift / (1 - gamma)) / scale`` (``step`` ignored).
        """
        value = np.asarray(value, dtype=float)
        if self.horizon is not None:
            if not 0 <= step <= self.horizon:
                raise ValueError(f"step: must lie in [0, {self.horizon}], got {step}")
            total_shift = self.shift * (self.horizon - step)
        else:
            total_shift = self.shift / (1.0 - self.gamma)
        return (value - total_shift) / self.scale


def model_from_gymnasium(env, *, horizon=None, gamma=None):
    """The exact model of an environment with an exposed transition table ``unwrapped.P``.

    Parameters
    ----------
    env : gymnasium.Env
        With ``Discrete`` observation and action spaces and ``unwrapped.P[s][a] = [(prob,
        next_state, reward, terminated), ...]`` (gymnasium's toy-text environments FrozenLake,
        Taxi, CliffWalking).  Wrappers (``gymnasium.make``'s time limit) are looked through.
    horizon : int, optional
        Build a stationary :class:`~rlth.models.mdp.FiniteHorizonMDP` with this horizon.
    gamma : float, optional
        Build a :class:`~rlth.models.mdp.DiscountedMDP` (give exactly one of the two).

    Returns
    -------
    (model, RewardMap)
        ``model`` has ``S + 1`` states when the table has a terminated transition (the last one
        absorbing, see the module docstring), else ``S``; mean rewards
        ``R[s, a] = sum prob * (scale * reward + shift)``.  Map values back with
        ``reward_map.value_to_env(V, step=h)``.

    Raises
    ------
    ValueError
        ``env`` has no table, non-discrete spaces, or a malformed table (names ``env``);
        not exactly one of ``horizon`` / ``gamma``.

    Examples
    --------
    >>> import gymnasium
    >>> from rlth.solvers import policy_iteration
    >>> model, rmap = model_from_gymnasium(gymnasium.make("FrozenLake-v1"), gamma=0.9)
    >>> model.n_states, rmap.scale, rmap.absorbing_state
    (17, 1.0, 16)
    >>> round(float(rmap.value_to_env(policy_iteration(model).value)), 4)
    0.0689
    """
    if (horizon is None) == (gamma is None):
        raise ValueError("horizon/gamma: give exactly one of horizon (finite-horizon MDP) or "
                         "gamma (discounted MDP)")
    if gamma is not None:
        gamma = check_gamma(gamma)
    else:
        horizon = check_positive_int("horizon", horizon)
    check_instance("env", env, gym.Env, what="gymnasium.Env")
    raw = env.unwrapped
    table = getattr(raw, "P", None)
    if table is None:
        raise ValueError(f"env: {type(raw).__name__} exposes no transition table unwrapped.P "
                         f"(P[s][a] = [(prob, next_state, reward, terminated), ...])")
    obs_space, act_space = raw.observation_space, raw.action_space
    if not (isinstance(obs_space, spaces.Discrete) and isinstance(act_space, spaces.Discrete)):
        raise ValueError(f"env: needs Discrete observation and action spaces, got "
                         f"{obs_space} and {act_space}")
    S, A = int(obs_space.n), int(act_space.n)
    entries = []                      # (s, a, prob, next, reward, terminated)
    for s in range(S):
        for a in range(A):
            try:
                outcomes = table[s][a]
            except (KeyError, IndexError, TypeError):
                raise ValueError(f"env: unwrapped.P[{s}][{a}] is missing") from None
            if len(outcomes) == 0:
                raise ValueError(f"env: unwrapped.P[{s}][{a}] lists no outcome")
            for outcome in outcomes:
                try:
                    p, nxt, r, term = outcome[:4]
                    p, r, nxt = float(p), float(r), operator.index(nxt)
                except (TypeError, ValueError):
                    raise ValueError(f"env: unwrapped.P[{s}][{a}] has an entry {outcome!r}, "
                                     f"expected (prob, next_state, reward, terminated)") from None
                if not 0 <= nxt < S:
                    raise ValueError(f"env: unwrapped.P[{s}][{a}] moves to state {nxt}, outside "
                                     f"[0, {S - 1}]")
                if not (np.isfinite(p) and np.isfinite(r)) or p < 0:
                    raise ValueError(f"env: unwrapped.P[{s}][{a}] has an invalid entry "
                                     f"{outcome!r}")
                entries.append((s, a, p, nxt, r, bool(term)))
    any_terminal = any(e[5] for e in entries)
    n = S + 1 if any_terminal else S
    rewards = np.array([e[4] for e in entries] + [0.0])
    lo, hi = float(rewards.min()), float(rewards.max())
    if lo >= 0.0 and hi <= 1.0:
        scale, shift = 1.0, 0.0
    else:
        scale = 1.0 / (hi - lo)
        shift = -lo * scale
    P = np.zeros((n, A, n))
    R = np.zeros((n, A))
    for s, a, p, nxt, r, term in entries:
        P[s, a, S if term else nxt] += p
        R[s, a] += p * (scale * r + shift)
    if any_terminal:
        P[S, :, S] = 1.0
        R[S, :] = shift                               # the env's reward 0, mapped
    sums = P[:S].sum(axis=2)
    bad = np.abs(sums - 1.0) > 1e-9
    if bad.any():
        s, a = np.argwhere(bad)[0]
        raise ValueError(f"env: the probabilities of unwrapped.P[{s}][{a}] sum to "
                         f"{sums[s, a]!r}, not 1")
    P[:S] /= sums[:, :, None]                         # rounding of e.g. 3 x 1/3
    R[:S] /= sums
    R = np.clip(R, 0.0, 1.0)                          # rounding of the affine map only
    rho = _initial_distribution(env, raw, S)
    if any_terminal:
        rho = np.append(rho, 0.0)
    if horizon is not None:
        model = FiniteHorizonMDP(P, R, rho, horizon=horizon)
    else:
        model = DiscountedMDP(P, R, gamma, rho)
    return model, RewardMap(scale, shift, horizon, gamma, S if any_terminal else None)


def _initial_distribution(env, raw, S: int) -> np.ndarray:
    rho = getattr(raw, "initial_state_distrib", None)
    if rho is not None:
        rho = as_float_array("env", rho, shape=(S,))
        check_distribution("env", rho)
        return rho / rho.sum()
    obs, _ = env.reset()
    try:
        s = operator.index(obs)
    except TypeError:
        raise ValueError(f"env: reset() returned {obs!r}, expected a state index") from None
    rho = np.zeros(S)
    rho[s] = 1.0
    return rho
