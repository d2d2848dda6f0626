r"""StepMix / EpsMix with a baseline *learned* from offline data of a status-quo policy [D].

Setting [D].  Li et al. (2023) state that StepMix's and EpsMix's guarantees carry over "when
the baseline is learned from a sufficiently large offline dataset"; the paper's condition could
not be read, so the setting, the condition and the guarantee below are derived here.

* A *status-quo* (behaviour) policy :math:`\mu` defines the constraint: every episode must
  satisfy :math:`V^{\pi_k} \ge (1 - \alpha) V_{ref}` with :math:`V_{ref} = V^\mu = \rho^\top
  V^\mu_0` (exact, unknown to the agent).
* The agent does not get :math:`\mu` nor :math:`V^\mu`: it gets ``n`` episodes collected by
  :math:`\mu` on the same MDP (states, actions and observed rewards).  As rlth's online agents,
  it knows the mean reward function ``R``; the known ``R`` is used for planning, the observed
  returns only for the upper confidence bound on :math:`V^\mu`.

Offline stage (:func:`learn_baseline`, :func:`baseline_from_dataset`), ``delta_offline``
split in two halves:

1. Counts :math:`n_h(s,a)`, :math:`n_h(s,a,s')` (pooled over steps when the model is
   stationary, one kernel per step otherwise: UCBVI's ``pooled=None`` rule).
2. Pessimistic planning with the Weissman L1 width of the online agents
   (:func:`pessimistic_plan`):
   :math:`\underline Q_h = \mathrm{clip}_{[0, H-h]}(r_h + \hat P \underline V_{h+1} -
   \tfrac{H-h-1}{2}\sqrt{w/n})` (``0`` if ``n = 0``), :math:`\underline V_h = \max_a
   \underline Q_h`, :math:`\hat\pi` greedy (ties: lowest action),
   :math:`V_{lo} = \rho^\top \underline V_0`, with
   ``w = 2 (S ln 2 + ln(S A H_c T / (delta_offline / 2)))``, ``T = n H`` (union over pairs,
   step-kernels and count values).
3. Hoeffding upper bound on :math:`V^\mu` from the ``n`` i.i.d. returns in ``[0, H]``:
   :math:`V_{ref}^{hi} = \bar G_n + H\sqrt{\ln(2/\delta_{off}) / (2n)}` (one-sided,
   failure ``delta_offline / 2``).
4. The online agent (:func:`learned_agent`) is StepMix / EpsMix with baseline :math:`\hat\pi`,
   known baseline value ``V_lo`` and :math:`\alpha_{agent} = 1 - (1-\alpha) V_{ref}^{hi} /
   V_{lo}`, so its threshold is :math:`(1 - \alpha_{agent}) V_{lo} = (1 - \alpha)
   V_{ref}^{hi}`.
5. Dataset-size condition [D] ("sufficiently large"): :math:`\alpha_{agent} > 0`, i.e.
   :math:`V_{lo} > (1 - \alpha) V_{ref}^{hi}`; checkable from the data
   (``LearnedBaseline.condition_holds``).  An a-priori sufficient ``n`` is
   :func:`sufficient_n`.

Guarantee
---------
[D] Let :math:`E_{off}` be the event of steps 2-3 (probability >= 1 - delta_offline, see
:func:`baseline_from_dataset`) and :math:`E_{on}` the online agent's own pessimism event
(probability >= 1 - delta, run with its own ``delta``; it concerns the online samples only,
so it holds conditionally on the offline data).  If ``condition_holds``, then on
:math:`E_{off} \cap E_{on}` (probability >= 1 - delta_offline - delta) every episode satisfies

.. math:: V^{\pi_k} \ge (1 - \alpha_{agent}) V_{lo} = (1 - \alpha) V^{hi}_{ref}
          \ge (1 - \alpha) V^\mu .

Why StepMix / EpsMix stay valid with ``V_b := V_lo`` (a lower bound on :math:`V^{\hat\pi}`,
not its value): every place they use ``V_b`` uses it as a lower bound on the value of the
baseline. (i) StepMix's fallback :math:`\rho_k = 0` plays :math:`\hat\pi`, whose value is
:math:`\ge V_{lo} \ge (1 - \alpha_{agent}) V_{lo}` (needs :math:`\alpha_{agent} \ge 0`);
(ii) the coupling bound :math:`(1-\rho)^H V_b \le (1-\rho)^H V^{\hat\pi} \le V^{\pi^\rho}`;
(iii) EpsMix's pessimistic value of the episode mixture :math:`\epsilon \underline
V^{\bar\pi} + (1 - \epsilon) V_b` is below :math:`\epsilon V^{\bar\pi} + (1-\epsilon)
V^{\hat\pi}`.  So each played policy has value >= its lower bound >= the agent's threshold.
If the condition fails, :func:`learned_agent` raises ``ValueError`` (the caller must collect
more data or fall back to an unconstrained / baseline-only scheme).  Regret: not derived here
(measured in the tests against StepMix with the known baseline :math:`\mu`).

Fidelity
--------
* [V] (abstract of Li et al. 2023) the guarantees extend to an offline-learned baseline given a
  sufficiently large dataset.
* [D] everything else in this module: the reference :math:`V^\mu`, the pessimistic learned
  baseline, the Hoeffding UCB on :math:`V^\mu`, the choice of ``alpha_agent``, the
  data-checkable condition and :func:`sufficient_n`.
* [R] the online agents themselves (:mod:`rlth.algorithms.online.stepmix`).

References
----------
D. Li, R. Huang, C. Shen, J. Yang, "Near-optimal Conservative Exploration in Reinforcement
Learning under Episode-wise Constraints", ICML 2023, arXiv:2306.06265.
T. Weissman, E. Ordentlich, G. Seroussi, S. Verdu, M. J. Weinberger, "Inequalities for the L1
deviation of the empirical distribution", HP Labs tech. report HPL-2003-97, 2003.
W. Hoeffding, "Probability inequalities for sums of bounded random variables", JASA 1963.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..._kernels.dp import backward_values_kernel
from ..._validation import (check_delta, check_instance, check_positive_int, check_real,
                            readonly_copy)
from ...data.datasets import TrajectoryDataset
from ...data.episodes import rollout
from ...estimators.confidence import weissman_l1_log_term
from ...models.mdp import FiniteHorizonMDP
from ...models.policy import as_stochastic_policy
from .stepmix import EpsMix, StepMix

__all__ = ["LearnedBaseline", "learn_baseline", "baseline_from_dataset", "learned_agent",
           "pessimistic_plan", "offline_counts", "offline_log_term", "return_ucb_width",
           "sufficient_n", "optimal_coverage"]


# --------------------------------------------------------------------------------------------
# validation helpers
# --------------------------------------------------------------------------------------------
def _check_alpha(alpha) -> float:
    a = check_real("alpha", alpha)
    if not 0.0 < a < 1.0:
        raise ValueError(f"alpha: must lie in (0, 1), got {alpha}")
    return a


def _check_mdp(mdp) -> FiniteHorizonMDP:
    mdp = check_instance("mdp", mdp, FiniteHorizonMDP,
                         hint="use DiscountedMDP.to_finite_horizon(H)")
    R = mdp.R_stages
    if R.size and (R.min() < 0.0 or R.max() > 1.0):
        raise ValueError(f"mdp: needs mean rewards in [0, 1] (the clipping at H - h and the "
                         f"return range [0, H] assume it), got range [{R.min():.6g}, "
                         f"{R.max():.6g}]")
    return mdp


def _resolve_pooled(mdp: FiniteHorizonMDP, pooled) -> bool:
    if pooled not in (None, True, False):
        raise ValueError(f"pooled: expected None, True or False, got {pooled!r}")
    if pooled is None:
        return bool(mdp.is_stationary)
    if pooled and mdp.P_stages.shape[0] > 1:
        raise ValueError("pooled: pooling the counts over steps needs stationary transitions "
                         "(the L1 bound would not hold); use pooled=None or False")
    return bool(pooled)


# --------------------------------------------------------------------------------------------
# statistics and confidence terms
# --------------------------------------------------------------------------------------------
def offline_counts(dataset: TrajectoryDataset, pooled: bool):
    """Visit counts of a trajectory dataset.

    Parameters
    ----------
    dataset : TrajectoryDataset
        ``states[n, H+1]``, ``actions[n, H]``.
    pooled : bool
        Pool the counts over steps (``H_c = 1``) or keep one set per step (``H_c = H``).

    Returns
    -------
    n_sa : ndarray of int64, shape (H_c, S, A)
    n_sas : ndarray of int64, shape (H_c, S, A, S)
        ``n_sas[h, s, a, s']`` counts transitions ``(s_h, a_h, s_{h+1}) = (s, a, s')``.

    Examples
    --------
    >>> import numpy as np
    >>> d = TrajectoryDataset(np.array([[0, 1, 1]]), np.array([[1, 0]]), np.zeros((1, 2)),
    ...                       n_states=2, n_actions=2)
    >>> n_sa, n_sas = offline_counts(d, pooled=False)
    >>> n_sa.shape, int(n_sa[0, 0, 1]), int(n_sas[1, 1, 0, 1])
    ((2, 2, 2), 1, 1)
    """
    check_instance("dataset", dataset, TrajectoryDataset)
    per_step = dataset.to_counts()              # counts[H, S, A], next_counts[H, S, A, S]
    n_sa, n_sas = per_step.counts, per_step.next_counts
    if pooled:
        n_sa, n_sas = n_sa.sum(axis=0, keepdims=True), n_sas.sum(axis=0, keepdims=True)
    return n_sa.astype(np.int64), n_sas.astype(np.int64)


def offline_log_term(n_states: int, n_actions: int, horizon: int, n_episodes: int,
                     delta_offline: float, pooled: bool) -> float:
    """``w = 2 (S ln 2 + ln(S A H_c T / (delta_offline / 2)))``, ``T = n H`` [D].

    The L1 width is ``sqrt(w / n_h(s, a))``: Weissman et al. (2003) with failure
    ``delta_offline / 2`` split over the ``S A H_c`` (pair, step-kernel) cells and the
    ``T = n H`` possible count values (:func:`rlth.estimators.confidence.weissman_l1_log_term`).

    Examples
    --------
    >>> round(offline_log_term(2, 1, 1, 1, 0.5, pooled=True), 6)  # 2 (2 ln 2 + ln(2 / 0.25))
    6.931472
    """
    S = check_positive_int("n_states", n_states)
    A = check_positive_int("n_actions", n_actions)
    H = check_positive_int("horizon", horizon)
    n = check_positive_int("n_episodes", n_episodes)
    d = check_delta(delta_offline, "delta_offline")
    Hc = 1 if pooled else H
    return weissman_l1_log_term(S, d / 2.0, n_union=S * A * Hc * n * H)


def return_ucb_width(horizon: int, n_episodes: int, delta_offline: float) -> float:
    """Hoeffding one-sided width ``H sqrt(ln(2 / delta_offline) / (2 n))`` for returns in [0, H].

    ``Pr(V^mu > mean + width) <= exp(-2 n width^2 / H^2) = delta_offline / 2`` (Hoeffding 1963,
    Thm 2, one side [V]).

    Examples
    --------
    >>> round(return_ucb_width(1, 2, 2 * math.exp(-4.0)), 6)  # sqrt(4 / 4)
    1.0
    """
    H = check_positive_int("horizon", horizon)
    n = check_positive_int("n_episodes", n_episodes)
    d = check_delta(delta_offline, "delta_offline")
    return H * math.sqrt(math.log(2.0 / d) / (2.0 * n))


def pessimistic_plan(R, n_sa, n_sas, horizon: int, w_conf: float):
    r"""Pessimistic DP with the Weissman L1 width; greedy policy and its lower bound.

    :math:`\underline Q_h(s,a) = \mathrm{clip}_{[0, H-h]}\big(r_h(s,a) + \hat P_h
    \underline V_{h+1}(s,a) - \tfrac{H-h-1}{2}\sqrt{w / n_h(s,a)}\big)`, ``0`` where
    ``n_h(s, a) = 0``; :math:`\underline V_h(s) = \max_a \underline Q_h(s,a)`,
    :math:`\underline V_H = 0`.  The same backup as the online agents'
    ``_kernels.pessimistic_value`` with the greedy (max) policy.

    Parameters
    ----------
    R : ndarray, shape (H or 1, S, A)
        Known mean rewards in [0, 1].
    n_sa : ndarray of int, shape (H_c, S, A)
    n_sas : ndarray of int, shape (H_c, S, A, S)
    horizon : int
        ``H``.
    w_conf : float
        ``w`` of :func:`offline_log_term`.

    Returns
    -------
    q_lower : ndarray, shape (H, S, A)
    v_lower : ndarray, shape (H + 1, S)
    greedy : ndarray of int64, shape (H, S)
        ``argmax_a q_lower[h, s]`` (lowest index on ties).

    Guarantee
    ---------
    [D] On the event :math:`\|\hat P_h(\cdot|s,a) - P_h(\cdot|s,a)\|_1 \le \sqrt{w/n_h(s,a)}`
    for all visited cells, ``q_lower <= Q^{greedy}`` and ``v_lower <= V^{greedy}``
    everywhere.  Induction on ``h`` from ``H``: if :math:`0 \le \underline V_{h+1} \le
    V^{\hat\pi}_{h+1}` with :math:`\underline V_{h+1} \in [0, H-h-1]`, then
    :math:`|(\hat P - P)\underline V_{h+1}| = |(\hat P - P)(\underline V_{h+1} - c)| \le
    \|\hat P - P\|_1 \tfrac{H-h-1}{2}` with the midpoint ``c = (H-h-1)/2``, so the unclipped
    value is :math:`\le r + P \underline V_{h+1} \le Q^{\hat\pi}_h`; clipping to
    ``[0, H - h]`` keeps this (``Q^pi`` lies there for rewards in [0, 1]); ``n = 0`` gives
    ``0 <= Q``.  Finally :math:`\underline V_h(s) = \underline Q_h(s, \hat\pi_h(s)) \le
    Q^{\hat\pi}_h(s, \hat\pi_h(s)) = V^{\hat\pi}_h(s)` because :math:`\hat\pi` is greedy with
    respect to :math:`\underline Q` itself.

    Examples
    --------
    >>> import numpy as np
    >>> R = np.array([[[0.2, 0.9]]])                     # H = 1, S = 1, A = 2
    >>> q, v, g = pessimistic_plan(R, np.array([[[3, 1]]]), np.array([[[[3], [1]]]]), 1, 5.0)
    >>> q.tolist(), v[0].tolist(), g.tolist()
    ([[[0.2, 0.9]]], [0.9], [[1]])
    """
    H = check_positive_int("horizon", horizon)
    R = np.asarray(R, dtype=np.float64)
    n_sa = np.asarray(n_sa)
    n_sas = np.asarray(n_sas, dtype=np.float64)
    Hc, S, A = n_sa.shape
    q_lower = np.zeros((H, S, A))
    v_lower = np.zeros((H + 1, S))
    greedy = np.zeros((H, S), dtype=np.int64)
    for h in range(H - 1, -1, -1):
        hc = h if Hc > 1 else 0
        hr = h if R.shape[0] > 1 else 0
        n = n_sa[hc]
        visited = n > 0
        nn = np.maximum(n, 1).astype(np.float64)
        pv = (n_sas[hc] @ v_lower[h + 1]) / nn
        q = R[hr] + pv - 0.5 * (H - h - 1) * np.sqrt(w_conf / nn)
        q = np.where(visited, np.clip(q, 0.0, float(H - h)), 0.0)
        q_lower[h] = q
        greedy[h] = np.argmax(q, axis=1)
        v_lower[h] = q.max(axis=1)
    return q_lower, v_lower, greedy


# --------------------------------------------------------------------------------------------
# the learned baseline
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LearnedBaseline:
    """Result of the offline stage: a learned baseline and the online agent's parameters [D].

    Attributes
    ----------
    policy : ndarray, shape (H, S, A)
        One-hot greedy policy :math:`\\hat\\pi` of the pessimistic plan.
    v_lower : float
        ``V_lo = rho @ Vlow_0``, a lower bound on :math:`V^{\\hat\\pi}` on the offline event.
    v_ref_upper : float
        ``V_ref_hi``, an upper bound on :math:`V^\\mu` on the offline event.
    alpha : float
        The constraint level w.r.t. :math:`V^\\mu`.
    alpha_agent : float
        ``1 - (1 - alpha) v_ref_upper / v_lower`` (``-inf`` when ``v_lower = 0``).
    condition_holds : bool
        ``alpha_agent > 0``, i.e. ``v_lower > (1 - alpha) v_ref_upper``.
    n_episodes : int
        Offline dataset size ``n``.
    delta_offline : float
        Failure probability of the offline event (half L1 bound, half Hoeffding).
    mean_return : float
        Mean observed return of the dataset.
    w_conf : float
        L1 log term ``w`` used (:func:`offline_log_term`).
    pooled : bool
        Whether the counts were pooled over steps.
    q_lower : ndarray, shape (H, S, A)
        The pessimistic Q-values.
    n_sa : ndarray of int64, shape (H_c, S, A)
        Offline visit counts.
    """

    policy: np.ndarray
    v_lower: float
    v_ref_upper: float
    alpha: float
    alpha_agent: float
    condition_holds: bool
    n_episodes: int
    delta_offline: float
    mean_return: float
    w_conf: float
    pooled: bool
    q_lower: np.ndarray
    n_sa: np.ndarray

    @property
    def threshold(self) -> float:
        """The agent's threshold ``(1 - alpha) v_ref_upper`` (= ``(1 - alpha_agent) v_lower``)."""
        return (1.0 - self.alpha) * self.v_ref_upper

    def make_agent(self, kind: str = "stepmix", delta: float = 0.1, **kwargs):
        """Same as :func:`learned_agent` ``(self, kind, delta, **kwargs)``."""
        return learned_agent(self, kind, delta, **kwargs)


