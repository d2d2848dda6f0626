"""Perturbed-source models (rlth.models.sources), per-source data (rlth.data.sources) and the
heterogeneous instances.

Statistical tests state their tolerance: z-scores of 5.5 (two-sided false-failure probability
< 4e-8 per assertion under the CLT; every test makes fewer than 30 such assertions, so < 1e-6).
"""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rlth.data.offline import sample_trajectory_dataset
from rlth.data.sources import (SourceData, exact_source_data, sample_source_trajectories,
                               source_occupancy, stack_source_datasets)
from rlth.instances.heterogeneous import (partial_coverage, perturbed_garnet,
                                          perturbed_markov_game, perturbed_pennies_game,
                                          two_arm_sources)
from rlth.solvers.games import solve_markov_game
from rlth.models import FiniteHorizonMDP, MarkovGame
from rlth.models.sources import PerturbedSourceLaw
from rlth.solvers.occupancy import occupancy


def _law(alpha=5.0, u=0.1, rng=0, **kw):
    return perturbed_garnet(3, 2, 2, alpha=alpha, reward_noise=u, rng=rng, **kw)


# --------------------------------------------------------------------------- mean preservation
@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10**6), alpha=st.floats(0.1, 100.0), u=st.floats(0.0, 0.3))
def test_perturbation_is_mean_preserving_exactly(seed, alpha, u):
    law = _law(alpha, u, seed)
    P = law.target.P
    conc = law.dirichlet_parameters()
    np.testing.assert_allclose(conc / conc.sum(-1, keepdims=True), P, rtol=0, atol=1e-15)
    vals, probs = law.reward_support()
    np.testing.assert_allclose((vals * probs).sum(-1), law.target.R, rtol=0, atol=1e-15)
    assert np.all(vals >= 0.0) and np.all(vals <= 1.0)
    np.testing.assert_allclose(law.transition_variance(), P * (1 - P) / (alpha + 1), atol=1e-15)


def test_bernoulli_reward_support_is_mean_preserving_on_a_game():
    g = perturbed_markov_game(2, 2, 2, 2, reward_noise=0.1, rng=3)
    law = PerturbedSourceLaw(g.target, alpha=3.0, reward_kind="bernoulli")
    vals, probs = law.reward_support()
    np.testing.assert_allclose((vals * probs).sum(-1), g.target.R, atol=1e-15)
    assert set(np.unique(vals)) <= {0.0, 1.0}


def test_draws_have_the_target_as_mean_and_the_dirichlet_variance():
    law = _law(alpha=4.0, u=0.2, rng=1)
    n = 20000
    src = law.draw(n, rng=2)
    P, R = law.target.P, law.target.R
    var = law.transition_variance()
    se = np.sqrt(var / n) + 1e-300
    assert np.max(np.abs(src.P.mean(0) - P) / se) < 5.5
    # rewards: r +- u, so the mean has sd u / sqrt(n)
    assert np.max(np.abs(src.R.mean(0) - R) / (0.2 / math.sqrt(n))) < 5.5
    # variance of the Dirichlet draws: the sample variance's sd is about sqrt(m4 - var^2) / sqrt n
    emp = src.P.var(0)
    m4 = ((src.P - P) ** 4).mean(0)
    sd = np.sqrt(np.maximum(m4 - var ** 2, 1e-30) / n)
    assert np.max(np.abs(emp - var) / sd) < 5.5
    assert np.all(np.isin(np.round((src.R - R) / 0.2, 12), [-1.0, 1.0]))


def test_alpha_inf_and_no_reward_noise_give_the_target():
    law = _law(alpha=math.inf, u=0.0)
    src = law.draw(3, rng=0)
    np.testing.assert_array_equal(src.P, np.broadcast_to(law.target.P, src.P.shape))
    np.testing.assert_array_equal(src.R, np.broadcast_to(law.target.R, src.R.shape))


