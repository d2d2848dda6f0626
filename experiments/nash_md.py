"""Nash-MD (Munos et al. 2023, arXiv:2312.00886): the last-iterate rate of Theorem 1.

Experiments (theorems in :mod:`rlth.theory.nash_md`):

``nash_md_rate``
    KL(pi*_tau, pi_T) against T for Nash-MD with exact feedback (Theorem 1's schedule
    eta_t = 2/(tau(t+2))), with one sampled opponent per step, and for the baselines OMD/INPO,
    MMD and extragradient (EGPO) at the constant step eta = tau.  Deterministic metrics are
    computed once per point (``run_batch``); the sampled one per replicate.
``nash_md_tau``
    KL at fixed T against 1/tau (the bound's tau^-2).
``nash_md_step``
    Constant-step Nash-MD: the plateau KL against eta (the O(eta) bias floor).

pi*_tau comes from :func:`rlth.solvers.preference.solve_regularized_nash` (Newton, residual
~1e-15).  ``python experiments/nash_md.py --simplex`` draws the RPS simplex trajectories
(``paper_figures/nash_md_rps_simplex.png`` + CSV); any other arguments go to the harness
(``--profile quick|full``, as ``rlth check nash_md``).
"""
from __future__ import annotations

import functools
import math
import sys

import numpy as np

from rlth.algorithms.preference.nash_md import nash_md
from rlth.algorithms.preference.dynamics import extragradient, mmd, mwu_self_play, omd
from rlth.experiment import Check, Experiment, Figure
from rlth.instances.preference import (nontransitive_dice, random_preference,
                                              reference_policy, rps_tournament)
from rlth.solvers.preference import solve_regularized_nash

# ----------------------------------------------------------------------------------- instances

INSTANCES = {
    "random10": "random P n=10 (seed 2023), mu = softmax(N(0,1)) (seed 2024)",
    "rps5": "RPS tournament n=5, mu = softmax(N(0,1)) (seed 5)",
    "dice": "non-transitive dice, mu = (0.6, 0.3, 0.1)",
    "contextual": "4 contexts x random P n=6 (seed 7), mu = softmax(N(0,1)) (seed 8)",
}


@functools.lru_cache(maxsize=None)
def build_instance(name: str):
    """The preference game called ``name`` (see ``INSTANCES``)."""
    if name == "random10":
        return random_preference(10, rng=2023, mu=reference_policy(10, "softmax", rng=2024))
    if name == "rps5":
        return rps_tournament(5, mu=reference_policy(5, "softmax", rng=5))
    if name == "dice":
        return nontransitive_dice(mu=[0.6, 0.3, 0.1])
    if name == "contextual":
        return random_preference(6, n_contexts=4, rng=7,
                                 mu=reference_policy(6, "softmax", n_contexts=4, rng=8))
    raise ValueError(f"instance: unknown {name!r}; known: {sorted(INSTANCES)}")


@functools.lru_cache(maxsize=None)
def equilibrium(name: str, tau: float) -> np.ndarray:
    """pi*_tau of instance ``name`` (Newton; the certificate is checked here)."""
    sol = solve_regularized_nash(build_instance(name), tau)
    if not sol.exploitability <= 1e-12:
        raise RuntimeError(f"equilibrium of {name} at tau={tau} not certified: "
                           f"exploitability {sol.exploitability:.3g}")
    return sol.pi


def _kl(name, tau, result):
    return float(result.kl_from(build_instance(name), equilibrium(name, tau))[-1])


BASELINE_ETA = "tau"   # constant step of the baselines: eta = tau (MMD's step condition)


def _deterministic_rate(name: str, tau: float, T: int) -> dict:
    g = build_instance(name)
    eta = tau
    return {
        "kl_exact": _kl(name, tau, nash_md(g, tau, T)),
        "kl_omd": _kl(name, tau, omd(g, tau, eta, T)),
        "kl_mmd": _kl(name, tau, mmd(g, tau, eta, T)),
        "kl_egpo": _kl(name, tau, extragradient(g, tau, eta, T)),
        "bound": 8.0 / (tau ** 2 * (T + 1)),
    }


