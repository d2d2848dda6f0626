"""HetPEVI (Shi, Xiong, Shen, Yang 2023, arXiv 2306.08364): offline RL from perturbed sources.

Everything is measured on the **target** from exact models: ``V*`` and ``V^{pi_hat}`` by
backward induction / exact policy evaluation (:mod:`rlth.solvers.dp`), the Nash value and the
exploitability of a policy pair by exact best responses (:mod:`rlth.solvers.games`).  Data are
per-source sufficient statistics (:mod:`rlth.data.sources`), so a replicate costs the same for
K = 10 and K = 1e6 episodes per source.

E1 ``hetpevi_sources``   exact sources (only the source uncertainty), L sweep on a perturbed
                         Garnet (S=4, A=2, H=3, alpha=10, u=0.1, half coverage per source):
                         pessimism gap slope -1/2, pessimism and oracle inequality w.p. >= 1-delta,
                         oracle floor, sample-only ablation, best single source.
E2 ``hetpevi_two_arm``   the two-arm source family Delta = c/sqrt(L) (Bernoulli sources): HetPEVI's
                         SubOpt quantile (slope <= -1/2), the Bayes rule (oracle floor) against the
                         exact Bayes risk R*(L) ~ L^-1/2, HetPEVI >= R* (level).
E3 ``hetpevi_samples``   K trajectories per source at fixed L: the plateau in K (source floor),
                         naive pooling losing pessimism, PEVI on the target with L*K episodes,
                         source-only / sample-only ablations, best single source.
E4 ``hetpevi_budget``    fixed budget L*K split different ways (figure only).
E5 ``hetpevi_game``      Markov-game variant, exact sources, L sweep on a perturbed
                         matching-pennies game (S=3, A=B=2, H=3, fully mixed stage equilibria):
                         exploitability quantile (slope <= -1/2), sandwich V_low <= V* <= V_up
                         and exploitability <= certified gap; full profile adds a random game
                         (figure only: pure equilibria make the exploitability drop to ~0).

Constants: HetPEVI's derived defaults c_src = c_smp = 1, delta = 0.1 [D].  Union bound: 'cells'
(valid) in the exact mode; **'cells' also in the trajectory mode (named deviation: the valid
'net' union makes the penalty vacuous below L ~ 1e4 here)**; every title says so.

Run: ``python experiments/hetpevi.py --profile quick`` or ``rlth check hetpevi``.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from rlth.algorithms.offline.hetpevi import (hetpevi, hetpevi_game, naive_pooling, tabular_pevi,
                                             single_source_pevi)
from rlth.data.offline import sample_trajectory_dataset
from rlth.data.sources import exact_source_data, sample_source_trajectories
from rlth.experiment import Check, Experiment, Figure
from rlth.instances.heterogeneous import (partial_coverage, perturbed_garnet,
                                          perturbed_markov_game, perturbed_pennies_game,
                                          two_arm_sources)
from rlth.solvers.dp import backward_induction, evaluate_policy
from rlth.solvers.games import exploitability, solve_markov_game
from rlth.solvers.occupancy import occupancy

DELTA = 0.1
S_, A_, H_ = 4, 2, 3            # Garnet target (E1, E3, E4)
ALPHA, U = 10.0, 0.1            # Dirichlet concentration, reward noise
INSTANCE_SEED = 1
GAME = dict(n_states=3, n_actions_max=2, n_actions_min=2, horizon=3)
GAME_SEED = 2
C_TWO_ARM = 0.5
N_SINGLE = 16                   # best single source: oracle choice among the first 16 sources
L_SAMPLES = 1000                # E3: sources (the penalty is unclipped from L ~ 1e3 here)
GARNET = (f"perturbed Garnet S={S_} A={A_} H={H_}, Dirichlet(alpha P) alpha={ALPHA:g}, "
          f"r +- {U:g},\nhalf coverage per source; c_src=c_smp=1, delta={DELTA:g}")


def _logspace(lo, hi, n):
    return [int(round(v)) for v in np.logspace(lo, hi, n)]


# ============================================================================ instances
@lru_cache(maxsize=None)
def _garnet():
    law = perturbed_garnet(S_, A_, H_, alpha=ALPHA, reward_noise=U, rng=INSTANCE_SEED)
    sol = backward_induction(law.target)
    occ = occupancy(law.target, sol.pi)
    return law, sol, occ


@lru_cache(maxsize=None)
def _game(kind="pennies"):
    if kind == "pennies":
        law = perturbed_pennies_game(GAME["n_states"], GAME["horizon"], alpha=ALPHA,
                                     reward_noise=U, rng=GAME_SEED)
    else:
        law = perturbed_markov_game(**GAME, alpha=ALPHA, reward_noise=U, rng=GAME_SEED)
    return law, solve_markov_game(law.target)


def _mdp_metrics(prefix, res, target, sol, occ):
    ev = evaluate_policy(target, res.policy)
    out = {prefix + "subopt": max(sol.value - ev.value, 0.0),
           prefix + "gap": sol.value - res.value_hat,
           prefix + "pess": float(np.all(res.V_hat <= ev.V + 1e-9))}
    visit = occ > 0
    if np.any(visit & ~np.isfinite(res.Gamma)):
        bound = math.inf
    else:
        fin = np.where(np.isfinite(res.Gamma), res.Gamma, 0.0)
        bound = 2.0 * float(np.sum(np.where(visit, occ * fin, 0.0)))
    out[prefix + "oracle_ineq"] = float(sol.value - res.value_hat <= bound + 1e-9)
    return out


def _floor(sources, target, sol):
    """Oracle floor: the optimal policy of the realised average source, on the target."""
    fl = backward_induction(sources.average(), certify=False)
    return max(sol.value - evaluate_policy(target, fl.pi).value, 0.0)


def _best_single(data, target, sol, union=None):
    best = math.inf
    for l in range(min(N_SINGLE, data.n_sources)):
        r = single_source_pevi(data, l, delta=DELTA, union=union)
        best = min(best, sol.value - evaluate_policy(target, r.policy).value)
    return max(best, 0.0)


# ============================================================================ E1: exact sources
def run_sources(params, rng):
    L = int(params["L"])
    law, sol, occ = _garnet()
    t = law.target
    src = law.draw(L, rng=rng)
    beh = partial_coverage(L, S_, A_, H_, rng=rng)
    data = exact_source_data(src, beh)
    res = hetpevi(data, delta=DELTA)
    out = _mdp_metrics("", res, t, sol, occ)
    out["unclipped"] = res.unclipped
    out.update(_mdp_metrics("smp_only_", hetpevi(data, delta=DELTA, c_src=0.0), t, sol, occ))
    out["floor"] = _floor(src, t, sol)
    out["best_single"] = _best_single(data, t, sol)
    return out


_L_QUICK = _logspace(1, 4.5, 8)           # 10 .. 31623, half decades
_L_FULL = _logspace(1, 5, 9)
_FIT_L = (1000, 1e6)                      # measured: unclipped >= 0.95 from L = 1000 on

E1 = Experiment(
    name="hetpevi_sources",
    title="HetPEVI, exact sources (source uncertainty only), " + GARNET.replace("\n", " "),
    run=run_sources,
    grids={"quick": [{"L": L, "delta": DELTA} for L in _L_QUICK],
           "full": [{"L": L, "delta": DELTA} for L in _L_FULL]},
    replicates={"quick": 10, "full": 100},
    checks=[
        Check("hetpevi.mdp.pessimism_gap", "gap", "L", fit_window=_FIT_L,
              label="Garnet, exact sources, L >= 1000 (unclipped)"),
        Check("hetpevi.mdp.pessimism", "pess", "L", label="Garnet, exact sources"),
        Check("hetpevi.mdp.oracle_inequality", "oracle_ineq", "L", label="Garnet, exact sources"),
    ],
    figures=[
        Figure("gap", "L", {"gap": "HetPEVI: V* - V_hat (pessimism gap)",
                            "subopt": "HetPEVI: SubOpt on target",
                            "floor": "oracle floor (optimal policy of the source average)",
                            "best_single": f"best single source (oracle choice of {N_SINGLE})",
                            "smp_only_subopt": "sample-only ablation (c_src=0)"},
               theorem="hetpevi.mdp.pessimism_gap", fit_window=_FIT_L,
               xlabel="L (sources, exact models)", ylabel="value loss on the target",
               title="HetPEVI vs L, exact sources; slopes fitted on L >= 1000 (penalty "
                     "unclipped)\n" + GARNET + ",\nunion 'cells' (valid)"),
        Figure("unclipped", "L", {"unclipped": "fraction of covered cells not clipped to 0"},
               logy=False, fit=False, xlabel="L", ylabel="fraction",
               title="Where the valid penalty is not vacuous\n" + GARNET),
        Figure("pessimism", "L", {"pess": "HetPEVI", "smp_only_pess": "sample-only (c_src=0)",
                                  "oracle_ineq": "HetPEVI oracle inequality holds"},
               logy=False, fit=False, xlabel="L", ylabel="fraction of runs",
               title="Pessimism V_hat <= V^pi_hat at every (h,s): frequency (need >= 0.9)\n"
                     + GARNET),
    ],
    constants={"c_src": 1.0, "c_smp": 1.0, "delta": DELTA, "union": "cells (valid: exact mode)",
               "alpha": ALPHA, "reward_noise": U, "instance_seed": INSTANCE_SEED},
)


# ============================================================================ E2: two-arm family
def run_two_arm(params, rng):
    L, c, algo = int(params["L"]), float(params["c"]), params["algo"]
    gap = c / math.sqrt(L)
    member = int(rng.integers(2))
    law = two_arm_sources(gap, member)
    src = law.draw(L, rng=rng)
    data = exact_source_data(src, np.full((L, 1, 1, 2), 0.5))
    best = 1 - member
    if algo == "hetpevi":
        a = int(hetpevi(data, delta=DELTA).policy[0, 0])
    elif algo == "bayes":        # oracle floor = Bayes rule (argmax of the source average)
        a = int(backward_induction(src.average(), certify=False).pi[0, 0])
    else:
        raise ValueError(f"algo: unknown {algo!r}")
    return {"subopt": gap * float(a != best)}


_L2_QUICK = _logspace(1, 4, 7)
_L2_FULL = _logspace(1, 5, 9)


def _two_arm_points(Ls):
    return [{"L": L, "c": C_TWO_ARM, "algo": a, "delta": DELTA}
            for a in ("hetpevi", "bayes") for L in Ls]


E2 = Experiment(
    name="hetpevi_two_arm",
    title=f"Two-arm source family, Delta = {C_TWO_ARM}/sqrt(L), Bernoulli sources, exact "
          f"sources, member drawn uniformly; HetPEVI c_src=c_smp=1, delta={DELTA:g}",
    run=run_two_arm,
    grids={"quick": _two_arm_points(_L2_QUICK), "full": _two_arm_points(_L2_FULL)},
    replicates={"quick": 400, "full": 1500},
    checks=[
        Check("hetpevi.mdp.subopt", "subopt", "L", where={"algo": "hetpevi"},
              fit_window=(100, 1e6), label="HetPEVI, two-arm family, L >= 100"),
        Check("hetpevi.bandit.source_lower", "subopt", "L", where={"algo": "hetpevi"},
              compare_with={"algo": "bayes"}, label="HetPEVI >= Bayes risk"),
        Check("hetpevi.bandit.minimax_shape", "subopt", "L", where={"algo": "bayes"},
              label="Bayes rule = oracle floor"),
    ],
    figures=[
        Figure("floor", "L", {"subopt": "SubOpt"}, group_by="algo",
               theorem="hetpevi.bandit.minimax_shape",
               xlabel="L (sources)", ylabel="E[SubOpt] (member uniform)",
               title="Any learner needs many sources: two-arm family, Delta = c/sqrt(L)\n"
                     "(bayes = oracle floor; HetPEVI c_src=c_smp=1 is clipped below L ~ 35)"),
    ],
    constants={"c": C_TWO_ARM, "delta": DELTA, "c_src": 1.0, "c_smp": 1.0},
)


def _garnet_trajectories(L, K, rng):
    """``L`` perturbed sources of the Garnet target, each logged for ``K`` episodes under a
    random partial-coverage behaviour (draws in this order: sources, behaviour, episodes):
    ``(law, sol, occ, sources, behaviour, data)``."""
    law, sol, occ = _garnet()
    src = law.draw(L, rng=rng)
    beh = partial_coverage(L, S_, A_, H_, rng=rng)
    return law, sol, occ, src, beh, sample_source_trajectories(src, beh, K, rng=rng)


# ============================================================================ E3: K per source
def run_samples(params, rng):
    L, K = int(params["L"]), int(params["K"])
    law, sol, occ, src, beh, data = _garnet_trajectories(L, K, rng)
    t = law.target
    kw = dict(delta=DELTA, union="cells")
    res = hetpevi(data, **kw)
    out = _mdp_metrics("het_", res, t, sol, occ)
    out["het_unclipped"] = res.unclipped
    out.update(_mdp_metrics("naive_", naive_pooling(data, **kw), t, sol, occ))
    out.update(_mdp_metrics("srconly_", hetpevi(data, c_smp=0.0, **kw), t, sol, occ))
    out.update(_mdp_metrics("smponly_", hetpevi(data, c_src=0.0, **kw), t, sol, occ))
    # PEVI on the target itself with the same total number of episodes L*K
    tgt = sample_trajectory_dataset(t, beh.mean(axis=0), L * K, rng=rng)
    out.update(_mdp_metrics("pevi_", tabular_pevi(tgt, t.rho, **kw), t, sol, occ))
    out["best_single"] = _best_single(data, t, sol, union="cells")
    return out


_K_QUICK = _logspace(0, 5, 6)            # 1 .. 1e5
_K_FULL = _logspace(0, 5, 11)
_FIT_K = (1000, 1e7)

E3 = Experiment(
    name="hetpevi_samples",
    title=f"HetPEVI, K trajectories per source, L = {L_SAMPLES}, " + GARNET.replace("\n", " ")
          + ", union 'cells' (named deviation)",
    run=run_samples,
    grids={"quick": [{"L": L_SAMPLES, "K": K, "delta": DELTA} for K in _K_QUICK],
           "full": [{"L": L_SAMPLES, "K": K, "delta": DELTA} for K in _K_FULL]},
    replicates={"quick": 5, "full": 40},
    checks=[
        Check("hetpevi.mdp.source_floor", "het_gap", "K", fit_window=_FIT_K,
              label=f"L={L_SAMPLES}, K >= 1000"),
        Check("hetpevi.mdp.pessimism", "het_pess", "K",
              label=f"trajectories, L={L_SAMPLES}, union 'cells'"),
        Check("hetpevi.naive.pessimism_loss", "naive_pess", "K", where={},
              in_regime=lambda x, **_: x >= 10000, label="naive pooling, K >= 1e4"),
    ],
    figures=[
        Figure("plateau", "K", {"het_gap": "HetPEVI: V* - V_hat",
                                "naive_gap": "naive pooling: V* - V_hat",
                                "het_subopt": "HetPEVI: SubOpt",
                                "naive_subopt": "naive pooling: SubOpt",
                                "pevi_subopt": "PEVI on the target, L*K episodes",
                                "best_single": f"best single source (oracle of {N_SINGLE})"},
               theorem="hetpevi.mdp.source_floor", fit_window=_FIT_K, logy=False,
               xlabel="K (episodes per source)", ylabel="value (target)",
               title=f"Plateau in K at L = {L_SAMPLES} (source floor); naive pooling: V_hat "
                     f"-> V*\n" + GARNET + ",\nunion 'cells' (named deviation)"),
        Figure("pessimism", "K", {"het_pess": "HetPEVI", "naive_pess": "naive pooling",
                                  "smponly_pess": "sample-only (c_src=0)",
                                  "srconly_pess": "source-only (c_smp=0)",
                                  "pevi_pess": "PEVI on the target",
                                  "het_unclipped": "HetPEVI: fraction of cells not clipped"},
               logy=False, fit=False, xlabel="K (episodes per source)",
               ylabel="fraction (runs pessimistic at every (h,s); cells unclipped)",
               title=f"Pessimism on the target vs K, L = {L_SAMPLES} (need >= 0.9)\n" + GARNET),
        Figure("ablations", "K", {"het_subopt": "HetPEVI", "srconly_subopt": "source-only",
                                  "smponly_subopt": "sample-only", "naive_subopt": "naive"},
               fit=False, logy=False, xlabel="K (episodes per source)", ylabel="SubOpt (target)",
               title=f"SubOpt of HetPEVI and its ablations, L = {L_SAMPLES}\n" + GARNET),
    ],
    constants={"c_src": 1.0, "c_smp": 1.0, "delta": DELTA,
               "union": "cells (named deviation in trajectory mode)", "alpha": ALPHA,
               "reward_noise": U, "instance_seed": INSTANCE_SEED, "L": L_SAMPLES},
)


# ============================================================================ E4: fixed budget
def run_budget(params, rng):
    L, K = int(params["L"]), int(params["K"])
    law, sol, occ, src, beh, data = _garnet_trajectories(L, K, rng)
    t = law.target
    res = hetpevi(data, delta=DELTA, union="cells")
    out = _mdp_metrics("het_", res, t, sol, occ)
    out["floor"] = _floor(src, t, sol)
    return out


def _budget_points(budget, Ls):
    return [{"L": L, "K": budget // L, "budget": budget, "delta": DELTA} for L in Ls]


E4 = Experiment(
    name="hetpevi_budget",
    title="HetPEVI at a fixed budget L*K, " + GARNET.replace("\n", " ")
          + ", union 'cells' (named deviation)",
    run=run_budget,
    grids={"quick": _budget_points(30000, [3, 10, 30, 100, 300]),
           "full": _budget_points(300000, [3, 10, 30, 100, 300, 1000, 3000])},
    replicates={"quick": 3, "full": 30},
    checks=[],
    figures=[Figure("split", "L", {"het_gap": "HetPEVI: V* - V_hat",
                                   "het_subopt": "HetPEVI: SubOpt", "floor": "oracle floor"},
                    fit=False, logy=False, xlabel="L (sources), K = budget / L",
                    ylabel="value (target)",
                    title="Fixed budget L*K split between sources and episodes\n"
                          + GARNET + ",\nunion 'cells' (named deviation)")],
    constants={"c_src": 1.0, "c_smp": 1.0, "delta": DELTA, "union": "cells (deviation)",
               "alpha": ALPHA, "reward_noise": U, "instance_seed": INSTANCE_SEED},
)


# ============================================================================ E5: Markov game
def run_game(params, rng):
    L = int(params["L"])
    law, nash = _game(params.get("game", "pennies"))
    g = law.target
    src = law.draw(L, rng=rng)
    beh = partial_coverage(L, g.n_states, (g.n_actions_max, g.n_actions_min), g.horizon,
                           rng=rng)
    data = exact_source_data(src, beh)
    res = hetpevi_game(data, delta=DELTA)
    ex = exploitability(g, res.pi_max, res.pi_min)
    sandwich = (np.all(res.V_low <= nash.V + 1e-9) and np.all(nash.V <= res.V_up + 1e-9)
                and ex <= res.certified_gap + 1e-9)
    return {"exploit": max(ex, 0.0), "cert_gap": res.certified_gap,
            "sandwich": float(sandwich)}


_LG_QUICK = _logspace(2, 4.5, 6)          # 100 .. 31623
_LG_FULL = _logspace(1, 5, 9)
_FIT_G = (1000, 1e6)
GAME_TXT = (f"S=3 A=B=2 H=3, alpha={ALPHA:g}, r +- {U:g}, half of the joint actions per "
            f"source;\nc_src=c_smp=1, delta={DELTA:g}, union 'cells' (valid)")


def _game_points(Ls, games):
    return [{"L": L, "game": g, "delta": DELTA} for g in games for L in Ls]


E5 = Experiment(
    name="hetpevi_game",
    title="HetPEVI Markov-game variant, exact sources, perturbed matching-pennies game "
          "(fully mixed stage equilibria), " + GAME_TXT.replace("\n", " "),
    run=run_game,
    grids={"quick": _game_points(_LG_QUICK, ["pennies"]),
           "full": _game_points(_LG_FULL, ["pennies", "random"])},
    replicates={"quick": 15, "full": 60},
    checks=[
        Check("hetpevi.game.gap", "exploit", "L", where={"game": "pennies"}, fit_window=_FIT_G,
              label="pennies game, exact sources, L >= 1000"),
        Check("hetpevi.game.sandwich", "sandwich", "L", where={"game": "pennies"},
              label="pennies game, exact sources"),
    ],
    figures=[Figure("gap", "L", {"exploit": "exploitability of (pi_max, pi_min)",
                                 "cert_gap": "certificate rho(V_up - V_low)"},
                    group_by="game", theorem="hetpevi.game.gap", fit_window=_FIT_G,
                    statistic="quantile", xlabel="L (sources, exact models)",
                    ylabel="0.9-quantile",
                    title="Markov-game HetPEVI: duality gap vs L\n(pennies: fully mixed stage "
                          "equilibria; random (full only): pure ones)\n" + GAME_TXT)],
    constants={"c_src": 1.0, "c_smp": 1.0, "delta": DELTA, "union": "cells (valid)",
               "alpha": ALPHA, "reward_noise": U, "game_seed": GAME_SEED},
)

EXPERIMENTS = [E1, E2, E3, E4, E5]

if __name__ == "__main__":
    from rlth.cli import main_for
    main_for(EXPERIMENTS)
