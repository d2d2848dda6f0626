r"""StepMix and EpsMix (Li, Huang, Shen, Yang 2023): conservative exploration on UCBVI.

Setting.  Tabular episodic MDP, horizon ``H``, rewards in [0, 1], a known safe baseline policy
:math:`\pi_b` with known value :math:`V_b = V^{\pi_b}_1(s_1)`.  Every episode must satisfy the
**episode-wise** conservative constraint

.. math:: V^{\pi_k}_1(s_1) \ge (1 - \alpha) V_b \qquad \text{for all } k \le K

with high probability, while keeping the regret
:math:`\sum_k V^*_1(s_1) - V^{\pi_k}_1(s_1)` of the constraint-free order.  (With a random
initial state, ``V(s_1)`` reads ``rho @ V_0``.)

Episode ``k`` (our reconstruction; tags below):

1. UCBVI's optimistic DP gives the greedy optimistic policy :math:`\bar\pi_k`
   (:class:`~rlth.algorithms.online.ucbvi.UCBVI`, CH or BF bonus).
2. A pessimistic evaluation valid for **every** policy at once (the played policy depends on
   the data): :math:`\underline Q_h = \mathrm{clip}_{[0, H-h]}(r_h + \hat P \underline V_{h+1}
   - \tfrac{H-h-1}{2}\sqrt{2(S\ln 2 + \ln(S A H_c T/\delta))/n})`,
   :math:`\underline V_h = \sum_a \pi(a|s)\underline Q_h(s,a)`.  By Weissman et al.'s L1
   deviation bound (union over pairs, steps and count values) it is below
   :math:`V^{\pi}` for all ``pi`` and all ``k`` with probability >= 1 - delta.
3. **StepMix** plays the per-step mixture
   :math:`\pi^\rho_h(\cdot|s) = (1-\rho)\pi_{b,h}(\cdot|s) + \rho\,\bar\pi_{k,h}(\cdot|s)` with
   the largest :math:`\rho_k \in [0,1]` such that :math:`\underline V^{\pi^\rho} \ge
   (1-\alpha)V_b`, and :math:`\rho_k = 0` (the baseline, always safe) if none.  The value of
   :math:`\pi^\rho` is a polynomial of degree <= H in rho (not monotone), so the search is a
   grid scan from above plus bisection (always returns a feasible weight or 0).  The lower
   bound used is ``max(pessimistic value, (1-rho)^H V_b)`` (``coupling_bound=True``, [D]): with
   probability ``(1-rho)^H`` every step of the mixture follows ``pi_b``, and rewards are >= 0.
   It makes ``rho_k >= 1 - (1-alpha)^{1/H} > 0`` from the first episode, so StepMix explores
   before its pessimistic estimate of the baseline itself has width below ``alpha V_b``.
   *Evaluation modes* of StepMix (``evaluation=``): ``"pessimistic"`` (default) is the rule
   above; ``"advantage"`` ([D], next paragraph) replaces it by a lower bound linear in rho.

   **StepMix, ``evaluation="advantage"``** ([D]: our hypothesis for the abstract's "smooth"
   interpolation, not a reading of the paper).  Performance-difference lemma with the known
   baseline: :math:`V^{\pi^\rho} - V^{\pi_b} = \sum_h E_{s\sim d_h^{\pi^\rho}}
   \langle \pi^\rho_h - \pi_{b,h}, Q_h^{\pi_b}(s,\cdot)\rangle = \rho \sum_h
   E_{s\sim d_h^{\pi^\rho}}[A_h(s)]`, :math:`A_h(s) = \langle\bar\pi_{k,h}(\cdot|s),
   Q^{\pi_b}_h(s,\cdot)\rangle - V^{\pi_b}_h(s) \ge -(H-h)` (steps ``h = 0..H-1``).  On the
   same Weissman event, lower/upper bounds ``Qlow``/``Qup`` on ``Q^{pi_b}`` give
   ``Alow_h(s) = Qlow_h(s, pibar) - sum_a pi_b(a|s) Qup_h(s, a) <= A_h(s)``, and a robust
   minimising DP over all policies (the occupancy of the mixture is unknown) gives ``G`` with
   :math:`\sum_h E_{d_h^\pi}[A_h] \ge G` for **every** ``pi``
   (:func:`~rlth.algorithms.online._kernels.advantage_lower_bound`).  Hence
   :math:`V^{\pi^\rho} \ge V_b + \rho G` for every rho in [0, 1], and
   :math:`\rho_k = 1` if :math:`G \ge -\alpha V_b`, else :math:`\rho_k = \alpha V_b / (-G)`.
   Data-free floor :math:`G \ge -H(H+1)/2` (equality with no data), so
   :math:`\rho_k \ge 2\alpha V_b / (H(H+1))` from the first episode.  The weight is a
   continuous function of ``G`` (no feasibility cut-off as in the grid search), and ``G``
   rises gradually as the widths shrink, so the weight rises gradually; ``G`` can still move
   abruptly when the greedy ``pibar`` changes.  The
   recorded pessimistic value is :math:`V_b + \rho_k G`.  The coupling bound is not used in
   this mode (``coupling_bound`` is ignored).
4. **EpsMix** plays :math:`\bar\pi_k` for the whole episode with probability
   :math:`\epsilon_k` and :math:`\pi_b` otherwise; the value of this episode mixture is linear
   in :math:`\epsilon`, so :math:`\epsilon_k = 1` if :math:`\underline V^{\bar\pi_k} \ge
   (1-\alpha)V_b`, else :math:`\epsilon_k = \alpha V_b / (V_b - \underline V^{\bar\pi_k})`.
5. **Switch** (ablation of the mixing): :math:`\bar\pi_k` if it passes the pessimistic test,
   else :math:`\pi_b` (StepMix restricted to rho in {0, 1}).

Fidelity
--------
* [V] (abstract) episode-wise constraint w.h.p.; StepMix mixes baseline and optimistic policy
  "adaptively and smoothly"; regret of the constraint-free order; EpsMix is randomization-based
  with the same guarantees; an offline-learned-baseline extension exists.
* [R] the per-step mixture form, the largest-feasible-weight rule with rho = 0 fallback, the
  EpsMix closed form, the known ``V_b`` in the threshold, UCBVI as the optimistic base, the
  violation being judged on the value of the randomized (mixture) policy for EpsMix.  The
  paper's full text was not reachable; these follow ``docs/explanation/theory_notes.md``, StepMix A2.
* [D] the coupling bound ``(1-rho)^H V_b`` (``coupling_bound=False`` removes it: StepMix then
  stays at rho = 0 until the pessimistic value of the baseline itself clears the threshold,
  and behaves like Switch on our instances).
* [D] ``evaluation="advantage"``: the performance-difference lower bound (item 3), the robust
  minimising DP for the unknown occupancy and the closed-form weight (item 3).  It relies
  on ``V_b`` being a lower bound on the true ``V^{pi_b}`` (exact when computed from the
  model).
* [D] the pessimistic bonus (Weissman L1 bound with ``delta' = delta / (S A H_c T)``, span
  ``(H-h-1)/2``, per-action clipping at 0 and ``H-h``); the grid (``n_grid``) + bisection
  (``n_bisect``) search.  ``pess_scale`` (default 1 = valid bound) is a named knob.
* The offline-learned baseline variant is :mod:`rlth.algorithms.online.learned_baseline` ([D]:
  the paper's dataset-size condition and the constraint's reference value in that setting
  could not be recovered; ours keeps ``(1 - alpha) V^mu`` of the status-quo policy ``mu``).

References
----------
D. Li, R. Huang, C. Shen, J. Yang, "Near-optimal Conservative Exploration in Reinforcement
Learning under Episode-wise Constraints", ICML 2023, arXiv:2306.06265 (StepMix, EpsMix).
M. G. Azar, I. Osband, R. Munos, ICML 2017, arXiv:1703.05449 (UCBVI).
T. Weissman et al., "Inequalities for the L1 deviation of the empirical distribution", 2003.

Guarantee
---------
[V] StepMix / EpsMix: w.p. >= 1 - delta no episode violates the constraint, and the regret is
of the constraint-free order; [R] form O~(sqrt(H^3 S A K)) + a K-independent term growing as
alpha V_b -> 0.  Registered as ``stepmix.regret``, ``epsmix.regret`` and
``stepmix.constraint`` in :mod:`rlth.theory.stepmix`.
[D] ``evaluation="advantage"``: on the same Weissman event (probability >= 1 - delta) and with
``V_b <= V^{pi_b}``, ``V^{pi_k} >= V_b + rho_k G >= (1 - alpha) V_b`` for every episode; no
regret rate is claimed for this mode (the robust bound over all occupancies is loose, so the
weight rises slowly: on the Garnet of ``experiments/stepmix.py`` it is ~0.37 after 10^4
episodes, where the default mode has reached 1).
"""
from __future__ import annotations

