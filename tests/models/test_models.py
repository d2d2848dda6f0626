"""Every constructor error path of rlth.models, plus instance sanity.

One test item per error path: each builds an otherwise valid input, breaks exactly one thing and
asserts the ``ValueError`` message *starts with the name of the broken argument*.
"""
import numpy as np
import pytest

from rlth.models import (ContextualBandit, DiscountedMDP, FiniteHorizonMDP, LinearMDP, MarkovGame,
                         MatrixGame, MultiArmedBandit, as_stochastic_policy)
from rlth.solvers.dp import (backward_induction, evaluate_policy, policy_iteration,
                             value_iteration)
from rlth.instances import (chain, gridworld, puterman_two_state, random_linear_mdp,
                                   random_markov_game, random_matrix_game, random_mdp,
                                   random_transitions, riverswim, rock_paper_scissors)

S, A, H = 3, 2, 4


def _P(lead=()):
    """Valid transition rows (not uniform, so a broken row is the only problem)."""
    base = np.array([[0.5, 0.3, 0.2], [0.1, 0.1, 0.8]])
    P = np.broadcast_to(base[None], (S, A, S)).copy()
    return np.ascontiguousarray(np.broadcast_to(P, lead + P.shape))


def _R(lead=()):
    return np.full(lead + (S, A), 0.5)


def _with(arr, index, value):
    out = np.array(arr, dtype=np.float64)
    out[index] = value
    return out


def _off_by(P, eps):
    """Row 0 of ``P`` summing to 1 + eps (entries stay non-negative)."""
    out = np.array(P, dtype=np.float64)
    out[(0,) * (out.ndim - 1) + (0,)] += eps
    return out


# ============================================================================ FiniteHorizonMDP

FH_ERRORS = {
    "P_not_numeric": (dict(P="abc"), r"^P: cannot be converted"),
    "P_ragged": (dict(P=[[[1.0], [0.5, 0.5]]]), r"^P: cannot be converted"),
    "P_2d": (dict(P=np.ones((3, 3)) / 3), r"^P: expected 3 or 4 dimensions"),
    "P_5d": (dict(P=_P()[None, None]), r"^P: expected 3 or 4 dimensions"),
    "P_last_axis": (dict(P=np.full((S, A, S + 1), 1 / (S + 1))), r"^P: last axis"),
    "P_nan": (dict(P=_with(_P(), (0, 0, 0), np.nan)), r"^P: contains NaN or infinite"),
    "P_inf": (dict(P=_with(_P(), (1, 1, 2), np.inf)), r"^P: contains NaN or infinite"),
    "P_negative": (dict(P=_with(_with(_P(), (0, 0, 0), -0.1), (0, 0, 1), 0.9)),
                   r"^P: has negative probability"),
    "P_row_sum_1e-9": (dict(P=_off_by(_P(), 1e-9)), r"^P: probabilities along axis -1 must sum"),
    "P_row_sum_stage": (dict(P=_off_by(_P((H,)), 1e-3)), r"^P: probabilities"),
    "P_empty_actions": (dict(P=np.zeros((S, 0, S)), R=np.zeros((S, 0)), horizon=1),
                        r"^P: is empty"),
    "R_1d": (dict(R=np.zeros(S)), r"^R: expected 2 or 3 dimensions"),
    "R_trailing_shape": (dict(R=np.zeros((S, A + 1))), r"^R: trailing shape"),
    "R_nan": (dict(R=_with(_R(), (0, 0), np.nan)), r"^R: contains NaN"),
    "R_inf": (dict(R=_with(_R(), (0, 0), -np.inf)), r"^R: contains NaN"),
    "R_above_range": (dict(R=_with(_R(), (2, 1), 1.5)), r"^R: entries must lie in \[0.0, 1.0\]"),
    "R_below_range": (dict(R=_with(_R(), (2, 1), -1e-3)), r"^R: entries must lie in"),
    "R_outside_declared_range": (dict(R=_R(), reward_range=(-1.0, 0.0)), r"^R: entries must lie"),
    "horizon_missing": (dict(horizon=None), r"^horizon: required when P and R are both stationary"),
    "horizon_zero": (dict(horizon=0), r"^horizon: must be >= 1"),
    "horizon_negative": (dict(horizon=-2), r"^horizon: must be >= 1"),
    "horizon_float": (dict(horizon=3.0), r"^horizon: expected an integer"),
    "horizon_bool": (dict(horizon=True), r"^horizon: expected an integer"),
    "horizon_disagrees_with_P": (dict(P=_P((H,)), horizon=H + 1), r"^horizon: stage-dependent"),
    "horizon_P_vs_R": (dict(P=_P((H,)), R=_R((H + 1,)), horizon=None), r"^horizon: stage-dep"),
    "horizon_zero_stages": (dict(P=_P((0,)), R=_R((0,)), horizon=None), r"^horizon: must be >= 1"),
    "rho_shape": (dict(rho=np.ones(S + 1) / (S + 1)), r"^rho: expected shape"),
    "rho_not_summing": (dict(rho=np.full(S, 0.3)), r"^rho: probabilities"),
    "rho_negative": (dict(rho=np.array([1.5, -0.5, 0.0])), r"^rho: has negative"),
    "rho_nan": (dict(rho=np.array([np.nan, 0.5, 0.5])), r"^rho: contains NaN"),
    "reward_range_not_pair": (dict(reward_range=1.0), r"^reward_range: expected a pair"),
    "reward_range_triple": (dict(reward_range=(0, 1, 2)), r"^reward_range: expected a pair"),
    "reward_range_reversed": (dict(reward_range=(1.0, 0.0)), r"^reward_range: need finite"),
    "reward_range_inf": (dict(reward_range=(0.0, np.inf)), r"^reward_range: need finite"),
}


@pytest.mark.parametrize("kwargs,match", FH_ERRORS.values(), ids=FH_ERRORS.keys())
def test_finite_horizon_mdp_errors(kwargs, match):
    args = dict(P=_P(), R=_R(), rho=None, horizon=H) | kwargs
    with pytest.raises(ValueError, match=match):
        FiniteHorizonMDP(**args)


@pytest.mark.parametrize("lead", [(), (H,)])
def test_row_sum_tolerance_is_1e_10(lead):
    kw = dict(R=_R(), horizon=H)
    FiniteHorizonMDP(_off_by(_P(lead), 1e-12), **kw)                  # within tolerance
    FiniteHorizonMDP(_off_by(_P(lead), -1e-12), **kw)
    with pytest.raises(ValueError, match=r"^P: probabilities .* \(tol 1e-10\)"):
        FiniteHorizonMDP(_off_by(_P(lead), 1e-9), **kw)
    with pytest.raises(ValueError, match=r"^P: probabilities"):
        FiniteHorizonMDP(_off_by(_P(lead), -1e-9), **kw)
    with pytest.raises(ValueError, match=r"^rho: probabilities"):
        FiniteHorizonMDP(_P(lead), rho=np.array([0.5, 0.25, 0.25 + 1e-9]), **kw)
    FiniteHorizonMDP(_P(lead), rho=np.array([0.5, 0.25, 0.25 + 1e-12]), **kw)


