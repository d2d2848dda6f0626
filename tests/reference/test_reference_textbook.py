"""The references themselves against textbook answers (independent of rlth's solvers), and their
error paths.

* Puterman (2005) Sec. 3.1 two-state example: ``V* = (-8.5714..., -20)`` at gamma = 0.95 (closed
  form ``V*(1) = -1/(1-gamma)``, ``V*(0) = (5 + gamma/2 V*(1)) / (1 - gamma/2)``), action 0 in
  state 0.
* Brute force over every deterministic policy on tiny MDPs: backward induction's ``V[0]`` is the
  best policy's value in every state; policy iteration's ``V`` is the best stationary policy's.
* A multi-armed bandit by hand (LCB), one-hot ridge regression in closed form (``Y / (n + lam)``).
* Every bad input raises ``ValueError`` whose message starts with the argument's name.
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import rlth.reference as ref


def _puterman(gamma=0.95):
    P = np.array([[[0.5, 0.5], [0.0, 1.0]], [[0.0, 1.0], [0.0, 1.0]]])
    R = np.array([[5.0, 10.0], [-1.0, -1.0]])
    return P, R, gamma


def test_puterman_two_state_closed_form():
    P, R, gamma = _puterman()
    v1 = -1.0 / (1.0 - gamma)
    v_star = np.array([(5.0 + gamma / 2 * v1) / (1.0 - gamma / 2), v1])
    assert v_star[0] == pytest.approx(-8.571428571428571, abs=1e-12)
    V, pi = ref.policy_iteration(P, R, gamma)
    np.testing.assert_allclose(V, v_star, rtol=0, atol=1e-12)
    assert pi[0] == 0
    V, pi = ref.value_iteration(P, R, gamma, tol=1e-10)
    assert np.max(np.abs(V - v_star)) < 0.5e-10          # Puterman Thm 6.3.1: < tol / 2
    assert pi[0] == 0
    np.testing.assert_allclose(ref.policy_evaluation(P, R, gamma, [0, 0]), v_star, atol=1e-12)


def _random_model(rng, S, A, H=None):
    shape = (S, A) if H is None else (H, S, A)
    P = rng.dirichlet(np.ones(S) / 2, size=shape)
    return P, rng.uniform(size=shape)


@pytest.mark.parametrize("seed", range(4))
def test_backward_induction_equals_brute_force(seed):
    rng = np.random.default_rng(seed)
    S, A, H = 2, 2, 3
    P, R = _random_model(rng, S, A, H)
    V, pi = ref.backward_induction(P, R)
    assert V.shape == (H + 1, S) and pi.shape == (H, S) and pi.dtype.kind == "i"
    np.testing.assert_array_equal(V[H], 0.0)
    best = np.full(S, -np.inf)
    for flat in itertools.product(range(A), repeat=H * S):        # all Markov policies
        pol = np.array(flat).reshape(H, S)
        v = np.zeros(S)
        for h in range(H - 1, -1, -1):
            v = R[h, np.arange(S), pol[h]] + P[h, np.arange(S), pol[h]] @ v
        best = np.maximum(best, v)
    np.testing.assert_allclose(V[0], best, rtol=0, atol=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_policy_iteration_equals_brute_force(seed):
    rng = np.random.default_rng(seed)
    S, A, gamma = 3, 2, 0.9
    P, R = _random_model(rng, S, A)
    V, pi = ref.policy_iteration(P, R, gamma)
    values = [ref.policy_evaluation(P, R, gamma, np.array(p))
              for p in itertools.product(range(A), repeat=S)]
    np.testing.assert_allclose(V, np.max(values, axis=0), rtol=0, atol=1e-12)
    np.testing.assert_allclose(ref.policy_evaluation(P, R, gamma, pi), V, atol=1e-12)


def test_lcb_by_hand():
    # arm 0: 1 pull, reward 1 -> 1 - sqrt(0.5 log(2*2*10)/1) = -0.358...
    # arm 1: 100 pulls, mean 0.6 -> 0.6 - sqrt(0.5 log(40)/100) = 0.464...
    assert ref.lcb([1, 100], [1.0, 60.0], delta=0.1) == 1
    assert ref.lcb([1, 100], [1.0, 60.0], delta=0.1, c=1e-6) == 0      # penalty ~ 0: greedy
    assert ref.lcb([0, 5], [0.0, 0.0], delta=0.1, c=1e-6) == 1          # unvisited scores -1


def test_ridge_lsvi_one_hot_closed_form():
    # S = 1, A = 2, H = 1, one-hot features: w = Y / (n + lam) per action
    phi = np.eye(2).reshape(1, 2, 2)
    states = np.zeros((4, 2), dtype=int)
    actions = np.array([[0], [0], [0], [1]])
    rewards = np.array([[1.0], [0.0], [1.0], [1.0]])
    Q, V, pi = ref.ridge_lsvi(phi, states, actions, rewards, lam=1.0)
    np.testing.assert_allclose(Q[0, 0], [2 / 4, 1 / 2], atol=1e-15)
    Q, V, pi = ref.ridge_lsvi(phi, states, actions, rewards, lam=1.0, beta=0.5)
    np.testing.assert_allclose(Q[0, 0], [0.5 - 0.5 / 2, 0.5 - 0.5 / np.sqrt(2)], atol=1e-15)
    assert pi[0, 0] == 0


def test_ucbvi_first_episode_is_the_cap():
    R = np.full((3, 2, 2), 0.5)
    zeros = np.zeros((2, 2), dtype=int)
    Q, pi = ref.ucbvi_episode(R, zeros, np.zeros((2, 2, 2), dtype=int), np.full((3, 2, 2), 3.0),
                              L=np.log(5 * 4 * 30 / 0.1))
    np.testing.assert_array_equal(Q[:, 0, 0], [3, 2, 1])             # remaining horizon
    np.testing.assert_array_equal(pi, 0)


def test_nash_md_step_with_full_weight_ignores_pi():
    # eta tau = 1: the mixture is mu, so pi_{t+1} = softmax(log mu + eta P mu)
    pref = np.array([[0.5, 0.9], [0.1, 0.5]])
    mu = np.array([0.25, 0.75])
    out = ref.nash_md_step(pref, mu, np.array([0.9, 0.1]), 2.0, 0.5)
    z = np.log(mu) + 2.0 * pref @ mu
    np.testing.assert_allclose(out, np.exp(z) / np.exp(z).sum(), atol=1e-15)


P2, R2 = np.full((2, 2, 2), 0.5), np.zeros((2, 2))


@pytest.mark.parametrize("call, name", [
    (lambda: ref.backward_induction(P2, R2), "P, R"),
    (lambda: ref.policy_evaluation(P2, R2, 1.0, [0, 0]), "gamma"),
    (lambda: ref.policy_evaluation(P2, R2, 0.5, [0, 2]), "pi"),
    (lambda: ref.policy_evaluation(P2, R2, 0.5, [0.0, 1.0]), "pi"),
    (lambda: ref.value_iteration(P2, R2[:1], 0.5), "P, R"),
    (lambda: ref.value_iteration(P2, R2, 0.5, tol=0.0), "tol"),
    (lambda: ref.policy_iteration(P2, R2, -0.1), "gamma"),
    (lambda: ref.lcb([1, 2], [1.0], 0.1), "counts"),
    (lambda: ref.lcb([[-1, 2]], [[0.0, 1.0]], 0.1), "counts"),
    (lambda: ref.vi_lcb(np.ones((2, 2, 2)), np.ones((2, 2, 2)), np.ones((2, 2, 2)), 0.5),
     "counts, next_counts"),
    (lambda: ref.ridge_lsvi(np.ones((1, 1, 1)), np.zeros((2, 3)), np.zeros((2, 1)),
                            np.zeros((2, 1))), "states, rewards, lam"),
    (lambda: ref.ridge_lsvi(np.ones((1, 1, 1)), np.zeros((2, 2)), np.zeros((2, 1)),
                            np.zeros((2, 1)), lam=0.0), "states, rewards, lam"),
    (lambda: ref.pevi(np.ones((1, 1, 1)), np.zeros((2, 2)), np.zeros((2, 1)),
                      np.zeros((2, 1)), 1.5), "delta"),
    (lambda: ref.ucbvi_episode(np.zeros((2, 1, 1)), [[1]], [[[1]]], np.zeros((2, 1, 1)), 1.0,
                               clip="none"), "clip, Q_prev"),
    (lambda: ref.nash_md_step(np.full((2, 2), 0.5), [0.5, 0.5], [0.5, 0.5], 2.0, 1.0),
     "pref, pi, eta"),
])
def test_bad_input_names_the_argument(call, name):
    with pytest.raises(ValueError, match="^" + name):
        call()
