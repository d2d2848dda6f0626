r"""Theorems of PNLSVI (Di, Zhao, He, Gu 2024, arXiv 2310.01380) and of the PEVI family it
improves on (PEVI, Jin-Yang-Wang 2021; LinPEVI-ADV+, Xiong et al. 2023), as data, with the
closed forms the experiments measure against.

Quantities (all exact given the realised dataset; ``V`` averaged over the initial law ``rho``):

* **sub-optimality** ``SubOpt = V*_1 - V^{pi^}_1`` (exact policy evaluation);
* **pessimism gap** ``G = V*_1 - V^_1`` (``>= SubOpt`` on the good event; it decays smoothly,
  whereas SubOpt collapses to 0 once the action gaps are resolved: v2 note 1.7 pitfall 3);
* **Lemma 6.4 ratio** ``SubOpt / (2 sum_h E_{pi*}[b_h])`` with the algorithm's own bonus ``b_h``
  (Lemma 6.4 [V]: ``<= 1`` on the event ``|T_h f^_{h+1} - f~_h| <= b_h``, which Theorem 5.1 /
  Jin et al. Thm 4.4 give w.p. >= 1 - delta);
* **instance functional** ``F* = sum_h E_{pi*} ||phi(s_h, a_h)||_{Sigma*_h^{-1}}``, ``Sigma*_h =
  sum_k phi phi^T / [V_h V*_{h+1}](z_h^k) + lam I`` on the planning fold (Remark 5.2 [V]), and the
  ratio ``G / (beta F*)`` whose K-slope the theory predicts to be 0;
* **pessimism** ``V^_h <= V^{pi^}_h <= V*_h`` at every (h, s): a 0/1 per run.

Provenance: Theorem 5.1, Remark 5.2, Lemma 6.4 and the burn-in ``K >= Omega~(log(N N_b) H^6 /
kappa^2)`` are [V]; the LinPEVI-ADV+ bound and burn-in ``K > Omega~(d^2 H^6)`` are [V3] (Tan et
al. 2024's restatement); PEVI's Theorem 4.4 is [V3]; the K-exponents of the gap and the H- and
d-exponents are [D] (derived from those bounds on rlth's instances: uniform coverage makes
``||phi||_{Sigma*^{-1}} ~ sqrt(v d / K)``).
"""
from __future__ import annotations

import math

import numpy as np

from .._validation import as_float_array, check_positive_float
from ..estimators.linear import elliptical_norms, gram_matrix
from . import Theorem, register

__all__ = ["truncated_variance", "instance_functional", "pnlsvi_burn_in", "adv_burn_in",
           "finite_class_kappa", "PAPER", "ARXIV", "DELTA"]

PAPER = "Di, Zhao, He, Gu (2024)"
ARXIV = "2310.01380"
DELTA = 0.1

_JIN = "Jin, Yang, Wang (2021), as checked in Di et al. (2024)"
_XIONG = "Xiong et al. (2023), as checked in Di et al. (2024)"


# ============================================================================ closed forms
def truncated_variance(mdp, V_next) -> np.ndarray:
    r"""``[V_h V](s, a) = max{1, Var_{P_h(.|s,a)} V_{h+1}}`` for every stage (Thm 5.1 [V]).

    Parameters
    ----------
    mdp : FiniteHorizonMDP
    V_next : array_like, shape (H + 1, S)
        Values; stage h reads ``V_next[h + 1]`` (pass ``backward_induction(mdp).V``).

    Returns
    -------
    ndarray, shape (H, S, A)
    """
    H, S = mdp.horizon, mdp.n_states
    V = as_float_array("V_next", V_next, shape=(H + 1, S))
    P = np.broadcast_to(mdp.P_stages, (H, S, mdp.n_actions, S))
    m1 = np.einsum("hsat,ht->hsa", P, V[1:])
    m2 = np.einsum("hsat,ht->hsa", P, V[1:] ** 2)
    return np.maximum(1.0, m2 - m1 * m1)


