"""Pins of the bootstrap CI and of every verdict rule of :mod:`rlth.rates` (issue 17).

Each test here kills a plausible slip that the older rates tests let through:

* the CI computed at another level than the stated one (90% instead of 95%): the CI ends are
  recomputed independently, from the same resamples (same seed, same draw order), as the
  percentile quantiles at the stated level;
* the bootstrap never drawing some replicate index (e.g. the last one): a spike in any single
  replicate must move the bootstrap distribution;
* a verdict rule judged on the wrong statistic (an ``upper`` check judged on the CI's low end
  instead of the slope) or with the wrong inequality at its boundary: :func:`evaluate_check` is
  driven with a stubbed fit whose slope and CI sit exactly on (or one ulp beside) each boundary.

Everything is deterministic (fixed seeds, exact comparisons): no statistical failure budget.
"""
from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from rlth import rates
from rlth.experiment import Check
from rlth.rates import (MAX_CI_WIDTH, MIN_DECADES, REFERENCE_Z, SlopeFit, bootstrap_slopes,
                        evaluate_check, fit_slope)


# --------------------------------------------------------------------------------------------
# independent re-implementation of the percentile bootstrap (the module doc's recipe)
# --------------------------------------------------------------------------------------------
def _independent_boot_slopes(x, samples, n_boot, seed):
    """Resample replicates within each point (point order, one (n_boot, n) block of
    ``integers(0, n)`` per point from PCG64(seed)), refit the log-log OLS slope."""
    g = np.random.Generator(np.random.PCG64(seed))
    means = []
    for s in samples:
        s = np.asarray(s, dtype=float)
        idx = g.integers(0, s.size, size=(n_boot, s.size))
        means.append(s[idx].mean(axis=1))
    means = np.stack(means, axis=1)
    lx = np.log(np.asarray(x, dtype=float))
    slopes = np.array([np.polyfit(lx, np.log(m), 1)[0] for m in means])
    return slopes


def _noisy_samples(seed=3, n_rep=7):
    g = np.random.default_rng(seed)
    x = np.array([10.0, 100.0, 1000.0, 10000.0])
    samples = [2.0 * xv ** -0.5 * g.uniform(0.5, 1.5, size=n_rep) for xv in x]
    return x, samples


def test_bootstrap_slopes_match_independent_resampling():
    x, samples = _noisy_samples()
    boots = bootstrap_slopes(x, samples, n_boot=500, rng=11)
    ref = _independent_boot_slopes(x, samples, 500, 11)
    np.testing.assert_allclose(boots, ref, rtol=0, atol=1e-10)


@pytest.mark.parametrize("level", [0.95, 0.9, 0.8, 0.99])
def test_ci_ends_are_percentile_quantiles_at_stated_level(level):
    x, samples = _noisy_samples()
    fit = fit_slope(x, samples, n_boot=800, level=level, rng=5)
    ref = _independent_boot_slopes(x, samples, 800, 5)
    a = (1 - level) / 2
    lo, hi = np.quantile(ref, [a, 1 - a])
    assert fit.level == level
    assert fit.ci_low == pytest.approx(lo, abs=1e-10)
    assert fit.ci_high == pytest.approx(hi, abs=1e-10)


def test_default_level_is_95_percent():
    x, samples = _noisy_samples()
    fit = fit_slope(x, samples, n_boot=800, rng=5)
    ref = _independent_boot_slopes(x, samples, 800, 5)
    lo, hi = np.quantile(ref, [0.025, 0.975])
    lo90, hi90 = np.quantile(ref, [0.05, 0.95])
    assert fit.level == 0.95
    assert fit.ci_low == pytest.approx(lo, abs=1e-10)
    assert fit.ci_high == pytest.approx(hi, abs=1e-10)
    # the 90% interval is strictly inside here, so the pin above discriminates the two levels
    assert lo < lo90 - 1e-6 and hi90 + 1e-6 < hi


def test_evaluate_check_uses_95_percent_ci():
    """The verdict path (evaluate_check -> fit_slope) carries the 95% CI."""
    x, samples = _noisy_samples()
    records = [{"point": {"n": float(xv)}, "metrics": {"err": float(v)}}
               for xv, s in zip(x, samples) for v in s]
    th = _theorem("rate", -0.5, 0.5)
    res = evaluate_check(Check("t", "err", "n"), records, theorem=th, n_boot=600, rng=9)
    ref = _independent_boot_slopes(x, samples, 600, 9)
    lo, hi = np.quantile(ref, [0.025, 0.975])
    assert res.fit.ci_low == pytest.approx(lo, abs=1e-10)
    assert res.fit.ci_high == pytest.approx(hi, abs=1e-10)


