"""Matrix- and Markov-game solvers: certificates, second opinions, peer cross-checks, pinned answers.

Tolerances (entries of size <= 1 unless said): HiGHS duality gap <= 1e-9 (measured <= 1e-15 on
generic games, <= 1e-10 on hypothesis' near-degenerate draws, at HiGHS' 1e-10 tolerances);
HiGHS vs cvxpy/Clarabel values <= 1e-7 (interior point, measured ~3e-9), vs cvxpy/HiGHS <= 1e-9;
nashpy values <= 1e-8; Markov-game exploitability of the returned pair <= 1e-8.
"""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rlth.solvers.games as games_mod
from rlth.models import MarkovGame, MatrixGame
from rlth.instances import random_markov_game, random_matrix_game, random_mdp, \
    rock_paper_scissors
from rlth.solvers.games import (CVXPY_SOLVERS, best_response_value, evaluate_policy_pair,
                                exploitability, matrix_game_gap, minimax_bounds, minimax_equality,
                                minimax_inequalities, minimax_objective, solve_markov_game,
                                solve_matrix_game)
from rlth.testing.games import (PAYOFF_KINDS, assert_equilibrium, markov_game_policies,
                                markov_games, payoff_matrices, simplex_vectors,
                                stochastic_arrays)

import rlth.solvers.dp as dp

try:        # a test extra: only the peer cross-checks below need it
    import nashpy
except ImportError:     # pragma: no cover
    nashpy = None
needs_nashpy = pytest.mark.skipif(nashpy is None, reason="nashpy (test extra) is not installed")


def _scale(A):
    return max(1.0, float(np.max(np.abs(A))))


def _assert_simplex(p, n):
    assert p.shape == (n,)
    assert np.all(p >= 0)
    assert abs(p.sum() - 1.0) <= 1e-12


# ----------------------------------------------------------------------------- LP ingredients


def test_lp_ingredients_encode_the_minimax_lp():
    A = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1.0]])
    c = minimax_objective(2)
    A_ub, b_ub = minimax_inequalities(A)
    A_eq, b_eq = minimax_equality(2)
    assert c.tolist() == [0.0, 0.0, -1.0]
    assert A_ub.shape == (3, 3) and b_ub.tolist() == [0.0, 0.0, 0.0]
    # z = (x, v): A_ub @ z = v - (A^T x)_j
    z = np.array([0.25, 0.75, 0.4])
    np.testing.assert_allclose(A_ub @ z, 0.4 - A.T @ z[:2])
    assert (A_eq @ z).tolist() == [1.0] and b_eq.tolist() == [1.0]
    assert minimax_bounds(2) == [(0.0, None), (0.0, None), (None, None)]


# ----------------------------------------------------------------------------- matrix games: properties


@given(payoff_matrices(max_rows=6, max_cols=6))
def test_highs_solution_is_certified(A):
    m, n = A.shape
    sol = solve_matrix_game(A)
    _assert_simplex(sol.x, m)
    _assert_simplex(sol.y, n)
    lo, hi = np.min(sol.x @ A), np.max(A @ sol.y)
    assert sol.duality_gap == pytest.approx(hi - lo, abs=1e-15)
    assert sol.duality_gap <= 1e-9 * _scale(A)
    assert lo - 1e-15 <= sol.value <= hi + 1e-15
    assert sol.duality_gap == pytest.approx(matrix_game_gap(A, sol.x, sol.y), abs=1e-15)


@settings(max_examples=30)
@given(payoff_matrices(min_rows=2, min_cols=2, max_rows=6, max_cols=6),
       st.sampled_from(CVXPY_SOLVERS))
def test_highs_value_equals_cvxpy_value(A, backend):
    ref = solve_matrix_game(A, "highs")
    alt = solve_matrix_game(A, "cvxpy", cvxpy_solver=backend)
    tol = 1e-7 if backend == "CLARABEL" else 1e-9
    assert abs(ref.value - alt.value) <= tol * _scale(A)
    assert alt.duality_gap <= 1e-6 * _scale(A)


@needs_nashpy
@settings(max_examples=40)
@given(payoff_matrices(max_rows=5, max_cols=5, kinds=("float", "integer", "ties")))
def test_value_matches_nashpy_minimax_lp(A):
    row, col = nashpy.Game(A, -A).linear_program()
    v_nash = float(row @ A @ col)
    assert abs(solve_matrix_game(A).value - v_nash) <= 1e-8 * _scale(A)


@needs_nashpy
@pytest.mark.parametrize("seed", range(12))
def test_value_matches_nashpy_enumeration(seed):
    rng = np.random.default_rng(seed)
    m, n = rng.integers(2, 5, size=2)
    A = random_matrix_game(int(m), int(n), rng=rng).A
    sol = solve_matrix_game(A)
    # nashpy's support enumeration misses the equilibrium of ~1 in 4 such games (e.g. seed 5,
    # also with tol=1e-10); vertex enumeration finds it, so use both
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        eqs = list(nashpy.Game(A, -A).vertex_enumeration())
        eqs += list(nashpy.Game(A, -A).support_enumeration(tol=1e-10))
    assert eqs, "nashpy found no equilibrium"
    for x, y in eqs:   # every equilibrium of a zero-sum game has the same value
        assert abs(float(x @ A @ y) - sol.value) <= 1e-8
    # a generic Gaussian game has a unique equilibrium: ours is it
    for x, y in eqs:
        np.testing.assert_allclose(sol.x, x, atol=1e-8)
        np.testing.assert_allclose(sol.y, y, atol=1e-8)