def test_finite_horizon_valid_forms():
    stat = FiniteHorizonMDP(_P(), _R(), horizon=H)
    stage = FiniteHorizonMDP(_P((H,)), _R((H,)))
    mixed = FiniteHorizonMDP(_P(), _R((H,)))          # stationary P, stage-dependent R
    assert stat.is_stationary and not stage.is_stationary and not mixed.is_stationary
    # each array keeps its own length: the stationary P of the mixed model is stored once
    assert mixed.P_stages.shape == (1, S, A, S) and mixed.R_stages.shape == (H, S, A)
    mixed_p = FiniteHorizonMDP(_P((H,)), _R())
    assert mixed_p.P_stages.shape == (H, S, A, S) and mixed_p.R_stages.shape == (1, S, A)
    np.testing.assert_array_equal(mixed.with_rho(np.eye(S)[0]).R, mixed.R)
    for m in (stat, stage, mixed):
        assert m.P.shape == (H, S, A, S) and m.R.shape == (H, S, A) and m.horizon == H
        np.testing.assert_array_equal(m.rho, np.full(S, 1 / S))
    np.testing.assert_array_equal(stat.P, stage.P)
    assert FiniteHorizonMDP(_P(), _R(), horizon=np.int64(2)).horizon == 2
    assert FiniteHorizonMDP(_P(), -_R(), horizon=2, reward_range=(-1, 0)).reward_range == (-1.0, 0.0)


def test_stationary_views_are_readonly_and_memory_free():
    big_h = 10_000
    m = FiniteHorizonMDP(_P(), _R(), horizon=big_h)
    assert m.P_stages.shape == (1, S, A, S) and m.R_stages.shape == (1, S, A)
    assert m.P.shape == (big_h, S, A, S)
    assert m.P.strides[0] == 0 and m.R.strides[0] == 0            # zero-stride broadcast
    assert np.shares_memory(m.P, m.P_stages) and np.shares_memory(m.R, m.R_stages)
    assert m.P_stages.nbytes == S * A * S * 8
    for arr in (m.P, m.R, m.P_stages, m.R_stages, m.rho):
        assert not arr.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        m.P[0, 0, 0, 0] = 1.0
    with pytest.raises(ValueError, match="read-only"):
        m.P_stages[0, 0, 0, 0] = 1.0
    with pytest.raises(ValueError, match="read-only"):
        m.rho[0] = 1.0


@pytest.mark.parametrize("build,inputs,view", [
    (lambda P, R: FiniteHorizonMDP(P, R, horizon=H), lambda: (_P(), _R()), lambda m: m.P),
    (lambda P, R: FiniteHorizonMDP(P, R), lambda: (_P((H,)), _R((H,))), lambda m: m.P),
    (lambda P, R: DiscountedMDP(P, R, 0.9), lambda: (_P(), _R()), lambda m: m.P),
    (lambda P, R: MarkovGame(P, R, horizon=H), lambda: (_gP(), _gR()), lambda m: m.P),
    (lambda P, R: MarkovGame(P, R), lambda: (_gP((H,)), _gR((H,))), lambda m: m.P),
    (lambda P, R: MatrixGame(R[0]), lambda: (None, np.zeros((2, 2, 2))), lambda m: m.A),
], ids=["fh_stationary", "fh_stage", "discounted", "markov_stationary", "markov_stage",
        "matrix"])
def test_model_cannot_be_mutated_through_the_callers_array(build, inputs, view):
    # A validated model must not change when the caller later writes to the array it passed.
    # The constructors copy (even float64 C-contiguous input), so the caller's array stays
    # writable: the write must succeed and the model must be unchanged.
    # (_P() is a read-only broadcast view, so take writable float64 C-contiguous copies)
    P, R = (None if a is None else np.array(a, dtype=np.float64, order="C") for a in inputs())
    m = build(P, R)
    before = view(m).copy()
    for arr in (P, R):
        if arr is not None:
            assert arr.flags.writeable          # the constructor did not freeze the caller's array
            arr[(0,) * arr.ndim] = 0.123
            assert arr[(0,) * arr.ndim] == 0.123
    np.testing.assert_array_equal(view(m), before)


def test_with_rho():
    m = FiniteHorizonMDP(_P(), _R(), horizon=H)
    m2 = m.with_rho([0.0, 1.0, 0.0])
    assert m2.rho.tolist() == [0.0, 1.0, 0.0] and m2.is_stationary
    with pytest.raises(ValueError, match=r"^rho: probabilities"):
        m.with_rho([0.5, 0.5, 0.5])


# ============================================================================ DiscountedMDP

DISC_ERRORS = {
    "P_not_numeric": (dict(P=[["a"]]), r"^P: cannot be converted"),
    "P_4d": (dict(P=_P((1,))), r"^P: expected 3 dimensions"),
    "P_shape": (dict(P=np.full((S, A, S + 1), 1 / (S + 1))), r"^P: expected shape \(S, A, S\)"),
    "P_nan": (dict(P=_with(_P(), (0, 1, 0), np.nan)), r"^P: contains NaN"),
    "P_negative": (dict(P=_with(_with(_P(), (0, 0, 0), -0.5), (0, 0, 1), 1.3)),
                   r"^P: has negative probability"),
    "P_row_sum": (dict(P=_off_by(_P(), 1e-9)), r"^P: probabilities"),
    "R_shape": (dict(R=np.zeros((S, A, 1))), r"^R: expected shape"),
    "R_transposed": (dict(R=np.zeros((A, S))), r"^R: expected shape"),
    "R_nan": (dict(R=_with(_R(), (1, 1), np.nan)), r"^R: contains NaN"),
    "R_range": (dict(R=_with(_R(), (1, 1), 2.0)), r"^R: entries must lie in"),
    "gamma_one": (dict(gamma=1.0), r"^gamma: must lie in \[0, 1\)"),
    "gamma_negative": (dict(gamma=-0.1), r"^gamma: must lie in \[0, 1\)"),
    "gamma_above_one": (dict(gamma=1.5), r"^gamma: must lie"),
    "gamma_nan": (dict(gamma=float("nan")), r"^gamma: must be finite"),
    "gamma_inf": (dict(gamma=float("inf")), r"^gamma: must be finite"),
    "gamma_string": (dict(gamma="0.9"), r"^gamma: expected a real number"),
    "gamma_bool": (dict(gamma=False), r"^gamma: expected a real number"),
    "gamma_array": (dict(gamma=np.array([0.9])), r"^gamma: expected a real number"),
    "rho_shape": (dict(rho=np.ones(2) / 2), r"^rho: expected shape"),
    "rho_not_summing": (dict(rho=np.ones(S)), r"^rho: probabilities"),
    "reward_range_reversed": (dict(reward_range=(2.0, 1.0)), r"^reward_range: need finite"),
}


