"""Benchmark of rlth's CSR solvers against peers and floors measured in the same run.

Instances, A = 4:

* random successors: sparse Garnet MDPs built directly in CSR (``random_mdp(S, 4,
  branching=4, sparse=True)``: 4 successors per state-action pair drawn uniformly), S = 1e4,
  1e5, 1e6;
* neighbour successors: the gridworld ``gridworld(n, n, slip=0.1, sparse=True)`` (S = n^2, at
  most 5 successors, all within one grid row of the state: the gather of ``V[s']`` walks memory
  almost in order), n = 100, 316, 1000.

Finite horizon, H = 50, value only (``optimal_value``, the memory-light solve; its driver
``backward_values`` of :mod:`rlth._kernels.csr` is timed directly so both flavours run the same
call):

* rlth serial (:data:`rlth._kernels.csr.SERIAL`, one core) and threaded
  (:data:`rlth._kernels.csr.THREADED`, numba's threads: the one ``optimal_value`` runs at these
  sizes, :func:`rlth._kernels.csr.drivers_for`); both return the same bits;
* quantecon ``DiscreteDP`` in state-action-pair form with the model's ``scipy.sparse`` ``Q``
  and ``backward_induction`` (beta = 1), and a plain ``scipy.sparse`` recursion ``v <- max_a
  (r + P v)`` (one CSR matvec per stage);
* the bandwidth floors: the bytes one backup must stream (the stage's CSR ``data``, ``indices``,
  ``indptr``, the rewards ``R[S, A]``, one read and one write of ``V[S]``) at the fastest
  streaming read of a 1 GiB array measured in this run, on one thread (numpy's sum) and on
  numba's threads (a ``prange`` sum), times H;
* the gather floors: a numba loop that does only ``acc += data[k] * V[indices[k]]`` over the
  same arrays (no row bookkeeping, no rewards, no max, no store), H times, on one thread and
  split over numba's threads: the least work any CSR Bellman backup must do, including the
  random reads of ``V[s']`` that the bandwidth floor does not count.

The serial flavour is held to the one-thread floors and the threaded one to the threaded floors;
quantecon and scipy run on one thread.

Discounted, gamma = 0.99, ``||V - V*||_inf <= 1e-6`` certified by both (Garnet): rlth
``value_iteration`` (``tol = 1e-6``) against quantecon ``DiscreteDP.solve('value_iteration',
epsilon=2e-6, max_iter=1e6)`` (its stopping rule bounds the same error by ``epsilon / 2``; its
default ``max_iter = 250`` stops far earlier at gamma = 0.99), a scipy.sparse VI with the same
rule, and rlth's serial VI driver (``value_iteration`` runs the threaded one at these sizes).

Peak memory, each in a fresh subprocess: the model is built, compiled kernels loaded, freed
memory handed back to the OS (``malloc_trim``) and the peak-RSS counter reset
(``/proc/self/clear_refs``), then the solve runs under ``tracemalloc`` (numpy's allocations
are traced, numba's are not) and ``resource.getrusage(...).ru_maxrss`` (every page touched):
``backward_induction`` (``V``, ``Q``, ``pi`` and the certificate) on the 1e6-state gridworld
with H = 100 and on the 1e6-state Garnet with H = 50, ``optimal_value`` on both, and
``value_iteration`` on the 1e6 Garnet (gamma = 0.9: memory does not depend on the sweeps).

Usage::

    python experiments/benchmarks/sparse.py [--quick] [--markdown FILE]
    rlth bench sparse
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import warnings

import numpy as np
import numba
from numba import njit, prange

from rlth._kernels.csr import _range_dot

SIZES = [10**4, 10**5, 10**6]
A, BRANCHING, H, GAMMA, TOL = 4, 4, 50, 0.99, 1e-6


def _gather(indices, data, v):
    """The gather floor: the stored transitions' products with V, nothing else, by the inner
    loop of rlth's kernels (:func:`rlth._kernels.csr._range_dot`, unsigned positions)."""
    return _range_dot(indices, data, v, np.uint64(0), np.uint64(indices.size))