import numpy as np

from ..._kernels.dp import backward_values_kernel, policy_value_kernel
from ..._validation import (as_float_array, check_instance, check_positive_float,
                            check_positive_int, check_real)
from ...estimators.confidence import weissman_l1_log_term
from ...models.mdp import FiniteHorizonMDP
from ...models.policy import as_stochastic_policy
from . import _kernels as _k
from .runner import Proposal
from .ucbvi import UCBVI, _onehot

__all__ = ["StepMix", "EpsMix", "Switch", "BaselineAgent", "step_mixture",
           "mixture_baseline", "pessimistic_confidence_width", "STEPMIX_EVALUATIONS"]

#: StepMix's evaluation modes (first = default): the pessimistic value of the mixture with
#: the coupling bound, or the [D] performance-difference (advantage) lower bound.
STEPMIX_EVALUATIONS = ("pessimistic", "advantage")


def step_mixture(pi_b, pi_opt, weight: float) -> np.ndarray:
    """Per-step mixture ``(1 - weight) pi_b + weight pi_opt`` of two ``[H, S, A]`` policies.

    ``weight = 0`` gives ``pi_b`` and ``weight = 1`` gives ``pi_opt`` exactly.
    """
    pi_b = as_float_array("pi_b", pi_b, ndim=3)
    pi_opt = as_float_array("pi_opt", pi_opt, shape=pi_b.shape)
    w = float(weight)
    if not 0.0 <= w <= 1.0:
        raise ValueError(f"weight: must lie in [0, 1], got {weight}")
    return (1.0 - w) * pi_b + w * pi_opt