def baseline_from_dataset(mdp: FiniteHorizonMDP, dataset: TrajectoryDataset, alpha: float, *,
                          delta: float = 0.1, pooled: bool | None = None) -> LearnedBaseline:
    r"""Offline stage on a given dataset of the behaviour policy (steps 1-5 of the module doc).

    Parameters
    ----------
    mdp : FiniteHorizonMDP
        The MDP; only ``R`` (known mean rewards, in [0, 1]), ``rho`` (the initial law, as the
        online agents use it) and the sizes are read, never ``P``.
    dataset : TrajectoryDataset
        ``n >= 1`` i.i.d. episodes of the behaviour policy :math:`\mu` on ``mdp``;
        ``dataset.rewards`` are the observed rewards (Bernoulli draws or the means).
    alpha : float in (0, 1)
        Constraint level w.r.t. :math:`V^\mu`.
    delta : float in (0, 1)
        ``delta_offline``: ``delta / 2`` for the L1 event, ``delta / 2`` for Hoeffding.
    pooled : bool or None
        Pool counts over steps (default: iff ``mdp.is_stationary``, UCBVI's rule).

    Returns
    -------
    LearnedBaseline

    Guarantee
    ---------
    [D] With probability >= 1 - delta: ``v_lower <= V^{policy}`` and ``v_ref_upper >= V^mu``.
    L1 part (prob >= 1 - delta/2): stack-of-samples argument: for each cell ``(h_c, s, a)``
    the successive next states are i.i.d. from ``P(.|s, a)`` (stationary ``P`` when pooled),
    the empirical law of the first ``m`` of them deviates by more than ``sqrt(w/m)`` in L1
    with probability <= ``(delta/2) / (S A H_c T)`` (Weissman et al. 2003, Thm 2.1), and a
    union over cells and ``m = 1..T`` (``T = n H`` >= any count) covers the realized counts;
    then :func:`pessimistic_plan`'s induction.  Hoeffding part (prob >= 1 - delta/2): the
    returns are i.i.d. in ``[0, H]`` with mean :math:`V^\mu` (observed Bernoulli rewards or the
    known means summed along the trajectory are both unbiased).

    Examples
    --------
    >>> from rlth.instances import random_mdp
    >>> from rlth.data.episodes import rollout
    >>> mdp = random_mdp(3, 2, horizon=3, rng=0)
    >>> data = rollout(mdp, np.zeros((3, 3), dtype=int), 2000, rng=1)
    >>> lb = baseline_from_dataset(mdp, data, 0.5, delta=0.1)
    >>> lb.policy.shape, lb.n_episodes, bool(lb.v_lower <= lb.v_ref_upper + 3)
    ((3, 3, 2), 2000, True)
    """
    mdp = _check_mdp(mdp)
    check_instance("dataset", dataset, TrajectoryDataset)
    alpha = _check_alpha(alpha)
    delta = check_delta(delta)
    pooled = _resolve_pooled(mdp, pooled)
    S, A, H = mdp.n_states, mdp.n_actions, mdp.horizon
    if (dataset.n_states, dataset.n_actions, dataset.horizon) != (S, A, H):
        raise ValueError(f"dataset: expected (n_states, n_actions, horizon) = {(S, A, H)}, got "
                         f"{(dataset.n_states, dataset.n_actions, dataset.horizon)}")
    n = check_positive_int("n_episodes", dataset.n_episodes)
    returns = dataset.returns
    if returns.min() < 0.0 or returns.max() > H:
        raise ValueError(f"dataset: returns must lie in [0, H = {H}], got range "
                         f"[{returns.min():.6g}, {returns.max():.6g}]")
    n_sa, n_sas = offline_counts(dataset, pooled)
    w = offline_log_term(S, A, H, n, delta, pooled)
    q_lower, v_lower, greedy = pessimistic_plan(mdp.R_stages, n_sa, n_sas, H, w)
    v_lo = float(mdp.rho @ v_lower[0])
    mean_ret = float(returns.mean())
    v_hi = mean_ret + return_ucb_width(H, n, delta)
    alpha_agent = 1.0 - (1.0 - alpha) * v_hi / v_lo if v_lo > 0.0 else float("-inf")
    policy = np.eye(A)[greedy]
    return LearnedBaseline(policy=readonly_copy(policy), v_lower=v_lo, v_ref_upper=float(v_hi),
                           alpha=alpha, alpha_agent=float(alpha_agent),
                           condition_holds=bool(alpha_agent > 0.0), n_episodes=n,
                           delta_offline=delta, mean_return=mean_ret, w_conf=float(w),
                           pooled=pooled, q_lower=readonly_copy(q_lower),
                           n_sa=readonly_copy(n_sa))