def instance_functional(phi, counts, variance, occupancy_star, *, lam: float) -> float:
    r"""``sum_h sum_{s,a} d*_h(s,a) ||phi(s,a)||_{Sigma*_h^{-1}}`` on the realised counts.

    ``Sigma*_h = sum_{s,a} n_h(s,a) phi phi^T / variance_h(s,a) + lam I`` (Remark 5.2 [V]; with
    ``variance = 1`` it is PEVI's ``Lambda_h``).

    Parameters
    ----------
    phi : array_like, shape (S, A, d) or (H, S, A, d)
    counts : array_like of int, shape (H, S, A)
    variance : array_like, shape (H, S, A) or None
    occupancy_star : array_like, shape (H, S, A)
        Occupancy of an optimal policy.
    lam : float

    Returns
    -------
    float
    """
    lam = check_positive_float("lam", lam)
    G = gram_matrix(phi, counts, lam=lam, sigma2=variance)
    norms = elliptical_norms(phi, G)
    occ = as_float_array("occupancy_star", occupancy_star, shape=norms.shape)
    return float(np.sum(occ * norms))


def pnlsvi_burn_in(log_NNb: float, horizon: int, kappa: float) -> float:
    """Theorem 5.1's burn-in ``log(N N_b) H^6 / kappa^2`` (constant 1, logs as given) [V]."""
    return float(log_NNb) * horizon ** 6 / float(kappa) ** 2


def adv_burn_in(dim: int, horizon: int) -> float:
    """LinPEVI-ADV+'s burn-in ``d^2 H^6`` (Tan et al. 2024 on Xiong Thm 2, constant 1) [V3]."""
    return float(dim) ** 2 * horizon ** 6


def finite_class_kappa(F, occupancy) -> float:
    r"""Coverage constant of a finite class (Assumption 3.3 [V]), exactly by enumeration.

    ``kappa = min_h min_{f1 != f2} E_{d_h}[(f1 - f2)^2] / ||f1 - f2||_inf^2`` over the pairs of
    ``F[h]`` that differ (an identical pair constrains nothing).

    Parameters
    ----------
    F : array_like, shape (H, M, S, A)
    occupancy : array_like, shape (H, S, A)
        Behaviour occupancy ``d^mu_h``.
    """
    F = as_float_array("F", F, ndim=4)
    occ = as_float_array("occupancy", occupancy, shape=(F.shape[0],) + F.shape[2:])
    best = math.inf
    for h in range(F.shape[0]):
        diff = F[h][:, None] - F[h][None, :]
        sup = np.max(np.abs(diff), axis=(2, 3))
        mean = np.einsum("ijsa,sa->ij", diff * diff, occ[h])
        mask = sup > 0
        if np.any(mask):
            best = min(best, float(np.min(mean[mask] / sup[mask] ** 2)))
    return best if math.isfinite(best) else 1.0


# ============================================================================ theorems
_GAP = "pessimism gap V*_1 - V^_1 (rho-averaged, exact V*), (1 - delta)-quantile over datasets"
_SUB = ("SubOpt / (2 sum_h E_{pi*}[b_h]) with the algorithm's own bonus b_h "
        "(exact SubOpt and occupancy), (1 - delta)-quantile")
_PESS = "1 if V^_h <= V^{pi^}_h <= V*_h at every (h, s) (exact values), else 0"


def _lemma(alg: str, sub_id: str, pess_id: str, number: str, provenance: str) -> None:
    register(Theorem(
        id=sub_id, paper=PAPER, arxiv=ARXIV, number=number,
        statement=f"{alg}: w.p. >= 1 - delta, SubOpt <= 2 sum_h E_pi*[b_h] (level 1 for the ratio)",
        quantity=_SUB, sweep_variable="K", kind="upper", exponent=None,
        bound=lambda x, **_: 1.0, statistic="quantile", delta=DELTA, provenance=provenance,
        notes="a level check at every K (no slope): the ratio's (1-delta)-quantile must be <= 1"))
    register(Theorem(
        id=pess_id, paper=PAPER, arxiv=ARXIV,
        number=number + "; pessimism on the good event",
        statement=f"{alg}: V^ <= V^pi^ <= V* in a fraction >= 1 - delta of the datasets",
        quantity=_PESS, sweep_variable="K", kind="lower", exponent=None,
        bound=lambda x, delta=DELTA, **_: 1.0 - delta, statistic="fraction", delta=DELTA,
        provenance=provenance))


