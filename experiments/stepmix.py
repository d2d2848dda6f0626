"""StepMix / EpsMix conservative exploration on UCBVI (Li, Huang, Shen, Yang 2023).

Experiments
-----------
``stepmix``
    Pseudo-regret ``Reg(K)`` (exact values) against the number of episodes ``K`` on a Garnet
    MDP (S=5, A=2, H=5, branching 3, stationary, seed 1) with a baseline
    ``pi_b = (1 - lam) pi_worst + lam pi*`` (per step) whose exact value is the midpoint of
    ``[V_worst, V*]``, alpha = 0.1, delta = 0.1.  Algorithms: UCBVI-BF and UCBVI-CH (paper
    constants), UCBVI-CH with the bonus scaled by 0.1 (named mode), StepMix / EpsMix / Switch on
    UCBVI-BF (paper constants), StepMix with the advantage evaluation (smooth weight, [D]),
    StepMix / EpsMix with a baseline learned from ``N_OFFLINE`` offline episodes of ``pi_b``
    (:mod:`rlth.algorithms.online.learned_baseline`; the constraint stays ``(1 - alpha)
    V^{pi_b}``), the baseline alone.  Checks: regret slopes (``ucbvi.*.regret``;
    ``stepmix.regret`` / ``epsmix.regret`` fitted only from the measured settle episode on),
    the conservative guarantee (``stepmix.constraint``: fraction of runs with no violating
    episode >= 1 - delta) and the UCBVI contrast (``ucbvi.violations``).
``stepmix_alpha``
    Regret at fixed ``K`` against alpha in {0.02, ..., 1} (figure only; alpha >= 1 is UCBVI).
``stepmix_riverswim``
    The same regret / constraint sweep on episodic RiverSwim (S=5, H=10) (full profile: K up
    to 3e5).
``stepmix_minimax``
    The minimax regime as levels (docs/explanation/theory_notes.md, StepMix A4): on the
    trap-free two-point chain (S=4, A=2, H=5; which action is optimal is unknown; gap
    ``c sqrt(S A / (H K))``, c in {0.25, 0.5, 1, 4, 16}, full also 64) UCBVI-BF, StepMix and
    EpsMix run on both members; the Bayes-optimal rule (Feldman's myopic rule, N = K(H-1)
    pulls) gives the family's minimax regret ``R*_c(K)``.  Checks: ``episodic.two_point.level``
    (every agent's prior-averaged regret >= R*_c, and its worst case >= R*; the ratio is its
    minimax inefficiency), ``episodic.two_point.shape`` (R* has slope 1/2),
    ``episodic.two_point.information_limited`` (slope 1/2 at c <= 1 on K in [1e4, 1e6];
    StepMix/EpsMix only from 10x their settle episode), the upper-bound slopes of the worst
    case from the measured burn-in crossover, and the constraint.
``stepmix_needle``
    The non-stationary needle family (one hidden good commit position per decision state,
    product prior): every agent's prior-averaged regret against the explicit Assouad level
    (``episodic.needle.level``), and the level's exponents in K (1/2), H (3/2) and the number
    of decision states (1/2).

Per-episode figures (exact value per episode against (1 - alpha) V_b and V*, mixing weight
per episode) are not rate plots: ``python experiments/stepmix.py --episode-figures
[--profile full]`` writes ``paper_figures/stepmix_values.png`` and
``paper_figures/stepmix_weights.png`` with CSVs.

Run: ``rlth check stepmix --profile quick`` (or ``python experiments/stepmix.py``).
"""
from __future__ import annotations

import sys
from functools import lru_cache

import numpy as np

from rlth.experiment import Check, Experiment, Figure

ALPHA = 0.1
DELTA = 0.1
QUALITY = 0.5

INSTANCES = {
    "garnet": "random_mdp(5, 2, horizon=5, branching=3, rng=1) (stationary)",
    "riverswim": "riverswim(5, horizon=10)",
    "gridworld": "gridworld(3, 4, horizon=10, pit=(1, 1), slip=0.1)",
}

ALGOS = {
    "ucbvi_bf": "UCBVI-BF",
    "ucbvi_ch": "UCBVI-CH (paper bonus)",
    "ucbvi_ch_scaled": "UCBVI-CH (bonus x0.1)",
    "stepmix": "StepMix (UCBVI-BF)",
    "epsmix": "EpsMix (UCBVI-BF)",
    "switch": "Switch ablation (UCBVI-BF)",
    "baseline": "baseline pi_b",
    "stepmix_adv": "StepMix, advantage evaluation (smooth)",
    "stepmix_learned": "StepMix, baseline learned offline",
    "epsmix_learned": "EpsMix, baseline learned offline",
}
#: offline episodes of the status-quo policy from which the learned baseline is built
N_OFFLINE = 20000


@lru_cache(maxsize=16)
def build_instance(name: str, quality: float = QUALITY):
    """``(mdp, pi_b, v_b, v_star)`` for a named instance and baseline quality (cached)."""
    from rlth.algorithms.online.runner import optimal_value
    from rlth.algorithms.online.stepmix import mixture_baseline
    from rlth.instances import gridworld, random_mdp, riverswim
    if name == "garnet":
        mdp = random_mdp(5, 2, horizon=5, branching=3, rng=1)
    elif name == "riverswim":
        mdp = riverswim(5, horizon=10)
    elif name == "gridworld":
        mdp = gridworld(3, 4, horizon=10, pit=(1, 1), slip=0.1)
    else:
        raise ValueError(f"instance: unknown {name!r}; known: {sorted(INSTANCES)}")
    pi_b, v_b, _ = mixture_baseline(mdp, quality)
    return mdp, pi_b, v_b, optimal_value(mdp)