def pessimistic_confidence_width(n_states: int, n_actions: int, n_stages: int,
                                 n_episodes: int, horizon: int, delta: float) -> float:
    """``w = 2 (S ln 2 + ln(S A H_c T / delta))`` of the L1 bound ``||P_hat - P||_1 <= sqrt(w/n)``.

    Weissman et al. (2003): ``Pr(||P_hat - P||_1 >= eps) <= (2^S - 2) exp(-n eps^2 / 2)``;
    union over ``S A H_c`` pairs and ``T = K H`` count values gives ``delta`` in total [D]
    (:func:`rlth.estimators.confidence.weissman_l1_log_term` with that union).
    """
    T = n_episodes * horizon
    return weissman_l1_log_term(n_states, delta, n_union=n_states * n_actions * n_stages * T)


def mixture_baseline(mdp: FiniteHorizonMDP, quality: float, *, poor: str = "worst",
                     tol: float = 1e-12):
    """Baseline ``pi_b = (1 - lam) pi_poor + lam pi*`` (per step) with a set exact value.

    The value of the per-step mixture is a continuous polynomial in ``lam`` running from
    ``V^{pi_poor}`` (lam = 0) to ``V*`` (lam = 1); bisection finds ``lam`` with
    ``V^{pi_b} = V_poor + quality (V* - V_poor)`` to ``tol``, so the gap ``kappa = V* - V_b`` is
    set exactly (the returned value is the exact value of the returned policy).

    Parameters
    ----------
    mdp : FiniteHorizonMDP
    quality : float in [0, 1]
        Fraction of the range ``[V_poor, V*]`` the baseline achieves.
    poor : {"worst", "uniform"}
        The poor policy: the value-minimizing policy or the uniform one.

    Returns
    -------
    pi_b : ndarray, shape (H, S, A)
    v_b : float
        Exact value ``rho @ V^{pi_b}_0``.
    lam : float
        The mixing weight on ``pi*``.
    """
    check_instance("mdp", mdp, FiniteHorizonMDP)
    q = check_real("quality", quality)
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"quality: must lie in [0, 1], got {quality}")
    P, R, H, A = mdp.P_stages, mdp.R_stages, mdp.horizon, mdp.n_actions
    _, pi_star = backward_values_kernel(P, R, H, maximize=True)
    if poor == "worst":
        _, pi_w = backward_values_kernel(P, R, H, maximize=False)
        pi_poor = _onehot(pi_w, A)
    elif poor == "uniform":
        pi_poor = np.full((H, mdp.n_states, A), 1.0 / A)
    else:
        raise ValueError(f"poor: expected 'worst' or 'uniform', got {poor!r}")
    pi_opt = _onehot(pi_star, A)

    def value(lam):
        return float(policy_value_kernel(P, R, H, (1.0 - lam) * pi_poor + lam * pi_opt, mdp.rho))

    v0, v1 = value(0.0), value(1.0)
    target = v0 + q * (v1 - v0)
    if q == 0.0:
        return pi_poor, v0, 0.0
    if q == 1.0:
        return pi_opt, v1, 1.0
    lo, hi = 0.0, 1.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if value(mid) < target:
            lo = mid
        else:
            hi = mid
        if hi - lo < tol:
            break
    lam = hi
    pi_b = (1.0 - lam) * pi_poor + lam * pi_opt
    return pi_b, value(lam), lam


