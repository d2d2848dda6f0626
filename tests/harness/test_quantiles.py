"""High-probability statistics of the rate harness: order-statistic quantile CIs, quantile slope
fits and bound comparisons, binomial fractions and deterministic ("exact") quantities."""
import csv

import numpy as np
import pytest
from scipy.stats import binom, norm

from rlth.experiment import Check, Experiment, Figure
from rlth.plotting import figure_curves, plot_figure
from rlth.rates import (QUANTILE_CI_LEVEL, evaluate_check, fit_slope, format_table, quantile_ci,
                        replicates_needed)
from rlth.theory import Theorem, register

XS = np.logspace(1, 4, 7)


def th(kind="upper", exponent=None, statistic="quantile", delta=0.1, **kw):
    return Theorem(id="test.hp", paper="synthetic", arxiv="", number="Thm 0", statement="",
                   quantity="y", sweep_variable="N", kind=kind, exponent=exponent,
                   statistic=statistic, delta=delta, **kw)


def records(values_by_x, key="y"):
    return [{"point": {"N": float(x)}, "replicate": r, "metrics": {key: float(v)}}
            for x, vals in values_by_x.items() for r, v in enumerate(vals)]


def lognormal_with_quantile(rng, q, p, sigma, n):
    """n draws whose p-quantile is exactly q: q * exp(sigma (Z - z_p))."""
    return q * np.exp(sigma * (rng.standard_normal(n) - norm.ppf(p)))


CHECK = Check(theorem="test.hp", metric="y", x="N")


# ----------------------------------------------------------------------------- order statistics

def test_order_statistic_ci_covers_true_quantile_at_nominal_rate():
    """M = 2000 samples of n = 100 exponentials, p = 0.9: the true quantile -log(0.1) must lie
    in the CI as often as the exact binomial coverage c0 = 1 - Pr(Bin < l) - Pr(Bin >= u)
    (>= 0.95; for a continuous law the coverage *is* c0).  The hit count is Bin(M, c0): the test
    fails with probability < 1e-7 on each side if the CI is right (total false-failure rate
    < 1e-6); a CI one order statistic too narrow on each side (coverage ~0.92) fails it."""
    M, n, p = 2000, 100, 0.9
    k = np.arange(n)
    lo_i = int(np.sum(binom.cdf(k, n, p) <= 0.025))
    hi_i = int(np.sum(binom.sf(k, n, p) > 0.025)) + 1
    c0 = 1 - binom.cdf(lo_i - 1, n, p) - binom.sf(hi_i - 1, n, p)
    assert c0 >= QUANTILE_CI_LEVEL
    truth = -np.log(1 - p)
    rng = np.random.default_rng(2026)
    hits = 0
    for _ in range(M):
        _, lo, hi = quantile_ci(rng.exponential(size=n), p)
        hits += lo <= truth <= hi
    assert binom.ppf(1e-7, M, c0) <= hits <= binom.isf(1e-7, M, c0), (hits / M, c0)
    assert hits >= binom.ppf(1e-7, M, 0.95)      # at least the nominal level


def test_order_statistic_ci_indices():
    v = np.arange(1.0, 101.0)
    q, lo, hi = quantile_ci(v[::-1], 0.5)        # input order does not matter
    assert (q, lo, hi) == (50.5, 40.0, 61.0)
    # the defining binomial inequalities, and l (u) is the largest (smallest) such index
    n, p = 100, 0.5
    assert binom.cdf(40 - 1, n, p) <= 0.025 < binom.cdf(41 - 1, n, p)
    assert binom.sf(61 - 1, n, p) <= 0.025 < binom.sf(60 - 1, n, p)


def test_too_few_replicates_give_infinite_ends():
    assert replicates_needed(0.9, "high") == 36     # 0.9^35 > 0.025 >= 0.9^36
    assert 0.9 ** 35 > 0.025 >= 0.9 ** 36
    assert quantile_ci(np.arange(35.0), 0.9)[2] == np.inf
    assert np.isfinite(quantile_ci(np.arange(36.0), 0.9)[2])
    assert quantile_ci(np.arange(35.0), 0.1)[1] == -np.inf
    assert replicates_needed(0.95, "high") == 72
    with pytest.raises(ValueError, match="^p"):
        quantile_ci(np.ones(3), 1.0)
    with pytest.raises(ValueError, match="^values"):
        quantile_ci([], 0.5)


def test_too_few_replicates_inconclusive_names_replicates_needed():
    rng = np.random.default_rng(1)
    recs = records({x: lognormal_with_quantile(rng, x ** -0.5, 0.9, 0.3, 10) for x in XS})
    t = th(bound=lambda x, **_: 1.5 * x ** -0.5)     # comfortably above the true quantile
    r = evaluate_check(CHECK, recs, theorem=t)
    assert r.verdict == "INCONCLUSIVE", r.reason
    assert "need >= 36" in r.reason and "10 replicates" in r.reason
    assert r.bound == "unsure"
    # with 60 replicates the same bound is decided (the upper CI end is finite and below it)
    recs = records({x: lognormal_with_quantile(rng, x ** -0.5, 0.9, 0.3, 60) for x in XS})
    assert evaluate_check(CHECK, recs, theorem=t).verdict == "PASS"


