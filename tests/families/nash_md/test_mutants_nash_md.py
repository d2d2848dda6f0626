"""Tests that kill generated mutants of :mod:`rlth.algorithms.preference.nash_md` which the
other Nash-MD tests let survive (``tools/mutation_sweep.py``; see
docs/explanation/mutation_testing.md)."""
from __future__ import annotations

import numpy as np
import pytest

from rlth.algorithms.preference.nash_md import step_sizes


def test_every_step_must_be_a_mixture_weight():
    """``eta_t tau <= max_weight`` for *every* t: one step above the limit is rejected even
    when the others are below it; a schedule at the limit is accepted."""
    with pytest.raises(ValueError, match="eta: need eta_t \\* tau <= 1"):
        step_sizes([0.5, 0.5, 20.0], 0.1, 3)
    with pytest.raises(ValueError, match="eta: need eta_t \\* tau <= 0.5"):
        step_sizes([1.0, 6.0], 0.1, 2, max_weight=0.5)
    np.testing.assert_array_equal(step_sizes([10.0, 1.0], 0.1, 2), [10.0, 1.0])
    np.testing.assert_array_equal(step_sizes([10.0, 20.0], 0.1, 2, max_weight=None),
                                  [10.0, 20.0])


def test_step_accepts_feedback_shared_by_all_contexts():
    """Feedback ``g`` of shape (Y,) is the same for every context: the step equals the one
    with ``g`` broadcast to (X, Y); any other shape is rejected naming ``g``."""
    from rlth.algorithms.preference.nash_md import nash_md_step
    from rlth.instances.preference import random_preference
    game = random_preference(4, n_contexts=3, rng=0)
    pi = np.full((3, 4), 0.25)
    g1 = np.array([0.1, 0.7, 0.4, 0.2])
    a = nash_md_step(game, pi, 0.5, 1.0, g=g1)
    b = nash_md_step(game, pi, 0.5, 1.0, g=np.tile(g1, (3, 1)))
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-15)
    assert not np.allclose(a, nash_md_step(game, pi, 0.5, 1.0))     # g is used
    with pytest.raises(ValueError, match="g: expected shape"):
        nash_md_step(game, pi, 0.5, 1.0, g=np.ones(3))


def test_soft_best_response_step_is_mu_times_exp_of_feedback_over_tau():
    """One soft best response step from pi_0: pi_1(y|x) proportional to
    mu(y|x) exp(P(y > pi_0 | x) / tau), checked against the formula in numpy."""
    from rlth.algorithms.preference.dynamics import soft_best_response_iteration
    from rlth.instances.preference import random_preference
    game = random_preference(4, n_contexts=2, rng=1)
    tau = 0.7
    pi0 = np.array([[0.1, 0.2, 0.3, 0.4], [0.4, 0.3, 0.2, 0.1]])
    res = soft_best_response_iteration(game, tau, 1, pi0=pi0)
    g = np.einsum("xab,xb->xa", game.pref, pi0)
    want = game.mu * np.exp(g / tau)
    want /= want.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(np.exp(res.log_iterates[-1]), want, rtol=0, atol=1e-14)
