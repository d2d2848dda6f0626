r"""Exact evaluation of an agent written outside rlth.

:func:`evaluate_agent` turns an agent into a policy table and scores it exactly on an rlth model:
its value :math:`J^\pi = \rho^\top V^\pi_0`, the optimal value :math:`J^* = \rho^\top V^*_0` and
the regret :math:`J^* - J^\pi \ge 0`, with rlth's exact solvers (backward induction and policy
iteration of :mod:`rlth.solvers.dp`), no sampling.  An agent is

* a callable ``agent(obs) -> action`` (an integer; the agent is taken as deterministic: it is
  called once per observation) or ``agent(obs) -> probability vector`` (length ``A``);
  observations are those of :mod:`rlth.adapters.gymnasium`: the state ``s`` (or context), or the
  pair ``(h, s)`` with ``observe_step=True`` (finite horizon);
* a table: deterministic ``(S,)`` / ``(H, S)`` of integers or stochastic ``(S, A)`` /
  ``(H, S, A)`` of floats (the ``H`` forms for finite horizon only; stationary forms are used at
  every step).

Zero-sum games (:class:`~rlth.models.games.MatrixGame`, :class:`~rlth.models.games.MarkovGame`):
the agent plays the max (row) player, observing ``s`` (or ``(h, s)``; a matrix game has the single
observation 0).  Its value is what it guarantees against a best-responding min player,
:math:`\rho^\top V^{\pi, \dagger}_0` (:func:`rlth.solvers.games.best_response_value`), the
optimal value is the Nash value :math:`v^*` (:func:`rlth.solvers.games.solve_markov_game` /
``solve_matrix_game``, an LP: exact up to the solver's certified gap) and the regret
:math:`v^* - \rho^\top V^{\pi,\dagger}_0 \ge 0` is the agent's one-sided exploitability.  With
an ``opponent`` (the min player, an agent of the same forms) the Nash gap of the pair,
:func:`rlth.solvers.games.exploitability`, is reported too.

Example: tabular Q-learning through gymnasium, scored exactly
-------------------------------------------------------------
Optimistic finite-horizon Q-learning (step size :math:`(H+1)/(H+n)`, Jin et al. 2018, without
the bonus) on RiverSwim through :class:`~rlth.adapters.gymnasium.MDPEnv`, observing ``(h, s)``:

>>> import numpy as np
>>> from rlth.instances import riverswim
>>> from rlth.adapters.gymnasium import MDPEnv
>>> H, S, A = 8, 4, 2
>>> env = MDPEnv(riverswim(S, horizon=H), observe_step=True)
>>> Q = np.zeros((H + 1, S, A)); Q[:H] = np.arange(H, 0, -1)[:, None, None]    # optimistic
>>> n = np.zeros((H, S, A))
>>> _ = env.reset(seed=0)
>>> for episode in range(3000):
...     (h, s), _ = env.reset()
...     done = False
...     while not done:
...         a = int(np.argmax(Q[h, s]))
...         (h2, s2), r, terminated, truncated, _ = env.step(a)
...         n[h, s, a] += 1
...         lr = (H + 1) / (H + n[h, s, a])
...         Q[h, s, a] += lr * (r + Q[h2, s2].max() - Q[h, s, a])
...         (h, s), done = (h2, s2), terminated or truncated
>>> ev = evaluate_agent(env.unwrapped.model, lambda obs: int(np.argmax(Q[obs])),
...                     observe_step=True)
>>> round(ev.optimal_value, 4), round(ev.value, 4), bool(0 <= ev.regret < 0.01)
(0.8872, 0.8857, True)
>>> table = evaluate_agent(env.unwrapped.model, Q[:H].argmax(axis=2))   # the same, as a table
>>> table.value == ev.value
True
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import (PROB_TOL, as_array, as_float_array, check_choice, check_distribution,
                           check_instance)
from ..models.bandits import ContextualBandit, MultiArmedBandit
from ..models.games import MarkovGame, MatrixGame
from ..models.mdp import DiscountedMDP, FiniteHorizonMDP
from ..models.policy import as_stochastic_policy
from ..solvers.dp import backward_induction, evaluate_policy, policy_iteration
from ..solvers.games import (best_response_value, exploitability, solve_markov_game,
                             solve_matrix_game)

__all__ = ["AgentEvaluation", "evaluate_agent", "policy_table"]

MODELS = (FiniteHorizonMDP, DiscountedMDP, ContextualBandit, MultiArmedBandit, MarkovGame,
          MatrixGame)
#: models with a single observation 0, whose tables may also be an action or a distribution
SINGLE = (MultiArmedBandit, MatrixGame)


@dataclass(frozen=True, eq=False)
class AgentEvaluation:
    """Exact score of an agent.

    Attributes
    ----------
    value : float
        ``J^pi = rho @ V^pi_0`` (discounted ``rho @ V^pi``; bandit: expected reward).
    optimal_value : float
        ``J*``.
    regret : float
        ``J* - J^pi``; ``>= 0`` up to round-off (not clipped).
    policy : ndarray
        The agent as a stochastic table: ``(H, S, A)`` (finite horizon; a stationary agent is
        broadcast) or ``(S, A)`` (discounted, contextual bandit; a multi-armed bandit ``(1, K)``).
    V, V_star : ndarray
        ``V^pi`` and ``V*``: ``(H + 1, S)`` (finite horizon), ``(S,)`` (discounted; bandits the
        expected reward per context).  Games: the agent's value against a best response and
        the Nash value, ``(H + 1, S)`` (a matrix game ``(2, 1)``).
    exploitability : float or None
        Games with an ``opponent``: the Nash gap of the pair (agent, opponent); else None.
    """

    value: float
    optimal_value: float
    regret: float
    policy: np.ndarray
    V: np.ndarray
    V_star: np.ndarray
    exploitability: float | None = None


def _dims(model, player: str = "max"):
    """``(H or None, S, A)`` of a model (a multi-armed bandit or a matrix game has one
    observation); games: the actions of ``player``."""
    if isinstance(model, MarkovGame):
        n = model.n_actions_max if player == "max" else model.n_actions_min
        return model.horizon, model.n_states, n
    if isinstance(model, MatrixGame):
        return None, 1, model.shape[0 if player == "max" else 1]
    if isinstance(model, FiniteHorizonMDP):
        return model.horizon, model.n_states, model.n_actions
    if isinstance(model, DiscountedMDP):
        return None, model.n_states, model.n_actions
    if isinstance(model, ContextualBandit):
        return None, model.n_contexts, model.n_actions
    return None, 1, model.n_arms


def _answer(agent, obs, A: int, name: str = "agent") -> np.ndarray:
    """The agent's answer at ``obs`` as a probability vector of length ``A``."""
    try:
        out = agent(obs)
    except Exception as exc:
        raise ValueError(f"{name}: calling it on observation {obs!r} raised "
                         f"{type(exc).__name__}: {exc}") from exc
    arr = as_array(name, out)
    if arr.dtype == bool:
        raise ValueError(f"{name}: returned a boolean {out!r} at observation {obs!r}; expected "
                         f"an action index or a probability vector")
    if arr.ndim == 0 and arr.dtype.kind in "iu":
        a = int(arr)
        if not 0 <= a < A:
            raise ValueError(f"{name}: returned action {a} at observation {obs!r}, outside "
                             f"[0, {A - 1}]")
        return np.eye(A)[a]
    if arr.ndim == 1 and arr.dtype.kind in "iuf":
        p = as_float_array(name, arr)
        if p.shape != (A,):
            raise ValueError(f"{name}: returned a vector of length {p.shape[0]} at observation "
                             f"{obs!r}; a probability vector has length A = {A}")
        try:
            check_distribution(name, p, tol=PROB_TOL)
        except ValueError as exc:
            raise ValueError(f"{exc} (at observation {obs!r})") from None
        return p
    raise ValueError(f"{name}: returned {out!r} at observation {obs!r}; expected an integer action "
                     f"index or a probability vector of length {A}")


