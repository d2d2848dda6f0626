"""LCB / VI-LCB (Rashidinejad, Zhu, Ma, Jiao, Russell 2021, arXiv 2103.12021): sweeps S1-S6.

Every sub-optimality is exact: ``J(pi*) - J(pi_hat)`` from the model (bandits: the gap of the
chosen arm weighted by the context law; MDPs: :func:`rlth.solvers.dp.evaluate_policy`).  Data are
sufficient statistics from :mod:`rlth.data`, so a replicate costs the same at N = 1e3 and 1e9.

S1  MAB, rare optimal arm, C* in {2, 4, 16}: LCB slope -1/2 (after / sqrt(log 4N) where the
    penalty gap carries the log); greedy, UCB, most-played arm.
S2  MAB, frequent optimal arm, C* = 1.5: the most-played arm errs exponentially (semilog), LCB
    only polynomially (log-log, slope -1/2 - kappa(c)).
S3  expert CB (C* = 1), S = 10: slope -1, clipped LCB equals the closed form (S-1)/N (1-1/N)^N;
    paper-exact LCB suffers pitfall 1 (penalty > 2 beats a logged reward of 1).
S4  ambiguous-context CB, S = 10, C* in (1, 2]: slope -1/2 in N, sqrt(C*-1) in C* at N = 1e5.
S5  replica MDP (C* = 2): VI-LCB slope -1/2 in N at gamma = 0.9 and its 1/(1-gamma) exponent
    at N = 1e8 (scaled penalty, see below).
S6  expert MDP (C* = 1), S = 10: slope -1 (paper-exact VI-LCB = behaviour cloning on fold 0).

Constants.  Paper defaults: CB ``c = 2000`` [V], MAB ``c = 1/2`` (Hoeffding form, [R]),
``delta = 1/N``.  VI-LCB: paper penalty and ``penalty_scale = 1e-3`` (named deviation): with the
paper constants every per-fold penalty exceeds 1 below N ~ 1e9 at gamma = 0.9 and VI-LCB returns
its behaviour-cloning initial policy (docs/explanation/theory_notes.md, LCB pitfall 2); both are reported.

Run: ``python experiments/lcb.py --profile quick`` or ``rlth check lcb``.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from rlth.algorithms.offline.lcb import PAPER_C_CB, PAPER_C_MAB, lcb_from_counts, vi_lcb, vi_lcb_n_folds
from rlth.algorithms.offline.baselines import (empirical_policy_iteration, greedy_from_counts,
                                               most_played, ucb_from_counts)
from rlth.experiment import Check, Experiment, Figure
from rlth.instances import offline_pessimism as inst_mod
from rlth.theory import lcb as lcb_theory
from rlth.theory.lcb import mab_kl_rate

VI_SCALE = 1e-3          # named deviation for VI-LCB (S5, S6)
S_CB = 10                # contexts in S3 / S4
S_REPLICAS = 5           # S5
S_EXPERT_MDP = 10        # S6


def _logspace(lo, hi, n):
    return [int(round(v)) for v in np.logspace(lo, hi, n)]


# ============================================================================ bandits (S1, S2)
@lru_cache(maxsize=None)
def _mab(C, N, c):
    return inst_mod.mab_two_point(C, N, c=c)


def _bandit_rows(instance, N, rngs):
    """Sample one dataset per generator; stack as rows ``(R, K)``."""
    from rlth.data import sample_bandit_dataset
    counts, sums = [], []
    for g in rngs:
        d = sample_bandit_dataset(instance.model, instance.behavior, N, rng=g)
        counts.append(d.counts)
        sums.append(d.reward_sums)
    return np.array(counts, dtype=np.int64), np.array(sums, dtype=np.float64)


def run_mab_batch(params, rngs):
    """S1 / S2 replicates: exact sub-optimality ``gap * [arm != a*]`` of each rule."""
    N, C, c = int(params["N"]), float(params["C"]), float(params["c"])
    inst = _mab(C, N, c)
    counts, sums = _bandit_rows(inst, N, rngs)
    K = counts.shape[1]
    best = int(inst.optimal_policy[0])
    gaps = inst.model.means.max() - inst.model.means
    arms = {
        "lcb": lcb_from_counts(counts, sums, c=c, n_samples=N, n_cells=K).policy,
        "greedy": greedy_from_counts(counts, sums),
        "ucb": ucb_from_counts(counts, sums, c=c, n_samples=N, n_cells=K),
        "mpa": most_played(counts),
    }
    out = []
    for i in range(len(rngs)):
        rec = {}
        for name, a in arms.items():
            rec[name] = float(gaps[a[i]])
            rec[name + "_wrong"] = float(a[i] != best)
        rec["gap"] = inst.gap
        if C < 2:
            rec["mpa_wrong_exact"] = lcb_theory.mpa_error_probability(N, 1.0 / C)
        out.append(rec)
    return out


def run_mab(params, rng):
    return run_mab_batch(params, [rng])[0]


def _sqrt_log(x, points):
    return np.sqrt(np.log(4.0 * np.asarray(x, dtype=float)))


S1_C = (2.0, 4.0, 16.0)
S1 = Experiment(
    name="lcb_s1",
    title="S1: offline 2-arm MAB, rare optimal arm (mu(a*) = 1/C*), least-favourable gap for LCB",
    run=run_mab, run_batch=run_mab_batch,
    grids={"quick": [{"N": n, "C": C, "c": PAPER_C_MAB} for C in S1_C
                     for n in _logspace(2, 5, 4)],
           "full": [{"N": n, "C": C, "c": PAPER_C_MAB} for C in S1_C
                    for n in _logspace(2, 6, 9)]},
    replicates={"quick": 500, "full": 4000},
    checks=[
        Check("lcb.mab.upper", "lcb", "N", where={"C": 16.0}, normalize=_sqrt_log,
              normalize_label="/ sqrt(log 4N)", label="C*=16"),
        Check("lcb.mab.upper", "lcb", "N", where={"C": 4.0}, normalize=_sqrt_log,
              normalize_label="/ sqrt(log 4N)", label="C*=4"),
        Check("lcb.mab.upper", "lcb", "N", where={"C": 2.0},
              label="C*=2 (equal penalties: no log)"),
        Check("lcb.mab.lower", "lcb", "N", where={"C": 16.0}, normalize=_sqrt_log,
              normalize_label="/ sqrt(log 4N)", label="C*=16"),
        Check("lcb.mab.lower", "lcb", "N", where={"C": 4.0}, normalize=_sqrt_log,
              normalize_label="/ sqrt(log 4N)", label="C*=4"),
        Check("lcb.mab.lower", "lcb", "N", where={"C": 2.0}, label="C*=2"),
    ],
    figures=[
        Figure("rate", "N", {"lcb": "LCB (c=1/2)"}, group_by="C", theorem="lcb.mab.upper",
               xlabel="N (samples)", ylabel="E[r(a*) - r(a_hat)]",
               title="S1: LCB, rare optimal arm (legend: raw slopes; the checks divide by "
                     "sqrt(log 4N) for C* = 4, 16)"),
        Figure("baselines", "N", {"lcb": "LCB", "greedy": "greedy",
                                  "ucb": "UCB (never wrong in 4000 runs for N >= 1e5)",
                                  "mpa": "most-played arm (always wrong: loss = gap)"},
               where={"C": 4.0}, xlabel="N (samples)", ylabel="E[r(a*) - r(a_hat)]",
               title="S1: C* = 4, LCB vs baselines (instance least favourable for LCB)"),
    ],
    constants={"c": "1/2 (MAB Algorithm 1, Hoeffding form [R])", "delta": "1/N",
               "gap": "argmax_D D*Phi((g-D)/sigma) at the expected counts [D]"},
)

S2_C = 1.5
S2_KL = mab_kl_rate(S2_C)


def _exp_kl(x):
    return np.exp(S2_KL * np.asarray(x, dtype=float))


def _bahadur_rao(x, points):
    """Polynomial prefactor N^-1/2 of the binomial tail (Bahadur-Rao) [D]."""
    return 1.0 / np.sqrt(np.asarray(x, dtype=float))


S2 = Experiment(
    name="lcb_s2",
    title="S2: offline 2-arm MAB, frequent optimal arm (C* = 1.5): imitation vs LCB",
    run=run_mab, run_batch=run_mab_batch,
    grids={"quick": [{"N": n, "C": S2_C, "c": PAPER_C_MAB, "grid": "lin"}
                     for n in range(4, 65, 10)]
                    + [{"N": n, "C": S2_C, "c": PAPER_C_MAB, "grid": "log"}
                       for n in _logspace(2, 5, 3)],
           "full": [{"N": n, "C": S2_C, "c": PAPER_C_MAB, "grid": "lin"}
                    for n in range(4, 81, 4)]
                   + [{"N": n, "C": S2_C, "c": PAPER_C_MAB, "grid": "log"}
                      for n in _logspace(2, 5, 7)]},
    replicates={"quick": 8000, "full": 8000},
    checks=[
        Check("lcb.mab.imitation", "mpa_wrong", "N", where={"grid": "lin"},
              x_transform=_exp_kl, normalize=_bahadur_rao, normalize_label="/ N^-1/2",
              label="most-played arm, MC"),
        Check("lcb.mab.nonadaptive", "lcb", "N", where={"grid": "log"}, label="LCB c=1/2"),
    ],
    figures=[
        Figure("semilog", "N", {"lcb_wrong": "LCB", "mpa_wrong": "most-played arm (MC)",
                                "mpa_wrong_exact": "most-played arm (exact binomial tail)",
                                "greedy_wrong": "greedy"},
               where={"grid": "lin"}, logx=False, logy=True, fit=False,
               xlabel="N (samples, linear axis)", ylabel="Pr(chosen arm != a*)",
               title="S2: C* = 1.5 - imitation errs exponentially, LCB polynomially"),
        Figure("rate", "N", {"lcb": "LCB (c=1/2)", "greedy": "greedy", "ucb": "UCB",
                             "mpa": "most-played arm (never wrong in 8000 runs for N >= 316)"},
               where={"grid": "log"}, theorem="lcb.mab.nonadaptive", xlabel="N (samples)",
               ylabel="E[r(a*) - r(a_hat)]",
               title="S2: C* = 1.5, sub-optimality (least-favourable gap for LCB)"),
    ],
    constants={"c": "1/2 (MAB Algorithm 1 [R])", "delta": "1/N", "C*": S2_C,
               "KL(1/2||1/C*)": round(S2_KL, 5)},
)


# ============================================================================ contextual (S3, S4)
@lru_cache(maxsize=None)
def _cb_instance(kind, N, C):
    if kind == "expert":
        return inst_mod.cb_expert(S_CB, N)
    return inst_mod.cb_ambiguous(S_CB, C, N, c=PAPER_C_CB)


def _cb_loss(instance, policies):
    """Exact sub-optimality of each row policy ``policies[R, S]``."""
    rho = instance.model.context_probs
    means = instance.model.means
    vals = np.take_along_axis(means[None], policies[:, :, None], axis=2)[..., 0]
    terms = (means.max(axis=1)[None] - vals) * rho[None]
    return np.array([math.fsum(row) for row in terms])   # row-wise exact: batch == single


def run_cb_batch(params, rngs):
    """S3 / S4 replicates (rows of independent datasets stacked for speed)."""
    from rlth.data import sample_contextual_dataset
    N, kind = int(params["N"]), params["kind"]
    C = float(params.get("C", 1.0))
    inst = _cb_instance(kind, N, C)
    S, A = inst.model.means.shape
    counts, sums = [], []
    for g in rngs:
        d = sample_contextual_dataset(inst.model, inst.behavior, N, rng=g)
        counts.append(d.counts)
        sums.append(d.reward_sums)
    R = len(rngs)
    counts = np.array(counts, dtype=np.int64).reshape(R * S, A)
    sums = np.array(sums, dtype=np.float64).reshape(R * S, A)
    kw = dict(n_samples=N, n_cells=S * A)
    pols = {
        "lcb": lcb_from_counts(counts, sums, c=PAPER_C_CB, **kw).policy,
        "lcb_clipped": lcb_from_counts(counts, sums, c=PAPER_C_CB, clipped=True, **kw).policy,
        "lcb_half": lcb_from_counts(counts, sums, c=0.5, **kw).policy,
        "greedy": greedy_from_counts(counts, sums),
        "ucb": ucb_from_counts(counts, sums, c=PAPER_C_CB, **kw),
        "bc": most_played(counts),
    }
    losses = {k: _cb_loss(inst, v.reshape(R, S)) for k, v in pols.items()}
    extra = {"closed_form": lcb_theory.cb_expert_closed_form(S, N)} if kind == "expert" else {}
    return [dict({k: float(v[i]) for k, v in losses.items()}, **extra) for i in range(R)]


def run_cb(params, rng):
    return run_cb_batch(params, [rng])[0]


S3 = Experiment(
    name="lcb_s3",
    title=f"S3: expert contextual bandit (C* = 1), S = {S_CB}, {S_CB - 1} contexts of mass 1/N",
    run=run_cb, run_batch=run_cb_batch,
    grids={"quick": [{"N": n, "kind": "expert", "S": S_CB} for n in _logspace(3, 6, 4)],
           "full": [{"N": n, "kind": "expert", "S": S_CB} for n in _logspace(3, 6, 7)]},
    replicates={"quick": 1000, "full": 4000},
    checks=[
        Check("lcb.cb.expert_exact", "lcb_clipped", "N", label="clipped LCB (c=2000)"),
        Check("lcb.cb.expert", "lcb", "N", fit_window=(1e4, 1e7),
              label="paper-exact LCB, N >= 1e4 (pitfall 1 below)"),
        Check("lcb.cb.expert", "bc", "N", label="behaviour cloning"),
    ],
    figures=[
        Figure("rate", "N", {"lcb": "LCB, paper-exact (c=2000, uncapped)",
                             "lcb_clipped": "LCB clipped max(r-b,-1)",
                             "lcb_half": "LCB c=1/2", "bc": "behaviour cloning",
                             "greedy": "greedy"},
               theorem="lcb.cb.expert_exact", fit_window=(1e4, 1e7), xlabel="N (samples)",
               ylabel="E[J(pi*) - J(pi_hat)]",
               title="S3: expert CB - clipped LCB = BC = greedy = (S-1)/N (1-1/N)^N (curves coincide)"),
    ],
    constants={"c": "2000 (CB Algorithm 2 [V])", "delta": "1/N", "tie-break": "lowest index",
               "clipped": "max(r_hat - b, -1), ties to visited [D]"},
)

S4_N = {"quick": _logspace(3, 9, 7), "full": _logspace(3, 9, 13)}
S4_CN = (1.2, 1.5, 2.0)
S4_CSWEEP = (1.02, 1.05, 1.1, 1.2, 1.5, 2.0)
S4_NFIX = 10**9
S4_ASYMPTOTIC = (1e7, 1e10)   # penalty-count noise << reward noise in ambiguous contexts [D]


def _s4_grid(profile):
    pts = [{"N": n, "kind": "ambiguous", "C": C, "S": S_CB, "sweep": "N"}
           for C in S4_CN for n in S4_N[profile]]
    pts += [{"N": S4_NFIX, "kind": "ambiguous", "C": C, "S": S_CB, "sweep": "C"}
            for C in S4_CSWEEP]
    return pts


def _minus_one(x):
    return np.asarray(x, dtype=float) - 1.0


_S4_CHECKS = []
for _C in S4_CN:
    _w = {"C": _C, "sweep": "N"}
    _S4_CHECKS += [
        Check("lcb.cb.upper", "lcb", "N", where=_w, fit_window=(3e4, 1e10),
              label=f"paper-exact, C*={_C}, N >= 3e4"),
        Check("lcb.cb.upper", "lcb_clipped", "N", where=_w, label=f"clipped, C*={_C}"),
        Check("lcb.cb.lower", "lcb", "N", where=_w, fit_window=(3e4, 1e10),
              label=f"paper-exact, C*={_C}, N >= 3e4"),
        Check("lcb.cb.lower", "lcb", "N", where=_w, fit_window=S4_ASYMPTOTIC,
              label=f"paper-exact, C*={_C}, N >= 1e7"),
        Check("lcb.cb.lower", "lcb_half", "N", where=_w, label=f"LCB c=1/2, C*={_C}"),
    ]
_S4_CHECKS += [
    Check("lcb.cb.cstar", "lcb", "C", where={"sweep": "C"}, x_transform=_minus_one,
          label="paper-exact, N=1e9"),
    Check("lcb.cb.cstar", "lcb_clipped", "C", where={"sweep": "C"}, x_transform=_minus_one,
          label="clipped, N=1e9"),
]

S4 = Experiment(
    name="lcb_s4",
    title=f"S4: ambiguous-context CB, S = {S_CB}, C* in (1, 2], least-favourable gaps",
    run=run_cb, run_batch=run_cb_batch,
    grids={"quick": _s4_grid("quick"), "full": _s4_grid("full")},
    replicates={"quick": 400, "full": 3000},
    checks=_S4_CHECKS,
    figures=[
        Figure("rate_N", "N", {"lcb": "LCB paper-exact (c=2000)"}, group_by="C",
               where={"sweep": "N"}, theorem="lcb.cb.upper", fit_window=S4_ASYMPTOTIC,
               xlabel="N (samples)", ylabel="E[J(pi*) - J(pi_hat)]",
               title="S4: paper-exact LCB vs N, one curve per C* (slopes fitted on N >= 1e7)"),
        Figure("baselines", "N", {"lcb": "LCB paper-exact", "lcb_clipped": "LCB clipped",
                                  "lcb_half": "LCB c=1/2", "greedy": "greedy", "ucb": "UCB",
                                  "bc": "behaviour cloning"},
               where={"sweep": "N", "C": 1.5}, fit_window=S4_ASYMPTOTIC, xlabel="N (samples)",
               ylabel="E[J(pi*) - J(pi_hat)]",
               title="S4: C* = 1.5, LCB vs baselines (slopes fitted on N >= 1e7)"),
        Figure("rate_C", "C", {"lcb_clipped": "LCB clipped", "lcb": "LCB paper-exact",
                               "greedy": "greedy", "bc": "behaviour cloning"},
               where={"sweep": "C"}, x_transform=_minus_one, theorem="lcb.cb.cstar",
               xlabel="C* - 1", ylabel="E[J(pi*) - J(pi_hat)]",
               title="S4: sub-optimality vs C* - 1 at N = 1e9 (clipped = paper-exact here)"),
    ],
    constants={"c": "2000 (CB Algorithm 2 [V])", "delta": "1/N",
               "clipped": "max(r_hat - b, -1), ties to visited [D]",
               "gap": "least favourable for c=2000 at the expected counts [D]"},
)


# ============================================================================ MDPs (S5, S6)
@lru_cache(maxsize=None)
def _mdp_instance(kind, N, gamma):
    if kind == "replicas":
        return inst_mod.mdp_replicas(S_REPLICAS, gamma, N, c_star=2.0, kappa=1.0)
    return inst_mod.mdp_expert(S_EXPERT_MDP, gamma, N)


@lru_cache(maxsize=None)
def _optimal_value(kind, N, gamma):
    from rlth.solvers.dp import evaluate_policy
    inst = _mdp_instance(kind, N, gamma)
    return evaluate_policy(inst.model, inst.optimal_policy).value


def run_mdp(params, rng):
    """S5 / S6 replicate: VI-LCB (paper and scaled penalty), BC and plain VI; exact losses."""
    from rlth.data import sample_transition_folds
    from rlth.solvers.dp import evaluate_policy
    N, gamma, kind = int(params["N"]), float(params["gamma"]), params["kind"]
    inst = _mdp_instance(kind, N, gamma)
    mdp = inst.model
    n_folds = vi_lcb_n_folds(N, gamma)
    folds = sample_transition_folds(mdp, inst.behavior, N, n_folds, rng=rng)
    paper = vi_lcb(folds, gamma, n_samples=N)
    scaled = vi_lcb(folds, gamma, n_samples=N, penalty_scale=VI_SCALE)
    pols = {"vi_lcb_paper": paper.policy, "vi_lcb": scaled.policy,
            "bc": most_played(sum(np.asarray(f.counts) for f in folds)),
            "plain_vi": empirical_policy_iteration(folds, gamma)}
    v_star = _optimal_value(kind, N, gamma)
    out = {k: v_star - evaluate_policy(mdp, p).value for k, p in pols.items()}
    out["paper_is_pi0"] = float(np.array_equal(paper.policy, paper.pi0))
    out["scaled_min_penalty"] = scaled.min_penalty
    return out


S5_NS = {"quick": [10**4, 10**5, 10**6], "full": [10**4, 10**5, 10**6, 10**7, 10**8]}
S5_GAMMAS = {"quick": [0.5, 0.9, 0.99], "full": [0.5, 0.75, 0.9, 0.95, 0.98, 0.99]}
S5_NFIX = 10**8


def _s5_grid(profile):
    pts = [{"N": n, "gamma": 0.9, "kind": "replicas", "sweep": "N"} for n in S5_NS[profile]]
    pts += [{"N": S5_NFIX, "gamma": g, "kind": "replicas", "sweep": "gamma"}
            for g in S5_GAMMAS[profile]]
    return pts


def _horizon(x):
    return 1.0 / (1.0 - np.asarray(x, dtype=float))


S5 = Experiment(
    name="lcb_s5",
    title=f"S5: replica MDP ({S_REPLICAS} replicas + absorbing state), C* = 2, equal logging, "
          "Delta = sqrt((1-gamma) S_r C*/N)",
    run=run_mdp,
    grids={"quick": _s5_grid("quick"), "full": _s5_grid("full")},
    replicates={"quick": 40, "full": 300},
    checks=[
        Check("lcb.mdp.upper", "vi_lcb", "N", where={"sweep": "N"},
              label=f"VI-LCB penalty x{VI_SCALE:g}, gamma=0.9"),
        Check("lcb.mdp.lower", "vi_lcb", "N", where={"sweep": "N"},
              label=f"VI-LCB penalty x{VI_SCALE:g}, gamma=0.9"),
        Check("lcb.mdp.horizon", "vi_lcb", "gamma", where={"sweep": "gamma"},
              x_transform=_horizon, label=f"VI-LCB penalty x{VI_SCALE:g}, N=1e8"),
        Check("lcb.mdp.upper", "vi_lcb_paper", "N", where={"sweep": "N"},
              label="VI-LCB paper penalty (= pi_0)"),
    ],
    figures=[
        Figure("rate_N", "N", {"vi_lcb": f"VI-LCB (penalty x{VI_SCALE:g})",
                               "vi_lcb_paper": "VI-LCB paper penalty (= BC on fold 0)",
                               "plain_vi": "plain model-based VI (all data)",
                               "bc": "behaviour cloning (all data)"},
               where={"sweep": "N"}, theorem="lcb.mdp.upper", xlabel="N (samples)",
               ylabel="E[J(pi*) - J(pi_hat)]", title="S5: replica MDP, gamma = 0.9"),
        Figure("rate_gamma", "gamma", {"vi_lcb": f"VI-LCB (penalty x{VI_SCALE:g})",
                                       "vi_lcb_paper": "VI-LCB paper penalty",
                                       "plain_vi": "plain model-based VI"},
               where={"sweep": "gamma"}, x_transform=_horizon, theorem="lcb.mdp.horizon",
               xlabel="1/(1-gamma)", ylabel="E[J(pi*) - J(pi_hat)]",
               title="S5: replica MDP, N = 1e8, sweep of the effective horizon"),
    ],
    constants={"VI-LCB": f"L = 2000 log(2(T+1)SA/delta), b = scale*V_max*sqrt(L/m); "
                         f"scale = 1 (paper) and {VI_SCALE:g} (named deviation)",
               "T": "floor(ln N/(1-gamma))", "delta": "1/N", "C*": 2, "kappa": 1},
)

S6 = Experiment(
    name="lcb_s6",
    title=f"S6: expert MDP (C* = 1), S = {S_EXPERT_MDP}, {S_EXPERT_MDP - 2} states of initial "
          "mass 1/N, gamma = 0.9",
    run=run_mdp,
    grids={"quick": [{"N": n, "gamma": 0.9, "kind": "expert"} for n in _logspace(3, 6, 4)],
           "full": [{"N": n, "gamma": 0.9, "kind": "expert"} for n in _logspace(3, 6, 7)]},
    replicates={"quick": 60, "full": 300},
    checks=[
        Check("lcb.mdp.expert", "vi_lcb_paper", "N", label="VI-LCB paper-exact"),
        Check("lcb.mdp.expert", "vi_lcb", "N", label=f"VI-LCB penalty x{VI_SCALE:g}"),
    ],
    figures=[
        Figure("rate", "N", {"vi_lcb_paper": "VI-LCB paper-exact (= BC on fold 0)",
                             "vi_lcb": f"VI-LCB (penalty x{VI_SCALE:g}; same curve)",
                             "bc": "behaviour cloning (all data)",
                             "plain_vi": "plain model-based VI (same curve as BC)"},
               theorem="lcb.mdp.expert", xlabel="N (samples)", ylabel="E[J(pi*) - J(pi_hat)]",
               title="S6: expert MDP, gamma = 0.9"),
    ],
    constants={"VI-LCB": f"paper penalty and x{VI_SCALE:g}", "delta": "1/N", "gamma": 0.9},
)

EXPERIMENTS = [S1, S2, S3, S4, S5, S6]


if __name__ == "__main__":
    import sys
    from rlth.cli import main_for
    sys.exit(main_for(EXPERIMENTS))