def run_rate_batch(params, rngs):
    """Nash-MD exact (once) + baselines (once) + sampled Nash-MD (per replicate)."""
    name, tau, T = params["instance"], float(params["tau"]), int(params["T"])
    det = _deterministic_rate(name, tau, T)
    g = build_instance(name)
    out = []
    for rng in rngs:
        kl_s = _kl(name, tau, nash_md(g, tau, T, feedback="sampled", n_samples=1, rng=rng))
        out.append(dict(det, kl_sampled=kl_s))
    return out


def run_rate(params, rng):
    """One replicate of ``nash_md_rate`` (same record as :func:`run_rate_batch`)."""
    return run_rate_batch(params, [rng])[0]


def run_tau_batch(params, rngs):
    """KL at fixed T for tau = 1/inv_tau: exact (once) and sampled (per replicate)."""
    name, T = params["instance"], int(params["T"])
    tau = 1.0 / float(params["inv_tau"])
    g = build_instance(name)
    kl_e = _kl(name, tau, nash_md(g, tau, T))
    return [{"kl_exact": kl_e,
             "kl_sampled": _kl(name, tau, nash_md(g, tau, T, feedback="sampled", rng=rng))}
            for rng in rngs]


def run_tau(params, rng):
    return run_tau_batch(params, [rng])[0]


def run_step(params, rng):
    """Constant-step Nash-MD from the uniform policy for T = ceil(40/(eta tau)) steps."""
    name, tau, eta, T = params["instance"], float(params["tau"]), float(params["eta"]), \
        int(params["T"])
    g = build_instance(name)
    pi0 = np.full(g.mu.shape, 1.0 / g.n_actions)
    return {"kl_exact": _kl(name, tau, nash_md(g, tau, T, eta=eta, pi0=pi0))}


# ----------------------------------------------------------------------------------- grids

def _t_grid(max_exp: int, per_decade: int):
    ks = range(per_decade, max_exp * per_decade + 1)
    return sorted({int(round(10 ** (k / per_decade))) for k in ks})


T_QUICK = _t_grid(4, 2) + [31623]   # 10 .. 3e4, half decades
T_FULL = _t_grid(5, 3)         # 10 .. 1e5, third decades
TAUS = (1.0, 0.1, 0.01)
RATE_COMBOS = [(n, t) for n in ("random10", "rps5", "dice", "contextual") for t in TAUS]
SLOPE_COMBOS = [(n, t) for n in ("random10", "rps5") for t in TAUS]


def _in_regime(x, tau, **_):
    """T >= 10/tau: then eta_t <= 0.2 (sampled runs: the noise term dominates from there)."""
    return x >= 10.0 / tau


def _in_asymptotic_regime(x, tau, **_):
    """T >= 10/tau^2: the rotation gain left after T, exp(sum_{s>=T} eta_s^2 omega^2 / 2) with
    omega <= 1/2, is below exp(0.05), so the T^-4 transient no longer hides the T^-2 term [D]."""
    return x >= 10.0 / tau ** 2


def _rate_checks(combos_upper, combos_slope):
    checks = [Check(theorem="nash_md.exact.upper", metric="kl_exact", x="T",
                    where={"instance": n, "tau": t}, label=f"{n} tau={t:g}")
              for n, t in combos_upper]
    checks += [Check(theorem="nash_md.exact.observed", metric="kl_exact", x="T",
                     where={"instance": n, "tau": t}, label=f"{n} tau={t:g}",
                     in_regime=_in_asymptotic_regime) for n, t in combos_slope]
    checks += [Check(theorem="nash_md.sampled.rate", metric="kl_sampled", x="T",
                     where={"instance": n, "tau": t}, label=f"{n} tau={t:g} m=1",
                     in_regime=_in_regime) for n, t in combos_slope]
    return checks


