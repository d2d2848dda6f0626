"""Rollouts and the online runner on models whose P and R have different stage lengths (issue 17).

A model may store a stationary ``P`` (one stage) with stage-dependent ``R`` (``H`` stages), or the
reverse (conventions section 1).  Reading one array's stage from the other's length (e.g. the
reward stage from ``P``'s length) gives stage-0 rewards at every step, a slip no older rollout
test saw.  Checked here:

* exactly, on deterministic models with ``reward="mean"``: every observed reward is
  ``R[h, s_h, a_h]`` and every next state is ``f_h(s_h, a_h)``;
* statistically, with Bernoulli rewards and random transitions: the mean return over K episodes
  against ``rho @ V^pi_0`` from an independent backward induction written here.  Tolerance:
  Hoeffding for returns in ``[0, H]``, ``t = H sqrt(log(2 / 1e-8) / (2K))``, so a correct
  sampler fails one comparison with probability < 1e-8 and this file (16 such comparisons)
  with probability < 1e-6 (the seeds are fixed, so a run is in fact reproducible);
* the online runner's exact values (baseline agent, both engines; V*) against the same
  independent backward induction.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from rlth.algorithms.online.runner import run_online
from rlth.algorithms.online.stepmix import BaselineAgent
from rlth.data.episodes import rollout
from rlth.models.mdp import FiniteHorizonMDP

FAIL_PER_CHECK = 1e-8      # 16 comparisons: < 1e-6 in all


def _hoeffding_tol(H, K):
    return H * math.sqrt(math.log(2.0 / FAIL_PER_CHECK) / (2.0 * K))


def _full(P, R, H):
    P = np.asarray(P, float)
    R = np.asarray(R, float)
    Pf = np.broadcast_to(P, (H,) + P.shape[-3:]) if P.ndim == 3 else P
    Rf = np.broadcast_to(R, (H,) + R.shape[-2:]) if R.ndim == 2 else R
    return Pf, Rf


def _policy_value(P, R, H, pi, rho):
    """rho @ V^pi_0 by backward induction (pi[H, S, A] stochastic)."""
    Pf, Rf = _full(P, R, H)
    V = np.zeros(Pf.shape[1])
    for h in range(H - 1, -1, -1):
        Q = Rf[h] + Pf[h] @ V
        V = (pi[h] * Q).sum(axis=1)
    return float(rho @ V)


def _optimal_value(P, R, H, rho):
    Pf, Rf = _full(P, R, H)
    V = np.zeros(Pf.shape[1])
    for h in range(H - 1, -1, -1):
        V = (Rf[h] + Pf[h] @ V).max(axis=1)
    return float(rho @ V)


def _onehot(pi_det, A):
    return np.eye(A)[pi_det]


S, A, H = 3, 2, 5


def _det_stationary_P():
    # s' = (s + a + 1) mod S, every stage
    P = np.zeros((S, A, S))
    for s in range(S):
        for a in range(A):
            P[s, a, (s + a + 1) % S] = 1.0
    return P


def _det_stage_P():
    # s' = (s + a + h) mod S at stage h (stage 0 differs from the others)
    P = np.zeros((H, S, A, S))
    for h in range(H):
        for s in range(S):
            for a in range(A):
                P[h, s, a, (s + a + h) % S] = 1.0
    return P


def _stage_R():
    # R[h, s, a] distinct for every (h, s, a); stage 0 is zero
    h, s, a = np.meshgrid(np.arange(H), np.arange(S), np.arange(A), indexing="ij")
    R = (h * S * A + s * A + a) / (H * S * A)
    R[0] = 0.0
    return R


def _stationary_R():
    return (np.arange(S * A).reshape(S, A) + 1.0) / (S * A + 1)


# --------------------------------------------------------------------------------------------
# exact: deterministic models, mean rewards
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("stochastic_pi", [False, True])
def test_stationary_P_stage_R_exact_rewards(stochastic_pi):
    P, R = _det_stationary_P(), _stage_R()
    mdp = FiniteHorizonMDP(P, R)
    assert mdp.P_stages.shape[0] == 1 and mdp.R_stages.shape[0] == H
    rng = np.random.default_rng(0)
    pi = (rng.dirichlet(np.ones(A), size=(H, S)) if stochastic_pi
          else rng.integers(0, A, size=(H, S)))
    d = rollout(mdp, pi, 200, rng=1, reward="mean")
    for k in range(200):
        for h in range(H):
            s, a = d.states[k, h], d.actions[k, h]
            assert d.rewards[k, h] == R[h, s, a]
            assert d.states[k, h + 1] == (s + a + 1) % S
    # and some step h >= 1 has a non-zero reward (the check above is not vacuous)
    assert d.rewards[:, 1:].sum() > 0


@pytest.mark.parametrize("stochastic_pi", [False, True])
def test_stage_P_stationary_R_exact_transitions(stochastic_pi):
    P, R = _det_stage_P(), _stationary_R()
    mdp = FiniteHorizonMDP(P, R)
    assert mdp.P_stages.shape[0] == H and mdp.R_stages.shape[0] == 1
    rng = np.random.default_rng(2)
    pi = (rng.dirichlet(np.ones(A), size=(H, S)) if stochastic_pi
          else rng.integers(0, A, size=(H, S)))
    d = rollout(mdp, pi, 200, rng=3, reward="mean")
    for k in range(200):
        for h in range(H):
            s, a = d.states[k, h], d.actions[k, h]
            assert d.rewards[k, h] == R[s, a]
            assert d.states[k, h + 1] == (s + a + h) % S


# --------------------------------------------------------------------------------------------
# statistical: Bernoulli rewards, random transitions, mean return vs exact value
# --------------------------------------------------------------------------------------------
def _random_model(seed, P_stages, R_stages):
    g = np.random.default_rng(seed)
    P = g.dirichlet(np.ones(S), size=(S, A)) if P_stages == 1 else \
        g.dirichlet(np.ones(S), size=(H, S, A))
    if R_stages == 1:
        R = g.uniform(0.0, 1.0, size=(S, A))
    else:
        R = g.uniform(0.6, 1.0, size=(H, S, A))
        R[0] = g.uniform(0.0, 0.1, size=(S, A))    # stage 0 very different from the rest
    if P_stages > 1:
        # stage 0 sends everything to state 0, later stages mix
        P[0] = 0.0
        P[0, :, :, 0] = 1.0
    return P, R


@pytest.mark.parametrize("P_stages,R_stages", [(1, H), (H, 1), (H, H), (1, 1)])
@pytest.mark.parametrize("stochastic_pi", [False, True])
def test_mean_return_matches_exact_value(P_stages, R_stages, stochastic_pi):
    P, R = _random_model(10 + P_stages + 3 * R_stages, P_stages, R_stages)
    rho = np.array([0.2, 0.3, 0.5])
    mdp = FiniteHorizonMDP(P, R, rho=rho, horizon=H)
    assert mdp.P_stages.shape[0] == P_stages and mdp.R_stages.shape[0] == R_stages
    g = np.random.default_rng(4)
    if stochastic_pi:
        pi = g.dirichlet(np.ones(A), size=(H, S))
        pi_full = pi
    else:
        # a policy that depends on the stage, so the transition stage matters too
        pi = g.integers(0, A, size=(H, S))
        pi_full = _onehot(pi, A)
    exact = _policy_value(P, R, H, pi_full, rho)
    K = 100_000
    tol = _hoeffding_tol(H, K)        # ~0.049 at H = 5, K = 1e5
    for reward in ("bernoulli", "mean"):
        d = rollout(mdp, pi, K, rng=7, reward=reward)
        assert abs(d.rewards.sum(axis=1).mean() - exact) <= tol, (reward, exact)


def test_mutant_gap_is_far_outside_tolerance():
    """The stage-0-rewards slip moves the expected return by far more than the tolerance."""
    P, R = _random_model(10 + 1 + 3 * H, 1, H)
    rho = np.array([0.2, 0.3, 0.5])
    pi = np.full((H, S, A), 1.0 / A)
    good = _policy_value(P, R, H, pi, rho)
    slip = _policy_value(P, np.broadcast_to(R[0], (H, S, A)), H, pi, rho)
    assert good - slip > 10 * _hoeffding_tol(H, 100_000)


# --------------------------------------------------------------------------------------------
# online runner: exact values on mixed-stage models
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("P_stages,R_stages", [(1, H), (H, 1)])
@pytest.mark.parametrize("engine", ["numba", "python"])
def test_online_runner_exact_values_mixed_stages(P_stages, R_stages, engine):
    P, R = _random_model(20 + P_stages + 3 * R_stages, P_stages, R_stages)
    rho = np.array([0.5, 0.25, 0.25])
    mdp = FiniteHorizonMDP(P, R, rho=rho, horizon=H)
    g = np.random.default_rng(5)
    pi_b = g.dirichlet(np.ones(A), size=(H, S))
    res = run_online(mdp, BaselineAgent(pi_b), 5, rng=0, engine=engine)
    vb = _policy_value(P, R, H, pi_b, rho)
    np.testing.assert_allclose(res.values, vb, rtol=0, atol=1e-12)
    np.testing.assert_allclose(res.realized_values, vb, rtol=0, atol=1e-12)
    assert res.optimal_value == pytest.approx(_optimal_value(P, R, H, rho), abs=1e-12)


@pytest.mark.parametrize("P_stages,R_stages", [(1, H), (H, 1)])
def test_online_runner_deterministic_baseline_value(P_stages, R_stages):
    P = _det_stationary_P() if P_stages == 1 else _det_stage_P()
    R = _stage_R() if R_stages == H else _stationary_R()
    mdp = FiniteHorizonMDP(P, R, rho=np.array([1.0, 0.0, 0.0]), horizon=H)
    pi_det = np.zeros((H, S), dtype=np.int64)
    # exact value by following the deterministic path by hand
    s, v = 0, 0.0
    Pf, Rf = _full(P, R, H)
    for h in range(H):
        v += Rf[h, s, 0]
        s = int(np.argmax(Pf[h, s, 0]))
    res = run_online(mdp, BaselineAgent(_onehot(pi_det, A)), 3, rng=1)
    np.testing.assert_allclose(res.values, v, rtol=0, atol=1e-12)


@pytest.mark.parametrize("P_stages,R_stages,pooled", [(1, H, True), (1, H, False),
                                                      (H, 1, False)])
@pytest.mark.parametrize("engine", ["numba", "python"])
def test_ucbvi_optimism_uses_stage_rewards(P_stages, R_stages, pooled, engine):
    """UCBVI without bonus on a deterministic model: P_hat = P on visited pairs and unvisited
    pairs score the cap, so the optimistic value dominates V* in every episode and reaches it
    exactly once the reachable pairs are visited; the policy played is then optimal.  (Pooled
    counts assume a stationary P, so the stage-dependent P runs unpooled.)"""
    P = _det_stationary_P() if P_stages == 1 else _det_stage_P()
    R = _stage_R() if R_stages == H else _stationary_R()
    rho = np.array([1.0, 0.0, 0.0])
    mdp = FiniteHorizonMDP(P, R, rho=rho, horizon=H)
    from rlth.algorithms.online.ucbvi import UCBVI
    res = run_online(mdp, UCBVI(bonus="ch", bonus_scale=0.0, pooled=pooled), 200, rng=0,
                     engine=engine)
    v_star = _optimal_value(P, R, H, rho)
    assert res.optimal_value == pytest.approx(v_star, abs=1e-12)
    assert np.all(res.optimistic_values >= v_star - 1e-9)
    assert res.optimistic_values[-1] == pytest.approx(v_star, abs=1e-9)
    assert res.values[-1] == pytest.approx(v_star, abs=1e-9)