@needs_nashpy
def test_value_matches_nashpy_on_larger_games():
    rng = np.random.default_rng(123)
    for _ in range(5):
        A = rng.standard_normal((12, 9))
        row, col = nashpy.Game(A, -A).linear_program()
        assert abs(solve_matrix_game(A).value - float(row @ A @ col)) <= 1e-8


@given(payoff_matrices(max_rows=4, max_cols=4), st.data())
def test_gap_bounds_any_pair_and_is_nonnegative(A, data):
    m, n = A.shape
    x = data.draw(simplex_vectors(m))
    y = data.draw(simplex_vectors(n))
    value = solve_matrix_game(A).value
    g = matrix_game_gap(A, x, y)
    assert g >= -1e-15
    assert np.min(x @ A) <= value + 1e-9 and value <= np.max(A @ y) + 1e-9


# ----------------------------------------------------------------------------- pinned answers


def test_rock_paper_scissors_pinned():
    for scale in (1.0, 3.5):
        sol = solve_matrix_game(rock_paper_scissors(scale))
        assert abs(sol.value) <= 1e-12
        np.testing.assert_allclose(sol.x, np.full(3, 1 / 3), atol=1e-12)
        np.testing.assert_allclose(sol.y, np.full(3, 1 / 3), atol=1e-12)
        assert sol.duality_gap <= 1e-12


def test_biased_rps_pinned_to_analytic_answer():
    # skew-symmetric [[0,-a,b],[a,0,-c],[-b,c,0]] with a=1, b=2, c=1: kernel (c, b, a)/(a+b+c)
    A = np.array([[0.0, -1.0, 2.0], [1.0, 0.0, -1.0], [-2.0, 1.0, 0.0]])
    expected = np.array([0.25, 0.5, 0.25])
    for shift in (0.0, 0.7):    # adding a constant shifts the value, not the strategies
        for solver in ("highs", "cvxpy"):
            sol = solve_matrix_game(A + shift, solver)
            tol = 1e-12 if solver == "highs" else 1e-7
            assert sol.value == pytest.approx(shift, abs=tol)
            np.testing.assert_allclose(sol.x, expected, atol=tol)
            np.testing.assert_allclose(sol.y, expected, atol=tol)


@pytest.mark.parametrize("a,b,c,d", [(3.0, -1.0, -2.0, 1.0), (0.5, -0.3, -0.9, 0.2),
                                     (-1.0, 2.0, 4.0, 0.0)])
def test_two_by_two_without_saddle_matches_closed_form(a, b, c, d):
    A = np.array([[a, b], [c, d]])
    den = a - b - c + d
    value = (a * d - b * c) / den
    x = np.array([d - c, a - b]) / den
    y = np.array([d - b, a - c]) / den
    sol = solve_matrix_game(A)
    assert sol.value == pytest.approx(value, abs=1e-12)
    np.testing.assert_allclose(sol.x, x, atol=1e-12)
    np.testing.assert_allclose(sol.y, y, atol=1e-12)


def test_pure_saddle_point():
    A = np.array([[4.0, 2.0, 5.0], [1.0, 0.0, 3.0], [6.0, -1.0, 2.0]])  # saddle at (0, 1)
    for solver in ("highs", "cvxpy"):
        sol = solve_matrix_game(A, solver)
        assert sol.value == pytest.approx(2.0, abs=1e-7)
        np.testing.assert_allclose(sol.x, [1, 0, 0], atol=1e-7)
        np.testing.assert_allclose(sol.y, [0, 1, 0], atol=1e-7)


# ----------------------------------------------------------------------------- degenerate games


@pytest.mark.parametrize("solver", ["highs", "cvxpy"])
def test_one_by_one(solver):
    sol = solve_matrix_game([[-0.3]], solver)
    assert sol.value == -0.3 and sol.duality_gap == 0.0
    assert sol.x.tolist() == [1.0] and sol.y.tolist() == [1.0]


@pytest.mark.parametrize("A,value", [([[1.0, -2.0, 0.5]], -2.0), ([[1.0], [-2.0], [0.5]], 1.0)])
def test_single_action_player(A, value):
    sol = solve_matrix_game(A)
    assert sol.value == value and sol.duality_gap == 0.0


@pytest.mark.parametrize("solver", ["highs", "cvxpy"])
def test_constant_matrix(solver):
    sol = solve_matrix_game(np.full((3, 4), 0.25), solver)
    assert sol.value == pytest.approx(0.25, abs=1e-9)
    assert abs(sol.duality_gap) <= 1e-9
    _assert_simplex(sol.x, 3)
    _assert_simplex(sol.y, 4)


def test_strictly_dominated_strategies_get_no_mass():
    base = np.array([[0.0, -1.0, 1.0], [1.0, 0.0, -1.0], [-1.0, 1.0, 0.0]])
    A = np.vstack([base, base[0] - 0.5])                # row 3 strictly dominated by row 0
    A = np.hstack([A, A[:, [1]] + 0.5])                 # column 3 strictly dominated by column 1
    sol = solve_matrix_game(A)
    assert sol.x[3] <= 1e-12 and sol.y[3] <= 1e-12
    assert abs(sol.value) <= 1e-12
    np.testing.assert_allclose(sol.x[:3], np.full(3, 1 / 3), atol=1e-12)


