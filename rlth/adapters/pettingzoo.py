r"""A PettingZoo ``ParallelEnv`` over an exact two-player zero-sum Markov game.

Needs ``pettingzoo>=1.24`` (``pip install rlth[pettingzoo]``); this module imports it at import
time and raises an ``ImportError`` with that hint when it is missing.  ``import rlth`` never
imports it.

:class:`MarkovGameParallelEnv` runs a :class:`~rlth.models.games.MarkovGame` (zero-sum, finite
horizon, simultaneous moves) -- or a :class:`~rlth.models.games.MatrixGame`, wrapped as the
one-step game with one state -- as a PettingZoo parallel environment.

Agents.  ``possible_agents = ["max", "min"]`` (rlth's names for the players, as in
:func:`rlth.solvers.games.best_response_value`): ``"max"`` picks ``a`` in
``Discrete(n_actions_max)``, ``"min"`` picks ``b`` in ``Discrete(n_actions_min)``.  Both observe
the state ``s`` (``Discrete(S)``), or ``(h, s)`` (``Tuple(Discrete(H + 1), Discrete(S))``, ``h`` =
number of steps taken) with ``observe_step=True`` (equilibrium strategies of a finite-horizon game
are non-stationary).  Observations are ``numpy.int64`` scalars (the dtype of ``Discrete``), the
same for both agents.

Law of an episode (that of the model):

.. math::
    s_0 \sim \rho,\quad r_h \text{ with mean } R_h(s_h, a_h, b_h),\quad
    s_{h+1} \sim P_h(\cdot \mid s_h, a_h, b_h).

Rewards (zero-sum, constant sum 0).  The max player receives ``r``, the min player ``-r``, so
the two rewards of every step sum to exactly 0 and the min player maximizes ``-r`` (the model's
payoffs ``R`` are the max player's, in the game's declared ``reward_range = (lo, hi)``, by default
``(-1, 1)``).  With ``reward="bernoulli"`` (default) ``r`` is two-point:
``r = hi`` with probability ``(R - lo) / (hi - lo)``, else ``r = lo`` (``r = lo`` when
``lo == hi``), so ``E[r] = R`` exactly; for a game with ``reward_range=(0, 1)`` this is the
Bernoulli reward of :class:`rlth.adapters.gymnasium.MDPEnv`.  ``reward="mean"`` pays ``R``
exactly.

Randomness.  All of it comes from the environment's own generator ``env.np_random`` (gymnasium's
``seeding.np_random``), re-seeded by ``reset(seed=...)``: one uniform for ``s_0``, then per step
one uniform for the reward (two-point only) and one for the next state (inverse CDF of the row).
The same seed and the same actions give the same episode.

Ends.  An episode lasts ``min(H, max_cycles)`` steps (``H`` when ``max_cycles`` is None) and ends
with ``truncations = {"max": True, "min": True}`` (``terminations`` are always False: the model
has no terminal state); ``agents`` is then empty.  Markov games in rlth are finite-horizon, so
there is no discounted case.  ``max_cycles`` is read at every ``reset`` (PettingZoo's
``parallel_api_test`` sets it).

The exact model is ``env.unwrapped.model`` (a :class:`~rlth.models.games.MarkovGame`; for a
matrix game the one-step wrapping, the original being ``env.game``), so the exact value of a
policy pair, best responses and the exploitability of what agents learned come from
:mod:`rlth.solvers.games` or :func:`rlth.adapters.outside.evaluate_agent`.

Examples
--------
>>> import numpy as np
>>> from rlth.models import MarkovGame
>>> game = MarkovGame(np.full((2, 2, 3, 2), 0.5), np.zeros((2, 2, 3)), horizon=3)
>>> env = MarkovGameParallelEnv(game)
>>> obs, infos = env.reset(seed=0)
>>> env.agents, int(env.action_space("max").n), int(env.action_space("min").n)
(['max', 'min'], 2, 3)
>>> for _ in range(3):
...     obs, rewards, terminations, truncations, infos = env.step({"max": 1, "min": 2})
>>> rewards["max"] + rewards["min"], truncations, env.agents
(0.0, {'max': True, 'min': True}, [])
"""
from __future__ import annotations


import numpy as np

try:
    from gymnasium import spaces
    from gymnasium.utils import seeding
    from pettingzoo import ParallelEnv
except ImportError as exc:          # pragma: no cover - exercised only without pettingzoo
    raise ImportError("rlth.adapters.pettingzoo needs pettingzoo>=1.24: pip install "
                      "rlth[pettingzoo] (or pip install 'pettingzoo>=1.24')") from exc

from .._validation import check_choice, check_instance, check_positive_int
from ..models.games import MarkovGame, MatrixGame
from ._common import check_action, draw

__all__ = ["MarkovGameParallelEnv", "AGENTS"]

#: The agents: the max (row) player, then the min (column) player.
AGENTS = ("max", "min")
REWARDS = ("bernoulli", "mean")


def _one_step_game(game: MatrixGame) -> MarkovGame:
    """The matrix game as the Markov game with ``H = S = 1`` (payoff range ``[min A, max A]``)."""
    A = game.A
    m, n = A.shape
    return MarkovGame(np.ones((1, 1, m, n, 1)), A[None, None], horizon=1,
                      reward_range=(float(A.min()), float(A.max())))