class _Conservative(UCBVI):
    """Common part of StepMix / EpsMix / Switch: baseline, threshold, pessimistic evaluation."""

    _algo = -1

    def __init__(self, baseline, alpha: float, *, baseline_value: float | None = None,
                 delta: float = 0.1, bonus: str = "ch", bonus_scale: float = 1.0,
                 pess_scale: float = 1.0, n_grid: int = 16, n_bisect: int = 30,
                 pooled: bool | None = None, clip: str = "remaining",
                 coupling_bound: bool = True):
        super().__init__(bonus=bonus, delta=delta, bonus_scale=bonus_scale, pooled=pooled,
                         clip=clip)
        self.baseline = np.asarray(baseline)
        self.alpha = check_positive_float("alpha", alpha, allow_zero=True)
        self.baseline_value = (None if baseline_value is None
                               else check_positive_float("baseline_value", baseline_value,
                                                         allow_zero=True))
        self.pess_scale = check_positive_float("pess_scale", pess_scale, allow_zero=True)
        self.n_grid = check_positive_int("n_grid", n_grid)
        self.n_bisect = check_positive_int("n_bisect", n_bisect) if n_bisect else 0
        if coupling_bound not in (True, False):
            raise ValueError(f"coupling_bound: expected a bool, got {coupling_bound!r}")
        self.coupling_bound = bool(coupling_bound)
        self.threshold = None

    def reset(self, mdp: FiniteHorizonMDP, n_episodes: int) -> None:
        super().reset(mdp, n_episodes)
        S, A, H = mdp.n_states, mdp.n_actions, mdp.horizon
        self.pi_b = as_stochastic_policy(self.baseline, S, A, H, name="baseline")
        if self.baseline_value is None:
            # the baseline's value is given to the agent (known V_b, [R]); computed exactly
            self.v_b = float(policy_value_kernel(mdp.P_stages, mdp.R_stages, H, self.pi_b, mdp.rho))
        else:
            self.v_b = self.baseline_value
        self.threshold = (1.0 - self.alpha) * self.v_b
        self._w_conf = pessimistic_confidence_width(S, A, self.n_sa.shape[0], self._K, H,
                                                    self.delta)
        self._buf = np.empty((H, S, A))

    def pessimistic_value(self, pi) -> float:
        """The agent's current lower confidence bound on ``rho @ V^pi_0`` (any policy)."""
        mdp = self._mdp
        pi = as_stochastic_policy(pi, mdp.n_states, mdp.n_actions, mdp.horizon)
        return float(_k.pessimistic_value(self._R, self.n_sa, self.n_sas, mdp.horizon, pi,
                                          self._rho, self._w_conf, self.pess_scale))

    def _baseline_for_kernel(self):
        return self.pi_b, self.v_b, self.threshold

    def _v_couple(self) -> float:
        return self.v_b if (self.coupling_bound and self._algo == _k.ALGO_STEPMIX) else 0.0


