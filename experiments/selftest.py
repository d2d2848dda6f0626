"""Harness self-test: two Monte-Carlo errors with an exact expected value (rlth.theory.selftest).

(a) ``selftest_bernoulli``: |p_hat_N - p| for the mean of N Bernoulli(0.3) draws, vs N.
(b) ``selftest_mc_eval``: |mean return of K episodes - V^pi| for a fixed stochastic policy on a
    4-state, 2-action, H=5 stage-dependent random MDP (Bernoulli rewards), vs K; the episodes come
    from :func:`rlth.data.rollout` and V^pi from :func:`rlth.solvers.dp.evaluate_policy`.
(c) ``selftest_mc_eval_sparse``: the same on a large sparse model, a CSR Garnet MDP with
    S = 1e5 states, A = 4, 4 successors per pair, H = 10, uniform policy
    (:func:`rlth.theory.selftest.selftest_sparse_mdp`): CSR rollouts and CSR policy evaluation
    against the exact law of the return.

Both check slope -1/2 (kind "rate") and agreement of the replicate mean with the exact
E|error| at every point (5.5 standard errors).  Run: ``python experiments/selftest.py --profile
quick`` or ``rlth check selftest``.
"""
from functools import lru_cache

import numpy as np

from rlth.experiment import Check, Experiment, Figure
from rlth.theory.selftest import selftest_mdp, selftest_sparse_mdp

P_TRUE = 0.3
MDP_SEED = 7


def run_bernoulli(params, rng):
    """One replicate: |Bin(N, p)/N - p|."""
    N, p = int(params["N"]), float(params["p"])
    return {"abs_error": abs(rng.binomial(N, p) / N - p)}


def _instance(seed: int, instance: str):
    return (selftest_sparse_mdp if instance == "sparse" else selftest_mdp)(seed)


@lru_cache(maxsize=4)
def _exact_value(seed: int, instance: str) -> float:
    """V^pi of the instance (exact policy evaluation), once per process."""
    from rlth.solvers.dp import evaluate_policy
    return evaluate_policy(*_instance(seed, instance)).value


def run_mc_eval(params, rng):
    """One replicate: |mean return of K rollouts - exact V^pi|."""
    from rlth.data import rollout
    instance = params.get("instance", "small")
    mdp, pi = _instance(int(params["seed"]), instance)
    data = rollout(mdp, pi, int(params["K"]), rng=rng, reward="bernoulli")
    value = _exact_value(int(params["seed"]), instance)
    return {"abs_error": abs(float(np.mean(data.returns)) - value)}


_HALF_DECADES = [10, 32, 100, 316, 1000, 3162, 10000, 31623, 100000]


def _mc_eval_experiment(name, title, point, full_k, label, figure_title, constants, seed):
    """Monte-Carlo policy evaluation error vs K on one instance (``point`` names it)."""
    return Experiment(
        name=name, title=title, run=run_mc_eval,
        grids={"quick": [{"K": k, **point} for k in (10, 30, 100, 300, 1000, 3000)],
               "full": [{"K": k, **point} for k in full_k]},
        replicates={"quick": 100, "full": 400},
        checks=[Check(theorem="selftest.mc_eval.abs_error", metric="abs_error", x="K",
                      label=label)],
        figures=[Figure(name="abs_error", x="K", metrics={"abs_error": "|G_K - V^pi|"},
                        theorem="selftest.mc_eval.abs_error", xlabel="K (episodes)",
                        ylabel="E|mean return - V^pi|", title=figure_title)],
        constants=constants, seed=seed)

EXPERIMENTS = [
    Experiment(
        name="selftest_bernoulli",
        title=f"Self-test (a): |p_hat_N - p|, N Bernoulli({P_TRUE}) draws",
        run=run_bernoulli,
        grids={"quick": [{"N": n, "p": P_TRUE} for n in (10, 30, 100, 300, 1000, 3000, 10000)],
               "full": [{"N": n, "p": P_TRUE} for n in _HALF_DECADES]},
        replicates={"quick": 200, "full": 2000},
        checks=[Check(theorem="selftest.bernoulli.mae", metric="abs_error", x="N",
                      label=f"p={P_TRUE}")],
        figures=[Figure(name="mae", x="N", metrics={"abs_error": "|p_hat - p|"},
                        theorem="selftest.bernoulli.mae", xlabel="N (samples)",
                        ylabel="E|p_hat_N - p|",
                        title="Self-test: empirical mean of Bernoulli draws")],
        constants={"p": P_TRUE},
        seed=20261122,
    ),
    _mc_eval_experiment(
        name="selftest_mc_eval",
        title=("Self-test (b): |mean return of K rollouts - V^pi|, random MDP S=4 A=2 H=5 "
               f"(stage-dependent, seed {MDP_SEED}), Dirichlet policy, Bernoulli rewards"),
        point={"seed": MDP_SEED}, full_k=_HALF_DECADES, label="S=4 A=2 H=5",
        figure_title="Self-test: Monte-Carlo policy evaluation",
        constants={"instance": "random_mdp(4, 2, horizon=5, stationary=False)",
                   "mdp_seed": MDP_SEED, "policy": "Dirichlet(1) rows", "reward": "bernoulli"},
        seed=20261123),
    _mc_eval_experiment(
        name="selftest_mc_eval_sparse",
        title=("Self-test (c): |mean return of K rollouts - V^pi| on a sparse (CSR) Garnet MDP, "
               f"S=1e5 A=4 H=10, 4 successors per pair (seed {MDP_SEED}), uniform policy, "
               "Bernoulli rewards"),
        point={"seed": MDP_SEED, "instance": "sparse"}, full_k=_HALF_DECADES[:-1],
        label="sparse S=1e5 A=4 H=10",
        figure_title="Self-test: Monte-Carlo policy evaluation on a 1e5-state CSR MDP",
        constants={"instance": "random_mdp(1e5, 4, horizon=10, branching=4, sparse=True)",
                   "mdp_seed": MDP_SEED, "policy": "uniform", "reward": "bernoulli"},
        seed=20261204),
]

if __name__ == "__main__":
    from rlth.cli import main_for
    main_for(EXPERIMENTS)