def _gap(alg: str, gap_id: str, number: str, provenance: str, burn: str) -> None:
    register(Theorem(
        id=gap_id, paper=PAPER, arxiv=ARXIV, number=number,
        statement=f"{alg}: w.p. >= 1 - delta the pessimism gap decays as K^-1/2 (the bonus sum "
                  "along pi*, ~ beta sqrt(v d / K) per stage under uniform coverage)",
        quantity=_GAP, sweep_variable="K", kind="rate", exponent=-0.5,
        regime=f"past the burn-in ({burn}); fitted past the measured clipping of the bonus",
        statistic="quantile", delta=DELTA, tolerance=0.1, provenance=provenance,
        notes="divided by sqrt(zeta) = sqrt(log(2dHK/delta)), the log inside beta"))


_lemma("PEVI", "pnlsvi.pevi.subopt", "pnlsvi.pevi.pessimism",
       "Jin et al. (2021) Thm 4.4; Di et al. Lemma 6.4 form",
       "[V3] statement (Jin Thm 4.4), [V] Lemma 6.4")
_gap("PEVI", "pnlsvi.pevi.gap", "Jin et al. (2021) Thm 4.4 (dH sum E||phi||_{Lambda^-1})",
     "[V3] bound, [D] exponent", "none stated")
_lemma("LinPEVI-ADV+", "pnlsvi.adv.subopt", "pnlsvi.adv.pessimism",
       "Xiong et al. (2023) Thm 2 [V3]; Di et al. Lemma 6.4",
       "[V3] statement, [V] Lemma 6.4")
_gap("LinPEVI-ADV+", "pnlsvi.adv.gap",
     "Xiong et al. (2023) Thm 2 (sqrt(d) sum E||phi||_{Sigma*^-1}) [V3]",
     "[V3] bound, [D] exponent", "K > d^2 H^6")
_lemma("PNLSVI (linear class)", "pnlsvi.linear.subopt", "pnlsvi.linear.pessimism",
       "Theorem 5.1 / Remark 5.2 via Lemma 6.4",
       "[V] Thm 5.1, Remark 5.2, Lemma 6.4")
_gap("PNLSVI (linear class)", "pnlsvi.linear.gap", "Theorem 5.1 / Remark 5.2",
     "[V] bound, [D] exponent", "K >= log(N N_b) H^6 / kappa^2")
_lemma("PNLSVI (finite class, exact D^2 oracle)", "pnlsvi.finite.subopt",
       "pnlsvi.finite.pessimism", "Theorem 5.1 via Lemma 6.4",
       "[V] Thm 5.1, Definition 4.1, Lemma 6.4")
register(Theorem(
    id="pnlsvi.finite.gap", paper=PAPER, arxiv=ARXIV, number="Theorem 5.1 (finite class)",
    statement="PNLSVI, finite class, exact oracle: w.p. >= 1 - delta the pessimism gap decays at "
              "least as fast as the bound's sum_h E_pi* D_F ~ K^-1/2 (an upper bound: the exact "
              "oracle's bonus is below C D_F sqrt(beta^2 + lam) and vanishes once the data "
              "isolate the fitted candidate)",
    quantity=_GAP, sweep_variable="K", kind="upper", exponent=-0.5,
    regime="past the burn-in (K >= log(N N_b) H^6 / kappa^2); fitted where the gap is positive "
           "and the bonus is not clipped",
    statistic="quantile", delta=DELTA, tolerance=0.1, provenance="[V] bound, [D] exponent",
    notes="divided by sqrt(zeta); registered as 'rate' in a first version, which measured "
          "-0.64 on the shift class: the theorem only bounds the gap from above"))

register(Theorem(
    id="pnlsvi.linear.subopt_rate", paper=PAPER, arxiv=ARXIV,
    number="Theorem 5.1 / Remark 5.2 (and Jin Thm 4.4, Xiong Thm 2) on a K-dependent family [D]",
    statement="w.p. >= 1 - delta SubOpt <= O~(sqrt d) sum_h E_pi* ||phi||_{Sigma*^-1} ~ K^-1/2; "
              "on the coin MDP whose gap shrinks as 1/sqrt(K) (a fixed instance's SubOpt "
              "collapses to 0) the sub-optimality decays no slower than K^-1/2",
    quantity="sub-optimality V*_1 - V^{pi^}_1 (exact), (1 - delta)-quantile",
    sweep_variable="K", kind="upper", exponent=-0.5, statistic="quantile", delta=DELTA,
    tolerance=0.1, provenance="[V] bound, [D] family and exponent",
    regime="past the measured clipping of the bonus (all sqrt(d)-radius learners); PEVI's "
           "clipped regime lasts to K ~ 1e6",
    notes="not the minimax lower-bound family of the literature (not built): the gap is only "
          "least favourable in scale"))