def test_duplicated_rows_and_columns_keep_the_value():
    rng = np.random.default_rng(5)
    base = rng.standard_normal((3, 4))
    A = base[np.ix_([0, 1, 1, 2, 0], [3, 0, 1, 2, 2, 0])]
    assert solve_matrix_game(A).value == pytest.approx(solve_matrix_game(base).value, abs=1e-12)
    assert solve_matrix_game(A).duality_gap <= 1e-12


# ----------------------------------------------------------------------------- matrix-game certificate and errors


def test_matrix_game_gap_by_hand():
    A = np.array([[2.0, -1.0], [0.0, 1.0]])
    x, y = np.array([0.5, 0.5]), np.array([0.25, 0.75])
    # A y = (-0.25, 0.75), x^T A = (1, 0): gap = 0.75 - 0
    assert matrix_game_gap(A, x, y) == pytest.approx(0.75, abs=1e-15)
    assert matrix_game_gap(MatrixGame(A), x, y) == pytest.approx(0.75, abs=1e-15)


def test_perturbed_strategy_has_positive_gap():
    sol = solve_matrix_game(rock_paper_scissors())
    # x = (1/2, 1/4, 1/4): x^T A = (0, -1/4, 1/4), so the min player gains 1/4
    assert matrix_game_gap(rock_paper_scissors().A, [0.5, 0.25, 0.25], sol.y) == \
        pytest.approx(0.25, abs=1e-12)


@pytest.mark.parametrize("kwargs,match", [
    (dict(A=[[1.0, np.nan]]), r"^A: contains NaN"),
    (dict(A=[1.0, 2.0]), r"^A: expected 2 dimensions"),
    (dict(A=np.zeros((0, 2))), r"^A: both players need"),
    (dict(x=[0.5, 0.6]), r"^x: probabilities"),
    (dict(x=[1.0]), r"^x: expected shape"),
    (dict(y=[1.5, -0.5]), r"^y: has negative probability"),
    (dict(y=[0.5, np.inf]), r"^y: contains NaN"),
])
def test_matrix_game_gap_errors(kwargs, match):
    args = dict(A=[[1.0, 0.0], [0.0, 1.0]], x=[0.5, 0.5], y=[0.5, 0.5]) | kwargs
    with pytest.raises(ValueError, match=match):
        matrix_game_gap(**args)


@pytest.mark.parametrize("args,kwargs,match", [
    (([[1.0, 2.0]], "simplex"), {}, r"^solver: must be"),
    (([[1.0, 2.0]], "cvxpy"), dict(cvxpy_solver="SCS"), r"^cvxpy_solver: must be one of"),
    (([[np.inf, 2.0]],), {}, r"^A: contains NaN or infinite"),
    (([1.0, 2.0],), {}, r"^A: expected 2 dimensions"),
    ((np.zeros((2, 0)),), {}, r"^A: both players need at least one action"),
    ((random_markov_game(2, 2, 2, 2, rng=0),), {}, r"^A: expected a MatrixGame"),
])
def test_solve_matrix_game_errors(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        solve_matrix_game(*args, **kwargs)


def test_lp_failure_raises_clear_error(monkeypatch):
    from scipy.optimize import OptimizeResult

    def failing_linprog(*args, **kwargs):
        return OptimizeResult(status=4, success=False, x=None, message="numerical difficulties")

    monkeypatch.setattr(games_mod, "linprog", failing_linprog)
    with pytest.raises(RuntimeError, match=r"HiGHS did not solve.*status 4.*numerical"):
        solve_matrix_game([[1.0, -1.0], [-1.0, 1.0]])


def test_accepts_matrix_game_object_and_returns_readonly():
    sol = solve_matrix_game(MatrixGame([[1.0, -1.0], [-1.0, 1.0]]))
    assert sol.value == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="read-only"):     # numpy's own message
        sol.x[0] = 0.3


# ----------------------------------------------------------------------------- Markov games


def _nashpy_shapley(game):
    """Independent recursion: nashpy's minimax LPs (a second LP for the column player)."""
    H, S = game.horizon, game.n_states
    V = np.zeros((H + 1, S))
    for h in range(H - 1, -1, -1):
        for s in range(S):
            G = game.R[h, s] + np.einsum("abt,t->ab", game.P[h, s], V[h + 1])
            row, col = nashpy.Game(G, -G).linear_program()
            V[h, s] = row @ G @ col
    return V


def _induced_mdp(game, policy, player):
    """The MDP the best responder faces against the opponent's fixed ``policy`` [H, S, n]
    (the min player's MDP maximizes -R).  Plain numpy, shares no code with rlth.solvers."""
    P, R = np.asarray(game.P), np.asarray(game.R)
    if player == "max":
        return (np.einsum("hsb,hsabt->hsat", policy, P), np.einsum("hsb,hsab->hsa", policy, R))
    return (np.einsum("hsa,hsabt->hsbt", policy, P), -np.einsum("hsa,hsab->hsb", policy, R))


