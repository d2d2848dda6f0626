"""VPO (Cen et al. 2025, arXiv 2405.19320) on exact linear dueling bandits.

Experiments (theorems in :mod:`rlth.theory.vpo`; every constant [R] unless said otherwise):

``vpo_online``
    Cumulative KL-regularized regret vs T for online VPO (alpha_t = c sqrt(t/d), an alpha sweep),
    both sampling protocols, and the baselines: greedy MLE / online DPO (alpha = 0), XPO-style
    sampled bonus, ellipsoidal UCB on theta, Thompson sampling, uniform exploration.  One run
    per (T, replicate) (the rng of a sweep point is its own).  Checks ``vpo.online.regret``
    (slope <= 1/2, 0.9-quantile over runs).
``vpo_offline``
    Sub-optimality vs N of offline VPO (alpha = c sqrt(N/d)), DPO (alpha = 0), VPO with the
    chosen-response calibration and the ellipsoidal LCB, on data from behaviour laws
    pi_b ~ pi_ref exp(-lam r*) (lam = 0: the reference; larger lam: coverage of pi* shrinks; the
    coverage coefficient C is in each figure title).  Checks ``vpo.offline.subopt``.
``vpo_identities``
    The exact facts, on a fresh random instance per run: comparative statics online (certified
    by branch and bound) and offline, alpha = 0 = DPO's closed form, chosen calibration = DPO +
    alpha beta NLL, policy form = reward form.  Fraction-of-runs checks (must hold in every run).
"""
from __future__ import annotations

import functools

import numpy as np

from rlth.algorithms.preference.runner import run_dueling
from rlth.algorithms.preference.vpo import (EllipsoidUCBAgent, ThompsonAgent, UniformAgent,
                                            VPOAgent, calibration_measure, calibrated_value,
                                            dpo_nll_objective, offline_lcb, vpo_objective,
                                            vpo_offline, vpo_online_fit, vpo_policy_objective)
from rlth.data.duels import sample_duel_counts
from rlth.experiment import Check, Experiment, Figure
from rlth.instances.dueling import linear_dueling_bandit, tilted_behavior
from rlth.models.bandits import LinearDuelingBandit
from rlth.solvers.preference import kl_optimal_policy, regularized_regret, unregularized_regret
from rlth.theory.vpo import coverage_coefficient

# ------------------------------------------------------------------------------- instances

#: online instance: 1 context, 10 responses, d = 3, ||theta*|| = 2, beta = 0.5, pi_ref logits
#: N(0, 1.5^2) (instance seed 2405)
ONLINE = dict(n_contexts=1, n_responses=10, dim=3, norm=2.0, beta=0.5, ref_scale=1.5, seed=2405)
#: offline instance: 2 contexts, 20 responses, d = 4, ||theta*|| = 2, beta = 0.5, sigma = 1.5
OFFLINE = dict(n_contexts=2, n_responses=20, dim=4, norm=2.0, beta=0.5, ref_scale=1.5, seed=2406)


@functools.lru_cache(maxsize=None)
def instance(which: str):
    p = dict(ONLINE if which == "online" else OFFLINE)
    seed = p.pop("seed")
    return linear_dueling_bandit(rng=seed, **p)


def _describe(which):
    p = ONLINE if which == "online" else OFFLINE
    return (f"X={p['n_contexts']}, Y={p['n_responses']}, d={p['dim']}, ||theta*||={p['norm']}, "
            f"beta={p['beta']}, pi_ref=softmax({p['ref_scale']} N(0,1)) (seed {p['seed']})")


# ------------------------------------------------------------------------------- online

#: name -> (agent factory(radius, rng), description).  alpha_t = c sqrt(t/d).
RESTARTS = 1      # random restarts per round (plus the warm start and the origin)