_NASH_MD_METRICS = {"kl_exact": "Nash-MD, exact feedback",
                    "kl_sampled": "Nash-MD, 1 sampled opponent/step (mean)"}
_BASELINE_METRICS = {**_NASH_MD_METRICS, "kl_omd": "OMD/INPO (eta=tau)",
                     "kl_mmd": "MMD (eta=tau)", "kl_egpo": "extragradient/EGPO (eta=tau)"}


def _rate_figures(n, t):
    """The rate plot (Nash-MD exact and sampled, fitted slopes) and the baselines plot (no slope
    fits: the baselines converge linearly to the float64 floor, where a log-log slope means
    nothing)."""
    return [
        Figure(name=f"{n}_tau{t:g}", x="T", metrics=_NASH_MD_METRICS,
               where={"instance": n, "tau": t}, theorem="nash_md.exact.upper",
               fit_window=(10.0 / t ** 2, math.inf), xlabel="T (iterations)",
               ylabel="KL(pi*_tau, pi_T)",
               title=f"Nash-MD last iterate, {n}, tau={t:g}\n{INSTANCES[n]}\n"
                     + (f"(slopes fitted on T >= 10/tau^2 = {10 / t ** 2:g})" if 10 / t ** 2 < 1e5
                        else f"(no slope fitted: T < 10/tau^2 = {10 / t ** 2:g}, pre-asymptotic)")),
        Figure(name=f"{n}_tau{t:g}_baselines", x="T", metrics=_BASELINE_METRICS,
               where={"instance": n, "tau": t}, theorem="nash_md.exact.upper", fit=False,
               xlabel="T (iterations)", ylabel="KL(pi*_tau, pi_T)",
               title=f"Nash-MD vs baselines, {n}, tau={t:g}\n{INSTANCES[n]}\n"
                     "(OMD/MMD/EGPO nearly coincide when eta*tau << 1; KL ~1e-16 is rounding)"),
    ]


RATE = Experiment(
    name="nash_md_rate",
    title=("Nash-MD (Munos et al. 2023), last iterate KL(pi*_tau, pi_T) vs T, exact pi*_tau "
           "(Newton); instances: experiments/nash_md.py INSTANCES"),
    run=run_rate, run_batch=run_rate_batch,
    grids={"quick": [{"instance": n, "tau": t, "T": T} for n, t in RATE_COMBOS for T in T_QUICK],
           "full": [{"instance": n, "tau": t, "T": T} for n, t in RATE_COMBOS for T in T_FULL]},
    replicates={"quick": 40, "full": 100},
    checks=_rate_checks(RATE_COMBOS, SLOPE_COMBOS),
    figures=[f for n, t in (("random10", 0.1), ("rps5", 0.1), ("random10", 1.0),
                            ("random10", 0.01), ("contextual", 0.1)) for f in _rate_figures(n, t)],
    constants={"eta_t": "2/(tau(t+2)) (paper)", "pi0": "mu", "sampled": "1 opponent/step",
               "baselines": "constant eta = tau, pi0 = mu"},
    seed=20261206,
)

