"""The needle family (:func:`rlth.instances.episodic_minimax.needle_mdp`) and its Bayes-regret
level (:mod:`rlth.theory.needle`).

Instance: exact solver values against ``V* = (1/2 + eps)(H - H_bar)``, the optimal policy finds
the needle, exact evaluation of a fixed commit.  Level: range, validity against the exact
Bayes-optimal regret of the needle bandit (dynamic programming over posteriors), and its
log-log slopes in ``K``, ``H`` and ``n_d``.
"""
import functools
import math

import numpy as np
import pytest
from scipy import stats

from rlth.instances.episodic_minimax import (draw_needles, needle_commit_window, needle_eps,
                                             needle_mdp)
from rlth.solvers.dp import backward_induction, evaluate_policy
from rlth.theory.needle import (needle_kl, needle_level, needle_level_asymptotic,
                                needle_level_at_eps, needle_level_best_c,
                                needle_level_truncation)

SIZES = [(1, 1, 3), (2, 2, 6), (3, 1, 7), (2, 3, 9), (4, 2, 12)]


def _find_commit(pi, d, H_bar):
    """Follow the optimal policy's waits from decision state ``d``: the (action, step) of the
    commit (action 0 at the last decision step is the null commit)."""
    for h in range(H_bar):
        a = int(pi[h, d])
        if a != 0 or h == H_bar - 1:
            return a, h
    raise AssertionError("unreachable")


# ----------------------------------------------------------------------------------- instance

@pytest.mark.parametrize("n_d,n_c,H", SIZES)
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("eps", [0.05, 0.3, 0.5])
def test_optimal_value_and_policy_find_the_needle(n_d, n_c, H, seed, eps):
    needles = draw_needles(n_d, n_c, H, rng=seed)
    mdp = needle_mdp(needles, eps, n_commit=n_c, horizon=H)
    H_bar = needle_commit_window(H)
    S, A = n_d + 2, n_c + 1
    assert mdp.P.shape == (H, S, A, S) and mdp.R.shape == (H, S, A)
    assert not mdp.is_stationary
    np.testing.assert_allclose(mdp.P.sum(-1), 1.0, atol=1e-15)
    assert (mdp.P >= 0).all()
    np.testing.assert_allclose(mdp.rho, np.r_[np.full(n_d, 1 / n_d), 0, 0])
    sol = backward_induction(mdp)
    assert sol.bellman_residual < 1e-12
    v_star = (0.5 + eps) * (H - H_bar)
    assert sol.value == pytest.approx(v_star, abs=1e-12)
    np.testing.assert_allclose(sol.V[0, :n_d], v_star, atol=1e-12)
    for d in range(n_d):
        assert _find_commit(sol.pi, d, H_bar) == tuple(needles[d])


@pytest.mark.parametrize("n_d,n_c,H", SIZES)
@pytest.mark.parametrize("seed", [3, 4])
def test_exact_value_of_a_fixed_commit(n_d, n_c, H, seed):
    eps = 0.2
    needles = draw_needles(n_d, n_c, H, rng=seed)
    mdp = needle_mdp(needles, eps, n_commit=n_c, horizon=H)
    H_bar = needle_commit_window(H)
    pi = np.ones((H, n_d + 2), dtype=np.int64)           # commit action 1 at step 0 everywhere
    hit = (needles[:, 0] == 1) & (needles[:, 1] == 0)
    ev = evaluate_policy(mdp, pi)
    assert ev.value == pytest.approx(np.mean(0.5 + eps * hit) * (H - H_bar), abs=1e-12)
    # waiting through the whole window is a null commit: 1/2 whatever the needles
    wait = np.zeros((H, n_d + 2), dtype=np.int64)
    assert evaluate_policy(mdp, wait).value == pytest.approx(0.5 * (H - H_bar), abs=1e-12)
    # any non-needle commit loses exactly eps (H - H_bar)
    Q = backward_induction(mdp).Q
    for d in range(n_d):
        a_star, h_star = needles[d]
        for h in range(H_bar):
            for a in range(1, n_c + 1):
                if (a, h) != (a_star, h_star):
                    assert Q[h, d, a] == pytest.approx(0.5 * (H - H_bar), abs=1e-12)
        assert Q[h_star, d, a_star] == pytest.approx((0.5 + eps) * (H - H_bar), abs=1e-12)