# not cached: numba cannot reload a cached parallel function of a file imported under another
# module name (`rlth bench` and the test load this script by path), so these two compile per run
@njit(parallel=True)
def _gather_threaded(indices, data, v, n_parts):
    # the same products split into n_parts contiguous runs over numba's threads (the run is the
    # kernels' separate fastmath function: a parfor body does not get the flags)
    part = np.zeros(n_parts)
    n = indices.size
    for p in prange(n_parts):
        part[p] = _range_dot(indices, data, v, np.uint64(p * n // n_parts),
                             np.uint64((p + 1) * n // n_parts))
    return part.sum()


@njit(parallel=True, fastmath=True)
def _threaded_sum(x):
    acc = 0.0
    for i in prange(x.size):
        acc += x[i]
    return acc


def _garnet(S, horizon=None, gamma=None):
    from rlth.instances import random_mdp
    return random_mdp(S, A, horizon=horizon, gamma=gamma, rng=S, branching=BRANCHING,
                      sparse=True)


def _grid(S, horizon):
    from rlth.instances import gridworld
    side = int(round(S ** 0.5))
    return gridworld(side, side, horizon=horizon, slip=0.1, sparse=True)


def _best(fn, repeats):
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def _race(fns: dict, repeats: int) -> dict:
    """Best time of each function over ``repeats`` rounds, the functions interleaved within a
    round, so that load from other processes on the shared machine hits all of them alike."""
    best = dict.fromkeys(fns, np.inf)
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - t0)
    return best


def _stream_read_gbps(repeats=5) -> tuple[float, float]:
    """Streaming read of 1 GiB (far beyond every cache) in GB/s: one thread, numba's threads."""
    x = np.ones(2**27)
    _threaded_sum(x)
    return (x.nbytes / _best(lambda: x.sum(), repeats) / 1e9,
            x.nbytes / _best(lambda: _threaded_sum(x), repeats) / 1e9)


def _scipy_bi(P2, r, S, H):
    v = np.zeros(S)
    for _ in range(H):
        v = (r + P2 @ v).reshape(S, A).max(axis=1)
    return v


def _scipy_vi(P2, r, S, gamma, tol):
    v = np.zeros(S)
    while True:
        w = (r + gamma * (P2 @ v)).reshape(S, A).max(axis=1)
        diff = np.max(np.abs(w - v))
        v = w
        if gamma * diff <= tol * (1 - gamma):
            return v


def _qe(m, beta):
    import quantecon.markov.ddp as qe_ddp
    S = m.n_states
    s_idx = np.repeat(np.arange(S), A)
    a_idx = np.tile(np.arange(A), S)
    R = np.asarray(m.R_stages[0] if hasattr(m, "R_stages") else m.R).reshape(-1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return qe_ddp.DiscreteDP(R, m.P_matrix(), beta, s_idx, a_idx)


def bench_finite(kind, S, repeats, bw, out):
    import quantecon.markov.ddp as qe_ddp
    from rlth._kernels.csr import SERIAL, THREADED
    from rlth.solvers.dp import optimal_value
    m = _garnet(S, horizon=H) if kind == "garnet" else _grid(S, H)
    S = m.n_states
    assert m.indices.dtype == np.int32 and m.indptr.dtype == np.int32
    P2 = m.P_matrix(0)
    r = np.asarray(m.R_stages[0]).reshape(-1)
    ddp = _qe(m, 1.0)
    v = np.random.default_rng(0).random(S)
    args = (m.indptr, m.indices, m.data, m.R_stages, H, m.rho)
    n_parts = numba.get_num_threads()
    vals = {"serial": SERIAL.backward_values(*args), "threaded": THREADED.backward_values(*args)}
    _gather(m.indices, m.data, v), _gather_threaded(m.indices, m.data, v, n_parts)
    assert vals["serial"] == vals["threaded"] == optimal_value(m), "flavours disagree"
    vs, _ = qe_ddp.backward_induction(ddp, H)
    assert abs(float(m.rho @ vs[0]) - vals["serial"]) < 1e-9 * H, "rlth and quantecon disagree"
    row = dict(kind=kind, S=S, nnz=m.nnz, csr_MB=m.nbytes / 1e6)
    sweep_bytes = (m.indptr.nbytes + m.indices.nbytes + m.data.nbytes + m.R_stages[0].nbytes
                   + 16 * S)
    row["bw1"], row["bw2"] = (H * sweep_bytes / (g * 1e9) for g in bw)
    row.update(_race({
        "serial": lambda: SERIAL.backward_values(*args),
        "threaded": lambda: THREADED.backward_values(*args),
        "gather1": lambda: [_gather(m.indices, m.data, v) for _ in range(H)],
        "gather2": lambda: [_gather_threaded(m.indices, m.data, v, n_parts) for _ in range(H)],
        "quantecon": lambda: qe_ddp.backward_induction(ddp, H),
        "scipy": lambda: _scipy_bi(P2, r, S, H)}, repeats))
    out(f"  {kind} finite S={S:.0e}: " + ", ".join(
        f"{k} {row[k]:.3f} s" for k in ("serial", "threaded", "quantecon", "scipy", "bw1", "bw2",
                                       "gather1", "gather2")))
    return row


def bench_discounted(S, repeats, out):
    from rlth._kernels.csr import SERIAL
    from rlth.solvers.dp import value_iteration
    m = _garnet(S, gamma=GAMMA)
    P2 = m.P_matrix()
    r = np.asarray(m.R).reshape(-1)
    ddp = _qe(m, GAMMA)
    sol = value_iteration(m, tol=TOL)
    qe = ddp.solve(method="value_iteration", epsilon=2 * TOL, max_iter=10**6)
    assert np.max(np.abs(sol.V - qe.v)) <= 2 * TOL + sol.error_bound, "VI solutions disagree"

    def serial():
        v, work = np.zeros(S), np.empty(S)
        return SERIAL.value_iteration(m.indptr, m.indices, m.data, m.R, GAMMA, TOL, 10**6, v,
                                      work)
    n_serial, _ = serial()
    row = dict(S=S, sweeps=sol.n_iter, serial_sweeps=int(n_serial), qe_sweeps=qe.num_iter)
    row.update(_race({"rlth": lambda: value_iteration(m, tol=TOL), "rlth_serial": serial,
                      "quantecon": lambda: ddp.solve(method="value_iteration",
                                                     epsilon=2 * TOL, max_iter=10**6),
                      "scipy": lambda: _scipy_vi(P2, r, S, GAMMA, TOL)}, repeats))
    out(f"  discounted S={S:.0e}: rlth {row['rlth']:.3f} s ({sol.n_iter} sweeps), serial "
        f"{row['rlth_serial']:.3f} s ({n_serial}), quantecon {row['quantecon']:.3f} s "
        f"({qe.num_iter}), scipy {row['scipy']:.3f} s")
    return row


_PEAK = r"""
import ctypes, gc, json, resource, sys, time, tracemalloc
import numpy as np
from rlth.instances import gridworld, random_mdp
from rlth.solvers.dp import backward_induction, optimal_value, value_iteration
instance, solve, S = sys.argv[1], sys.argv[2], int(sys.argv[3])
def build(S, H):
    if instance == "grid":
        side = int(round(S ** 0.5))
        m = gridworld(side, side, horizon=H, slip=0.1, sparse=True)
        return m.with_rho(np.full(m.n_states, 1.0 / m.n_states))   # start anywhere: V*(rho) > 0
    if solve == "vi":
        return random_mdp(S, 4, gamma=0.9, rng=S, branching=4, sparse=True)
    return random_mdp(S, 4, horizon=H, rng=S, branching=4, sparse=True)
H = 100 if instance == "grid" else 50
def run(m):
    if solve == "bi":
        sol = backward_induction(m)
        res = sol.bellman_residual                      # the certificate: one more pass
        return dict(value=float(sol.value), residual=float(res),
                    out_bytes=int(sol.V.nbytes + sol.Q.nbytes + sol.pi.nbytes))
    if solve == "value":
        return dict(value=float(optimal_value(m)), out_bytes=0)
    sol = value_iteration(m, tol=1e-6)
    return dict(value=float(sol.value), sweeps=int(sol.n_iter),
                out_bytes=int(sol.V.nbytes + sol.Q.nbytes + sol.pi.nbytes))
run(build(16, 3))                                       # compile / load outside the measurement
t_build = time.perf_counter()
m = build(S, H)
t_build = time.perf_counter() - t_build
build_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
for line in open("/proc/self/status"):
    if line.startswith("VmHWM:"):
        hwm = int(line.split()[1]) * 1024
gc.collect()
ctypes.CDLL("libc.so.6").malloc_trim(0)                # hand freed memory back to the OS
open("/proc/self/clear_refs", "w").write("5")           # reset the peak RSS (ru_maxrss, VmHWM)
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
base = rss()
tracemalloc.start()
t0 = time.perf_counter()
res = run(m)
elapsed = time.perf_counter() - t0
traced_peak = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
for line in open("/proc/self/status"):
    if line.startswith("VmHWM:"):
        hwm = int(line.split()[1]) * 1024
model = m.nbytes + m.rho.nbytes + (m.R_stages.nbytes if hasattr(m, "R_stages") else m.R.nbytes)
print(json.dumps(dict(instance=instance, solve=solve, S=m.n_states, H=H, nnz=m.nnz,
                      csr_bytes=m.nbytes, model_bytes=model, traced_peak=traced_peak,
                      rss_extra=peak - base, hwm_extra=hwm - base, process_rss_before=base,
                      build_peak=build_peak,
                      build_seconds=t_build, seconds=elapsed, **res)))
"""


def peak_memory(instance, solve, S):
    """Peak memory of one solve beyond the built model, in a fresh process."""
    # through sh, which forks the measured process: Linux's exec records the RSS of the image it
    # replaces into ru_maxrss (and clear_refs cannot reset that), so a process exec'd straight
    # from this one would start with this process's RSS as its peak; sh's is a few MB
    cmd = 'exec 2>&1; "$0" -c "$1" "$2" "$3" "$4"; exit $?'
    proc = subprocess.run(["/bin/sh", "-c", cmd, sys.executable, _PEAK, instance, solve,
                           str(S)], capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _finite_table(rows):
    lines = ["| instance | S | nnz | CSR MB | rlth serial | rlth threaded | quantecon | scipy "
             "| quantecon / rlth threaded (serial) | scipy / rlth threaded (serial) "
             "| serial / threaded | serial / bw floor 1 | threaded / bw floor 2 "
             "| serial / gather floor 1 | threaded / gather floor 2 |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        t1, t2 = r["serial"], r["threaded"]
        lines.append(
            f"| {r['kind']} | {r['S']:.0e} | {r['nnz']:.2e} | {r['csr_MB']:.0f} | {t1:.3f} s "
            f"| {t2:.3f} s | {r['quantecon']:.3f} s | {r['scipy']:.3f} s "
            f"| {r['quantecon'] / t2:.2f} ({r['quantecon'] / t1:.2f}) "
            f"| {r['scipy'] / t2:.2f} ({r['scipy'] / t1:.2f}) | {t1 / t2:.2f} "
            f"| {t1 / r['bw1']:.2f} | {t2 / r['bw2']:.2f} "
            f"| {t1 / r['gather1']:.2f} | {t2 / r['gather2']:.2f} |")
    return lines


def _floor_table(rows):
    lines = ["| instance | S | bw floor 1 | gather floor 1 | bw floor 2 | gather floor 2 "
             "| gather / bw, 1 thread | gather / bw, threads |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['kind']} | {r['S']:.0e} | {r['bw1']:.3f} s "
                     f"| {r['gather1']:.3f} s | {r['bw2']:.3f} s | {r['gather2']:.3f} s "
                     f"| {r['gather1'] / r['bw1']:.2f} | {r['gather2'] / r['bw2']:.2f} |")
    return lines


def _disc_table(rows):
    lines = [f"| S | rlth VI gamma={GAMMA} tol {TOL:g} | sweeps | rlth serial "
             "| quantecon | sweeps | scipy | quantecon / rlth (serial) | scipy / rlth (serial) "
             "| serial / rlth |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        t, w = r["rlth"], r["rlth_serial"]
        lines.append(f"| {r['S']:.0e} | {t:.2f} s | {r['sweeps']} | {w:.2f} s "
                     f"| {r['quantecon']:.2f} s | {r['qe_sweeps']} | {r['scipy']:.2f} s "
                     f"| {r['quantecon'] / t:.2f} ({r['quantecon'] / w:.2f}) "
                     f"| {r['scipy'] / t:.2f} ({r['scipy'] / w:.2f}) | {w / t:.2f} |")
    return lines


def _mem_table(rows):
    lines = ["| instance | solve | S | H | CSR MB | outputs MB | traced peak MB "
             "| ru_maxrss peak MB | VmHWM peak MB | (peak - CSR) / CSR "
             "| (peak - outputs - CSR) / CSR | seconds |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        csr = r["csr_bytes"]
        extra = max(r["traced_peak"], r["rss_extra"], r["hwm_extra"])
        peak = r["model_bytes"] + extra              # the model stays live during the solve
        lines.append(f"| {r['instance']} | {r['solve']} | {r['S']:.0e} | {r['H']} "
                     f"| {csr / 1e6:.0f} | {r['out_bytes'] / 1e6:.0f} "
                     f"| {r['traced_peak'] / 1e6:.1f} | {r['rss_extra'] / 1e6:.1f} "
                     f"| {r['hwm_extra'] / 1e6:.1f} | {(peak - csr) / csr:.2f} "
                     f"| {(peak - r['out_bytes'] - csr) / csr:.2f} | {r['seconds']:.1f} |")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="rlth bench sparse",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="S = 1e4, 1e5 only, one repeat")
    parser.add_argument("--markdown", default=None, help="also write the tables to this file")
    parser.add_argument("--repeats", type=int, default=None,
                        help="rounds per timing (default 3, 1 with --quick; VI at 1e6: 1)")
    parser.add_argument("--parts", default="finite,discounted,memory",
                        help="comma-separated subset of finite, discounted, memory")
    parser.add_argument("--sizes", default=None,
                        help="comma-separated state counts (default 1e4,1e5,1e6; 1e4,1e5 with "
                             "--quick)")
    args = parser.parse_args(argv)
    sizes = SIZES[:2] if args.quick else SIZES
    if args.sizes:
        sizes = [int(float(x)) for x in args.sizes.split(",")]
    repeats = args.repeats or (1 if args.quick else 3)
    parts, known = set(args.parts.split(",")), {"finite", "discounted", "memory"}
    if not parts <= known:
        parser.error(f"--parts: unknown part(s) {sorted(parts - known)}")

    def out(msg):
        print(msg, flush=True)

    bw = _stream_read_gbps()
    threads = numba.get_num_threads()
    out(f"streaming read: {bw[0]:.1f} GB/s on 1 thread, {bw[1]:.1f} GB/s on {threads} "
        f"(cpus {os.cpu_count()}, load {os.getloadavg()[0]:.2f})")
    lines = [f"Streaming read {bw[0]:.1f} GB/s on one thread, {bw[1]:.1f} GB/s on numba's "
             f"{threads} threads; load {os.getloadavg()[0]:.2f} at the start, {repeats} "
             "interleaved rounds per timing (best kept)."]
    if "finite" in parts:
        fin = [bench_finite(kind, S, repeats, bw, out) for kind in ("garnet", "grid")
               for S in sizes]
        lines += ["", f"Finite horizon H = {H}, value only; floor 1: one thread, floor 2: "
                  f"numba's {threads} threads", ""] + _finite_table(fin) + [""]
        lines += _floor_table(fin)
    if "discounted" in parts:
        disc = [bench_discounted(S, repeats if S < 10**6 else 1, out) for S in sizes]
        lines += [""] + _disc_table(disc)
    if "memory" in parts:
        mem = [peak_memory(inst, solve, sizes[-1]) for inst, solve in
               (("grid", "bi"), ("grid", "value"), ("garnet", "bi"), ("garnet", "value"),
                ("garnet", "vi"))]
        for r in mem:
            out(f"  memory {r['instance']} {r['solve']}: {json.dumps(r)}")
        lines += ["", "Peak memory of one solve in a fresh process, beyond the built model; "
                  "peak = model (CSR + R + rho) + max(traced, ru_maxrss, VmHWM)", ""]
        lines += _mem_table(mem)
    lines.append(f"load {os.getloadavg()[0]:.2f} at the end")
    text = "\n".join(lines)
    out("\n" + text)
    if args.markdown:
        with open(args.markdown, "w") as fh:
            fh.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