@pytest.mark.parametrize("n_rep", [2, 3, 5, 8])
def test_every_replicate_index_can_be_drawn(n_rep):
    """A spike in replicate j (any j, the last included) moves the bootstrap distribution.

    With 400 resamples of n_rep <= 8 replicates, replicate j is missed by every resample with
    probability (1 - 1/n)^(n * 400) < 1e-50: a zero-width CI means j is never drawn."""
    x = np.array([1.0, 10.0, 100.0])
    for j in range(n_rep):
        samples = [np.ones(n_rep), np.ones(n_rep), np.ones(n_rep)]
        samples[2] = samples[2].copy()
        samples[2][j] = 50.0     # the last point: moves the slope
        boots = bootstrap_slopes(x, samples, n_boot=400, rng=j)
        assert np.ptp(boots) > 0.1, f"replicate {j} of {n_rep} never resampled"
        fit = fit_slope(x, samples, n_boot=400, rng=j)
        assert fit.ci_width > 0.0
        # and every replicate appears with frequency ~ 1/n
        means = rates._bootstrap_means(np.eye(n_rep)[j], 4000, np.random.default_rng(j))
        freq = means.mean()
        assert abs(freq - 1.0 / n_rep) < 0.05


def test_bootstrap_means_every_index_drawn_with_right_frequency():
    n = 6
    g = np.random.Generator(np.random.PCG64(1))
    values = np.arange(n, dtype=float)
    out = rates._bootstrap_means(values, 3000, g)
    ref = np.random.Generator(np.random.PCG64(1)).integers(0, n, size=(3000, n))
    np.testing.assert_allclose(out, values[ref].mean(axis=1), rtol=0, atol=1e-12)
    assert set(np.unique(ref)) == set(range(n))


def test_constant_replicates_give_zero_width_ci():
    x = np.array([10.0, 100.0, 1000.0])
    fit = fit_slope(x, [np.full(4, v) for v in 3 * x ** -0.25], n_boot=200)
    assert fit.slope == pytest.approx(-0.25, abs=1e-12)
    assert fit.ci_low == pytest.approx(-0.25, abs=1e-12)
    assert fit.ci_high == pytest.approx(-0.25, abs=1e-12)


# --------------------------------------------------------------------------------------------
# verdict rules at their boundaries (stubbed fit: exact slope and CI)
# --------------------------------------------------------------------------------------------
def _theorem(kind, p, t, **kw):
    base = dict(id="test.thm", exponent=p, tolerance=t, kind=kind, in_regime=None, regime="",
                bound=None, trivial_max=None, reference=None)
    base.update(kw)
    return SimpleNamespace(**base)


XS = (8.0, 128.0, 2048.0, 32768.0)     # 3.6 decades; 1/x and its means exact


def _records(xs=XS, values=None, n_rep=3):
    recs = []
    for i, xv in enumerate(xs):
        vals = [1.0 / xv] * n_rep if values is None else values[i]
        recs += [{"point": {"n": float(xv)}, "metrics": {"err": float(v)}} for v in vals]
    return recs


def _run(monkeypatch, kind, p, t, slope, ci_low, ci_high, **thkw):
    def stub(x, samples, *, factors=None, n_boot=2000, level=0.95, rng=0):
        x = np.asarray(x, dtype=float)
        return SlopeFit(float(slope), 0.0, float(ci_low), float(ci_high), x, np.ones(len(x)),
                        float(np.log10(x.max() / x.min())), n_boot, level)
    monkeypatch.setattr(rates, "fit_slope", stub)
    th = _theorem(kind, p, t, **thkw)
    return evaluate_check(Check("test.thm", "err", "n"), _records(), theorem=th, n_boot=10)


P, T = -0.5, 0.125          # binary-exact: accepted [-0.625, -0.375]
A_LO, A_HI = P - T, P + T
UP = lambda v: math.nextafter(v, math.inf)      # noqa: E731
DOWN = lambda v: math.nextafter(v, -math.inf)   # noqa: E731


