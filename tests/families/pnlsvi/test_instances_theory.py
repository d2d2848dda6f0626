"""Instances of rlth.instances.linear_offline and the closed forms of rlth.theory.pnlsvi."""
import numpy as np
import pytest

from rlth.data import sample_trajectory_dataset
from rlth.estimators.linear import coverage_kappa
from rlth.instances import linear_offline as lo
from rlth.solvers.dp import backward_induction
from rlth.solvers.occupancy import occupancy
from rlth.theory import all_theorems
from rlth.theory.pnlsvi import (adv_burn_in, instance_functional, pnlsvi_burn_in,
                                truncated_variance)


@pytest.mark.parametrize("H", [2, 3, 8, 64])
def test_low_variance_instance_has_unit_truncated_variance(H):
    inst = lo.onehot_low_variance(4, 2, H, rng=0)
    mdp = inst.model.mdp
    sol = backward_induction(mdp)
    P = mdp.P_stages[0]
    m1 = np.einsum("sat,ht->hsa", P, sol.V[1:])
    var = np.einsum("sat,ht->hsa", P, sol.V[1:] ** 2) - m1 ** 2
    assert var.max() < 1.0
    np.testing.assert_array_equal(truncated_variance(mdp, sol.V), np.ones((H, 4, 2)))
    assert coverage_kappa(inst.model.phi, occupancy(mdp, inst.behavior)) > 0


def test_coin_instance_has_high_early_variance_and_coverage():
    H = 8
    inst = lo.onehot_coin(H)
    mdp = inst.model.mdp
    sol = backward_induction(mdp)
    v = truncated_variance(mdp, sol.V)
    gap_gb = sol.V[1, 1] - sol.V[1, 2]
    approx = (0.95 * gap_gb) ** 2 / 4
    assert v[0, 0, 0] == pytest.approx(approx, rel=0.1)
    assert v[0, 0, 0] > 7.0                                     # 7.25 at H = 8 and v[H - 1].max() == 1.0
    occ = occupancy(mdp, inst.behavior)
    assert coverage_kappa(inst.model.phi, occ) == pytest.approx(occ.min(), rel=1e-10)
    assert sol.pi[0, 0] == 0                                    # the fairer coin is optimal
    swapped = lo.onehot_coin(H, fair_action=1)
    assert backward_induction(swapped.model.mdp).pi[0, 0] == 1


def test_random_features_instance_and_errors():
    inst = lo.random_features(4, n_states=5, n_actions=2, horizon=3, rng=1)
    assert inst.model.dim == 4 and inst.behavior.shape == (3, 5, 2)
    assert coverage_kappa(inst.model.phi, occupancy(inst.model.mdp, inst.behavior)) > 0
    with pytest.raises(ValueError, match="^dim:"):
        lo.random_features(20, n_states=3, n_actions=2)
    with pytest.raises(ValueError, match="^leak:"):
        lo.onehot_coin(3, leak=0.0)
    with pytest.raises(ValueError, match="^coin_gap:"):
        lo.onehot_coin(3, coin_gap=0.6)
    with pytest.raises(ValueError, match="^fair_action:"):
        lo.onehot_coin(3, fair_action=2)
    with pytest.raises(ValueError, match="^reward_band:"):
        lo.onehot_low_variance(reward_band=0.0)


def test_truncated_variance_and_functional_closed_forms():
    """One-hot: sum_h E_pi* ||e||_{Sigma*^-1} = sum d* sqrt(v / (n + lam v)) (v2 note 1.6)."""
    inst = lo.onehot_coin(4)
    mdp = inst.model.mdp
    sol = backward_induction(mdp)
    v = truncated_variance(mdp, sol.V)
    P = mdp.P_stages[0]
    for h in range(4):
        for s in range(3):
            for a in range(2):
                m = P[s, a] @ sol.V[h + 1]
                ref = max(1.0, P[s, a] @ (sol.V[h + 1] - m) ** 2)
                assert v[h, s, a] == pytest.approx(ref, rel=1e-12)
    D = sample_trajectory_dataset(mdp, inst.behavior, 5000, rng=0, reward="mean")
    occ = occupancy(mdp, sol.pi)
    lam = 1 / 16
    F = instance_functional(inst.model.phi, D.counts, v, occ, lam=lam)
    assert F == pytest.approx(float(np.sum(occ * np.sqrt(v / (D.counts + lam * v)))), rel=1e-10)
    assert pnlsvi_burn_in(10.0, 2, 0.5) == pytest.approx(10 * 64 / 0.25)
    assert adv_burn_in(3, 2) == 9 * 64


def test_theorems_are_registered_with_high_probability_statistics():
    th = {k: t for k, t in all_theorems().items() if k.startswith("pnlsvi.")}
    assert len(th) >= 18
    for k, t in th.items():
        assert t.arxiv == "2310.01380"
        if k.startswith("pnlsvi.linear.minimax"):              # Bayes risk: an expectation
            assert t.statistic == "mean" and t.delta is None
            continue
        assert t.statistic in ("quantile", "fraction"), k     # every bound is w.p. >= 1 - delta
        assert t.delta == 0.1


def test_two_point_bayes_ingredients_and_rule():
    """coin_pair_bayes: the all-fair sequence is free in its member; the Bayes rule picks the
    candidate minimizing the posterior loss, which on average is no worse than always playing
    one member's optimal policy (checked on 200 datasets: mean Bayes loss <= mean loss of
    'always pi_+' up to 4 standard errors) [D]."""
    import math

    from rlth.theory.pnlsvi import bayes_loss, coin_pair_bayes
    K = 10**4
    g = 1 / math.sqrt(K)
    a = lo.onehot_coin(4, coin_gap=g, fair_action=0)
    b = lo.onehot_coin(4, coin_gap=g, fair_action=1)
    ing = coin_pair_bayes(a.model.mdp, b.model.mdp)
    assert ing["loss_plus"].min() == pytest.approx(0.0, abs=1e-12)
    assert ing["loss_minus"].min() == pytest.approx(0.0, abs=1e-12)
    j_plus = int(np.argmin(ing["loss_plus"]))
    bayes, fixed = [], []
    for s in range(200):
        Dp = sample_trajectory_dataset(a.model.mdp, a.behavior, K, rng=s, reward="mean")
        Dm = sample_trajectory_dataset(b.model.mdp, b.behavior, K, rng=10**6 + s, reward="mean")
        bayes.append(0.5 * (bayes_loss(ing, Dp.next_counts, 0, True)
                            + bayes_loss(ing, Dm.next_counts, 0, False)))
        fixed.append(0.5 * (ing["loss_plus"][j_plus] + ing["loss_minus"][j_plus]))
    diff = np.array(bayes) - np.array(fixed)
    assert diff.mean() <= 4 * diff.std(ddof=1) / np.sqrt(len(diff)) + 1e-15
    assert np.mean(bayes) > 0
    with pytest.raises(ValueError, match="^mdp_minus:"):
        coin_pair_bayes(a.model.mdp, lo.onehot_low_variance(3, 2, 4).model.mdp)