@pytest.mark.parametrize("kwargs,match", DISC_ERRORS.values(), ids=DISC_ERRORS.keys())
def test_discounted_mdp_errors(kwargs, match):
    args = dict(P=_P(), R=_R(), gamma=0.9) | kwargs
    with pytest.raises(ValueError, match=match):
        DiscountedMDP(**args)


def test_discounted_valid_and_truncation():
    m = DiscountedMDP(_P(), _R(), gamma=0.0)
    assert m.gamma == 0.0 and m.n_states == S and m.n_actions == A
    assert DiscountedMDP(_P(), _R(), gamma=np.float64(0.99)).gamma == 0.99
    DiscountedMDP(_off_by(_P(), 1e-12), _R(), gamma=0.5)
    fh = m.to_finite_horizon(5)
    assert fh.horizon == 5 and fh.is_stationary
    np.testing.assert_array_equal(fh.P[3], m.P)
    for arr in (m.P, m.R, m.rho):
        assert not arr.flags.writeable


# ============================================================================ bandits

MAB_ERRORS = {
    "means_2d": (dict(means=[[0.5]]), r"^means: expected 1 dimensions"),
    "means_empty": (dict(means=[]), r"^means: needs at least one arm"),
    "means_nan": (dict(means=[0.5, np.nan]), r"^means: contains NaN"),
    "means_not_numeric": (dict(means=["x"]), r"^means: cannot be converted"),
    "means_bernoulli_above_1": (dict(means=[0.5, 1.2]), r"^means: entries must lie in"),
    "means_bernoulli_negative": (dict(means=[-0.1, 0.5]), r"^means: entries must lie in"),
    "reward_kind": (dict(reward="poisson"), r"^reward: must be one of"),
    "sigma_zero": (dict(reward="gaussian", sigma=0.0), r"^sigma: must be > 0"),
    "sigma_negative": (dict(sigma=-1.0), r"^sigma: must be > 0"),
    "sigma_nan": (dict(sigma=float("nan")), r"^sigma: must be finite"),
    "sigma_string": (dict(sigma="1"), r"^sigma: expected a real number"),
}


@pytest.mark.parametrize("kwargs,match", MAB_ERRORS.values(), ids=MAB_ERRORS.keys())
def test_multi_armed_bandit_errors(kwargs, match):
    args = dict(means=[0.2, 0.7]) | kwargs
    with pytest.raises(ValueError, match=match):
        MultiArmedBandit(**args)


def test_multi_armed_bandit_valid():
    b = MultiArmedBandit([0.2, 0.7, 0.7])
    assert b.best_arm == 1 and b.optimal_value == 0.7 and b.n_arms == 3
    np.testing.assert_allclose(b.gaps(), [0.5, 0.0, 0.0])
    assert b.value([0.5, 0.5, 0.0]) == pytest.approx(0.45)
    assert MultiArmedBandit([-3.0, 5.0], reward="gaussian").best_arm == 1  # any range if gaussian
    with pytest.raises(ValueError, match=r"^policy: probabilities"):
        b.value([0.5, 0.5, 0.5])
    with pytest.raises(ValueError, match=r"^policy: expected shape"):
        b.value([0.5, 0.5])


@pytest.mark.parametrize("arm", [-1, 3, 1.5, True])
def test_multi_armed_bandit_value_rejects_bad_arm_index(arm):
    with pytest.raises(ValueError, match=r"^policy:"):
        MultiArmedBandit([0.2, 0.7, 0.1]).value(arm)


CB_ERRORS = {
    "context_probs_2d": (dict(context_probs=[[0.5, 0.5]]), r"^context_probs: expected 1 dim"),
    "context_probs_not_summing": (dict(context_probs=[0.5, 0.6]), r"^context_probs: probabil"),
    "context_probs_negative": (dict(context_probs=[1.2, -0.2]), r"^context_probs: has negative"),
    "context_probs_empty": (dict(context_probs=[], means=np.zeros((0, 2))),
                            r"^context_probs: is empty"),
    "context_probs_nan": (dict(context_probs=[np.nan, 1.0]), r"^context_probs: contains NaN"),
    "means_rows_mismatch": (dict(means=np.full((3, 2), 0.5)), r"^means: expected shape"),
    "means_1d": (dict(means=[0.5, 0.5]), r"^means: expected shape"),
    "means_no_actions": (dict(means=np.zeros((2, 0))), r"^means: needs at least one action"),
    "means_nan": (dict(means=[[0.5, np.nan], [0.1, 0.2]]), r"^means: contains NaN"),
    "means_bernoulli_range": (dict(means=[[0.5, 1.5], [0.1, 0.2]]), r"^means: entries must lie"),
    "reward_kind": (dict(reward="exp"), r"^reward: must be one of"),
    "sigma_zero": (dict(sigma=0), r"^sigma: must be > 0"),
}


@pytest.mark.parametrize("kwargs,match", CB_ERRORS.values(), ids=CB_ERRORS.keys())
def test_contextual_bandit_errors(kwargs, match):
    args = dict(context_probs=[0.25, 0.75], means=[[0.1, 0.9], [0.6, 0.3]]) | kwargs
    with pytest.raises(ValueError, match=match):
        ContextualBandit(**args)


def test_contextual_bandit_valid_and_mdp_view():
    cb = ContextualBandit([0.25, 0.75], [[0.1, 0.9], [0.6, 0.3]])
    assert cb.optimal_policy.tolist() == [1, 0]
    assert cb.optimal_value == pytest.approx(0.25 * 0.9 + 0.75 * 0.6)
    assert cb.value(np.array([1, 0])) == pytest.approx(cb.optimal_value)
    with pytest.raises(ValueError, match=r"^policy: action indices"):
        cb.value(np.array([2, 0]))
    mdp = cb.to_mdp()
    assert mdp.horizon == 1
    np.testing.assert_array_equal(mdp.R[0], cb.means)
    np.testing.assert_array_equal(mdp.rho, cb.context_probs)
    assert ContextualBandit([1.0], [[-2.0, 3.0]], reward="gaussian").to_mdp().reward_range == \
        (-2.0, 3.0)


