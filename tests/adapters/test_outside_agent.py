"""rlth.adapters.outside.evaluate_agent: exact scores of agents written outside rlth (issue 18)."""
import numpy as np
import pytest

from rlth.adapters import evaluate_agent, policy_table
from rlth.instances import (puterman_two_state, random_markov_game, random_mdp, riverswim,
                            rock_paper_scissors)
from rlth.models import ContextualBandit, MultiArmedBandit
from rlth.solvers import (backward_induction, best_response_value, evaluate_policy,
                          exploitability, policy_iteration, solve_markov_game)

H, S, A = 4, 5, 3


@pytest.fixture(scope="module")
def fh():
    return random_mdp(S, A, horizon=H, rng=0, stationary=False)


@pytest.fixture(scope="module")
def disc():
    return random_mdp(S, A, gamma=0.9, rng=1)


def _tables(rng, lead):
    return [rng.integers(A, size=lead + (S,)),
            rng.dirichlet(np.ones(A), size=lead + (S,))]


def test_tables_match_exact_policy_evaluation(fh, disc):
    rng = np.random.default_rng(2)
    V_star = backward_induction(fh).value
    for pi in _tables(rng, (H,)) + _tables(rng, ()):        # (H, S), (H, S, A), (S,), (S, A)
        ev = evaluate_agent(fh, pi)
        ref = evaluate_policy(fh, pi)
        assert ev.value == ref.value
        np.testing.assert_array_equal(ev.V, ref.V)
        assert ev.optimal_value == V_star and ev.regret == V_star - ref.value
        assert ev.regret >= -1e-12 and ev.policy.shape == (H, S, A)
    V_star = policy_iteration(disc).value
    for pi in _tables(rng, ()):
        ev = evaluate_agent(disc, pi)
        assert ev.value == evaluate_policy(disc, pi).value
        assert ev.optimal_value == V_star and ev.regret >= -1e-12
        assert ev.policy.shape == (S, A)


def test_callables_match_tables(fh, disc):
    rng = np.random.default_rng(3)
    det_h = rng.integers(A, size=(H, S))
    sto_h = rng.dirichlet(np.ones(A), size=(H, S))
    det, sto = det_h[0], sto_h[0]
    # stationary callables on s
    assert evaluate_agent(fh, lambda s: det[s]).value == evaluate_policy(fh, det).value
    assert evaluate_agent(fh, lambda s: int(det[s])).value == evaluate_policy(fh, det).value
    assert evaluate_agent(fh, lambda s: sto[s]).value == pytest.approx(
        evaluate_policy(fh, sto).value, abs=1e-13)
    assert evaluate_agent(disc, lambda s: list(sto[s])).value == pytest.approx(
        evaluate_policy(disc, sto).value, abs=1e-12)
    # non-stationary callables on (h, s)
    ev = evaluate_agent(fh, lambda obs: det_h[obs], observe_step=True)
    assert ev.value == evaluate_policy(fh, det_h).value
    ev = evaluate_agent(fh, lambda obs: sto_h[obs[0], obs[1]], observe_step=True)
    assert ev.value == pytest.approx(evaluate_policy(fh, sto_h).value, abs=1e-13)
    np.testing.assert_array_equal(ev.policy, sto_h)


def test_the_optimal_policy_has_zero_regret(fh, disc):
    sol = backward_induction(fh)
    assert evaluate_agent(fh, sol.pi).regret == pytest.approx(0.0, abs=1e-12)
    sol = policy_iteration(disc)
    assert evaluate_agent(disc, lambda s: sol.pi[s]).regret == pytest.approx(0.0, abs=1e-12)
    ev = evaluate_agent(puterman_two_state(), np.array([1, 0]))
    assert ev.V[1] == pytest.approx(-20.0)


def test_bandits():
    cb = ContextualBandit([0.2, 0.8], [[0.1, 0.9, 0.3], [0.6, 0.2, 0.5]])
    ev = evaluate_agent(cb, lambda s: 0)
    assert ev.value == pytest.approx(0.2 * 0.1 + 0.8 * 0.6)
    assert ev.optimal_value == pytest.approx(cb.optimal_value)
    assert ev.regret == pytest.approx(cb.optimal_value - cb.value(np.array([0, 0])))
    assert evaluate_agent(cb, cb.optimal_policy).regret == 0.0
    mab = MultiArmedBandit([0.2, 0.7])
    assert evaluate_agent(mab, 1).regret == 0.0
    assert evaluate_agent(mab, np.array([0.5, 0.5])).value == pytest.approx(0.45)
    assert evaluate_agent(mab, lambda obs: 0).regret == pytest.approx(0.5)


def test_games_value_regret_and_exploitability():
    game = random_markov_game(3, 2, 3, 3, rng=4)
    sol = solve_markov_game(game)
    ev = evaluate_agent(game, sol.pi_max, opponent=sol.pi_min)
    assert ev.optimal_value == sol.value
    assert abs(ev.regret) <= 1e-8 and abs(ev.exploitability) <= 1e-8
    rng = np.random.default_rng(5)
    mu = rng.integers(2, size=(3, 3))                        # deterministic (H, S)
    nu = rng.dirichlet(np.ones(3), size=3)                    # stationary (S, B)
    ev = evaluate_agent(game, lambda obs: mu[obs], observe_step=True,
                        opponent=lambda obs: nu[obs[1]])
    assert ev.value == pytest.approx(game.rho @ best_response_value(game, mu, "min")[0],
                                     abs=1e-13)
    assert ev.regret >= 0.0
    assert ev.exploitability == pytest.approx(exploitability(game, mu, nu), abs=1e-13)
    ev = evaluate_agent(rock_paper_scissors(), np.full(3, 1 / 3))
    assert abs(ev.regret) <= 1e-9 and ev.exploitability is None
    assert evaluate_agent(rock_paper_scissors(), lambda obs: 2).regret == pytest.approx(1.0)


