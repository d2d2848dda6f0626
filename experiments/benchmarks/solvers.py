"""Benchmark of rlth's exact solvers against peers measured in the same run.

Finite horizon (H = 50, stationary dense random P, rows uniform-normalised, R ~ U[0, 1]):
rlth ``backward_induction`` (default; its lazy certificate not read), the same with the
certificate read, rlth's plain per-stage recursion (speculation off: numba kernel or BLAS gemv),
quantecon ``DiscreteDP.backward_induction`` (beta = 1), plain numpy (``P.reshape(S*A, S) @ V``
then max / argmax per stage), pymdptoolbox ``FiniteHorizon.run`` if importable, and the
memory-bandwidth floor: H times the fastest streaming read of ``P`` measured now (BLAS gemv or
``P.sum()``).
A second table reruns the sizes that speculate on deterministic Garnet instances (branching 1),
whose greedy policy keeps changing, i.e. the worst case for rlth's policy speculation.
Discounted (gamma = 0.99): rlth value / policy iteration vs quantecon at matched guarantees
(rlth ``tol`` = quantecon ``epsilon / 2``, both bound ``||V - V*||_inf``).

Every number is the median of interleaved repeats (methods alternate inside each repeat, so a
noisy neighbour hits all of them alike); the first call (numba compile or cache load) is excluded
and reported separately, together with a cold compile in a fresh numba cache (subprocess).

Usage::

    python experiments/benchmarks/solvers.py [--quick] [--repeats N] [--markdown FILE]
    rlth bench
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

FH_SIZES = [(10, 4), (100, 10), (500, 20), (2000, 10)]
DISC_SIZES = [(10, 4), (100, 10)]       # VI at (500, 20) needs ~2300 sweeps of 40 MB: not cheap
HORIZON = 50
GAMMA = 0.99


def _random_dense(S, A, seed):
    rng = np.random.default_rng(seed)
    P = rng.random((S, A, S))
    P /= P.sum(axis=-1, keepdims=True)
    return P, rng.random((S, A))


def _batch(f, min_time):
    """Calls per timed batch so that one batch lasts about ``min_time`` seconds (long batches
    average out preemption on a shared host instead of letting one stall decide a median)."""
    dts = []
    for _ in range(3):
        t0 = time.perf_counter()
        f()
        dts.append(time.perf_counter() - t0)
        if dts[-1] > min_time:
            break
    return max(1, min(2000, int(min_time / max(min(dts), 1e-7))))


def _interleaved(fns: dict, repeats: int, min_time: float) -> dict:
    """Median (and, under key ``"<name>@min"``, best) seconds per call of each function,
    interleaving the methods in every repeat."""
    n = {k: _batch(f, min_time) for k, f in fns.items()}
    times = {k: [] for k in fns}
    for _ in range(repeats):
        for k, f in fns.items():
            t0 = time.perf_counter()
            for _ in range(n[k]):
                f()
            times[k].append((time.perf_counter() - t0) / n[k])
    res = {k: float(np.median(v)) for k, v in times.items()}
    res.update({f"{k}@min": float(np.min(v)) for k, v in times.items()})
    return res


def _numpy_bi(P2, r, S, A, H):
    V = np.zeros((H + 1, S))
    pi = np.empty((H, S), dtype=np.int64)
    for h in range(H - 1, -1, -1):
        q = (r + P2 @ V[h + 1]).reshape(S, A)
        pi[h] = q.argmax(axis=1)
        V[h] = q.max(axis=1)
    return V, pi


def _cold_compile_seconds() -> float | None:
    """First call of backward_induction + value_iteration in a fresh process and numba cache."""
    code = ("import time; t=time.perf_counter();"
            "from rlth.instances import random_mdp;"
            "from rlth.solvers.dp import backward_induction, value_iteration, evaluate_policy;"
            "m=random_mdp(3,2,horizon=2,rng=0); s=backward_induction(m); evaluate_policy(m, s.pi);"
            "value_iteration(random_mdp(3,2,gamma=0.5,rng=0));"
            "print(time.perf_counter()-t)")
    with tempfile.TemporaryDirectory() as d:
        env = dict(os.environ, NUMBA_CACHE_DIR=d)
        try:
            out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                                 text=True, timeout=300, check=True)
            return float(out.stdout.strip().splitlines()[-1])
        except Exception:                                   # pragma: no cover - diagnostics only
            return None


def _speculation_counts(mdp):
    """(policy changes between consecutive stages, speculative blocks, blocks refuted)."""
    from rlth.solvers import _backward, dp
    outcomes = []
    real = _backward.speculative_stages

    def recording(*args):
        n = real(*args)
        outcomes.append((args[-2], n))
        return n

    _backward.speculative_stages = recording
    try:
        sol = dp.backward_induction(mdp, certify=False)
    finally:
        _backward.speculative_stages = real
    changes = int(sum(not np.array_equal(sol.pi[h], sol.pi[h + 1])
                      for h in range(mdp.horizon - 1)))
    return changes, len(outcomes), sum(n < k for k, n in outcomes)


def _rlth_fns(mdp):
    from rlth.solvers import _backward, dp

    def plain():
        _backward.SPECULATE = False
        try:
            return dp.backward_induction(mdp, certify=False)
        finally:
            _backward.SPECULATE = True

    return {"rlth": lambda: dp.backward_induction(mdp),
            "rlth_cert": lambda: dp.backward_induction(mdp).bellman_residual,
            "rlth_plain": plain}


def bench_finite_horizon(sizes, repeats, quick, out, kind="dense"):
    import quantecon.markov.ddp as qe_ddp
    from rlth.models import FiniteHorizonMDP
    from rlth.instances import random_mdp
    from rlth.solvers import _backward
    from rlth.solvers._backward import NUMBA_MAX_STAGE_BYTES
    from rlth.solvers.dp import backward_induction
    try:
        import mdptoolbox.mdp as mdptb
    except ImportError:                                     # pragma: no cover
        mdptb = None

    rows = []
    H = HORIZON
    for S, A in sizes:
        if kind == "dense":
            P, R = _random_dense(S, A, seed=S * 1000 + A)
        else:                                               # deterministic Garnet
            m = random_mdp(S, A, horizon=H, rng=S + A, branching=1)
            P, R = np.array(m.P_stages[0]), np.array(m.R_stages[0])
        mdp = FiniteHorizonMDP(P, R, horizon=H)
        P2 = P.reshape(S * A, S)
        r = R.reshape(S * A)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ddp = qe_ddp.DiscreteDP(R, P, 1.0)
        v = np.random.default_rng(0).random(S)
        fns = dict(_rlth_fns(mdp))
        fns.update({
            "quantecon": lambda: qe_ddp.backward_induction(ddp, H),
            "numpy": lambda: _numpy_bi(P2, r, S, A, H),
            "gemv": lambda: P2 @ v,
            "sum": lambda: P.sum(),
        })
        fh = None
        if mdptb is not None and kind == "dense":
            fh = mdptb.FiniteHorizon(np.ascontiguousarray(P.transpose(1, 0, 2)), R, 1, H)
            fns["pymdptoolbox"] = fh.run
        # warm-up: the first call of the rlth solver in this process (cache load or compile)
        t0 = time.perf_counter()
        sol = backward_induction(mdp)
        first = time.perf_counter() - t0
        vs, sigmas = qe_ddp.backward_induction(ddp, H)
        assert np.max(np.abs(sol.V - vs)) < 1e-8, "rlth and quantecon disagree"
        assert sol.bellman_residual < 1e-8, "rlth certificate"
        changes, blocks, refuted = _speculation_counts(mdp)
        min_time = 0.03 if quick else 0.1
        t = _interleaved(fns, repeats if S < 2000 else max(3, repeats // 2), min_time)
        floor_read = min(t["gemv"], t["sum"])
        floor = H * floor_read
        path = ("speculative" if _backward.use_speculation(S, A, True)
                else "numba" if S * A * S * 8 <= NUMBA_MAX_STAGE_BYTES else "blas")
        row = dict(S=S, A=A, H=H, path=path, kind=kind, changes=changes, blocks=blocks,
                   refuted=refuted, first_call=first,
                   floor_src="gemv" if t["gemv"] <= t["sum"] else "sum",
                   P_MB=P.nbytes / 1e6, floor=floor, **t)
        row["gbps_plain"] = H * P.nbytes / t["rlth_plain"] / 1e9
        row["floor_gbps"] = P.nbytes / floor_read / 1e9
        rows.append(row)
        out(f"  {kind} (S={S}, A={A}) done: rlth {t['rlth'] * 1e3:.3f} ms, "
            f"quantecon {t['quantecon'] * 1e3:.3f} ms")
        del fh, ddp, mdp, P, P2
    return rows


def bench_discounted(sizes, repeats, out):
    import quantecon.markov.ddp as qe_ddp
    from rlth.models import DiscountedMDP
    from rlth.solvers.dp import policy_iteration, value_iteration

    rows = []
    tol = 1e-8
    for S, A in sizes:
        P, R = _random_dense(S, A, seed=S * 7 + A)
        mdp = DiscountedMDP(P, R, GAMMA)
        ddp = qe_ddp.DiscreteDP(R, P, GAMMA)
        vi = value_iteration(mdp, tol=tol)           # warm-up + reference
        qvi = ddp.value_iteration(epsilon=2 * tol, max_iter=10 ** 6)
        fns = {
            "rlth_vi": lambda: value_iteration(mdp, tol=tol),
            "qe_vi": lambda: ddp.value_iteration(epsilon=2 * tol, max_iter=10 ** 6),
            "rlth_pi": lambda: policy_iteration(mdp),
            "qe_pi": lambda: ddp.policy_iteration(),
        }
        t = _interleaved(fns, max(3, repeats // 2) if S >= 500 else repeats, 0.1)
        rows.append(dict(S=S, A=A, gamma=GAMMA, tol=tol, vi_iter=vi.n_iter, qe_vi_iter=qvi.num_iter,
                         vi_err=float(np.max(np.abs(vi.V - policy_iteration(mdp).V))), **t))
        out(f"  discounted (S={S}, A={A}) done")
    return rows


def _ms(x):
    return f"{x * 1e3:.3f}" if x < 1 else f"{x * 1e3:.0f}"


def _ratio(r, a, b):
    """Median ratio ``a / b`` with the best-of-repeats ratio in brackets."""
    return f"{r[a] / r[b]:.2f} [{r[a + '@min'] / r[b + '@min']:.2f}]"


def format_tables(fh_rows, disc_rows, meta, adv_rows=()) -> str:
    lines = [f"Machine: {meta['cpus']} CPUs, load average before/after "
             f"{meta['load_before']:.2f}/{meta['load_after']:.2f}; numpy {np.__version__}; "
             f"repeats {meta['repeats']} (interleaved medians).", ""]
    lines += ["### Finite horizon, backward induction (H = 50, stationary dense P)", "",
              "Median ms per solve (floor = H streaming reads of P, measured in the same run; "
              "rlth = default solve, certificate not read; +cert = certificate read too; "
              "plain = rlth's per-stage recursion with speculation off: the numba kernel up to "
              "4 MiB per stage, else one BLAS gemv per stage):", "",
              "| (S, A) | path | rlth | rlth +cert | rlth plain | quantecon | numpy P2@V "
              "| pymdptoolbox | floor |",
              "|---|---|---|---|---|---|---|---|---|"]
    for r in fh_rows:
        pm = _ms(r["pymdptoolbox"]) if "pymdptoolbox" in r else "n/a"
        lines.append(
            f"| ({r['S']}, {r['A']}) | {r['path']} | {_ms(r['rlth'])} | {_ms(r['rlth_cert'])} "
            f"| {_ms(r['rlth_plain'])} | {_ms(r['quantecon'])} | {_ms(r['numpy'])} | {pm} "
            f"| {_ms(r['floor'])} ({r['floor_src']}) |")
    lines += ["", "Ratios (median; best-of-repeats in brackets); policy changes = stages whose "
              "greedy policy differs from the next stage's; blocks = speculative blocks "
              "(refuted):", "",
              "| (S, A) | quantecon / rlth | quantecon / (rlth +cert) | quantecon / rlth plain "
              "| rlth / floor | rlth plain / floor | plain GB/s | floor GB/s "
              "| policy changes | blocks (refuted) |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for r in fh_rows:
        fl_min = HORIZON * min(r["gemv@min"], r["sum@min"])
        blocks = (f"{r['blocks']} ({r['refuted']})" if r["path"] == "speculative"
                  else f"n/a ({r['path']})")
        lines.append(
            f"| ({r['S']}, {r['A']}) | {_ratio(r, 'quantecon', 'rlth')} "
            f"| {_ratio(r, 'quantecon', 'rlth_cert')} | {_ratio(r, 'quantecon', 'rlth_plain')} "
            f"| {r['rlth'] / r['floor']:.2f} [{r['rlth@min'] / fl_min:.2f}] "
            f"| {r['rlth_plain'] / r['floor']:.2f} [{r['rlth_plain@min'] / fl_min:.2f}] "
            f"| {r['gbps_plain']:.1f} | {r['floor_gbps']:.1f} | {r['changes']} | {blocks} |")
    if adv_rows:
        lines += ["", "### Worst case for speculation: deterministic Garnet (branching 1, "
                  "H = 50), greedy policy keeps changing", "",
                  "| (S, A) | policy changes | blocks (refuted) | rlth | rlth +cert | rlth plain "
                  "| quantecon | quantecon / rlth | quantecon / (rlth +cert) | rlth plain / rlth |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for r in adv_rows:
            lines.append(
                f"| ({r['S']}, {r['A']}) | {r['changes']} | {r['blocks']} ({r['refuted']}) "
                f"| {_ms(r['rlth'])} | {_ms(r['rlth_cert'])} | {_ms(r['rlth_plain'])} "
                f"| {_ms(r['quantecon'])} | {_ratio(r, 'quantecon', 'rlth')} "
                f"| {_ratio(r, 'quantecon', 'rlth_cert')} | {_ratio(r, 'rlth_plain', 'rlth')} |")
    lines += ["", "First call in this process "
              "(numba cache load, or a compile if the cache is stale; excluded above, "
              "certificate not included): "
              + ", ".join(f"({r['S']},{r['A']}) {r['first_call'] * 1e3:.1f} ms" for r in fh_rows)
              + "."]
    if meta.get("cold") is not None:
        lines.append(f"Cold compile of the DP kernels in a fresh numba cache (subprocess, "
                     f"includes imports): {meta['cold']:.1f} s.")
    if disc_rows:
        lines += ["", f"### Discounted (gamma = {GAMMA}), ms per solve; VI at matched guarantee "
                  f"||V - V*|| <= 1e-8", "",
                  "| (S, A) | rlth VI | quantecon VI | sweeps rlth / qe | rlth PI | quantecon PI "
                  "| qe/rlth VI | qe/rlth PI | max abs(V_VI - V_PI) |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for r in disc_rows:
            lines.append(
                f"| ({r['S']}, {r['A']}) | {_ms(r['rlth_vi'])} | {_ms(r['qe_vi'])} "
                f"| {r['vi_iter']} / {r['qe_vi_iter']} | {_ms(r['rlth_pi'])} | {_ms(r['qe_pi'])} "
                f"| {r['qe_vi'] / r['rlth_vi']:.2f} [{r['qe_vi@min'] / r['rlth_vi@min']:.2f}] "
                f"| {r['qe_pi'] / r['rlth_pi']:.2f} [{r['qe_pi@min'] / r['rlth_pi@min']:.2f}] "
                f"| {r['vi_err']:.1e} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="rlth bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="fewer repeats, no (2000,10) pymdptoolbox/cold-compile extras")
    parser.add_argument("--repeats", type=int, default=None,
                        help="interleaved repeats (default 7, quick 3)")
    parser.add_argument("--no-discounted", action="store_true", help="skip the VI/PI table")
    parser.add_argument("--no-worst-case", action="store_true",
                        help="skip the deterministic-Garnet (speculation worst case) table")
    parser.add_argument("--no-cold", action="store_true", help="skip the cold-compile subprocess")
    parser.add_argument("--markdown", default=None, help="also write the tables to this file")
    parser.add_argument("--sizes", default=None,
                        help="finite-horizon sizes as SxA,SxA (default 10x4,100x10,500x20,2000x10)")
    args = parser.parse_args(argv)
    repeats = args.repeats or (3 if args.quick else 7)

    def out(msg):
        print(msg, flush=True)

    meta = dict(cpus=os.cpu_count(), load_before=os.getloadavg()[0], repeats=repeats)
    meta["cold"] = None if (args.no_cold or args.quick) else _cold_compile_seconds()
    out("finite horizon ...")
    sizes = FH_SIZES
    if args.sizes:
        try:
            sizes = [tuple(int(x) for x in item.lower().split("x"))
                     for item in args.sizes.split(",")]
        except ValueError:
            parser.error(f"--sizes: expected SxA,SxA,..., got {args.sizes!r}")
    fh_rows = bench_finite_horizon(sizes, repeats, args.quick, out)
    adv_rows = []
    if not args.no_worst_case:
        out("worst case for speculation ...")
        from rlth.solvers._backward import use_speculation as _use_speculation
        big = [(S, A) for S, A in sizes if _use_speculation(S, A, True)]
        adv_rows = bench_finite_horizon(big, repeats, args.quick, out, kind="garnet1")
    disc_rows = []
    if not args.no_discounted:
        out("discounted ...")
        disc_rows = bench_discounted(DISC_SIZES, repeats, out)
    meta["load_after"] = os.getloadavg()[0]
    text = format_tables(fh_rows, disc_rows, meta, adv_rows)
    print()
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
