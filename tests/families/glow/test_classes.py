"""Finite model classes, their instances and the exact class quantities (GLOW, arXiv 2401.09681).

Deterministic tests (exact arithmetic up to 1e-9): no statistical failure budget.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy.optimize import linprog

from rlth.algorithms.online.glow import (class_quantities, coverability,
                                         coverability_distribution)
from rlth.instances import random_mdp
from rlth.instances.finite_classes import combination_lock_class, contextual_bandit_class
from rlth.models.classes import FiniteModelClass, max_episode_reward
from rlth.models.mdp import FiniteHorizonMDP
from rlth.solvers.dp import backward_induction, evaluate_policy


def _random_class(seed, n_models=3, S=3, A=2, H=3):
    """Random MDPs with rewards scaled by 1/H (so sum_h r_h <= 1) and deterministic rewards."""
    ms = []
    for i in range(n_models):
        m = random_mdp(S, A, horizon=H, rng=seed * 100 + i)
        ms.append(FiniteHorizonMDP(m.P, m.R / H, rho=m.rho, horizon=H))
    return FiniteModelClass(ms, true_index=n_models - 1, reward="mean")


def _ccov_lp(cq):
    occ = cq.true_occupancy
    P, H, S, A = occ.shape
    k = H * S * A
    c = np.zeros(k + 1)
    c[-1] = 1.0
    A_ub = np.zeros((P * k, k + 1))
    b_ub = np.zeros(P * k)
    for p in range(P):
        A_ub[p * k:(p + 1) * k, :k] = -np.eye(k)
        b_ub[p * k:(p + 1) * k] = -occ[p].reshape(-1)
    A_eq = np.zeros((H, k + 1))
    for h in range(H):
        A_eq[h, h * S * A:(h + 1) * S * A] = 1.0
        A_eq[h, -1] = -1.0
    sol = linprog(c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=np.zeros(H), method="highs")
    return sol.fun


# ------------------------------------------------------------------ FiniteModelClass errors
def test_class_rejects_bad_input():
    cb = contextual_bandit_class(2, 2, 0.5)
    with pytest.raises(ValueError, match="models"):
        FiniteModelClass([], 0)
    with pytest.raises(ValueError, match="models"):
        FiniteModelClass(cb.models[0], 0)
    with pytest.raises(ValueError, match="models"):
        FiniteModelClass([cb.models[0], "x"], 0)
    other = combination_lock_class(2, 2)
    with pytest.raises(ValueError, match="models"):        # shapes of the true model
        FiniteModelClass([cb.models[0], other.models[0]], 0)
    with pytest.raises(ValueError, match="true_index"):
        FiniteModelClass(cb.models, 2)
    with pytest.raises(ValueError, match="true_index"):
        FiniteModelClass(cb.models, True)
    with pytest.raises(ValueError, match="reward"):
        FiniteModelClass(cb.models, 0, reward="gauss")
    with pytest.raises(ValueError, match="names"):
        FiniteModelClass(cb.models, 0, names=["a"])


def test_class_rejects_rewards_whose_episode_sum_leaves_unit_interval():
    P = np.zeros((2, 1, 1, 1))
    P[..., 0] = 1.0
    two_paying = FiniteHorizonMDP(P, np.full((2, 1, 1), 0.5), horizon=2)
    with pytest.raises(ValueError, match="models: model 0 .* > 1"):
        FiniteModelClass([two_paying], 0)                     # Bernoulli: can pay 1 + 1
    FiniteModelClass([two_paying], 0, reward="mean")          # mean: 0.5 + 0.5 = 1 is fine
    big = FiniteHorizonMDP(P, np.full((2, 1, 1), 0.6), horizon=2)
    with pytest.raises(ValueError, match="models"):
        FiniteModelClass([big], 0, reward="mean")
    assert max_episode_reward(two_paying, "bernoulli") == 2.0
    assert max_episode_reward(big, "mean") == pytest.approx(1.2)


def test_instances_reject_bad_input():
    with pytest.raises(ValueError, match="gap"):
        contextual_bandit_class(2, 2, 0.0)
    with pytest.raises(ValueError, match="gap"):
        contextual_bandit_class(2, 2, 1.5)
    with pytest.raises(ValueError, match="family"):
        contextual_bandit_class(2, 2, 0.5, family="all")
    with pytest.raises(ValueError, match="n_contexts"):
        contextual_bandit_class(0, 2, 0.5)
    with pytest.raises(ValueError, match="n_contexts"):
        contextual_bandit_class(13, 2, 0.5, family="codes")
    with pytest.raises(ValueError, match="noise"):
        combination_lock_class(2, 2, noise=1.0)
    with pytest.raises(ValueError, match="horizon"):
        combination_lock_class(13, 2)
    with pytest.raises(ValueError, match="true_index"):
        combination_lock_class(2, 2, true_index=4)


# ------------------------------------------------------------------ class quantities
@pytest.mark.parametrize("A", [2, 3, 5])
def test_cyclic_bandit_coverability_is_number_of_arms(A):
    cq = class_quantities(contextual_bandit_class(3, A, 0.5))
    assert coverability(cq) == pytest.approx(A)


@pytest.mark.parametrize("H,A,noise", [(2, 2, 0.1), (3, 2, 0.0), (3, 3, 0.2)])
def test_lock_values_and_coverability_closed_form(H, A, noise):
    mc = combination_lock_class(H, A, noise, 0.5)
    cq = class_quantities(mc)
    assert cq.optimal_value == pytest.approx((1 - noise) ** (H - 1) * 0.75)
    # layer 1: A actions in the good state w.p. (1 - noise) each, action 0 in the dead state
    assert coverability(cq) == pytest.approx(A * (1 - noise) + 1.0)
    assert cq.n_policies == A ** H
    assert cq.values[cq.optimal_policy_index] == pytest.approx(cq.optimal_value)


@pytest.mark.parametrize("mc", [contextual_bandit_class(2, 2, 0.5),
                                contextual_bandit_class(3, 3, 0.5, family="codes"),
                                combination_lock_class(2, 2, 0.1),
                                combination_lock_class(3, 2, 0.1),
                                _random_class(1), _random_class(2, n_models=4, S=2, A=3, H=2)])
def test_coverability_equals_inf_sup_definition(mc):
    cq = class_quantities(mc)
    c = coverability(cq)
    assert c == pytest.approx(_ccov_lp(cq), abs=1e-9)
    mu = coverability_distribution(cq)
    ratio = np.where(cq.true_occupancy > 0, cq.true_occupancy / np.where(mu > 0, mu, 1), 0)
    assert ratio.max() == pytest.approx(c)               # attained at the distribution
    assert 1.0 - 1e-12 <= c <= mc.n_states * mc.n_actions + 1e-12


@settings(max_examples=15)
@given(st.integers(0, 10**6), st.integers(1, 3), st.integers(2, 3), st.integers(1, 3))
def test_lemma_d4_identity_every_f(seed, H, S, n_models):
    """E f_1(x1, pi_f) - J(pi_f) = sum_h E_{d^{pi_f}}[f_h - T_h f_{h+1}] (Lemma D.4)."""
    mc = _random_class(seed, n_models=n_models, S=S, H=H)
    cq = class_quantities(mc)
    m = mc.true_model
    for f in range(cq.n_models):
        p = cq.policy_index[f]
        lhs = m.rho @ cq.V[f, 0] - cq.values[p]
        TQ = m.R + np.einsum("hxay,hy->hxa", m.P, cq.V[f, 1:])
        rhs = np.sum(cq.true_occupancy[p] * (cq.Q[f] - TQ))
        assert lhs == pytest.approx(rhs, abs=1e-12)


def test_class_quantities_match_solvers():
    mc = _random_class(7)
    cq = class_quantities(mc)
    for i, m in enumerate(mc.models):
        sol = backward_induction(m)
        assert np.array_equal(cq.greedy[i], sol.pi)           # execution's tie-break
        assert np.array_equal(cq.policies[cq.policy_index[i]], sol.pi)
    for p in range(cq.n_policies):
        assert cq.values[p] == pytest.approx(evaluate_policy(mc.true_model, cq.policies[p]).value)
    with pytest.raises(ValueError, match="model_class"):
        class_quantities([mc.true_model])


def test_coinciding_greedy_policies_are_merged():
    """Two models with the same argmax give one policy of Pi (|Pi| <= |F|)."""
    cb = contextual_bandit_class(2, 2, 0.5)
    scaled = FiniteHorizonMDP(cb.models[0].P, cb.models[0].R * 0.5 + 0.1, rho=cb.models[0].rho)
    mc = FiniteModelClass([cb.models[0], scaled, cb.models[1]], true_index=2)
    cq = class_quantities(mc)
    assert cq.n_policies == 2 and cq.policy_index.tolist() == [0, 0, 1]
