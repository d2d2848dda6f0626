"""GLOW / HyGLOW (Amortila, Foster, Jiang, Sekhari, Xie, ICLR 2024, arXiv 2401.09681).

The paper has no experiments; these are the first figures of its algorithms.  Every regret and
risk is exact (``J`` of each played policy from the true model); classes are finite model
classes containing the truth (:mod:`rlth.instances.finite_classes`); ``delta = 0.1``; GLOW's
``gamma`` is Theorem 3.1's tuning with the exact ``C_cov`` (oracle tuning), one run per ``T``.

Experiments
-----------
``glow_rate``
    GLOW, paper constants, on a 2-context 2-arm contextual bandit with 2 reward models and
    gap 1 (deterministic rewards, so every residual of the wrong model is m = 1), T up to 3e7
    (numba engine).  Check ``glow.online.regret`` (slope <= 1/2 of the 0.9-quantile) only past
    the *measured* burn-in: T >= 5 x the first round at which F(t) drops a function.
``glow_cb``
    Same bandit with gap 1/2 (Bernoulli rewards): GLOW paper constants, GLOW with
    ``conf_scale = 0.01`` (named ablation), the unclipped unregularized set (ablation of both
    novelties), GOLF (constant 32, [R]) and uniform exploration (exact expected regret).
    Checks: the explicit Lemma E.4 bound as a level (``glow.online.regret_bound``), Lemma E.2(a)
    (``glow.online.qstar``), Lemma E.3 corrected (``glow.online.potential``), Lemma D.5
    (``glow.online.elliptic``).
``glow_lock``
    Combination locks (H = 3, A = 2, noise 0.1, gap 1/2, 8 codes): GLOW paper / conf_scale 0.01,
    GOLF; the same lemma checks.
``glow_exact``
    Deterministic checks on four classes: ``C_cov`` closed form vs the LP of Definition 2.1
    (``glow.online.ccov``), Lemma D.4 for every f (``glow.online.d4``).
``glow_hybrid``
    HyGLOW (H2O + MABO.CR, Cor. 4.1 tuning, run at delta/T) on the gap-1/2 bandit with offline
    data nu = lam d^{pi*} + (1 - lam) uniform, lam in {0, 0.9} (C* = 2, 1.05); baselines H2O +
    MLE and offline MABO.CR on the T offline tuples.  Checks ``glow.hybrid.risk`` (slope <= -1/2
    of the 0.9-quantile) and the explicit Theorem 4.1 level (``glow.hybrid.risk_bound``).
``glow_hybrid_cstar``
    HyGLOW with offline data off the support of d* (C* = 1/lam in {1, 10, 100}): the T-rate
    ``glow.hybrid.risk`` per C*, and the risk against C* + C_cov at fixed T (figure only).
``glow_hybrid_lock``
    (full profile) HyGLOW and H2O + MLE on the H = 2 lock: figure only (see the docs page: at the
    Cor. 4.1 tuning the penalty 8/(gamma t) dominates MABO.CR until gamma t ~ 8/m, and ties go to
    the lowest index).

Run: ``rlth check glow --profile quick`` (or ``python experiments/glow.py``).
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from rlth.experiment import Check, Experiment, Figure

DELTA = 0.1
CONF_SCALE = 0.01          # named ablation of beta_t (1 = paper)
BURN_IN = 5.0              # fit GLOW's slope only for T > 5 x measured first elimination


def _logspace(lo, hi, n):
    return [int(round(v)) for v in np.logspace(lo, hi, n)]


@lru_cache(maxsize=32)
def _instance(kind: str):
    from rlth.algorithms.online.glow import class_quantities, coverability
    from rlth.instances import finite_classes as fc
    if kind == "cb_gap1":
        mc = fc.contextual_bandit_class(2, 2, 1.0)
    elif kind == "cb":
        mc = fc.contextual_bandit_class(2, 2, 0.5)
    elif kind == "cb3":
        mc = fc.contextual_bandit_class(3, 3, 0.5, family="codes")
    elif kind == "lock2":
        mc = fc.combination_lock_class(2, 2, 0.1, 0.5)
    elif kind == "lock3":
        mc = fc.combination_lock_class(3, 2, 0.1, 0.5)
    else:
        raise ValueError(f"kind: unknown instance {kind!r}")
    cq = class_quantities(mc)
    return mc, cq, coverability(cq)


def _glow_gamma(mc, cq, c_cov, T):
    from rlth.algorithms.online.glow import glow_log_term, log_weight_class_size, theorem31_gamma
    lw = log_weight_class_size(cq.n_models, cq.n_policies, T, cq.horizon)
    return theorem31_gamma(c_cov, T, glow_log_term(cq.n_models, lw, T, cq.horizon, DELTA))


def _first_elimination(res, M, T):
    """First round with |F(t)| < |F|; T if none (a run that never eliminates is excluded by
    the measured burn-in)."""
    return float(min(res.first_elimination, T))


def _lemma_flags(cq, c_cov, pols, T):
    from rlth.algorithms.online.glow import potential_sums
    from rlth.theory.glow import lemma_d5_bound, lemma_e3_bound
    e3, d5 = potential_sums(cq, pols)
    return {"e3_ok": float(np.all(e3 <= lemma_e3_bound(c_cov, T) * (1 + 1e-12))),
            "e3_ratio": float(e3.max() / lemma_e3_bound(c_cov, T)),
            "d5_ok": float(np.all(d5 <= lemma_d5_bound(T) * (1 + 1e-12))),
            "d5_ratio": float(d5.max() / lemma_d5_bound(T))}


# ============================================================================ GLOW
def run_rate(params, rng):
    """glow_rate: GLOW paper constants, numba engine; exact regret, measured burn-in."""
    from rlth.algorithms.online.glow import GLOW, run_class_learner
    T = int(params["T"])
    mc, cq, c_cov = _instance(params["kind"])
    g = _glow_gamma(mc, cq, c_cov, T)
    res = run_class_learner(GLOW(mc, T, gamma=g, delta=DELTA), rng=rng)
    return {"regret": res.regret, "first_elim": _first_elimination(res, cq.n_models, T),
            "qstar_kept": float(res.qstar_kept), "gamma": g}


def run_glow(params, rng):
    """glow_cb / glow_lock: GLOW (paper, conf_scale), ablation, GOLF, uniform; lemma flags."""
    from rlth.algorithms.online.glow import GLOW, GOLF, run_class_learner
    T = int(params["T"])
    mc, cq, c_cov = _instance(params["kind"])
    g = _glow_gamma(mc, cq, c_cov, T)
    r_paper, r_scaled, r_abl, r_golf = rng.spawn(4)
    paper = run_class_learner(GLOW(mc, T, gamma=g, delta=DELTA), rng=r_paper)
    out = {"regret": paper.regret, "qstar_kept": float(paper.qstar_kept),
           "first_elim": _first_elimination(paper, cq.n_models, T)}
    out.update(_lemma_flags(cq, c_cov, paper.policies, T))
    scaled = run_class_learner(GLOW(mc, T, gamma=g, delta=DELTA, conf_scale=CONF_SCALE),
                               rng=r_scaled)
    out["regret_scaled"] = scaled.regret
    out["qstar_kept_scaled"] = float(scaled.qstar_kept)
    abl = run_class_learner(GLOW(mc, T, gamma=g, delta=DELTA, variant="unclipped"), rng=r_abl)
    out["regret_unclipped"] = abl.regret
    if T <= int(params.get("golf_max_T", 10**9)):
        golf = run_class_learner(GOLF(mc, T, delta=DELTA), rng=r_golf)
        out["regret_golf"] = golf.regret
    else:
        out["regret_golf"] = float("nan")
    out["regret_uniform"] = T * (cq.optimal_value - float(np.mean(cq.values[cq.policy_index])))
    return out


def _class_sizes(kind):
    mc, cq, c_cov = _instance(kind)
    return {"n_models": cq.n_models, "n_policies": cq.n_policies, "horizon": cq.horizon,
            "c_cov": c_cov}


RATE_T = {"quick": _logspace(4, 6, 3),
          "full": [10**4, 10**5, 3 * 10**5, 10**6, 3 * 10**6, 10**7, 3 * 10**7, 10**8]}

GLOW_RATE = Experiment(
    name="glow_rate",
    title="GLOW (paper constants, Thm 3.1 gamma, oracle C_cov = 2): 2-context 2-arm bandit, "
          "2 reward models, gap 1",
    run=run_rate,
    grids={p: [dict(T=T, kind="cb_gap1", delta=DELTA, **_class_sizes("cb_gap1")) for T in Ts]
           for p, Ts in RATE_T.items()},
    replicates={"quick": 3, "full": 3},
    checks=[Check("glow.online.regret", "regret", "T", burn_in_metric="first_elim",
                  burn_in_factor=BURN_IN, label="paper constants, T > 5 x first elimination"),
            Check("glow.online.qstar", "qstar_kept", "T",
                  label="paper constants (eliminations happen from T = 3e5)")],
    figures=[
        Figure("regret", "T", {"regret": "GLOW, paper constants"}, statistic="quantile",
               theorem="glow.online.regret_bound", xlabel="T (rounds)",
               ylabel="0.9-quantile of Reg(T) (exact)",
               title="GLOW paper constants (conf_scale = 1), gap-1 bandit; bound: Lemma E.4 "
                     "explicit"),
        Figure("burn_in", "T", {"first_elim": "first round with |F(t)| < |F| (T if none)"},
               xlabel="T (rounds)", ylabel="first elimination round",
               title="GLOW paper constants: measured burn-in (first elimination) vs T"),
    ],
    constants={"mode": "paper", "conf_scale": 1.0, "delta": DELTA, "K": 1,
               "gamma": "sqrt(C_cov/(T L)), C_cov exact (oracle)",
               "log|W|": "log|Pi| + |Pi| log(T+1) + log T (H = 1, multisets) [D]"},
)

CB_T = {"quick": _logspace(2, 3.5, 4), "full": _logspace(2, 5, 7)}
_GLOW_CHECKS = [
    Check("glow.online.regret_bound", "regret", "T", label="paper constants"),
    Check("glow.online.qstar", "qstar_kept", "T", label="paper constants"),
    Check("glow.online.potential", "e3_ok", "T", label="played sequence"),
    Check("glow.online.elliptic", "d5_ok", "T", label="played sequence"),
]


def _glow_figures(inst):
    return [
        Figure("regret", "T", {"regret": "GLOW paper (conf_scale=1)",
                               "regret_scaled": f"GLOW conf_scale={CONF_SCALE:g} (ablation)",
                               "regret_unclipped": "no clip, no penalty (ablation)",
                               "regret_golf": "GOLF (beta = 32 log(|F|HT/delta))",
                               "regret_uniform": "uniform over Pi (exact expectation)"},
               xlabel="T (rounds)", ylabel="mean Reg(T) (exact)",
               title=f"{inst}: GLOW vs GOLF vs ablations (paper constants unless named)"),
        Figure("regret_bound", "T", {"regret": "GLOW paper constants"}, statistic="quantile",
               theorem="glow.online.regret_bound", xlabel="T (rounds)",
               ylabel="0.9-quantile of Reg(T)",
               title=f"{inst}: measured regret vs the explicit Lemma E.4 bound (vacuous)"),
    ]


GLOW_CB = Experiment(
    name="glow_cb",
    title="GLOW and baselines on a 2-context 2-arm bandit, 2 reward models, gap 1/2",
    run=run_glow,
    grids={p: [dict(T=T, kind="cb", delta=DELTA, golf_max_T=10**4, **_class_sizes("cb"))
               for T in Ts] for p, Ts in CB_T.items()},
    replicates={"quick": 40, "full": 60},
    checks=_GLOW_CHECKS,
    figures=_glow_figures("bandit, gap 1/2"),
    constants={"mode": "paper + named ablations", "conf_scale": [1.0, CONF_SCALE],
               "delta": DELTA, "gamma": "Thm 3.1 tuning, oracle C_cov", "GOLF beta": 32.0},
)

LOCK_T = {"quick": _logspace(2, 3.5, 4), "full": _logspace(2, 4.5, 6)}
GLOW_LOCK = Experiment(
    name="glow_lock",
    title="GLOW and baselines on combination locks H = 3, A = 2, noise 0.1, gap 1/2 (8 codes)",
    run=run_glow,
    grids={p: [dict(T=T, kind="lock3", delta=DELTA, golf_max_T=3200, **_class_sizes("lock3"))
               for T in Ts] for p, Ts in LOCK_T.items()},
    replicates={"quick": 12, "full": 40},
    checks=_GLOW_CHECKS,
    figures=_glow_figures("lock H=3"),
    constants={"mode": "paper + named ablations", "conf_scale": [1.0, CONF_SCALE],
               "delta": DELTA, "gamma": "Thm 3.1 tuning, oracle C_cov", "GOLF beta": 32.0},
)


# ============================================================================ exact checks
EXACT_KINDS = ("cb", "cb3", "lock2", "lock3")


def _ccov_lp(cq):
    """Definition 2.1 as an LP: min C s.t. nu_h >= d_h^pi (all pi), sum nu_h = C (all h)."""
    from scipy.optimize import linprog
    occ = cq.true_occupancy                      # (P, H, S, A)
    P, H, S, A = occ.shape
    nvar = H * S * A + 1
    c = np.zeros(nvar)
    c[-1] = 1.0
    rows, rhs = [], []
    for p in range(P):
        for i in range(H * S * A):
            r = np.zeros(nvar)
            r[i] = -1.0
            rows.append(r)
            rhs.append(-occ[p].reshape(-1)[i])
    eq = np.zeros((H, nvar))
    for h in range(H):
        eq[h, h * S * A:(h + 1) * S * A] = 1.0
        eq[h, -1] = -1.0
    sol = linprog(c, A_ub=np.array(rows), b_ub=np.array(rhs), A_eq=eq, b_eq=np.zeros(H),
                  bounds=[(0, None)] * nvar, method="highs")
    return float(sol.fun)


def _d4_gap(mc, cq):
    """max_f |E_{x1}[f_1(x1, pi_f)] - J(pi_f) - sum_h E_{d^{pi_f}}[f_h - T_h f_{h+1}]|."""
    m = mc.true_model
    P, R = m.P, m.R
    worst = 0.0
    for f in range(cq.n_models):
        p = cq.policy_index[f]
        Q, V = cq.Q[f], cq.V[f]
        lhs = float(m.rho @ V[0]) - float(cq.values[p])
        TQ = R + np.einsum("hxay,hy->hxa", P, V[1:])
        rhs = float(np.sum(cq.true_occupancy[p] * (Q - TQ)))
        worst = max(worst, abs(lhs - rhs))
    return worst


def run_exact(params, rng):
    mc, cq, c_cov = _instance(params["kind"])
    return {"ccov_gap": abs(c_cov - _ccov_lp(cq)), "d4_gap": _d4_gap(mc, cq), "c_cov": c_cov}


GLOW_EXACT = Experiment(
    name="glow_exact",
    title="Deterministic checks: C_cov closed form vs the LP of Def. 2.1; Lemma D.4 for all f",
    run=run_exact,
    grids={p: [{"instance": i + 1, "kind": k} for i, k in enumerate(EXACT_KINDS)]
           for p in ("quick", "full")},
    replicates={"quick": 2, "full": 2},
    checks=[Check("glow.online.ccov", "ccov_gap", "instance", label="4 classes"),
            Check("glow.online.d4", "d4_gap", "instance", label="4 classes, every f")],
    figures=[],
    constants={"instances": list(EXACT_KINDS)},
)


# ============================================================================ HyGLOW
LAMS = (0.0, 0.9)


def run_hybrid(params, rng):
    """HyGLOW (H2O + MABO.CR, Cor. 4.1 gamma, delta/T) and baselines; exact risk."""
    from rlth.algorithms.online.glow import run_class_learner
    from rlth.algorithms.online.hyglow import (H2O, OfflineMABOCR, corollary41_gamma,
                                               hyglow_log_w, offline_distribution, run_hyglow,
                                               sample_offline, single_policy_concentrability)
    T, lam = int(params["T"]), float(params["lam"])
    mc, cq, c_cov = _instance(params["kind"])
    nu = offline_distribution(cq, lam)
    c_star = single_policy_concentrability(mc, cq, nu)
    d_alg = DELTA / T
    lw = hyglow_log_w(cq.n_models, cq.n_policies, T, cq.horizon)
    g = corollary41_gamma(c_star, c_cov, T, cq.horizon, cq.n_models, lw, d_alg)
    r_off, r_on, r_mle = rng.spawn(3)
    nan = float("nan")
    off = sample_offline(mc, nu, T, rng=r_off)
    res = run_hyglow(H2O(mc, T, offline=off, nu=nu, gamma=g, delta=d_alg), rng=r_on)
    out = {"risk": res.risk, "gamma": g, "c_star": c_star}
    if T <= int(params.get("baselines_max_T", 0)):
        mle = run_class_learner(H2O(mc, T, offline=off, nu=nu, base="mle", delta=d_alg),
                                rng=r_mle)
        out["risk_mle"] = mle.risk
        p = OfflineMABOCR(mc, nu=nu, gamma=g, delta=d_alg).fit(off, T)
        out["risk_offline"] = float(cq.optimal_value - cq.values[p])
    else:
        out["risk_mle"] = out["risk_offline"] = nan
    return out


def _hyb_points(kind, Ts, baselines_max_T):
    mc, cq, c_cov = _instance(kind)
    from rlth.algorithms.online.hyglow import hyglow_log_w
    pts = []
    for lam in LAMS:
        for T in Ts:
            pts.append(dict(T=T, lam=lam, kind=kind, delta=DELTA, baselines_max_T=baselines_max_T,
                            n_models=cq.n_models, horizon=cq.horizon, c_cov=c_cov,
                            n_weights=int(round(math.exp(hyglow_log_w(
                                cq.n_models, cq.n_policies, T, cq.horizon)))),
                            c_star=_cstar(kind, lam), gamma=_hyb_gamma(kind, lam, T)))
    return pts


def _cstar(kind, lam):
    from rlth.algorithms.online.hyglow import offline_distribution, single_policy_concentrability
    mc, cq, _ = _instance(kind)
    return single_policy_concentrability(mc, cq, offline_distribution(cq, lam))


def _hyb_gamma(kind, lam, T):
    from rlth.algorithms.online.hyglow import corollary41_gamma, hyglow_log_w
    mc, cq, c_cov = _instance(kind)
    lw = hyglow_log_w(cq.n_models, cq.n_policies, T, cq.horizon)
    return corollary41_gamma(_cstar(kind, lam), c_cov, T, cq.horizon, cq.n_models, lw,
                             DELTA / T)


HYB_T = {"quick": _logspace(1, 4, 7), "full": _logspace(1, 5, 9)}
GLOW_HYBRID = Experiment(
    name="glow_hybrid",
    title="HyGLOW (H2O + MABO.CR, Cor. 4.1 gamma, oracle C*, C_cov, nu) on the gap-1/2 bandit, "
          "offline nu = lam d* + (1-lam) uniform",
    run=run_hybrid,
    grids={"quick": _hyb_points("cb", HYB_T["quick"], 316),
           "full": _hyb_points("cb", HYB_T["full"], 1000)},
    replicates={"quick": 60, "full": 100},
    checks=[Check("glow.hybrid.risk", "risk", "T", where={"lam": lam},
                  label=f"lam={lam:g} (C*={_cstar('cb', lam):.2f})") for lam in LAMS]
    + [Check("glow.hybrid.risk_bound", "risk", "T", where={"lam": lam}, label=f"lam={lam:g}")
       for lam in LAMS],
    figures=[
        Figure("risk", "T", {"risk": "HyGLOW"}, group_by="lam", statistic="quantile",
               theorem="glow.hybrid.risk", xlabel="T (rounds = offline tuples per layer)",
               ylabel="0.9-quantile of the risk of Unif(pi^(1..T))",
               title="HyGLOW, one curve per lam (C* = 2 at lam=0, 1.05 at lam=0.9)"),
        Figure("baselines", "T", {"risk": "HyGLOW", "risk_mle": "H2O + MLE",
                                  "risk_offline": "offline MABO.CR (T tuples)"},
               where={"lam": 0.0}, xlabel="T", ylabel="mean risk (exact)",
               title="lam = 0 (C* = 2): HyGLOW vs H2O + MLE vs offline MABO.CR"),
    ],
    constants={"mode": "paper", "delta": DELTA, "delta_alg": "delta/T",
               "gamma": "Cor. 4.1, oracle C*, C_cov; nu given to the learner (oracle)",
               "alpha_t": "8/(gamma t)", "lam": list(LAMS)},
)

GLOW_HYBRID_LOCK = Experiment(
    name="glow_hybrid_lock",
    title="HyGLOW and H2O + MLE on the H = 2 lock (A = 2, noise 0.1, gap 1/2, 4 codes)",
    run=run_hybrid,
    grids={"quick": _hyb_points("lock2", [10, 30], 10**9),
           "full": _hyb_points("lock2", _logspace(1, 4, 7), 3200)},
    replicates={"quick": 2, "full": 30},
    checks=[],
    figures=[
        Figure("risk", "T", {"risk": "HyGLOW", "risk_mle": "H2O + MLE",
                             "risk_offline": "offline MABO.CR"}, group_by="lam",
               xlabel="T", ylabel="mean risk (exact)",
               title="lock H=2: HyGLOW at the Cor. 4.1 tuning vs H2O + MLE (paper constants)"),
    ],
    constants={"mode": "paper", "delta": DELTA, "delta_alg": "delta/T"},
)

CSTAR_LAMS = (1.0, 0.1, 0.01)


def run_cstar(params, rng):
    """glow_hybrid_cstar: HyGLOW with nu = lam d* + (1 - lam) Unif(off the support of d*), so
    C* = 1/lam exactly; Cor. 4.1 gamma (oracle C*, C_cov), delta/T; exact risk."""
    from rlth.algorithms.online.hyglow import (H2O, corollary41_gamma, hyglow_log_w,
                                               offline_distribution, run_hyglow,
                                               sample_offline, single_policy_concentrability)
    T, lam = int(params["T"]), float(params["lam"])
    mc, cq, c_cov = _instance(params["kind"])
    nu = offline_distribution(cq, lam, rest="off_support")
    c_star = single_policy_concentrability(mc, cq, nu)
    lw = hyglow_log_w(cq.n_models, cq.n_policies, T, cq.horizon)
    g = corollary41_gamma(c_star, c_cov, T, cq.horizon, cq.n_models, lw, DELTA / T)
    r_off, r_on = rng.spawn(2)
    off = sample_offline(mc, nu, T, rng=r_off)
    res = run_hyglow(H2O(mc, T, offline=off, nu=nu, gamma=g, delta=DELTA / T), rng=r_on)
    return {"risk": res.risk, "gamma": g, "c_star": c_star}


def _cstar_points(Ts):
    c_cov = _instance("cb")[2]
    return [dict(T=T, lam=lam, kind="cb", delta=DELTA, c_star=1.0 / lam, c_cov=c_cov)
            for lam in CSTAR_LAMS for T in Ts]


def _plus_ccov(x):
    return np.asarray(x, dtype=float) + 2.0          # C_cov = 2 on the bandit


CSTAR_T = {"quick": [10, 100, 316, 1000, 3162, 10000], "full": _logspace(1, 5, 9)}
GLOW_HYBRID_CSTAR = Experiment(
    name="glow_hybrid_cstar",
    title="HyGLOW on the gap-1/2 bandit with offline nu = lam d* + (1-lam) Unif(off-support): "
          "C* = 1/lam in {1, 10, 100}",
    run=run_cstar,
    grids={p: _cstar_points(Ts) for p, Ts in CSTAR_T.items()},
    replicates={"quick": 60, "full": 100},
    checks=[Check("glow.hybrid.risk", "risk", "T", where={"lam": lam},
                  label=f"off-support nu, C*={1 / lam:g}") for lam in CSTAR_LAMS],
    figures=[
        Figure("risk", "T", {"risk": "HyGLOW"}, group_by="lam", statistic="quantile",
               theorem="glow.hybrid.risk", xlabel="T",
               ylabel="0.9-quantile of the risk of Unif(pi^(1..T))",
               title="HyGLOW risk vs T, one curve per C* = 1/lam (off-support offline data)"),
        Figure("risk_vs_cstar", "c_star", {"risk": "HyGLOW"}, group_by="T",
               statistic="quantile", x_transform=_plus_ccov, xlabel="C* + C_cov",
               ylabel="0.9-quantile of the risk",
               title="HyGLOW risk vs C* + C_cov at fixed T (figure only)"),
    ],
    constants={"mode": "paper", "delta": DELTA, "delta_alg": "delta/T",
               "gamma": "Cor. 4.1, oracle C*, C_cov; nu given (oracle)",
               "nu": "lam d* + (1-lam) uniform off the support of d*", "lam": list(CSTAR_LAMS)},
)

EXPERIMENTS = [GLOW_RATE, GLOW_CB, GLOW_LOCK, GLOW_EXACT, GLOW_HYBRID, GLOW_HYBRID_LOCK,
               GLOW_HYBRID_CSTAR]


if __name__ == "__main__":
    import sys
    from rlth.cli import main_for
    sys.exit(main_for(EXPERIMENTS))
