"""rlth.adapters.pettingzoo: a PettingZoo parallel environment over an exact zero-sum Markov game.

Statistical tests state their false-failure rate; each is at most 1e-6 (Bonferroni over the
comparisons of the test).
"""
import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

import pettingzoo
from pettingzoo.test import api_test, parallel_api_test  # noqa: E402
from pettingzoo.test.seed_test import parallel_seed_test  # noqa: E402
from pettingzoo.utils.conversions import parallel_to_aec  # noqa: E402

from rlth.adapters.pettingzoo import MarkovGameParallelEnv  # noqa: E402
from rlth.instances import random_markov_game, rock_paper_scissors  # noqa: E402
from rlth.models import FiniteHorizonMDP, MarkovGame, MatrixGame  # noqa: E402
from rlth.solvers import evaluate_policy  # noqa: E402
from rlth.solvers.games import evaluate_policy_pair  # noqa: E402

FAIL = 1e-6          # false-failure rate of each statistical test


# ----------------------------------------------------------------------------------------------
# the PettingZoo API


@pytest.mark.parametrize("observe_step", [False, True])
@pytest.mark.parametrize("stationary", [False, True])
def test_parallel_api_test_passes(observe_step, stationary):
    game = random_markov_game(4, 2, 3, 5, rng=0, stationary=stationary)
    env = MarkovGameParallelEnv(game, observe_step=observe_step)
    parallel_api_test(env, num_cycles=100)            # longer than the horizon: ends by truncation
    parallel_api_test(MarkovGameParallelEnv(game, observe_step=observe_step), num_cycles=3)
    assert env.unwrapped.model is game and env.model is game
    assert env.metadata == {"name": "rlth_markov_game_v0", "render_modes": []}
    assert env.possible_agents == ["max", "min"]
    assert env.action_space("max").n == 2 and env.action_space("min").n == 3
    assert env.render() is None


def test_parallel_seed_test_and_aec_api_test_pass():
    game = random_markov_game(3, 3, 2, 4, rng=1)
    parallel_seed_test(lambda: MarkovGameParallelEnv(game), num_cycles=50)
    parallel_seed_test(lambda: MarkovGameParallelEnv(game, observe_step=True), num_cycles=50)
    # the AEC view of the parallel env passes the AEC API test too (warnings only: names are
    # "max"/"min", not "player_0"/"player_1")
    with pytest.warns(UserWarning):
        api_test(parallel_to_aec(MarkovGameParallelEnv(game)), num_cycles=20)


def test_matrix_game_is_a_one_step_game():
    rps = rock_paper_scissors()
    env = MarkovGameParallelEnv(rps)
    parallel_api_test(env, num_cycles=10)
    assert env.game is rps and env.model.horizon == 1 and env.model.n_states == 1
    np.testing.assert_array_equal(env.model.R[0, 0], rps.A)
    obs, infos = env.reset(seed=0)
    assert obs == {"max": 0, "min": 0} and infos == {"max": {"h": 0}, "min": {"h": 0}}
    obs, rew, term, trunc, info = env.step({"max": 1, "min": 0})   # paper beats rock
    assert rew == {"max": 1.0, "min": -1.0}
    assert trunc == {"max": True, "min": True} and term == {"max": False, "min": False}
    assert info["max"] == {"h": 1, "mean_reward": 1.0} and env.agents == []