def test_eps_zero_is_uninformative_and_draws_are_uniform():
    mdp = needle_mdp([[1, 0], [2, 2]], 0.0, n_commit=2, horizon=9)
    assert backward_induction(mdp).value == pytest.approx(0.5 * 6, abs=1e-12)
    nd = draw_needles(20_000, 2, 9, rng=7)               # M = 6 positions, product prior
    pos = (nd[:, 1] * 2 + nd[:, 0] - 1)
    counts = np.bincount(pos, minlength=6)
    assert counts.sum() == 20_000 and stats.chisquare(counts).pvalue > 1e-3
    np.testing.assert_array_equal(draw_needles(5, 3, 10, rng=1), draw_needles(5, 3, 10, rng=1))


@pytest.mark.parametrize("args,kwargs,name", [
    (([[0, 0]], 0.1), dict(n_commit=2, horizon=6), "needles"),      # action 0 is wait
    (([[3, 0]], 0.1), dict(n_commit=2, horizon=6), "needles"),
    (([[1, 2]], 0.1), dict(n_commit=2, horizon=6), "needles"),      # H_bar = 2
    (([[1, -1]], 0.1), dict(n_commit=2, horizon=6), "needles"),
    (([1, 0], 0.1), dict(n_commit=2, horizon=6), "needles"),
    ((np.zeros((0, 2), int), 0.1), dict(n_commit=2, horizon=6), "needles"),
    (([[1.5, 0]], 0.1), dict(n_commit=2, horizon=6), "needles"),
    (([[1, 0]], -0.1), dict(n_commit=2, horizon=6), "eps"),
    (([[1, 0]], 0.6), dict(n_commit=2, horizon=6), "eps"),
    (([[1, 0]], float("inf")), dict(n_commit=2, horizon=6), "eps"),
    (([[1, 0]], 0.1), dict(n_commit=0, horizon=6), "n_commit"),
    (([[1, 0]], 0.1), dict(n_commit=2, horizon=2), "horizon"),
])
def test_needle_mdp_bad_input(args, kwargs, name):
    with pytest.raises(ValueError, match=f"^{name}:"):
        needle_mdp(*args, **kwargs)


@pytest.mark.parametrize("call,name", [
    (lambda: needle_commit_window(2), "horizon"),
    (lambda: draw_needles(0, 2, 6, rng=0), "n_decision"),
    (lambda: draw_needles(2, 2, 2, rng=0), "horizon"),
    (lambda: needle_eps(0, 1.0, 2, 2, 6), "n_episodes"),
    (lambda: needle_eps(10, 0.0, 2, 2, 6), "c"),
    (lambda: needle_eps(10, 1.0, 2, 2, 6, cap=0.7), "cap"),
    (lambda: needle_level(0, c=0.3, n_decision=2, n_commit=2, horizon=6), "K"),
    (lambda: needle_level(10, c=-1.0, n_decision=2, n_commit=2, horizon=6), "c"),
    (lambda: needle_level(10, c=0.3, n_decision=0, n_commit=2, horizon=6), "n_decision"),
    (lambda: needle_level(10, c=0.3, n_decision=2, n_commit=0, horizon=6), "n_commit"),
    (lambda: needle_level(10, c=0.3, n_decision=2, n_commit=2, horizon=2), "horizon"),
    (lambda: needle_level_at_eps(10, 0.7, n_decision=2, n_commit=2, horizon=6), "eps"),
    (lambda: needle_level_asymptotic(10, 0.0, 2, 2, 6), "c"),
    (lambda: needle_level_best_c(10, n_decision=2, n_commit=2, horizon=1), "horizon"),
    (lambda: needle_kl(-0.1), "eps"),
])
def test_level_bad_input(call, name):
    with pytest.raises(ValueError, match=f"^{name}:"):
        call()


