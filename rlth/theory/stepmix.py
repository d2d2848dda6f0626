r"""UCBVI (Azar, Osband, Munos 2017) and StepMix / EpsMix (Li, Huang, Shen, Yang 2023) as data.

Regret is the pseudo-regret :math:`\mathrm{Reg}(K) = \sum_{k \le K} V^*_1 - V^{\pi_k}_1` with
exact values (:func:`rlth.algorithms.online.runner.run_online`); the sweep variable is the number of
episodes ``K`` (one run per ``K``, since UCBVI's ``L = ln(5 S A K H / delta)`` depends on it).

Provenance
----------
* UCBVI: [V] the abstract of arXiv:1703.05449 (regret O~(sqrt(H S A T) + H^2 S^2 A + H sqrt(T))
  for the Bernstein bonus, leading term once ``T >= H^3 S^3 A`` and ``S A >= H``); the
  Hoeffding-bonus theorem's form O~(H sqrt(S A T) + H^2 S^2 A) is [R] (from memory); the
  numerical constants of both theorems are not reproduced (no explicit ``bound``).
* StepMix / EpsMix: [V] the abstract of arXiv:2306.06265 (episode-wise constraint never
  violated w.h.p.; regret of the constraint-free order); [R] the form
  O~(sqrt(H^3 S A K)) + K-independent term (the full text was not reachable).
* ``ucbvi.violations``: [D] each violating episode costs pseudo-regret at least
  ``V* - (1 - alpha) V_b``, so #violations <= Reg(K) / (V* - (1 - alpha) V_b): UCBVI's count
  grows at most like its regret.

Closed forms and regime tests: :func:`gap_chain_values` (exact values of
:func:`rlth.instances.episodic_minimax.gap_chain`, the reference of the minimax experiment and
its tests), :func:`ucbvi_in_regime`, :func:`average_count_at_least`.
"""
from __future__ import annotations

import math

import numpy as np

from .._validation import check_in_range, check_positive_int, check_real

from . import Theorem, register

__all__ = ["gap_chain_values", "ucbvi_in_regime", "average_count_at_least"]


def gap_chain_values(gap: float, *, horizon: int = 5, trap_good: float = 0.0,
                     quality: float | None = None) -> dict:
    """Closed-form values of :func:`rlth.instances.episodic_minimax.gap_chain` (any ``n_blocks``,
    ``n_actions``).

    Returns ``{"v_star", "v_near", "v_worst"}`` and, when ``quality`` is given, ``"v_b"``: the
    value of the per-step mixture baseline with weight ``quality`` on ``pi*``.
    """
    gap, H = check_real("gap", gap), check_positive_int("horizon", horizon)
    trap_good = check_real("trap_good", trap_good)
    r1 = 0.5
    out = {"v_star": r1 + (H - 1) * (0.5 + gap), "v_near": r1 + (H - 1) * 0.5,
           "v_worst": r1 + (H - 1) * float(trap_good)}
    if quality is not None:
        qv = check_real("quality", quality)
        check_in_range("quality", np.asarray(qv), 0.0, 1.0)
        out["v_b"] = out["v_worst"] + qv * (out["v_star"] - out["v_worst"])
    return out

_AZAR = "Azar, Osband, Munos (2017)"
_AZAR_ARXIV = "1703.05449"
_LI = "Li, Huang, Shen, Yang (2023)"
_LI_ARXIV = "2306.06265"


def ucbvi_in_regime(x, n_states=None, n_actions=None, horizon=None, **_) -> bool:
    """Azar et al.'s regime of the leading term: ``T = K H >= H^3 S^3 A`` and ``S A >= H`` [V].

    ``x`` is the number of episodes ``K``.
    """
    if None in (n_states, n_actions, horizon):
        return True
    S, A, H = float(n_states), float(n_actions), float(horizon)
    return x * H >= H ** 3 * S ** 3 * A and S * A >= H


def average_count_at_least(K, threshold, n_states, n_actions, horizon, n_stages=1) -> bool:
    """``K H / (S A H_c) >= threshold``: the average visit count of a pair (burn-in test) [D]."""
    return K * horizon / (n_states * n_actions * n_stages) >= threshold


def _ch_in_regime(x, n_states=None, n_actions=None, horizon=None, delta=0.1, bonus_scale=1.0,
                  **_) -> bool:
    """CH bonus informative (below H at the average count) and Azar's regime [D]."""
    if None in (n_states, n_actions, horizon):
        return True
    L = math.log(5.0 * n_states * n_actions * x * horizon / delta)
    need = (7.0 * L * bonus_scale) ** 2
    return (average_count_at_least(x, need, n_states, n_actions, horizon)
            and ucbvi_in_regime(x, n_states, n_actions, horizon))


register(Theorem(
    id="ucbvi.bf.regret",
    paper=_AZAR,
    arxiv=_AZAR_ARXIV,
    number="Theorem 2 (UCBVI-BF)",
    statement="w.p. >= 1-delta, Reg(K) = O~(sqrt(H S A T) + H^2 S^2 A + H sqrt(T)), T = KH",
    quantity="pseudo-regret sum_k V*_1 - V^{pi_k}_1 of UCBVI-BF, exact values",
    sweep_variable="K",
    kind="upper",
    exponent=0.5,
    regime="T = KH >= H^3 S^3 A and SA >= H (abstract)",
    in_regime=ucbvi_in_regime,
    provenance="[V] rate and regime (abstract); [V3] bonus constants",
    notes="On a fixed instance with a positive gap the regret eventually grows like log K, "
          "so slopes below 1/2 are expected; the theorem is an upper bound.",
))