TAU = Experiment(
    name="nash_md_tau",
    title=("Nash-MD at fixed T vs 1/tau (Theorem 1: 8/(tau^2 (T+1))); instance random10: "
           + INSTANCES["random10"]),
    run=run_tau, run_batch=run_tau_batch,
    grids={"quick": [{"instance": "random10", "inv_tau": it, "T": 10_000}
                     for it in (1.0, 2.0, 4.0, 10.0, 20.0, 40.0)],
           "full": [{"instance": "random10", "inv_tau": it, "T": 100_000}
                    for it in (1.0, 2.0, 4.0, 10.0, 20.0, 40.0, 100.0)]},
    replicates={"quick": 40, "full": 100},
    checks=[Check(theorem="nash_md.tau_scaling.upper", metric="kl_exact", x="inv_tau",
                  statistic="exact",
                  label="exact, random10"),
            Check(theorem="nash_md.tau_scaling.upper", metric="kl_sampled", x="inv_tau",
                  label="sampled m=1, random10"),
            Check(theorem="nash_md.sampled.tau_scaling", metric="kl_sampled", x="inv_tau",
                  label="sampled m=1, random10")],
    figures=[Figure(name="scaling", x="inv_tau",
                    metrics={"kl_exact": "Nash-MD, exact", "kl_sampled": "Nash-MD, 1 sample/step"},
                    theorem="nash_md.tau_scaling.upper", xlabel="1/tau",
                    ylabel="KL(pi*_tau, pi_T) at fixed T",
                    title="Nash-MD: KL at fixed T against 1/tau\n" + INSTANCES["random10"]
                          + "\n(exact: not a power law; small tau is still in its T^-4 "
                            "transient)")],
    constants={"eta_t": "2/(tau(t+2)) (paper)", "pi0": "mu", "T": "1e4 quick, 1e5 full"},
    seed=20261207,
)

def _inverse(x):
    """eta -> 1/eta: the sweep variable of the constant-step theorems (the floor vanishes as
    1/eta grows)."""
    return 1.0 / np.asarray(x, dtype=np.float64)


STEP_ETAS_QUICK = (1.0, 0.3, 0.1, 0.03)
STEP_ETAS_FULL = (1.0, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01)


def _step_point(eta, tau=0.1):
    return {"instance": "random10", "tau": tau, "eta": eta,
            "T": int(math.ceil(40.0 / (eta * tau))), "n_actions": 10}


STEP = Experiment(
    name="nash_md_step",
    title=("Constant-step Nash-MD, plateau KL(pi*_tau, pi_T) vs eta, T = ceil(40/(eta tau)), "
           "pi0 uniform, tau = 0.1; instance random10: " + INSTANCES["random10"]),
    run=run_step,
    grids={"quick": [_step_point(e) for e in STEP_ETAS_QUICK],
           "full": [_step_point(e) for e in STEP_ETAS_FULL]},
    replicates={"quick": 1, "full": 1},
    checks=[Check(theorem="nash_md.constant_step.upper", metric="kl_exact", x="eta",
                  x_transform=_inverse, label="random10 tau=0.1"),
            Check(theorem="nash_md.constant_step.bias", metric="kl_exact", x="eta",
                  x_transform=_inverse, label="random10 tau=0.1")],
    figures=[Figure(name="bias", x="eta", metrics={"kl_exact": "constant-step Nash-MD"},
                    x_transform=_inverse,
                    theorem="nash_md.constant_step.upper", xlabel="1/eta (constant step eta)",
                    ylabel="plateau KL(pi*_tau, pi_T)",
                    title="Constant-step Nash-MD: bias floor (tau = 0.1)\n"
                          + INSTANCES["random10"])],
    constants={"tau": 0.1, "T": "ceil(40/(eta tau))", "pi0": "uniform"},
    seed=20261208,
)


EXPERIMENTS = [RATE, TAU, STEP]

# ----------------------------------------------------------------------------------- simplex