def learn_baseline(mdp: FiniteHorizonMDP, behavior, n_episodes: int, alpha: float, *,
                   delta: float = 0.1, rng=None, reward: str = "bernoulli",
                   pooled: bool | None = None) -> LearnedBaseline:
    r"""Collect ``n_episodes`` episodes of ``behavior`` and run the offline stage [D].

    Parameters
    ----------
    mdp : FiniteHorizonMDP
        Mean rewards in [0, 1].
    behavior : array_like, shape (H, S) int or (H, S, A)
        The status-quo policy :math:`\mu` (used only to generate the data).
    n_episodes : int >= 1
        Offline dataset size ``n``.
    alpha : float in (0, 1)
        Constraint ``V^{pi_k} >= (1 - alpha) V^mu``.
    delta : float in (0, 1)
        ``delta_offline`` (see :func:`baseline_from_dataset`).
    rng : Generator, int or SeedSequence
    reward : {"bernoulli", "mean"}
        Observed rewards of the dataset (:func:`rlth.data.episodes.rollout`): realized
        Bernoulli rewards (default) or the known means along the trajectory; only the
        Hoeffding bound on :math:`V^\mu` uses them (planning uses the known ``R``).
    pooled : bool or None
        See :func:`baseline_from_dataset`.

    Returns
    -------
    LearnedBaseline

    Examples
    --------
    >>> from rlth.instances import random_mdp
    >>> from rlth.algorithms.online.stepmix import mixture_baseline
    >>> mdp = random_mdp(5, 2, horizon=5, branching=3, rng=1)
    >>> mu = mixture_baseline(mdp, 0.5)[0]
    >>> big = learn_baseline(mdp, mu, 100_000, 0.1, rng=0)
    >>> big.condition_holds, bool(big.alpha_agent > 0), bool(big.v_lower > big.v_ref_upper)
    (True, True, True)
    >>> learn_baseline(mdp, mu, 10, 0.1, rng=0).condition_holds
    False
    """
    mdp = _check_mdp(mdp)
    S, A, H = mdp.n_states, mdp.n_actions, mdp.horizon
    mu = as_stochastic_policy(behavior, S, A, H, name="behavior")
    n = check_positive_int("n_episodes", n_episodes)
    _check_alpha(alpha)
    check_delta(delta)
    data = rollout(mdp, mu, n, rng=rng, reward=reward)
    return baseline_from_dataset(mdp, data, alpha, delta=delta, pooled=pooled)