def _agent(name, R, rng, certify_round=None):
    cert = () if certify_round is None else (certify_round,)
    if name == "greedy":
        return VPOAgent(0.0, radius=R, rng=rng, n_starts=0)      # convex: no restarts needed
    if name == "greedy_self":
        return VPOAgent(0.0, radius=R, protocol="self", rng=rng, n_starts=0)
    if name.startswith("vpo_c"):
        body = name[5:]
        self_ = body.endswith("_self")
        c = float(body[:-5] if self_ else body)
        return VPOAgent(c, radius=R, protocol="self" if self_ else "cal", rng=rng,
                        certify_rounds=cert, max_nodes=3000, gap_tol=1e-4, n_starts=RESTARTS)
    if name == "xpo":
        return VPOAgent(1.0, radius=R, calibration="samples", rng=rng, n_starts=RESTARTS)
    if name == "ucb":
        return EllipsoidUCBAgent(1.0, radius=R, rng=rng, n_starts=RESTARTS)
    if name == "ts":
        return ThompsonAgent(1.0, radius=R, rng=rng)
    if name == "uniform":
        return UniformAgent(radius=R, rng=rng)
    raise ValueError(f"algo: unknown {name!r}")


ALGOS = {"greedy": "greedy MLE / online DPO (alpha=0), (pi_t, pi_ref)",
         "greedy_self": "greedy, (pi_t, pi_t)",
         "vpo_c0.1": "VPO c=0.1", "vpo_c0.3": "VPO c=0.3", "vpo_c1": "VPO c=1",
         "vpo_c3": "VPO c=3", "vpo_c1_self": "VPO c=1, (pi_t, pi_t)",
         "xpo": "XPO-style (sampled pi_ref bonus, c=1)", "ucb": "ellipsoid UCB on theta",
         "ts": "Thompson (Laplace)", "uniform": "uniform exploration"}


def run_online(params, rng):
    """One run of ``algo`` for T rounds; exact regret; certified gap at the last round when
    ``certify`` is set (VPO only)."""
    m = instance("online")
    T = int(params["T"])
    R = float(np.linalg.norm(m.theta))        # the known bound of the class [R]
    seeds = rng.spawn(2)
    agent = _agent(params["algo"], R, seeds[0],
                   certify_round=T - 1 if params.get("certify") else None)
    res = run_dueling(m, agent, T, rng=seeds[1])
    gap = res.opt_gaps[-1]
    return {"regret": float(res.cumulative_regret[-1]),
            "reward_regret": float(res.cumulative_reward_regret[-1]),
            "last_regret": float(res.regret[-1]),
            "opt_gap": float(gap) if np.isfinite(gap) else float("nan")}


T_QUICK = (10, 32, 100, 320)
T_FULL = (10, 32, 100, 320, 1000)
ONLINE_QUICK = ("greedy", "vpo_c1")
ONLINE_FULL = tuple(ALGOS)

ONLINE_EXP = Experiment(
    name="vpo_online",
    title="Online VPO vs baselines, cumulative KL-regularized regret vs T; " + _describe("online"),
    run=run_online,
    grids={"quick": [{"algo": a, "T": T} for a in ONLINE_QUICK for T in T_QUICK],
           "full": [{"algo": a, "T": T, "certify": a == "vpo_c1" and T == 1000}
                    for a in ONLINE_FULL for T in T_FULL]},
    replicates={"quick": 12, "full": 16},
    checks=[Check(theorem="vpo.online.regret", metric="regret", x="T", where={"algo": a},
                  label=ALGOS[a]) for a in ("vpo_c1", "greedy")],
    figures=[Figure(name="regret", x="T", metrics={"regret": "Regret(T)"}, group_by="algo",
                    theorem="vpo.online.regret", statistic="quantile", xlabel="T",
                    ylabel="0.9-quantile of cumulative KL-regularized regret",
                    title="Online VPO (alpha_t = c sqrt(t/d) [R], ball ||theta|| <= ||theta*||) "
                          "and baselines\n" + _describe("online")),
             Figure(name="regret_mean", x="T", metrics={"regret": "Regret(T)"},
                    group_by="algo", xlabel="T", ylabel="mean cumulative regret",
                    title="Online VPO and baselines (mean, 95% CI)\n" + _describe("online")),
             Figure(name="reward_regret", x="T", metrics={"reward_regret": "reward regret"},
                    group_by="algo", xlabel="T",
                    ylabel="mean cumulative unregularized reward regret",
                    title="Secondary metric: reward regret (no KL term)\n"
                          + _describe("online"))],
    constants={"alpha_t": "c sqrt(max(t,1)/d) [R]", "radius": "||theta*|| [R]",
               "protocol": "(pi_t, pi_ref) unless _self", "calibration": "pi_ref [R]",
               "restarts": "warm start + origin + 1 random", "ucb": "conf_scale=1, delta=0.1, ridge=1", "ts": "nu=1, ridge=1",
               "certificate": "B&B at the last round of VPO c=1, T=1000, 3000 boxes, 1e-4 rel (full)"},
    seed=2405_1,
)

