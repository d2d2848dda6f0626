"""The trap-free two-member gap chain: exact values against the closed forms.

Every value is computed with the exact solvers of :mod:`rlth.solvers.dp` and compared with
``V* = 1/2 + (H - 1)(1/2 + gap)`` and the loss ``(H - 1) gap`` of the other action.
"""
import numpy as np
import pytest

from rlth.instances.episodic_minimax import gap_chain, two_point_chain
from rlth.solvers.dp import backward_induction, evaluate_policy

CASES = [(0.0, 2, 5), (0.01, 2, 5), (0.1, 1, 2), (0.25, 3, 7), (0.5, 2, 4)]


@pytest.mark.parametrize("gap,m,H", CASES)
@pytest.mark.parametrize("member", [0, 1])
def test_values_match_closed_forms(gap, m, H, member):
    mdp = two_point_chain(gap, member, n_blocks=m, horizon=H)
    assert (mdp.n_states, mdp.n_actions, mdp.horizon) == (2 * m, 2, H)
    assert mdp.is_stationary
    np.testing.assert_allclose(mdp.P.sum(-1), 1.0, atol=1e-15)
    sol = backward_induction(mdp)
    assert sol.bellman_residual < 1e-12
    v_star = 0.5 + (H - 1) * (0.5 + gap)
    assert sol.value == pytest.approx(v_star, abs=1e-12)
    np.testing.assert_allclose(sol.V[0], (np.arange(2 * m) % 2) + (H - 1) * (0.5 + gap),
                               atol=1e-12)
    other = np.full((H, mdp.n_states), 1 - member, dtype=np.int64)
    best = np.full((H, mdp.n_states), member, dtype=np.int64)
    assert evaluate_policy(mdp, best).value == pytest.approx(v_star, abs=1e-12)
    assert sol.value - evaluate_policy(mdp, other).value == pytest.approx((H - 1) * gap,
                                                                          abs=1e-12)


@pytest.mark.parametrize("gap,m,H", CASES)
@pytest.mark.parametrize("member", [0, 1])
def test_per_step_gap_is_exact(gap, m, H, member):
    Q = backward_induction(two_point_chain(gap, member, n_blocks=m, horizon=H)).Q
    for h in range(H - 1):
        np.testing.assert_allclose(Q[h, :, member] - Q[h, :, 1 - member], gap, atol=1e-12)
    np.testing.assert_allclose(Q[H - 1, :, 0] - Q[H - 1, :, 1], 0.0, atol=0)


@pytest.mark.parametrize("gap", [0.01, 0.2, 0.5])
def test_members_have_different_optimal_policies(gap):
    H = 5
    pi0 = backward_induction(two_point_chain(gap, 0, n_blocks=2, horizon=H)).pi
    pi1 = backward_induction(two_point_chain(gap, 1, n_blocks=2, horizon=H)).pi
    assert (pi0[:H - 1] == 0).all() and (pi1[:H - 1] == 1).all()
    # the same action loses (H - 1) gap on the member where it is wrong: no common optimum
    for a in (0, 1):
        pi = np.full((H, 4), a, dtype=np.int64)
        losses = [backward_induction(mdp).value - evaluate_policy(mdp, pi).value
                  for mdp in (two_point_chain(gap, 0, horizon=H),
                              two_point_chain(gap, 1, horizon=H))]
        assert max(losses) == pytest.approx((H - 1) * gap, abs=1e-12)
        assert min(losses) == pytest.approx(0.0, abs=1e-12)


def test_member_one_is_gap_chain_without_its_trap():
    gc = gap_chain(0.15, n_blocks=3, n_actions=3, horizon=6)
    tp = two_point_chain(0.15, 1, n_blocks=3, horizon=6)
    np.testing.assert_array_equal(tp.P_stages[0], gc.P_stages[0][:, 1:, :])
    np.testing.assert_array_equal(tp.R_stages[0], gc.R_stages[0][:, 1:])
    np.testing.assert_array_equal(tp.rho, gc.rho)
    sw = two_point_chain(0.15, 0, n_blocks=3, horizon=6)
    np.testing.assert_array_equal(sw.P_stages[0], tp.P_stages[0][:, ::-1, :])


@pytest.mark.parametrize("kwargs,name", [
    (dict(gap=-0.01, member=0), "gap"),
    (dict(gap=0.51, member=0), "gap"),
    (dict(gap=float("nan"), member=0), "gap"),
    (dict(gap="0.1", member=0), "gap"),
    (dict(gap=0.1, member=2), "member"),
    (dict(gap=0.1, member=-1), "member"),
    (dict(gap=0.1, member=0.0), "member"),
    (dict(gap=0.1, member=True), "member"),
    (dict(gap=0.1, member=0, horizon=1), "horizon"),
    (dict(gap=0.1, member=0, horizon=0), "horizon"),
    (dict(gap=0.1, member=0, n_blocks=0), "n_blocks"),
])
def test_bad_input_names_the_argument(kwargs, name):
    with pytest.raises(ValueError, match=f"^{name}:"):
        two_point_chain(**kwargs)