# ============================================================================ LinearMDP

d = 2


def _lin():
    """A valid stationary linear MDP: phi rows on the simplex, mu columns distributions."""
    phi = np.zeros((S, A, d))
    phi[..., 0] = [[1.0, 0.5], [0.0, 0.25], [0.75, 1.0]]
    phi[..., 1] = 1.0 - phi[..., 0]
    mu = np.array([[0.2, 0.5], [0.3, 0.5], [0.5, 0.0]])   # [S, d]: column i is a distribution
    theta = np.array([0.1, 0.9])
    return phi, mu, theta


LIN_ERRORS = {
    "phi_2d": (dict(phi=np.ones((S, d))), r"^phi: expected 3 or 4 dimensions"),
    "phi_nan": (dict(phi=_with(_lin()[0], (0, 0, 0), np.nan)), r"^phi: contains NaN"),
    "mu_1d": (dict(mu=np.ones(S)), r"^mu: expected 2 or 3 dimensions"),
    "mu_trailing": (dict(mu=np.ones((S + 1, d)) / (S + 1)), r"^mu: trailing shape"),
    "mu_inf": (dict(mu=_with(_lin()[1], (0, 0), np.inf)), r"^mu: contains NaN"),
    "theta_3d": (dict(theta=np.ones((1, 1, d))), r"^theta: expected 1 or 2 dimensions"),
    "theta_dim": (dict(theta=np.ones(d + 1) / 2), r"^theta: last axis must be d"),
    "horizon_missing": (dict(horizon=None),
                        r"^horizon: required when phi, mu and theta are all stationary"),
    "horizon_disagrees": (dict(mu=np.stack([_lin()[1]] * 3), horizon=H),
                          r"^horizon: stage-dependent phi/mu/theta and horizon disagree"),
    "horizon_zero": (dict(horizon=0), r"^horizon: must be >= 1"),
    "horizon_float": (dict(horizon=2.5), r"^horizon: expected an integer"),
    "phi_mu_negative": (dict(mu=np.array([[0.6, 0.5], [0.6, 0.5], [-0.2, 0.0]])),
                        r"^phi/mu: induced transition probabilities must be non-negative"),
    "phi_mu_rows": (dict(mu=np.array([[0.2, 0.5], [0.3, 0.5], [0.4, 0.0]])),
                    r"^phi/mu: induced P: probabilities"),
    "phi_mu_rows_1e-9": (dict(mu=_lin()[1] + np.array([[1e-9, 1e-9], [0, 0], [0, 0]])),
                         r"^phi/mu: induced P: probabilities"),
    "phi_theta_range": (dict(theta=np.array([0.1, 1.5])), r"^phi/theta: induced R: entries"),
    "phi_theta_declared_range": (dict(reward_range=(0.5, 1.0)), r"^phi/theta: induced R"),
    "phi_no_states": (dict(phi=np.zeros((0, A, d)), mu=np.zeros((0, d))), r"^phi/mu: induced"),
    "rho_bad": (dict(rho=[0.5, 0.5, 0.5]), r"^rho: probabilities"),
    "reward_range_bad": (dict(reward_range=(1.0, 0.0)), r"^reward_range: need finite"),
}


@pytest.mark.parametrize("kwargs,match", LIN_ERRORS.values(), ids=LIN_ERRORS.keys())
def test_linear_mdp_errors(kwargs, match):
    phi, mu, theta = _lin()
    args = dict(phi=phi, mu=mu, theta=theta, horizon=H) | kwargs
    with pytest.raises(ValueError, match=match):
        LinearMDP(**args)


def test_linear_mdp_valid_model_is_exact():
    phi, mu, theta = _lin()
    lin = LinearMDP(phi, mu, theta, horizon=H)
    assert lin.dim == d and lin.horizon == H and lin.n_states == S and lin.n_actions == A
    np.testing.assert_allclose(lin.mdp.P[2], np.einsum("sad,td->sat", phi, mu), atol=1e-15)
    np.testing.assert_allclose(lin.mdp.R[1], phi @ theta, atol=1e-15)
    assert lin.features(0) is lin.phi
    LinearMDP(phi, mu + np.array([[1e-12, 1e-12], [0, 0], [0, 0]]), theta, horizon=H)  # tolerated


@pytest.mark.parametrize("stationary", [True, False])
def test_linear_mdp_from_tabular_is_exact(stationary):
    mdp = random_mdp(4, 3, horizon=5, stationary=stationary, rng=11, rho="first")
    lin = LinearMDP.from_tabular(mdp)
    assert lin.dim == 4 * 3 and lin.horizon == 5
    np.testing.assert_array_equal(lin.mdp.P, mdp.P)      # one-hot features: exact, not approximate
    np.testing.assert_array_equal(lin.mdp.R, mdp.R)
    np.testing.assert_array_equal(lin.mdp.rho, mdp.rho)
    assert lin.mdp.reward_range == mdp.reward_range


def test_random_linear_mdp_is_valid_and_reproducible():
    a = random_linear_mdp(5, 3, 4, 6, rng=2)
    b = random_linear_mdp(5, 3, 4, 6, rng=2)
    c = random_linear_mdp(5, 3, 4, 6, rng=3)
    np.testing.assert_array_equal(a.phi, b.phi)
    np.testing.assert_array_equal(a.mdp.P, b.mdp.P)
    assert not np.array_equal(a.phi, c.phi)
    assert random_linear_mdp(5, 3, 4, 6, rng=2, stationary=True).mu.ndim == 2


# ============================================================================ MatrixGame, MarkovGame

MG_ERRORS = {
    "A_1d": (dict(A=[1.0, 2.0]), r"^A: expected 2 dimensions"),
    "A_3d": (dict(A=np.zeros((2, 2, 2))), r"^A: expected 2 dimensions"),
    "A_no_rows": (dict(A=np.zeros((0, 3))), r"^A: both players need at least one action"),
    "A_no_cols": (dict(A=np.zeros((3, 0))), r"^A: both players need at least one action"),
    "A_nan": (dict(A=[[0.0, np.nan]]), r"^A: contains NaN"),
    "A_inf": (dict(A=[[np.inf, 0.0]]), r"^A: contains NaN"),
    "A_not_numeric": (dict(A=[["r", "p"]]), r"^A: cannot be converted"),
}


@pytest.mark.parametrize("kwargs,match", MG_ERRORS.values(), ids=MG_ERRORS.keys())
def test_matrix_game_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MatrixGame(**kwargs)


