"""Benchmark: time per seed of PNLSVI (linear class) from sufficient statistics, K = 1e3 vs 1e8.

One seed = draw the two folds of K trajectories each (:func:`rlth.data.sample_trajectory_folds`,
exact per-stage counts) and run PNLSVI's Algorithm 1 on the linear class (variance phase on D',
weighted planning on D), on the one-hot coin MDP (H = 5, d = 6).  The cost does not depend on K.

Peer, measured in the same run: a plain-numpy per-sample implementation of the same
computation -- draw the K raw trajectories (:func:`rlth.data.rollout`), stack the K feature rows
per stage, and solve each (weighted) ridge regression from the sample matrix (``X.T @ X``,
``np.linalg.solve``); O(K H d^2), so it is timed at K = 1e3..1e5 only (1e8 would need 1e8 x d
rows per stage) and its 1e8 time is extrapolated linearly.

Usage::

    python experiments/benchmarks/bench_pnlsvi.py [--quick]

Prints a markdown table and the ratios; no assertion (the host is shared).
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from rlth.algorithms.offline.pnlsvi import linear_constants, pnlsvi_linear
from rlth.data import rollout, sample_trajectory_folds
from rlth.estimators.linear import coverage_kappa
from rlth.instances.linear_offline import onehot_coin
from rlth.solvers.occupancy import occupancy

DELTA = 0.1


def _per_seed(fn, n_seeds: int, repeats: int = 3) -> float:
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        for s in range(n_seeds):
            fn(s)
        best = min(best, time.perf_counter() - t0)
    return best / n_seeds


def per_sample_pnlsvi(inst, D, Dv, kappa):
    """Peer: PNLSVI's linear-class Algorithm 1 on raw trajectories ``D``, ``Dv``
    (:class:`rlth.data.TrajectoryDataset`) with numpy, one feature row per sample."""
    mdp, phi = inst.model.mdp, inst.model.phi
    H, d = mdp.horizon, phi.shape[-1]
    K = D.n_episodes
    c = linear_constants(d, H, K, DELTA, kappa)
    lam = c["lam"]

    def rows(tr, h):
        X = phi[tr.states[:, h], tr.actions[:, h]]          # [K, d]
        return X, tr.rewards[:, h], tr.states[:, h + 1]

    def ridge(X, y, w):
        G = (X * w[:, None]).T @ X + lam * np.eye(d)
        return G, np.linalg.solve(G, X.T @ (w * y))

    def norms(G):
        Ginv = np.linalg.inv(G)
        return np.sqrt(np.einsum("sad,de,sae->sa", phi, Ginv, phi))

    Vp = np.zeros((H + 1, mdp.n_states))
    sigma2 = np.ones((H, mdp.n_states, mdp.n_actions))
    ones = np.ones(K)
    for h in range(H - 1, -1, -1):                               # lines 2-8 on D'
        X, r, s2 = rows(Dv, h)
        y = r + Vp[h + 1][s2]
        G, w1 = ridge(X, y, ones)
        _, w2 = ridge(X, y ** 2, ones)
        first, second = phi @ w1, phi @ w2
        Vp[h] = np.clip(first - c["beta_pilot"] * norms(G), 0, H - h).max(axis=1)
        sigma2[h] = np.maximum(1.0, second - first ** 2 - c["correction"])
    V = np.zeros((H + 1, mdp.n_states))
    pi = np.zeros((H, mdp.n_states), dtype=np.int64)
    for h in range(H - 1, -1, -1):                               # lines 9-14 on D
        X, r, s2 = rows(D, h)
        wts = 1.0 / sigma2[h][D.states[:, h], D.actions[:, h]]
        G, w = ridge(X, r + V[h + 1][s2], wts)
        Q = np.clip(phi @ w - c["beta"] * norms(G), 0, H - h)
        V[h], pi[h] = Q.max(axis=1), Q.argmax(axis=1)
    return V, pi


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    n_seeds = 20 if args.quick else 100
    inst = onehot_coin(5)
    mdp = inst.model.mdp
    kappa = coverage_kappa(inst.model.phi, occupancy(mdp, inst.behavior))

    def ours(K):
        def one(s):
            D, Dv = sample_trajectory_folds(mdp, inst.behavior, 2 * K, 2, rng=s, reward="mean")
            return pnlsvi_linear(inst.model.phi, D, Dv, delta=DELTA, kappa=kappa)
        return one

    one = ours(10**3)
    one(0)                                                         # warm caches / numba
    rollout(mdp, inst.behavior, 10, rng=0, reward="mean")
    print("### PNLSVI (linear class, coin MDP H=5, d=6): time per seed")
    print()
    print("| K (per fold) | rlth, counts (ms) | per-sample numpy peer (ms) | peer / rlth |")
    print("|---|---|---|---|")
    t_ours = {}
    t_peer = {}
    for K in (10**3, 10**4, 10**5, 10**8):
        t_ours[K] = _per_seed(ours(K), n_seeds)
        if K <= 10**5:
            n_peer = max(2, n_seeds // (10 if K >= 10**5 else 1))
            def peer_seed(s, K=K):
                g = np.random.default_rng(s)
                D = rollout(mdp, inst.behavior, K, rng=g, reward="mean")
                Dv = rollout(mdp, inst.behavior, K, rng=g, reward="mean")
                return per_sample_pnlsvi(inst, D, Dv, kappa)
            t_peer[K] = _per_seed(peer_seed, n_peer, repeats=1)
            peer = f"{1e3 * t_peer[K]:.2f}"
            ratio = f"{t_peer[K] / t_ours[K]:.2f}"
        else:
            slope = t_peer[10**5] / 10**5
            peer = f"~{1e3 * slope * K:.3g} (extrapolated, linear in K)"
            ratio = f"~{slope * K / t_ours[K]:.3g}"
        print(f"| {K:.0e} | {1e3 * t_ours[K]:.2f} | {peer} | {ratio} |")
    print()
    print(f"rlth K=1e8 / K=1e3 time ratio: {t_ours[10**8] / t_ours[10**3]:.2f} "
          "(1 = independent of K)")


if __name__ == "__main__":
    main()
