"""Preference games: model validation, instances with known answers, the regularized Nash
equilibrium by two independent methods and its certificates (rlth.models.preference,
rlth.instances.preference, rlth.solvers.preference)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rlth.models.preference import PreferenceGame, kl_divergence
from rlth.theory.nash_md import linear_preference_equilibrium
from rlth.instances.preference import (bradley_terry, bt_mixture, dice_preference,
                                       linear_preference, nontransitive_dice, random_preference,
                                       ranking_population, reference_policy, rps_tournament,
                                       stack_contexts,
                                              three_rater_example)
from rlth.solvers.preference import (duality_gap, mmd_step, regularized_exploitability,
                                     soft_best_response, solve_nash, solve_regularized_nash)
from rlth.testing.preference import (assert_regularized_nash, policies_for, preference_games,
                                     preference_matrices, reference_policies)

TAUS = st.sampled_from([1.0, 0.3, 0.1])


# ------------------------------------------------------------------------------ model

def test_rejects_bad_preferences():
    with pytest.raises(ValueError, match="^pref: .*== 1"):
        PreferenceGame([[0.5, 0.7], [0.4, 0.5]], [0.5, 0.5])
    with pytest.raises(ValueError, match="^pref: entries must lie in"):
        PreferenceGame([[0.5, 1.5], [-0.5, 0.5]], [0.5, 0.5])
    with pytest.raises(ValueError, match="^pref: expected shape"):
        PreferenceGame(np.full((2, 3), 0.5), [0.5, 0.5])
    with pytest.raises(ValueError, match="^pref: contains NaN"):
        PreferenceGame([[0.5, np.nan], [0.5, 0.5]], [0.5, 0.5])
    with pytest.raises(ValueError, match="^mu: .*sum to 1"):
        PreferenceGame([[0.5, 0.5], [0.5, 0.5]], [0.5, 0.6])
    with pytest.raises(ValueError, match="^mu: expected shape"):
        PreferenceGame([[0.5, 0.5], [0.5, 0.5]], [1.0])
    with pytest.raises(ValueError, match="^context_probs"):
        PreferenceGame(np.full((2, 2, 2), 0.5), np.full((2, 2), 0.5), [0.3, 0.3])


def test_policy_validation_and_support():
    g = PreferenceGame([[0.5, 1, 0], [0, 0.5, 1], [1, 0, 0.5]], [0.5, 0.5, 0.0])
    assert g.support.tolist() == [[True, True, False]]
    with pytest.raises(ValueError, match="^pi: .*sum to 1"):
        g.check_policy([0.5, 0.4, 0.0])
    with pytest.raises(ValueError, match="^pi: puts mass outside"):
        g.check_policy([0.5, 0.4, 0.1], on_support=True)
    assert g.kl_to_reference([0.5, 0.4, 0.1]) == np.inf
    assert g.kl_to_reference([0.5, 0.5, 0.0]) == 0.0
    with pytest.raises(ValueError, match="^tau"):
        g.regularized_win_rate([0.5, 0.5, 0], [0.5, 0.5, 0], -1.0)


def test_log_reference_is_log_mu_with_minus_inf_off_support():
    g = PreferenceGame([[0.5, 0.2, 0.9], [0.8, 0.5, 0.4], [0.1, 0.6, 0.5]], [0.25, 0.0, 0.75])
    lmu = g.log_reference
    assert lmu.shape == (1, 3) and lmu.flags.c_contiguous and lmu.flags.writeable
    np.testing.assert_array_equal(lmu, [[np.log(0.25), -np.inf, np.log(0.75)]])
    lmu[0, 0] = 0.0                       # a fresh array: the game is untouched
    assert g.log_reference[0, 0] == np.log(0.25)


def test_kl_divergence_conventions():
    assert kl_divergence([0.0, 1.0], [0.5, 0.5]) == pytest.approx(np.log(2))
    assert kl_divergence([0.5, 0.5], [1.0, 0.0]) == np.inf


@given(preference_games(max_contexts=3), st.data(), st.sampled_from([0.0, 0.1, 1.0]))
def test_regularized_game_is_antisymmetric(game, data, tau):
    """P_tau(pi > pi') + P_tau(pi' > pi) = 1 and P(pi > pi) = 1/2 (Munos et al., eq. 2)."""
    pi = data.draw(policies_for(game))
    pi2 = data.draw(policies_for(game))
    assert game.win_rate(pi, pi) == pytest.approx(0.5, abs=1e-14)
    total = game.regularized_win_rate(pi, pi2, tau) + game.regularized_win_rate(pi2, pi, tau)
    assert total == pytest.approx(1.0, abs=1e-12)


# ------------------------------------------------------------------------------ instances

def test_nontransitive_dice_cycle():
    """Each die beats the next with probability 5/9 (Munos et al. 2023)."""
    P = nontransitive_dice().pref[0]
    for i in range(3):
        assert P[i, (i + 1) % 3] == pytest.approx(5 / 9, abs=1e-15)
    sol = solve_nash(nontransitive_dice())
    np.testing.assert_allclose(sol.pi[0], [1 / 3] * 3, atol=1e-9)


def test_dice_ties_count_half():
    P = dice_preference([[1, 2], [2, 1]]).pref[0]
    assert P[0, 1] == 0.5


def test_rps_tournament_is_regular():
    for n in (3, 5, 7):
        P = rps_tournament(n).pref[0]
        assert np.all((P - 0.5).sum(axis=1) == 0)
        np.testing.assert_allclose(solve_nash(rps_tournament(n)).pi[0], np.full(n, 1 / n),
                                   atol=1e-9)
    with pytest.raises(ValueError, match="^n_actions: must be odd"):
        rps_tournament(4)
    with pytest.raises(ValueError, match="^p_win"):
        rps_tournament(3, p_win=0.2)


def test_bradley_terry_appendix_a_example():
    """Elo (0, log 9, log 2): the Elo-max policy (2/3, 1/3, 0) loses to (0, 0, 1) with 49/99
    (Munos et al. 2023, App. A)."""
    g = bradley_terry([0.0, np.log(9), np.log(2)])
    assert g.win_rate([2 / 3, 1 / 3, 0], [0, 0, 1]) == pytest.approx(49 / 99, abs=1e-14)


@pytest.mark.parametrize("eps", [-0.1, 0.0, 0.05, 0.1])
def test_three_rater_closed_form(eps):
    """Cyclic population: the unregularized equilibrium is (1/3-eps, 1/3+2eps, 1/3-eps) [D]."""
    sol = solve_nash(three_rater_example(eps))
    np.testing.assert_allclose(sol.pi[0], [1 / 3 - eps, 1 / 3 + 2 * eps, 1 / 3 - eps],
                               atol=1e-9)
    with pytest.raises(ValueError, match="^eps"):
        three_rater_example(0.2)


def test_ranking_population_validation():
    with pytest.raises(ValueError, match="^rankings: entry 0 is not a permutation"):
        ranking_population([[0, 0, 1]], [1.0])
    with pytest.raises(ValueError, match="^weights"):
        ranking_population([[0, 1]], [0.5])


def test_bt_mixture_can_be_intransitive():
    g = bt_mixture([[0, 4, 8], [8, 0, 4], [4, 8, 0]], [1 / 3, 1 / 3, 1 / 3])
    P = g.pref[0]
    # 0 beats 1, 1 beats 2, 2 beats 0: a cycle
    assert P[0, 1] < 0.5 and P[1, 2] < 0.5 and P[2, 0] < 0.5 or \
        P[0, 1] > 0.5 and P[1, 2] > 0.5 and P[2, 0] > 0.5


def test_reference_policy_kinds():
    assert np.allclose(reference_policy(4), 0.25)
    mu = reference_policy(5, "softmax", n_contexts=2, rng=0)
    assert mu.shape == (2, 5) and np.allclose(mu.sum(1), 1)
    sk = reference_policy(4, "skewed", eps=1e-3)
    assert np.allclose(sk, [[0.499, 0.499, 1e-3, 1e-3]])
    with pytest.raises(ValueError, match="^kind"):
        reference_policy(3, "bogus")


# ------------------------------------------------------------------------------ solver

@settings(max_examples=30)
@given(preference_games(max_actions=6, max_contexts=2), TAUS)
def test_newton_and_cvxpy_agree(game, tau):
    """The two independent ground-truth methods agree to 1e-9; both certified below 1e-10."""
    a = solve_regularized_nash(game, tau)
    b = solve_regularized_nash(game, tau, method="cvxpy")
    assert a.exploitability < 1e-10 and a.residual < 1e-9
    assert b.exploitability < 1e-10
    assert abs(b.objective) < 1e-8          # the concave program's optimum is 0
    np.testing.assert_allclose(a.pi, b.pi, atol=1e-9, rtol=0)
    assert_regularized_nash(game, a.pi, tau, tol=1e-10)


@settings(max_examples=25)
@given(preference_games(max_actions=5, allow_zeros=True, max_contexts=2), TAUS)
def test_zeros_in_reference_restrict_support(game, tau):
    a = solve_regularized_nash(game, tau)
    assert np.all(a.pi[~game.support] == 0)
    assert a.exploitability < 1e-10
    b = solve_regularized_nash(game, tau, method="cvxpy")
    np.testing.assert_allclose(a.pi, b.pi, atol=1e-9, rtol=0)


def test_small_tau_newton_certified():
    g = random_preference(20, rng=3, mu=reference_policy(20, "softmax", scale=3.0, rng=4))
    for tau in (0.01, 0.001):
        sol = solve_regularized_nash(g, tau)
        assert sol.exploitability < 1e-12, (tau, sol)


def test_mmd_method_reaches_the_same_point():
    g = random_preference(6, rng=1, mu=reference_policy(6, "softmax", rng=2))
    a = solve_regularized_nash(g, 0.5)
    c = solve_regularized_nash(g, 0.5, method="mmd", tol=1e-14)
    np.testing.assert_allclose(a.pi, c.pi, atol=1e-12)
    # the MMD map fixes pi*_tau exactly
    np.testing.assert_allclose(mmd_step(g, a.pi, 0.5, 0.5), a.pi, atol=1e-14)


@settings(max_examples=40)
@given(preference_games(max_contexts=2), TAUS, st.data())
def test_exploitability_nonnegative_formula_and_zero_only_at_equilibrium(game, tau, data):
    pi = data.draw(policies_for(game))
    e = regularized_exploitability(game, pi, tau)
    assert e >= 0
    # e(pi) = max_pi' P_tau(pi' > pi) - 1/2 = tau log sum mu e^{P pi / tau} + tau KL(pi, mu) - 1/2
    g = np.einsum("xab,xb->xa", game.pref, pi)
    with np.errstate(divide="ignore"):
        lse = np.array([np.log(np.sum(game.mu[x] * np.exp((g[x] - g[x].max()) / tau)))
                        + g[x].max() / tau for x in range(game.n_contexts)])
    explicit = game.context_probs @ (tau * lse) + tau * game.kl_to_reference(pi) - 0.5
    assert e == pytest.approx(explicit, abs=1e-11)
    # the best response attains it
    br = soft_best_response(game, pi, tau)
    assert game.regularized_win_rate(br, pi, tau) - 0.5 == pytest.approx(e, abs=1e-11)
    star = solve_regularized_nash(game, tau).pi
    assert regularized_exploitability(game, star, tau) < 1e-12
    if np.abs(pi - star).sum() > 1e-3:
        assert e > 0
    # the duality gap from its definition, max_pi'' P_tau(pi'' > pi') - min_pi'' P_tau(pi > pi''),
    # each side in closed form (Gibbs variational principle), not through
    # regularized_exploitability()
    assert duality_gap(game, pi, tau=tau) == pytest.approx(_gap_by_definition(game, pi, pi, tau),
                                                           abs=1e-11)
    assert duality_gap(game, pi, star, tau=tau) == \
        pytest.approx(_gap_by_definition(game, pi, star, tau), abs=1e-11)
    assert abs(_gap_by_definition(game, star, star, tau)) < 1e-11


def _log_mean_exp(mu, w):
    """log sum_y mu(y) e^{w(y)} over the support of mu, row-wise (numpy only)."""
    w = np.where(mu > 0, w, -np.inf)
    top = w.max(axis=-1, keepdims=True)
    return top[..., 0] + np.log(np.sum(np.where(mu > 0, mu * np.exp(w - top), 0.0), axis=-1))


def _kl_rows(p, q):
    pos = p > 0
    return np.sum(np.where(pos, p * (np.log(np.where(pos, p, 1.0)) - np.log(np.where(pos, q, 1.0))),
                           0.0), axis=-1)


def _gap_by_definition(game, pi, pi_prime, tau):
    """max_pi'' P_tau(pi'' > pi') - min_pi'' P_tau(pi > pi'') with P_tau = P - tau KL(., mu) +
    tau KL(., mu) (eq. 2): per context,
    max_q q.P pi' - tau KL(q, mu) = tau log sum mu e^{P pi'/tau} and
    min_q pi.P q + tau KL(q, mu) = -tau log sum mu e^{-P^T pi/tau}."""
    mu, rho, P = game.mu, game.context_probs, game.pref
    up = tau * _log_mean_exp(mu, np.einsum("xab,xb->xa", P, pi_prime) / tau) \
        + tau * _kl_rows(pi_prime, mu)
    down = -tau * _log_mean_exp(mu, -np.einsum("xab,xa->xb", P, pi) / tau) \
        - tau * _kl_rows(pi, mu)
    return float(rho @ (up - down))


@settings(max_examples=30)
@given(preference_games(max_actions=5), TAUS, st.randoms(use_true_random=False))
def test_permutation_equivariance(game, tau, rnd):
    n = game.n_actions
    perm = list(range(n))
    rnd.shuffle(perm)
    perm = np.array(perm)
    g2 = PreferenceGame(game.pref[:, perm][:, :, perm], game.mu[:, perm], game.context_probs)
    a = solve_regularized_nash(game, tau).pi
    b = solve_regularized_nash(g2, tau).pi
    np.testing.assert_allclose(b, a[:, perm], atol=1e-12)


@settings(max_examples=20)
@given(preference_games(max_actions=5), st.sampled_from([0.5, 0.25]))
def test_homogeneity(game, k):
    """NE(1/2 + kA, k tau) = NE(1/2 + A, tau) [D]."""
    g2 = PreferenceGame(0.5 + k * (game.pref - 0.5), game.mu, game.context_probs)
    a = solve_regularized_nash(game, 0.2).pi
    b = solve_regularized_nash(g2, 0.2 * k).pi
    np.testing.assert_allclose(a, b, atol=1e-11)


@settings(max_examples=20)
@given(preference_games(max_actions=5, max_contexts=2))
def test_tau_to_infinity_gives_mu(game):
    for tau in (1e3, 1e5):
        pi = solve_regularized_nash(game, tau).pi
        # pi* = mu e^{O(1/tau)} so |pi* - mu| <= 2/tau
        assert np.abs(pi - game.mu).max() <= 2.0 / tau


@settings(max_examples=30)
@given(st.lists(st.floats(-2, 2), min_size=2, max_size=6), st.sampled_from([1.0, 0.1, 0.03]),
       st.integers(0, 100))
def test_linear_preference_closed_form(r, tau, seed):
    r = np.array(r)
    mu = reference_policy(r.size, "softmax", rng=seed)
    g = linear_preference(r, mu=mu)
    closed = linear_preference_equilibrium(r, None, mu, tau)
    sol = solve_regularized_nash(g, tau)
    np.testing.assert_allclose(sol.pi, closed, atol=1e-11)
    assert regularized_exploitability(g, closed, tau) < 1e-12


def test_bradley_terry_equilibrium_is_not_rlhf_solution():
    """Documents Munos et al. (2023, App. A): with P = sigma(r_i - r_j) the regularized Nash
    equilibrium is NOT the RLHF optimum mu e^{r/tau}; only as tau -> 0 do both concentrate on
    argmax r (the Condorcet winner)."""
    r = np.array([0.0, 1.0, 2.0, 0.5])
    g = bradley_terry(r)
    tau = 0.1
    nash = solve_regularized_nash(g, tau).pi[0]
    rlhf = np.exp(r / tau - (r / tau).max())
    rlhf /= rlhf.sum()
    assert np.abs(nash - rlhf).max() > 0.1
    # both pick the Condorcet winner in the limit
    assert solve_regularized_nash(g, 1e-3).pi[0, 2] > 0.99
    np.testing.assert_allclose(solve_nash(g).pi[0], [0, 0, 1, 0], atol=1e-9)


def test_rps_uniform_reference_equilibrium_is_uniform():
    for tau in (1.0, 0.1, 0.01):
        np.testing.assert_allclose(solve_regularized_nash(rps_tournament(3), tau).pi[0],
                                   [1 / 3] * 3, atol=1e-13)


def test_contextual_is_per_context():
    games = [random_preference(4, rng=s, mu=reference_policy(4, "softmax", rng=10 + s))
             for s in range(3)]
    joint = stack_contexts(games, [0.2, 0.3, 0.5])
    sol = solve_regularized_nash(joint, 0.2)
    for x, g in enumerate(games):
        np.testing.assert_allclose(sol.pi[x], solve_regularized_nash(g, 0.2).pi[0], atol=1e-13)


@settings(max_examples=30)
@given(preference_games(max_contexts=2))
def test_lp_nash_certificate(game):
    sol = solve_nash(game)
    pi = np.asarray(sol.pi)
    assert np.all(pi >= 0) and np.allclose(pi.sum(1), 1.0, atol=1e-12)
    # recomputed independently: no pure deviation y beats pi with probability above 1/2
    beat = np.einsum("xab,xb->xa", game.pref, pi)            # P(y > pi | x)
    e = float(game.context_probs @ (beat.max(axis=1) - 0.5))
    assert e <= 1e-9
    assert np.all(beat <= 0.5 + 1e-9)
    assert sol.exploitability == pytest.approx(e, abs=1e-14)
    value = float(game.context_probs @ np.einsum("xab,xa->xb", game.pref, pi).min(axis=1))
    assert sol.value == pytest.approx(value, abs=1e-14)
    assert value == pytest.approx(0.5, abs=1e-9)


def test_solve_nash_is_the_tau_to_zero_limit_interior():
    """Three-rater cycle with a non-uniform reference: the equilibrium (1/3-e, 1/3+2e, 1/3-e)
    is unique (A = P - 1/2 is 3x3 skew with a positive kernel vector pi*: any optimal x has
    -A x >= 0 and pi*.(-A x) = 0, so A x = 0, x = pi*).  First order in tau [D]:
    pi*_tau = softmax(log mu + A pi*_tau / tau) gives A pi*_tau = tau (log pi*_tau - log mu) + c,
    so pi*_tau = pi* + tau v + O(tau^2) with A v = log(pi*/mu) - (pi*.log(pi*/mu)) 1, 1.v = 0."""
    eps = 0.05
    g = three_rater_example(eps, mu=[0.6, 0.3, 0.1])
    ne = np.array([1 / 3 - eps, 1 / 3 + 2 * eps, 1 / 3 - eps])
    np.testing.assert_allclose(solve_nash(g).pi[0], ne, atol=1e-9)
    A = g.pref[0] - 0.5
    assert np.linalg.matrix_rank(A) == 2                  # kernel spanned by ne: unique NE
    np.testing.assert_allclose(A @ ne, 0.0, atol=1e-15)
    w = np.log(ne / g.mu[0])
    v = np.linalg.pinv(A) @ (w - ne @ w)
    v -= v.sum() * ne                                     # ne spans ker A, and 1.ne = 1
    np.testing.assert_allclose(A @ v, w - ne @ w, atol=1e-12)
    prev = np.inf
    for tau in (1e-2, 3e-3, 1e-3, 3e-4, 1e-4):
        pi = solve_regularized_nash(g, tau).pi[0]
        d = np.abs(pi - ne).sum()
        assert d < prev
        prev = d
        # the O(tau^2) remainder (measured |.|_inf / tau^2 = 30.7 .. 32.3 at these taus, while
        # the first-order term is ~3.6 tau: a wrong limit or a wrong slope fails)
        assert np.abs(pi - ne - tau * v).max() <= 50 * tau ** 2, tau
    assert prev <= 1e-3


def test_solve_nash_is_the_tau_to_zero_limit_condorcet_winner():
    """Bradley-Terry with a non-uniform reference: the unique equilibrium is the pure Condorcet
    winner argmax r (it beats every other action, so any other strategy is beaten by it);
    pi*_tau(y) / pi*_tau(w) <= (mu_y / mu_w) e^{-(P(w > pi) - P(y > pi))/tau} decays
    exponentially."""
    g = bradley_terry([0.0, 1.0, 2.0, 0.5], mu=[0.4, 0.3, 0.1, 0.2])
    winner = np.eye(4)[2]
    assert np.all(g.pref[0][2, [0, 1, 3]] > 0.5)
    np.testing.assert_allclose(solve_nash(g).pi[0], winner, atol=1e-9)
    prev = np.inf
    for tau in (1e-1, 3e-2, 1e-2, 3e-3, 1e-3):
        d = np.abs(solve_regularized_nash(g, tau).pi[0] - winner).sum()
        assert d < prev or d == 0.0
        prev = d
    assert prev <= 1e-12


def _find(strategy, condition):
    from hypothesis import find
    return find(strategy, condition, settings=settings(max_examples=2000, database=None))


@pytest.mark.parametrize("condition", [
    lambda p: np.all((p[0] <= 1e-6) | (p[0] >= 1 - 1e-6) | (p[0] == 0.5))
    and np.any((p[0] > 0) & (p[0] < 1e-5)),                                # extreme
    lambda p: np.all(np.isin(p[0], (0.0, 0.5, 1.0))) and p.shape[1] >= 3,    # tournament
    lambda p: p.shape[1] > 2 and np.sum(np.abs(p[0] - 0.5) < 1e-15) > p.shape[1],  # ties
    lambda p: p.shape[1] >= 3 and any(p[0][i, j] > 0.5 and p[0][j, k] > 0.5 and p[0][k, i] > 0.5
                                      for i in range(3) for j in range(3) for k in range(3)),
], ids=["extreme", "deterministic", "ties", "cycle"])
def test_preference_strategy_reaches_corner_cases(condition):
    _find(preference_matrices(), condition)


@pytest.mark.parametrize("strategy,condition", [
    (reference_policies(4, allow_zeros=True), lambda mu: np.any(mu == 0.0)),
    (reference_policies(4, min_mass=1e-6), lambda mu: mu.min() < 1e-4),
    (preference_games(allow_zeros=True, max_contexts=2),
     lambda g: g.n_contexts == 2 and np.any(~g.support)),
], ids=["zeros_in_mu", "tiny_mass", "game_with_zeros"])
def test_reference_strategy_reaches_corner_cases(strategy, condition):
    _find(strategy, condition)


def test_reference_strategy_defaults_have_no_zeros():
    """The documented defaults: no zeros, masses >= min_mass / n (normalized from [1e-3, 1])."""
    @settings(max_examples=50, database=None)
    @given(reference_policies(4))
    def check(mu):
        assert np.all(mu > 0) and mu.min() >= 1e-3 / 4 * (1 - 1e-12)
    check()


def test_solver_rejects_bad_input():
    g = rps_tournament(3)
    with pytest.raises(ValueError, match="^tau"):
        solve_regularized_nash(g, 0.0)
    with pytest.raises(ValueError, match="^method"):
        solve_regularized_nash(g, 0.1, method="bogus")
    with pytest.raises(ValueError, match="^game"):
        solve_regularized_nash(np.eye(3), 0.1)
    with pytest.raises(ValueError, match="^pi: expected shape"):
        regularized_exploitability(g, [0.5, 0.5], 0.1)
