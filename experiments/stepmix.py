"""StepMix / EpsMix conservative exploration on UCBVI (Li, Huang, Shen, Yang 2023).

Experiments
-----------
``stepmix``
    Pseudo-regret ``Reg(K)`` (exact values) against the number of episodes ``K`` on a Garnet
    MDP (S=5, A=2, H=5, branching 3, stationary, seed 1) with a baseline
    ``pi_b = (1 - lam) pi_worst + lam pi*`` (per step) whose exact value is the midpoint of
    ``[V_worst, V*]``, alpha = 0.1, delta = 0.1.  Algorithms: UCBVI-BF and UCBVI-CH (paper
    constants), UCBVI-CH with the bonus scaled by 0.1 (named mode), StepMix / EpsMix / Switch on
    UCBVI-BF (paper constants), the baseline alone.  Checks: regret slopes
    (``ucbvi.*.regret``, ``stepmix.regret``, ``epsmix.regret``), the conservative guarantee
    (``stepmix.constraint``: fraction of runs with no violating episode >= 1 - delta) and the
    UCBVI contrast (``ucbvi.violations``: its violating episodes).
``stepmix_alpha``
    Regret at fixed ``K`` against alpha in {0.02, ..., 1} (figure only; alpha >= 1 is UCBVI).
``stepmix_riverswim``
    The same regret / constraint sweep on episodic RiverSwim (S=5, H=10) (full profile: K up
    to 3e5).
``stepmix_minimax``
    The minimax (worst-case over instances) regime: at each ``K`` the sup over a gap grid of the
    regret on the K-dependent gap chain (:mod:`rlth.instances.episodic_minimax`, S=4, A=3, H=5;
    trap / near-optimal / optimal action, per-step gap ``c sqrt(S A / (H K))`` for
    ``c in {4, 8, 16, 32}``, capped at 1/2), same alpha, delta and baseline quality as
    ``stepmix``.  UCBVI-BF, StepMix, EpsMix.  Checks: the sup-regret slopes against
    ``ucbvi.bf.regret`` / ``stepmix.regret`` / ``epsmix.regret`` (upper, 1/2) and the minimax
    lower bound ``episodic.regret.lower`` (lower, 1/2), fit window ``K in [1e4, 1e6]``; the
    constraint (``stepmix.constraint``) and UCBVI's violations.  Grid, window and ``c`` grid were
    fixed before any result was seen (see ``_MM_*`` below).

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
}


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
    cls = {"stepmix": StepMix, "epsmix": EpsMix, "switch": Switch, "baseline": BaselineAgent}
    if algo not in cls:
        raise ValueError(f"algo: unknown {algo!r}; known: {sorted(ALGOS)}")
    if algo == "baseline":
        return BaselineAgent(pi_b, alpha)
    return cls[algo](pi_b, alpha, delta=delta, bonus="bf")


def run_one(params: dict, rng) -> dict:
    """One replicate: a run of ``K`` episodes; exact regret and constraint statistics."""
    from rlth.algorithms.online.runner import run_online
    mdp, pi_b, v_b, v_star = build_instance(params["instance"], float(params["quality"]))
    alpha, delta, K = float(params["alpha"]), float(params["delta"]), int(params["K"])
    agent = make_agent(params["algo"], pi_b, alpha, delta)
    res = run_online(mdp, agent, K, rng=rng, threshold=(1.0 - alpha) * v_b)
    viol = res.violations
    w = res.weights
    # first episode from which the weight stays at 1 (K if never)
    not_one = np.flatnonzero(w < 1.0)
    settle = 0 if not_one.size == 0 else int(not_one[-1]) + 1
    pess_bad = bool(np.any(res.pessimistic_values > res.values + 1e-12))
    return {
        "regret": float(res.cumulative_regret[-1]),
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
                            **extra})
    return pts


_K_QUICK = [1000, 3162, 10000, 31623, 100000, 316228]        # half decades
_K_FULL = [1000, 3162, 10000, 31623, 100000, 316228, 1000000]
_MAIN_ALGOS = ["ucbvi_bf", "ucbvi_ch", "ucbvi_ch_scaled", "stepmix", "epsmix", "switch",
               "baseline"]
_FIT = (3000, 1e7)        # after the conservative burn-in (rho_k = 1 from ~2.5e3 episodes on)


def _regret_checks(instance: str, fit=_FIT):
    w = lambda a: {"algo": a, "instance": instance}  # noqa: E731
    return [
        Check(theorem="ucbvi.bf.regret", metric="regret", x="K", where=w("ucbvi_bf"),
              fit_window=fit, label=f"UCBVI-BF, {instance}"),
        Check(theorem="ucbvi.ch.regret", metric="regret", x="K", where=w("ucbvi_ch"),
              fit_window=fit, label=f"UCBVI-CH paper, {instance}"),
        Check(theorem="ucbvi.ch.regret", metric="regret", x="K", where=w("ucbvi_ch_scaled"),
              fit_window=fit, label=f"UCBVI-CH x0.1, {instance}"),
        Check(theorem="stepmix.regret", metric="regret", x="K", where=w("stepmix"),
              fit_window=fit, label=f"StepMix, {instance}"),
        Check(theorem="epsmix.regret", metric="regret", x="K", where=w("epsmix"),
              fit_window=fit, label=f"EpsMix, {instance}"),
        Check(theorem="stepmix.constraint", metric="no_violation", x="K", where=w("stepmix"),
              label=f"StepMix, {instance}"),
        Check(theorem="stepmix.constraint", metric="no_violation", x="K", where=w("epsmix"),
              label=f"EpsMix, {instance}"),
        Check(theorem="stepmix.constraint", metric="no_violation", x="K", where=w("switch"),
              label=f"Switch, {instance}"),
        Check(theorem="ucbvi.violations", metric="n_violations", x="K", where=w("ucbvi_bf"),
              label=f"UCBVI-BF contrast, {instance}"),
    ]


def _regret_figures(instance: str, title: str):
    where = {"instance": instance}
    return [
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
# minimax regime: sup over a K-dependent gap family (experiment ``stepmix_minimax``)
# --------------------------------------------------------------------------------------------
# Everything below was fixed before any result of this experiment was seen:
# * instance: gap chain with m = 2 blocks (S = 4), A = 3 (trap, near-optimal, optimal), H = 5;
#   per-step gap c sqrt(S A / (H K)) = c standard errors at the average pair count K H / (S A),
#   capped at 1/2 (the cap binds only for K < 1e4, outside the fit window);
# * gap grid c in {4, 8, 16, 32} (factor 2; below the resolution scale of UCBVI-BF's bonus,
#   ~ 20-30 / sqrt(n) at these sizes, the regret is about proportional to c, so smaller c
#   cannot be the sup); the sup is taken per replicate over the 4 runs, which share their random
#   numbers (one seed drawn from the replicate's generator), so it is the sup over instances
#   of the realized pseudo-regret, an upper-biased estimate of the sup of expectations; the
#   per-c curves are recorded too (figures ``gaps_*``);
# * fit window K in [1e4, 1e6] (2 decades full, 1.5 quick), the whole range where the cap does
#   not bind and UCBVI's regime K H >= H^3 S^3 A (K >= 4800) holds.
_MM_BLOCKS, _MM_ACTIONS, _MM_HORIZON = 2, 3, 5
_MM_C = (4.0, 8.0, 16.0, 32.0)
_MM_FIT = (1e4, 1e6)
_MM_ALGOS = ["ucbvi_bf", "stepmix", "epsmix"]
_MM_K_QUICK = [1000, 3162, 10000, 31623, 100000, 316228]
_MM_K_FULL = [1000, 3162, 10000, 31623, 100000, 316228, 1000000]


@lru_cache(maxsize=64)
def build_minimax_instance(K: int, c: float, quality: float = QUALITY):
    """``(mdp, pi_b, v_b, v_star, gap)``: gap chain at ``gap = min(c sqrt(SA/(HK)), 1/2)``.

    The baseline is :func:`~rlth.algorithms.online.stepmix.mixture_baseline` (per-step mixture of the
    all-trap policy and pi*, value ``V_worst + quality (V* - V_worst)``).
    """
    from rlth.algorithms.online.runner import optimal_value
    from rlth.algorithms.online.stepmix import mixture_baseline
    from rlth.instances.episodic_minimax import gap_chain, minimax_gap
    S, A, H = 2 * _MM_BLOCKS, _MM_ACTIONS, _MM_HORIZON
    gap = minimax_gap(int(K), float(c), S, A, H)
    mdp = gap_chain(gap, n_blocks=_MM_BLOCKS, n_actions=A, horizon=H)
    pi_b, v_b, _ = mixture_baseline(mdp, quality)
    return mdp, pi_b, v_b, optimal_value(mdp), gap


def _c_key(c: float) -> str:
    return f"regret_c{c:g}"


def run_minimax(params: dict, rng) -> dict:
    """One replicate: a run of ``K`` episodes on every gap of the grid; sup and per-gap regret.

    The runs of one replicate share their random numbers: one seed is drawn from ``rng`` and
    every gap instance is run with a generator built from it (common random numbers).
    """
    from rlth._rng import as_generator
    from rlth.algorithms.online.runner import run_online
    rng = as_generator(rng)
    alpha, delta, K = float(params["alpha"]), float(params["delta"]), int(params["K"])
    seed = int(rng.integers(0, 2 ** 62))
    out, regrets = {}, []
    n_viol = real_viol = 0.0
    any_viol = pess_bad = False
    min_slack = np.inf
    settle = []
    for c in params["c_grid"]:
        mdp, pi_b, v_b, _, _ = build_minimax_instance(K, float(c), float(params["quality"]))
        agent = make_agent(params["algo"], pi_b, alpha, delta)
        res = run_online(mdp, agent, K, rng=as_generator(seed), threshold=(1.0 - alpha) * v_b)
        reg = float(res.cumulative_regret[-1])
        regrets.append(reg)
        out[_c_key(float(c))] = reg
        viol = res.violations
        n_viol += float(viol.sum())
        real_viol += float(res.realized_violations.sum())
        any_viol |= bool(viol.any())
        min_slack = min(min_slack, float(res.slack.min()))
        pess_bad |= bool(np.any(res.pessimistic_values > res.values + 1e-12))
        not_one = np.flatnonzero(res.weights < 1.0)
        settle.append(0 if not_one.size == 0 else int(not_one[-1]) + 1)
    j = int(np.argmax(regrets))
    out.update({
        "regret_sup": regrets[j],
        "c_sup": float(params["c_grid"][j]),
        "n_violations": n_viol,                 # summed over the gap instances
        "no_violation": float(not any_viol),    # no violating episode in any of them
        "realized_violations": real_viol,
        "min_slack": min_slack,
        "pessimism_failed": float(pess_bad),
        "settle_episode_max": float(max(settle)),
    })
    return out


def _minimax_points(Ks):
    return [{"instance": "gap_chain", "algo": algo, "K": int(K), "alpha": ALPHA,
             "delta": DELTA, "quality": QUALITY, "c_grid": list(_MM_C),
             "n_blocks": _MM_BLOCKS, "n_states": 2 * _MM_BLOCKS, "n_actions": _MM_ACTIONS,
             "horizon": _MM_HORIZON}
            for algo in _MM_ALGOS for K in Ks]


def _minimax_checks():
    w = lambda a: {"algo": a, "instance": "gap_chain"}  # noqa: E731
    checks = []
    for algo, th, name in (("ucbvi_bf", "ucbvi.bf.regret", "UCBVI-BF"),
                           ("stepmix", "stepmix.regret", "StepMix"),
                           ("epsmix", "epsmix.regret", "EpsMix")):
        checks.append(Check(theorem=th, metric="regret_sup", x="K", where=w(algo),
                            fit_window=_MM_FIT, label=f"{name}, sup over gaps"))
    for algo, name in (("ucbvi_bf", "UCBVI-BF"), ("stepmix", "StepMix"), ("epsmix", "EpsMix")):
        checks.append(Check(theorem="episodic.regret.lower", metric="regret_sup", x="K",
                            where=w(algo), fit_window=_MM_FIT, label=f"{name}, sup over gaps"))
    for algo, name in (("stepmix", "StepMix"), ("epsmix", "EpsMix")):
        checks.append(Check(theorem="stepmix.constraint", metric="no_violation", x="K",
                            where=w(algo), label=f"{name}, all gap instances"))
    checks.append(Check(theorem="ucbvi.violations", metric="n_violations", x="K",
                        where=w("ucbvi_bf"), label="UCBVI-BF contrast, summed over gaps"))
    return checks


_MM_TITLE = (f"gap chain S={2 * _MM_BLOCKS} A={_MM_ACTIONS} H={_MM_HORIZON}, gap = c sqrt(SA/(HK)),"
             f" c in {{{', '.join(f'{c:g}' for c in _MM_C)}}}")


def _minimax_figures():
    where = {"instance": "gap_chain"}
    figs = [
        Figure(name="regret", x="K", metrics={"regret_sup": "sup_c Reg(K)"}, group_by="algo",
               where=where, theorem="episodic.regret.lower", xlabel="K (episodes)",
               ylabel="sup over the gap grid of sum_k V* - V^{pi_k} (exact)",
               fit_window=_MM_FIT,
               title=f"Minimax regime: {_MM_TITLE}\nsup over c per replicate; slope fitted on "
                     f"K in [{_MM_FIT[0]:g}, {_MM_FIT[1]:g}]; alpha={ALPHA}, delta={DELTA}"),
        Figure(name="violations", x="K", metrics={"n_violations": "violating episodes"},
               group_by="algo", where=where, fit=False, xlabel="K (episodes)",
               ylabel="violating episodes per replicate, summed over the 4 gaps",
               title=f"{_MM_TITLE}: episodes with V^pi_k < (1 - alpha) V_b\n"
                     "(agents with no violation have no curve on the log axis)"),
    ]
    for algo in _MM_ALGOS:
        figs.append(Figure(
            name=f"gaps_{algo}", x="K",
            metrics={_c_key(c): f"c = {c:g}" for c in _MM_C},
            where={**where, "algo": algo}, xlabel="K (episodes)",
            ylabel="pseudo-regret on the instance with gap c sqrt(SA/(HK))",
            fit_window=_MM_FIT,
            title=f"{ALGOS[algo]}: regret at each gap of the grid\n{_MM_TITLE}"))
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
        # StepMix / EpsMix regret slopes are not checked here: their conservative burn-in
        # (~7e4 episodes, alpha V_b = 0.037) exceeds the budget, so the measured slope (~1)
        # reflects the K-independent term; the figure shows them (README).
        checks=[c for c in _regret_checks("riverswim", fit=(3000, 1e7))
                if c.where["algo"] == "ucbvi_bf" or c.theorem == "stepmix.constraint"],
        figures=_regret_figures("riverswim", "RiverSwim S=5 H=10"),
        constants=_CONSTANTS,
        seed=20261107,
    ),
    Experiment(
        name="stepmix_minimax",
        title=f"Minimax regime of UCBVI-BF / StepMix / EpsMix: sup over a K-dependent gap "
              f"family ({_MM_TITLE})",
        run=run_minimax,
        grids={"quick": _minimax_points(_MM_K_QUICK), "full": _minimax_points(_MM_K_FULL)},
        replicates={"quick": 3, "full": 10},
        checks=_minimax_checks(),
        figures=_minimax_figures(),
        constants={**_CONSTANTS, "instance": "gap chain (rlth.instances.episodic_minimax), "
                   "trap good-prob 0, near-optimal 1/2, optimal 1/2 + gap",
                   "gap": "min(c sqrt(S A / (H K)), 1/2), c in (4, 8, 16, 32)",
                   "sup": "per replicate over the c grid, common random numbers",
                   "fit window": "K in [1e4, 1e6]"},
        seed=20261109,
    ),
]


# --------------------------------------------------------------------------------------------
# per-episode figures (not rate plots)
# --------------------------------------------------------------------------------------------
def episode_traces(instance: str = "garnet", K: int = 100000, n_seeds: int = 10,
                   algos=("ucbvi_bf", "stepmix", "epsmix", "switch"), alpha: float = ALPHA,
                   seed: int = 20261108, n_bins: int = 60) -> dict:
    """Log-binned per-episode exact values and weights, averaged over seeds.

    Returns ``{"edges": [n_bins+1], "v_b", "v_star", "threshold", algo: {"value_mean",
    "value_min", "weight_mean", "weight_q10", "weight_q90", "violations"}}``.
    """
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
        for ss in seeds:
            res = run_online(mdp, make_agent(algo, pi_b, alpha, DELTA), K, rng=ss,
                             threshold=(1 - alpha) * v_b)
            vals.append(res.values)
            ws.append(res.weights)
            viol += res.n_violations
        V, W = np.array(vals), np.array(ws)
        nb = len(edges) - 1
        d = {"value_mean": np.empty(nb), "value_min": np.empty(nb), "weight_mean": np.empty(nb),
             "weight_q10": np.empty(nb), "weight_q90": np.empty(nb), "violations": viol}
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


def episode_figures(profile: str = "full", out_dir=None) -> list:
    """Write ``stepmix_values.png`` / ``stepmix_weights.png`` (+ CSV) for the Garnet instance."""
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
    algos = [a for a in ("ucbvi_bf", "stepmix", "epsmix", "switch") if a in tr]
    cap = (f"Garnet S=5 A=2 H=5 (seed 1), alpha={tr['alpha']}, delta={DELTA}, "
           f"V_b={tr['v_b']:.3f}, V*={tr['v_star']:.3f}; {n_seeds} seeds, K={K}; "
           "UCBVI-BF paper constants; log-spaced episode bins.")
    paths = []

    fig, ax = plt.subplots(figsize=(7.4, 5.0))
    for a in algos:
        line, = ax.plot(mid, tr[a]["value_mean"], "-", lw=1.6,
                        label=f"{ALGOS[a]}: mean (violating episodes, all seeds: "
                              f"{tr[a]['violations']})")
        ax.plot(mid, tr[a]["value_min"], ":", lw=1.0, color=line.get_color())
    ax.axhline(tr["v_star"], color="k", ls="--", lw=1.2, label="V*")
    ax.axhline(tr["v_b"], color="gray", ls="-.", lw=1.0, label="V_b (baseline)")
    ax.axhline(tr["threshold"], color="red", ls="--", lw=1.4, label="(1 - alpha) V_b")
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

    with open(out / "stepmix_values.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["algo", "bin_start", "bin_end", "value_mean", "value_min", "weight_mean",
                    "weight_q10", "weight_q90", "v_star", "v_b", "threshold"])
        for a in algos:
            for i in range(len(edges) - 1):
                w.writerow([a, int(edges[i]), int(edges[i + 1]), repr(tr[a]["value_mean"][i]),
                            repr(tr[a]["value_min"][i]), repr(tr[a]["weight_mean"][i]),
                            repr(tr[a]["weight_q10"][i]), repr(tr[a]["weight_q90"][i]),
                            repr(tr["v_star"]), repr(tr["v_b"]), repr(tr["threshold"])])
    import shutil
    shutil.copyfile(out / "stepmix_values.csv", out / "stepmix_weights.csv")
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
