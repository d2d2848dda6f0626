"""The linear dueling bandit model, its exact ground truth and its duel sampler."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chi2

from rlth.data.duels import chosen_measure, sample_duel, sample_duel_counts
from rlth.instances.dueling import (linear_dueling_bandit, tabular_dueling_bandit,
                                    tilted_behavior)
from rlth.models.bandits import LinearDuelingBandit
from rlth.solvers.preference import (dueling_optimum, kl_optimal_policy,
                                     optimal_regularized_value, regularized_regret,
                                     regularized_value, unregularized_regret)
from rlth.theory.vpo import coverage_coefficient


def _model(seed, X=2, Y=4, d=3, beta=0.5):
    return linear_dueling_bandit(X, Y, d, norm=2.0, beta=beta, ref_scale=1.0, rng=seed)


def _random_policy(rng, X, Y):
    return rng.dirichlet(np.ones(Y), size=X)


# ------------------------------------------------------------------------------ validation

def test_model_rejects_bad_input():
    phi = np.zeros((1, 3, 2))
    ok = dict(context_probs=[1.0], phi=phi, theta=[0.0, 0.0], pi_ref=[[0.2, 0.3, 0.5]],
              beta=1.0)
    LinearDuelingBandit(**ok)
    for key, bad, msg in [("beta", 0.0, "beta"), ("beta", -1.0, "beta"),
                          ("phi", np.zeros((1, 3)), "phi"), ("phi", np.zeros((2, 3, 2)), "phi"),
                          ("phi", np.zeros((1, 1, 2)), "phi"),
                          ("theta", [0.0], "theta"), ("pi_ref", [[0.5, 0.5, 0.0]], "pi_ref"),
                          ("pi_ref", [[0.2, 0.2, 0.2]], "pi_ref"),
                          ("pi_ref", [[0.5, 0.5]], "pi_ref"),
                          ("context_probs", [0.5], "context_probs"),
                          ("phi", np.full((1, 3, 2), np.nan), "phi")]:
        with pytest.raises(ValueError, match=msg):
            LinearDuelingBandit(**{**ok, key: bad})


def test_instance_builders_validate():
    with pytest.raises(ValueError, match="n_responses"):
        linear_dueling_bandit(1, 1, 2, rng=0)
    with pytest.raises(ValueError, match="norm"):
        linear_dueling_bandit(1, 3, 2, norm=0.0, rng=0)
    with pytest.raises(ValueError, match="lam"):
        tilted_behavior(_model(0), float("nan"))
    m = linear_dueling_bandit(2, 5, 3, norm=1.5, rng=0)
    assert np.isclose(np.linalg.norm(m.theta), 1.5)
    assert np.allclose(np.linalg.norm(m.phi, axis=2), 1.0)


def test_preference_is_bradley_terry_and_antisymmetric():
    m = _model(1)
    P = m.preference
    assert np.allclose(P + P.swapaxes(1, 2), 1.0, atol=1e-15)
    r = m.rewards
    assert np.allclose(P[0, 0, 1], 1 / (1 + np.exp(-(r[0, 0] - r[0, 1]))))


# ------------------------------------------------------------------------------ ground truth

@settings(max_examples=30)
@given(seed=st.integers(0, 10_000), beta=st.sampled_from([0.05, 0.5, 3.0]))
def test_closed_form_optimum_equals_enumeration(seed, beta):
    m = _model(seed, beta=beta)
    opt = dueling_optimum(m)
    assert opt.certificate <= 1e-12 * max(1.0, abs(opt.value))
    rng = np.random.default_rng(seed)
    for _ in range(5):                       # pi* beats every other policy (Gibbs principle)
        pi = _random_policy(rng, m.n_contexts, m.n_responses)
        assert regularized_value(m, pi) <= opt.value + 1e-12


@settings(max_examples=30)
@given(seed=st.integers(0, 10_000))
def test_regret_accounting_against_enumeration(seed):
    m = _model(seed)
    rng = np.random.default_rng(seed)
    pi = _random_policy(rng, m.n_contexts, m.n_responses)
    enum = optimal_regularized_value(m) - regularized_value(m, pi)
    assert regularized_regret(m, pi) == pytest.approx(enum, rel=1e-10, abs=1e-12)
    assert regularized_regret(m, kl_optimal_policy(m)) <= 1e-14
    # unregularized regret by enumeration over (x, y)
    r = m.rewards
    best = sum(m.context_probs[x] * r[x].max() for x in range(m.n_contexts))
    got = sum(m.context_probs[x] * pi[x, y] * r[x, y] for x in range(m.n_contexts)
              for y in range(m.n_responses))
    assert unregularized_regret(m, pi) == pytest.approx(best - got, abs=1e-12)


def test_solver_errors():
    m = _model(0)
    with pytest.raises(ValueError, match="model"):
        kl_optimal_policy("not a model")
    with pytest.raises(ValueError, match="policy"):
        regularized_regret(m, np.ones((2, 4)))
    with pytest.raises(ValueError, match="reward"):
        optimal_regularized_value(m, np.ones((3, 4)))


def test_tabular_instance_has_one_hot_features():
    m = tabular_dueling_bandit([[0.0, 1.0, 2.0]], beta=1.0)
    assert m.dim == 3 and np.allclose(m.rewards, [[0.0, 1.0, 2.0]])
    pi = kl_optimal_policy(m)
    assert np.allclose(pi, np.exp([0, 1, 2]) / np.exp([0, 1, 2]).sum())


def test_coverage_coefficient_by_direct_solve():
    m = _model(3, X=1, Y=8, d=3)
    b = tilted_behavior(m, 2.0)
    star = kl_optimal_policy(m)
    v = (star - m.pi_ref)[0] @ m.phi[0]
    S = np.zeros((3, 3))
    for y1 in range(8):
        for y2 in range(8):
            z = m.phi[0, y1] - m.phi[0, y2]
            S += b[0, y1] * b[0, y2] * np.outer(z, z)
    assert coverage_coefficient(m, b, b) == pytest.approx(v @ np.linalg.solve(S, v), rel=1e-9)
    point = np.zeros((1, 8))
    point[0, 0] = 1.0                         # every duel is y0 vs y0: nothing is covered
    assert coverage_coefficient(m, point, point) == float("inf")


# ------------------------------------------------------------------------------ sampling

def test_duel_counts_are_a_count_table():
    m = _model(2)
    W = sample_duel_counts(m, m.pi_ref, m.pi_ref, 1000, rng=0)
    assert W.shape == (2, 4, 4) and W.sum() == 1000 and np.all(W >= 0)
    assert np.array_equal(W, np.round(W))
    q = chosen_measure(W)
    assert np.isclose(q.sum(), 1.0)
    with pytest.raises(ValueError, match="n_samples"):
        sample_duel_counts(m, m.pi_ref, m.pi_ref, 0, rng=0)
    with pytest.raises(ValueError, match="pi2"):
        sample_duel_counts(m, m.pi_ref, np.ones((2, 4)), 10, rng=0)
    with pytest.raises(ValueError, match="wins"):
        chosen_measure(np.zeros((1, 2, 2)))


def test_duel_counts_have_the_duel_law():
    """Mean count table over 400 seeds vs N * P(cell, win): every cell within 6 standard
    errors (normal approximation; per-cell false-failure about 2e-9, 32 cells: < 1e-7)."""
    m = _model(4)
    N, S = 200, 400
    b = tilted_behavior(m, 1.0)
    Ws = np.array([sample_duel_counts(m, b, m.pi_ref, N, rng=s) for s in range(S)])
    cell = m.context_probs[:, None, None] * b[:, :, None] * m.pi_ref[:, None, :]
    P = m.preference
    expect = N * (cell * P + (cell * (1 - P)).swapaxes(1, 2))
    idx = np.arange(4)
    expect[:, idx, idx] = N * cell[:, idx, idx]
    sd = np.sqrt(N * (expect / N) * (1 - expect / N) / S) + 1e-12
    assert np.all(np.abs(Ws.mean(axis=0) - expect) <= 6 * sd)


def test_single_duel_law_matches_counts():
    """Chi-square goodness of fit of 20000 single duels (x, y1, y2, won) against the exact
    law; rejection threshold at level 1e-7."""
    m = _model(5, X=1, Y=3, d=2)
    rng = np.random.default_rng(0)
    n = 20000
    counts = np.zeros((3, 3, 2))
    for _ in range(n):
        x, y1, y2, won = sample_duel(m, m.pi_ref, m.pi_ref, rng=rng)
        counts[y1, y2, int(won)] += 1
    p = m.pi_ref[0][:, None] * m.pi_ref[0][None, :]
    law = np.stack([p * (1 - m.preference[0]), p * m.preference[0]], axis=2)
    stat = float(np.sum((counts - n * law) ** 2 / (n * law)))
    assert stat < chi2.ppf(1 - 1e-7, df=law.size - 1)