def policy_table(model, agent, *, observe_step: bool = False, player: str = "max",
                 name: str = "agent") -> np.ndarray:
    """The agent (callable or table, see the module docstring) as a validated stochastic table.

    Returns ``(H, S, A)`` for a finite-horizon model or a Markov game, ``(S, A)`` otherwise
    (``(1, K)`` for a multi-armed bandit or a matrix game).  ``player`` picks the player of a
    game.  Raises ``ValueError`` naming ``name`` (default ``agent``: wrong table shape, action out
    of range, probabilities not summing to 1, bad answer of a callable) or ``model`` /
    ``observe_step``.
    """
    check_instance("model", model, MODELS)
    check_choice("player", player, ("max", "min"))
    H, S, A = _dims(model, player)
    if not isinstance(observe_step, (bool, np.bool_)):
        raise ValueError(f"observe_step: expected a bool, got {observe_step!r}")
    if observe_step and H is None:
        raise ValueError("observe_step: only for a FiniteHorizonMDP (observations (h, s))")
    if callable(agent):
        if observe_step:
            return np.array([[_answer(agent, (h, s), A, name) for s in range(S)]
                             for h in range(H)])
        pi = np.array([_answer(agent, s, A, name) for s in range(S)])
        return pi if H is None else np.ascontiguousarray(np.broadcast_to(pi, (H, S, A)))
    arr = as_array(name, agent)
    if isinstance(model, SINGLE) and (arr.ndim == 0 or (arr.shape == (A,)
                                                        and arr.dtype.kind == "f")):
        arr = arr[None]                       # an action, or a distribution over actions
    return as_stochastic_policy(arr, S, A, horizon=H, name=name)