def test_issue_example_upper_judged_on_slope_not_ci_low(monkeypatch):
    # slope -0.387, CI [-0.401, -0.374], predicted -0.5, tolerance 0.1: FAIL (slope > -0.4)
    r = _run(monkeypatch, "upper", -0.5, 0.1, -0.387, -0.401, -0.374)
    assert r.verdict == "FAIL"


@pytest.mark.parametrize("slope,verdict", [(A_HI, "PASS"), (UP(A_HI), "FAIL"),
                                           (A_HI - 0.05, "PASS"), (A_HI + 0.01, "FAIL")])
def test_upper_rule5_boundary_on_slope(monkeypatch, slope, verdict):
    # CI straddles the boundary (its low end below a_hi, its high end above): only the slope
    # decides.
    r = _run(monkeypatch, "upper", P, T, slope, A_HI - 0.06, A_HI + 0.06)
    assert r.verdict == verdict, r.reason


@pytest.mark.parametrize("slope,verdict", [(A_LO, "PASS"), (DOWN(A_LO), "FAIL"),
                                           (A_LO + 0.05, "PASS"), (A_LO - 0.01, "FAIL")])
def test_lower_rule5_boundary_on_slope(monkeypatch, slope, verdict):
    r = _run(monkeypatch, "lower", P, T, slope, A_LO - 0.06, A_LO + 0.06)
    assert r.verdict == verdict, r.reason


@pytest.mark.parametrize("lo,hi,verdict", [
    (A_HI, A_HI + 0.1, "PASS"),              # CI touches a_hi from above: overlaps
    (UP(A_HI), A_HI + 0.1, "FAIL"),          # whole CI above
    (A_LO - 0.1, A_LO, "PASS"),              # touches a_lo from below
    (A_LO - 0.1, DOWN(A_LO), "FAIL"),        # whole CI below
    (A_LO - 0.05, A_HI + 0.05, "PASS"),      # contains the interval (width 0.35 > 0.2!)
])
def test_rate_rule5_ci_overlap_boundaries(monkeypatch, lo, hi, verdict):
    slope = 0.5 * (lo + hi)
    r = _run(monkeypatch, "rate", P, T, slope, lo, hi)
    if lo == A_LO - 0.05:
        assert r.verdict == "INCONCLUSIVE"   # rule 4 comes first: CI wider than 0.2
    else:
        assert r.verdict == verdict, r.reason


@pytest.mark.parametrize("kind", ["upper", "rate"])
def test_rule3_whole_ci_outside_fails_even_if_wide(monkeypatch, kind):
    # CI of width 0.5 > 0.2 entirely above a_hi: FAIL (rule 3 before rule 4)
    r = _run(monkeypatch, kind, P, T, UP(A_HI) + 0.25, UP(A_HI), UP(A_HI) + 0.5)
    assert r.verdict == "FAIL"
    # touching a_hi: not a clear violation; width decides -> INCONCLUSIVE
    r = _run(monkeypatch, kind, P, T, A_HI + 0.25, A_HI, A_HI + 0.5)
    assert r.verdict == "INCONCLUSIVE"


@pytest.mark.parametrize("kind", ["lower", "rate"])
def test_rule3_whole_ci_below_fails_even_if_wide(monkeypatch, kind):
    r = _run(monkeypatch, kind, P, T, DOWN(A_LO) - 0.25, DOWN(A_LO) - 0.5, DOWN(A_LO))
    assert r.verdict == "FAIL"
    r = _run(monkeypatch, kind, P, T, A_LO - 0.25, A_LO - 0.5, A_LO)
    assert r.verdict == "INCONCLUSIVE"


def test_upper_never_fails_for_steep_slopes(monkeypatch):
    # upper: accepted slopes are (-inf, a_hi]; a much steeper decay is a PASS
    r = _run(monkeypatch, "upper", P, T, -3.0, -3.05, -2.95)
    assert r.verdict == "PASS"
    r = _run(monkeypatch, "lower", P, T, 3.0, 2.95, 3.05)
    assert r.verdict == "PASS"


def test_rule4_width_boundary(monkeypatch):
    assert MAX_CI_WIDTH == 0.2
    # width exactly 0.2 (0.0 - (-0.2) == 0.2 in floating point) is not wider than 0.2
    assert 0.0 - (-0.2) == MAX_CI_WIDTH
    r = _run(monkeypatch, "rate", -0.1, 0.125, -0.1, -0.2, 0.0)
    assert r.verdict == "PASS", r.reason
    assert 0.0 - DOWN(-0.2) > MAX_CI_WIDTH
    r = _run(monkeypatch, "rate", -0.1, 0.125, -0.1, DOWN(-0.2), 0.0)
    assert r.verdict == "INCONCLUSIVE", r.reason
    # upper with a wide CI that is not wholly outside: INCONCLUSIVE although the slope is fine
    r = _run(monkeypatch, "upper", P, T, -0.5, -0.7, -0.45)
    assert r.verdict == "INCONCLUSIVE"