def learned_agent(lb: LearnedBaseline, kind: str = "stepmix", delta: float = 0.1,
                  **kwargs):
    """StepMix / EpsMix running with the learned baseline (module doc, step 4) [D].

    Parameters
    ----------
    lb : LearnedBaseline
        With ``lb.condition_holds``.
    kind : {"stepmix", "epsmix"}
    delta : float in (0, 1)
        The online agent's own confidence (its optimism and pessimism events).
    **kwargs
        Passed to the agent (``bonus`` defaults to ``"bf"``; e.g. ``bonus_scale``).

    Returns
    -------
    StepMix or EpsMix
        ``cls(lb.policy, lb.alpha_agent, baseline_value=lb.v_lower, delta=delta, ...)``; its
        threshold is ``(1 - alpha) v_ref_upper``.

    Raises
    ------
    ValueError
        ``n_episodes``: the dataset-size condition fails (``alpha_agent <= 0``); ``kind``,
        ``lb`` or ``delta`` invalid.

    Examples
    --------
    >>> from rlth.instances import random_mdp
    >>> from rlth.algorithms.online.stepmix import mixture_baseline
    >>> mdp = random_mdp(5, 2, horizon=5, branching=3, rng=1)
    >>> lb = learn_baseline(mdp, mixture_baseline(mdp, 0.5)[0], 100_000, 0.1, rng=0)
    >>> agent = learned_agent(lb, "epsmix")
    >>> type(agent).__name__, agent.baseline_value == lb.v_lower
    ('EpsMix', True)
    """
    check_instance("lb", lb, LearnedBaseline)
    if kind not in ("stepmix", "epsmix"):
        raise ValueError(f"kind: expected 'stepmix' or 'epsmix', got {kind!r}")
    delta = check_delta(delta)
    if not lb.condition_holds:
        raise ValueError(
            f"n_episodes: the offline dataset (n_episodes={lb.n_episodes}) is too small: the "
            f"learned baseline's lower bound v_lower={lb.v_lower:.6g} does not exceed "
            f"(1 - alpha) v_ref_upper={lb.threshold:.6g} (alpha_agent={lb.alpha_agent:.6g} "
            f"<= 0); collect more episodes (see sufficient_n) or do not run the conservative "
            f"agent with this learned baseline")
    kwargs.setdefault("bonus", "bf")
    cls = StepMix if kind == "stepmix" else EpsMix
    return cls(np.array(lb.policy), lb.alpha_agent, baseline_value=lb.v_lower, delta=delta,
               **kwargs)