register(Theorem(
    id="pnlsvi.linear.gap_ratio", paper=PAPER, arxiv=ARXIV, number="Remark 5.2",
    statement="G / (beta sum_h E_pi* ||phi||_{Sigma*_h^-1}) is flat in K (the bound is "
              "instance-dependent and tight up to constants)",
    quantity="pessimism gap divided by beta F*(D), F* computed on the realised planning fold "
             "with the exact truncated variances; (1 - delta)-quantile",
    sweep_variable="K", kind="rate", exponent=0.0, statistic="quantile", delta=DELTA,
    tolerance=0.1, provenance="[V] functional, [D] flatness",
    regime="past the measured clipping of the bonus"))

register(Theorem(
    id="pnlsvi.linear.horizon", paper=PAPER, arxiv=ARXIV,
    number="Remark 5.2 / Xiong Thm 2 on a low-variance instance [D exponent]",
    statement="with V = 1 along pi* and uniform coverage, the weighted gap grows like H "
              "(sqrt(d) sum_h sqrt(v/n), d fixed)",
    quantity=_GAP + ", oracle variance, at fixed large K",
    sweep_variable="H", kind="rate", exponent=1.0, statistic="quantile", delta=DELTA,
    tolerance=0.15, provenance="[D]",
    notes="divided by sqrt(zeta); at K fixed large enough that no bonus is clipped"))

register(Theorem(
    id="pnlsvi.pevi.horizon", paper=PAPER, arxiv=ARXIV,
    number="Jin et al. (2021) Thm 4.4 on a low-variance instance [D exponent]",
    statement="PEVI's gap grows like H^2 (beta = dH sqrt(zeta) times H stages of 1/sqrt(n))",
    quantity=_GAP + ", at fixed large K", sweep_variable="H", kind="rate", exponent=2.0,
    statistic="quantile", delta=DELTA, tolerance=0.15, provenance="[D]",
    notes="divided by sqrt(zeta)"))

register(Theorem(
    id="pnlsvi.pevi.dim", paper=PAPER, arxiv=ARXIV,
    number="Jin et al. (2021) Thm 4.4, d-dependence [D exponent]",
    statement="PEVI's gap grows like d^1.5 on simplex-feature linear MDPs (beta ~ d, "
              "||phi||_{Lambda^-1} ~ sqrt(d/K))",
    quantity=_GAP + ", at fixed large K", sweep_variable="d", kind="rate", exponent=1.5,
    statistic="quantile", delta=DELTA, tolerance=0.25, provenance="[D]",
    notes="one random instance per d; divided by sqrt(zeta)"))

register(Theorem(
    id="pnlsvi.adv.dim", paper=PAPER, arxiv=ARXIV,
    number="Xiong et al. (2023) Thm 2 / Remark 5.2, d-dependence [D exponent]",
    statement="the sqrt(d)-radius methods' gap grows like d (beta ~ sqrt d, "
              "||phi||_{Sigma*^-1} ~ sqrt(d/K))",
    quantity=_GAP + ", oracle variance, at fixed large K", sweep_variable="d", kind="rate",
    exponent=1.0, statistic="quantile", delta=DELTA, tolerance=0.25, provenance="[D]",
    notes="one random instance per d; divided by sqrt(zeta)"))


