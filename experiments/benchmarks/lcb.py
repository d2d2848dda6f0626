"""Benchmark: time per seed of the LCB sweeps (sufficient statistics make it independent of N).

1. One S1 sweep point (two-arm MAB, C* = 4, c = 1/2): per-seed time of ``run_mab`` (dataset as
   sufficient statistics + LCB, greedy, UCB, most-played arm) and of the vectorized
   ``run_mab_batch``, at N = 1e6 and N = 1e9, next to a plain-numpy peer that draws the N raw
   samples (``rng.random(N)`` for the arms, ``rng.random(N)`` for Bernoulli rewards) and counts
   them -- O(N), infeasible at 1e9 (8 GB per array), so it is timed at 1e4..1e6 only.
2. One S5 point (replica MDP, VI-LCB with T + 1 = floor(ln N/(1-gamma)) + 1 folds): per-seed time
   of ``run_mdp`` at N = 1e6 and 1e8, gamma = 0.9 (the cost grows with the number of folds,
   i.e. with ln N, not with N).

Usage::

    python experiments/benchmarks/lcb.py [--quick]

Prints markdown tables; no assertion (the host is shared: compare ratios).
"""
from __future__ import annotations

import argparse
import importlib.util
import time
from pathlib import Path

import numpy as np


def _experiments():
    path = Path(__file__).resolve().parent.parent / "lcb.py"
    spec = importlib.util.spec_from_file_location("lcb_experiments_bench", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _seeds(n, point):
    return [np.random.SeedSequence(20261122, spawn_key=(i,)) for i in range(n)]


def _per_seed(fn, n_seeds: int, repeats: int = 3) -> float:
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best / n_seeds


def raw_sample_lcb(N: int, mu_star: float, means, rng, c: float = 0.5) -> int:
    """Peer: draw the N raw (arm, reward) pairs with plain numpy, count, then LCB."""
    arms = (rng.random(N) < mu_star).astype(np.int64)          # arm 1 w.p. mu(a*)
    rewards = rng.random(N) < np.asarray(means)[arms]
    counts = np.bincount(arms, minlength=2)
    sums = np.bincount(arms, weights=rewards, minlength=2)
    r_hat = sums / np.maximum(counts, 1)
    b = np.where(counts > 0, np.sqrt(c * np.log(4 * N) / np.maximum(counts, 1)), 1.0)
    return int(np.argmax(np.where(counts > 0, r_hat - b, -1.0)))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    mod = _experiments()
    n_seeds = 200 if args.quick else 2000

    print("### S1 point (C* = 4, c = 1/2): time per seed")
    print()
    print("| N | run_mab (per seed) | run_mab_batch (per seed) | raw-sample numpy peer |")
    print("|---|---|---|---|")
    for N in (10**4, 10**6, 10**9):
        params = {"N": N, "C": 4.0, "c": 0.5}
        mod.run_mab(params, np.random.default_rng(0))               # warm the instance cache
        seeds = _seeds(n_seeds, params)
        t_single = _per_seed(lambda: [mod.run_mab(params, np.random.default_rng(s))
                                      for s in seeds], n_seeds)
        t_batch = _per_seed(lambda: mod.run_mab_batch(
            params, [np.random.default_rng(s) for s in seeds]), n_seeds)
        if N <= 10**6:
            inst = mod._mab(4.0, N, 0.5)
            k = max(3, n_seeds // (N // 10**4 + 1) // 10)
            rng = np.random.default_rng(1)
            t_raw = _per_seed(lambda: [raw_sample_lcb(N, 0.25, inst.model.means, rng)
                                       for _ in range(k)], k, repeats=1)
            raw = f"{t_raw * 1e6:,.0f} us"
        else:
            raw = "n/a (16 GB of samples)"
        print(f"| {N:.0e} | {t_single * 1e6:,.0f} us | {t_batch * 1e6:,.0f} us | {raw} |")
    print()

    print("### S5 point (replica MDP, gamma = 0.9): VI-LCB + baselines, time per seed")
    print()
    print("| N | folds T+1 | run_mdp (per seed) |")
    print("|---|---|---|")
    from rlth.algorithms.offline.lcb import vi_lcb_n_folds
    n_mdp = 5 if args.quick else 20
    for N in (10**6, 10**8):
        params = {"N": N, "gamma": 0.9, "kind": "replicas", "sweep": "N"}
        mod.run_mdp(params, np.random.default_rng(0))               # compile + cache
        seeds = _seeds(n_mdp, params)
        t = _per_seed(lambda: [mod.run_mdp(params, np.random.default_rng(s)) for s in seeds],
                      n_mdp, repeats=1)
        print(f"| {N:.0e} | {vi_lcb_n_folds(N, 0.9)} | {t * 1e3:,.1f} ms |")
    print()


if __name__ == "__main__":
    main()
