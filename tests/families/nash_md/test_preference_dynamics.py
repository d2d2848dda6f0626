"""Baseline dynamics for preference games (rlth.algorithms.preference.dynamics)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rlth.algorithms.preference.dynamics import (extragradient, fictitious_play, mmd,
                                                 mwu_self_play, omd,
                                                 soft_best_response_iteration)
from rlth.models.preference import kl_divergence
from rlth.instances.preference import random_preference, reference_policy, rps_tournament
from rlth.solvers.preference import (regularized_exploitability, soft_best_response,
                                     solve_regularized_nash)
from rlth.testing.preference import preference_games

THRESHOLD = np.sqrt(3) / 6   # soft best response on RPS with uniform mu: |eigenvalue| = this/tau


def _game():
    return random_preference(8, rng=31, mu=reference_policy(8, "softmax", rng=32))


@pytest.mark.parametrize("method", [omd, mmd, extragradient])
def test_regularized_dynamics_converge_linearly_to_equilibrium(method):
    g = _game()
    tau = 0.5
    star = solve_regularized_nash(g, tau).pi
    res = method(g, tau, tau, 3000, checkpoints=[1000, 2000, 3000])
    kl = res.kl_from(g, star)
    assert kl[-1] < 1e-12
    assert regularized_exploitability(g, res.pi, tau) < 1e-12


@pytest.mark.parametrize("method", [omd, mmd, extragradient])
def test_equilibrium_is_a_fixed_point(method):
    g = _game()
    tau = 0.2
    star = solve_regularized_nash(g, tau).pi
    np.testing.assert_allclose(method(g, tau, 0.7, 1, pi0=star).pi, star, atol=1e-13)


@settings(max_examples=25)
@given(preference_games(max_actions=5, max_contexts=2, allow_zeros=True),
       st.sampled_from([1.0, 0.1]), st.integers(0, 2**31))
def test_dynamics_stay_in_simplex(game, tau, seed):
    for method in (omd, mmd, extragradient):
        for fb in ("exact", "sampled"):
            it = method(game, tau, tau, 100, feedback=fb, rng=seed,
                        checkpoints=[0, 50, 100]).iterates
            assert np.all(np.isfinite(it)) and np.all(it >= 0)
            np.testing.assert_allclose(it.sum(-1), 1.0, atol=1e-12)
            assert np.all(it[:, ~game.support] == 0)


def _sbr_jacobian_eigenvalues(tau, h=1e-7):
    g = rps_tournament(3)
    u = np.full(3, 1 / 3)
    # tangent basis of the simplex
    B = np.array([[1, -1, 0], [1, 1, -2]], dtype=float).T
    B /= np.linalg.norm(B, axis=0)
    J = np.empty((2, 2))
    for k in range(2):
        d = (soft_best_response(g, u + h * B[:, k], tau)[0]
             - soft_best_response(g, u - h * B[:, k], tau)[0]) / (2 * h)
        J[:, k] = B.T @ d
    return np.linalg.eigvals(J)


@pytest.mark.parametrize("tau", [0.2, 0.3, 1.0])
def test_soft_best_response_jacobian_on_rps(tau):
    """Eigenvalues of the soft-best-response map at the uniform equilibrium: +-i sqrt(3)/(6 tau)."""
    ev = _sbr_jacobian_eigenvalues(tau)
    np.testing.assert_allclose(np.sort(ev.imag), [-THRESHOLD / tau, THRESHOLD / tau], atol=1e-6)
    np.testing.assert_allclose(ev.real, 0.0, atol=1e-6)


@pytest.mark.parametrize("tau", [0.30, 0.295])
def test_soft_best_response_converges_above_threshold(tau):
    """tau > sqrt(3)/6 ~ 0.2887: spectral radius < 1, convergence to pi*_tau = uniform."""
    g = rps_tournament(3)
    res = soft_best_response_iteration(g, tau, 6000, pi0=[0.45, 0.35, 0.2])
    assert np.abs(res.pi - 1 / 3).max() < 1e-10


@pytest.mark.parametrize("tau", [0.28, 0.285])
def test_soft_best_response_does_not_converge_below_threshold(tau):
    """tau < sqrt(3)/6: the equilibrium is repelling; from a start 1e-3 away the iterates leave
    and keep cycling (exploitability bounded away from 0 over the last 1000 steps)."""
    g = rps_tournament(3)
    res = soft_best_response_iteration(g, tau, 6000, pi0=[1 / 3 + 1e-3, 1 / 3 - 1e-3, 1 / 3],
                                       checkpoints=np.arange(5000, 6001))
    e = np.array([regularized_exploitability(g, p, tau) for p in res.iterates])
    assert e.min() > 1e-4
    assert np.abs(res.iterates - 1 / 3).max() > 1e-2


def test_mwu_self_play_rps_last_iterate_diverges_average_converges():
    g = rps_tournament(3)
    ck = [10, 100, 1000, 5000]
    res = mwu_self_play(g, 0.1, 5000, pi0=[0.5, 0.3, 0.2], checkpoints=ck)
    u = np.full(3, 1 / 3)
    dist = [float(kl_divergence(u, p[0])) for p in res.iterates]
    assert all(b > a for a, b in zip(dist, dist[1:]))       # spirals out
    assert res.iterates[-1].min() < 0.1
    assert np.abs(res.averages[-1] - u).max() < 0.02        # the average goes to uniform


def test_fictitious_play_rps_and_smooth_fp():
    g = rps_tournament(3)
    res = fictitious_play(g, 5000)
    assert np.abs(res.pi - 1 / 3).max() < 0.05
    g2 = _game()
    tau = 0.5
    star = solve_regularized_nash(g2, tau).pi
    smooth = fictitious_play(g2, 20000, tau=tau)
    assert np.abs(smooth.pi - star).max() < 1e-3


def test_baseline_bad_input():
    g = rps_tournament(3, mu=[0.5, 0.3, 0.2])
    with pytest.raises(ValueError, match="^eta: need eta_t"):
        omd(g, 0.5, 3.0, 10)
    with pytest.raises(ValueError, match="^eta"):
        mwu_self_play(g, -0.1, 10)
    with pytest.raises(ValueError, match="^tau"):
        mmd(g, -1.0, 0.1, 10)
    with pytest.raises(ValueError, match="^game"):
        extragradient(None, 0.1, 0.1, 10)
    with pytest.raises(ValueError, match="^n_iter"):
        fictitious_play(g, -2)
