"""Tests that kill generated mutants of :mod:`rlth.algorithms.online._kernels` which the other
online tests let survive (``tools/mutation_sweep.py``; see docs/explanation/mutation_testing.md)."""
from __future__ import annotations

import numpy as np
import pytest

from rlth.algorithms.online.runner import run_online
from rlth.algorithms.online.ucbvi import UCBVI
from rlth.instances import riverswim


@pytest.mark.parametrize("engine", ["numba", "python"])
def test_ucbvi_records_weight_one_in_every_episode(engine):
    """UCBVI always plays its optimistic policy: the recorded mixing weight is exactly 1 (on
    both engines), and the recorded value is that policy's exact value, at most V*."""
    mdp = riverswim(4, horizon=5)
    res = run_online(mdp, UCBVI(bonus_scale=0.1), 30, rng=3, engine=engine)
    assert res.weights.tolist() == [1.0] * 30
    assert np.all(res.values <= res.optimal_value + 1e-12)
