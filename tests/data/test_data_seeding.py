"""Reproducibility of rlth.data: same seed -> bit-identical data; different seeds differ; the
documented random-number order; and identical results with numba on and off
(``NUMBA_DISABLE_JIT=1`` in a subprocess, compared bit for bit with the jitted run here).
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numba
import numpy as np
import pytest

from rlth.data import (build_alias, rollout, sample_bandit_dataset, sample_contextual_dataset,
                       sample_transition_dataset, sample_transition_folds)
from rlth.models import ContextualBandit, MultiArmedBandit
from rlth.instances import random_mdp

# The same script runs here (jitted) and in a subprocess with NUMBA_DISABLE_JIT=1.
SCRIPT = textwrap.dedent("""
    import numpy as np
    import numba
    from rlth.data import (build_alias, rollout, sample_bandit_dataset,
                           sample_trajectory_dataset, sample_transition_dataset)
    from rlth.models import MultiArmedBandit
    from rlth.instances import random_mdp

    def produce():
        out = {"jit_disabled": np.array(int(numba.config.DISABLE_JIT))}
        rng = np.random.default_rng(20261122)
        fh = random_mdp(6, 3, horizon=5, stationary=False, rng=rng, branching=3)
        st = random_mdp(7, 2, horizon=4, rng=rng)
        det = rng.integers(3, size=(5, 6))
        sto = rng.dirichlet(np.ones(3), size=(5, 6))
        cases = [(fh, det, "bernoulli"), (fh, sto, "bernoulli"), (fh, sto, "mean"),
                 (st, rng.integers(2, size=7), "bernoulli"),
                 (st, rng.dirichlet(np.ones(2), size=7), "mean")]
        g = np.random.default_rng(7)
        for i, (m, pi, kind) in enumerate(cases):
            d = rollout(m, pi, 60, rng=g, reward=kind)
            out[f"states{i}"], out[f"actions{i}"] = d.states, d.actions
            out[f"rewards{i}"] = d.rewards
        out["after"] = g.random(3)  # the caller's generator advanced identically
        prob, alias = build_alias(fh.P_stages)
        out["prob"], out["alias"] = prob, alias
        b = sample_bandit_dataset(MultiArmedBandit([0.1, 0.5], "gaussian"), [0.3, 0.7], 100, rng=3)
        out["bandit_sq"] = b.reward_sq_sums
        t = sample_transition_dataset(fh, np.full((6, 3), 1 / 18), 50, rng=4)
        out["next_counts"] = t.next_counts
        # CSR models: the samplers' kernels over indptr / indices (an off-by-one row pointer
        # reads past its end silently when compiled; Python's bounds checks catch it here)
        sp = random_mdp(6, 3, horizon=4, stationary=False, rng=rng, branching=2, sparse=True)
        mu = np.full((4, 6, 3), 1 / 18)
        flat = lambda x: np.concatenate(x) if isinstance(x, tuple) else x  # per-stage arrays
        out["sparse_next_counts"] = flat(sample_transition_dataset(sp, mu, 50, rng=5).next_counts)
        traj = sample_trajectory_dataset(sp, np.full((4, 6, 3), 1 / 3), 40, rng=6)
        out["sparse_traj_next_counts"] = flat(traj.next_counts)
        out["sparse_traj_counts"] = traj.counts
        return out