# ------------------------------------------------------------------------------- offline

OFFLINE_RIDGE = 1e-3     # [D] makes DPO's minimizer finite on separable duels


@functools.lru_cache(maxsize=None)
def coverage(lam: float) -> float:
    m = instance("offline")
    b = tilted_behavior(m, lam)
    return coverage_coefficient(m, b, b)


def run_offline(params, rng):
    """One dataset of N duels from pi_b(lam) x pi_b(lam); exact sub-optimality of each method."""
    m = instance("offline")
    N, lam = int(params["N"]), float(params["lam"])
    b = tilted_behavior(m, lam)
    W = sample_duel_counts(m, b, b, N, rng=rng)
    out = {}
    for c in (0.3, 1.0, 3.0):
        a = c * np.sqrt(N / m.dim)
        fit = vpo_offline(m, W, a, ridge=OFFLINE_RIDGE)
        out[f"subopt_vpo_c{c:g}"] = regularized_regret(m, fit.pi)
    a = np.sqrt(N / m.dim)
    out["subopt_vpo_chosen"] = regularized_regret(
        m, vpo_offline(m, W, a, calibration="chosen", ridge=OFFLINE_RIDGE).pi)
    dpo = vpo_offline(m, W, 0.0, ridge=OFFLINE_RIDGE)
    out["subopt_dpo"] = regularized_regret(m, dpo.pi)
    out["reward_subopt_dpo"] = unregularized_regret(m, dpo.pi)
    out["subopt_lcb"] = regularized_regret(m, offline_lcb(m, W).pi)
    out["subopt_vpo"] = out["subopt_vpo_c1"]
    return out


N_QUICK = (100, 316, 1000, 3162, 10000)
N_FULL = (100, 215, 464, 1000, 2154, 4642, 10000, 21544, 46416, 100000)
LAMS = (0.0, 2.0, 4.0)

_OFF_METRICS = {"subopt_vpo": "VPO c=1 (pi_ref cal.)", "subopt_vpo_c0.3": "VPO c=0.3",
                "subopt_vpo_c3": "VPO c=3", "subopt_vpo_chosen": "VPO c=1, chosen cal.",
                "subopt_dpo": "DPO (alpha=0)", "subopt_lcb": "ellipsoid LCB"}