# --------------------------------------------------------------------------- quantile slopes

def quantile_records(a=-0.5, c=2.0, p=0.9, n=400, seed=0):
    """q_p(x) = c x^a exactly, with a spread growing in x, so the *mean* is not c' x^a."""
    rng = np.random.default_rng(seed)
    sig = np.linspace(0.1, 1.5, len(XS))
    return records({x: lognormal_with_quantile(rng, c * x ** a, p, s, n)
                    for x, s in zip(XS, sig)})


def test_quantile_check_recovers_exponent():
    recs = quantile_records(a=-0.5)
    r = evaluate_check(CHECK, recs, theorem=th(kind="rate", exponent=-0.5))
    assert r.verdict == "PASS", r.reason
    assert abs(r.fit.slope + 0.5) < 0.05
    assert r.statistic == "quantile" and r.level == pytest.approx(0.9)
    assert r.kind_label == "rate/quantile 0.9"
    assert "rate/quantile 0.9" in format_table([r])
    # the mean of the same data has another slope: the check really fits the quantile
    mean_fit = fit_slope(XS, [np.array([rec["metrics"]["y"] for rec in recs
                                        if rec["point"]["N"] == x]) for x in XS])
    assert abs(mean_fit.slope + 0.5) > 0.07
    # a wrong exponent fails
    assert evaluate_check(CHECK, recs, theorem=th(kind="rate", exponent=-1.0)).verdict == "FAIL"


def test_quantile_level_follows_kind_and_point_delta():
    rng = np.random.default_rng(3)
    recs = records({x: lognormal_with_quantile(rng, x ** -0.5, 0.2, 0.5, 300) for x in XS})
    lower = evaluate_check(CHECK, recs, theorem=th(kind="lower", exponent=-0.5, delta=0.2))
    assert lower.level == pytest.approx(0.2) and abs(lower.fit.slope + 0.5) < 0.05
    # a point parameter delta overrides the theorem's
    for rec in recs:
        rec["point"]["delta"] = 0.05
    r = evaluate_check(CHECK, recs, theorem=th(kind="upper", exponent=-0.5, delta=0.2))
    assert r.level == pytest.approx(0.95)
    with pytest.raises(ValueError, match="^delta"):
        evaluate_check(CHECK, records({x: np.ones(3) for x in XS}), theorem=th(delta=None))


def test_quantile_bound_fail_inconclusive_pass():
    rng = np.random.default_rng(7)
    q = {x: x ** -0.5 for x in XS}
    recs = records({x: lognormal_with_quantile(rng, q[x], 0.9, 0.3, 400) for x in XS})
    cis = {x: quantile_ci(np.array([r["metrics"]["y"] for r in recs if r["point"]["N"] == x]),
                          0.9) for x in XS}
    # PASS: bound above every upper CI end
    ok = evaluate_check(CHECK, recs, theorem=th(bound=lambda x, **_: 1.3 * x ** -0.5))
    assert all(cis[x][2] <= 1.3 * q[x] for x in XS)
    assert ok.verdict == "PASS" and ok.bound == "yes", ok.reason
    # FAIL: the whole CI above the bound at some point
    bad = evaluate_check(CHECK, recs, theorem=th(bound=lambda x, **_: 0.7 * x ** -0.5))
    assert all(cis[x][1] > 0.7 * q[x] for x in XS)
    assert bad.verdict == "FAIL" and bad.bound == "NO" and "above the bound" in bad.reason
    # INCONCLUSIVE: a bound inside the CI at one point (the midpoint of its CI)
    x0 = XS[3]
    mid = 0.5 * (cis[x0][1] + cis[x0][2])
    t = th(bound=lambda x, **_: mid if x == x0 else 1.3 * x ** -0.5)
    unsure = evaluate_check(CHECK, recs, theorem=t)
    assert unsure.verdict == "INCONCLUSIVE" and unsure.bound == "unsure"
    assert "contains the bound" in unsure.reason and f"N={x0:g}" in unsure.reason
    # the same three cases with a predicted exponent: an undecided bound blocks the PASS
    t2 = th(exponent=-0.5, bound=lambda x, **_: mid if x == x0 else 1.3 * x ** -0.5)
    assert evaluate_check(CHECK, recs, theorem=t2).verdict == "INCONCLUSIVE"
    t3 = th(exponent=-0.5, bound=lambda x, **_: 1.3 * x ** -0.5)
    assert evaluate_check(CHECK, recs, theorem=t3).verdict == "PASS"
    # lower kind: FAIL if the whole CI of the delta-quantile is below the bound
    low = th(kind="lower", delta=0.1, bound=lambda x, **_: 10 * x ** -0.5)
    assert evaluate_check(CHECK, recs, theorem=low).verdict == "FAIL"