def rps_simplex_trajectories(tau: float = 0.1, n_iter: int = 1000, mu=(0.6, 0.3, 0.1),
                             pi0=(0.2, 0.2, 0.6), eta_omd: float = 1.0, eta_mwu: float = 0.1):
    """Trajectories on the 3-action simplex for rock-paper-scissors (p_win = 1).

    Returns a dict ``label -> array [n_iter + 1, 3]``: Nash-MD (tau, Theorem 1 schedule), OMD
    (tau, constant ``eta_omd``), MWU self-play at tau = 0 (last and average iterate), and the
    points pi*_tau and the tau = 0 equilibrium (uniform).
    """
    game = rps_tournament(3, mu=list(mu))
    ck = np.arange(n_iter + 1)
    star = solve_regularized_nash(game, tau).pi[0]
    nm = nash_md(game, tau, n_iter, pi0=list(pi0), checkpoints=ck).iterates[:, 0]
    om = omd(game, tau, eta_omd, n_iter, pi0=list(pi0), checkpoints=ck).iterates[:, 0]
    sp = mwu_self_play(game, eta_mwu, n_iter, pi0=list(pi0), checkpoints=ck)
    avg = sp.averages[:, 0].copy()
    avg[0] = np.asarray(pi0)
    return {f"Nash-MD (tau={tau:g}, eta_t=2/(tau(t+2)))": nm,
            f"OMD/INPO (tau={tau:g}, eta={eta_omd:g})": om,
            f"MWU self-play, tau=0, last iterate (eta={eta_mwu:g})": sp.iterates[:, 0],
            f"MWU self-play, tau=0, average iterate": avg,
            "pi*_tau": star[None], "tau=0 equilibrium (uniform)": np.full((1, 3), 1 / 3)}


def plot_rps_simplex(out_dir=None, **kwargs):
    """Draw :func:`rps_simplex_trajectories` to ``<out_dir>/nash_md_rps_simplex.png`` + CSV."""
    import csv
    from pathlib import Path

    import matplotlib
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    from rlth.plotting import figures_dir
    out = Path(out_dir) if out_dir is not None else figures_dir("full")
    out.mkdir(parents=True, exist_ok=True)
    traj = rps_simplex_trajectories(**kwargs)
    corners = np.array([[0.0, 0.0], [1.0, 0.0], [0.5, math.sqrt(3) / 2]])

    def xy(p):
        return np.asarray(p) @ corners

    fig, ax = plt.subplots(figsize=(6.4, 7.4))
    ax.plot(*np.vstack([corners, corners[:1]]).T, "k-", lw=1)
    for c, name in zip(corners, ("rock (y1)", "paper (y2)", "scissors (y3)")):
        ax.annotate(name, c, textcoords="offset points",
                    xytext=(0, 8) if c[1] > 0 else (0, -14), ha="center", fontsize=9)
    styles = ["C0o-", "C1-", "C2-", "C3-"]
    for (label, p), st in zip([(k, v) for k, v in traj.items() if len(v) > 1], styles):
        q = xy(p)
        ax.plot(q[:, 0], q[:, 1], st, lw=1.2, ms=2.5, label=label, alpha=0.9)
        ax.plot(*q[0], "ks", ms=4)
    ax.plot(*xy(traj["pi*_tau"][0]), "r*", ms=14, label="pi*_tau (Newton)")
    ax.plot(*xy(traj["tau=0 equilibrium (uniform)"][0]), "kx", ms=10, mew=2,
            label="tau=0 equilibrium (uniform)")
    ax.set_aspect("equal")
    ax.axis("off")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.02), ncol=1)
    n_iter = len(next(iter(traj.values()))) - 1
    ax.set_title(f"Rock-paper-scissors (p_win = 1), mu = (0.6, 0.3, 0.1),\n"
                 f"pi0 = (0.2, 0.2, 0.6) (black square), {n_iter} iterations", fontsize=10)
    fig.tight_layout()
    png = out / "nash_md_rps_simplex.png"
    fig.savefig(png, dpi=130)
    plt.close(fig)
    with open(png.with_suffix(".csv"), "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["curve", "t", "p_rock", "p_paper", "p_scissors"])
        for label, p in traj.items():
            for t, row in enumerate(p):
                w.writerow([label, t, *(repr(float(v)) for v in row)])
    return png


if __name__ == "__main__":
    if "--simplex" in sys.argv[1:]:
        print(plot_rps_simplex())
    else:
        from rlth.cli import main_for
        main_for(EXPERIMENTS)