def test_source_and_average_are_models_of_the_target_type():
    law = _law()
    src = law.draw(5, rng=0)
    m = src.source(2)
    assert isinstance(m, FiniteHorizonMDP)
    np.testing.assert_array_equal(m.P, src.P[2])
    avg = src.average()
    np.testing.assert_allclose(avg.P, src.P.mean(0), atol=1e-15)
    gl = perturbed_markov_game(2, 2, 3, 2, rng=0)
    gs = gl.draw(4, rng=1)
    assert gs.P.shape == (4, 2, 2, 2, 3, 2) and isinstance(gs.source(0), MarkovGame)
    assert isinstance(gs.average(), MarkovGame)


def test_zero_support_stays_zero():
    P = np.array([[[[1.0, 0.0], [0.5, 0.5]], [[0.0, 1.0], [0.2, 0.8]]]])
    t = FiniteHorizonMDP(P, np.full((1, 2, 2), 0.5))
    src = PerturbedSourceLaw(t, alpha=0.5).draw(200, rng=0)
    assert np.all(src.P[:, 0, 0, 0, 1] == 0) and np.all(src.P[:, 0, 1, 0, 0] == 0)
    np.testing.assert_allclose(src.P.sum(-1), 1.0, atol=1e-12)


# --------------------------------------------------------------------------- bad input
def test_law_rejects_bad_parameters():
    t = _law().target
    for alpha in (0.0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="alpha"):
            PerturbedSourceLaw(t, alpha=alpha)
    with pytest.raises(ValueError, match="reward_noise"):
        PerturbedSourceLaw(t, alpha=1.0, reward_noise=-0.1)
    with pytest.raises(ValueError, match="reward_noise"):      # r + u leaves [0, 1]
        PerturbedSourceLaw(t, alpha=1.0, reward_noise=0.5)
    with pytest.raises(ValueError, match="reward_kind"):
        PerturbedSourceLaw(t, alpha=1.0, reward_kind="gauss")
    with pytest.raises(ValueError, match="target"):
        PerturbedSourceLaw(np.zeros((2, 2)), alpha=1.0)
    law = _law()
    for L in (0, -3, 1.5):
        with pytest.raises(ValueError, match="n_sources"):
            law.draw(L, rng=0)
    with pytest.raises(ValueError, match="l"):
        law.draw(2, rng=0).source(5)


def test_instance_builders_reject_bad_input():
    with pytest.raises(ValueError, match="reward_noise"):
        perturbed_garnet(3, 2, 2, reward_noise=0.6)
    with pytest.raises(ValueError, match="gap"):
        two_arm_sources(0.0)
    with pytest.raises(ValueError, match="member"):
        two_arm_sources(0.1, member=2)
    with pytest.raises(ValueError, match="coverage"):
        partial_coverage(3, 2, 2, 2, coverage=1.5)
    with pytest.raises(ValueError, match="amplitude"):
        perturbed_pennies_game(2, 2, amplitude=0.45, reward_noise=0.1)
    with pytest.raises(ValueError, match="n_sources"):
        partial_coverage(0, 2, 2, 2)


# --------------------------------------------------------------------------- behaviour/coverage
@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10**6), L=st.integers(1, 6), A=st.integers(1, 4),
       cov=st.floats(0.01, 1.0))
def test_partial_coverage_is_individual_subset_uniform(seed, L, A, cov):
    b = partial_coverage(L, 3, A, 2, coverage=cov, rng=seed)
    k = max(1, int(round(cov * A)))
    assert b.shape == (L, 2, 3, A)
    np.testing.assert_allclose(b.sum(-1), 1.0)
    assert np.all((b > 0).sum(-1) == k)
    np.testing.assert_array_equal(b[:, 0], b[:, 1])            # same at every step


def test_exact_mode_covers_exactly_the_behaviour_support():
    law = _law(alpha=2.0)
    src = law.draw(4, rng=1)
    beh = partial_coverage(4, 3, 2, 2, rng=2)
    d = exact_source_data(src, beh)
    occ = source_occupancy(src, beh)
    for l in range(4):
        np.testing.assert_allclose(occ[l], occupancy(src.source(l), beh[l]), atol=1e-14)
    np.testing.assert_array_equal(d.covered, occ > 0)
    assert np.all(np.isinf(d.counts[d.covered])) and np.all(d.counts[~d.covered] == 0)
    np.testing.assert_array_equal(d.P_hat[d.covered], src.P[d.covered])
    np.testing.assert_array_equal(d.r_hat[d.covered], src.R[d.covered])
    assert d.mode == "exact" and d.n_episodes is None


