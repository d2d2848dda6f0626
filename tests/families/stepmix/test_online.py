"""The episodic online runner: exact evaluation, rollouts, engines, validation."""
import numpy as np
import pytest

from rlth._kernels.dp import backward_values_kernel
from rlth._kernels.sampling import inverse_cdf_draw
from rlth.algorithms.online.runner import (OnlineResult, Proposal, exact_value, optimal_value,
                                    run_online, summarize_violations)
from rlth.algorithms.online.stepmix import BaselineAgent, EpsMix, StepMix, Switch, mixture_baseline
from rlth.algorithms.online.ucbvi import UCBVI
from rlth.instances import gridworld, random_mdp, riverswim
from rlth.solvers.dp import backward_induction, evaluate_policy
from rlth.solvers.occupancy import occupancy


def _random_policy(rng, H, S, A):
    pi = rng.dirichlet(np.ones(A), size=(H, S))
    return pi / pi.sum(-1, keepdims=True)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("stationary", [True, False])
def test_exact_value_matches_dp_evaluate_policy(seed, stationary):
    rng = np.random.default_rng(seed)
    mdp = random_mdp(4, 3, horizon=5, rng=rng, stationary=stationary)
    pi = _random_policy(rng, 5, 4, 3)
    assert exact_value(mdp, pi) == pytest.approx(evaluate_policy(mdp, pi).value, abs=1e-12)
    det = rng.integers(0, 3, size=(5, 4))
    assert exact_value(mdp, det) == pytest.approx(evaluate_policy(mdp, det).value, abs=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_optimal_value_matches_backward_induction(seed):
    mdp = random_mdp(5, 2, horizon=6, rng=seed, stationary=bool(seed % 2))
    assert optimal_value(mdp) == pytest.approx(backward_induction(mdp).value, abs=1e-12)


class _Recorder:
    """Fixed-policy agent that keeps the trajectories (tests the runner's rollouts)."""

    def __init__(self, pi):
        self.pi = pi
        self.states = []

    def reset(self, mdp, n_episodes):
        self.states = []

    def propose(self, k):
        return Proposal(policies=(self.pi,), probs=np.ones(1), weight=0.0)

    def observe(self, states, actions):
        self.states.append(states)


def test_rollouts_follow_the_occupancy_measure():
    """Empirical state frequencies per step vs the exact occupancy: max |z| < 5.5 (p ~ 1e-6)."""
    rng = np.random.default_rng(3)
    mdp = random_mdp(4, 2, horizon=4, rng=rng, stationary=False)
    pi = _random_policy(rng, 4, 4, 2)
    agent = _Recorder(pi)
    K = 4000
    res = run_online(mdp, agent, K, rng=11, engine="python")
    states = np.array(agent.states)                        # [K, H+1]
    d = occupancy(mdp, pi).sum(-1)                         # [H, S]
    for h in range(4):
        freq = np.bincount(states[:, h], minlength=4) / K
        se = np.sqrt(d[h] * (1 - d[h]) / K) + 1e-12
        assert np.max(np.abs(freq - d[h]) / se) < 5.5
    # the value recorded is the exact value of the fixed policy, every episode
    assert np.allclose(res.values, evaluate_policy(mdp, pi).value, atol=1e-12)
    assert np.isnan(res.threshold) and res.n_violations == 0


def _agents(pi_b):
    return [UCBVI(bonus="ch", bonus_scale=0.1), UCBVI(bonus="bf", bonus_scale=0.1),
            StepMix(pi_b, 0.1, bonus_scale=0.1), EpsMix(pi_b, 0.1, bonus_scale=0.1),
            Switch(pi_b, 0.1, bonus_scale=0.1), BaselineAgent(pi_b),
            StepMix(pi_b, 0.05, bonus="bf", bonus_scale=0.3)]


@pytest.mark.parametrize("instance", ["garnet", "gridworld"])
def test_numba_and_python_engines_agree(instance):
    """The compiled loop and the per-episode Python loop give the same run under one seed."""
    if instance == "garnet":
        mdp = random_mdp(5, 2, horizon=5, rng=2, branching=3)
    else:
        mdp = gridworld(2, 3, horizon=6, pit=(1, 1), slip=0.2)
    pi_b, _, _ = mixture_baseline(mdp, 0.5)
    for agent in _agents(pi_b):
        a = run_online(mdp, agent, 300, rng=5, engine="numba")
        counts_a = agent.n_sas.copy()
        b = run_online(mdp, agent, 300, rng=5, engine="python")
        np.testing.assert_allclose(a.values, b.values, rtol=0, atol=1e-12)
        np.testing.assert_allclose(a.realized_values, b.realized_values, rtol=0, atol=1e-12)
        np.testing.assert_array_equal(a.weights, b.weights)
        np.testing.assert_allclose(a.pessimistic_values, b.pessimistic_values, atol=1e-12)
        np.testing.assert_allclose(a.optimistic_values, b.optimistic_values, atol=1e-12)
        np.testing.assert_array_equal(counts_a, agent.n_sas)


def test_result_properties():
    v = np.array([1.0, 2.0, 0.5])
    r = OnlineResult(values=v, weights=np.ones(3), realized_values=v,
                     pessimistic_values=v, optimistic_values=v, optimal_value=2.0, threshold=1.0)
    np.testing.assert_allclose(r.pseudo_regret, [1.0, 0.0, 1.5])
    np.testing.assert_allclose(r.cumulative_regret, [1.0, 1.0, 2.5])
    np.testing.assert_allclose(r.slack, [0.0, 1.0, -0.5])
    np.testing.assert_array_equal(r.violations, [False, False, True])
    assert r.n_violations == 1
    s = summarize_violations([r, r])
    assert s == {"mean_violations": 1.0, "frac_runs_violating": 1.0}


def test_baseline_agent_regret_is_exactly_kappa_K():
    mdp = riverswim(4, horizon=8)
    pi_b, v_b, _ = mixture_baseline(mdp, 0.3)
    res = run_online(mdp, BaselineAgent(pi_b), 50, rng=0)
    kappa = optimal_value(mdp) - v_b
    assert res.cumulative_regret[-1] == pytest.approx(50 * kappa, rel=1e-12)


def test_seeded_runs_are_reproducible():
    mdp = random_mdp(4, 2, horizon=4, rng=0)
    pi_b, _, _ = mixture_baseline(mdp, 0.5)
    a = run_online(mdp, EpsMix(pi_b, 0.1, bonus_scale=0.1), 500, rng=np.random.SeedSequence(9))
    b = run_online(mdp, EpsMix(pi_b, 0.1, bonus_scale=0.1), 500, rng=np.random.SeedSequence(9))
    np.testing.assert_array_equal(a.values, b.values)
    np.testing.assert_array_equal(a.realized_values, b.realized_values)


def test_draw_inverse_cdf_skips_zero_tail():
    row = np.array([0.5, 0.5, 0.0])
    assert inverse_cdf_draw(row, 0.999999999999) == 1
    assert inverse_cdf_draw(row, 0.2) == 0
    assert inverse_cdf_draw(np.array([0.0, 1.0]), 0.0) == 1
    # the running sum of ten 0.1 is 1 - 2**-53: u above it falls through to the last positive
    assert inverse_cdf_draw(np.array([0.1] * 10 + [0.0, 0.0]), np.nextafter(1.0, 0.0)) == 9


@pytest.mark.parametrize("seed", range(4))
def test_value_only_backward_induction_max_and_min(seed):
    mdp = random_mdp(5, 3, horizon=4, rng=seed)
    V, pi = backward_values_kernel(mdp.P_stages, mdp.R_stages, mdp.horizon, maximize=True)
    ref = backward_induction(mdp)
    np.testing.assert_allclose(V, ref.V, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(pi, ref.pi)
    # min = -max of the negated rewards (same arithmetic up to signs, same lowest-index ties)
    W, piw = backward_values_kernel(mdp.P_stages, mdp.R_stages, mdp.horizon, maximize=False)
    Wn, piwn = backward_values_kernel(mdp.P_stages, -mdp.R_stages, mdp.horizon, maximize=True)
    np.testing.assert_array_equal(W, -Wn)
    np.testing.assert_array_equal(piw, piwn)
    assert exact_value(mdp, piw) == pytest.approx(float(mdp.rho @ W[0]), abs=1e-12)


def test_validation_errors():
    mdp = random_mdp(3, 2, horizon=3, rng=0)
    with pytest.raises(ValueError, match="^mdp:"):
        run_online(random_mdp(3, 2, gamma=0.9, rng=0), UCBVI(), 10, rng=0)
    with pytest.raises(ValueError, match="^n_episodes:"):
        run_online(mdp, UCBVI(), 0, rng=0)
    with pytest.raises(ValueError, match="^engine:"):
        run_online(mdp, UCBVI(), 10, rng=0, engine="fast")
    with pytest.raises(ValueError, match="^engine:"):
        run_online(mdp, _Recorder(np.full((3, 3, 2), 0.5)), 10, rng=0, engine="numba")
    with pytest.raises(ValueError, match="^rng:"):
        run_online(mdp, UCBVI(), 10, rng="seed")
    with pytest.raises(ValueError, match="^pi:"):
        exact_value(mdp, np.ones((3, 3, 2)))
