"""GLOW (Algorithm 1), GOLF, the ablation and the lemmas of Amortila et al. (arXiv 2401.09681).

Deterministic unless stated: the engines are compared under shared seeds (bit-equal decisions),
the lemma checks are exact inequalities, the per-sample references are exact up to 1e-12.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from rlth.algorithms.online.glow import (GLOW, GOLF, LayerStats, UniformExploration,
                                         class_quantities, clip, coverability,
                                         coverability_distribution, glow_layer_values,
                                         glow_log_term, glow_weights, log_weight_class_size,
                                         potential_sums, run_class_learner, td_sums,
                                         theorem31_gamma)
from rlth.instances.finite_classes import combination_lock_class, contextual_bandit_class
from rlth.models.classes import FiniteModelClass
from rlth.theory import glow as th

CB = contextual_bandit_class(2, 2, 0.5)
LOCK = combination_lock_class(3, 2, 0.1, 0.5)


# ------------------------------------------------------------------ clipping (Def. 3.1, E.5)
@given(st.floats(0, 1e6), st.floats(0, 1e6), st.floats(0, 1e3))
def test_clip_is_monotone_and_1_lipschitz(a, b, g):
    ca, cb = clip(a, g), clip(b, g)
    assert abs(ca - cb) <= abs(a - b) + 1e-12
    if a <= b:
        assert ca <= cb
    assert clip(np.inf, g) == g and ca <= g


@given(st.floats(1e-6, 1e6), st.floats(1e-6, 1e6), st.floats(1e-3, 1e3))
def test_inverse_clip_is_gamma_squared_lipschitz(z1, z2, g):
    """z -> min(1/z, gamma) is gamma^2-Lipschitz (Lemma E.5)."""
    f1, f2 = min(1 / z1, g), min(1 / z2, g)
    assert abs(f1 - f2) <= g * g * abs(z1 - z2) * (1 + 1e-9) + 1e-12


# ------------------------------------------------------------------ confidence set basics
@pytest.mark.parametrize("mc", [CB, LOCK])
def test_first_confidence_set_is_whole_class(mc):
    ag = GLOW(mc, 100, gamma=0.5)
    assert ag.confidence_set(1).all()                           # beta_1 = +inf: F(1) = F


@pytest.mark.parametrize("engine", ["python", "numba"])
def test_singleton_class_plays_optimal_policy_every_round(engine):
    """F = {Q*}: pi^(t) = pi* in every round, zero regret."""
    mc = FiniteModelClass([LOCK.true_model], 0)
    res = run_class_learner(GLOW(mc, 300, gamma=0.3), rng=1, engine=engine)
    assert np.all(res.regrets == 0.0) and res.qstar_kept


def test_paper_set_eliminates_wrong_model_and_keeps_qstar():
    """Gap-1 bandit (deterministic rewards): Q*'s residual is 0, so Q* stays in every F(t);
    with paper constants the wrong model is dropped once 36 gamma L < 1 (T ~ 3e5) and the
    regret stops growing."""
    mc = contextual_bandit_class(2, 2, 1.0)
    cq = class_quantities(mc)
    T = 300_000
    ag = GLOW(mc, T, gamma=0.5)
    g = theorem31_gamma(coverability(cq), T, ag.L)
    res = run_class_learner(GLOW(mc, T, gamma=g), rng=0)
    assert res.qstar_kept and res.set_sizes[-1] == 1
    first = int(np.argmax(res.set_sizes < 2))
    assert 1000 < first < T
    assert np.all(res.regrets[first:] == 0.0)


@pytest.mark.parametrize("mc", [CB, LOCK, contextual_bandit_class(3, 3, 0.5, family="codes")])
@pytest.mark.parametrize("variant,cs", [("glow", 1.0), ("glow", 0.003), ("unclipped", 1.0),
                                        ("unclipped", 0.003)])
def test_numba_engine_equals_python_engine(mc, variant, cs):
    for seed in range(2):
        ag = GLOW(mc, 600, gamma=0.05, conf_scale=cs, variant=variant)
        a = run_class_learner(ag, rng=seed, engine="python")
        b = run_class_learner(ag, rng=seed, engine="numba")
        assert np.array_equal(a.policies, b.policies)
        assert np.array_equal(a.set_sizes, b.set_sizes) and a.qstar_kept == b.qstar_kept


# ------------------------------------------------------------------ per-sample references
def _random_stats(mc, n, rng):
    """n random tuples per layer and the same data as sufficient statistics."""
    S, A, H = mc.n_states, mc.n_actions, mc.horizon
    tup = [(rng.integers(S, size=n), rng.integers(A, size=n), rng.integers(2, size=n) * 1.0,
            rng.integers(S, size=n)) for _ in range(H)]
    st_ = LayerStats(S, A, H)
    for h, (x, a, r, y) in enumerate(tup):
        for i in range(n):
            st_.add(h, x[i], a[i], r[i], y[i])
    return tup, st_


@pytest.mark.parametrize("mc", [CB, LOCK])
def test_objective_from_counts_equals_per_sample_reference(mc):
    rng = np.random.default_rng(3)
    cq = class_quantities(mc)
    n = 57
    tup, stats = _random_stats(mc, n, rng)
    G = td_sums(cq, stats)
    W = rng.random((5, mc.horizon, mc.n_states, mc.n_actions)) * 4
    gt, alpha = 2.5, 8 / 2.5
    Wc = clip(W, gt)
    for h in range(mc.horizon):
        vals = glow_layer_values(G[:, h], stats.counts[h], Wc[:, h], alpha, n)
        x, a, r, y = tup[h]
        for f in range(cq.n_models):
            nxt = cq.V[f, h + 1, y]                          # f_{H+1} = 0 (V[:, H] = 0)
            delta = cq.Q[f, h, x, a] - r - nxt
            for j in range(W.shape[0]):
                w = Wc[j, h, x, a]
                ref = np.mean(delta * w - alpha * w * w)
                assert vals[f, j] == pytest.approx(ref, abs=1e-12)


def test_golf_losses_equal_per_sample_reference():
    rng = np.random.default_rng(4)
    mc = LOCK
    cq = class_quantities(mc)
    ag = GOLF(mc, 100)
    tup, ag.stats = _random_stats(mc, 40, rng)
    ok = ag.confidence_set(2)
    ref = np.ones(cq.n_models, dtype=bool)
    for f in range(cq.n_models):
        for h in range(mc.horizon):
            x, a, r, y = tup[h]
            target = r + cq.V[f, h + 1, y]
            losses = [np.sum((cq.Q[g, h, x, a] - target) ** 2) for g in range(cq.n_models)]
            ref[f] &= losses[f] - min(losses) <= ag.beta
    assert np.array_equal(ok, ref)


# ------------------------------------------------------------------ weights (Lemma E.4)
@settings(max_examples=20)
@given(st.lists(st.integers(0, 7), min_size=1, max_size=12), st.integers(0, 7),
       st.integers(0, 10**6))
def test_weights_contain_the_ratio_lemma_e4_needs(played, current, seed):
    """W_t holds w = d^{pi^(t)} / dbar^{(t+1)} for the true model: E_{dbar^{(t+1)}}[w g] =
    E_{d^{pi^(t)}}[g] for every g."""
    cq = class_quantities(LOCK)
    t = len(played) + 1
    occ = cq.occupancy
    played_sum = occ[:, played].sum(axis=1)
    W = glow_weights(cq, played_sum, t)
    P = cq.n_policies
    w = W[cq.true_index * P + current]
    dbar_next = (played_sum[cq.true_index] + occ[cq.true_index, current]) / t
    g = np.random.default_rng(seed).normal(size=w.shape)
    lhs = np.sum(dbar_next * w * g, axis=(1, 2))
    rhs = np.sum(occ[cq.true_index, current] * g, axis=(1, 2))
    np.testing.assert_allclose(lhs, rhs, atol=1e-12)
    assert W.min() >= 0 and W.max() <= t + 1e-12


def test_bandit_weights_are_model_free():
    cq = class_quantities(contextual_bandit_class(2, 3, 0.5))
    played_sum = cq.occupancy[:, [0, 1, 1]].sum(axis=1)
    full = glow_weights(cq, played_sum, 4).reshape(cq.n_models, cq.n_policies, -1)
    assert np.all(full == full[:1])
    assert np.array_equal(glow_weights(cq, played_sum, 4, model_free=True), full[0].reshape(
        cq.n_policies, 1, 2, 3))


# ------------------------------------------------------------------ lemmas D.5, E.3
@settings(max_examples=30)
@given(st.lists(st.integers(0, 7), min_size=1, max_size=60))
def test_potential_lemmas_on_any_policy_sequence(seq):
    cq = class_quantities(LOCK)
    T = len(seq)
    e3, d5 = potential_sums(cq, np.array(seq))
    assert np.all(e3 <= th.lemma_e3_bound(coverability(cq), T) + 1e-12)
    assert np.all(d5 <= th.lemma_d5_bound(T) + 1e-12)


def test_lemma_e3_stated_bound_is_false_at_t_equal_one():
    """The stated 5 C log T is 0 at T = 1 while the left side is 1; the corrected bound holds."""
    cq = class_quantities(CB)
    e3, _ = potential_sums(cq, np.array([0]))
    assert e3.max() == pytest.approx(1.0)
    assert 5 * coverability(cq) * math.log(1) < e3.max() <= th.lemma_e3_bound(coverability(cq), 1)


def test_potential_reference_loop():
    cq = class_quantities(LOCK)
    seq = [0, 3, 3, 7, 1, 4, 4, 4]
    occ = cq.true_occupancy
    mu, C = coverability_distribution(cq), coverability(cq)
    e3 = np.zeros(cq.horizon)
    d5 = np.zeros(occ.shape[1:])
    cum = np.zeros(occ.shape[1:])
    for p in seq:
        d = occ[p]
        d5 += np.where(d > 0, d / (cum + C * mu + (d == 0)), 0)
        cum = cum + d
        e3 += np.sum(np.where(d > 0, d * d / np.where(cum > 0, cum, 1), 0), axis=(1, 2))
    a, b = potential_sums(cq, np.array(seq))
    np.testing.assert_allclose(a, e3, atol=1e-12)
    np.testing.assert_allclose(b, d5, atol=1e-12)


# ------------------------------------------------------------------ theory helpers agree
@pytest.mark.parametrize("T", [1, 10, 10**4, 10**7])
def test_theory_and_algorithm_share_log_terms(T):
    for M, P, H in [(2, 2, 1), (8, 8, 3)]:
        lw = log_weight_class_size(M, P, T, H)
        assert lw == pytest.approx(th.log_w_multiset(M, P, T, H))
        assert glow_log_term(M, lw, T, H, 0.1) == pytest.approx(th.log_term(M, lw, T, H, 0.1))
        L = th.log_term(M, lw, T, H, 0.1)
        assert theorem31_gamma(2.0, T, L) == pytest.approx(th.tuned_gamma(2.0, T, L))


def test_explicit_bound_is_vacuous_at_simulable_T():
    for T in (10**3, 10**5, 10**7):
        b = th.explicit_regret_bound(T, n_models=2, n_policies=2, horizon=1, c_cov=2.0,
                                     delta=0.1)
        assert b > T


@pytest.mark.parametrize("n", [1, 5, 999_999, 10**6, 10**6 + 1])
def test_sum_inv_sqrt(n):
    if n <= 10**6 + 1:
        ref = math.fsum(k ** -0.5 for k in range(1, n + 1))
        assert th.sum_inv_sqrt(n) == pytest.approx(ref, rel=1e-12)


# ------------------------------------------------------------------ bad input
def test_glow_rejects_bad_input():
    with pytest.raises(ValueError, match="gamma"):
        GLOW(CB, 10, gamma=1.5)
    with pytest.raises(ValueError, match="gamma"):
        GLOW(CB, 10, gamma=-0.1)
    with pytest.raises(ValueError, match="n_rounds"):
        GLOW(CB, 0, gamma=0.5)
    with pytest.raises(ValueError, match="delta"):
        GLOW(CB, 10, gamma=0.5, delta=1.0)
    with pytest.raises(ValueError, match="conf_scale"):
        GLOW(CB, 10, gamma=0.5, conf_scale=0.0)
    with pytest.raises(ValueError, match="variant"):
        GLOW(CB, 10, gamma=0.5, variant="mabo")
    with pytest.raises(ValueError, match="model_class"):
        GLOW(CB.true_model, 10, gamma=0.5)
    with pytest.raises(ValueError, match="engine"):
        run_class_learner(GLOW(CB, 10, gamma=0.5), engine="fast")
    with pytest.raises(ValueError, match="engine"):
        run_class_learner(GOLF(CB, 10), engine="numba")
    with pytest.raises(ValueError, match="conf_scale"):
        GOLF(CB, 10, conf_scale=-1)
    with pytest.raises(ValueError, match="c_cov"):
        theorem31_gamma(0.0, 10, 1.0)
    with pytest.raises(ValueError, match="T"):
        th.lemma_e3_bound(2.0, 0)


def test_uniform_baseline_runs_and_regret_is_exact():
    res = run_class_learner(UniformExploration(CB, 200, rng=1), rng=2)
    cq = class_quantities(CB)
    assert np.allclose(res.regrets, cq.optimal_value - cq.values[res.policies])
    assert res.risk == pytest.approx(res.regret / 200)
