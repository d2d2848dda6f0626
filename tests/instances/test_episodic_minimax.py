"""The K-dependent gap chain (family of the retired ``episodic.regret.lower``): values exact.

Every value is checked with the exact solvers of :mod:`rlth.solvers.dp` (backward induction,
policy evaluation) against the closed forms of :mod:`rlth.instances.episodic_minimax`.
"""
import math

import numpy as np
import pytest

from rlth.algorithms.online.stepmix import mixture_baseline
from rlth.instances.episodic_minimax import MAX_GAP, gap_chain, minimax_gap
from rlth.theory.stepmix import gap_chain_values
from rlth.solvers.dp import backward_induction, evaluate_policy

CASES = [(0.0, 2, 3, 5), (0.01, 2, 3, 5), (0.1, 1, 3, 2), (0.25, 3, 4, 7), (0.5, 2, 5, 4)]


@pytest.mark.parametrize("gap,m,A,H", CASES)
def test_gap_is_exact_per_step(gap, m, A, H):
    mdp = gap_chain(gap, n_blocks=m, n_actions=A, horizon=H)
    sol = backward_induction(mdp)
    assert sol.bellman_residual < 1e-12
    Q = sol.Q
    # every state, every step but the last: optimal action A-1, near-optimal actions Delta below
    for h in range(H - 1):
        for a in range(1, A - 1):
            np.testing.assert_allclose(Q[h, :, A - 1] - Q[h, :, a], gap, rtol=0, atol=1e-12)
        np.testing.assert_allclose(Q[h, :, A - 1] - Q[h, :, 0], 0.5 + gap, rtol=0, atol=1e-12)
    # last step: all actions tie (the label of the next state is never rewarded)
    np.testing.assert_allclose(Q[H - 1] - Q[H - 1, :, :1], 0.0, atol=0)
    v = gap_chain_values(gap, horizon=H)
    assert sol.value == pytest.approx(v["v_star"], abs=1e-12)
    # a policy playing a near-optimal action everywhere loses exactly (H - 1) gap
    pi_near = np.ones((H, mdp.n_states), dtype=np.int64)
    assert evaluate_policy(mdp, pi_near).value == pytest.approx(v["v_near"], abs=1e-12)
    assert sol.value - evaluate_policy(mdp, pi_near).value == pytest.approx((H - 1) * gap,
                                                                          abs=1e-12)
    pi_trap = np.zeros((H, mdp.n_states), dtype=np.int64)
    assert evaluate_policy(mdp, pi_trap).value == pytest.approx(v["v_worst"], abs=1e-12)


@pytest.mark.parametrize("gap,m,A,H", CASES)
@pytest.mark.parametrize("quality", [0.0, 0.3, 0.5, 0.9, 1.0])
def test_mixture_baseline_value_is_exact(gap, m, A, H, quality):
    mdp = gap_chain(gap, n_blocks=m, n_actions=A, horizon=H)
    pi_b, v_b, lam = mixture_baseline(mdp, quality)
    target = gap_chain_values(gap, horizon=H, quality=quality)["v_b"]
    exact = evaluate_policy(mdp, pi_b).value
    assert exact == pytest.approx(target, abs=1e-10)
    assert v_b == pytest.approx(exact, abs=1e-12)
    # the mixture value is linear in lam here, so lam equals the quality
    assert lam == pytest.approx(quality, abs=1e-10)


def test_structure_and_validation():
    mdp = gap_chain(0.2, n_blocks=3, n_actions=3, horizon=4, trap_good=0.1)
    assert mdp.is_stationary and mdp.n_states == 6
    np.testing.assert_allclose(mdp.rho, 1 / 6)
    np.testing.assert_allclose(mdp.R_stages[0, 1::2], 1.0)
    np.testing.assert_allclose(mdp.R_stages[0, 0::2], 0.0)
    P = mdp.P_stages[0]
    np.testing.assert_allclose(P[:, 2, 1::2].sum(-1), 0.7, atol=1e-15)   # 1/2 + gap
    np.testing.assert_allclose(P[:, 1, 1::2].sum(-1), 0.5, atol=1e-15)
    np.testing.assert_allclose(P[:, 0, 1::2].sum(-1), 0.1, atol=1e-15)   # trap
    assert evaluate_policy(mdp, np.zeros((4, 6), dtype=np.int64)).value == pytest.approx(
        gap_chain_values(0.2, horizon=4, trap_good=0.1)["v_worst"], abs=1e-12)
    for bad in (-0.1, MAX_GAP + 1e-9, float("nan")):
        with pytest.raises(ValueError, match="gap"):
            gap_chain(bad)
    with pytest.raises(ValueError, match="n_actions"):
        gap_chain(0.1, n_actions=2)
    with pytest.raises(ValueError, match="horizon"):
        gap_chain(0.1, horizon=1)
    with pytest.raises(ValueError, match="trap_good"):
        gap_chain(0.1, trap_good=0.5)


def test_minimax_gap_scaling():
    S, A, H = 4, 3, 5
    for K in (10_000, 100_000, 1_000_000):
        assert minimax_gap(K, 8.0, S, A, H) == pytest.approx(8.0 * math.sqrt(S * A / (H * K)),
                                                             rel=1e-15)
    # c standard errors at the average count n = K H / (S A): gap * sqrt(n) = c
    K = 250_000
    assert minimax_gap(K, 3.0, S, A, H) * math.sqrt(K * H / (S * A)) == pytest.approx(3.0)
    assert minimax_gap(100, 32.0, S, A, H) == MAX_GAP
    with pytest.raises(ValueError, match="c"):
        minimax_gap(100, 0.0, S, A, H)
