r"""Episodic online runner with exact per-episode values (pseudo-regret and constraint slack).

In episode :math:`k = 1, \dots, K` an agent proposes a (possibly randomized) Markov policy: a
list of policies :math:`\pi^{(i)}_k[H, S, A]` with episode-level probabilities :math:`p_i`
(one policy with probability 1 for UCBVI and StepMix; the optimistic and the baseline policy
for EpsMix).  The runner

1. draws the component to play (one ``rng.random()``, only if the mixture is not degenerate),
2. rolls out **one** episode of it on the true MDP (numba, inverse-CDF draws in a fixed order),
3. computes the **exact** value of the policy played,
   :math:`V^{\pi_k}_1 = \sum_i p_i\, \rho^\top V^{\pi^{(i)}_k}_1`, by backward induction on the
   true model,
4. records the pseudo-regret :math:`V^*_1 - V^{\pi_k}_1` and the constraint slack
   :math:`V^{\pi_k}_1 - (1-\alpha) V^{\pi_b}_1`, and hands the trajectory to the agent.

Only expected quantities enter the regret (docs/explanation/conventions.md section 3: pseudo-regret uses exact
:math:`V^*`, never Monte-Carlo returns).  Rewards are never sampled: the agents run here
(:mod:`~rlth.algorithms.online.ucbvi`, :mod:`~rlth.algorithms.online.stepmix`) know the mean
reward function (Azar et al. 2017's setting), so a trajectory is states and
actions only.

Two engines give identical results under a shared seed: ``"python"`` calls
``agent.propose`` / ``agent.observe`` once per episode (readable, works for any agent following
the :class:`OnlineAgent` protocol); ``"numba"`` runs the whole loop (optimistic DP, pessimistic
evaluation, mixing-weight search, rollout, exact evaluation, count update) in one compiled
kernel, for the built-in agents (:class:`~rlth.algorithms.online.ucbvi.UCBVI`,
:class:`~rlth.algorithms.online.stepmix.StepMix`, :class:`~rlth.algorithms.online.stepmix.EpsMix`,
:class:`~rlth.algorithms.online.stepmix.Switch`, :class:`~rlth.algorithms.online.stepmix.BaselineAgent`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence

import numpy as np

from ..._rng import as_generator
from ..._validation import check_instance, check_positive_int
from ..._kernels.dp import backward_values_kernel, policy_value_kernel
from ..._kernels.sampling import inverse_cdf_draw, rollout_episode
from ...models.mdp import FiniteHorizonMDP
from . import _kernels as _k

__all__ = ["Proposal", "OnlineAgent", "OnlineResult", "run_online", "exact_value",
           "optimal_value", "summarize_violations", "VIOLATION_TOL"]

#: absolute tolerance (times ``max(1, abs(threshold))``) below the threshold that counts as a
#: violation; absorbs floating-point round-off of exact evaluation (a policy equal to the
#: baseline has slack alpha V_b >= 0 up to ~1e-15).
VIOLATION_TOL = 1e-9


@dataclass(frozen=True)
class Proposal:
    """What an agent plays in one episode.

    Attributes
    ----------
    policies : tuple of ndarray, each shape (H, S, A)
        Markov policies (components of an episode-level mixture).
    probs : ndarray, shape (n_components,)
        Episode-level probabilities of the components (sum to 1).
    weight : float
        The agent's mixing weight (StepMix rho_k, EpsMix eps_k; 1 for UCBVI, 0 for the baseline).
    pessimistic_value : float
        Agent's lower confidence bound on the value of what it plays (NaN if none).
    optimistic_value : float
        Agent's optimistic value ``rho @ Vbar_1`` (NaN if none).
    """

    policies: tuple
    probs: np.ndarray
    weight: float = 1.0
    pessimistic_value: float = float("nan")
    optimistic_value: float = float("nan")


class OnlineAgent(Protocol):
    """Protocol of an episodic online agent (see the built-in agents for examples)."""

    def reset(self, mdp: FiniteHorizonMDP, n_episodes: int) -> None:
        """Allocate statistics; called once before episode 0 (may read S, A, H, rho, R)."""

    def propose(self, k: int) -> Proposal:
        """The (randomized) policy of episode ``k``."""

    def observe(self, states: np.ndarray, actions: np.ndarray) -> None:
        """The trajectory of episode ``k``: ``states[H+1]``, ``actions[H]``."""


@dataclass(frozen=True)
class OnlineResult:
    """Per-episode record of one run.

    Attributes
    ----------
    values : ndarray, shape (K,)
        Exact value of the (randomized) policy played in each episode.
    weights : ndarray, shape (K,)
        Mixing weight per episode (StepMix rho_k, EpsMix eps_k).
    realized_values : ndarray, shape (K,)
        Exact value of the mixture component actually rolled out (differs from ``values``
        only for episode-level mixtures, i.e. EpsMix).
    pessimistic_values, optimistic_values : ndarray, shape (K,)
        The agent's confidence bounds (NaN where it has none).
    optimal_value : float
        ``V*_1 = rho @ V*_0`` (exact).
    threshold : float
        ``(1 - alpha) V_b`` of the constraint (NaN if none).
    """

    values: np.ndarray
    weights: np.ndarray
    realized_values: np.ndarray
    pessimistic_values: np.ndarray
    optimistic_values: np.ndarray
    optimal_value: float
    threshold: float = float("nan")

    @property
    def n_episodes(self) -> int:
        return self.values.shape[0]

    @property
    def pseudo_regret(self) -> np.ndarray:
        """``V*_1 - V^{pi_k}_1`` per episode."""
        return self.optimal_value - self.values

    @property
    def cumulative_regret(self) -> np.ndarray:
        """``sum_{j <= k} (V*_1 - V^{pi_j}_1)``."""
        return np.cumsum(self.pseudo_regret)

    @property
    def slack(self) -> np.ndarray:
        """``V^{pi_k}_1 - (1 - alpha) V_b`` per episode (NaN without a threshold)."""
        return self.values - self.threshold

    def _below_threshold(self, values: np.ndarray) -> np.ndarray:
        """``values`` below the threshold beyond :data:`VIOLATION_TOL` (none without one)."""
        if not np.isfinite(self.threshold):
            return np.zeros(self.n_episodes, dtype=bool)
        tol = VIOLATION_TOL * max(1.0, abs(self.threshold))
        return values < self.threshold - tol

    @property
    def violations(self) -> np.ndarray:
        """Episodes whose exact value is below the threshold (beyond :data:`VIOLATION_TOL`)."""
        return self._below_threshold(self.values)

    @property
    def realized_violations(self) -> np.ndarray:
        """Episodes whose *rolled-out component* has exact value below the threshold."""
        return self._below_threshold(self.realized_values)

    @property
    def n_violations(self) -> int:
        return int(self.violations.sum())


def optimal_value(mdp: FiniteHorizonMDP) -> float:
    """Exact ``V*_1 = rho @ V*_0`` (backward induction on the true model)."""
    mdp = check_instance("mdp", mdp, FiniteHorizonMDP)
    V, _ = backward_values_kernel(mdp.P_stages, mdp.R_stages, mdp.horizon, maximize=True)
    return float(mdp.rho @ V[0])


def exact_value(mdp: FiniteHorizonMDP, pi) -> float:
    """Exact value ``rho @ V^pi_0`` of a Markov policy (deterministic ``[H, S]`` or ``[H, S, A]``).

    Same numbers as :func:`rlth.solvers.dp.evaluate_policy` (tested against it); used inside
    the runner's compiled loop.
    """
    from ...models.policy import as_stochastic_policy
    mdp = check_instance("mdp", mdp, FiniteHorizonMDP)
    pi = as_stochastic_policy(pi, mdp.n_states, mdp.n_actions, mdp.horizon)
    return float(policy_value_kernel(mdp.P_stages, mdp.R_stages, mdp.horizon, pi, mdp.rho))


def _draw_component(probs: np.ndarray, rng: np.random.Generator) -> int:
    """Index of the component to play; draws one uniform (inverse CDF) only for a
    non-degenerate mixture."""
    if probs.shape[0] == 1 or probs.max() >= 1.0:
        return int(np.argmax(probs))
    return int(inverse_cdf_draw(probs, rng.random()))


def run_online(mdp: FiniteHorizonMDP, agent, n_episodes: int, *, rng=None,
               threshold: float | None = None, engine: str = "auto") -> OnlineResult:
    """Run ``agent`` for ``n_episodes`` episodes on ``mdp`` and record exact per-episode values.

    Parameters
    ----------
    mdp : FiniteHorizonMDP
    agent : OnlineAgent
        Reset at the start of the run (its statistics are overwritten).
    n_episodes : int
        ``K``.
    rng : Generator, int or SeedSequence
        Drives the rollouts and the episode-level coins.
    threshold : float, optional
        Constraint level ``(1 - alpha) V_b`` against which ``slack``/``violations`` are
        computed; defaults to the agent's ``threshold`` attribute if it has one (so an
        unconstrained UCBVI run can be scored against a StepMix threshold).
    engine : {"auto", "numba", "python"}
        ``"auto"`` uses the compiled loop when the agent supports it.

    Returns
    -------
    OnlineResult

    Examples
    --------
    >>> from rlth.instances import riverswim
    >>> from rlth.algorithms.online.ucbvi import UCBVI
    >>> res = run_online(riverswim(4, horizon=6), UCBVI(bonus="ch", bonus_scale=0.1), 200, rng=0)
    >>> res.values.shape, bool(res.cumulative_regret[-1] >= 0)
    ((200,), True)
    """
    mdp = check_instance("mdp", mdp, FiniteHorizonMDP)
    K = check_positive_int("n_episodes", n_episodes)
    if engine not in ("auto", "numba", "python"):
        raise ValueError(f"engine: expected 'auto', 'numba' or 'python', got {engine!r}")
    missing = [m for m in ("reset", "propose", "observe") if not callable(getattr(agent, m, None))]
    if missing:
        raise ValueError(f"agent: expected an OnlineAgent (reset, propose, observe), got "
                         f"{type(agent).__name__} without {', '.join(missing)}")
    rng = as_generator(rng)
    has_kernel = hasattr(agent, "_kernel_args")
    if engine == "numba" and not has_kernel:
        raise ValueError(f"engine: agent {type(agent).__name__} has no compiled loop; "
                         "use engine='python'")
    agent.reset(mdp, K)
    if threshold is None:
        threshold = getattr(agent, "threshold", None)
    thr = float("nan") if threshold is None else float(threshold)
    v_star = optimal_value(mdp)
    if has_kernel and engine != "python":
        out = _k.run_episodes(mdp.P_stages, mdp.R_stages, mdp.rho, mdp.horizon, K,
                              *agent._kernel_args(), rng)
        agent._after_kernel()
        values, weights, realized, pess, opt = out
    else:
        values, weights, realized, pess, opt = (np.empty(K) for _ in range(5))
        H = mdp.horizon
        states = np.empty(H + 1, dtype=np.int64)
        actions = np.empty(H, dtype=np.int64)
        for k in range(K):
            prop = agent.propose(k)
            probs = np.asarray(prop.probs, dtype=np.float64)
            comp_values = np.array([
                policy_value_kernel(mdp.P_stages, mdp.R_stages, H, np.ascontiguousarray(p),
                                    mdp.rho)
                for p in prop.policies])
            i = _draw_component(probs, rng)
            rollout_episode(mdp.P_stages, mdp.rho, np.ascontiguousarray(prop.policies[i]), H,
                            rng, states, actions)
            values[k] = float(probs @ comp_values) if probs.shape[0] > 1 else comp_values[0]
            realized[k] = comp_values[i]
            weights[k] = prop.weight
            pess[k] = prop.pessimistic_value
            opt[k] = prop.optimistic_value
            agent.observe(states.copy(), actions.copy())
    return OnlineResult(values=values, weights=weights, realized_values=realized,
                        pessimistic_values=pess, optimistic_values=opt, optimal_value=v_star,
                        threshold=thr)


def summarize_violations(results: Sequence[OnlineResult]) -> dict:
    """Violation counts over runs: mean count per run, fraction of runs with any violation."""
    counts = np.array([r.n_violations for r in results])
    return {"mean_violations": float(counts.mean()) if counts.size else float("nan"),
            "frac_runs_violating": float((counts > 0).mean()) if counts.size else float("nan")}