def make_agent(algo: str, pi_b, alpha: float, delta: float):
    from rlth.algorithms.online.stepmix import BaselineAgent, EpsMix, StepMix, Switch
    from rlth.algorithms.online.ucbvi import UCBVI
    if algo == "ucbvi_bf":
        return UCBVI(bonus="bf", delta=delta)
    if algo == "ucbvi_ch":
        return UCBVI(bonus="ch", delta=delta)
    if algo == "ucbvi_ch_scaled":
        return UCBVI(bonus="ch", delta=delta, bonus_scale=0.1)
    if algo == "stepmix_adv":
        return StepMix(pi_b, alpha, delta=delta, bonus="bf", evaluation="advantage")
    cls = {"stepmix": StepMix, "epsmix": EpsMix, "switch": Switch, "baseline": BaselineAgent}
    if algo not in cls:
        raise ValueError(f"algo: unknown {algo!r}; known: {sorted(ALGOS)}")
    if algo == "baseline":
        return BaselineAgent(pi_b, alpha)
    return cls[algo](pi_b, alpha, delta=delta, bonus="bf")


def make_learned_agent(algo: str, mdp, pi_b, n_offline: int, alpha: float, delta: float, rng):
    """``stepmix_learned`` / ``epsmix_learned``: the agent on a baseline learned from
    ``n_offline`` episodes of the status-quo policy ``pi_b``, drawn from ``rng`` (a Generator)."""
    from rlth.algorithms.online.learned_baseline import learn_baseline, learned_agent
    lb = learn_baseline(mdp, pi_b, int(n_offline), alpha, delta=delta, rng=rng)
    return learned_agent(lb, algo.split("_")[0], delta=delta)


