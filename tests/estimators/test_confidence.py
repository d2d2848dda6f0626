"""rlth.estimators.confidence: formulas, thin wrappers kept bit-identical, coverage, bad input.

Statistical tolerance (coverage tests): each test draws ``n_rep`` independent replicates of an
interval whose miss probability is at most ``delta`` for a correct implementation, and allows at
most ``c - 1`` misses, where ``c`` is the smallest count with ``Pr(Bin(n_rep, delta) >= c) <
1e-6``.  Since the number of misses is stochastically below ``Bin(n_rep, delta)``, a correct
implementation fails with probability below 1e-6.  Each test also checks that a width shrunk
by a constant factor *is* rejected, so the test can fail.
"""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from rlth.algorithms.offline.lcb import PAPER_C_VI, lcb_penalty, vi_lcb_penalty, vi_lcb_n_folds
from rlth.algorithms.online import stepmix, ucbvi
from rlth.estimators import confidence as conf
from rlth.estimators.confidence import (elliptical_width, empirical_bernstein_width,
                                        hoeffding_log_term, hoeffding_width, resolve_delta,
                                        ucbvi_bernstein_core, ucbvi_hoeffding_bonus,
                                        ucbvi_log_term, weissman_l1_log_term, weissman_l1_width,
                                        weissman_width)
from rlth.estimators.linear import elliptical_norms


def reject_count(n: int, p: float, level: float = 1e-6) -> int:
    """Smallest c with Pr(Bin(n, p) >= c) < level."""
    c = 0
    while stats.binom.sf(c - 1, n, p) >= level:
        c += 1
    return c


# ------------------------------------------------------------------------------ formulas
def test_hoeffding_width_by_hand():
    b = hoeffding_width(np.array([[0, 1, 100]]), 0.05)
    assert np.isinf(b[0, 0])
    assert b[0, 1] == math.sqrt(0.5 * math.log(2 * 3 / 0.05) / 1)       # union over 3 cells
    assert b[0, 2] == pytest.approx(math.sqrt(math.log(2 * 3 / 0.05) / 200), rel=1e-15)
    b1 = hoeffding_width(np.array([100]), 0.05, n_union=1, c=2.0, unvisited=-1.0)
    assert b1[0] == pytest.approx(math.sqrt(2.0 * math.log(40.0) / 100), rel=1e-15)
    np.testing.assert_array_equal(hoeffding_width(np.array([0, 5]), 0.5, c=0.0, unvisited=1.0),
                                  [1.0, 0.0])
    assert hoeffding_log_term(0.1, 7) == math.log(2 * 7 / 0.1)


def test_lcb_penalty_is_the_hoeffding_width_bit_for_bit():
    rng = np.random.default_rng(0)
    for _ in range(20):
        counts = rng.integers(0, 10**6, size=(4, 3))
        counts[0, 0] = 0
        delta, c = float(rng.uniform(1e-9, 1.0)), float(rng.choice([0.5, 2000.0]))
        old = np.where(counts > 0, np.sqrt(c * np.log(2.0 * counts.size / delta)
                                           / np.maximum(counts, 1)), 1.0)
        np.testing.assert_array_equal(lcb_penalty(counts, delta, c), old)
        np.testing.assert_array_equal(lcb_penalty(counts, delta, c),
                                      hoeffding_width(counts, delta, c=c, unvisited=1.0))
        np.testing.assert_array_equal(lcb_penalty(counts, delta, c, n_cells=50),
                                      hoeffding_width(counts, delta, c=c, n_union=50,
                                                      unvisited=1.0))


def test_vi_lcb_penalty_uses_the_hoeffding_log_term():
    n, gamma, S, A = 10**6, 0.9, 4, 2
    T1 = vi_lcb_n_folds(n, gamma)
    old = float(1.0 / (1.0 - gamma) * np.sqrt(PAPER_C_VI * np.log(2.0 * T1 * S * A / (1.0 / n))))
    assert vi_lcb_penalty(n, gamma, S, A) == old


