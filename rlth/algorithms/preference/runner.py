r"""Online runner for dueling feedback, with exact per-round regret.

Same pattern as :mod:`rlth.algorithms.online.runner`: in round :math:`t = 0, \dots, T-1` an
agent proposes a :class:`~rlth.algorithms.preference.vpo.DuelProposal` (the policy
:math:`\pi_t` it is charged for and the laws of the two dueling responses); the runner

1. computes the **exact** KL-regularized regret :math:`J(r^*, \pi^*) - J(r^*, \pi_t)`
   (:func:`rlth.solvers.preference.regularized_regret`) and the unregularized reward regret;
2. draws one duel :math:`x \sim \rho`, :math:`y_1 \sim` ``first``, :math:`y_2 \sim`
   ``second``, BT label (:func:`rlth.data.duels.sample_duel`, four uniforms);
3. hands ``(x, y1, y2, y1_won)`` to the agent.

Only expected quantities enter the regret (pseudo-regret of the policy played, never sampled
rewards).  The regret is charged for :math:`\pi_t` only, not for the second response (the
regret of VPO's online theorem [R]).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from ..._rng import as_generator
from ..._validation import check_instance, check_positive_int
from ...data.duels import sample_duel
from ...models.bandits import LinearDuelingBandit
from ...solvers.preference import regularized_regret, unregularized_regret

__all__ = ["DuelingAgent", "DuelingResult", "run_dueling"]


class DuelingAgent(Protocol):
    """Protocol of an online dueling agent (see :mod:`rlth.algorithms.preference.vpo`)."""

    def reset(self, model: LinearDuelingBandit, n_rounds: int) -> None:
        """Allocate statistics; called once before round 0 (may read phi, pi_ref, beta, rho,
        never theta*)."""

    def propose(self, t: int):
        """A :class:`~rlth.algorithms.preference.vpo.DuelProposal` for round ``t``."""

    def observe(self, x: int, y1: int, y2: int, first_won: bool) -> None:
        """The duel of round ``t``: context, the two responses, whether ``y1`` won."""


@dataclass(frozen=True)
class DuelingResult:
    """Per-round record of one run.

    Attributes
    ----------
    regret : ndarray, shape (T,)
        :math:`J(r^*, \\pi^*) - J(r^*, \\pi_t)` (exact, >= 0).
    reward_regret : ndarray, shape (T,)
        :math:`\\mathbb E_\\rho[\\max_y r^* - \\mathbb E_{\\pi_t} r^*]` (exact).
    opt_gaps : ndarray, shape (T,)
        The agent's certified optimization gap per round (NaN where not certified).
    """

    regret: np.ndarray
    reward_regret: np.ndarray
    opt_gaps: np.ndarray

    @property
    def n_rounds(self) -> int:
        return self.regret.shape[0]

    @property
    def cumulative_regret(self) -> np.ndarray:
        return np.cumsum(self.regret)

    @property
    def cumulative_reward_regret(self) -> np.ndarray:
        return np.cumsum(self.reward_regret)


def run_dueling(model: LinearDuelingBandit, agent, n_rounds: int, *, rng=None) -> DuelingResult:
    """Run ``agent`` for ``n_rounds`` duels on ``model``.

    Parameters
    ----------
    model : LinearDuelingBandit
    agent : DuelingAgent
        Reset at the start (statistics overwritten).
    n_rounds : int
    rng : Generator, int or SeedSequence
        Drives the duels (four uniforms per round: context, y1, y2, label).  The agent's own
        randomness (restarts, posterior draws) comes from its own ``rng``.

    Returns
    -------
    DuelingResult

    Raises
    ------
    ValueError
        ``model`` not a LinearDuelingBandit, ``n_rounds <= 0``, ``agent`` without
        ``reset`` / ``propose`` / ``observe``.

    Examples
    --------
    >>> from rlth.instances.dueling import linear_dueling_bandit
    >>> from rlth.algorithms.preference.vpo import VPOAgent
    >>> m = linear_dueling_bandit(1, 5, 2, rng=0)
    >>> res = run_dueling(m, VPOAgent(0.0, radius=2.0, rng=1), 20, rng=2)
    >>> res.regret.shape, bool(res.regret.min() >= 0)
    ((20,), True)
    """
    model = check_instance("model", model, LinearDuelingBandit)
    T = check_positive_int("n_rounds", n_rounds)
    missing = [m for m in ("reset", "propose", "observe") if not callable(getattr(agent, m, None))]
    if missing:
        raise ValueError(f"agent: expected a DuelingAgent (reset, propose, observe), got "
                         f"{type(agent).__name__} without {', '.join(missing)}")
    rng = as_generator(rng)
    agent.reset(model, T)
    regret, rregret, gaps = np.empty(T), np.empty(T), np.full(T, np.nan)
    for t in range(T):
        prop = agent.propose(t)
        regret[t] = regularized_regret(model, prop.policy)
        rregret[t] = unregularized_regret(model, prop.policy)
        gaps[t] = prop.opt_gap
        x, y1, y2, won = sample_duel(model, prop.first, prop.second, rng=rng)
        agent.observe(x, y1, y2, won)
    return DuelingResult(regret, rregret, gaps)