def run_one(params: dict, rng) -> dict:
    """One replicate: a run of ``K`` episodes; exact regret and constraint statistics."""
    from rlth.algorithms.online.runner import run_online
    mdp, pi_b, v_b, v_star = build_instance(params["instance"], float(params["quality"]))
    alpha, delta, K = float(params["alpha"]), float(params["delta"]), int(params["K"])
    algo = params["algo"]
    if algo.endswith("_learned"):
        # the status-quo policy pi_b is not given: learn a baseline from offline episodes of
        # it; the constraint stays (1 - alpha) V^{pi_b} (exact, the threshold below)
        from rlth._rng import as_generator
        rng = as_generator(rng)
        agent = make_learned_agent(algo, mdp, pi_b, params["n_offline"], alpha, delta, rng)
    else:
        agent = make_agent(algo, pi_b, alpha, delta)
    res = run_online(mdp, agent, K, rng=rng, threshold=(1.0 - alpha) * v_b)
    viol = res.violations
    w = res.weights
    # first episode from which the weight stays at 1 (K if never)
    not_one = np.flatnonzero(w < 1.0)
    settle = 0 if not_one.size == 0 else int(not_one[-1]) + 1
    pess_bad = bool(np.any(res.pessimistic_values > res.values + 1e-12))
    return {
        "regret": float(res.cumulative_regret[-1]),
        "average_regret": float(res.cumulative_regret[-1]) / K,
        "n_violations": float(viol.sum()),
        "no_violation": float(not viol.any()),
        "realized_violations": float(res.realized_violations.sum()),
        "first_violation": float(np.argmax(viol) + 1) if viol.any() else 0.0,
        "violations_first_10pct": float(viol[: max(1, K // 10)].sum()),
        "min_slack": float(res.slack.min()),
        "mean_weight": float(w.mean()),
        "settle_episode": float(settle),
        "pessimism_failed": float(pess_bad),
    }


def _points(instance, algos, Ks, alphas=(ALPHA,), **extra):
    mdp, *_ = build_instance(instance)
    pts = []
    for algo in algos:
        for alpha in alphas:
            for K in Ks:
                pts.append({"instance": instance, "algo": algo, "K": int(K), "alpha": alpha,
                            "delta": DELTA, "quality": QUALITY, "n_states": mdp.n_states,
                            "n_actions": mdp.n_actions, "horizon": mdp.horizon,
                            "bonus_scale": 0.1 if algo == "ucbvi_ch_scaled" else 1.0,
                            **({"n_offline": N_OFFLINE} if algo.endswith("_learned") else {}),
                            **extra})
    return pts


_K_QUICK = [1000, 3162, 10000, 31623, 100000, 316228]        # half decades
_K_FULL = [1000, 3162, 10000, 31623, 100000, 316228, 1000000]
_MAIN_ALGOS = ["ucbvi_bf", "ucbvi_ch", "ucbvi_ch_scaled", "stepmix", "epsmix", "switch",
               "baseline", "stepmix_adv", "stepmix_learned", "epsmix_learned"]
_FIT = (3000, 1e7)        # after the conservative burn-in (rho_k = 1 from ~2.5e3 episodes on)
#: average-regret levels of the sample-complexity curves K(eps) (1.5 decades of 1/eps)
_EPS = (1.0, 0.5, 0.3, 0.2, 0.1, 0.05, 0.03)


_CONSERVATIVE = [("stepmix", "stepmix.regret", "StepMix"), ("epsmix", "epsmix.regret", "EpsMix"),
                 ("stepmix_adv", "stepmix.regret", "StepMix (advantage)"),
                 ("stepmix_learned", "stepmix.regret", "StepMix (learned baseline)"),
                 ("epsmix_learned", "epsmix.regret", "EpsMix (learned baseline)")]


def _regret_checks(instance: str, fit=_FIT):
    w = lambda a: {"algo": a, "instance": instance}  # noqa: E731
    return [
        Check(theorem="ucbvi.bf.regret", metric="regret", x="K", where=w("ucbvi_bf"),
              fit_window=fit, label=f"UCBVI-BF, {instance}"),
        Check(theorem="ucbvi.ch.regret", metric="regret", x="K", where=w("ucbvi_ch"),
              fit_window=fit, label=f"UCBVI-CH paper, {instance}"),
        Check(theorem="ucbvi.ch.regret", metric="regret", x="K", where=w("ucbvi_ch_scaled"),
              fit_window=fit, label=f"UCBVI-CH x0.1, {instance}"),
        # conservative agents: the fit starts at the measured settle episode (the weight
        # stays 1 from there on); no point past it -> INCONCLUSIVE
        *[Check(theorem=th, metric="regret", x="K", where=w(a), burn_in_metric="settle_episode",
                burn_in_factor=1.0, label=f"{name}, {instance}, K >= settle episode")
          for a, th, name in _CONSERVATIVE],
        *[Check(theorem="stepmix.constraint", metric="no_violation", x="K", where=w(a),
                label=f"{name}, {instance}") for a, _, name in _CONSERVATIVE],
        Check(theorem="stepmix.constraint", metric="no_violation", x="K", where=w("switch"),
              label=f"Switch, {instance}"),
        Check(theorem="ucbvi.violations", metric="n_violations", x="K", where=w("ucbvi_bf"),
              label=f"UCBVI-BF contrast, {instance}"),
        Check(theorem="ucbvi.bf.pac", metric="average_regret", x="K", where=w("ucbvi_bf"),
              eps_grid=_EPS, label=f"UCBVI-BF, {instance}, K(eps)"),
        Check(theorem="stepmix.pac", metric="average_regret", x="K", where=w("stepmix"),
              eps_grid=_EPS, label=f"StepMix, {instance}, K(eps)"),
    ]


def _regret_figures(instance: str, title: str):
    where = {"instance": instance}
    return [
        Figure(name="regret_q90", x="K", metrics={"regret": "Reg(K)"}, group_by="algo",
               where=where, theorem="stepmix.regret", statistic="quantile",
               xlabel="K (episodes)", ylabel="0.9-quantile over runs of Reg(K) (exact values)",
               fit_window=_FIT,
               title=f"{title}: the (1 - delta)-quantile of the regret, delta = {DELTA}\n"
                     "(the theorems hold with probability >= 1 - delta)"),
        Figure(name="sample_complexity", x="K", metrics={"average_regret": "K(eps)"},
               group_by="algo", where=where, theorem="ucbvi.bf.pac",
               statistic="sample_complexity", eps_grid=_EPS,
               xlabel="1/eps", ylabel="episodes K until the 0.9-quantile of Reg(K)/K <= eps",
               title=f"{title}: sample complexity of an eps average regret (w.p. 0.9)"),
        Figure(name="regret", x="K", metrics={"regret": "Reg(K)"}, group_by="algo",
               where=where, theorem="stepmix.regret", xlabel="K (episodes)",
               ylabel="pseudo-regret sum_k V* - V^{pi_k} (exact)", fit_window=_FIT,
               title=f"{title}: regret (slope fitted for K >= {_FIT[0]})"),
        Figure(name="no_violation", x="K",
               metrics={"no_violation": "runs without violation"}, group_by="algo",
               where=where, logy=False, fit=False, xlabel="K (episodes)",
               ylabel="fraction of runs with no episode below (1 - alpha) V_b",
               title=f"{title}: runs without a violating episode\n(guarantee of StepMix/EpsMix:"
                     f" >= 1 - delta = {1 - DELTA:g}; UCBVI has no constraint)"),
        Figure(name="violations", x="K", metrics={"n_violations": "violating episodes"},
               group_by="algo", where=where, fit=False, xlabel="K (episodes)",
               ylabel="violating episodes per run (zeros not drawn)",
               title=f"{title}: episodes with V^pi_k < (1 - alpha) V_b, alpha={ALPHA}\n"
                     "(agents with no violation have no curve on the log axis)"),
    ]


_CONSTANTS = {"alpha": ALPHA, "delta": DELTA, "baseline": "per-step mixture of pi_worst and "
              "pi*, V_b = (V_worst + V*)/2", "UCBVI bonus": "paper (BF, CH) except "
              "ucbvi_ch_scaled (x0.1)", "Q cap": "remaining horizon H-h",
              "pessimism": "Weissman L1 [D], scale 1"}

# --------------------------------------------------------------------------------------------
# minimax regime I: the symmetrised two-point chain (experiment ``stepmix_minimax``)
# --------------------------------------------------------------------------------------------
# The gap chain of the earlier ``episodic.regret.lower`` check had a common optimal policy for
# every member (so its minimax regret is 0) and a fixed-gap trap action whose cost swamped the
# sqrt(K) term; a lower bound constrains a LEVEL, not the slope of one agent's curve
# (docs/explanation/theory_notes.md, StepMix A4).  Here, fixed before any result was seen:
# * family: two_point_chain (S = 4, A = 2, H = 5, no trap), member 0 or 1 = which action is
#   optimal, per-step gap g = c sqrt(S A / (H K)) (capped at 1/2); both members are run with
#   common random numbers; the prior-averaged regret is their mean, the worst case their max;
# * c grid {0.25, 0.5, 1} (the information-limited regime, c <= 1, where R*_c is largest) plus
#   {4, 16} (the burn-in-dominated regime where a UCBVI-type agent's worst case sits); full adds 64;
# * the Bayes-optimal rule (Feldman's myopic rule, rlth.theory.two_point) with N = K (H - 1) pulls
#   gives R*_c(K), the minimax regret of each two-point family (a lower bound for every episodic
#   agent);
# * baseline of the conservative agents: the uniform policy (it does not reveal the member;
#   "always the other action" would, and the lower bound would not apply to an agent given it);
# * windows: information-limited slopes on K in [1e4, 1e6], StepMix / EpsMix only from ten times
#   their measured settle episode; upper-bound slopes of the worst case from the measured
#   crossover K_x = (B / a)^2 on (B: worst-case regret at the largest c, a: the largest
#   worst-case regret / sqrt(K) over c <= 1).
_TP_BLOCKS, _TP_HORIZON = 2, 5
_TP_S, _TP_A = 2 * _TP_BLOCKS, 2
_TP_C_INFO = (0.25, 0.5, 1.0)
_TP_C = {"quick": _TP_C_INFO + (4.0, 16.0), "full": _TP_C_INFO + (4.0, 16.0, 64.0)}
_TP_FIT = (1e4, 1e6)
_TP_ALGOS = ["ucbvi_bf", "stepmix", "epsmix"]
_TP_K = {"quick": [1000, 3162, 10000, 31623, 100000, 316228],
         "full": [1000, 3162, 10000, 31623, 100000, 316228, 1000000]}
_TP_BAYES_RUNS = 64          # myopic-rule runs averaged inside one replicate


def _c_tag(c: float) -> str:
    return f"c{c:g}"


@lru_cache(maxsize=128)
def build_two_point(K: int, c: float, member: int):
    """``(mdp, pi_b, v_b, gap)``: member ``member`` of the two-point chain at ``K``, ``c``.

    The baseline is the uniform policy (value ``V* - (H - 1) gap / 2``).
    """
    from rlth.algorithms.online.runner import exact_value
    from rlth.instances.episodic_minimax import minimax_gap, two_point_chain
    gap = minimax_gap(int(K), float(c), _TP_S, _TP_A, _TP_HORIZON)
    mdp = two_point_chain(gap, int(member), n_blocks=_TP_BLOCKS, horizon=_TP_HORIZON)
    pi_b = np.full((_TP_HORIZON, _TP_S, _TP_A), 1.0 / _TP_A)
    return mdp, pi_b, exact_value(mdp, pi_b), gap


def run_two_point(params: dict, rng) -> dict:
    """One replicate at ``K``: every ``c`` and both members (agents), or the Bayes rule.

    Agents: the runs of one replicate share their random numbers (one seed from ``rng``).
    Records per ``c``: ``avg_c*`` (mean over the two members: the prior-averaged regret),
    ``worst_c*`` (their max), and over the grid ``regret_sup``, the burn-in statistics and the
    constraint statistics.  ``algo = "bayes"``: ``avg_c* = worst_c*`` is the mean regret of
    ``_TP_BAYES_RUNS`` runs of Feldman's myopic rule with ``N = K (H - 1)`` pulls (its Bayes
    regret is R*_c(K)); ``lecam_c*`` the explicit two-point bound.
    """
    from rlth._rng import as_generator
    from rlth.algorithms.online.runner import run_online
    from rlth.instances.episodic_minimax import minimax_gap
    from rlth.theory.two_point import le_cam_two_point_bound, myopic_regret_samples
    rng = as_generator(rng)
    K, algo, cs = int(params["K"]), params["algo"], [float(c) for c in params["c_grid"]]
    out = {}
    if algo == "bayes":
        n_pulls = K * (_TP_HORIZON - 1)
        for c in cs:
            gap = minimax_gap(K, c, _TP_S, _TP_A, _TP_HORIZON)
            r = float(myopic_regret_samples(n_pulls, gap, _TP_BAYES_RUNS, rng=rng).mean())
            out[f"avg_{_c_tag(c)}"] = out[f"worst_{_c_tag(c)}"] = r
            out[f"lecam_{_c_tag(c)}"] = float(le_cam_two_point_bound(n_pulls, gap))
        out["regret_sup"] = max(out[f"avg_{_c_tag(c)}"] for c in cs)
        out["settle_max"] = 0.0
        out["burn_in_K"] = 0.0
        return out
    alpha, delta = float(params["alpha"]), float(params["delta"])
    seed = int(rng.integers(0, 2 ** 62))
    n_viol, any_viol, settle = 0.0, False, 0
    worst = {}
    for c in cs:
        regs = []
        for member in (0, 1):
            mdp, pi_b, v_b, _ = build_two_point(K, c, member)
            agent = make_agent(algo, pi_b, alpha, delta)
            res = run_online(mdp, agent, K, rng=as_generator(seed),
                             threshold=(1.0 - alpha) * v_b)
            regs.append(float(res.cumulative_regret[-1]))
            n_viol += float(res.violations.sum())
            any_viol |= bool(res.violations.any())
            not_one = np.flatnonzero(res.weights < 1.0)
            settle = max(settle, 0 if not_one.size == 0 else int(not_one[-1]) + 1)
        out[f"avg_{_c_tag(c)}"] = 0.5 * (regs[0] + regs[1])
        out[f"worst_{_c_tag(c)}"] = worst[c] = max(regs)
    out["regret_sup"] = max(worst.values())
    # crossover of the two branches max(B, a sqrt(K)) of the worst case [D]: B at the largest c
    # (burn-in branch), a the largest worst-case regret / sqrt(K) over the information-limited c
    a = max(worst[c] for c in cs if c <= 1.0) / np.sqrt(K)
    B = worst[max(cs)]
    out["crossover_K"] = float((B / a) ** 2) if a > 0 else float("inf")
    out["settle_max"] = float(settle)
    out["burn_in_K"] = max(out["crossover_K"], float(settle))
    out["n_violations"] = n_viol
    out["no_violation"] = float(not any_viol)
    return out


def _two_point_points(profile):
    pts = [{"instance": "two_point_chain", "algo": algo, "K": int(K), "alpha": ALPHA,
            "delta": DELTA, "c_grid": list(_TP_C[profile]), "n_states": _TP_S,
            "n_actions": _TP_A, "horizon": _TP_HORIZON, "baseline": "uniform"}
           for algo in _TP_ALGOS for K in _TP_K[profile]]
    pts += [{"instance": "two_point_chain", "algo": "bayes", "K": int(K),
             "c_grid": list(_TP_C[profile]), "n_states": _TP_S, "n_actions": _TP_A,
             "horizon": _TP_HORIZON, "bayes_runs": _TP_BAYES_RUNS}
            for K in _TP_K[profile]]
    return pts


_TP_NAMES = {"ucbvi_bf": "UCBVI-BF", "stepmix": "StepMix", "epsmix": "EpsMix"}


def _two_point_checks():
    w = lambda a, **kw: {"algo": a, "instance": "two_point_chain", **kw}  # noqa: E731
    bayes = {"algo": "bayes", "instance": "two_point_chain"}
    checks = []
    for algo, name in _TP_NAMES.items():
        for c in _TP_C["quick"]:
            checks.append(Check(theorem="episodic.two_point.level", metric=f"avg_{_c_tag(c)}",
                                x="K", where=w(algo), compare_with=bayes,
                                label=f"{name}, prior average, c={c:g}"))
        checks.append(Check(theorem="episodic.two_point.level", metric="regret_sup", x="K",
                            where=w(algo), compare_with=bayes,
                            label=f"{name}, worst case over c and member"))
    for c in _TP_C_INFO:
        checks.append(Check(theorem="episodic.two_point.shape", metric=f"avg_{_c_tag(c)}",
                            x="K", where=bayes, label=f"R*_c(K), c={c:g}"))
    checks.append(Check(theorem="episodic.two_point.shape", metric="regret_sup", x="K",
                        where=bayes, label="R*(K) = max_c R*_c(K)"))
    for algo, name in _TP_NAMES.items():
        for c in _TP_C_INFO:
            checks.append(Check(
                theorem="episodic.two_point.information_limited", metric=f"avg_{_c_tag(c)}",
                x="K", where=w(algo), fit_window=_TP_FIT,
                burn_in_metric=None if algo == "ucbvi_bf" else "settle_max",
                label=f"{name}, c={c:g}" + ("" if algo == "ucbvi_bf"
                                            else ", K >= 10 x settle episode")))
    for algo, th in (("ucbvi_bf", "ucbvi.bf.regret"), ("stepmix", "stepmix.regret"),
                     ("epsmix", "epsmix.regret")):
        checks.append(Check(theorem=th, metric="regret_sup", x="K", where=w(algo),
                            burn_in_metric="burn_in_K", burn_in_factor=1.0,
                            label=f"{_TP_NAMES[algo]}, worst case, K >= measured crossover"))
    for algo in ("stepmix", "epsmix"):
        checks.append(Check(theorem="stepmix.constraint", metric="no_violation", x="K",
                            where=w(algo), label=f"{_TP_NAMES[algo]}, all two-point instances"))
    return checks


_TP_TITLE = f"Two-point chain S={_TP_S} A={_TP_A} H={_TP_HORIZON}, gap c sqrt(SA/(HK))"


def _two_point_figures():
    where = {"instance": "two_point_chain"}
    figs = [Figure(name="level", x="K", metrics={"regret_sup": "worst case over c, member"},
                   group_by="algo", where=where, theorem="episodic.two_point.shape",
                   xlabel="K (episodes)",
                   ylabel="worst-case pseudo-regret (exact values); bayes: R*(K)",
                   title=f"{_TP_TITLE}\nworst case over c and member vs R*(K) (bayes)")]
    for c in _TP_C_INFO:
        figs.append(Figure(
            name=f"c{c:g}", x="K", metrics={f"avg_{_c_tag(c)}": "prior-averaged regret"},
            group_by="algo", where=where, fit_window=_TP_FIT, xlabel="K (episodes)",
            ylabel=f"regret averaged over the two members, c = {c:g}",
            title=f"{_TP_TITLE}, c = {c:g}\nprior-averaged regret; bayes = R*_c(K)"))
    figs.append(Figure(
        name="bounds", x="K",
        metrics={**{f"avg_{_c_tag(c)}": f"R*_c, c={c:g}" for c in _TP_C_INFO},
                 **{f"lecam_{_c_tag(c)}": f"Le Cam bound, c={c:g}" for c in _TP_C_INFO}},
        where={**where, "algo": "bayes"}, xlabel="K (episodes)",
        ylabel="minimax regret of the two-point family and its explicit lower bound",
        title=f"{_TP_TITLE}\nR*_c(K) (Feldman's rule) and its explicit lower bound"))
    return figs


# --------------------------------------------------------------------------------------------
# minimax regime II: the non-stationary needle family (experiment ``stepmix_needle``)
# --------------------------------------------------------------------------------------------
# Fixed before any result was seen: n_decision decision states reached uniformly at step 1,
# n_commit = 8 commit actions plus wait, horizon H, one needle per decision state drawn from
# the uniform product prior in every replicate (so the mean over replicates is the
# prior-averaged regret); eps = c sqrt(n_d M / K), M = n_commit floor(H/3), c = _ND_C; the level
# is the Assouad / Pinsker bound of rlth.theory.needle (valid for every algorithm).  Three sweeps:
# K at (n_d, H) = (2, 6); H in {6, 12, 24, 48} and n_d in {2, 4, 8, 16} at K = 1e4 (quick) or
# 3e4 (full).
_ND_C = 0.3
_ND_COMMIT = 8          # M = 8 floor(H/3) positions: the level's finite-M factor (1 - 1/M - c)
                        # drifts little over H in 6..48 (its slope in H is 1.54, not 1.5 exactly)
_ND_ALGOS = ["ucbvi_bf", "stepmix", "epsmix"]
_ND_K = {"quick": [1000, 3162, 10000, 31623, 100000],
         "full": [1000, 3162, 10000, 31623, 100000, 316228]}
_ND_SWEEP_K = {"quick": 10000, "full": 30000}
_ND_H = [6, 12, 24, 48]
_ND_D = [2, 4, 8, 16]
_ND_H_LEVEL = [3, 6, 12, 24, 48, 96]          # the level alone: 1.5 decades for its slope
_ND_D_LEVEL = [1, 2, 4, 8, 16, 32]


def run_needle(params: dict, rng) -> dict:
    """One replicate: draw the needles from the prior, run the agent, exact regret and level."""
    from rlth._rng import as_generator
    from rlth.algorithms.online.runner import exact_value, run_online
    from rlth.instances.episodic_minimax import draw_needles, needle_eps, needle_mdp
    from rlth.theory.needle import needle_level
    rng = as_generator(rng)
    K, H, nd = int(params["K"]), int(params["horizon"]), int(params["n_decision"])
    nc, c = int(params["n_commit"]), float(params["c"])
    level = float(needle_level(K, c=c, n_decision=nd, n_commit=nc, horizon=H))
    if params["algo"] == "level":        # the level alone (its shape over a wider range)
        return {"level": level}
    eps = needle_eps(K, c, nd, nc, H)
    mdp = needle_mdp(draw_needles(nd, nc, H, rng), eps, n_commit=nc, horizon=H)
    # baseline: commit uniformly at random at the first step (does not depend on the needles)
    pi_b = np.zeros((H, mdp.n_states, mdp.n_actions))
    pi_b[:, :, 1:] = 1.0 / nc
    alpha, delta = float(params["alpha"]), float(params["delta"])
    v_b = exact_value(mdp, pi_b)
    res = run_online(mdp, make_agent(params["algo"], pi_b, alpha, delta), K, rng=rng,
                     threshold=(1.0 - alpha) * v_b)
    return {"regret": float(res.cumulative_regret[-1]),
            "level": level,
            "eps": float(eps),
            "n_violations": float(res.violations.sum()),
            "no_violation": float(not res.violations.any())}


def _needle_points(profile):
    base = {"instance": "needle", "alpha": ALPHA, "delta": DELTA, "c": _ND_C,
            "n_commit": _ND_COMMIT}
    pts = [{**base, "sweep": "K", "algo": a, "K": int(K), "horizon": 6, "n_decision": 2}
           for a in _ND_ALGOS for K in _ND_K[profile]]
    Ks = _ND_SWEEP_K[profile]
    pts += [{**base, "sweep": "H", "algo": a, "K": Ks, "horizon": H, "n_decision": 2}
            for a in _ND_ALGOS for H in _ND_H]
    pts += [{**base, "sweep": "S", "algo": a, "K": Ks, "horizon": 6, "n_decision": d}
            for a in _ND_ALGOS for d in _ND_D]
    lv = {**base, "instance": "needle_level", "algo": "level"}
    pts += [{**lv, "sweep": "K", "K": int(K), "horizon": 6, "n_decision": 2}
            for K in _ND_K[profile]]
    pts += [{**lv, "sweep": "H", "K": Ks, "horizon": H, "n_decision": 2} for H in _ND_H_LEVEL]
    pts += [{**lv, "sweep": "S", "K": Ks, "horizon": 6, "n_decision": d} for d in _ND_D_LEVEL]
    return pts


_ND_X = {"K": "K", "H": "horizon", "S": "n_decision"}


def _needle_checks():
    checks = []
    for sweep, x in _ND_X.items():
        for algo, name in _TP_NAMES.items():
            checks.append(Check(theorem="episodic.needle.level", metric="regret", x=x,
                                where={"instance": "needle", "sweep": sweep, "algo": algo},
                                label=f"{name}, sweep in {x}"))
        checks.append(Check(theorem=f"episodic.needle.level_in_{sweep}", metric="level", x=x,
                            where={"instance": "needle_level", "sweep": sweep},
                            label=f"the level, sweep in {x}"))
    for algo in ("stepmix", "epsmix"):
        checks.append(Check(theorem="stepmix.constraint", metric="no_violation", x="K",
                            where={"instance": "needle", "sweep": "K", "algo": algo},
                            label=f"{_TP_NAMES[algo]}, needle family"))
    return checks


def _needle_figures():
    figs = []
    for sweep, x in _ND_X.items():
        fixed = {"K": "(n_d, H) = (2, 6)", "H": "K = 1e4 (quick) / 3e4 (full), n_d = 2",
                 "S": "K = 1e4 (quick) / 3e4 (full), H = 6"}[sweep]
        figs.append(Figure(
            name=f"vs_{sweep}", x=x, metrics={"regret": "prior-averaged regret"},
            group_by="algo", where={"instance": "needle", "sweep": sweep},
            theorem="episodic.needle.level", xlabel=x,
            ylabel="regret averaged over needle draws (exact values)",
            title=f"Needle family, {fixed}: prior-averaged regret\nagainst the Assouad level "
                  "(~ sqrt(H^3 S A K))"))
    return figs


EXPERIMENTS = [
    Experiment(
        name="stepmix",
        title="StepMix/EpsMix on UCBVI-BF, Garnet S=5 A=2 H=5 (branching 3, seed 1)",
        run=run_one,
        grids={"quick": _points("garnet", _MAIN_ALGOS, _K_QUICK),
               "full": _points("garnet", _MAIN_ALGOS, _K_FULL)},
        replicates={"quick": 8, "full": 20},
        checks=_regret_checks("garnet"),
        figures=_regret_figures("garnet", "Garnet S=5 A=2 H=5"),
        constants=_CONSTANTS,
        seed=20261105,
    ),
    Experiment(
        name="stepmix_alpha",
        title="StepMix/EpsMix regret vs alpha, Garnet S=5 A=2 H=5",
        run=run_one,
        grids={"quick": _points("garnet", ["stepmix", "epsmix", "switch"], [10000],
                                alphas=(0.02, 0.05, 0.1, 0.2, 0.5, 1.0)),
               "full": _points("garnet", ["stepmix", "epsmix", "switch"], [100000],
                               alphas=(0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0))},
        replicates={"quick": 6, "full": 20},
        figures=[Figure(name="regret_vs_alpha", x="alpha", metrics={"regret": "Reg(K)"},
                        group_by="algo", fit=False, xlabel="alpha",
                        ylabel="pseudo-regret at K (quick 1e4, full 1e5)",
                        title="Regret against the constraint level alpha (alpha=1: UCBVI)"),
                 Figure(name="settle_vs_alpha", x="alpha",
                        metrics={"settle_episode": "episodes until rho_k / eps_k stays 1"},
                        group_by="algo", fit=False, xlabel="alpha",
                        ylabel="first episode after which the weight stays 1",
                        title="Conservative burn-in against alpha (alpha=1: 0, not drawn)")],
        constants={k: v for k, v in _CONSTANTS.items() if k != "alpha"},
        seed=20261106,
    ),
    Experiment(
        name="stepmix_riverswim",
        title="StepMix/EpsMix on UCBVI-BF, episodic RiverSwim S=5 H=10",
        run=run_one,
        grids={"quick": _points("riverswim", ["ucbvi_bf", "stepmix", "epsmix", "switch"],
                                [1000, 3162, 10000, 31623]),
               "full": _points("riverswim", ["ucbvi_bf", "stepmix", "epsmix", "switch",
                                             "baseline"],
                               [1000, 3162, 10000, 31623, 100000, 316228])},
        replicates={"quick": 4, "full": 10},
        # StepMix / EpsMix regret slopes: fitted only past the measured settle episode
        # (~7e4 here, alpha V_b = 0.037), so INCONCLUSIVE unless the grid reaches past it
        checks=[c for c in _regret_checks("riverswim", fit=(3000, 1e7))
                if c.where["algo"] in ("ucbvi_bf", "stepmix", "epsmix", "switch")],
        figures=_regret_figures("riverswim", "RiverSwim S=5 H=10"),
        constants=_CONSTANTS,
        seed=20261107,
    ),
    Experiment(
        name="stepmix_minimax",
        title=f"Minimax regime: agents' worst case against R*(K) on the {_TP_TITLE}",
        run=run_two_point,
        grids={"quick": _two_point_points("quick"), "full": _two_point_points("full")},
        replicates={"quick": 3, "full": 10},
        checks=_two_point_checks(),
        figures=_two_point_figures(),
        constants={**_CONSTANTS, "baseline": "uniform policy (does not reveal the member)",
                   "instance": "two-point chain (rlth.instances.episodic_minimax."
                   "two_point_chain), both members, common random numbers",
                   "gap": "min(c sqrt(S A / (H K)), 1/2)",
                   "R*": f"Feldman's myopic rule, N = K (H - 1) pulls, {_TP_BAYES_RUNS} runs "
                         "per replicate",
                   "windows": "information-limited slopes K in [1e4, 1e6] (conservative agents:"
                              " K >= 10 x settle); upper slopes K >= measured crossover"},
        seed=20261109,
    ),
    Experiment(
        name="stepmix_needle",
        title=f"Needle family (non-stationary, {_ND_COMMIT} commit actions + wait, "
              f"c = {_ND_C}): prior-averaged regret against the Assouad level",
        run=run_needle,
        grids={"quick": _needle_points("quick"), "full": _needle_points("full")},
        replicates={"quick": 3, "full": 10},
        checks=_needle_checks(),
        figures=_needle_figures(),
        constants={**_CONSTANTS, "baseline": "commit uniformly at the first step",
                   "instance": "rlth.instances.episodic_minimax.needle_mdp, needles from the "
                               "product prior in every replicate",
                   "eps": f"c sqrt(n_d M / K), M = n_commit floor(H/3), c = {_ND_C}"},
        seed=20261110,
    ),
]


# --------------------------------------------------------------------------------------------
# per-episode figures (not rate plots)
# --------------------------------------------------------------------------------------------
def episode_traces(instance: str = "garnet", K: int = 100000, n_seeds: int = 10,
                   algos=("ucbvi_bf", "stepmix", "stepmix_adv", "epsmix", "switch",
                          "stepmix_learned", "epsmix_learned"),
                   alpha: float = ALPHA,
                   seed: int = 20261108, n_bins: int = 60) -> dict:
    """Log-binned per-episode exact values, weights and cumulative regret, averaged over seeds.

    Returns ``{"edges": [n_bins+1], "v_b", "v_star", "threshold", algo: {"value_mean",
    "value_min", "weight_mean", "weight_q10", "weight_q90", "regret_mean", "violations"}}``
    (``regret_mean``: cumulative pseudo-regret at the end of each bin).  The ``*_learned``
    agents learn their baseline from ``N_OFFLINE`` episodes of ``pi_b`` drawn from the seed's
    generator before the run.
    """
    from rlth._rng import as_generator
    from rlth.algorithms.online.runner import run_online
    mdp, pi_b, v_b, v_star = build_instance(instance)
    edges = np.unique(np.round(np.logspace(0, np.log10(K), n_bins + 1)).astype(int))
    edges[0] = 0
    out = {"edges": edges, "v_b": v_b, "v_star": v_star, "threshold": (1 - alpha) * v_b,
           "K": K, "n_seeds": n_seeds, "instance": instance, "alpha": alpha}
    seeds = np.random.SeedSequence(seed).spawn(n_seeds)
    for algo in algos:
        vals, ws = [], []
        viol = 0
        regs = []
        for ss in seeds:
            rng = as_generator(ss)
            if algo.endswith("_learned"):
                agent = make_learned_agent(algo, mdp, pi_b, N_OFFLINE, alpha, DELTA, rng)
            else:
                agent = make_agent(algo, pi_b, alpha, DELTA)
            res = run_online(mdp, agent, K, rng=rng, threshold=(1 - alpha) * v_b)
            vals.append(res.values)
            ws.append(res.weights)
            regs.append(res.cumulative_regret)
            viol += res.n_violations
        V, W, C = np.array(vals), np.array(ws), np.array(regs)
        nb = len(edges) - 1
        d = {"value_mean": np.empty(nb), "value_min": np.empty(nb), "weight_mean": np.empty(nb),
             "weight_q10": np.empty(nb), "weight_q90": np.empty(nb),
             "regret_mean": C[:, edges[1:] - 1].mean(axis=0), "violations": viol}
        for i in range(nb):
            sl = slice(edges[i], edges[i + 1])
            d["value_mean"][i] = V[:, sl].mean()
            d["value_min"][i] = V[:, sl].min()
            wm = W[:, sl].mean(axis=1)
            d["weight_mean"][i] = wm.mean()
            d["weight_q10"][i], d["weight_q90"][i] = np.quantile(wm, [0.1, 0.9])
        out[algo] = d
    return out


def _save_episode_figure(fig, ax, caption, path, legend_size):
    """Shared finish of the per-episode figures: log episode axis, grid, legend, caption, save."""
    import matplotlib.pyplot as plt
    ax.set_xscale("log")
    ax.set_xlabel("episode k")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=legend_size, loc="upper left")
    fig.text(0.01, 0.005, caption, fontsize=6.5)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path


def _two_panel(plt):
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11.5, 4.8))
    return fig, ax1, ax2