# --------------------------------------------------------------------------------------------
# a-priori dataset size
# --------------------------------------------------------------------------------------------
def optimal_coverage(mdp: FiniteHorizonMDP, behavior) -> float:
    r"""``d_min = min { d^mu_h(s, a) : d^{pi*}_h(s, a) > 0 }`` for the greedy optimal ``pi*``.

    Exact occupancies on the true model (a diagnostic input of :func:`sufficient_n`; 0 when
    :math:`\mu` misses a pair that :math:`\pi^*` visits).

    Examples
    --------
    >>> from rlth.instances import random_mdp
    >>> mdp = random_mdp(3, 2, horizon=2, rng=0)
    >>> 0.0 < optimal_coverage(mdp, np.full((2, 3, 2), 0.5)) <= 0.5
    True
    """
    mdp = _check_mdp(mdp)
    S, A, H = mdp.n_states, mdp.n_actions, mdp.horizon
    mu = as_stochastic_policy(behavior, S, A, H, name="behavior")
    _, pi_star = backward_values_kernel(mdp.P_stages, mdp.R_stages, H, maximize=True)
    opt = np.eye(A)[pi_star]

    def occ(pi):
        d = np.empty((H, S, A))
        x = np.asarray(mdp.rho, dtype=np.float64)
        for h in range(H):
            d[h] = x[:, None] * pi[h]
            if h + 1 < H:
                P = mdp.P_stages[h if mdp.P_stages.shape[0] > 1 else 0]
                x = d[h].reshape(S * A) @ P.reshape(S * A, S)
        return d

    d_star, d_mu = occ(opt), occ(mu)
    return float(d_mu[d_star > 0].min())