class StepMix(_Conservative):
    """StepMix: per-step mixture of the baseline and UCBVI's optimistic policy.

    Parameters
    ----------
    baseline : array_like, shape (H, S) int or (H, S, A)
        The safe baseline policy ``pi_b``.
    alpha : float >= 0
        Constraint ``V^{pi_k} >= (1 - alpha) V_b``; ``alpha >= 1`` removes it (StepMix then
        acts exactly as UCBVI).
    baseline_value : float, optional
        The known ``V_b``; computed exactly from the model when omitted.
    delta : float
        Confidence of both the optimism (UCBVI's L) and the pessimism event.
    bonus, bonus_scale, pooled, clip
        The UCBVI base (see :class:`~rlth.algorithms.online.ucbvi.UCBVI`).
    pess_scale : float
        Multiplies the pessimistic bonus (1 = valid bound [D]; other values are a named mode).
    n_grid, n_bisect : int
        Weight search: grid ``j / n_grid`` scanned from above, then bisection steps.
    coupling_bound : bool
        Also use the data-free lower bound ``(1 - rho)^H V_b`` ([D], see module doc); only in
        ``evaluation="pessimistic"``.
    evaluation : {"pessimistic", "advantage"}
        How the weight is chosen.  ``"pessimistic"`` (default): largest rho whose pessimistic
        value of the mixture (max with the coupling bound) clears ``(1 - alpha) V_b``.
        ``"advantage"`` ([D], module doc item 3): performance-difference bound
        ``V^{pi^rho} >= V_b + rho G`` (linear in rho, no coupling bound), ``rho_k = 1`` if
        ``G >= -alpha V_b`` else ``alpha V_b / (-G)`` (1 also when ``(1 - alpha) V_b <= 0``,
        where the constraint is vacuous).  With ``n = 0`` everywhere ``G = -H(H+1)/2``, so
        ``rho_1 = 2 alpha V_b / (H(H+1))`` (if below 1).

    Notes
    -----
    Validity of ``evaluation="advantage"`` with a given ``baseline_value``: the lemma holds
    with the *true* ``V^{pi_b}``, so on the event
    ``V^{pi^rho} >= V^{pi_b} + rho G >= baseline_value + rho G`` whenever
    ``baseline_value <= V^{pi_b}``; a lower bound on the baseline's value keeps the guarantee,
    an over-estimate does not.

    Guarantee
    ---------
    ``"pessimistic"``: see the module doc.  ``"advantage"`` [D]: on the Weissman event
    (probability >= 1 - delta, all episodes at once; ``pess_scale >= 1``) and with
    ``baseline_value <= V^{pi_b}``, every episode satisfies
    ``V^{pi_k} >= V_b + rho_k G >= (1 - alpha) V_b``.

    Examples
    --------
    >>> from rlth.instances import riverswim
    >>> from rlth.algorithms.online.runner import run_online
    >>> mdp = riverswim(4, horizon=6)
    >>> pi_b, v_b, _ = mixture_baseline(mdp, 0.5)
    >>> res = run_online(mdp, StepMix(pi_b, alpha=0.2, bonus_scale=0.1), 300, rng=0)
    >>> res.n_violations
    0
    >>> adv = run_online(mdp, StepMix(pi_b, alpha=0.2, bonus_scale=0.1,
    ...                               evaluation="advantage"), 300, rng=0)
    >>> adv.n_violations, bool(abs(adv.weights[0] - 2 * 0.2 * v_b / (6 * 7)) < 1e-12)
    (0, True)
    """

    _algo = _k.ALGO_STEPMIX

    def __init__(self, baseline, alpha: float, *, evaluation: str = "pessimistic", **kwargs):
        if evaluation not in STEPMIX_EVALUATIONS:
            raise ValueError(f"evaluation: expected one of {STEPMIX_EVALUATIONS}, got "
                             f"{evaluation!r}")
        super().__init__(baseline, alpha, **kwargs)
        self.evaluation = evaluation
        if evaluation == "advantage":
            self._algo = _k.ALGO_STEPMIX_ADV

    def advantage_bound(self, pibar=None) -> float:
        """The agent's current ``G`` of the advantage mode.

        Computed by :func:`~rlth.algorithms.online._kernels.advantage_lower_bound` on the
        agent's counts (whatever ``evaluation`` is).

        Parameters
        ----------
        pibar : array_like, shape (H, S) int, optional
            Target policy of the mixture; default: the greedy optimistic policy (runs one
            optimistic DP pass, which updates the agent's Q as an episode would).

        Returns
        -------
        float
            Lower bound on ``sum_h E_{d_h^pi}[A_h]`` for every policy ``pi`` (w.h.p.), with
            ``A_h`` the advantage of ``pibar`` over ``pi_b`` under ``Q^{pi_b}``.
        """
        mdp = self._mdp
        if mdp is None:
            raise RuntimeError("advantage_bound: the agent has not been reset; run it "
                               "(run_online) or call reset(mdp, n_episodes) first")
        if pibar is None:
            _, pibar = self._optimistic()
        pibar = np.asarray(pibar)
        if (pibar.shape != (mdp.horizon, mdp.n_states) or pibar.dtype.kind not in "iu"
                or pibar.min() < 0 or pibar.max() >= mdp.n_actions):
            raise ValueError(f"pibar: expected ints in [0, {mdp.n_actions}) of shape "
                             f"{(mdp.horizon, mdp.n_states)}, got {pibar.dtype} "
                             f"{pibar.shape}")
        return float(_k.advantage_lower_bound(self._R, self.n_sa, self.n_sas, mdp.horizon,
                                              self.pi_b, pibar.astype(np.int64), self._rho,
                                              self._w_conf, self.pess_scale))

    def propose(self, k: int) -> Proposal:
        mdp = self._mdp
        Vbar, pibar = self._optimistic()
        if self.evaluation == "advantage":
            G = _k.advantage_lower_bound(self._R, self.n_sa, self.n_sas, mdp.horizon, self.pi_b,
                                         pibar, self._rho, self._w_conf, self.pess_scale)
            w = _k.advantage_weight(G, self.v_b, self.threshold)
            pi = _k.mix_policy(self.pi_b, pibar, w, np.empty_like(self.pi_b))
            return Proposal(policies=(pi,), probs=np.ones(1), weight=float(w),
                            pessimistic_value=float(self.v_b + w * G),
                            optimistic_value=_rho_dot(self._rho, Vbar[0]))
        vc = self._v_couple()
        w, fw = _k.largest_feasible_weight(self._R, self.n_sa, self.n_sas, mdp.horizon,
                                           self.pi_b, pibar, self._rho, self._w_conf,
                                           self.pess_scale, self.threshold, self.n_grid,
                                           self.n_bisect, self._buf, vc)
        if w == 0.0:
            fw = _k.mixture_lower_bound(self._R, self.n_sa, self.n_sas, mdp.horizon, self.pi_b,
                                        pibar, self._rho, self._w_conf, self.pess_scale, vc,
                                        0.0, self._buf)
        pi = _k.mix_policy(self.pi_b, pibar, w, np.empty_like(self.pi_b))
        return Proposal(policies=(pi,), probs=np.ones(1), weight=float(w),
                        pessimistic_value=float(fw), optimistic_value=_rho_dot(self._rho,
                                                                               Vbar[0]))

    def __repr__(self) -> str:
        ev = "" if self.evaluation == "pessimistic" else f", evaluation={self.evaluation!r}"
        return f"StepMix(alpha={self.alpha}, bonus={self.bonus!r}, delta={self.delta}{ev})"