def _q_learning(env, H, S, A, n_episodes, seed):
    """The module docstring's optimistic finite-horizon Q-learning, through gymnasium."""
    Q = np.zeros((H + 1, S, A))
    Q[:H] = np.arange(H, 0, -1)[:, None, None]
    n = np.zeros((H, S, A))
    env.reset(seed=seed)
    for _ in range(n_episodes):
        (h, s), _ = env.reset()
        done = False
        while not done:
            a = int(np.argmax(Q[h, s]))
            (h2, s2), r, terminated, truncated, _ = env.step(a)
            n[h, s, a] += 1
            Q[h, s, a] += (H + 1) / (H + n[h, s, a]) * (r + Q[h2, s2].max() - Q[h, s, a])
            (h, s), done = (h2, s2), terminated or truncated
    return Q


def test_q_learning_example_is_scored_exactly():
    """The greedy policy of Q-learning has regret >= 0 (up to round-off) and its exact value is
    reproduced by rlth's policy evaluation and, by simulation through the adapter, within a
    Hoeffding bound (returns in [0, H]; false-failure rate 1e-6)."""
    import rlth.adapters.gymnasium as gym_adapter
    Hq, Sq, Aq = 8, 4, 2
    env = gym_adapter.MDPEnv(riverswim(Sq, horizon=Hq), observe_step=True)
    Q = _q_learning(env, Hq, Sq, Aq, 3000, seed=0)
    model = env.unwrapped.model
    greedy = Q[:Hq].argmax(axis=2)
    ev = evaluate_agent(model, lambda obs: int(np.argmax(Q[obs])), observe_step=True)
    assert ev.regret >= -1e-12
    assert ev.optimal_value == backward_induction(model).value
    assert ev.value == evaluate_policy(model, greedy).value
    assert evaluate_agent(model, greedy).value == ev.value
    n, total = 5000, 0.0
    env.reset(seed=1)
    for _ in range(n):
        (h, s), _ = env.reset()
        done = False
        while not done:
            (h, s), r, term, trunc, _ = env.step(int(greedy[h, s]))
            total += r
            done = term or trunc
    assert abs(total / n - ev.value) <= Hq * np.sqrt(np.log(2 / 1e-6) / (2 * n))


# ----------------------------------------------------------------------------------------------
# bad input


@pytest.mark.parametrize("agent, match", [
    (np.zeros((S + 1,), dtype=int), "agent: deterministic policy must have shape"),
    (np.zeros((H + 1, S), dtype=int), "agent: deterministic policy must have shape"),
    (np.full((S, A + 1), 1 / (A + 1)), "agent: stochastic policy must have shape"),
    (np.full((S, A), 0.5), "agent: probabilities .* must sum to 1"),
    (np.full((H, S, A), -1.0), "agent: has negative probability"),
    (np.full((S,), A, dtype=int), r"agent: action indices must lie in \[0, 2\]"),
    (np.full((S,), -1, dtype=int), r"agent: action indices must lie in \[0, 2\]"),
    (np.zeros((S,), dtype=bool), "agent: boolean arrays"),
    (lambda s: A, r"agent: returned action 3 at observation 0, outside \[0, 2\]"),
    (lambda s: -1, "agent: returned action -1"),
    (lambda s: [0.5, 0.6, 0.0], "agent: probabilities .* sum to 1 .*at observation 0"),
    (lambda s: [0.5, 0.5], "agent: returned a vector of length 2"),
    (lambda s: 1.0, "agent: returned 1.0"),
    (lambda s: True, "agent: returned a boolean"),
    (lambda s: "left", "agent: returned 'left'"),
    (lambda s: [[1, 0, 0]], "agent: returned"),
    (lambda s: [np.nan, 0.5, 0.5], "agent"),
    (lambda s, t: 0, "agent: calling it on observation 0 raised TypeError"),
])
def test_bad_agent_names_the_argument(fh, agent, match):
    with pytest.raises(ValueError, match="^" + match):
        evaluate_agent(fh, agent)


def test_bad_model_and_options(fh, disc):
    with pytest.raises(ValueError, match="^model"):
        evaluate_agent("mdp", np.zeros(S, dtype=int))
    with pytest.raises(ValueError, match="^observe_step"):
        evaluate_agent(disc, lambda obs: 0, observe_step=True)
    with pytest.raises(ValueError, match="^observe_step"):
        policy_table(fh, lambda obs: 0, observe_step="yes")
    with pytest.raises(ValueError, match="^agent: deterministic policy must have shape"):
        evaluate_agent(disc, np.zeros((H, S), dtype=int))    # no (H, S) form when discounted
    with pytest.raises(ValueError, match="^agent"):
        evaluate_agent(MultiArmedBandit([0.1, 0.2]), 2)
    with pytest.raises(ValueError, match="^opponent: only for a game"):
        evaluate_agent(fh, np.zeros(S, dtype=int), opponent=np.zeros(S, dtype=int))
    game = random_markov_game(3, 2, 3, 2, rng=0)
    with pytest.raises(ValueError, match=r"^opponent: action indices must lie in \[0, 2\]"):
        evaluate_agent(game, np.zeros(3, dtype=int), opponent=np.full(3, 3))
    with pytest.raises(ValueError, match="^opponent: returned a vector of length 2"):
        evaluate_agent(game, np.zeros(3, dtype=int), opponent=lambda s: [0.5, 0.5])
    with pytest.raises(ValueError, match="^agent: stochastic policy must have shape"):
        evaluate_agent(game, np.full((3, 3), 1 / 3))          # A = 2 for the max player