def test_rule2_points_and_decades(monkeypatch):
    th = _theorem("rate", -1.0, 0.125)
    c = Check("test.thm", "err", "n")
    # 2 points: INCONCLUSIVE
    r = evaluate_check(c, _records(xs=(10.0, 10000.0)), theorem=th, n_boot=50)
    assert r.verdict == "INCONCLUSIVE"
    # 3 points over 3 decades, exact 1/x: PASS
    r = evaluate_check(c, _records(xs=(10.0, 316.0, 10000.0)), theorem=th, n_boot=50)
    assert r.verdict == "PASS"
    # 3 points spanning just under / over MIN_DECADES
    assert MIN_DECADES == 1.5
    r = evaluate_check(c, _records(xs=(1.0, 5.0, 10 ** 1.49)), theorem=th, n_boot=50)
    assert r.verdict == "INCONCLUSIVE"
    r = evaluate_check(c, _records(xs=(1.0, 5.0, 10 ** 1.51)), theorem=th, n_boot=50)
    assert r.verdict == "PASS"


def test_rule3_explicit_bound_boundary():
    c = Check("test.thm", "err", "n")
    recs = _records()           # means exactly 1/x
    # upper bound equal to the mean at every point: respected
    th = _theorem("upper", -1.0, 0.125, bound=lambda x: 1.0 / x)
    assert evaluate_check(c, recs, theorem=th, n_boot=50).verdict == "PASS"
    # one ulp below the mean at one point: FAIL
    th = _theorem("upper", -1.0, 0.125,
                  bound=lambda x: DOWN(1.0 / x) if x == 128.0 else 1.0 / x)
    r = evaluate_check(c, recs, theorem=th, n_boot=50)
    assert r.verdict == "FAIL" and r.bound == "NO"
    # lower bound: equal ok, one ulp above fails
    th = _theorem("lower", -1.0, 0.125, bound=lambda x: 1.0 / x)
    assert evaluate_check(c, recs, theorem=th, n_boot=50).verdict == "PASS"
    th = _theorem("lower", -1.0, 0.125,
                  bound=lambda x: UP(1.0 / x) if x == 2048.0 else 1.0 / x)
    assert evaluate_check(c, recs, theorem=th, n_boot=50).verdict == "FAIL"


def test_rule3_reference_z_boundary():
    assert REFERENCE_Z == 5.5
    c = Check("test.thm", "err", "n")
    # two replicates m -/+ d: mean m, standard error d (std ddof=1 is d sqrt 2)
    d = 1e-4
    vals = [[1.0 / xv - d, 1.0 / xv + d] for xv in XS]
    recs = _records(values=vals)
    for z, verdict in [(5.4, "PASS"), (5.6, "FAIL"), (0.0, "PASS")]:
        th = _theorem("rate", -1.0, 0.125, reference=lambda x, z=z: 1.0 / x + z * d)
        r = evaluate_check(c, recs, theorem=th, n_boot=100)
        assert r.verdict == verdict, (z, r.reason)


def test_rule1_not_in_regime_and_rule6_vacuous():
    c = Check("test.thm", "err", "n")
    th = _theorem("rate", -1.0, 0.125, in_regime=lambda x: x > 1e9)
    assert evaluate_check(c, _records(), theorem=th, n_boot=50).verdict == "NOT-IN-REGIME"
    # bound respected but above the trivial maximum everywhere: VACUOUS-BOUND
    th = _theorem("upper", -1.0, 0.125, bound=lambda x: 10.0, trivial_max=1.0)
    assert evaluate_check(c, _records(), theorem=th, n_boot=50).verdict == "VACUOUS-BOUND"
    # bound below the trivial maximum at one point: not vacuous
    th = _theorem("upper", -1.0, 0.125, bound=lambda x: 10.0 if x > 8 else 0.5,
                  trivial_max=1.0)
    assert evaluate_check(c, _records(), theorem=th, n_boot=50).verdict == "PASS"
