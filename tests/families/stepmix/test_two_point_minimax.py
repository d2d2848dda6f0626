"""Exact minimax regret of the symmetrised two-point two-armed bandit (rlth.theory.two_point).

Three independent code paths -- the Monte Carlo of the myopic rule (numba), the exact propagation
of its lattice state, and a DP minimising over *all* adaptive algorithms -- must agree; the
explicit Le Cam bound must lie below them, and simple algorithms must not beat the DP.
Statistical checks use fixed seeds and 5-standard-error tolerances.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import binom

from rlth.theory.two_point import (MAX_DP_PULLS, MAX_EXACT_PULLS, _bretagnolle_huber_bound,
                                   bayes_optimal_regret_dp, le_cam_two_point_bound,
                                   myopic_regret_exact, myopic_regret_samples,
                                   two_point_minimax_regret)

GAPS = [0.05, 0.1, 0.25, 0.45]


# ----------------------------------------------------------------------------------------------
# Feldman (1962) numerically: the myopic rule is Bayes-optimal


@pytest.mark.parametrize("g", GAPS + [0.5])
@pytest.mark.parametrize("n", [1, 2, 3, 4, 7, 10, 15, 20])
def test_dp_equals_myopic_exact(n, g):
    assert bayes_optimal_regret_dp(n, g) == pytest.approx(myopic_regret_exact(n, g),
                                                          abs=1e-12, rel=0)


def test_dp_equals_myopic_exact_longer_horizon():
    assert abs(bayes_optimal_regret_dp(40, 0.15) - myopic_regret_exact(40, 0.15)) < 1e-12


# ----------------------------------------------------------------------------------------------
# Monte Carlo agrees with the exact value


@pytest.mark.parametrize("n,g", [(50, 0.05), (50, 0.25), (200, 0.1), (200, 0.45), (200, 0.5)])
def test_monte_carlo_matches_exact(n, g):
    exact = myopic_regret_exact(n, g)
    mean, se = two_point_minimax_regret(n, g, n_runs=20_000, rng=12345)
    assert se > 0 or g == 0.5
    assert abs(mean - exact) <= 5 * se + 1e-12, (mean, se, exact)


def test_samples_are_multiples_of_gap_and_bounded():
    n, g = 100, 0.1
    r = myopic_regret_samples(n, g, 500, rng=3)
    k = r / g
    assert r.shape == (500,)
    assert np.allclose(k, np.round(k)) and k.min() >= 0 and k.max() <= n


# ----------------------------------------------------------------------------------------------
# level ordering


def _etc_regret(n, g, m):
    """Exact regret of explore-then-commit: m pulls of each arm, then the arm with more
    successes (tie: fair coin) for the remaining n - 2 m pulls.  Label-symmetric, so this is
    also its Bayes regret."""
    k = np.arange(m + 1)
    p_good = binom.pmf(k, m, 0.5 + g)
    cdf_bad = binom.cdf(k - 1, m, 0.5)                    # P(S_bad < k)
    pmf_bad = binom.pmf(k, m, 0.5)
    p_right = float(np.sum(p_good * (cdf_bad + 0.5 * pmf_bad)))
    return g * m + g * (n - 2 * m) * (1.0 - p_right)


def test_etc_helper_sanity():
    assert _etc_regret(10, 0.2, 0) == pytest.approx(0.2 * 10 / 2)
    assert _etc_regret(10, 0.2, 5) == pytest.approx(0.2 * 5)


@pytest.mark.parametrize("g", GAPS)
@pytest.mark.parametrize("n", [1, 5, 12, 25])
def test_bound_below_bayes_below_simple_algorithms(n, g):
    dp = bayes_optimal_regret_dp(n, g)
    lb = le_cam_two_point_bound(n, g)
    assert 0 < lb <= dp + 1e-12
    assert dp <= g * n / 2 + 1e-12                        # always arm 0, averaged over members
    etc = min(_etc_regret(n, g, m) for m in range(n // 2 + 1))
    assert dp <= etc + 1e-12
    if n >= 5:
        assert dp < etc - 1e-9                            # adaptivity strictly helps


def test_le_cam_exact_at_one_pull_and_bounds_ordering():
    for g in GAPS + [1e-9, 0.5]:
        assert le_cam_two_point_bound(1, g) == pytest.approx(g / 2, rel=1e-12)
        assert myopic_regret_exact(1, g) == pytest.approx(g / 2, rel=1e-12)
        assert bayes_optimal_regret_dp(1, g) == pytest.approx(g / 2, rel=1e-12)


@pytest.mark.parametrize("g", [1e-6, 0.01, 0.1, 0.3, 0.5])
@pytest.mark.parametrize("n", [1, 2, 10, 100, 10_000])
def test_le_cam_closed_form_below_its_sum_and_above_bh(n, g):
    """Closed form <= the termwise sum (g/2) sum_k (1 - sqrt(1 - r^k)), and >= Bretagnolle-Huber."""
    r = (1 + math.sqrt(1 - 4 * g * g)) / 2
    k = np.arange(n)
    with np.errstate(divide="ignore"):                           # k = 0: log1p(-1)
        terms = -np.expm1(0.5 * np.log1p(-np.exp(k * np.log(r))))    # 1 - sqrt(1 - r^k)
    terms[0] = 1.0
    termwise = 0.5 * g * terms.sum()
    lb = le_cam_two_point_bound(n, g)
    assert lb <= termwise * (1 + 1e-9)
    assert lb >= _bretagnolle_huber_bound(n, g)
    assert np.isfinite(lb) and lb <= g * n / 2


@pytest.mark.parametrize("c", [1.0, 2.0, 4.0])
def test_le_cam_below_monte_carlo_large_n(c):
    n = 20_000
    g = c / math.sqrt(n)
    mean, se = two_point_minimax_regret(n, g, n_runs=2000, rng=7)
    assert le_cam_two_point_bound(n, g) < mean - 3 * se


@pytest.mark.parametrize("c", [0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0])
def test_le_cam_below_exact_moderate_n(c):
    """The bound is tight at small c (both ~ g N / 2) and within a factor ~0.8 at c = 1."""
    n = 300
    g = c / math.sqrt(n)
    lb, exact = le_cam_two_point_bound(n, g), myopic_regret_exact(n, g)
    assert lb <= exact
    if c <= 1.0:
        assert lb >= 0.75 * exact


def test_regret_grows_with_horizon():
    vals = [myopic_regret_exact(n, 0.1) for n in (1, 10, 50, 100)]
    assert all(a < b for a, b in zip(vals, vals[1:]))


# ----------------------------------------------------------------------------------------------
# scale invariance at N g^2 fixed


@pytest.mark.parametrize("c", [0.5, 1.0])
def test_scale_invariance(c):
    vals = []
    for n, runs in [(10_000, 1500), (100_000, 400)]:
        mean, se = two_point_minimax_regret(n, c / math.sqrt(n), n_runs=runs, rng=2024)
        vals.append((mean / math.sqrt(n), se / math.sqrt(n)))
    (a, sa), (b, sb) = vals
    assert abs(a - b) <= 4 * math.hypot(sa, sb) + 0.01 * max(a, b), vals
    # and the normalised value is bounded away from 0 and from the trivial g N / 2 = c sqrt(N)/2
    assert 0.05 < a < c / 2


# ----------------------------------------------------------------------------------------------
# degenerate cases


def test_one_pull_is_a_fair_coin():
    r = myopic_regret_samples(1, 0.3, 10_000, rng=0)
    assert set(np.unique(r).tolist()) <= {0.0, 0.3}
    assert abs(r.mean() - 0.15) < 5 * 0.15 / math.sqrt(10_000)


def test_gap_one_half_no_nan_and_exact():
    # g = 1/2: the good arm never fails; one failure of the candidate reveals the other arm.
    for n in (1, 2, 3, 10, 25):
        e, d = myopic_regret_exact(n, 0.5), bayes_optimal_regret_dp(n, 0.5)
        assert np.isfinite(e) and abs(e - d) < 1e-12
        assert e == pytest.approx(0.5 * (1 - 0.5 ** n), abs=1e-12)    # closed form [D]
    r = myopic_regret_samples(1000, 0.5, 2000, rng=1)
    assert np.all(np.isfinite(r)) and r.max() <= 0.5 * 1000
    assert abs(r.mean() - 0.5) <= 5 * r.std(ddof=1) / math.sqrt(r.size)


def test_tiny_gap_is_nearly_a_coin():
    g = 1e-8
    n = 30
    e = myopic_regret_exact(n, g)
    assert np.isfinite(e) and e == pytest.approx(g * n / 2, rel=1e-5)
    assert abs(bayes_optimal_regret_dp(n, g) - e) < 1e-12 * g * n
    assert le_cam_two_point_bound(n, g) == pytest.approx(g * n / 2, rel=1e-5)
    r = myopic_regret_samples(n, g, 100, rng=0)
    assert np.all(np.isfinite(r)) and np.all(r <= g * n)


@pytest.mark.parametrize("fn", [myopic_regret_exact, bayes_optimal_regret_dp,
                                le_cam_two_point_bound])
def test_bad_input_deterministic(fn):
    for bad in (0, -1, 2.0, True, "3"):
        with pytest.raises(ValueError, match="^n_pulls"):
            fn(bad, 0.1)
    for bad in (0.0, -0.1, 0.5000001, 1.0, math.nan, math.inf, "x", None):
        with pytest.raises(ValueError, match="^gap"):
            fn(3, bad)


def test_bad_input_limits_and_monte_carlo():
    with pytest.raises(ValueError, match="^n_pulls"):
        myopic_regret_exact(MAX_EXACT_PULLS + 1, 0.1)
    with pytest.raises(ValueError, match="^n_pulls"):
        bayes_optimal_regret_dp(MAX_DP_PULLS + 1, 0.1)
    with pytest.raises(ValueError, match="^n_pulls"):
        myopic_regret_samples(0, 0.1, 5)
    with pytest.raises(ValueError, match="^gap"):
        myopic_regret_samples(5, 0.0, 5)
    with pytest.raises(ValueError, match="^gap"):
        two_point_minimax_regret(5, 0.75)
    for bad in (0, -3, 1.5):
        with pytest.raises(ValueError, match="^n_runs"):
            myopic_regret_samples(5, 0.1, bad)
        with pytest.raises(ValueError, match="^n_runs"):
            two_point_minimax_regret(5, 0.1, n_runs=bad)
    with pytest.raises(ValueError, match="^n_runs"):
        two_point_minimax_regret(5, 0.1, n_runs=1)
    with pytest.raises(ValueError, match="^rng"):
        myopic_regret_samples(5, 0.1, 2, rng="seed")


# ----------------------------------------------------------------------------------------------
# reproducibility


def test_same_seed_same_samples():
    a = myopic_regret_samples(2000, 0.05, 50, rng=99)
    b = myopic_regret_samples(2000, 0.05, 50, rng=99)
    c = myopic_regret_samples(2000, 0.05, 50, rng=100)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    assert two_point_minimax_regret(500, 0.1, n_runs=30, rng=5) == \
        two_point_minimax_regret(500, 0.1, n_runs=30, rng=5)


def test_generator_is_advanced():
    gen = np.random.default_rng(0)
    a = myopic_regret_samples(100, 0.1, 20, rng=gen)
    b = myopic_regret_samples(100, 0.1, 20, rng=gen)
    assert not np.array_equal(a, b)