register(Theorem(
    id="ucbvi.ch.regret",
    paper=_AZAR,
    arxiv=_AZAR_ARXIV,
    number="Theorem 1 (UCBVI-CH)",
    statement="w.p. >= 1-delta, Reg(K) = O~(H sqrt(S A T) + H^2 S^2 A), T = KH",
    quantity="pseudo-regret sum_k V*_1 - V^{pi_k}_1 of UCBVI-CH, exact values",
    sweep_variable="K",
    kind="upper",
    exponent=0.5,
    regime="bonus 7 H L c / sqrt(n) below H at the average count n = KH/(SA) "
           "(n >= (7 L c)^2, c = bonus_scale), and KH >= H^3 S^3 A",
    in_regime=_ch_in_regime,
    provenance="[R] form (from memory); [V3] bonus constants; [D] burn-in predicate",
    notes="With the paper's constant 7 L the bonus exceeds H until n ~ 2e4 visits per pair, "
          "so paper-exact runs are NOT-IN-REGIME at simulable K; the scaled mode multiplies "
          "the bonus by bonus_scale.",
))

register(Theorem(
    id="stepmix.regret",
    paper=_LI,
    arxiv=_LI_ARXIV,
    number="main theorem (StepMix)",
    statement="w.p. >= 1-delta, Reg(K) of the constraint-free order, O~(sqrt(H^3 S A K)) "
              "+ a K-independent term",
    quantity="pseudo-regret of StepMix (exact value of the per-step mixture played)",
    sweep_variable="K",
    kind="upper",
    exponent=0.5,
    regime="after the conservative burn-in (the fit window starts once rho_k = 1)",
    provenance="[V] order (abstract); [R] form and algorithm details",
))

register(Theorem(
    id="epsmix.regret",
    paper=_LI,
    arxiv=_LI_ARXIV,
    number="main theorem (EpsMix)",
    statement="w.p. >= 1-delta, same regret order as StepMix",
    quantity="pseudo-regret of EpsMix (exact value of the episode mixture played)",
    sweep_variable="K",
    kind="upper",
    exponent=0.5,
    regime="after the conservative burn-in",
    provenance="[V] order (abstract); [R] form and the closed-form eps_k",
))


def _one_minus_delta(x, delta=0.1, **_):
    return 1.0 - float(delta)


register(Theorem(
    id="stepmix.constraint",
    paper=_LI,
    arxiv=_LI_ARXIV,
    number="main theorem (conservative guarantee, StepMix and EpsMix)",
    statement="w.p. >= 1-delta, V^{pi_k}_1 >= (1-alpha) V_b in every episode k <= K",
    quantity="fraction of runs in which no episode's exact value is below (1-alpha) V_b",
    sweep_variable="K",
    kind="lower",
    exponent=None,
    bound=_one_minus_delta,
    provenance="[V] statement (abstract); [R] that EpsMix's violation is judged on the "
               "value of the randomized policy",
    notes="Bound comparison only (no rate): every replicate-mean must be >= 1 - delta.",
))

register(Theorem(
    id="ucbvi.violations",
    paper=_AZAR,
    arxiv=_AZAR_ARXIV,
    number="[D] corollary of Theorems 1-2",
    statement="#{k <= K: V^{pi_k}_1 < (1-alpha) V_b} <= Reg(K) / (V* - (1-alpha) V_b)",
    quantity="number of episodes of unconstrained UCBVI whose exact value violates the "
             "StepMix constraint (the contrast)",
    sweep_variable="K",
    kind="upper",
    exponent=0.5,
    provenance="[D]",
    notes="UCBVI has no constraint: it violates in early episodes; the count grows at most "
          "like its regret.",
))


# ---------------------------------------------------------------------------------------------
# minimax lower bound (sup over instances), checked on the K-dependent family of
# rlth.instances.episodic_minimax (experiment ``stepmix_minimax``)
# ---------------------------------------------------------------------------------------------
register(Theorem(
    id="episodic.regret.lower",
    paper="Domingues, Menard, Kaufmann, Valko (2021); Jin, Allen-Zhu, Bubeck, Jordan (2018)",
    arxiv="2010.03531",
    number="minimax regret lower bound (Domingues et al. abstract; Jin et al. Theorem 3 [R])",
    statement="for every algorithm, sup over MDPs of E Reg(K) = Omega(sqrt(H^3 S A K)) "
              "(non-stationary transitions); the constraint of StepMix/EpsMix only removes "
              "algorithms, so it applies to them too",
    quantity="sup over the gap grid c in {4, 8, 16, 32} of the pseudo-regret on the gap chain "
             "with gap c sqrt(S A / (H K)) (per replicate, common random numbers), exact values",
    sweep_variable="K",
    kind="lower",
    exponent=0.5,
    regime="K-dependent least-favourable instance (a fixed instance goes to log K)",
    provenance="[V] the Omega(sqrt(H^3 S A T)) statement (abstract of 2010.03531); [R] its "
               "stationary form and Jin et al.'s theorem number; [D] the instance family "
               "(rlth.instances.episodic_minimax.gap_chain) and the exponent 1/2 in K for it "
               "(two-point argument: at gap c/sqrt(n) the optimal action is not identified "
               "after n = K H/(S A) visits per pair, so Reg >= (H-1) gap K/const)",
    notes="Measured on a finite grid of gaps (a lower estimate of the sup). An additive "
          "K-independent term (StepMix/EpsMix's conservative burn-in) lowers the local slope "
          "without contradicting the bound.",
))
