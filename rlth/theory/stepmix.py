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
    statistic="quantile",
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
    statistic="quantile",
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
    statistic="quantile",
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
    statistic="quantile",
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


register(Theorem(
    id="ucbvi.bf.pac",
    paper=_AZAR,
    arxiv=_AZAR_ARXIV,
    number="[D] corollary of Theorem 2 (regret to PAC)",
    statement="w.p. >= 1-delta, Reg(K) <= C sqrt(K) gives an average regret Reg(K)/K <= eps "
              "once K >= C^2 / eps^2: the episodes needed grow at most like eps^-2",
    quantity="K(eps): smallest K at which the (1-delta)-quantile of Reg(K)/K is <= eps",
    sweep_variable="1/eps",
    kind="upper",
    exponent=2.0,
    statistic="sample_complexity",
    provenance="[D] from the [V] rate",
    notes="On a fixed instance with a gap the regret grows slower than sqrt(K), so the "
          "exponent is below 2.",
))

register(Theorem(
    id="stepmix.pac",
    paper=_LI,
    arxiv=_LI_ARXIV,
    number="[D] corollary of the main theorem (regret to PAC)",
    statement="w.p. >= 1-delta, a regret of the constraint-free order gives an average regret "
              "<= eps after K(eps) = O~(eps^-2) episodes (plus the K-independent burn-in)",
    quantity="K(eps): smallest K at which the (1-delta)-quantile of Reg(K)/K is <= eps",
    sweep_variable="1/eps",
    kind="upper",
    exponent=2.0,
    statistic="sample_complexity",
    provenance="[D] from the [V] order and the [R] form",
))


def _one_minus_delta(x, delta=0.1, **_):
    return 1.0 - float(delta)