def test_empirical_bernstein_width_by_hand():
    b = empirical_bernstein_width(np.array([0, 1, 10]), np.array([0.0, 0.0, 0.09]), 0.1,
                                  value_range=2.0)
    assert np.isinf(b[0]) and np.isinf(b[1])                # needs n >= 2
    lt = math.log(2 / 0.1)
    assert b[2] == pytest.approx(math.sqrt(2 * 0.09 * lt / 10) + 7 * 2.0 * lt / (3 * 9),
                                 rel=1e-14)


def test_weissman_terms_and_numba_scalar_agree_bit_for_bit():
    w = weissman_l1_log_term(5, 0.1, n_union=12)
    assert w == 2.0 * (5 * math.log(2.0) + math.log(12 / 0.1))
    counts = np.array([[0, 1, 7], [30, 1000, 3]])
    b = weissman_width(counts, 5, 0.1, n_union=12)
    assert np.isinf(b[0, 0])
    for n, bn in zip(counts.ravel()[1:], b.ravel()[1:]):
        assert bn == weissman_l1_width(w, n) == math.sqrt(w * (1.0 / n))


def test_stepmix_width_is_a_thin_wrapper_bit_for_bit():
    for S, A, Hc, K, H, delta in [(5, 2, 1, 100, 4, 0.1), (3, 3, 7, 12345, 7, 0.01),
                                  (1, 1, 1, 1, 1, 0.5)]:
        T = K * H
        old = 2.0 * (S * math.log(2.0) + math.log(S * A * Hc * T / delta))
        got = stepmix.pessimistic_confidence_width(S, A, Hc, K, H, delta)
        assert got == old == weissman_l1_log_term(S, delta, n_union=S * A * Hc * T)


def test_ucbvi_log_term_moved_and_reexported():
    assert ucbvi.ucbvi_log_term is ucbvi_log_term
    assert ucbvi_log_term(5, 2, 100, 4, 0.1) == math.log(5.0 * 5 * 2 * 100 * 4 / 0.1)


@given(st.floats(1, 100), st.floats(1e-3, 50), st.integers(1, 10**7), st.floats(0, 1e4))
def test_numba_bonus_scalars_equal_the_kernel_expressions(H, L, n, var):
    """Called from Python (no fastmath) they evaluate exactly the kernel's expression order."""
    inv = 1.0 / n
    assert ucbvi_hoeffding_bonus(H, L, n) == 7.0 * H * L * math.sqrt(inv)
    assert (ucbvi_bernstein_core(L, var, n, H)
            == math.sqrt(8.0 * L * var * inv) + 14.0 * H * L * inv / 3.0)
    assert weissman_l1_width(var, n) == math.sqrt(var * inv)


def test_elliptical_width_is_beta_times_the_norm():
    rng = np.random.default_rng(1)
    phi = rng.normal(size=(3, 2, 4))
    G = np.eye(4) * 2.0 + 0.1
    np.testing.assert_array_equal(elliptical_width(phi, G, 3.0), 3.0 * elliptical_norms(phi, G))
    assert np.all(elliptical_width(phi, G, 0.0) == 0.0)


@given(st.lists(st.integers(0, 10**6), min_size=1, max_size=8), st.floats(1e-6, 0.999))
def test_widths_shrink_with_more_data_and_grow_with_confidence(counts, delta):
    counts = np.array(counts)
    for f in (lambda c, d: hoeffding_width(c, d),
              lambda c, d: weissman_width(c, 4, d),
              lambda c, d: empirical_bernstein_width(c, np.full(c.shape, 0.2), d)):
        b = f(counts, delta)
        assert np.all(b > 0)
        assert np.all(f(counts + 1, delta) <= b)              # more samples: narrower
        assert np.all(f(counts, delta / 2) >= b)              # more confidence: wider


# ------------------------------------------------------------------------------ coverage
def test_hoeffding_interval_covers_the_mean_at_the_nominal_rate():
    rng = np.random.default_rng(2024)
    n_rep, n, delta = 20000, 60, 0.1
    p = rng.uniform(0.05, 0.95, size=n_rep)
    means = rng.binomial(n, p) / n
    b = hoeffding_width(np.full(n_rep, n), delta, n_union=1)
    misses = int(np.sum(np.abs(means - p) > b))
    limit = reject_count(n_rep, delta)
    assert misses < limit, f"{misses} misses >= {limit} (Bin({n_rep}, {delta}) 1-1e-6 quantile)"
    assert int(np.sum(np.abs(means - p) > b / 4)) >= limit     # the test has power