@pytest.mark.parametrize("x,y,match", [
    ([0.5, 0.5], [1.0, 0.0, 0.0], r"^x: expected shape"),
    ([1 / 3] * 3, [1.0, 0.0], r"^y: expected shape"),
    ([0.5, 0.5, 0.5], [1.0, 0.0, 0.0], r"^x: probabilities"),
    ([1 / 3] * 3, [1.5, -0.5, 0.0], r"^y: has negative"),
    ([np.nan, 0.5, 0.5], [1.0, 0.0, 0.0], r"^x: contains NaN"),
])
def test_matrix_game_payoff_errors(x, y, match):
    with pytest.raises(ValueError, match=match):
        rock_paper_scissors().payoff(x, y)


def test_matrix_game_valid():
    g = MatrixGame([[1, 2], [3, 4]])
    assert g.A.dtype == np.float64 and not g.A.flags.writeable
    assert g.payoff([0.5, 0.5], [1.0, 0.0]) == 2.0
    assert rock_paper_scissors(2.0).A[0, 1] == -2.0


B = 2


def _gP(lead=()):
    return np.ascontiguousarray(np.broadcast_to(_P()[:, :, None, :], lead + (S, A, B, S)))


def _gR(lead=()):
    return np.zeros(lead + (S, A, B))


MKG_ERRORS = {
    "P_3d": (dict(P=_P()), r"^P: expected 4 or 5 dimensions"),
    "P_6d": (dict(P=_gP((1, 1))), r"^P: expected 4 or 5 dimensions"),
    "P_last_axis": (dict(P=np.full((S, A, B, S + 1), 1 / (S + 1))), r"^P: expected \(\.\.\., S, A"),
    "P_nan": (dict(P=_with(_gP(), (0, 0, 0, 0), np.nan)), r"^P: contains NaN"),
    "P_negative": (dict(P=_with(_with(_gP(), (0, 0, 1, 0), -0.5), (0, 0, 1, 1), 1.3)),
                   r"^P: has negative probability"),
    "P_row_sum_1e-9": (dict(P=_off_by(_gP(), 1e-9)), r"^P: probabilities"),
    "R_2d": (dict(R=np.zeros((S, A))), r"^R: expected 3 or 4 dimensions"),
    "R_trailing": (dict(R=np.zeros((S, A, B + 1))), r"^R: trailing shape"),
    "R_nan": (dict(R=_with(_gR(), (0, 0, 0), np.nan)), r"^R: contains NaN"),
    "R_range": (dict(R=_with(_gR(), (0, 0, 0), 1.5)), r"^R: entries must lie in \[-1.0, 1.0\]"),
    "R_declared_range": (dict(R=_with(_gR(), (0, 0, 0), -0.5), reward_range=(0, 1)),
                         r"^R: entries must lie in \[0.0, 1.0\]"),
    "horizon_missing": (dict(horizon=None), r"^horizon: required when P and R are both stationary"),
    "horizon_disagrees": (dict(P=_gP((H,)), horizon=H + 1), r"^horizon: stage-dependent P/R"),
    "horizon_P_vs_R": (dict(P=_gP((H,)), R=_gR((H - 1,)), horizon=None),
                       r"^horizon: stage-dependent P/R"),
    "horizon_zero": (dict(horizon=0), r"^horizon: must be >= 1"),
    "horizon_zero_stages": (dict(P=_gP((0,)), horizon=None), r"^horizon: must be >= 1"),
    "horizon_float": (dict(horizon=2.0), r"^horizon: expected an integer"),
    "rho_shape": (dict(rho=[1.0]), r"^rho: expected shape"),
    "rho_not_summing": (dict(rho=[0.2, 0.2, 0.2]), r"^rho: probabilities"),
    "reward_range_bad": (dict(reward_range=("a", "b")), r"^reward_range: expected a pair"),
}


@pytest.mark.parametrize("kwargs,match", MKG_ERRORS.values(), ids=MKG_ERRORS.keys())
def test_markov_game_errors(kwargs, match):
    args = dict(P=_gP(), R=_gR(), rho=None, horizon=H) | kwargs
    with pytest.raises(ValueError, match=match):
        MarkovGame(**args)


def test_markov_game_valid():
    g = MarkovGame(_gP(), _gR(), horizon=H)
    assert (g.horizon, g.n_states, g.n_actions_max, g.n_actions_min) == (H, S, A, B)
    assert g.P.shape == (H, S, A, B, S) and g.R.shape == (H, S, A, B)
    assert not g.P.flags.writeable and not g.R.flags.writeable
    MarkovGame(_off_by(_gP(), 1e-12), _gR(), horizon=H)
    g2 = MarkovGame(_gP((H,)), _gR())      # stage-dependent P fixes the horizon
    assert g2.horizon == H


# ============================================================================ policies

POLICY_ERRORS = {
    "bool": (dict(pi=np.ones((H, S), dtype=bool)), r"^pi: boolean arrays are not policies"),
    "int_shape": (dict(pi=np.zeros((H, S + 1), dtype=int)), r"^pi: deterministic policy must have"),
    "int_3d": (dict(pi=np.zeros((H, S, A), dtype=int)), r"^pi: deterministic policy must have"),
    "int_negative": (dict(pi=np.full((H, S), -1)), r"^pi: action indices must lie in \[0, 1\]"),
    "int_too_large": (dict(pi=np.full((H, S), A)), r"^pi: action indices must lie in"),
    "float_shape": (dict(pi=np.full((H, S, A + 1), 1 / (A + 1))),
                    r"^pi: stochastic policy must have shape"),
    "float_2d_int_like": (dict(pi=np.zeros((H, S))), r"^pi: stochastic policy must have shape"),
    "float_nan": (dict(pi=_with(np.full((H, S, A), 0.5), (0, 0, 0), np.nan)), r"^pi: contains NaN"),
    "float_negative": (dict(pi=_with(_with(np.full((H, S, A), 0.5), (1, 1, 0), -0.5), (1, 1, 1),
                                     1.5)), r"^pi: has negative probability"),
    "float_not_summing": (dict(pi=np.full((H, S, A), 0.6)), r"^pi: probabilities"),
    "float_off_1e-9": (dict(pi=_with(np.full((H, S, A), 0.5), (0, 0, 0), 0.5 + 1e-9)),
                       r"^pi: probabilities"),
    "stationary_given_no_horizon": (dict(pi=np.full((H, S, A), 0.5), horizon=None),
                                    r"^pi: stochastic policy must have shape"),
    "custom_name": (dict(pi=np.full((H, S, A), 0.6), name="behavior"), r"^behavior: probabil"),
    "not_numeric": (dict(pi=[["a", "b"]]), r"^pi: cannot be converted"),
    "none_entries": (dict(pi=[[None, 1.0]] * S), r"^pi: contains NaN"),
}