OFFLINE_EXP = Experiment(
    name="vpo_offline",
    title="Offline VPO vs DPO / LCB, KL-regularized sub-optimality vs N; " + _describe("offline"),
    run=run_offline,
    grids={"quick": [{"N": N, "lam": lam} for lam in LAMS for N in N_QUICK],
           "full": [{"N": N, "lam": lam} for lam in LAMS for N in N_FULL]},
    replicates={"quick": 30, "full": 60},
    checks=[Check(theorem="vpo.offline.subopt", metric="subopt_vpo", x="N",
                  where={"lam": lam}, label=f"lam={lam:g}") for lam in LAMS],
    figures=[Figure(name=f"subopt_lam{lam:g}", x="N", metrics=_OFF_METRICS,
                    where={"lam": lam}, theorem="vpo.offline.subopt", statistic="quantile",
                    xlabel="N (duels)", ylabel="0.9-quantile of J(pi*) - J(pi_hat)",
                    title=f"Offline VPO, data pi_b ~ pi_ref exp(-{lam:g} r*), coverage C = "
                          f"{coverage(lam):.3g}\n"
                          + _describe("offline") + "\nalpha = c sqrt(N/d) [R], ridge 1e-3")
             for lam in LAMS] + [
             Figure(name=f"subopt_mean_lam{lam:g}", x="N", metrics=_OFF_METRICS,
                    where={"lam": lam}, xlabel="N (duels)", ylabel="mean J(pi*) - J(pi_hat)",
                    title=f"Offline VPO (mean, 95% CI), pi_b ~ pi_ref exp(-{lam:g} r*), "
                          f"C = {coverage(lam):.3g}\n"
                          + _describe("offline")) for lam in LAMS],
    constants={"alpha": "c sqrt(N/d) [R]", "ridge": OFFLINE_RIDGE, "calibration": "pi_ref [R]",
               "lcb": "conf_scale=1, delta=0.1, ridge=1", "tol": 1e-10},
    seed=2405_2,
)

# ------------------------------------------------------------------------------- identities

STATIC_ALPHAS = (0.0, 1.0, 2.0, 4.0, 8.0)


def _random_model(rng, d=2, K=6, X=1):
    return linear_dueling_bandit(X, K, d, norm=2.0, beta=0.5, ref_scale=1.0, rng=rng)


def _statics_online(N, rng):
    m = _random_model(rng)
    W = sample_duel_counts(m, m.pi_ref, m.pi_ref, N, rng=rng)
    q = calibration_measure(m)
    vals, gaps = [], []
    for a in STATIC_ALPHAS:
        fit = vpo_online_fit(m, W, a, radius=2.0, n_starts=2, rng=rng, certify=a > 0,
                             gap_tol=1e-5, max_nodes=600)
        vals.append(calibrated_value(m, fit.theta, q, hessian=False)[0])
        gaps.append(0.0 if a == 0 else fit.opt_gap)
    ok = True
    for i in range(len(vals)):
        for j in range(i + 1, len(vals)):
            da = STATIC_ALPHAS[j] - STATIC_ALPHAS[i]
            ok &= da * (vals[j] - vals[i]) >= -(gaps[i] + gaps[j]) - 1e-9
    return {"holds": float(ok), "max_gap": float(max(gaps)),
            "value_rise": float(vals[-1] - vals[0])}


def _statics_offline(N, rng):
    m = _random_model(rng)
    W = sample_duel_counts(m, m.pi_ref, m.pi_ref, N, rng=rng)
    q = calibration_measure(m)
    vals, eps = [], []
    for a in STATIC_ALPHAS:
        fit = vpo_offline(m, W, a, ridge=1e-3)
        vals.append(calibrated_value(m, fit.theta, q, hessian=False)[0])
        eps.append(abs(fit.newton_decrement) + 1e-12 * max(1.0, abs(fit.objective)))
    ok = True
    for i in range(len(vals)):
        for j in range(i + 1, len(vals)):
            da = STATIC_ALPHAS[j] - STATIC_ALPHAS[i]
            ok &= da * (vals[j] - vals[i]) <= eps[i] + eps[j] + 1e-9
    return {"holds": float(ok), "max_gap": float(max(eps)),
            "value_rise": float(vals[-1] - vals[0])}