# -------------------------------------------------------------------------------------- level

@functools.lru_cache(maxsize=None)
def _bayes_max_hits(n, M, eps):
    """Largest expected number of needle pulls in ``n`` pulls of the ``M``-armed needle bandit
    (one arm ``1/2 + eps``, uniform prior; plus the null arm ``1/2``), by exact DP over the
    posteriors (state: successes and failures of each arm)."""
    lu, ld = 1.0 + 2 * eps, 1.0 - 2 * eps

    @functools.lru_cache(maxsize=None)
    def value(state, r):
        if r == 0:
            return 0.0
        lik = np.array([lu ** s * ld ** f for s, f in state])
        w = lik / lik.sum()
        best = value(state, r - 1)                          # the null arm: no hit, no information
        for i in range(M):
            p = 0.5 + eps * w[i]
            s, f = state[i]
            v = w[i]
            if p > 0:
                v += p * value(state[:i] + ((s + 1, f),) + state[i + 1:], r - 1)
            if p < 1:
                v += (1 - p) * value(state[:i] + ((s, f + 1),) + state[i + 1:], r - 1)
            best = max(best, v)
        return best

    return value(((0, 0),) * M, n)


def _exact_bayes_regret(K, eps, n_d, n_c, H):
    """``n_d E_{K_d}[eps (H - H_bar)(K_d - max hits)]``: the Bayes-optimal regret when each state
    knows its number of episodes in advance (a lower bound on the Bayes regret of any algorithm,
    which does not)."""
    H_bar = needle_commit_window(H)
    M = n_c * H_bar
    pmf = stats.binom.pmf(np.arange(K + 1), K, 1 / n_d)
    per = [eps * (H - H_bar) * (n - _bayes_max_hits(n, M, eps)) for n in range(K + 1)]
    return n_d * float(np.dot(pmf, per))


@pytest.mark.parametrize("n_c", [1, 2, 3])
@pytest.mark.parametrize("n_d", [1, 2])
@pytest.mark.parametrize("K", [1, 2, 3, 4, 6])
@pytest.mark.parametrize("eps", [0.02, 0.1, 0.25, 0.4, 0.5])
def test_level_is_below_the_exact_bayes_regret(K, n_d, n_c, eps):
    H = 3                                                   # H_bar = 1, M = n_commit
    level = needle_level_at_eps(K, eps, n_decision=n_d, n_commit=n_c, horizon=H)
    exact = _exact_bayes_regret(K, eps, n_d, n_c, H)
    assert 0.0 <= level <= exact + 1e-12
    if n_c == 1:
        assert level == 0.0 and exact == pytest.approx(0.0, abs=1e-12)   # the needle is known


def test_level_is_below_the_exact_bayes_regret_at_the_best_c():
    for K in range(1, 7):
        c = needle_level_best_c(K, n_decision=1, n_commit=2, horizon=3)
        eps = needle_eps(K, c, 1, 2, 3)
        level = needle_level(K, c=c, n_decision=1, n_commit=2, horizon=3)
        assert level == pytest.approx(needle_level_at_eps(K, eps, n_decision=1, n_commit=2,
                                                          horizon=3))
        assert 0 < level <= _exact_bayes_regret(K, eps, 1, 2, 3) + 1e-12


@pytest.mark.parametrize("n_d,n_c,H", [(1, 2, 3), (2, 2, 6), (3, 4, 12), (10, 1, 9)])
@pytest.mark.parametrize("K", [1, 10, 1000, 10**6])
@pytest.mark.parametrize("c", [0.05, 0.3, 0.9, 3.0])
def test_level_range(n_d, n_c, H, K, c):
    H_bar = needle_commit_window(H)
    eps = needle_eps(K, c, n_d, n_c, H)
    level = needle_level(K, c=c, n_decision=n_d, n_commit=n_c, horizon=H)
    assert 0.0 <= level <= K * eps * (H - H_bar)
    assert needle_level_truncation(K, eps, n_decision=n_d, n_commit=n_c, horizon=H) \
        <= 1e-20 * max(level, 1.0)