""")

namespace: dict = {}
exec(SCRIPT, namespace)
produce = namespace["produce"]


def test_numba_on_and_off_are_bit_identical(tmp_path):
    if numba.config.DISABLE_JIT:
        pytest.skip("this process already runs with NUMBA_DISABLE_JIT; nothing to compare")
    path = tmp_path / "nojit.npz"
    code = SCRIPT + f"\nnp.savez({str(path)!r}, **produce())\n"
    env = dict(os.environ, NUMBA_DISABLE_JIT="1")
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0, res.stderr
    nojit = np.load(path)
    jit = produce()
    assert int(nojit["jit_disabled"]) == 1 and int(jit["jit_disabled"]) == 0
    assert set(nojit.files) == set(jit)
    for key in jit:
        if key == "jit_disabled":
            continue
        a, b = jit[key], nojit[key]
        assert a.dtype == b.dtype and a.shape == b.shape, key
        assert a.tobytes() == b.tobytes(), key  # bit for bit (also distinguishes -0.0 / NaN)


def _fingerprints(seed):
    mdp = random_mdp(5, 2, horizon=3, stationary=False, rng=123)
    dmdp = random_mdp(5, 2, gamma=0.9, rng=123)
    sto = np.full((3, 5, 2), 0.5)
    return [
        sample_bandit_dataset(MultiArmedBandit([0.3, 0.6, 0.9]), [0.2, 0.3, 0.5], 1000,
                              rng=seed).reward_sums,
        sample_bandit_dataset(MultiArmedBandit([0.3, 0.6], "gaussian"), [0.5, 0.5], 1000,
                              rng=seed).reward_sq_sums,
        sample_contextual_dataset(ContextualBandit([0.5, 0.5], [[0.1, 0.2], [0.3, 0.4]]),
                                  np.full((2, 2), 0.25), 1000, rng=seed).reward_sums,
        sample_transition_dataset(dmdp, np.full((5, 2), 0.1), 1000, rng=seed).next_counts,
        sample_transition_dataset(mdp, np.full((3, 5, 2), 0.1), 1000, rng=seed).next_counts,
        np.concatenate([f.next_counts for f in
                        sample_transition_folds(dmdp, np.full((5, 2), 0.1), 1000, 3, rng=seed)]),
        rollout(mdp, sto, 200, rng=seed).states,
        rollout(mdp, np.zeros((3, 5), dtype=np.int64), 200, rng=seed).rewards,
    ]


def test_same_seed_same_data_and_seed_forms_agree():
    a, b = _fingerprints(11), _fingerprints(11)
    for x, y in zip(a, b):
        assert x.tobytes() == y.tobytes()
    # an int seed, a SeedSequence and a Generator built from it give the same stream
    c = _fingerprints(np.random.SeedSequence(11))
    for x, y in zip(a, c):
        assert x.tobytes() == y.tobytes()
    d = [f for f in _fingerprints(np.random.default_rng(11))][0]
    assert d.tobytes() == a[0].tobytes()


def test_different_seeds_differ():
    a, b = _fingerprints(11), _fingerprints(12)
    # each array has >= 200 random entries; equality by chance is impossible in practice
    for x, y in zip(a, b):
        assert x.tobytes() != y.tobytes()


def test_generator_advances_by_the_documented_number_of_uniforms():
    """Deterministic policy + Bernoulli: K (s_0) + 2 K H uniforms; stochastic + mean: K + 2 K H;
    stochastic + Bernoulli: K + 3 K H; deterministic + mean: K + K H."""
    mdp = random_mdp(4, 3, horizon=5, rng=0)
    K, H = 17, 5
    det = np.zeros((H, 4), dtype=np.int64)
    sto = np.full((H, 4, 3), 1 / 3)
    for pi, kind, n_u in [(det, "bernoulli", K + 2 * K * H), (sto, "mean", K + 2 * K * H),
                          (sto, "bernoulli", K + 3 * K * H), (det, "mean", K + K * H)]:
        g, ref = np.random.default_rng(99), np.random.default_rng(99)
        rollout(mdp, pi, K, rng=g, reward=kind)
        ref.random(n_u)
        assert g.bit_generator.state == ref.bit_generator.state, (kind, pi.ndim)


def test_successive_calls_on_one_generator_differ_and_replay():
    mdp = random_mdp(4, 2, horizon=6, rng=1)
    pi = np.zeros((6, 4), dtype=np.int64)
    g = np.random.default_rng(5)
    first, second = rollout(mdp, pi, 100, rng=g), rollout(mdp, pi, 100, rng=g)
    assert first.states.tobytes() != second.states.tobytes()
    g2 = np.random.default_rng(5)
    assert rollout(mdp, pi, 100, rng=g2).states.tobytes() == first.states.tobytes()
    assert rollout(mdp, pi, 100, rng=g2).states.tobytes() == second.states.tobytes()
    # the alias tables are cached per model and do not depend on the seed
    p1, a1 = build_alias(mdp.P_stages)
    p2, a2 = build_alias(mdp.P_stages)
    assert p1.tobytes() == p2.tobytes() and a1.tobytes() == a2.tobytes()