def _alpha0(N, rng):
    # two responses per context, phi(x, 0) = e_x, phi(x, 1) = 0: the tabular class modulo the
    # per-context shift (identifiable); theta_x = r(x, 0) - r(x, 1)
    X = 3
    ref = rng.dirichlet(np.ones(2), size=X)
    phi = np.zeros((X, 2, X))
    phi[np.arange(X), 0, np.arange(X)] = 1.0
    m = LinearDuelingBandit(np.full(X, 1.0 / X), phi, rng.normal(size=X), ref, 0.5)
    W = sample_duel_counts(m, m.pi_ref, np.full((X, 2), 0.5), N, rng=rng)
    if np.any(W[:, 0, 1] == 0) or np.any(W[:, 1, 0] == 0):
        # no finite MLE (probability < 1e-9 at N >= 300): the closed form is undefined too
        return {"holds": 0.0, "max_gap": float("inf"), "value_rise": float("nan")}
    pi = vpo_offline(m, W, 0.0).pi
    closed = np.log(ref[:, 0] / ref[:, 1]) + np.log(W[:, 0, 1] / W[:, 1, 0]) / m.beta
    err = float(np.max(np.abs(np.log(pi[:, 0] / pi[:, 1]) - closed)))
    return {"holds": float(err <= 1e-8), "max_gap": err, "value_rise": float("nan")}


def _chosen_nll(N, rng):
    m = _random_model(rng, d=3, K=5, X=2)
    W = sample_duel_counts(m, m.pi_ref, m.pi_ref, N, rng=rng)
    a = 1.7
    diffs = []
    for _ in range(5):
        th = rng.normal(size=m.dim)
        f = vpo_objective(m, th, W, alpha=a, sign=-1, calibration="chosen")[0]
        g = dpo_nll_objective(m, kl_optimal_policy(m, m.phi @ th), W, alpha=a)
        diffs.append(f - g)
    spread = float(np.ptp(diffs))
    return {"holds": float(spread <= 1e-9 * max(1.0, float(np.max(np.abs(diffs))))),
            "max_gap": spread, "value_rise": float("nan")}


def _policy_form(N, rng):
    m = _random_model(rng, d=3, K=5, X=2)
    W = sample_duel_counts(m, m.pi_ref, m.pi_ref, N, rng=rng)
    worst = 0.0
    for sign in (1, -1):
        for cal in ("reference", "uniform", "chosen"):
            th = rng.normal(size=m.dim)
            f = vpo_objective(m, th, W, alpha=1.3, sign=sign, calibration=cal)[0]
            g = vpo_policy_objective(m, kl_optimal_policy(m, m.phi @ th), W, alpha=1.3,
                                     sign=sign, calibration=cal)
            worst = max(worst, abs(f - g) / max(1.0, abs(f)))
    return {"holds": float(worst <= 1e-9), "max_gap": worst, "value_rise": float("nan")}


_IDENTITIES = {"statics_online": _statics_online, "statics_offline": _statics_offline,
               "alpha0": _alpha0, "chosen_nll": _chosen_nll, "policy_form": _policy_form}
_THEOREM_OF = {"statics_online": "vpo.online.statics", "statics_offline": "vpo.offline.statics",
               "alpha0": "vpo.dpo.alpha0", "chosen_nll": "vpo.offline.chosen_nll",
               "policy_form": "vpo.policy.identity"}


def run_identity(params, rng):
    return _IDENTITIES[params["kind"]](int(params["N"]), rng)


IDENTITY_EXP = Experiment(
    name="vpo_identities",
    title="VPO exact identities and comparative statics, fresh random instance per run "
          "(d=2..3, Y=5..6, ||theta*||=2, beta=0.5)",
    run=run_identity,
    grids={"quick": [{"kind": k, "N": N} for k in _IDENTITIES for N in (300, 3000)],
           "full": [{"kind": k, "N": N} for k in _IDENTITIES for N in (300, 1000, 3000, 10000)]},
    replicates={"quick": 6, "full": 20},
    checks=[Check(theorem=_THEOREM_OF[k], metric="holds", x="N", where={"kind": k}, label=k)
            for k in _IDENTITIES],
    figures=[],
    constants={"alphas": STATIC_ALPHAS, "online_certificate": "B&B, 600 boxes, 1e-5 rel",
               "tolerances": "1e-8 (alpha0), 1e-9 rel (identities)"},
    seed=2405_3,
)

EXPERIMENTS = [ONLINE_EXP, OFFLINE_EXP, IDENTITY_EXP]

if __name__ == "__main__":
    from rlth.cli import main_for
    main_for(EXPERIMENTS)