# ============================================================================ two-point family
def coin_pair_bayes(mdp_plus, mdp_minus, coin_state: int = 0):
    r"""Exact ingredients of the Bayes risk of a two-point family that differs only at one state.

    The two MDPs must share everything except the transition rows of ``coin_state`` (e.g.
    :func:`rlth.instances.linear_offline.onehot_coin` with ``fair_action = 0`` and ``1``).  Every
    deterministic Markov policy that plays the optimal action elsewhere (the same in both
    members) and any of the ``A^H`` action sequences at ``coin_state`` is evaluated exactly in
    both members; the Bayes-optimal policy for a posterior ``p`` on ``mdp_plus`` maximizes ``p
    V^pi_+ + (1 - p) V^pi_-`` among them [D].

    Returns
    -------
    dict
        ``loss_plus[j]``, ``loss_minus[j]`` (sub-optimality of candidate j in each member) and
        ``log_ratio[h, a, s']`` = ``log P_+(s'|c, a) - log P_-(s'|c, a)`` (stage h).
    """
    import itertools

    from ..solvers.dp import backward_induction, evaluate_policy
    H, S, A = mdp_plus.horizon, mdp_plus.n_states, mdp_plus.n_actions
    sp, sm = backward_induction(mdp_plus), backward_induction(mdp_minus)
    base = sp.pi.copy()
    if not np.array_equal(np.delete(sp.pi, coin_state, axis=1),
                          np.delete(sm.pi, coin_state, axis=1)):
        raise ValueError("mdp_minus: optimal actions differ outside coin_state")
    lp, lm = [], []
    for seq in itertools.product(range(A), repeat=H):
        pi = base.copy()
        pi[:, coin_state] = seq
        lp.append(sp.value - evaluate_policy(mdp_plus, pi).value)
        lm.append(sm.value - evaluate_policy(mdp_minus, pi).value)
    Pp = np.broadcast_to(mdp_plus.P_stages, (H, S, A, S))[:, coin_state]
    Pm = np.broadcast_to(mdp_minus.P_stages, (H, S, A, S))[:, coin_state]
    with np.errstate(divide="ignore"):
        log_ratio = np.where((Pp > 0) & (Pm > 0), np.log(Pp) - np.log(Pm), 0.0)
    return {"loss_plus": np.array(lp), "loss_minus": np.array(lm), "log_ratio": log_ratio}


def bayes_loss(ingredients, next_counts, coin_state: int, member_plus: bool) -> float:
    """Loss of the Bayes-optimal policy (uniform prior) on one dataset of one member [D].

    ``next_counts[h, s, a, s']`` of the dataset; the posterior log-odds of ``mdp_plus`` is the
    log-likelihood ratio of the coin state's transitions (every other count has the same law in
    both members); ties (log-odds 0) are split 1/2-1/2.
    """
    llr = float(np.sum(next_counts[:, coin_state] * ingredients["log_ratio"]))
    p = 1.0 / (1.0 + math.exp(-llr)) if abs(llr) < 700 else float(llr > 0)
    lp, lm = ingredients["loss_plus"], ingredients["loss_minus"]
    post = p * lp + (1.0 - p) * lm                      # posterior expected loss of each candidate
    best = np.flatnonzero(post <= post.min() + 1e-15)
    loss = lp[best] if member_plus else lm[best]
    return float(np.mean(loss))


register(Theorem(
    id="pnlsvi.linear.minimax_level", paper=PAPER, arxiv=ARXIV,
    number="minimax optimality claimed for the linear case (abstract, Remark 5.2, via Xiong et "
           "al. 2023's lower bound) [V claim]; two-point family [D]",
    statement="on the two-point coin family {fair coin = action 0, = action 1} with gap "
              "1/sqrt(K), every learner's prior-averaged sub-optimality is >= the exact Bayes "
              "risk R*(K) (a level; the ratio to R* is the learner's minimax inefficiency)",
    quantity="prior-averaged sub-optimality (1/2)(SubOpt_+ + SubOpt_-), exact values, mean over "
             "datasets",
    sweep_variable="K", kind="lower", exponent=None, statistic="mean", provenance="[D]",
    notes="compared with the Bayes-optimal rule's risk at the same K (Monte Carlo over the same "
          "count law); a FAIL would mean a bug in the accounting"))

register(Theorem(
    id="pnlsvi.linear.minimax_rate", paper=PAPER, arxiv=ARXIV,
    number="shape of the two-point minimax risk [D]",
    statement="the Bayes risk R*(K) of the two-point coin family with gap 1/sqrt(K) decays as "
              "K^-1/2 (scale invariance of the information-limited regime)",
    quantity="Bayes-optimal rule's prior-averaged sub-optimality, mean over datasets",
    sweep_variable="K", kind="rate", exponent=-0.5, statistic="mean", tolerance=0.1,
    provenance="[D]"))
