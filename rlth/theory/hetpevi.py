r"""Theorems of Shi, Xiong, Shen, Yang (2023), "Provably Efficient Offline Reinforcement Learning
with Perturbed Data Sources" (ICML 2023, arXiv 2306.08364), as data.

Provenance.  Only the abstract could be read here ([V]: perturbed sources, a lower bound that
requires many *sources*, HetPEVI's two uncertainties, collective coverage, optimality up to
poly(H), the Markov-game extension).  Every statement below is a reconstruction [R] with the
constants derived in ``shared/theory/pnlsvi_hetpevi_stepmix_v2.md`` section 2.2 [D]; the
theorem numbers are unknown and given as "[R]".  No bound constant of the paper is used: where a
check needs a level, it is our own exact computation ([D]: the Bayes risk of the two-arm source
family, :func:`two_arm_bayes_risk`) or the failure probability ``delta`` of the good event.

Quantities: ``SubOpt = V*(rho) - V^{pi_hat}(rho)`` on the **target** (exact DP), the pessimism
gap ``G = V*(rho) - V_hat(rho)``, the exploitability of the output policy pair of a game on the
target (exact best responses), 0/1 indicators of the good-event properties.

Closed forms: :func:`two_arm_bayes_risk` (exact minimax-Bayes risk of the symmetrised two-arm
family of :func:`rlth.instances.heterogeneous.two_arm_sources` with exact sources).
"""
from __future__ import annotations

import math

import numpy as np

from .._validation import check_positive_float, check_positive_int
from . import Theorem, register

__all__ = ["two_arm_bayes_risk", "PAPER", "ARXIV", "DELTA"]

PAPER = "Shi, Xiong, Shen, Yang (2023)"
ARXIV = "2306.08364"
DELTA = 0.1


def two_arm_bayes_risk(n_sources: int, c: float) -> float:
    r"""Exact Bayes (= minimax over the symmetrised pair) risk of the two-arm source family [D].

    Target arms ``1/2 + Delta`` and ``1/2`` with ``Delta = c / sqrt(L)``, the better arm at index
    0 or 1 with probability 1/2; the learner sees ``L`` exact sources ``r_l(a) ~ Bernoulli(r(a))``.
    The counts ``N_a = sum_l r_l(a)`` are sufficient, the likelihood ratio of the two members is
    monotone in ``N_1 - N_0``, so the Bayes rule plays the arm with the larger count (either on a
    tie) and its risk is

    .. math:: R^*(L) = \Delta\,\big[\Pr(N_+ < N_-) + \tfrac12 \Pr(N_+ = N_-)\big],
              \quad N_+ \sim \mathrm{Bin}(L, 1/2 + \Delta),\ N_- \sim \mathrm{Bin}(L, 1/2).

    Every learner's risk on the symmetrised family (member drawn uniformly) is at least this.
    """
    L = check_positive_int("n_sources", n_sources)
    c = check_positive_float("c", c)
    gap = c / math.sqrt(L)
    if gap > 0.5:
        raise ValueError(f"c: gap c/sqrt(L) = {gap:.3g} exceeds 1/2")
    from scipy.stats import binom
    k = np.arange(L + 1)
    p_plus = binom.pmf(k, L, 0.5 + gap)
    p_minus = binom.pmf(k, L, 0.5)
    cdf_plus_below = np.concatenate(([0.0], np.cumsum(p_plus)[:-1]))     # Pr(N+ < k)
    wrong = float(np.sum(p_minus * cdf_plus_below) + 0.5 * np.sum(p_minus * p_plus))
    return gap * wrong


def _one_minus_delta(x, delta=DELTA, **_):
    return 1.0 - float(delta)


def _horizon_max(x, horizon=None, **_):
    return float(horizon) if horizon is not None else math.inf


SUBOPT = "SubOpt = V*(rho) - V^{pi_hat}(rho) on the target (exact DP)"

register(Theorem(
    id="hetpevi.mdp.subopt", paper=PAPER, arxiv=ARXIV, number="main upper bound [R number]",
    statement="w.p. >= 1 - delta, SubOpt(HetPEVI) <~ H^2 sqrt(C/L_eff) + H^2 sqrt(C/(L_eff n)): "
              "slope <= -1/2 in L with exact sources",
    quantity=SUBOPT + ", exact-source mode, on the two-arm family Delta = c/sqrt(L) (H = 1)",
    sweep_variable="L (number of sources)", kind="upper", exponent=-0.5, tolerance=0.1,
    regime="L past the vacuous-penalty range (Gamma < r)", provenance="[R] shape, [D] penalty",
    notes="a fixed instance leaves the 1/sqrt(L) regime once L >> 1/gap^2 (SubOpt -> 0); the "
          "L-dependent two-arm family keeps it", statistic="quantile", delta=DELTA,
    trivial_max=_horizon_max))

register(Theorem(
    id="hetpevi.mdp.pessimism_gap", paper=PAPER, arxiv=ARXIV,
    number="proof of the upper bound [R]; rate [D]",
    statement="G = V*(rho) - V_hat(rho) ~ sum_h E[Gamma_src] ~ H (H+1) sqrt(iota / L): slope -1/2 "
              "in L with exact sources once the penalty is not clipped",
    quantity="pessimism gap G = V*(rho) - V_hat(rho) (exact V*)", sweep_variable="L",
    kind="rate", exponent=-0.5, tolerance=0.1, provenance="[D]",
    regime="L where the penalty is not clipped (measured `unclipped` ~ 1)"))