def _finish_two_panel(fig, axes, caption, path):
    import matplotlib.pyplot as plt
    for ax in axes:
        ax.set_xscale("log")
        ax.set_xlabel("episode k")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7.5, loc="upper left")
    fig.text(0.01, 0.005, caption, fontsize=6.5)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path


def episode_figures(profile: str = "full", out_dir=None) -> list:
    """Per-episode figures for the Garnet instance (+ one CSV behind all of them).

    ``stepmix_values.png`` (exact value per episode against the constraint),
    ``stepmix_weights.png`` (mixing weight per episode), ``stepmix_modes.png`` (StepMix's two
    evaluation modes side by side: weight and cumulative regret) and ``stepmix_learned.png``
    (known against offline-learned baseline: cumulative regret and the lowest value per bin).
    """
    import csv

    import matplotlib
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    from rlth.plotting import figures_dir
    K, n_seeds = (100000, 20) if profile == "full" else (20000, 6)
    tr = episode_traces("garnet", K=K, n_seeds=n_seeds)
    out = figures_dir(profile) if out_dir is None else __import__("pathlib").Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    edges = tr["edges"]
    mid = np.sqrt(np.maximum(edges[:-1], 1) * edges[1:])
    algos = [a for a in ("ucbvi_bf", "stepmix", "stepmix_adv", "epsmix", "switch") if a in tr]
    cap = (f"Garnet S=5 A=2 H=5 (seed 1), alpha={tr['alpha']}, delta={DELTA}, "
           f"V_b={tr['v_b']:.3f}, V*={tr['v_star']:.3f}; {n_seeds} seeds, K={K}; "
           "UCBVI-BF paper constants; log-spaced episode bins.")
    paths = []

    def lines(ax, b="V_b"):
        ax.axhline(tr["v_star"], color="k", ls="--", lw=1.2, label="V*")
        ax.axhline(tr["v_b"], color="gray", ls="-.", lw=1.0, label=f"{b} (baseline)")
        ax.axhline(tr["threshold"], color="red", ls="--", lw=1.4, label=f"(1 - alpha) {b}")

    fig, ax = plt.subplots(figsize=(7.4, 5.0))
    for a in algos:
        line, = ax.plot(mid, tr[a]["value_mean"], "-", lw=1.6,
                        label=f"{ALGOS[a]}: mean (violating episodes, all seeds: "
                              f"{tr[a]['violations']})")
        ax.plot(mid, tr[a]["value_min"], ":", lw=1.0, color=line.get_color())
    lines(ax)
    ax.set_ylabel("exact value V^{pi_k}_1 (solid: mean over seeds, dotted: min)")
    ax.set_title("Exact per-episode value against the constraint")
    paths.append(_save_episode_figure(fig, ax, cap, out / "stepmix_values.png", legend_size=7.5))

    fig, ax = plt.subplots(figsize=(7.4, 5.0))
    for a in algos:
        if a == "ucbvi_bf":
            continue
        line, = ax.plot(mid, tr[a]["weight_mean"], "-", lw=1.6, label=ALGOS[a])
        ax.fill_between(mid, tr[a]["weight_q10"], tr[a]["weight_q90"], alpha=0.2,
                        color=line.get_color(), lw=0)
    ax.set_ylim(-0.03, 1.03)
    ax.set_ylabel("mixing weight (StepMix rho_k, EpsMix eps_k, Switch 0/1)")
    ax.set_title("Mixing weight per episode (mean over seeds, band: 10-90% of seeds)")
    paths.append(_save_episode_figure(fig, ax, cap, out / "stepmix_weights.png", legend_size=8))

    # the two StepMix evaluation modes side by side
    fig, ax1, ax2 = _two_panel(plt)
    for a in ("stepmix", "stepmix_adv"):
        line, = ax1.plot(mid, tr[a]["weight_mean"], "-", lw=1.6, label=ALGOS[a])
        ax1.fill_between(mid, tr[a]["weight_q10"], tr[a]["weight_q90"], alpha=0.2,
                         color=line.get_color(), lw=0)
    ax1.set_ylim(-0.03, 1.03)
    ax1.set_ylabel("StepMix weight rho_k (band: 10-90% of seeds)")
    ax1.set_title("Weight: jump (pessimistic) vs rise (advantage)")
    for a in ("ucbvi_bf", "stepmix", "stepmix_adv"):
        ax2.plot(edges[1:], tr[a]["regret_mean"], "-", lw=1.6,
                 label=f"{ALGOS[a]} (violating episodes: {tr[a]['violations']})")
    ax2.set_yscale("log")
    ax2.set_ylabel("cumulative pseudo-regret (exact values), mean over seeds")
    ax2.set_title("Regret of the two modes")
    paths.append(_finish_two_panel(fig, (ax1, ax2), cap, out / "stepmix_modes.png"))

    # known against offline-learned baseline
    fig, ax1, ax2 = _two_panel(plt)
    for a in ("stepmix", "stepmix_learned", "epsmix", "epsmix_learned"):
        ax1.plot(edges[1:], tr[a]["regret_mean"], "-" if "learned" in a else "--", lw=1.6,
                 label=f"{ALGOS[a]} (violating episodes: {tr[a]['violations']})")
    ax1.set_yscale("log")
    ax1.set_ylabel("cumulative pseudo-regret (exact values), mean over seeds")
    ax1.set_title(f"Known baseline (dashed) vs learned from {N_OFFLINE} offline episodes")
    for a in ("stepmix_learned", "epsmix_learned"):
        ax2.plot(mid, tr[a]["value_min"], "-", lw=1.4, label=f"{ALGOS[a]}: lowest value in bin")
    lines(ax2, "V^mu")
    ax2.set_ylabel("exact value V^{pi_k}_1, minimum over seeds and bin")
    ax2.set_title("Learned baselines against (1 - alpha) V^mu")
    paths.append(_finish_two_panel(fig, (ax1, ax2), cap, out / "stepmix_learned.png"))

    with open(out / "stepmix_values.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["algo", "bin_start", "bin_end", "value_mean", "value_min", "weight_mean",
                    "weight_q10", "weight_q90", "regret_mean", "violations", "v_star", "v_b",
                    "threshold"])
        for a in [a for a in ALGOS if a in tr]:
            for i in range(len(edges) - 1):
                vals = [tr[a][k][i] for k in ("value_mean", "value_min", "weight_mean",
                                              "weight_q10", "weight_q90", "regret_mean")]
                w.writerow([a, int(edges[i]), int(edges[i + 1])]
                           + [repr(float(v)) for v in vals] + [tr[a]["violations"]]
                           + [repr(float(tr[k])) for k in ("v_star", "v_b", "threshold")])
    import shutil
    for name in ("weights", "modes", "learned"):
        shutil.copyfile(out / "stepmix_values.csv", out / f"stepmix_{name}.csv")
    return paths


if __name__ == "__main__":
    if "--episode-figures" in sys.argv:
        argv = [a for a in sys.argv[1:] if a != "--episode-figures"]
        prof = argv[argv.index("--profile") + 1] if "--profile" in argv else "quick"
        for path in episode_figures(prof):
            print(path)
    else:
        from rlth.cli import main_for
        main_for(EXPERIMENTS)
