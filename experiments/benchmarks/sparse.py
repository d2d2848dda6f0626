"""Benchmark of rlth's CSR solvers against peers measured in the same run (ratios, no asserts).

Instances: sparse Garnet MDPs built directly in CSR (``random_mdp(S, 4, branching=4,
sparse=True)``: 4 successors per state-action pair), S = 1e4, 1e5, 1e6, A = 4.

Finite horizon, H = 50 (value only, the memory-light solve):
  * rlth ``optimal_value`` (serial numba loop over CSR);
  * quantecon ``DiscreteDP`` in state-action-pair form with a ``scipy.sparse`` ``Q`` and
    ``backward_induction`` (beta = 1);
  * a plain ``scipy.sparse`` recursion ``v <- max_a (r + P v)`` (one CSR matvec per stage);
  * the memory-bandwidth floor: the bytes one backup must read (CSR ``data`` + ``indices`` +
    ``indptr`` + ``R``, ``16 nnz + 16 S A`` bytes) divided by the fastest streaming read of a
    large array measured now, times H.
Discounted, gamma = 0.99, ``||V - V*||_inf <= 1e-6`` certified by both: rlth ``value_iteration``
(``tol = 1e-6``) against quantecon ``DiscreteDP.solve('value_iteration', epsilon=2e-6,
max_iter=1e6)`` (whose stopping rule bounds the same error by ``epsilon / 2``; its default
``max_iter = 250`` stops far earlier at gamma = 0.99) and a scipy.sparse VI with the same rule.

Peak memory: each rlth solve also runs in a fresh subprocess that reports its peak resident set
beyond the model (``VmHWM`` after resetting it through ``/proc/self/clear_refs`` once the model
is built), against the CSR arrays' own size.

The 1e6-state gridworld: ``gridworld(1000, 1000, horizon=100, sparse=True)`` and the full
``backward_induction`` (``V``, ``Q``, ``pi`` and the certificate) from a uniform start, time and
peak memory.

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

SIZES = [10**4, 10**5, 10**6]
A, BRANCHING, H, GAMMA = 4, 4, 50, 0.99


def _model(S, horizon=None, gamma=None):
    from rlth.instances import random_mdp
    return random_mdp(S, A, horizon=horizon, gamma=gamma, rng=S, branching=BRANCHING,
                      sparse=True)


def _best(fn, repeats):
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def _stream_read_gbps(repeats=5) -> float:
    x = np.ones(2**27)                                   # 1 GiB, far beyond every cache
    t = _best(lambda: x.sum(), repeats)
    return x.nbytes / t / 1e9


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


def bench_finite(S, repeats, bw, out):
    import quantecon.markov.ddp as qe_ddp
    from rlth.solvers.dp import optimal_value
    m = _model(S, horizon=H)
    P2 = m.P_matrix(0)
    r = np.asarray(m.R_stages[0]).reshape(-1)
    ddp = _qe(m, 1.0)
    optimal_value(m)                                     # compile / cache load
    vs, _ = qe_ddp.backward_induction(ddp, H)
    v_rlth = optimal_value(m)
    assert abs(float(m.rho @ vs[0]) - v_rlth) < 1e-9 * H, "rlth and quantecon disagree"
    t = {"rlth": _best(lambda: optimal_value(m), repeats),
         "quantecon": _best(lambda: qe_ddp.backward_induction(ddp, H), max(1, repeats // 2)),
         "scipy": _best(lambda: _scipy_bi(P2, r, S, H), repeats)}
    sweep_bytes = 16 * m.nnz + 16 * S * A
    t["floor"] = H * sweep_bytes / (bw * 1e9)
    out(f"  finite S={S:.0e}: rlth {t['rlth']:.3f} s, quantecon {t['quantecon']:.3f} s, "
        f"scipy {t['scipy']:.3f} s, floor {t['floor']:.3f} s")
    return dict(S=S, nnz=m.nnz, csr_MB=m.nbytes / 1e6, **t)


def bench_discounted(S, repeats, out):
    from rlth.solvers.dp import value_iteration
    m = _model(S, gamma=GAMMA)
    P2 = m.P_matrix()
    r = np.asarray(m.R).reshape(-1)
    ddp = _qe(m, GAMMA)
    tol = 1e-6
    sol = value_iteration(m, tol=tol)
    qe = ddp.solve(method="value_iteration", epsilon=2 * tol, max_iter=10**6)
    assert np.max(np.abs(sol.V - qe.v)) <= 2 * tol + sol.error_bound, "VI solutions disagree"
    t = {"rlth": _best(lambda: value_iteration(m, tol=tol), repeats),
         "quantecon": _best(lambda: ddp.solve(method="value_iteration", epsilon=2 * tol, max_iter=10**6),
                            max(1, repeats // 2)),
         "scipy": _best(lambda: _scipy_vi(P2, r, S, GAMMA, tol), max(1, repeats // 2))}
    out(f"  discounted S={S:.0e}: rlth {t['rlth']:.3f} s ({sol.n_iter} sweeps), quantecon "
        f"{t['quantecon']:.3f} s ({qe.num_iter}), scipy {t['scipy']:.3f} s")
    return dict(S=S, sweeps=sol.n_iter, qe_sweeps=qe.num_iter, **t)


_PEAK = r"""
import json, sys, time, numpy as np
from rlth.instances import gridworld, random_mdp
from rlth.solvers.dp import backward_induction, optimal_value, value_iteration
kind, S = sys.argv[1], int(sys.argv[2])
def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) * 1024
if kind == "grid":
    side = int(round(S ** 0.5))
    m = gridworld(side, side, horizon=100, slip=0.1, sparse=True)
    m = m.with_rho(np.full(m.n_states, 1.0 / m.n_states))     # start anywhere: V*(rho) > 0