register(Theorem(
    id="hetpevi.mdp.pessimism", paper=PAPER, arxiv=ARXIV,
    number="good event of the upper bound's proof [R]; constants [D]",
    statement="w.p. >= 1 - delta: V_hat_h(s) <= V^{pi_hat}_h(s) for every (h, s) (on the target)",
    quantity="indicator of pessimism at every (h, s)", sweep_variable="L or K",
    kind="lower", exponent=None, bound=_one_minus_delta, provenance="[D]",
    notes="valid by the derivation with union='cells' in the exact-source mode and union='net' "
          "in the trajectory mode; the trajectory experiment uses 'cells' (named deviation) and "
          "reports what it measures", statistic="fraction", delta=DELTA))

register(Theorem(
    id="hetpevi.mdp.oracle_inequality", paper=PAPER, arxiv=ARXIV,
    number="PEVI-style oracle inequality (Jin et al. 2021, Thm 4.2 [R]) for HetPEVI [D]",
    statement="w.p. >= 1 - delta: V*(rho) - V_hat(rho) <= 2 sum_h E_{pi*}[Gamma_h(s_h, a_h)]",
    quantity="indicator of the inequality (exact occupancy of pi* on the target)",
    sweep_variable="L", kind="lower", exponent=None, bound=_one_minus_delta,
    provenance="[D] (from [R] PEVI argument)", statistic="fraction", delta=DELTA))

register(Theorem(
    id="hetpevi.mdp.source_floor", paper=PAPER, arxiv=ARXIV,
    number="upper bound, source term [R]; abstract: finite sources are a separate uncertainty [V]",
    statement="at fixed L the error plateaus as the samples per source K grow (the source term "
              "does not depend on K): slope -> 0 in K",
    quantity="pessimism gap G = V*(rho) - V_hat(rho), K trajectories per source",
    sweep_variable="K (episodes per source)", kind="rate", exponent=0.0, tolerance=0.1,
    provenance="[R] shape, [D] penalty", regime="K >> (sample term / source term)^2"))

register(Theorem(
    id="hetpevi.naive.pessimism_loss", paper=PAPER, arxiv=ARXIV,
    number="motivation of the source term [V abstract]; this check [D]",
    statement="naive pooling (all samples as if from the target, no source term) is NOT "
              "pessimistic w.p. >= 1 - delta once K is large: its pessimism frequency < 1 - delta",
    quantity="indicator of pessimism at every (h, s) of naive pooling", sweep_variable="K",
    kind="upper", exponent=None, bound=_one_minus_delta, provenance="[D]",
    statistic="fraction", delta=DELTA,
    notes="FAIL would mean naive pooling stays pessimistic: the source term would be unnecessary"))

register(Theorem(
    id="hetpevi.bandit.source_lower", paper=PAPER, arxiv=ARXIV,
    number="information-theoretic lower bound on the number of sources [V existence, R form]",
    statement="any learner's expected SubOpt on the symmetrised two-arm source family with "
              "Delta = c/sqrt(L) is >= its Bayes risk R*(L) (a level; R* ~ L^-1/2)",
    quantity=SUBOPT + " (member drawn uniformly), exact sources", sweep_variable="L",
    kind="lower", exponent=None, provenance="[V] claim, [D] family and level (ours, not the "
    "paper's instance)", notes="judged against the measured Bayes rule (= the oracle floor "
    "learner, argmax of the realised source average) with compare_with"))

register(Theorem(
    id="hetpevi.bandit.minimax_shape", paper=PAPER, arxiv=ARXIV,
    number="shape of the source lower bound [R]; exact risk [D]",
    statement="the Bayes risk of the two-arm source family, R*(L) = Delta P(wrong), decays as "
              "L^-1/2 (Delta = c/sqrt(L), P(wrong) -> Phi(-c sqrt 2))",
    quantity="SubOpt of the Bayes rule (oracle floor) on the symmetrised two-arm family",
    sweep_variable="L", kind="rate", exponent=-0.5, tolerance=0.1, provenance="[D]",
    reference=lambda x, L=None, c=None, **_: two_arm_bayes_risk(int(L), float(c))))

register(Theorem(
    id="hetpevi.game.gap", paper=PAPER, arxiv=ARXIV, number="Markov-game extension [V existence, "
    "R statement]", statement="w.p. >= 1 - delta the duality gap (exploitability) of HetPEVI's "
    "policy pair is <~ 2 sum_h E[Gamma_h] ~ L^-1/2 under unilateral coverage",
    quantity="exploitability of (pi_max, pi_min) on the target game (exact best responses)",
    sweep_variable="L", kind="upper", exponent=-0.5, tolerance=0.1, provenance="[R]",
    statistic="quantile", delta=DELTA, trivial_max=_horizon_max))

register(Theorem(
    id="hetpevi.game.sandwich", paper=PAPER, arxiv=ARXIV,
    number="good event of the game variant [R]; certificate [D]",
    statement="w.p. >= 1 - delta: V_low <= V*_Nash <= V_up at every (h, s) and "
              "exploitability <= rho @ (V_up[0] - V_low[0])",
    quantity="indicator of the sandwich and the certificate", sweep_variable="L",
    kind="lower", exponent=None, bound=_one_minus_delta, provenance="[D]",
    statistic="fraction", delta=DELTA))
