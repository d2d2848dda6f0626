"""rlth.adapters.gymnasium: gymnasium environments over exact models and exact models from
gymnasium's toy-text environments (issue 18).

Statistical tests state their false-failure rate; each is at most 1e-6 (Bonferroni over the
comparisons of the test).
"""
import subprocess
import sys
import warnings

import numpy as np
import pytest
from scipy import stats

import gymnasium
from gymnasium.utils.env_checker import check_env  # noqa: E402

from rlth.adapters.gymnasium import (ContextualBanditEnv, MDPEnv, RewardMap,  # noqa: E402
                                     model_from_gymnasium)
from rlth.instances import random_mdp  # noqa: E402
from rlth.models import (ContextualBandit, DiscountedMDP, FiniteHorizonMDP,  # noqa: E402
                         MultiArmedBandit)
from rlth.solvers import (backward_induction, evaluate_policy, occupancy,  # noqa: E402
                          policy_iteration)

FAIL = 1e-6          # false-failure rate of each statistical test


# ----------------------------------------------------------------------------------------------
# the gymnasium API


def _check(env):
    """gymnasium's checker passes and emits no warning (render check skipped: no render modes)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(env, skip_render_check=True)


@pytest.mark.parametrize("stationary", [True, False])
@pytest.mark.parametrize("observe_step", [False, True])
def test_check_env_finite_horizon(stationary, observe_step):
    model = random_mdp(5, 3, horizon=4, rng=0, stationary=stationary)
    env = MDPEnv(model, observe_step=observe_step)
    _check(env)
    assert env.unwrapped.model is model


def test_check_env_discounted():
    model = random_mdp(5, 3, gamma=0.9, rng=1)
    _check(MDPEnv(model, max_episode_steps=50))
    _check(MDPEnv(model))


@pytest.mark.parametrize("bandit", [
    ContextualBandit([0.3, 0.7], [[0.1, 0.5, 0.2], [0.9, 0.3, 0.4]]),
    ContextualBandit([0.3, 0.7], [[0.1, 0.5, 0.2], [0.9, 0.3, 0.4]], reward="gaussian",
                     sigma=0.5),
    MultiArmedBandit([0.2, 0.8]),
])
def test_check_env_bandit(bandit):
    env = ContextualBanditEnv(bandit)
    _check(env)
    assert env.unwrapped.model is bandit


def test_import_rlth_does_not_import_gymnasium():
    code = ("import sys, rlth, rlth.adapters, rlth.adapters.outside\n"
            "assert 'gymnasium' not in sys.modules, 'gymnasium imported'\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_missing_gymnasium_gives_the_install_hint():
    code = ("import sys\n"
            "sys.modules['gymnasium'] = None\n"         # makes `import gymnasium` fail
            "try:\n"
            "    import rlth.adapters.gymnasium\n"
            "except ImportError as e:\n"
            "    assert 'pip install rlth[gym]' in str(e), str(e)\n"
            "else:\n"
            "    raise SystemExit('no ImportError')\n")
    subprocess.run([sys.executable, "-c", code], check=True)


# ----------------------------------------------------------------------------------------------
# episodes: ends, seeding, errors


def test_finite_horizon_episode_ends_truncated_at_the_horizon():
    H = 6
    env = MDPEnv(random_mdp(4, 2, horizon=H, rng=2), observe_step=True)
    obs, info = env.reset(seed=0)
    assert obs[0] == 0 and info == {"h": 0}
    for h in range(1, H + 1):
        obs, r, terminated, truncated, info = env.step(1)
        assert obs[0] == h == info["h"] and terminated is False
        assert truncated is (h == H)
        assert r in (0.0, 1.0)
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)
    # max_episode_steps shortens a finite-horizon episode, never lengthens it
    assert MDPEnv(env.model, max_episode_steps=3).max_episode_steps == 3
    assert MDPEnv(env.model, max_episode_steps=100).max_episode_steps == H


def test_discounted_episode_is_truncated_only_by_max_episode_steps():
    model = random_mdp(4, 2, gamma=0.9, rng=3)
    env = MDPEnv(model, max_episode_steps=7)
    env.reset(seed=0)
    flags = [env.step(0)[3] for _ in range(7)]
    assert flags == [False] * 6 + [True]
    env = MDPEnv(model)
    env.reset(seed=0)
    assert not any(env.step(1)[2] or env.step(1)[3] for _ in range(500))


def test_seeded_reset_reproduces_the_episode():
    env = MDPEnv(random_mdp(6, 3, horizon=10, rng=4, stationary=False))

    def episode(seed):
        out = [env.reset(seed=seed)[0]]
        done = False
        while not done:
            obs, r, term, trunc, _ = env.step(out[-1] % 3)
            out += [r, obs]
            done = term or trunc
        return out

    assert episode(11) == episode(11)
    assert any(episode(11) != episode(s) for s in range(12, 20))


def test_mean_reward_mode_pays_the_mean():
    model = FiniteHorizonMDP(np.ones((2, 2, 2)) / 2, [[0.25, 2.0], [-1.0, 0.5]], horizon=3,
                             reward_range=(-1.0, 2.0))
    with pytest.raises(ValueError, match="^reward"):
        MDPEnv(model)                                   # Bernoulli needs rewards in [0, 1]
    env = MDPEnv(model, reward="mean")
    s, _ = env.reset(seed=0)
    _, r, *_ = env.step(1)
    assert r == model.R[0, s, 1]


def test_bad_input_names_the_argument():
    fh = random_mdp(3, 2, horizon=3, rng=0)
    with pytest.raises(ValueError, match="^model"):
        MDPEnv("not a model")
    with pytest.raises(ValueError, match="^observe_step"):
        MDPEnv(random_mdp(3, 2, gamma=0.5, rng=0), observe_step=True)
    with pytest.raises(ValueError, match="^max_episode_steps"):
        MDPEnv(fh, max_episode_steps=0)
    with pytest.raises(ValueError, match="^reward"):
        MDPEnv(fh, reward="gaussian")
    with pytest.raises(ValueError, match="^bandit"):
        ContextualBanditEnv(fh)
    env = MDPEnv(fh)
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)
    env.reset(seed=0)
    for bad in (2, -1, 0.5, True, "0"):
        with pytest.raises(ValueError, match="^action"):
            env.step(bad)
    env.step(np.int64(1))                                # numpy integers are actions
    benv = ContextualBanditEnv(MultiArmedBandit([0.2, 0.8]))
    with pytest.raises(RuntimeError, match="reset"):
        benv.step(0)
    benv.reset(seed=0)
    with pytest.raises(ValueError, match="^action"):
        benv.step(2)
    benv.step(1)
    with pytest.raises(RuntimeError, match="reset"):     # one step per episode
        benv.step(1)


# ----------------------------------------------------------------------------------------------
# the law of episodes


def _run_episodes(env, pi, n, rng):
    """States visited ``[n, H+1]`` and returns ``[n]`` under the stochastic ``pi[H, S, A]``."""
    H, S, A = pi.shape
    states = np.empty((n, H + 1), dtype=np.int64)
    returns = np.zeros(n)
    s, _ = env.reset(seed=12345)
    for k in range(n):
        if k:
            s, _ = env.reset()
        states[k, 0] = s
        for h in range(H):
            a = rng.choice(A, p=pi[h, s])
            s, r, term, trunc, _ = env.step(a)
            states[k, h + 1] = s
            returns[k] += r
        assert trunc and not term
    return states, returns


def test_episodes_have_the_law_of_the_model():
    """State frequencies at each step against the exact occupancy (chi-square), and the mean
    return against the exact value (Hoeffding: returns lie in [0, H]).  H + 1 chi-square tests
    at FAIL / (2 (H + 1)) each and one Hoeffding test at FAIL / 2: false-failure rate <= 1e-6."""
    H, S, A, n = 5, 6, 3, 20_000
    model = random_mdp(S, A, horizon=H, rng=7, stationary=False, branching=3)
    rng = np.random.default_rng(8)
    pi = rng.dirichlet(np.ones(A), size=(H, S))
    states, returns = _run_episodes(MDPEnv(model), pi, n, np.random.default_rng(9))
    d = occupancy(model, pi).sum(axis=2)                 # Pr(s_h = s), h < H
    last = np.einsum("s,sa,sat->t", d[H - 1], pi[H - 1], model.P[H - 1])
    probs = np.vstack([d, last[None]])
    alpha = FAIL / (2 * (H + 1))
    for h in range(H + 1):
        counts = np.bincount(states[:, h], minlength=S)
        support = probs[h] > 0
        assert counts[~support].sum() == 0, f"step {h}: a state of probability 0 was visited"
        expected = n * probs[h, support]
        chi2 = float(np.sum((counts[support] - expected) ** 2 / expected))
        df = int(support.sum()) - 1
        if df > 0:
            assert chi2 <= stats.chi2.isf(alpha, df), (h, chi2, counts, expected)
    value = evaluate_policy(model, pi).value
    bound = H * np.sqrt(np.log(2 / (FAIL / 2)) / (2 * n))
    assert abs(returns.mean() - value) <= bound, (returns.mean(), value, bound)


def test_discounted_env_step_law():
    """From a fixed state-action pair, next states by chi-square and Bernoulli rewards by a
    Hoeffding bound (two tests at FAIL / 2 each)."""
    model = random_mdp(5, 2, gamma=0.9, rng=10)
    env = MDPEnv(model, max_episode_steps=1)
    n = 20_000
    nxt = np.empty(n, dtype=np.int64)
    rew = np.empty(n)
    s0 = env.reset(seed=1)[0]
    for k in range(n):
        s = env.reset()[0] if k else s0
        obs, r, _, trunc, _ = env.step(1)
        assert trunc
        nxt[k], rew[k] = obs, r - model.R[s, 1]           # centred reward
        nxt[k] += 5 * s                                   # (s, s') pair
    pair_counts = np.bincount(nxt, minlength=25).reshape(5, 5)
    expected = (model.rho[:, None] * model.P[:, 1]) * n
    support = expected > 0
    chi2 = float(np.sum((pair_counts[support] - expected[support]) ** 2 / expected[support]))
    assert chi2 <= stats.chi2.isf(FAIL / 2, int(support.sum()) - 1)
    assert abs(rew.mean()) <= np.sqrt(np.log(2 / (FAIL / 2)) / (2 * n))


def test_bandit_env_law():
    """Contexts by chi-square, the Bernoulli reward of each arm by Hoeffding (1 + 2 tests at
    FAIL / 3 each)."""
    cb = ContextualBandit([0.2, 0.5, 0.3], [[0.1, 0.9], [0.5, 0.4], [0.7, 0.0]])
    env = ContextualBanditEnv(cb)
    n = 20_000
    ctx = np.empty(n, dtype=np.int64)
    centred = np.empty(n)
    env.reset(seed=3)
    for k in range(n):
        s = env.reset()[0]
        a = k % 2
        obs, r, term, trunc, info = env.step(a)
        assert term and not trunc and obs == s and info["mean_reward"] == cb.means[s, a]
        ctx[k], centred[k] = s, r - cb.means[s, a]
    counts = np.bincount(ctx, minlength=3)
    chi2 = float(np.sum((counts - n * cb.context_probs) ** 2 / (n * cb.context_probs)))
    assert chi2 <= stats.chi2.isf(FAIL / 3, 2)
    for a in range(2):
        m = centred[a::2]
        assert abs(m.mean()) <= np.sqrt(np.log(2 / (FAIL / 3)) / (2 * m.size))


# ----------------------------------------------------------------------------------------------
# environments -> models


def _table_vi(raw, gamma, tol=1e-15):
    """Value iteration written directly on ``raw.P`` (no rlth): ``V*`` of the environment."""
    S, A = raw.observation_space.n, raw.action_space.n
    V = np.zeros(S)
    for _ in range(100_000):
        Q = np.array([[sum(p * (r + (0.0 if t else gamma * V[s2])) for p, s2, r, t in raw.P[s][a])
                       for a in range(A)] for s in range(S)])
        V_new = Q.max(axis=1)
        if np.max(np.abs(V_new - V)) <= tol:
            return V_new
        V = V_new
    raise AssertionError("value iteration did not converge")


def _table_bi(raw, H):
    """Backward induction written directly on ``raw.P``: ``V*_h`` for h = 0..H."""
    S, A = raw.observation_space.n, raw.action_space.n
    V = np.zeros((H + 1, S))
    for h in range(H - 1, -1, -1):
        V[h] = [max(sum(p * (r + (0.0 if t else V[h + 1][s2])) for p, s2, r, t in raw.P[s][a])
                    for a in range(A)) for s in range(S)]
    return V


@pytest.mark.parametrize("slippery", [True, False])
def test_frozen_lake_discounted_matches_value_iteration_on_the_table(slippery):
    env = gymnasium.make("FrozenLake-v1", is_slippery=slippery)
    model, rmap = model_from_gymnasium(env, gamma=0.99)
    assert isinstance(model, DiscountedMDP) and model.n_states == 17
    assert (rmap.scale, rmap.shift, rmap.absorbing_state) == (1.0, 0.0, 16)
    sol = policy_iteration(model)
    V_env = _table_vi(env.unwrapped, 0.99)
    np.testing.assert_allclose(rmap.value_to_env(sol.V[:16]), V_env, rtol=0, atol=1e-8)
    assert sol.V[16] == 0.0
    np.testing.assert_array_equal(model.rho[:16], env.unwrapped.initial_state_distrib)
    assert abs(float(rmap.value_to_env(sol.value)) - model.rho[:16] @ V_env) <= 1e-8


def test_cliff_walking_finite_horizon_maps_rewards_into_unit_interval():
    env = gymnasium.make("CliffWalking-v1")
    H = 25
    model, rmap = model_from_gymnasium(env, horizon=H)
    assert isinstance(model, FiniteHorizonMDP) and model.n_states == 49
    assert rmap.scale == pytest.approx(1 / 100) and rmap.shift == pytest.approx(1.0)
    assert 0.0 <= model.R_stages.min() and model.R_stages.max() <= 1.0
    sol = backward_induction(model)
    V_env = _table_bi(env.unwrapped, H)
    for h in range(H + 1):
        np.testing.assert_allclose(rmap.value_to_env(sol.V[h, :48], step=h), V_env[h],
                                   rtol=0, atol=1e-8)
    # the optimal route from the start takes 13 steps: value -13
    assert float(rmap.value_to_env(sol.value)) == pytest.approx(-13.0, abs=1e-9)


def test_taxi_discounted():
    env = gymnasium.make("Taxi-v4")
    model, rmap = model_from_gymnasium(env, gamma=0.9)
    assert rmap.scale == pytest.approx(1 / 30) and rmap.shift == pytest.approx(10 / 30)
    sol = policy_iteration(model)
    V_env = _table_vi(env.unwrapped, 0.9, tol=1e-13)
    np.testing.assert_allclose(rmap.value_to_env(sol.V[:500]), V_env, rtol=0, atol=1e-8)


class _TinyEnv(gymnasium.Env):
    """Two states, a table, no initial_state_distrib: starts in state 1, rewards in [0, 1]."""

    def __init__(self):
        self.observation_space = gymnasium.spaces.Discrete(2)
        self.action_space = gymnasium.spaces.Discrete(2)
        self.P = {0: {0: [(1.0, 0, 0.5, False)], 1: [(0.5, 1, 1.0, False), (0.5, 0, 0.0, False)]},
                  1: {0: [(1.0, 0, 0.0, False)], 1: [(1.0, 1, 0.25, False)]}}

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return 1, {}

    def step(self, action):             # pragma: no cover - not used
        raise NotImplementedError


def test_point_mass_start_and_identity_map_without_terminal_states():
    model, rmap = model_from_gymnasium(_TinyEnv(), horizon=3)
    assert model.n_states == 2 and rmap == RewardMap(1.0, 0.0, 3, None, None)
    np.testing.assert_array_equal(model.rho, [0.0, 1.0])
    np.testing.assert_allclose(model.R[0], [[0.5, 0.5], [0.0, 0.25]])


def test_model_back_in_an_env_round_trip():
    """FrozenLake -> exact model -> MDPEnv: the optimal policy's mean return over episodes of
    the adapter matches V* (Hoeffding, returns in [0, H]; FAIL)."""
    H, n = 20, 4000
    model, rmap = model_from_gymnasium(gymnasium.make("FrozenLake-v1"), horizon=H)
    sol = backward_induction(model)
    env = MDPEnv(model, observe_step=True)
    total = 0.0
    env.reset(seed=5)
    for _ in range(n):
        (h, s), _ = env.reset()
        done = False
        while not done:
            (h, s), r, term, trunc, _ = env.step(int(sol.pi[h, s]))
            total += r
            done = term or trunc
    assert abs(total / n - sol.value) <= H * np.sqrt(np.log(2 / FAIL) / (2 * n))


def test_model_from_gymnasium_bad_input():
    env = gymnasium.make("FrozenLake-v1")
    with pytest.raises(ValueError, match="^horizon/gamma"):
        model_from_gymnasium(env)
    with pytest.raises(ValueError, match="^horizon/gamma"):
        model_from_gymnasium(env, horizon=3, gamma=0.9)
    with pytest.raises(ValueError, match="^gamma"):
        model_from_gymnasium(env, gamma=1.0)
    with pytest.raises(ValueError, match="^horizon"):
        model_from_gymnasium(env, horizon=0)
    with pytest.raises(ValueError, match="^env"):
        model_from_gymnasium("FrozenLake-v1", gamma=0.9)
    with pytest.raises(ValueError, match="^env.*unwrapped.P"):
        model_from_gymnasium(gymnasium.make("CartPole-v1"), gamma=0.9)
    bad = _TinyEnv()
    bad.P[0][1] = [(0.5, 1, 1.0, False)]                 # probabilities sum to 0.5
    with pytest.raises(ValueError, match=r"^env.*sum to"):
        model_from_gymnasium(bad, gamma=0.9)
    bad = _TinyEnv()
    bad.P[1][0] = [(1.0, 7, 0.0, False)]                 # next state out of range
    with pytest.raises(ValueError, match=r"^env.*outside"):
        model_from_gymnasium(bad, gamma=0.9)
    with pytest.raises(ValueError, match="^step"):
        RewardMap(1.0, 0.0, horizon=3).value_to_env(0.0, step=4)