class MarkovGameParallelEnv(ParallelEnv):
    """A PettingZoo ``ParallelEnv`` over a zero-sum Markov game (see the module docstring).

    Parameters
    ----------
    game : MarkovGame or MatrixGame
        A matrix game is played as one step from a single state.
    max_cycles : int, optional
        Truncate after ``min(H, max_cycles)`` steps (default ``H``); an integer ``>= 1``.
    observe_step : bool, default False
        Observe ``(h, s)`` instead of ``s``.
    reward : {"bernoulli", "mean"}
        Two-point reward on the game's ``reward_range`` with mean ``R`` (default), or ``R``.
    render_mode : None
        No rendering; ``render()`` returns None.

    Notes
    -----
    ``step(actions)`` needs an action for each live agent (``ValueError`` naming
    ``actions[agent]`` otherwise) and returns per-agent dicts; ``infos[agent] = {"h": steps
    taken, "mean_reward": R_h(s, a, b)}`` (the max player's mean).  ``step`` before ``reset`` or
    after the episode ended raises ``RuntimeError``.
    """

    metadata = {"name": "rlth_markov_game_v0", "render_modes": []}

    def __init__(self, game, *, max_cycles=None, observe_step: bool = False,
                 reward: str = "bernoulli", render_mode=None):
        check_instance("game", game, (MarkovGame, MatrixGame))
        self.game = game
        self.model = _one_step_game(game) if isinstance(game, MatrixGame) else game
        self.max_cycles = None if max_cycles is None else check_positive_int("max_cycles",
                                                                             max_cycles)
        if not isinstance(observe_step, (bool, np.bool_)):
            raise ValueError(f"observe_step: expected a bool, got {observe_step!r}")
        self.observe_step = bool(observe_step)
        self.reward_kind = check_choice("reward", reward, REWARDS)
        if render_mode is not None:
            raise ValueError(f"render_mode: no render modes, got {render_mode!r}")
        self.render_mode = None
        m = self.model
        self.possible_agents = list(AGENTS)
        self.agents: list[str] = []
        self._n_actions = {"max": m.n_actions_max, "min": m.n_actions_min}
        self._action_spaces = {a: spaces.Discrete(n) for a, n in self._n_actions.items()}
        if self.observe_step:
            self._obs_space = spaces.Tuple((spaces.Discrete(m.horizon + 1),
                                            spaces.Discrete(m.n_states)))
        else:
            self._obs_space = spaces.Discrete(m.n_states)
        self.observation_spaces = {a: self._obs_space for a in AGENTS}
        self.action_spaces = dict(self._action_spaces)
        lo, hi = m.reward_range
        self._lo, self._hi = float(lo), float(hi)
        self.np_random, self.np_random_seed = seeding.np_random()
        self._state: int | None = None
        self._t = 0
        self._limit = m.horizon

    # ------------------------------------------------------------------------------ spaces

    def observation_space(self, agent):
        return self.observation_spaces[self._agent(agent)]

    def action_space(self, agent):
        return self.action_spaces[self._agent(agent)]

    @staticmethod
    def _agent(agent) -> str:
        if agent not in AGENTS:
            raise ValueError(f"agent: expected one of {list(AGENTS)}, got {agent!r}")
        return agent

    # ------------------------------------------------------------------------------ episodes

    def _obs(self):
        s = np.int64(self._state)
        o = (np.int64(self._t), s) if self.observe_step else s
        return {a: o for a in AGENTS}

    def reset(self, seed=None, options=None):
        if seed is not None:
            self.np_random, self.np_random_seed = seeding.np_random(seed)
        H = self.model.horizon
        self._limit = H if self.max_cycles is None else min(
            H, check_positive_int("max_cycles", self.max_cycles))
        self._state = draw(self.np_random, self.model.rho)
        self._t = 0
        self.agents = list(AGENTS)
        return self._obs(), {a: {"h": 0} for a in AGENTS}

    def step(self, actions):
        if not self.agents:
            raise RuntimeError("step: the episode is over (or never started); call reset()")
        if not isinstance(actions, dict):
            raise ValueError(f"actions: expected a dict agent -> action, got "
                             f"{type(actions).__name__}")
        for agent in actions:
            if agent not in AGENTS:
                raise ValueError(f"actions: unknown agent {agent!r}, expected {list(AGENTS)}")
        ab = []
        for agent in AGENTS:
            if agent not in actions:
                raise ValueError(f"actions[{agent!r}]: missing (both players move every step)")
            ab.append(check_action(f"actions[{agent!r}]", actions[agent], self._n_actions[agent]))
        a, b = ab
        m, h, s = self.model, self._t, self._state
        mean = float(m.R[h, s, a, b])
        rng = self.np_random
        if self.reward_kind == "mean":
            r = mean
        elif self._hi > self._lo:
            r = self._hi if rng.random() < (mean - self._lo) / (self._hi - self._lo) else self._lo
        else:
            r = self._lo
        self._state = draw(rng, m.P[h, s, a, b])
        self._t += 1
        done = self._t >= self._limit
        obs = self._obs()
        rewards = {"max": r, "min": -r if r != 0.0 else 0.0}
        terminations = {ag: False for ag in AGENTS}
        truncations = {ag: done for ag in AGENTS}
        infos = {ag: {"h": self._t, "mean_reward": mean} for ag in AGENTS}
        if done:
            self.agents = []
        return obs, rewards, terminations, truncations, infos

    def state(self):
        """The current state index (``(h, s)`` with ``observe_step=True``), as an array."""
        if self._state is None:
            raise RuntimeError("state: call reset() first")
        return np.array((self._t, self._state) if self.observe_step else self._state)

    def render(self):
        return None

    def close(self):
        pass