class Switch(_Conservative):
    """Ablation of StepMix's mixing: optimistic policy if it passes the test, else baseline."""

    _algo = _k.ALGO_SWITCH

    def propose(self, k: int) -> Proposal:
        mdp = self._mdp
        Vbar, pibar = self._optimistic()
        pi = _k.mix_policy(self.pi_b, pibar, 1.0, np.empty_like(self.pi_b))
        f1 = _k.pessimistic_value(self._R, self.n_sa, self.n_sas, mdp.horizon, pi, self._rho,
                                  self._w_conf, self.pess_scale)
        w, fw = 1.0, f1
        if f1 < self.threshold:
            w = 0.0
            pi = _k.mix_policy(self.pi_b, pibar, 0.0, pi)
            fw = _k.pessimistic_value(self._R, self.n_sa, self.n_sas, mdp.horizon, pi,
                                      self._rho, self._w_conf, self.pess_scale)
        return Proposal(policies=(pi,), probs=np.ones(1), weight=w, pessimistic_value=float(fw),
                        optimistic_value=_rho_dot(self._rho, Vbar[0]))


class EpsMix(_Conservative):
    """EpsMix: episode-level coin between UCBVI's optimistic policy and the baseline.

    Same parameters as :class:`StepMix` (``n_grid``/``n_bisect`` unused).  The coin is drawn
    only when ``0 < eps_k < 1`` is not degenerate (so ``alpha >= 1`` reproduces UCBVI exactly).
    """

    _algo = _k.ALGO_EPSMIX

    def propose(self, k: int) -> Proposal:
        mdp = self._mdp
        Vbar, pibar = self._optimistic()
        pi_opt = _k.mix_policy(self.pi_b, pibar, 1.0, np.empty_like(self.pi_b))
        f1 = _k.pessimistic_value(self._R, self.n_sa, self.n_sas, mdp.horizon, pi_opt,
                                  self._rho, self._w_conf, self.pess_scale)
        eps = _k.epsmix_probability(f1, self.v_b, self.threshold)
        return Proposal(policies=(pi_opt, self.pi_b), probs=np.array([eps, 1.0 - eps]),
                        weight=float(eps), pessimistic_value=eps * f1 + (1.0 - eps) * self.v_b,
                        optimistic_value=_rho_dot(self._rho, Vbar[0]))


class BaselineAgent(_Conservative):
    """Plays the baseline in every episode (regret exactly ``kappa K``)."""

    _algo = _k.ALGO_BASELINE

    def __init__(self, baseline, alpha: float = 0.0, **kwargs):
        super().__init__(baseline, alpha, **kwargs)

    def propose(self, k: int) -> Proposal:
        return Proposal(policies=(self.pi_b,), probs=np.ones(1), weight=0.0)


def _rho_dot(rho, v) -> float:
    out = 0.0
    for i in range(rho.shape[0]):
        out += rho[i] * v[i]
    return float(out)