def _independent_exploitability(game, mu, nu):
    """rho @ (max_mu' V^{mu', nu}_0 - min_nu' V^{mu, nu'}_0) by backward induction on the two
    induced MDPs (numpy only)."""
    upper = _backward_induction(*_induced_mdp(game, nu, "max"))[0]
    lower = -_backward_induction(*_induced_mdp(game, mu, "min"))[0]
    return float(game.rho @ (upper - lower)), upper, lower


@needs_nashpy
@settings(max_examples=30)
@given(markov_games())
def test_markov_game_value_matches_independent_recursion(game):
    sol = solve_markov_game(game)
    H, S, A, B = game.horizon, game.n_states, game.n_actions_max, game.n_actions_min
    assert sol.V.shape == (H + 1, S) and sol.Q.shape == (H, S, A, B)
    assert sol.pi_max.shape == (H, S, A) and sol.pi_min.shape == (H, S, B)
    assert np.all(sol.V[H] == 0.0)
    np.testing.assert_allclose(sol.V, _nashpy_shapley(game), atol=1e-8 * H, rtol=0)
    assert sol.value == pytest.approx(game.rho @ sol.V[0], abs=1e-14)
    # the returned pair is an equilibrium by an independent best-response computation, and the
    # solver's self-reported certificate agrees with it
    e, upper, lower = _independent_exploitability(game, np.asarray(sol.pi_max),
                                                  np.asarray(sol.pi_min))
    assert abs(e) <= 1e-8
    np.testing.assert_allclose(upper, sol.V[0], atol=1e-8 * H, rtol=0)
    np.testing.assert_allclose(lower, sol.V[0], atol=1e-8 * H, rtol=0)
    assert sol.exploitability == pytest.approx(e, abs=1e-12)
    assert np.all(sol.pi_max >= 0) and np.allclose(sol.pi_max.sum(-1), 1, atol=1e-12)
    assert np.all(sol.pi_min >= 0) and np.allclose(sol.pi_min.sum(-1), 1, atol=1e-12)
    # Q is the stage matrix R_h + P_h V_{h+1}; V_h(s) lies in its certified bracket
    for h in range(H):
        np.testing.assert_allclose(sol.Q[h], game.R[h] + game.P[h] @ sol.V[h + 1], atol=1e-14)
        lo = np.einsum("sab,sa->sb", sol.Q[h], sol.pi_max[h]).min(1)
        hi = np.einsum("sab,sb->sa", sol.Q[h], sol.pi_min[h]).max(1)
        assert np.all(lo <= sol.V[h] + 1e-12) and np.all(sol.V[h] <= hi + 1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_markov_game_highs_equals_cvxpy(seed):
    game = random_markov_game(3, 3, 2, horizon=3, rng=seed)
    a, b = solve_markov_game(game), solve_markov_game(game, "cvxpy")
    np.testing.assert_allclose(a.V, b.V, atol=3e-7, rtol=0)
    e, _, _ = _independent_exploitability(game, np.asarray(b.pi_max), np.asarray(b.pi_min))
    assert abs(e) <= 1e-6 and b.exploitability == pytest.approx(e, abs=1e-12)


def _all_deterministic_policies(H, S, n):
    """Every deterministic Markov policy as one-hot arrays [n**(H*S), H, S, n]."""
    idx = np.array(np.meshgrid(*[np.arange(n)] * (H * S), indexing="ij")).reshape(H * S, -1).T
    return np.eye(n)[idx.reshape(-1, H, S)]


def _forward_values(game, mus, nus):
    """V^{mu, nu}_0[s] for every pair (mus[i], nus[i]) by the forward sum
    sum_h e_s^T M_0 ... M_{h-1} r_h, with M_h the state chain and r_h the expected payoff."""
    P, R = np.asarray(game.P), np.asarray(game.R)
    M = np.einsum("ihsa,ihsb,hsabt->ihst", mus, nus, P)
    r = np.einsum("ihsa,ihsb,hsab->ihs", mus, nus, R)
    S = game.n_states
    reach = np.broadcast_to(np.eye(S), (len(mus), S, S))
    V = np.zeros((len(mus), S))
    for h in range(game.horizon):
        V += np.einsum("ist,it->is", reach, r[:, h])
        reach = reach @ M[:, h]
    return V


@settings(max_examples=40)
@given(markov_games(max_states=2, max_actions_max=3, max_actions_min=3, max_horizon=2),
       st.data())
def test_best_response_and_exploitability_match_brute_force_enumeration(game, data):
    """A best response to a fixed Markov opponent is attained by a deterministic Markov policy,
    so enumerating all of them (at most 3^4 = 81 here) and evaluating each pair by a forward sum
    gives V^{dagger, nu}_0 and V^{mu, dagger}_0 pointwise, independently of backward induction."""
    H, S = game.horizon, game.n_states
    mu = data.draw(markov_game_policies(game, "max"))
    nu = data.draw(markov_game_policies(game, "min"))
    all_max = _all_deterministic_policies(H, S, game.n_actions_max)
    all_min = _all_deterministic_policies(H, S, game.n_actions_min)
    upper = _forward_values(game, all_max, np.broadcast_to(nu, (len(all_max),) + nu.shape)).max(0)
    lower = _forward_values(game, np.broadcast_to(mu, (len(all_min),) + mu.shape), all_min).min(0)
    np.testing.assert_allclose(best_response_value(game, nu, "max")[0], upper, atol=1e-12, rtol=0)
    np.testing.assert_allclose(best_response_value(game, mu, "min")[0], lower, atol=1e-12, rtol=0)
    pair = _forward_values(game, mu[None], nu[None])[0]
    np.testing.assert_allclose(evaluate_policy_pair(game, mu, nu)[0], pair, atol=1e-12, rtol=0)
    assert exploitability(game, mu, nu) == pytest.approx(game.rho @ (upper - lower), abs=1e-12)
    # and the Nash pair's exploitability is 0 against every enumerated deviation
    ne = solve_markov_game(game)
    pm, pn = np.asarray(ne.pi_max), np.asarray(ne.pi_min)
    up = _forward_values(game, all_max, np.broadcast_to(pn, (len(all_max),) + pn.shape)).max(0)
    lo = _forward_values(game, np.broadcast_to(pm, (len(all_min),) + pm.shape), all_min).min(0)
    assert game.rho @ (up - lo) <= 1e-9


@settings(max_examples=30)
@given(markov_games(), st.data())
def test_exploitability_is_nonnegative_and_orders_best_responses(game, data):
    mu = data.draw(markov_game_policies(game, "max"))
    nu = data.draw(markov_game_policies(game, "min"))
    upper = best_response_value(game, nu, "max")
    lower = best_response_value(game, mu, "min")
    pair = evaluate_policy_pair(game, mu, nu)
    nash = solve_markov_game(game).V
    assert np.all(upper >= pair - 1e-12) and np.all(pair >= lower - 1e-12)
    assert np.all(upper >= nash - 1e-9) and np.all(nash >= lower - 1e-9)
    e = exploitability(game, mu, nu)
    assert e >= -1e-12
    assert e == pytest.approx(game.rho @ (upper[0] - lower[0]), abs=1e-14)


@pytest.mark.parametrize("seed", range(4))
def test_perturbed_policy_is_exploitable(seed):
    game = random_markov_game(3, 3, 3, horizon=3, rng=seed)
    sol = solve_markov_game(game)
    # replace the max player's step-0 strategy by a pure action it never plays (or the worst one)
    mu = np.array(sol.pi_max)
    G = sol.Q[0]
    worst = np.argmin(G @ np.asarray(sol.pi_min[0])[..., None], axis=1)[..., 0]  # [S]
    mu[0] = np.eye(3)[worst]
    before = sol.exploitability
    after = exploitability(game, mu, sol.pi_min)
    # the loss of the deviating player at step 0 is at least rho-weighted
    # val(G_s) - (G_s nu_s)[worst_s] >= 0; assert exactly that amount is (at least) exposed
    loss = game.rho @ (sol.V[0] - np.take_along_axis(
        np.einsum("sab,sb->sa", G, sol.pi_min[0]), worst[:, None], 1)[:, 0])
    assert loss > 1e-6      # generic Gaussian games: some state has a non-constant best response
    assert after >= loss - 1e-9 and after > before


def test_rps_markov_game_exploitability_pinned():
    # H = 1, S = 1 with RPS: exploitability of (x, uniform) = max_i (A y)_i - min_j (x^T A)_j
    A = rock_paper_scissors().A
    game = MarkovGame(np.ones((1, 1, 3, 3, 1)), A[None, None], horizon=1)
    x = np.array([[[0.5, 0.25, 0.25]]])
    y = np.full((1, 1, 3), 1 / 3)
    assert exploitability(game, x, y) == pytest.approx(0.25, abs=1e-15)
    assert exploitability(game, y, y) == pytest.approx(0.0, abs=1e-15)


@given(payoff_matrices(max_rows=4, max_cols=4), st.data())
def test_matrix_game_view_matches_gap(A, data):
    m, n = A.shape
    x = data.draw(simplex_vectors(m))
    y = data.draw(simplex_vectors(n))
    g = MatrixGame(A)
    assert exploitability(g, x, y) == pytest.approx(matrix_game_gap(A, x, y), abs=1e-13)
    assert best_response_value(g, y, "max")[0, 0] == pytest.approx(np.max(A @ y), abs=1e-14)
    assert best_response_value(g, x, "min")[0, 0] == pytest.approx(np.min(x @ A), abs=1e-14)
    assert evaluate_policy_pair(g, x, y)[0, 0] == pytest.approx(x @ A @ y, abs=1e-14)
    # pure actions by index
    assert evaluate_policy_pair(g, np.int64(m - 1), np.int64(0))[0, 0] == A[m - 1, 0]


def _policy_evaluation(P, R, pi):
    H, S = R.shape[:2]
    V = np.zeros((H + 1, S))
    for h in range(H - 1, -1, -1):
        V[h] = np.einsum("sa,sa->s", pi[h], R[h] + P[h] @ V[h + 1])
    return V


def _backward_induction(P, R):
    H, S = R.shape[:2]
    V = np.zeros((H + 1, S))
    for h in range(H - 1, -1, -1):
        V[h] = (R[h] + P[h] @ V[h + 1]).max(axis=1)
    return V


def _chain_game_of(mdp, pi):
    """The Markov game with A = B = 1 induced by running ``pi`` in ``mdp``."""
    P = np.einsum("hsa,hsat->hst", pi, mdp.P)[:, :, None, None, :]
    R = np.einsum("hsa,hsa->hs", pi, mdp.R)[:, :, None, None]
    return MarkovGame(P, R, rho=mdp.rho, reward_range=(0.0, 1.0))


@pytest.mark.parametrize("seed", range(3))
def test_one_action_each_reduces_to_policy_evaluation(seed):
    rng = np.random.default_rng(seed)
    mdp = random_mdp(4, 3, horizon=5, stationary=False, rng=rng)
    pi = rng.dirichlet(np.ones(3), size=(5, 4))
    sol = solve_markov_game(_chain_game_of(mdp, pi))
    V = _policy_evaluation(mdp.P, mdp.R, pi)
    np.testing.assert_allclose(sol.V, V, atol=1e-13, rtol=0)
    assert sol.exploitability == 0.0


@pytest.mark.parametrize("seed", range(3))
def test_single_player_reduces_to_mdp_control(seed):
    mdp = random_mdp(4, 3, horizon=4, stationary=False, rng=seed)
    V = _backward_induction(mdp.P, mdp.R)
    # B = 1: the max player controls an MDP
    g_max = MarkovGame(mdp.P[:, :, :, None, :], mdp.R[:, :, :, None], rho=mdp.rho)
    np.testing.assert_allclose(solve_markov_game(g_max).V, V, atol=1e-12, rtol=0)
    # A = 1: the min player minimizes the max player's payoff -R, i.e. maximizes R
    g_min = MarkovGame(mdp.P[:, :, None, :, :], -mdp.R[:, :, None, :], rho=mdp.rho)
    np.testing.assert_allclose(solve_markov_game(g_min).V, -V, atol=1e-12, rtol=0)


def test_reductions_agree_with_dp_solvers():
    rng = np.random.default_rng(9)
    mdp = random_mdp(4, 3, horizon=5, stationary=False, rng=rng)
    pi = rng.dirichlet(np.ones(3), size=(5, 4))
    assert solve_markov_game(_chain_game_of(mdp, pi)).value == \
        pytest.approx(dp.evaluate_policy(mdp, pi).value, abs=1e-12)
    g_max = MarkovGame(mdp.P[:, :, :, None, :], mdp.R[:, :, :, None], rho=mdp.rho)
    assert solve_markov_game(g_max).value == \
        pytest.approx(dp.backward_induction(mdp).value, abs=1e-12)


def test_policies_in_every_form():
    game = random_markov_game(3, 2, 3, horizon=4, rng=1)
    H, S = 4, 3
    mu_det = np.zeros((H, S), dtype=np.int64)
    nu_det = np.full((H, S), 2, dtype=np.int64)
    ref = exploitability(game, np.eye(2)[mu_det], np.eye(3)[nu_det])
    assert exploitability(game, mu_det, nu_det) == ref
    # stationary forms broadcast over the horizon
    assert exploitability(game, mu_det[0], nu_det[0]) == ref
    assert exploitability(game, np.eye(2)[mu_det[0]], np.eye(3)[nu_det[0]]) == ref
    assert ref > 0


@pytest.mark.parametrize("call,match", [
    (lambda g: exploitability(g, np.zeros((4, 3, 3)), np.full((4, 3, 3), 1 / 3)),
     r"^pi_max: stochastic policy must have shape"),
    (lambda g: exploitability(g, np.full((4, 3, 2), 0.5), np.full((4, 3, 3), 0.3)),
     r"^pi_min: probabilities"),
    (lambda g: exploitability(g, np.full((4, 3), 2), np.zeros((4, 3), dtype=int)),
     r"^pi_max: action indices must lie in \[0, 1\]"),
    (lambda g: exploitability(g, np.full((4, 3, 2), 0.5), np.full((4, 3, 3), np.nan)),
     r"^pi_min: contains NaN"),
    (lambda g: best_response_value(g, np.full((4, 3, 2), 0.5), "max"),
     r"^policy: stochastic policy must have shape"),
    (lambda g: best_response_value(g, np.full((4, 3, 3), 1 / 3), "both"),
     r"^player: must be 'max' or 'min'"),
    (lambda g: best_response_value(g, np.array([[[1.5, -0.5, 0.0]] * 3] * 4), "max"),
     r"^policy: has negative probability"),
    (lambda g: evaluate_policy_pair(g, np.full((4, 3, 2), 0.5), np.ones((4, 3), dtype=bool)),
     r"^pi_min: boolean arrays are not policies"),
    (lambda g: exploitability(g.P, np.full((4, 3, 2), 0.5), np.full((4, 3, 3), 1 / 3)),
     r"^game: expected a MarkovGame or MatrixGame"),
    (lambda g: solve_markov_game(MatrixGame([[1.0]])), r"^game: expected a MarkovGame"),
    (lambda g: solve_markov_game(g, solver="glpk"), r"^solver: must be"),
    (lambda g: solve_markov_game(g, "cvxpy", cvxpy_solver="SCS"), r"^cvxpy_solver: must be"),
])
def test_markov_game_errors(call, match):
    game = random_markov_game(3, 2, 3, horizon=4, rng=0)
    with pytest.raises(ValueError, match=match):
        call(game)


def test_matrix_game_strategy_errors():
    g = rock_paper_scissors()
    with pytest.raises(ValueError, match=r"^pi_max: stochastic policy must have shape"):
        exploitability(g, np.full(2, 0.5), np.full(3, 1 / 3))
    with pytest.raises(ValueError, match=r"^pi_min: action indices"):
        exploitability(g, np.full(3, 1 / 3), np.int64(3))


# ----------------------------------------------------------------------------- strategies themselves


@given(payoff_matrices(), st.data())
def test_payoff_matrix_strategy_is_valid(A, data):
    assert A.dtype == np.float64 and A.flags.c_contiguous and A.ndim == 2
    assert 1 <= A.shape[0] <= 5 and 1 <= A.shape[1] <= 5
    assert np.all(np.isfinite(A)) and np.max(np.abs(A)) <= 3
    p = data.draw(stochastic_arrays((2, 3), 4))
    assert np.all(p >= 0) and np.allclose(p.sum(-1), 1, atol=1e-15)


@pytest.mark.parametrize("kind", PAYOFF_KINDS)
def test_each_payoff_kind_solves(kind):
    @settings(max_examples=15)
    @given(payoff_matrices(kinds=(kind,)))
    def check(A):
        assert solve_matrix_game(A).duality_gap <= 1e-9 * _scale(A)
        if kind == "constant":
            assert np.all(A == A.flat[0])
    check()


def test_assert_equilibrium_helper():
    sol = solve_matrix_game(rock_paper_scissors())
    assert assert_equilibrium(rock_paper_scissors().A, sol.x, sol.y) <= 1e-12
    with pytest.raises(AssertionError, match="not an equilibrium: gap 2.500e-01"):
        assert_equilibrium(rock_paper_scissors(), [0.5, 0.25, 0.25], sol.y)
    game = random_markov_game(2, 2, 2, horizon=2, rng=4)
    ne = solve_markov_game(game)
    assert_equilibrium(game, ne.pi_max, ne.pi_min)
    uniform = np.full((2, 2, 2), 0.5)
    assert exploitability(game, ne.pi_max, uniform) > 1e-6   # this seeded game: uniform is not NE
    with pytest.raises(AssertionError, match="not an equilibrium"):
        assert_equilibrium(game, ne.pi_max, uniform)


# ----------------------------------------------------------------------------- strategies: corner cases


def _find(strategy, condition):
    from hypothesis import find
    return find(strategy, condition, settings=settings(max_examples=2000, database=None))


def _strictly_dominated_row_and_column(A):
    m, n = A.shape
    return (m >= 2 and n >= 2 and np.all(A[-1] <= A[0]) and np.any(A[-1] < A[0])
            and np.all(A[:, -1] >= A[:, 0]) and np.any(A[:, -1] > A[:, 0]))


@pytest.mark.parametrize("condition", [
    lambda A: A.shape == (1, 1),
    lambda A: A.size > 1 and np.all(A == A.flat[0]),                        # constant
    _strictly_dominated_row_and_column,                                     # dominated
    lambda A: A.shape[0] > 1 and len(np.unique(A, axis=0)) < A.shape[0]
    and not np.all(A == A.flat[0]),                                         # duplicated rows
    lambda A: np.all(A == np.round(A)) and len(np.unique(A)) > 1 and A.size > 2,   # integer
], ids=["1x1", "constant", "dominated", "duplicated_rows", "integer"])
def test_payoff_strategy_reaches_corner_cases(condition):
    _find(payoff_matrices(), condition)


@pytest.mark.parametrize("condition", [
    lambda g: (g.n_states, g.n_actions_max, g.n_actions_min, g.horizon) == (1, 1, 1, 1),
    lambda g: g.n_states > 1 and np.all(np.isin(g.P, (0.0, 1.0))),         # deterministic P
    lambda g: g.horizon > 1 and np.any(g.P[0] != g.P[1]),                  # stage-dependent
    lambda g: np.any(g.rho == 0.0),
    lambda g: g.n_actions_max > 1 and np.all(g.R == g.R.flat[0]),           # constant payoff
], ids=["S=A=B=H=1", "deterministic_P", "non_stationary", "rho_zeros", "constant_payoff"])
def test_markov_game_strategy_reaches_corner_cases(condition):
    _find(markov_games(), condition)


@settings(max_examples=40)
@given(payoff_matrices(min_rows=2, min_cols=2, kinds=("dominated",)))
def test_dominated_kind_always_has_a_dominated_row_and_column(A):
    """The documented construction, on every draw (reachability alone cannot tell it from
    chance: hypothesis' extreme floats often give dominated rows anyway)."""
    assert np.all(A[-1] <= A[0]) and np.all(A[:, -1] >= A[:, 0])
    sol = solve_matrix_game(A)
    # A dominated row keeps mass only at the price of a duality gap: moving x[-1] onto row 0
    # raises every (x^T A)_j by at least x[-1] * d_row, d_row = min_j (A[0, j] - A[-1, j]), and
    # min_j (x'^T A)_j <= v* <= max_i (A y)_i, so x[-1] * d_row <= gap (columns alike).  With
    # d ~ 1e-16 (hypothesis draws A[0, j] = -1 + ulp) no floating-point LP can do better, so
    # "no mass" is asserted through the gap; 1e-14 * scale covers the rounding of gap and d.
    slack = 1e-14 * _scale(A)
    assert sol.x[-1] * np.min(A[0] - A[-1]) <= sol.duality_gap + slack
    assert sol.y[-1] * np.min(A[:, -1] - A[:, 0]) <= sol.duality_gap + slack


# ----------------------------------------------------------------------------- badly scaled payoffs

@pytest.mark.parametrize("solver", ["highs", "cvxpy"])
@pytest.mark.parametrize("scale,offset", [(1e-9, 0.0), (1e-9, 1.0), (1.0, 1e10), (1e-6, -1e4),
                                          (1e6, 0.0), (1.0, 0.0)])
def test_badly_scaled_games_are_solved_relative_to_their_range(solver, scale, offset):
    """Issue 17 item 4: entries ~1e-9 gave a duality gap of 10-60% of the payoff range and an
    offset of 1e10 a gap of 1e-6 of it (or a RuntimeError).  The LP is solved on the payoffs
    mapped into [1, 2] and the gap recomputed on A - min A: gap / range <= 1e-9 whatever the
    scale and offset (cvxpy/Clarabel, an interior-point second opinion: <= 1e-7)."""
    rng = np.random.default_rng(17)
    tol = 1e-9 if solver == "highs" else 1e-7
    for _ in range(8 if solver == "highs" else 3):
        m, n = rng.integers(2, 7, size=2)
        B = rng.standard_normal((m, n))
        A = B * scale + offset
        sol = solve_matrix_game(A, solver)
        r = float(A.max() - A.min())
        assert sol.payoff_range == r
        assert sol.relative_gap == sol.duality_gap / r
        assert -1e-12 <= sol.relative_gap <= tol
        assert matrix_game_gap(A, sol.x, sol.y) == sol.duality_gap
        # the same value as the well-scaled game, mapped back (the value is a float near the
        # offset: it carries a rounding error u * max|A|, relative u * max|A| / r)
        ref = solve_matrix_game((A - A.min()) / r)
        ulp = np.finfo(float).eps * float(np.max(np.abs(A))) / r
        assert (sol.value - A.min()) / r == pytest.approx(ref.value, abs=10 * tol + 4 * ulp)


def test_badly_scaled_markov_games_have_small_relative_exploitability():
    """Issue 17 item 4 for Markov games: rewards of size 1e-9 gave an exploitability of 99% of
    the payoff range; an offset of 1e10 perturbs every stage game by ~1e-5 unless the recursion
    runs on shifted rewards."""
    base = random_markov_game(3, 3, 2, horizon=4, rng=5)
    ref = solve_markov_game(base)
    for scale, offset in [(1e-9, 0.0), (1.0, 1e10), (1e-9, 1.0)]:
        R = base.R * scale + offset
        game = MarkovGame(base.P, R, rho=base.rho, horizon=4,
                          reward_range=(float(R.min()), float(R.max())))
        sol = solve_markov_game(game)
        Rh = R.reshape(4, -1)
        r = float(np.sum(Rh.max(axis=1) - Rh.min(axis=1)))
        assert sol.payoff_range == r
        assert sol.relative_exploitability == sol.exploitability / r
        assert -1e-12 <= sol.relative_exploitability <= 1e-9
        assert exploitability(game, sol.pi_max, sol.pi_min) == sol.exploitability
        assert sol.stage_gaps.shape == (4, 3) and np.all(sol.stage_gaps <= 1e-9 * r)
        # the same equilibrium values as the unit-scale game, up to the affine map (V is a
        # float near the accumulated offset: rounding u * max|V|)
        C = np.concatenate([np.cumsum(np.full(4, offset))[::-1], [0.0]])
        ulp = np.finfo(float).eps * float(np.max(np.abs(sol.V))) / scale
        np.testing.assert_allclose((sol.V - C[:, None]) / scale, ref.V, atol=1e-8 + 8 * ulp,
                                   rtol=0)


@pytest.mark.parametrize("solver", ["highs", "cvxpy"])
@pytest.mark.parametrize("c", [0.25, -3e-9, 1e10])
def test_constant_game_is_exact(solver, c):
    sol = solve_matrix_game(np.full((3, 4), c), solver)
    assert sol.value == c and sol.duality_gap == 0.0
    assert sol.payoff_range == 0.0 and sol.relative_gap == 0.0
    _assert_simplex(sol.x, 3)
    _assert_simplex(sol.y, 4)
    game = MarkovGame(np.full((2, 1, 2, 2, 1), 1.0), np.full((2, 1, 2, 2), c), horizon=2,
                      reward_range=(min(c, 0), max(c, 0)))
    msol = solve_markov_game(game, solver)
    assert msol.exploitability == 0.0 and msol.relative_exploitability == 0.0
    assert msol.value == pytest.approx(2 * c, rel=1e-15)


@pytest.mark.parametrize("a", [-0.3, 1e-300, 1e10])
def test_one_by_one_relative_gap(a):
    sol = solve_matrix_game([[a]])
    assert sol.value == a and sol.duality_gap == 0.0
    assert sol.payoff_range == 0.0 and sol.relative_gap == 0.0