def test_behaviour_of_the_wrong_shape_or_not_a_distribution():
    law = _law()
    src = law.draw(3, rng=0)
    with pytest.raises(ValueError, match="behavior"):
        exact_source_data(src, np.full((2, 2, 3, 2), 0.5))          # L = 2 for 3 sources
    with pytest.raises(ValueError, match="behavior"):
        exact_source_data(src, np.full((3, 2, 3, 2), 0.4))
    with pytest.raises(ValueError, match="sources"):
        exact_source_data("not sources", np.full((3, 2, 3, 2), 0.5))


# --------------------------------------------------------------------------- trajectory mode
def test_trajectory_mode_calls_the_single_source_sampler_per_source():
    law = _law(alpha=3.0)
    src = law.draw(3, rng=1)
    beh = partial_coverage(3, 3, 2, 2, rng=2)
    K = 10**12                                                  # cost independent of K
    d = sample_source_trajectories(src, beh, K, rng=np.random.default_rng(5))
    g = np.random.default_rng(5)
    for l in range(3):
        ref = sample_trajectory_dataset(src.source(l), beh[l], K, rng=g)
        np.testing.assert_array_equal(d.counts[l], ref.counts)
        vis = ref.counts > 0
        n1 = np.maximum(ref.counts, 1)
        np.testing.assert_allclose(d.r_hat[l][vis], (ref.reward_sums / n1)[vis])
        np.testing.assert_allclose(d.P_hat[l][vis], (ref.next_counts / n1[..., None])[vis])
    np.testing.assert_array_equal(d.counts.sum(axis=(2, 3)), K)
    assert d.mode == "trajectories" and d.n_episodes == K
    # never-played actions are never counted
    assert np.all(d.counts[np.broadcast_to(beh == 0, d.counts.shape)] == 0)
    with pytest.raises(ValueError, match="n_episodes"):
        sample_source_trajectories(src, beh, -1, rng=0)


def test_stack_rejects_sources_of_different_shapes_and_no_source():
    m1 = _law().target
    m2 = perturbed_garnet(4, 2, 2, rng=0).target
    d1 = sample_trajectory_dataset(m1, np.full((3, 2), 0.5), 5, rng=0)
    d2 = sample_trajectory_dataset(m2, np.full((4, 2), 0.5), 5, rng=0)
    with pytest.raises(ValueError, match="datasets: source 1 has shape"):
        stack_source_datasets([d1, d2], m1.rho)
    with pytest.raises(ValueError, match="datasets"):
        stack_source_datasets([], m1.rho)
    with pytest.raises(ValueError, match="rho"):
        stack_source_datasets([d1], [1.0, 0.0])
    s = stack_source_datasets([d1, d1], m1.rho)
    assert isinstance(s, SourceData) and s.n_sources == 2


def test_pennies_game_has_fully_mixed_stage_equilibria():
    law = perturbed_pennies_game(3, 3, rng=4)
    sol = solve_markov_game(law.target)
    assert np.all(sol.pi_max > 0.05) and np.all(sol.pi_min > 0.05)
    assert np.all(law.target.R >= 0.1) and np.all(law.target.R <= 0.9)


def test_source_data_validates_its_shapes():
    rho = np.full(2, 0.5)
    c = np.ones((2, 1, 2, 2))
    P = np.full((2, 1, 2, 2, 2), 0.5)
    r = np.zeros((2, 1, 2, 2))
    SourceData(c, P, r, "exact", None, rho)
    with pytest.raises(ValueError, match="counts"):
        SourceData(np.ones((0, 1, 2, 2)), P[:0], r[:0], "exact", None, rho)      # L = 0
    with pytest.raises(ValueError, match="counts"):
        SourceData(-c, P, r, "exact", None, rho)
    with pytest.raises(ValueError, match="P_hat"):
        SourceData(c, P[..., :1], r, "exact", None, rho)
    with pytest.raises(ValueError, match="r_hat"):
        SourceData(c, P, r[:1], "exact", None, rho)
    with pytest.raises(ValueError, match="mode"):
        SourceData(c, P, r, "other", None, rho)