def test_import_rlth_does_not_import_pettingzoo():
    code = ("import sys, rlth, rlth.adapters, rlth.adapters.outside\n"
            "assert 'pettingzoo' not in sys.modules, 'pettingzoo imported'\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_missing_pettingzoo_gives_the_install_hint():
    code = ("import sys\n"
            "sys.modules['pettingzoo'] = None\n"        # makes `import pettingzoo` fail
            "try:\n"
            "    import rlth.adapters.pettingzoo\n"
            "except ImportError as e:\n"
            "    assert 'pip install rlth[pettingzoo]' in str(e), str(e)\n"
            "else:\n"
            "    raise SystemExit('no ImportError')\n")
    subprocess.run([sys.executable, "-c", code], check=True)


# ----------------------------------------------------------------------------------------------
# episodes: ends, rewards, seeding, errors


def test_episode_ends_with_truncations_at_the_horizon_or_max_cycles():
    H = 6
    game = random_markov_game(3, 2, 2, H, rng=2)
    env = MarkovGameParallelEnv(game, observe_step=True)
    obs, _ = env.reset(seed=0)
    assert obs["max"][0] == 0 and obs["max"] == obs["min"]
    for h in range(1, H + 1):
        obs, rew, term, trunc, info = env.step({"max": 1, "min": 0})
        assert obs["max"][0] == h == info["max"]["h"] == info["min"]["h"]
        assert term == {"max": False, "min": False}
        assert trunc == {"max": h == H, "min": h == H}
        assert rew["max"] in (-1.0, 1.0) and rew["max"] + rew["min"] == 0.0
        assert env.agents == ([] if h == H else ["max", "min"])
    with pytest.raises(RuntimeError, match="reset"):
        env.step({"max": 0, "min": 0})

    def length(env):
        env.reset(seed=1)
        n = 0
        while env.agents:
            env.step({"max": 0, "min": 1})
            n += 1
        return n

    assert length(MarkovGameParallelEnv(game, max_cycles=2)) == 2
    assert length(MarkovGameParallelEnv(game, max_cycles=100)) == H
    env = MarkovGameParallelEnv(game)
    env.max_cycles = 3                                   # read at reset (parallel_api_test sets it)
    assert length(env) == 3


def test_rewards_are_zero_sum_two_point_on_the_reward_range_or_the_mean():
    rng = np.random.default_rng(3)
    P = rng.dirichlet(np.ones(2), size=(2, 2, 3))
    R = rng.uniform(-2.0, 3.0, (2, 2, 3))
    game = MarkovGame(P, R, horizon=4, reward_range=(-2.0, 3.0))
    seen = set()
    for kind in ("bernoulli", "mean"):
        env = MarkovGameParallelEnv(game, reward=kind, observe_step=True)
        obs, _ = env.reset(seed=4)
        for k in range(200):
            if not env.agents:
                obs, _ = env.reset()
            h, s = obs["max"]
            a, b = k % 2, k % 3
            obs, rew, _, _, info = env.step({"max": a, "min": b})
            assert info["max"]["mean_reward"] == game.R[h, s, a, b] == R[s, a, b]
            assert rew["max"] + rew["min"] == 0.0
            if kind == "mean":
                assert rew["max"] == R[s, a, b]
            else:
                assert rew["max"] in (-2.0, 3.0)
                seen.add(rew["max"])
    assert seen == {-2.0, 3.0}
    # a constant-payoff game pays its constant
    const = MarkovGame(P, np.full((2, 2, 3), 0.5), horizon=2, reward_range=(0.5, 0.5))
    env = MarkovGameParallelEnv(const)
    env.reset(seed=0)
    assert env.step({"max": 0, "min": 2})[1] == {"max": 0.5, "min": -0.5}


def _trajectory(env, seed, action_seed):
    act = np.random.default_rng(action_seed)
    obs, _ = env.reset(seed=seed)
    out = [obs]
    while env.agents:
        actions = {ag: int(act.integers(env.action_space(ag).n)) for ag in env.agents}
        obs, rew, term, trunc, info = env.step(actions)
        out.append((actions, obs, rew, trunc))
    return out


def test_same_seed_same_trajectory():
    game = random_markov_game(6, 3, 3, 12, rng=5)
    env, other = MarkovGameParallelEnv(game), MarkovGameParallelEnv(game)
    first = _trajectory(env, 11, 0)
    assert first == _trajectory(env, 11, 0) == _trajectory(other, 11, 0)
    assert any(first != _trajectory(env, s, 0) for s in range(12, 20))
    # reset() without a seed continues the generator: a fresh seeded run replays the sequence
    env.reset(seed=7)
    a = [_trajectory(env, None, k) for k in range(3)]
    other.reset(seed=7)
    assert a == [_trajectory(other, None, k) for k in range(3)]


def test_bad_input_names_the_argument():
    game = random_markov_game(3, 2, 2, 3, rng=0)
    for bad in ("not a game", FiniteHorizonMDP(np.ones((2, 2, 2)) / 2, np.zeros((2, 2)),
                                               horizon=2), None):
        with pytest.raises(ValueError, match="^game"):
            MarkovGameParallelEnv(bad)
    for bad in (0, -1, 1.5, True, "3"):
        with pytest.raises(ValueError, match="^max_cycles"):
            MarkovGameParallelEnv(game, max_cycles=bad)
    with pytest.raises(ValueError, match="^observe_step"):
        MarkovGameParallelEnv(game, observe_step="yes")
    with pytest.raises(ValueError, match="^reward"):
        MarkovGameParallelEnv(game, reward="gaussian")
    with pytest.raises(ValueError, match="^render_mode"):
        MarkovGameParallelEnv(game, render_mode="human")
    env = MarkovGameParallelEnv(game)
    with pytest.raises(ValueError, match="^agent"):
        env.action_space("player_0")
    with pytest.raises(RuntimeError, match="reset"):
        env.step({"max": 0, "min": 0})
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"^actions\['min'\]"):
        env.step({"max": 0})
    with pytest.raises(ValueError, match="^actions"):
        env.step([0, 0])
    with pytest.raises(ValueError, match="^actions"):
        env.step({"max": 0, "min": 0, "third": 1})
    for bad in (2, -1, 0.5, True, "0"):
        with pytest.raises(ValueError, match=r"^actions\['max'\]"):
            env.step({"max": bad, "min": 0})
    env.step({"max": np.int64(1), "min": np.int32(0)})   # numpy integers are actions
    env.max_cycles = 0                                    # set after construction: checked at reset
    with pytest.raises(ValueError, match="^max_cycles"):
        env.reset()