@pytest.mark.parametrize("kwargs,match", POLICY_ERRORS.values(), ids=POLICY_ERRORS.keys())
def test_as_stochastic_policy_errors(kwargs, match):
    args = dict(n_states=S, n_actions=A, horizon=H) | kwargs
    with pytest.raises(ValueError, match=match):
        as_stochastic_policy(**args)


def test_as_stochastic_policy_valid_forms():
    det = np.array([[0, 1, 1]] * H)
    out = as_stochastic_policy(det, S, A, horizon=H)
    assert out.shape == (H, S, A) and out.dtype == np.float64 and out.flags.c_contiguous
    np.testing.assert_array_equal(out[2], [[1, 0], [0, 1], [0, 1]])
    np.testing.assert_array_equal(as_stochastic_policy(det[0], S, A, horizon=H), out)  # broadcast
    np.testing.assert_array_equal(as_stochastic_policy(out[0], S, A, horizon=H), out)
    assert as_stochastic_policy(det[0], S, A).shape == (S, A)
    near = _with(np.full((H, S, A), 0.5), (0, 0, 0), 0.5 + 1e-12)   # within tolerance 1e-10
    as_stochastic_policy(near, S, A, horizon=H)
    assert as_stochastic_policy(np.array([0, 1, 1], dtype=np.uint8), S, A).shape == (S, A)


# ============================================================================ instances


def _assert_valid_rows(P):
    assert np.all(P >= 0)
    np.testing.assert_allclose(P.sum(-1), 1.0, atol=1e-14)


@pytest.mark.parametrize("n", [2, 3, 6, 20])
def test_riverswim(n):
    m = riverswim(n, horizon=10)
    _assert_valid_rows(m.P)
    assert m.rho.tolist() == [1.0] + [0.0] * (n - 1)
    # left is deterministic; reward only at the ends
    assert np.all(m.P_stages[0, np.arange(n), 0, np.maximum(np.arange(n) - 1, 0)] == 1.0)
    assert m.R_stages[0, 0, 0] == 0.005 and m.R_stages[0, n - 1, 1] == 1.0
    assert np.count_nonzero(m.R_stages) == 2
    assert riverswim(n, gamma=0.9).gamma == 0.9


def test_chain_and_slip():
    m = chain(5, gamma=0.9, slip=0.2)
    _assert_valid_rows(m.P)
    assert m.rho.tolist() == [1, 0, 0, 0, 0]
    assert m.P[2, 1, 3] == pytest.approx(0.8) and m.P[2, 1, 2] == pytest.approx(0.2)
    assert np.all(m.P[:, 0, 0] == 1.0)
    assert m.R[4, 1] == 1.0 and m.R.sum() == 1.0


def test_gridworld_pit_goal_walls():
    m = gridworld(3, 4, horizon=7, slip=0.1, pit=(1, 3), walls=[(1, 1)])
    _assert_valid_rows(m.P)
    pit, goal, start = 1 * 4 + 3, 2 * 4 + 3, 0
    assert m.rho[start] == 1.0 and m.rho.sum() == 1.0
    assert np.all(m.P_stages[0, pit, :, pit] == 1.0) and np.all(m.R_stages[0, pit] == 0.0)
    assert np.all(m.P_stages[0, goal, :, goal] == 1.0) and np.all(m.R_stages[0, goal] == 1.0)
    assert np.all(m.P_stages[0, :, :, 1 * 4 + 1][np.arange(12) != 5] == 0.0)  # never enter a wall
    # from the start corner "up" stays put w.p. 1 - slip + (slip/3 for "left", also off-grid)
    assert m.P_stages[0, start, 0, start] == pytest.approx(0.9 + 0.1 / 3)


def test_puterman_analytic():
    m = puterman_two_state(0.95)
    _assert_valid_rows(m.P)
    assert m.rho.tolist() == [1.0, 0.0]
    # V*(1) = -1 / (1 - gamma) = -20; in state 0 action 0 gives V = (5 + gamma/2 V(1)) /
    # (1 - gamma/2) = -4.5 / 0.525 = -60/7, action 1 gives 10 + gamma V(1) = -9 < -60/7
    V_star = np.array([-60 / 7, -20.0])
    for sol in (value_iteration(m, tol=1e-12), policy_iteration(m)):
        np.testing.assert_allclose(sol.V, V_star, atol=1e-9, rtol=0)
        assert sol.pi[0] == 0
        assert sol.value == pytest.approx(-60 / 7, abs=1e-9)
    assert evaluate_policy(m, np.array([1, 0])).V[0] == pytest.approx(-9.0, abs=1e-12)


# ---------------------------------------------------------------------------- pinned optima
# Values computed independently of rlth.solvers: closed forms, or exhaustive enumeration of all
# deterministic policies (exact rational arithmetic offline, see the literals; float
# enumeration in the test reproduces them).


def _enumerate_fh(mdp):
    """max over all deterministic Markov policies of V_0 (forward sums, numpy only) and the
    set of optimal step-0 actions at the start state."""
    H, S, A = mdp.horizon, mdp.n_states, mdp.n_actions
    idx = np.array(np.meshgrid(*[np.arange(A)] * (H * S), indexing="ij")).reshape(H * S, -1).T
    pis = np.eye(A)[idx.reshape(-1, H, S)]                         # [N, H, S, A]
    M = np.einsum("ihsa,hsat->ihst", pis, np.asarray(mdp.P))
    r = np.einsum("ihsa,hsa->ihs", pis, np.asarray(mdp.R))
    d = np.broadcast_to(np.asarray(mdp.rho), (len(pis), S)).copy()
    v = np.zeros(len(pis))
    for h in range(H):
        v += np.einsum("is,is->i", d, r[:, h])
        d = np.einsum("is,ist->it", d, M[:, h])
    best = v.max()
    start = int(np.argmax(mdp.rho))
    return best, set(idx[np.abs(v - best) <= 1e-12][:, start].tolist())


def _enumerate_discounted(mdp):
    """V* and the optimal stationary deterministic policies by solving (I - gamma P_pi) V = r_pi
    for every one of the A^S policies (numpy only)."""
    S, A = mdp.n_states, mdp.n_actions
    P, R = np.asarray(mdp.P), np.asarray(mdp.R)
    pols = np.array(np.meshgrid(*[np.arange(A)] * S, indexing="ij")).reshape(S, -1).T
    Vs = np.array([np.linalg.solve(np.eye(S) - mdp.gamma * P[np.arange(S), p],
                                   R[np.arange(S), p]) for p in pols])
    V = Vs.max(axis=0)
    opt = pols[np.all(Vs >= V - 1e-12, axis=1)]
    return V, opt