def test_weissman_l1_ball_covers_the_distribution_at_the_nominal_rate():
    rng = np.random.default_rng(2025)
    n_rep, n, S, delta = 20000, 40, 6, 0.1
    P = rng.dirichlet(np.ones(S), size=200)
    rows = rng.integers(200, size=n_rep)
    P_hat = np.array([rng.multinomial(n, P[i]) for i in rows]) / n
    l1 = np.abs(P_hat - P[rows]).sum(axis=1)
    b = weissman_width(np.full(n_rep, n), S, delta, n_union=1)
    misses = int(np.sum(l1 > b))
    limit = reject_count(n_rep, delta)
    assert misses < limit, f"{misses} misses >= {limit}"
    assert int(np.sum(l1 > b / 3)) >= limit                   # the test has power


def test_empirical_bernstein_one_sided_bound_holds_at_the_nominal_rate():
    """Maurer-Pontil Thm 4 on Bernoulli samples (sample variance n/(n-1) p_hat (1 - p_hat))."""
    rng = np.random.default_rng(2026)
    n_rep, n, delta = 20000, 30, 0.1
    p = rng.uniform(0.0, 1.0, size=n_rep)
    k = rng.binomial(n, p)
    mean = k / n
    var = n / (n - 1) * mean * (1 - mean)
    b = empirical_bernstein_width(np.full(n_rep, n), var, delta)
    limit = reject_count(n_rep, delta)
    for miss in (p - mean > b, mean - p > b):                 # both one-sided statements
        assert int(np.sum(miss)) < limit
    assert int(np.sum(p - mean > b / 6)) >= limit             # the test has power


# ------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize("call, name", [
    (lambda: hoeffding_width([1, 2], 0.0), "delta"),
    (lambda: hoeffding_width([1, 2], 1.5), "delta"),
    (lambda: hoeffding_width([1, 2], 0.1, c=-1.0), "c"),
    (lambda: hoeffding_width([1, -2], 0.1), "counts"),
    (lambda: hoeffding_width([1, 2], 0.1, n_union=0.5), "n_union"),
    (lambda: empirical_bernstein_width([2, 3], [0.1], 0.1), "sample_var"),
    (lambda: empirical_bernstein_width([2, 3], [0.1, -0.1], 0.1), "sample_var"),
    (lambda: empirical_bernstein_width([2, 3], [0.1, 0.1], 0.1, value_range=0.0), "value_range"),
    (lambda: weissman_l1_log_term(0, 0.1), "n_states"),
    (lambda: weissman_l1_log_term(3, 1.0), "delta"),
    (lambda: weissman_l1_log_term(3, 0.1, n_union=0), "n_union"),
    (lambda: weissman_width([1.5], 3, 0.1), "counts"),
    (lambda: elliptical_width(np.ones((1, 1, 2)), np.eye(2), -1.0), "beta"),
    (lambda: ucbvi_log_term(0, 2, 3, 4, 0.1), "n_states"),
    (lambda: ucbvi_log_term(2, 2, 3, 4, 0.0), "delta"),
    (lambda: ucbvi_log_term(2, 2, 3.5, 4, 0.1), "n_episodes"),
    (lambda: resolve_delta(2.0, 10), "delta"),
    (lambda: resolve_delta("x", 10), "delta"),
])
def test_bad_input_names_the_argument(call, name):
    with pytest.raises(ValueError, match=f"^{name}:"):
        call()


def test_resolve_delta_default_is_one_over_n():
    assert resolve_delta(None, 200) == 1 / 200
    assert resolve_delta(None, 0) == 1.0
    assert resolve_delta(1.0, 5) == 1.0
    assert set(conf.__all__) >= {"hoeffding_width", "weissman_l1_width", "ucbvi_log_term"}