elif kind == "vi":
    m = random_mdp(S, 4, gamma=0.99, rng=S, branching=4, sparse=True)
else:
    m = random_mdp(S, 4, horizon=50, rng=S, branching=4, sparse=True)
def grid_solve():
    sol = backward_induction(m)
    return sol.bellman_residual, sol.value
fn = {"grid": grid_solve, "bi": lambda: optimal_value(m),
      "vi": lambda: value_iteration(m, tol=1e-6)}[kind]
if kind == "grid":
    optimal_value(gridworld(3, 3, horizon=2, sparse=True))   # compile outside the measurement
    backward_induction(gridworld(3, 3, horizon=2, sparse=True)).bellman_residual
else:
    fn()
open("/proc/self/clear_refs", "w").write("5")               # reset the peak RSS (VmHWM)
base = status("VmRSS:")
t0 = time.perf_counter()
res = fn()
elapsed = time.perf_counter() - t0
print(json.dumps(dict(kind=kind, S=m.n_states, nnz=m.nnz, csr_MB=m.nbytes / 1e6,
                      peak_extra_MB=(status("VmHWM:") - base) / 1e6, seconds=elapsed,
                      residual=float(res[0]) if kind == "grid" else None,
                      value=float(res[1]) if kind == "grid" else None)))
"""


def peak_memory(kind, S):
    """Peak RSS beyond the built model of one solve, in a fresh process."""
    proc = subprocess.run([sys.executable, "-c", _PEAK, kind, str(S)], capture_output=True,
                          text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="rlth bench sparse",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="S = 1e4, 1e5 only, one repeat")
    parser.add_argument("--markdown", default=None, help="also write the tables to this file")
    args = parser.parse_args(argv)
    sizes = SIZES[:2] if args.quick else SIZES
    repeats = 1 if args.quick else 3

    def out(msg):
        print(msg, flush=True)

    bw = _stream_read_gbps()
    out(f"streaming read: {bw:.1f} GB/s (cpus {os.cpu_count()}, load {os.getloadavg()[0]:.2f})")
    fin = [bench_finite(S, repeats, bw, out) for S in sizes]
    disc = [bench_discounted(S, repeats, out) for S in sizes]
    mem = [peak_memory("bi", S) for S in sizes] + [peak_memory("vi", sizes[-1])]
    grid = None if args.quick else peak_memory("grid", 10**6)
    lines = [f"Sparse Garnet (A = {A}, {BRANCHING} successors), streaming read {bw:.1f} GB/s",
             "", "| S | nnz | CSR MB | rlth BI H=50 | quantecon | scipy | floor | quantecon/rlth "
             "| scipy/rlth | rlth/floor |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in fin:
        lines.append(f"| {r['S']:.0e} | {r['nnz']:.2e} | {r['csr_MB']:.0f} | {r['rlth']:.3f} s "
                     f"| {r['quantecon']:.3f} s | {r['scipy']:.3f} s | {r['floor']:.3f} s "
                     f"| {r['quantecon'] / r['rlth']:.1f} | {r['scipy'] / r['rlth']:.1f} "
                     f"| {r['rlth'] / r['floor']:.2f} |")
    lines += ["", f"| S | rlth VI gamma={GAMMA} tol 1e-6 | sweeps | quantecon | sweeps | scipy "
              "| quantecon/rlth | scipy/rlth |", "|---|---|---|---|---|---|---|---|"]
    for r in disc:
        lines.append(f"| {r['S']:.0e} | {r['rlth']:.2f} s | {r['sweeps']} | "
                     f"{r['quantecon']:.2f} s | {r['qe_sweeps']} | {r['scipy']:.2f} s | "
                     f"{r['quantecon'] / r['rlth']:.1f} | {r['scipy'] / r['rlth']:.1f} |")
    lines += ["", "| solve | S | CSR MB | peak RSS beyond the model | ratio to CSR |",
              "|---|---|---|---|---|"]
    for r in mem + ([grid] if grid else []):
        lines.append(f"| {r['kind']} | {r['S']:.0e} | {r['csr_MB']:.0f} | "
                     f"{r['peak_extra_MB']:.1f} MB | {r['peak_extra_MB'] / r['csr_MB']:.3f} |")
    if grid:
        lines += ["", f"gridworld 1000 x 1000 (1e6 states), H = 100, full backward_induction "
                  f"(V, Q, pi) + certificate: {grid['seconds']:.1f} s, peak RSS beyond the model "
                  f"{grid['peak_extra_MB'] / 1e3:.2f} GB, V*(uniform start) = {grid['value']:.4f}, "
                  f"Bellman residual {grid['residual']:.1e}"]
    text = "\n".join(lines)
    out("\n" + text)
    if args.markdown:
        with open(args.markdown, "w") as fh:
            fh.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