def test_quantile_check_refuses_compare_with():
    c = Check(theorem="test.hp", metric="y", x="N", compare_with={"algo": "b"})
    with pytest.raises(ValueError, match="^compare_with"):
        evaluate_check(c, quantile_records(), theorem=th())


# --------------------------------------------------------------------------- fraction / exact

def fraction_records(failures, n=20):
    return [{"point": {"K": float(K), "delta": 0.1}, "replicate": r,
             "metrics": {"ok": 0.0 if r < failures else 1.0}}
            for K in (100, 1000, 10000) for r in range(n)]


FRAC = th(kind="lower", statistic="fraction", delta=None,
          bound=lambda x, delta, **_: 1 - delta)
FCHECK = Check(theorem="test.hp", metric="ok", x="K")


def test_fraction_zero_failures_pass_and_five_of_twenty_fail():
    ok = evaluate_check(FCHECK, fraction_records(0), theorem=FRAC)
    assert ok.verdict == "PASS" and ok.bound == "yes", ok.reason
    assert ok.kind_label == "lower/fraction" and "60/60" in ok.reason
    # 15/20: the one-sided 95% Clopper-Pearson upper end is 0.896 < 0.9
    bad = evaluate_check(FCHECK, fraction_records(5), theorem=FRAC)
    assert bad.verdict == "FAIL" and "15/20" in bad.reason, bad.reason
    # 3/20 failures (17/20 = 0.85 < 0.9, upper end 0.958): consistent with the bound, no FAIL;
    # the mean rule would have failed it
    assert evaluate_check(FCHECK, fraction_records(3), theorem=FRAC).verdict == "PASS"
    mean_th = th(kind="lower", statistic="mean", delta=None, bound=lambda x, delta, **_: 1 - delta)
    assert evaluate_check(FCHECK, fraction_records(3), theorem=mean_th).verdict == "FAIL"


def test_fraction_needs_01_metric():
    recs = fraction_records(0)
    recs[0]["metrics"]["ok"] = 0.5
    with pytest.raises(ValueError, match="^metric"):
        evaluate_check(FCHECK, recs, theorem=FRAC)


def test_exact_requires_identical_replicates():
    t = th(kind="rate", exponent=-0.5, statistic="exact", delta=None,
           reference=lambda x, **_: 2 * x ** -0.5)
    same = records({x: np.full(3, 2 * x ** -0.5) for x in XS})
    r = evaluate_check(CHECK, same, theorem=t)
    assert r.verdict == "PASS" and "ref ok" in r.bound, r.reason
    noisy = records({x: 2 * x ** -0.5 * np.array([1.0, 1.0, 1.0 + 1e-9]) for x in XS})
    r = evaluate_check(CHECK, noisy, theorem=t)
    assert r.verdict == "FAIL" and "not deterministic" in r.reason
    # the check can ask for "exact" on a mean theorem too
    c = Check(theorem="test.hp", metric="y", x="N", statistic="exact")
    mean_t = th(kind="rate", exponent=-0.5, statistic="mean", delta=None)
    assert evaluate_check(c, noisy, theorem=mean_t).verdict == "FAIL"
    assert evaluate_check(CHECK, noisy, theorem=mean_t).verdict == "PASS"


# --------------------------------------------------------------------------- figures

register(Theorem(id="quantiletest.upper", paper="toy", arxiv="", number="Thm 3", statement="",
                 quantity="y", sweep_variable="N", kind="upper", exponent=-0.5,
                 bound=lambda x, **_: 5 * x ** -0.5, provenance="[D]", statistic="quantile",
                 delta=0.1))


def test_quantile_figure_plots_quantile_and_order_statistic_band(tmp_path):
    recs = quantile_records(n=50)
    exp = Experiment(name="qtoy", title="toy", run=lambda p, r: {},
                     grids={"quick": [{"N": float(x)} for x in XS]}, replicates={"quick": 50},
                     figures=[Figure("q", "N", {"y": "y"}, theorem="quantiletest.upper",
                                     statistic="quantile")])
    curves = figure_curves(exp, exp.figures[0], recs)
    q = [c for c in curves if c["kind"] == "quantile"][0]
    assert "0.9-quantile" in q["label"]
    vals = np.array([r["metrics"]["y"] for r in recs if r["point"]["N"] == XS[2]])
    assert tuple(float(v[2]) for v in (q["mean"], q["ci_low"], q["ci_high"])) == \
        quantile_ci(vals, 0.9)
    assert abs(q["fit"].slope + 0.5) < 0.1
    png, path = plot_figure(exp, exp.figures[0], recs, profile="quick", out_dir=tmp_path)
    rows = list(csv.DictReader(open(path)))
    assert list(rows[0])[:9] == ["curve", "kind", "group", "x", "quantile", "ci_low", "ci_high",
                                 "n", "level"]
    assert {r["kind"] for r in rows} == {"quantile", "bound"}
    assert all(float(r["level"]) == 0.9 for r in rows if r["kind"] == "quantile")
    with pytest.raises(ValueError, match="^statistic"):
        Figure("bad", "N", {"y": "y"}, statistic="fraction")