def test_window_matches_the_full_binomial_sum():
    for K, n_d, c in [(2000, 3, 0.3), (50_000, 2, 0.4), (300, 7, 0.2)]:
        n_c, H = 2, 9
        M = n_c * needle_commit_window(H)
        eps = needle_eps(K, c, n_d, n_c, H)
        n = np.arange(K + 1.0)
        f = eps * (H - 3) * np.maximum(0, n * (1 - 1 / M) - n ** 1.5 * math.sqrt(
            needle_kl(eps) / (2 * M)))
        full = n_d * float(np.dot(stats.binom.pmf(n, K, 1 / n_d), f))
        assert needle_level(K, c=c, n_decision=n_d, n_commit=n_c, horizon=H) == pytest.approx(
            full, rel=1e-12)


def test_small_eps_form_and_best_c():
    # K >= 1e5, n_d = 2, M = 4: eps <= 0.004, K_d = K/2 +- 0.2 %
    for K in (10**5, 10**6):
        c = needle_level_best_c(K, n_decision=2, n_commit=2, horizon=6)
        assert c == pytest.approx(0.375, abs=2e-3)          # (1 - 1/M) / 2
        level = needle_level(K, c=c, n_decision=2, n_commit=2, horizon=6)
        asym = needle_level_asymptotic(K, c, 2, 2, 6)
        assert level <= asym and level == pytest.approx(asym, rel=1e-3)
        for c2 in (0.1, 0.3, 0.5, 0.7):
            assert needle_level(K, c=c2, n_decision=2, n_commit=2, horizon=6) <= level + 1e-9
    assert needle_level_asymptotic(10**4, 0.8, 2, 2, 6) == 0.0


def _best_level(K, n_d, n_c, H):
    c = needle_level_best_c(K, n_decision=n_d, n_commit=n_c, horizon=H)
    return needle_level(K, c=c, n_decision=n_d, n_commit=n_c, horizon=H)


def _slope(x, y):
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


def test_slope_in_K_is_one_half():
    # n_d = 2, n_c = 2, H = 6 (M = 4): eps = 0.375 sqrt(8/K) <= 0.011, K_d within 0.6 % of K/2
    Ks = [10**4, 10**4 * 10, 10**5 * 3, 10**6]
    assert _slope(Ks, [_best_level(K, 2, 2, 6) for K in Ks]) == pytest.approx(0.5, abs=0.02)


def test_slope_in_H_is_three_halves():
    # K = 1e6, n_d = 2: eps <= 0.009 (n_c = 10, H = 48), K_d = K/2 within 0.6 %.  level ~ (1 - 1/M)^2 / 4 (H - H_bar) sqrt(n_d M K) with
    # M = n_c H / 3: slope 3/2 once the factor (1 - 1/M)^2 is divided out, and close to 3/2
    # already when M is large (n_c = 10: M = 20 .. 160)
    Hs = [6, 12, 24, 48]
    for n_c in (2, 10):
        levels = np.array([_best_level(10**6, 2, n_c, H) for H in Hs])
        Ms = np.array([n_c * (H // 3) for H in Hs])
        assert _slope(Hs, levels / (1 - 1 / Ms) ** 2) == pytest.approx(1.5, abs=0.02)
        if n_c == 10:
            assert _slope(Hs, levels) == pytest.approx(1.5, abs=0.06)


def test_slope_in_n_decision_is_one_half():
    # K = 1e6, n_c = 2, H = 6: eps <= 0.0043, K_d = K / n_d within 1.6 % (n_d <= 16)
    nds = [1, 2, 4, 8, 16]
    assert _slope(nds, [_best_level(10**6, nd, 2, 6) for nd in nds]) == pytest.approx(
        0.5, abs=0.02)