register(Theorem(
    id="stepmix.constraint",
    statistic="fraction",
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
    statistic="quantile",
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
# minimax lower bounds, as LEVELS (experiments ``stepmix_minimax`` and ``stepmix_needle``)
# ---------------------------------------------------------------------------------------------
# The earlier ``episodic.regret.lower`` (slope of the sup over a gap chain >= 1/2) is retired:
# every member of that chain had the same optimal policy, so its minimax regret is 0, and a lower
# bound constrains the level of every algorithm's worst case, not the slope of one agent's curve
# over a finite window (docs/explanation/theory_notes.md, StepMix A4).
_FELDMAN = "Feldman (1962)"

register(Theorem(
    id="episodic.two_point.level",
    paper=_FELDMAN,
    arxiv="",
    number="[D] from Feldman's theorem (myopic rule Bayes-optimal for two arms known up to a "
           "permutation, Ann. Math. Stat. 33, 1962 [R])",
    statement="for every algorithm and every K, the regret averaged over the two members of "
              "the symmetrised two-point chain is >= R*_c(K), the Bayes (= minimax) regret of "
              "the myopic rule on the two-armed bandit with N = K(H-1) pulls and gap g",
    quantity="pseudo-regret averaged over the two members (exact values), per c; and the "
             "worst case over c and member against R*(K) = max_c R*_c(K)",
    sweep_variable="K",
    kind="lower",
    exponent=None,
    regime="every K (a level, not a slope)",
    provenance="[R] Feldman's theorem; [D] the reduction of the chain to the bandit "
               "(rlth.theory.two_point), verified against a DP over posteriors on small N",
    notes="Compared with the Bayes-optimal rule's Monte Carlo mean at the same K (compare_with): "
          "FAIL means mean more than 3 standard errors below R*, i.e. a bug in the regret "
          "accounting, an information leak or a wrong family. The reported ratio is the "
          "agent's minimax inefficiency.",
))

register(Theorem(
    id="episodic.two_point.shape",
    paper=_FELDMAN,
    arxiv="",
    number="[D] scale invariance of the two-point family at fixed c",
    statement="R*_c(K) = Theta(sqrt(K)) at fixed c (the family is scale-invariant as g -> 0), "
              "so the minimax regret of the symmetrised chain has slope 1/2 in K",
    quantity="R*_c(K) and max_c R*_c(K), Bayes regret of Feldman's myopic rule (Monte Carlo)",
    sweep_variable="K",
    kind="rate",
    exponent=0.5,
    provenance="[D]",
    notes="Validates the construction and the regret accounting: this is what 'minimax rate "
          "sqrt(K)' means for this family (sqrt(KH): no sqrt(S), no H^{3/2}; the needle family "
          "carries those).",
))

register(Theorem(
    id="episodic.two_point.information_limited",
    paper=_FELDMAN,
    arxiv="",
    number="[D] sandwich R*_c(K) <= Reg <= (H-1) g K at fixed c <= 1",
    statement="at fixed c <= 1 every agent's prior-averaged regret lies between R*_c(K) and "
              "the coin-flip level, both proportional to sqrt(K): slope 1/2",
    quantity="pseudo-regret averaged over the two members at c in {0.25, 0.5, 1}",
    sweep_variable="K",
    kind="rate",
    exponent=0.5,
    regime="K in [1e4, 1e6]; conservative agents only from 10 x their measured settle "
           "episode (before it they play the baseline: regret proportional to K g)",
    provenance="[D]",
))


def _needle_level(x, K, c, n_decision, n_commit, horizon, **_):
    from .needle import needle_level
    return needle_level(int(K), c=float(c), n_decision=int(n_decision),
                        n_commit=int(n_commit), horizon=int(horizon))


register(Theorem(
    id="episodic.needle.level",
    paper="Domingues, Menard, Kaufmann, Valko (2021)",
    arxiv="2010.03531",
    number="Assouad level [D] of the Omega(sqrt(H^3 S A T)) bound [V]",
    statement="for every algorithm, the prior-averaged regret on the needle family is >= "
              "the explicit level of rlth.theory.needle.needle_level, ~ sqrt(H^3 S A K)",
    quantity="pseudo-regret (exact values) averaged over needle draws from the product prior",
    sweep_variable="K, H or n_decision",
    kind="lower",
    exponent=None,
    bound=_needle_level,
    provenance="[V] the rate (abstract of 2010.03531); [D] the family "
               "(rlth.instances.episodic_minimax.needle_mdp) and the explicit level",
    notes="A level check: the mean over replicates (each a fresh prior draw) must be >= the "
          "level at every point.",
))

def _needle_shape(theorem_id: str, exponent: float, variable: str, extra: str = "") -> Theorem:
    """The shape theorem of the needle level in one sweep variable."""
    return Theorem(
        id=theorem_id,
        paper="Domingues, Menard, Kaufmann, Valko (2021)",
        arxiv="2010.03531",
        number="Omega(sqrt(H^3 S A T)) (abstract [V]); shape of the [D] level",
        statement=f"the explicit level of the needle family grows like sqrt(H^3 S A K): "
                  f"exponent {exponent:g} in {variable}",
        quantity="rlth.theory.needle.needle_level at the sweep's points (deterministic)",
        sweep_variable=variable,
        kind="rate",
        exponent=exponent,
        statistic="exact",
        provenance="[V] rate; [D] level",
        notes="Checks that the construction carries the H^{3/2} and sqrt(S) factors (a "
              "stationary needle, or one needle in one state, would not)." + extra,
    )


register(_needle_shape("episodic.needle.level_in_K", 0.5, "K"))
register(_needle_shape(
    "episodic.needle.level_in_H", 1.5, "H",
    " Exact only asymptotically in H: the level's factor (1 - 1/M - c), M = n_commit "
    "floor(H/3), adds about +0.04 to the slope on H in 6..48 with 8 commit actions (+0.19 "
    "with 2)."))
register(_needle_shape("episodic.needle.level_in_S", 0.5, "n_decision"))