def sufficient_n(n_states: int, n_actions: int, horizon: int, *, v_star: float, v_ref: float,
                 alpha: float, d_min: float, delta: float = 0.1,
                 delta_cover: float | None = None, pooled: bool = False) -> int:
    r"""An a-priori dataset size at which the condition holds with high probability [D].

    Parameters
    ----------
    n_states, n_actions, horizon : int
    v_star : float
        :math:`V^* = \rho^\top V^*_0`.
    v_ref : float
        :math:`V^\mu` (in ``[0, v_star]``).
    alpha : float in (0, 1)
    d_min : float in (0, 1]
        Coverage of the optimal policy's pairs by the behaviour policy,
        :math:`\min\{d^\mu_h(s,a) : d^{\pi^*}_h(s,a) > 0\}` (:func:`optimal_coverage`).
    delta : float in (0, 1)
        ``delta_offline`` of the offline stage.
    delta_cover : float in (0, 1), optional
        Failure probability of the count event below (default ``delta``).
    pooled : bool
        Whether the offline stage pools counts (changes ``w``).

    Returns
    -------
    int
        The smallest ``n`` with ``n >= max(8 ln(S H / delta_cover), 2) / d_min`` and
        ``B(n) + 2 (1 - alpha) t(n) < v_star - (1 - alpha) v_ref``, where
        ``B(n) = H (H - 1) / 2 * sqrt(2 w(n) / (n d_min))``, ``w(n)`` =
        :func:`offline_log_term` and ``t(n)`` = :func:`return_ucb_width`.

    Guarantee
    ---------
    [D] For every ``n >= sufficient_n(...)`` the offline stage returns ``condition_holds``
    with probability >= 1 - delta - delta_cover.  Proof:

    1. Counts (prob >= 1 - delta_cover): the per-step count :math:`n_h(s,a) \sim
       \mathrm{Bin}(n, d^\mu_h(s,a))`; multiplicative Chernoff gives :math:`\Pr(n_h < n
       d^\mu_h / 2) \le e^{-n d^\mu_h / 8} \le \delta_{cover} / (SH)` for ``n d_min >=
       8 ln(S H / delta_cover)``; union over the ``<= S H`` pairs of the deterministic
       :math:`\pi^*`.  So :math:`n_h(s,a) \ge n d_{min}/2 \ge 1` there (pooled counts are
       larger still).
    2. L1 event (prob >= 1 - delta/2, as in :func:`baseline_from_dataset`).  With
       :math:`a = \pi^*_h(s)`: :math:`V^*_h(s) - \underline V_h(s) \le Q^*_h(s,a) -
       \underline Q_h(s,a)`, and :math:`V^* \ge V^{\hat\pi} \ge \underline V` on the event
       (:func:`pessimistic_plan`).  If the upper clip is active the difference is <= 0
       (<= the right side below); otherwise (a clip at 0 only raises it)
       :math:`\underline Q_h \ge r + \hat P \underline V_{h+1} - b_h` with :math:`b_h =
       \tfrac{H-h-1}{2}\sqrt{w/n_h}`, so :math:`Q^* - \underline Q_h \le P(V^*_{h+1} -
       \underline V_{h+1}) + (P - \hat P)\underline V_{h+1} + b_h \le P(V^*_{h+1} -
       \underline V_{h+1}) + 2 b_h`.  Unrolling along :math:`\pi^*`:
       :math:`V^* - V_{lo} \le \sum_h \mathbb E_{d^{\pi^*}_h}[2 b_h] \le \sum_h (H-h-1)
       \sqrt{2w/(n d_{min})} = B(n)`.
    3. Returns (prob >= 1 - delta/2, the other Hoeffding tail): :math:`\bar G_n \le V^\mu +
       t(n)`, so :math:`V^{hi}_{ref} \le V^\mu + 2t(n)`.
    4. On 1-3: :math:`V_{lo} \ge V^* - B(n) > (1-\alpha)(V^\mu + 2t(n)) \ge (1-\alpha)
       V^{hi}_{ref}`.  ``B + 2 (1 - alpha) t`` decreases in ``n`` (``w(n) / n`` does, since
       ``w(1) > 2``), so every larger ``n`` qualifies too.

    The bound is loose (worst-case ``2 b_h``, the ``1/d_min`` coverage factor); the tests
    compare it with the measured ``n`` at which the data-checkable condition holds.

    Examples
    --------
    >>> sufficient_n(1, 2, 1, v_star=1.0, v_ref=0.5, alpha=0.1, d_min=0.5)  # H = 1: B = 0
    37
    """
    S = check_positive_int("n_states", n_states)
    A = check_positive_int("n_actions", n_actions)
    H = check_positive_int("horizon", horizon)
    v_star = check_real("v_star", v_star)
    v_ref = check_real("v_ref", v_ref)
    alpha = _check_alpha(alpha)
    d_min = check_real("d_min", d_min)
    if not 0.0 < d_min <= 1.0:
        raise ValueError(f"d_min: must lie in (0, 1], got {d_min} (the behaviour policy must "
                         f"visit every pair the optimal policy visits)")
    delta = check_delta(delta)
    delta_cover = delta if delta_cover is None else check_delta(delta_cover, "delta_cover")
    if not 0.0 <= v_ref <= v_star:
        raise ValueError(f"v_ref: must lie in [0, v_star = {v_star}], got {v_ref}")
    gap = v_star - (1.0 - alpha) * v_ref
    if not gap > 0.0:
        raise ValueError(f"v_star: v_star - (1 - alpha) v_ref must be > 0, got {gap}")
    n_cover = math.ceil(max(8.0 * math.log(S * H / delta_cover), 2.0) / d_min)
    c_b = H * (H - 1) / 2.0

    def ok(n):
        w = offline_log_term(S, A, H, n, delta, pooled)
        b = c_b * math.sqrt(2.0 * w / (n * d_min))
        return b + 2.0 * (1.0 - alpha) * return_ucb_width(H, n, delta) < gap

    lo, hi = n_cover - 1, n_cover
    if not ok(hi):
        while not ok(hi):
            lo, hi = hi, 2 * hi
            if hi > 10 ** 18:
                raise ValueError("v_star: no n below 1e18 satisfies the bound")
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if ok(mid):
                hi = mid
            else:
                lo = mid
    return int(hi)