def evaluate_agent(model, agent, *, observe_step: bool = False,
                   opponent=None) -> AgentEvaluation:
    """Exact value, optimal value and regret of an outside agent on an rlth model.

    Parameters
    ----------
    model : FiniteHorizonMDP, DiscountedMDP, ContextualBandit, MultiArmedBandit or a game
        (:class:`~rlth.models.games.MarkovGame` or :class:`~rlth.models.games.MatrixGame`).
        E.g. ``env.unwrapped.model`` of an :mod:`rlth.adapters.gymnasium` environment.
    agent : callable or array_like
        ``agent(obs) -> action`` / ``-> probability vector``, or a policy table (module
        docstring).  A callable is called once per observation.  In a game, the max player.
    observe_step : bool, default False
        The callables observe ``(h, s)`` (finite horizon, as ``MDPEnv(observe_step=True)``).
    opponent : callable or array_like, optional
        Games only: the min player, to report the Nash gap of the pair.

    Returns
    -------
    AgentEvaluation

    Raises
    ------
    ValueError
        Message starting with ``agent`` / ``opponent`` (wrong table shape, probabilities not
        summing to 1, actions out of range, a callable answering something else), ``model`` or
        ``observe_step``.

    Guarantee
    ---------
    Exact up to round-off: ``V^pi`` by :func:`rlth.solvers.dp.evaluate_policy`, ``V*`` by
    :func:`rlth.solvers.dp.backward_induction` (finite horizon) or
    :func:`rlth.solvers.dp.policy_iteration` (discounted), bandits in closed form.  Games: the
    best response by exact backward induction, the Nash value by an LP per stage game (up to
    its certified duality gap, see :func:`rlth.solvers.games.solve_markov_game`).

    Examples
    --------
    >>> from rlth.instances import puterman_two_state, rock_paper_scissors
    >>> ev = evaluate_agent(puterman_two_state(), lambda s: 0)
    >>> round(ev.value, 6), round(ev.optimal_value, 6), round(ev.regret, 6)
    (-8.571429, -8.571429, 0.0)
    >>> ev = evaluate_agent(rock_paper_scissors(), 0, opponent=[0.2, 0.5, 0.3])
    >>> round(ev.value, 6), round(ev.regret, 6), round(ev.exploitability, 6)
    (-1.0, 1.0, 1.3)
    """
    pi = policy_table(model, agent, observe_step=observe_step)
    is_game = isinstance(model, (MarkovGame, MatrixGame))
    if opponent is not None and not is_game:
        raise ValueError("opponent: only for a game (MarkovGame or MatrixGame)")
    gap = None
    if is_game:
        V = best_response_value(model, pi, "min")
        if isinstance(model, MarkovGame):
            sol = solve_markov_game(model)
            V_star, value, best = sol.V, float(model.rho @ V[0]), sol.value
        else:
            best = solve_matrix_game(model).value
            V_star, value = np.array([[best], [0.0]]), float(V[0, 0])
        if opponent is not None:
            nu = policy_table(model, opponent, observe_step=observe_step, player="min",
                              name="opponent")
            gap = float(exploitability(model, pi, nu))
    elif isinstance(model, FiniteHorizonMDP):
        ev, sol = evaluate_policy(model, pi), backward_induction(model, certify=False)
        V, V_star, value, best = ev.V, sol.V, ev.value, sol.value
    elif isinstance(model, DiscountedMDP):
        ev, sol = evaluate_policy(model, pi), policy_iteration(model)
        V, V_star, value, best = ev.V, sol.V, ev.value, sol.value
    else:
        if isinstance(model, MultiArmedBandit):
            probs, means = np.ones(1), model.means[None]
        else:
            probs, means = model.context_probs, model.means
        V, V_star = np.sum(pi * means, axis=1), means.max(axis=1)
        value, best = float(probs @ V), float(probs @ V_star)
    return AgentEvaluation(float(value), float(best), float(best) - float(value), pi,
                           np.asarray(V), np.asarray(V_star), gap)