# ----------------------------------------------------------------------------------------------
# the law of episodes


def _sample(p, u):
    """Inverse-CDF draws: ``p[k]`` a distribution, ``u[k]`` a uniform."""
    return (np.cumsum(p, axis=-1) < u[:, None] * p.sum(axis=-1, keepdims=True)).sum(axis=-1)


def _pair_mdp_value(game, mu, nu):
    """The value of ``(mu, nu)`` through the MDP the max player faces when ``nu`` is fixed."""
    P = np.einsum("hsabt,hsb->hsat", game.P, nu)
    R = np.einsum("hsab,hsb->hsa", game.R, nu)
    mdp = FiniteHorizonMDP(P, R, game.rho, horizon=game.horizon,
                           reward_range=game.reward_range)
    return evaluate_policy(mdp, mu).value


def test_episodes_have_the_law_of_the_model():
    """Both players play fixed stochastic Markov policies.  The state frequencies at each step
    against the exact distribution (chi-square, H + 1 tests at FAIL / (2 (H + 1)) each) and the
    max player's mean return against the exact value of the pair (Hoeffding: returns lie in
    [-H, H]; FAIL / 2): false-failure rate <= 1e-6.  Every episode's returns sum to 0."""
    H, S, A, B, n = 4, 5, 2, 3, 40_000
    game = random_markov_game(S, A, B, H, rng=7)
    rng = np.random.default_rng(8)
    mu = rng.dirichlet(np.ones(A), size=(H, S))
    nu = rng.dirichlet(np.ones(B), size=(H, S))
    exact = float(game.rho @ evaluate_policy_pair(game, mu, nu)[0])
    assert exact == pytest.approx(_pair_mdp_value(game, mu, nu), abs=1e-12)

    env = MarkovGameParallelEnv(game, observe_step=True)
    act = np.random.default_rng(9)
    states = np.empty((n, H + 1), dtype=np.int64)
    returns = np.zeros((n, 2))
    env.reset(seed=12345)
    for k in range(n):
        obs, _ = env.reset()
        ua, ub = act.random(H), act.random(H)
        for h in range(H):
            t, s = obs["max"]
            assert t == h
            states[k, h] = s
            a = int(_sample(mu[h, s][None], ua[h:h + 1])[0])
            b = int(_sample(nu[h, s][None], ub[h:h + 1])[0])
            obs, rew, term, trunc, _ = env.step({"max": a, "min": b})
            returns[k] += rew["max"], rew["min"]
        states[k, H] = obs["max"][1]
        assert trunc == {"max": True, "min": True} and not any(term.values())
    np.testing.assert_array_equal(returns.sum(axis=1), 0.0)

    d = np.empty((H + 1, S))                             # Pr(s_h = s)
    d[0] = game.rho
    for h in range(H):
        d[h + 1] = np.einsum("s,sa,sb,sabt->t", d[h], mu[h], nu[h], game.P[h])
    alpha = FAIL / (2 * (H + 1))
    for h in range(H + 1):
        counts = np.bincount(states[:, h], minlength=S)
        support = d[h] > 0
        assert counts[~support].sum() == 0, f"step {h}: a state of probability 0 was visited"
        expected = n * d[h, support]
        chi2 = float(np.sum((counts[support] - expected) ** 2 / expected))
        df = int(support.sum()) - 1
        if df > 0:
            assert chi2 <= stats.chi2.isf(alpha, df), (h, chi2, counts, expected)
    lo, hi = game.reward_range
    bound = H * (hi - lo) * np.sqrt(np.log(2 / (FAIL / 2)) / (2 * n))
    assert abs(returns[:, 0].mean() - exact) <= bound, (returns[:, 0].mean(), exact, bound)


def test_matrix_game_payoff_law():
    """Mixed strategies in a matrix game: the mean payoff of the max player against
    ``x^T A y`` (Hoeffding, payoffs in [min A, max A]; FAIL)."""
    game = MatrixGame([[0.5, -1.0, 2.0], [1.0, 0.0, -0.5]])
    x, y = np.array([0.3, 0.7]), np.array([0.2, 0.5, 0.3])
    env = MarkovGameParallelEnv(game)
    n = 20_000
    act = np.random.default_rng(10)
    a_all = _sample(np.tile(x, (n, 1)), act.random(n))
    b_all = _sample(np.tile(y, (n, 1)), act.random(n))
    total = 0.0
    env.reset(seed=6)
    for k in range(n):
        env.reset()
        _, rew, _, trunc, _ = env.step({"max": int(a_all[k]), "min": int(b_all[k])})
        assert trunc["max"] and rew["max"] in (-1.0, 2.0)
        total += rew["max"]
    bound = 3.0 * np.sqrt(np.log(2 / FAIL) / (2 * n))
    assert abs(total / n - game.payoff(x, y)) <= bound