@pytest.mark.parametrize("n,H,value,first_action", [
    (2, 1, 1 / 200, 0),           # one step: only 'left' at state 0 pays
    (2, 3, 4413 / 5000, 1),
    (3, 4, 4949 / 12500, 1),
    (4, 3, 3 / 200, 0),           # the far end is out of reach: swim left 3 times
])
def test_riverswim_finite_horizon_pinned(n, H, value, first_action):
    m = riverswim(n, horizon=H)
    best, first = _enumerate_fh(m)
    assert best == pytest.approx(value, abs=1e-14)
    sol = backward_induction(m)
    assert sol.value == pytest.approx(value, abs=1e-14)
    assert first == {first_action}
    assert sol.pi[0, 0] == first_action


def test_riverswim_discounted_pinned():
    """gamma = 0.95, 6 states: 'right' everywhere is the unique optimal policy (64 enumerated),
    V*(0) = 237804547960 / 53243120961 (exact rational enumeration)."""
    m = riverswim(6, gamma=0.95)
    exact = np.array([237804547960, 269094620060, 314029986760, 367671879260, 430624011160,
                      504372663260]) / 53243120961
    V, opt = _enumerate_discounted(m)
    np.testing.assert_allclose(V, exact, atol=1e-12, rtol=0)
    assert opt.tolist() == [[1] * 6]
    for sol in (value_iteration(m, tol=1e-11), policy_iteration(m)):
        np.testing.assert_allclose(sol.V, exact, atol=1e-9, rtol=0)
        assert sol.pi.tolist() == [1] * 6
    m3 = riverswim(3, gamma=0.9)
    np.testing.assert_allclose(policy_iteration(m3).V, [2835 / 943, 315 / 82, 4885 / 943],
                               atol=1e-12, rtol=0)


@pytest.mark.parametrize("n,H,slip", [(5, 10, 0.0), (5, 3, 0.0), (4, 6, 0.25)])
def test_chain_finite_horizon_pinned(n, H, slip):
    """Always 'right' is optimal (the reset never helps); the reward is collected at every step
    from the first arrival at the last state, after tau ~ NegBin(n-1, 1-slip) steps:
    V*_0 = E[(H - tau)^+] (slip = 0: max(0, H - (n - 1)))."""
    m = chain(n, horizon=H, slip=slip)
    # distribution of the arrival time by a direct convolution of geometric waiting times
    arrive = np.zeros(H + 1)
    arrive[0] = 1.0                                     # P(tau = k), truncated at H
    for _ in range(n - 1):
        new = np.zeros(H + 1)
        for k in range(H + 1):
            for j in range(1, H + 1 - k):
                new[k + j] += arrive[k] * (1 - slip) * slip ** (j - 1)
        arrive = new
    value = sum(arrive[k] * (H - k) for k in range(H + 1))
    if slip == 0.0:
        assert value == max(0, H - (n - 1))
    sol = backward_induction(m)
    assert sol.value == pytest.approx(value, abs=1e-12)
    # wherever the reward is still reachable 'right' is strictly better than the reset
    assert np.all(sol.pi[sol.V[:-1] > 0] == 1)
    assert (sol.pi[0, 0] == 1) == (H > n - 1)


@pytest.mark.parametrize("n,gamma,slip", [(5, 0.9, 0.0), (6, 0.95, 0.3)])
def test_chain_discounted_pinned(n, gamma, slip):
    """V*(s) = q^(n-1-s) / (1 - gamma) with q = gamma (1 - slip) / (1 - gamma slip) (each 'right'
    step waits a geometric time), 'right' everywhere uniquely optimal."""
    m = chain(n, gamma=gamma, slip=slip)
    q = gamma * (1 - slip) / (1 - gamma * slip)
    V_star = q ** (n - 1 - np.arange(n)) / (1 - gamma)
    V, opt = _enumerate_discounted(m)
    np.testing.assert_allclose(V, V_star, atol=1e-12, rtol=0)
    assert opt.tolist() == [[1] * n]
    for sol in (value_iteration(m, tol=1e-11), policy_iteration(m)):
        np.testing.assert_allclose(sol.V, V_star, atol=1e-9, rtol=0)
        assert sol.pi.tolist() == [1] * n


def _bfs_distance(n_rows, n_cols, goal, walls=()):
    from collections import deque
    dist = {goal: 0}
    q = deque([goal])
    while q:
        r, c = q.popleft()
        for dr, dc in ((-1, 0), (0, 1), (1, 0), (0, -1)):
            nb = (r + dr, c + dc)
            if 0 <= nb[0] < n_rows and 0 <= nb[1] < n_cols and nb not in walls and nb not in dist:
                dist[nb] = dist[(r, c)] + 1
                q.append(nb)
    return dist


@pytest.mark.parametrize("kw", [dict(), dict(walls=[(1, 1), (0, 2)]),
                                dict(pit=(1, 3), walls=[(1, 1)])])
def test_gridworld_deterministic_pinned(kw):
    """slip = 0: the goal pays 1 per step from arrival, so V*_0(s) = max(0, H - d(s)) and
    V*(s) = gamma^d(s) / (1 - gamma), d the shortest-path (BFS) distance avoiding walls (and the
    pit, absorbing with reward 0); optimal moves are exactly those that decrease d."""
    H, gamma = 8, 0.9
    m = gridworld(3, 4, horizon=H, slip=0.0, **kw)
    md = gridworld(3, 4, gamma=gamma, slip=0.0, **kw)
    walls = {tuple(w) for w in kw.get("walls", ())}
    blocked = walls | ({tuple(kw["pit"])} if "pit" in kw else set())
    dist = _bfs_distance(3, 4, (2, 3), blocked)
    sol, dsol = backward_induction(m), policy_iteration(md)
    moves = ((-1, 0), (0, 1), (1, 0), (0, -1))
    for (r, c), d in dist.items():
        s = r * 4 + c
        assert sol.V[0, s] == pytest.approx(max(0, H - d), abs=1e-12)
        assert dsol.V[s] == pytest.approx(gamma ** d / (1 - gamma), abs=1e-9)
        if d > 0:
            dr, dc = moves[dsol.pi[s]]
            assert dist.get((r + dr, c + dc)) == d - 1
    assert sol.value == pytest.approx(max(0, H - dist[(0, 0)]), abs=1e-12)
    if "pit" in kw:
        pit = kw["pit"][0] * 4 + kw["pit"][1]
        assert sol.V[0, pit] == 0.0 and dsol.V[pit] == 0.0


@pytest.mark.parametrize("kw", [dict(n_rows=2, n_cols=3), dict(n_rows=2, n_cols=3, pit=(0, 2)),
                                dict(n_rows=1, n_cols=4)])
def test_gridworld_slippery_discounted_pinned_by_enumeration(kw):
    """slip = 0.2: V* and the optimal policies by enumerating all 4^S stationary policies."""
    m = gridworld(gamma=0.9, slip=0.2, **kw)
    V, opt = _enumerate_discounted(m)
    for sol in (value_iteration(m, tol=1e-11), policy_iteration(m)):
        np.testing.assert_allclose(sol.V, V, atol=1e-9, rtol=0)
        # the solver's greedy policy is one of the enumerated optimal ones on non-absorbing
        # states (absorbing states: every action is optimal)
        assert any(np.array_equal(sol.pi, p) for p in opt)


def test_gridworld_one_row_closed_form():
    """1 x 3 grid, slip p, goal at the right end: moving right, V(2) = 1/(1-g);
    V(1) = g[(1-p) V(2) + 2p/3 V(1) + p/3 V(0)] and V(0) = g[(1-p) V(1) + p V(0)] (up/down
    and left at the wall stay put)."""
    g, p = 0.9, 0.3
    m = gridworld(1, 3, gamma=g, slip=p)
    V2 = 1 / (1 - g)
    M = np.array([[1 - g * p, -g * (1 - p)], [-g * p / 3, 1 - g * 2 * p / 3]])
    V0, V1 = np.linalg.solve(M, [0.0, g * (1 - p) * V2])
    np.testing.assert_allclose(policy_iteration(m).V, [V0, V1, V2], atol=1e-12, rtol=0)
    assert policy_iteration(m).pi[:2].tolist() == [1, 1]


# ---------------------------------------------------------------------------- bandits as MDPs


@pytest.mark.parametrize("seed", range(6))
def test_bandit_value_equals_dp_evaluation_of_its_mdp(seed):
    """ContextualBandit.value(pi) == evaluate_policy(to_mdp(), pi).value for stochastic pi (and a
    one-context bandit reproduces MultiArmedBandit.value)."""
    rng = np.random.default_rng(seed)
    S, A = rng.integers(1, 5), rng.integers(1, 5)
    reward = "gaussian" if seed % 2 else "bernoulli"
    means = rng.random((S, A)) if reward == "bernoulli" else rng.normal(0, 2, (S, A))
    cb = ContextualBandit(rng.dirichlet(np.ones(S)), means, reward=reward)
    mdp = cb.to_mdp()
    for _ in range(5):
        pi = rng.dirichlet(np.ones(A) * 0.5, size=S)
        want = float(cb.context_probs @ np.sum(pi * cb.means, axis=1))
        assert cb.value(pi) == pytest.approx(want, abs=1e-14)
        assert evaluate_policy(mdp, pi[None]).value == pytest.approx(cb.value(pi), abs=1e-14)
        assert evaluate_policy(mdp, pi).value == pytest.approx(cb.value(pi), abs=1e-14)
    assert backward_induction(mdp).value == pytest.approx(cb.optimal_value, abs=1e-14)
    mab = MultiArmedBandit(means[0], reward=reward)
    p = rng.dirichlet(np.ones(A))
    one = ContextualBandit([1.0], means[:1], reward=reward)
    assert mab.value(p) == pytest.approx(evaluate_policy(one.to_mdp(), p[None]).value, abs=1e-14)


@pytest.mark.parametrize("call,match", [
    (lambda: riverswim(1, horizon=3), r"^n_states: RiverSwim needs at least 2"),
    (lambda: riverswim(4), r"^horizon/gamma: give exactly one"),
    (lambda: riverswim(4, horizon=3, gamma=0.9), r"^horizon/gamma: give exactly one"),
    (lambda: riverswim(4, horizon=3, large_reward=2.0), r"^large_reward: entries must lie"),
    (lambda: chain(4, horizon=3, slip=1.0), r"^slip: must lie in \[0, 1\)"),
    (lambda: chain(0, horizon=3), r"^n_states: must be >= 1"),
    (lambda: gridworld(horizon=3, slip=1.5), r"^slip: must lie in \[0, 1\]"),
    (lambda: gridworld(horizon=3, pit=(5, 5)), r"^pit: cell \(5, 5\) is outside"),
    (lambda: gridworld(horizon=3, start=(-1, 0)), r"^start: cell"),
    (lambda: random_mdp(3, 2, horizon=2, rho="last"), r"^rho: expected 'uniform', 'first'"),
    (lambda: random_mdp(3, 2, gamma=1.0), r"^gamma: must lie in \[0, 1\)"),
    (lambda: random_mdp(3, 2, horizon=2, alpha=0.0), r"^alpha: must be > 0"),
    (lambda: random_mdp(3, 2, horizon=2, branching=4), r"^branching: must be <= number of"),
    (lambda: random_mdp(0, 2, horizon=2), r"^n_states: must be >= 1"),
    (lambda: random_matrix_game(2, 2, kind="cauchy"), r"^kind: expected 'gaussian' or"),
    (lambda: random_matrix_game(2, 0), r"^n_cols: must be >= 1"),
    (lambda: random_markov_game(2, 2, 2, 0), r"^horizon: must be >= 1"),
    (lambda: random_linear_mdp(2, 2, 0, 3), r"^dim: must be >= 1"),
    (lambda: puterman_two_state(1.0), r"^gamma: must lie"),
])
def test_instance_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize("make", [
    lambda rng: random_mdp(5, 3, horizon=4, stationary=False, rng=rng).P,
    lambda rng: random_mdp(5, 3, gamma=0.9, rng=rng, branching=2).P,
    lambda rng: random_matrix_game(4, 3, rng=rng, kind="uniform").A,
    lambda rng: random_markov_game(3, 2, 2, 3, rng=rng).P,
    lambda rng: random_transitions((4,), 6, rng=rng, alpha=0.3),
], ids=["mdp", "garnet", "matrix_game", "markov_game", "transitions"])
def test_random_generators_reproducible(make):
    a, b, c = make(7), make(7), make(8)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    np.testing.assert_array_equal(make(np.random.default_rng(7)), make(np.random.SeedSequence(7)))


def test_random_generators_valid_rows():
    _assert_valid_rows(random_transitions((10, 3), 7, rng=0, alpha=0.01))
    g = random_transitions((50,), 8, rng=0, branching=3)
    _assert_valid_rows(g)
    assert np.all(np.count_nonzero(g, axis=1) <= 3)
    m = random_mdp(4, 2, horizon=3, rng=0, rho="first")
    assert m.rho.tolist() == [1.0, 0.0, 0.0, 0.0] and m.is_stationary
