"""Slope fits, bootstrap CIs and verdicts on synthetic power laws with a known exponent."""
import numpy as np
import pytest
from scipy.stats import binom

from rlth.experiment import Check
from rlth.rates import (MAX_CI_WIDTH, aggregate, evaluate_check, fit_slope, format_table)
from rlth.theory import Theorem


def th(kind="rate", exponent=-0.5, **kw):
    return Theorem(id="test.synthetic", paper="synthetic", arxiv="", number="Thm 0",
                   statement="", quantity="y", sweep_variable="N", kind=kind, exponent=exponent,
                   **kw)


def synth(xs, a=-0.5, c=1.0, reps=40, noise=0.2, seed=0, extra=None):
    """Records with E[y] = c x^a exactly (multiplicative noise of mean 1)."""
    rng = np.random.default_rng(seed)
    recs = []
    for x in xs:
        vals = c * x ** a * (1 + noise * rng.standard_normal(reps))
        for r, v in enumerate(vals):
            recs.append({"point": {"N": float(x), **(extra or {})}, "replicate": r,
                         "metrics": {"y": float(v)}})
    return recs


XS = np.logspace(1, 4, 7)
CHECK = Check(theorem="test.synthetic", metric="y", x="N")


def test_fit_slope_exact_on_noiseless_data():
    f = fit_slope(XS, [np.full(5, 3 * x ** -0.7) for x in XS])
    assert f.slope == pytest.approx(-0.7, abs=1e-12)
    assert f.ci_low == pytest.approx(-0.7, abs=1e-12)
    assert f.ci_high == pytest.approx(-0.7, abs=1e-12)
    assert np.exp(f.intercept) == pytest.approx(3.0)
    assert f.decades == pytest.approx(3.0)


def test_fit_slope_bad_input():
    with pytest.raises(ValueError, match="^x"):
        fit_slope([1.0], [np.ones(3)])
    with pytest.raises(ValueError, match="^x"):
        fit_slope([1.0, -1.0], [np.ones(3), np.ones(3)])
    with pytest.raises(ValueError, match="^samples"):
        fit_slope([1.0, 10.0], [np.ones(3), -np.ones(3)])
    with pytest.raises(ValueError, match="^level"):
        fit_slope([1.0, 10.0], [np.ones(3), np.ones(3)], level=1.0)


def test_true_exponent_passes_and_wrong_exponent_fails():
    recs = synth(XS, a=-0.5)
    ok = evaluate_check(CHECK, recs, theorem=th(exponent=-0.5))
    assert ok.verdict == "PASS", ok.reason
    # (whether this one CI covers -0.5 is a single 95% coverage event, not asserted here: the
    # coverage rate is tested in test_bootstrap_ci_covers_true_slope_at_nominal_rate)
    assert ok.fit.ci_width < MAX_CI_WIDTH
    # negative control: a wrong predicted exponent (-1 instead of -1/2) is a FAIL
    bad = evaluate_check(CHECK, recs, theorem=th(exponent=-1.0))
    assert bad.verdict == "FAIL" and "outside" in bad.reason
    # a slightly wrong one (outside the +-0.1 band) too
    assert evaluate_check(CHECK, recs, theorem=th(exponent=-0.65)).verdict == "FAIL"
    assert "test.synthetic" in format_table([ok, bad])


def test_bootstrap_ci_covers_true_slope_at_nominal_rate():
    """Coverage of the 95% percentile bootstrap CI of the slope over M = 1500 independent
    synthetic datasets (7 points over 3 decades, 30 replicates, 50% noise, 1000 resamples).

    The percentile bootstrap of a mean under-covers slightly for n = 30 replicates (the
    resampled mean has variance (n-1)/n of the true one); 4000 datasets gave 0.939.  The test
    accepts a hit count consistent with a true coverage in [0.925, 0.96]: it fails with
    probability < 1e-7 on each side if the true coverage lies in that range (binomial quantiles),
    and it rejects a CI that is much too narrow (< ~0.90) or too wide (> ~0.985).
    """
    M, n, a = 1500, 30, -0.5
    rng = np.random.default_rng(12345)
    hits = 0
    for _ in range(M):
        samples = [x ** a * (1 + 0.5 * rng.standard_normal(n)) for x in XS]
        f = fit_slope(XS, samples, n_boot=1000, rng=rng)
        hits += f.ci_low <= a <= f.ci_high
    lo, hi = binom.ppf(1e-7, M, 0.925), binom.isf(1e-7, M, 0.96)
    assert lo <= hits <= hi, (hits / M, lo / M, hi / M)


def test_inconclusive_short_window_few_points_wide_ci():
    recs = synth(XS, a=-0.5)
    short = evaluate_check(Check("test.synthetic", "y", "N", fit_window=(10, 200)), recs,
                           theorem=th())
    assert short.verdict == "INCONCLUSIVE" and "decades" in short.reason
    few = evaluate_check(Check("test.synthetic", "y", "N", fit_window=(10, 50)), recs,
                         theorem=th())
    assert few.verdict == "INCONCLUSIVE" and "points" in few.reason
    noisy = synth(XS, a=-0.5, reps=4, noise=0.9, seed=3)
    wide = evaluate_check(CHECK, noisy, theorem=th())
    assert wide.fit.ci_width > MAX_CI_WIDTH
    assert wide.verdict == "INCONCLUSIVE", wide.reason
    # ... but a wide CI lying entirely outside the accepted slopes is still a FAIL
    assert evaluate_check(CHECK, noisy, theorem=th(exponent=-3.0)).verdict == "FAIL"


def test_vacuous_bound():
    recs = synth(XS, a=-0.5)
    t = th(bound=lambda x, **_: 500 * x ** -0.5, trivial_max=1.0)
    r = evaluate_check(CHECK, recs, theorem=t)
    assert r.verdict == "VACUOUS-BOUND" and r.bound == "yes" and r.vacuous
    # a bound under the trivial maximum at some point is not vacuous
    r2 = evaluate_check(CHECK, recs, theorem=th(bound=lambda x, **_: 500 * x ** -0.5,
                                                trivial_max=lambda x, **_: 0.1 * x))
    assert r2.verdict == "PASS"
    # the check can declare the trivial maximum itself
    c = Check("test.synthetic", "y", "N", trivial_max=1.0)
    assert evaluate_check(c, recs, theorem=th(bound=lambda x: 500 * x ** -0.5)).verdict == \
        "VACUOUS-BOUND"


def test_upper_bound_rules():
    recs = synth(XS, a=-1.0)
    good = th(kind="upper", exponent=-0.5, bound=lambda x, **_: 2 * x ** -0.5)
    r = evaluate_check(CHECK, recs, theorem=good)
    assert r.verdict == "PASS" and r.bound == "yes"         # faster than the bound: fine
    tight = th(kind="upper", exponent=-1.0, bound=lambda x, **_: 0.5 * x ** -1.0)
    r = evaluate_check(CHECK, recs, theorem=tight)
    assert r.verdict == "FAIL" and r.bound == "NO" and "above the bound" in r.reason
    slow = synth(XS, a=-0.3)
    r = evaluate_check(CHECK, slow, theorem=th(kind="upper", exponent=-0.5))
    assert r.verdict == "FAIL"                               # decays slower than claimed


def test_lower_bound_rules():
    recs = synth(XS, a=-0.5)
    assert evaluate_check(CHECK, recs, theorem=th(kind="lower", exponent=-0.5)).verdict == "PASS"
    assert evaluate_check(CHECK, recs, theorem=th(kind="lower", exponent=-0.2)).verdict == "FAIL"
    below = th(kind="lower", exponent=-0.5, bound=lambda x, **_: 2 * x ** -0.5)
    assert evaluate_check(CHECK, recs, theorem=below).verdict == "FAIL"


def test_not_in_regime_and_regime_restricts_fit():
    recs = synth(XS, a=-0.5)
    t = th(in_regime=lambda x, **_: x > 1e6, regime="N > 1e6")
    assert evaluate_check(CHECK, recs, theorem=t).verdict == "NOT-IN-REGIME"
    # a kink below N=100 is ignored when the regime starts at N=100
    kinked = [r if r["point"]["N"] >= 99 else
              {**r, "metrics": {"y": r["metrics"]["y"] * 50}} for r in recs]
    assert evaluate_check(CHECK, kinked, theorem=th()).verdict == "FAIL"
    c = Check("test.synthetic", "y", "N", in_regime=lambda x: x >= 99)
    assert evaluate_check(c, kinked, theorem=th()).verdict == "PASS"


def test_normalize_and_x_transform():
    # y = x^-1/2 log(x): fits -1/2 only after normalizing by log x
    rng = np.random.default_rng(1)
    recs = [{"point": {"N": float(x)}, "replicate": r,
             "metrics": {"y": float(x ** -0.5 * np.log(x) * (1 + 0.1 * rng.standard_normal()))}}
            for x in XS for r in range(30)]
    plain = evaluate_check(CHECK, recs, theorem=th())
    norm = evaluate_check(Check("test.synthetic", "y", "N",
                                normalize=lambda x, pts: np.log(x), normalize_label="/ log N"),
                          recs, theorem=th())
    assert norm.verdict == "PASS" and abs(norm.fit.slope + 0.5) < 0.02
    assert abs(plain.fit.slope + 0.5) > 0.1
    # gamma -> 1/(1-gamma): y = (1-gamma)^-2 is slope +2 in the transformed variable
    gammas = 1 - np.logspace(-1, -3, 5)
    recs = [{"point": {"gamma": float(g)}, "replicate": r,
             "metrics": {"y": float((1 - g) ** -2 * (1 + 0.05 * rng.standard_normal()))}}
            for g in gammas for r in range(20)]
    c = Check("test.synthetic", "y", "gamma", x_transform=lambda g: 1 / (1 - g))
    r = evaluate_check(c, recs, theorem=th(exponent=2.0))
    assert r.verdict == "PASS" and abs(r.fit.slope - 2) < 0.02


def test_zero_means_are_dropped_and_counted():
    recs = synth(XS, a=-0.5)
    recs = [r if r["point"]["N"] < 5000 else {**r, "metrics": {"y": 0.0}} for r in recs]
    res = evaluate_check(CHECK, recs, theorem=th())
    assert res.n_dropped == 1 and res.n_points == 6 and res.verdict == "PASS"


def test_exact_reference_agreement():
    recs = synth(XS, a=-0.5, c=1.0)
    ok = evaluate_check(CHECK, recs, theorem=th(reference=lambda x: x ** -0.5))
    assert ok.verdict == "PASS" and ok.bound.startswith("ref ok")
    off = evaluate_check(CHECK, recs, theorem=th(reference=lambda x: 1.2 * x ** -0.5))
    assert off.verdict == "FAIL" and off.bound.startswith("ref off")


def test_where_filters_and_ambiguous_points_raise():
    recs = synth(XS, a=-0.5, extra={"C": 1}) + synth(XS, a=-1.0, extra={"C": 4}, seed=2)
    r1 = evaluate_check(Check("test.synthetic", "y", "N", where={"C": 1}), recs, theorem=th())
    r4 = evaluate_check(Check("test.synthetic", "y", "N", where={"C": 4}), recs,
                        theorem=th(exponent=-1.0))
    assert r1.verdict == r4.verdict == "PASS"
    with pytest.raises(ValueError, match="^where"):
        evaluate_check(CHECK, recs, theorem=th())
    with pytest.raises(ValueError, match="^metric"):
        aggregate(recs, "nope", "N")
    assert evaluate_check(Check("test.synthetic", "y", "N", where={"C": 9}), recs,
                          theorem=th()).verdict == "INCONCLUSIVE"


def test_verdicts_are_reproducible():
    recs = synth(XS, a=-0.5, reps=10, noise=0.5)
    a = evaluate_check(CHECK, recs, theorem=th())
    b = evaluate_check(CHECK, recs, theorem=th())
    assert (a.fit.ci_low, a.fit.ci_high) == (b.fit.ci_low, b.fit.ci_high)


# --- the exact reference curves of the self-test theorems (rlth/theory/selftest.py) ---------

def test_bernoulli_mae_exact():
    from rlth.theory.selftest import bernoulli_mae
    assert bernoulli_mae(1, 0.3) == pytest.approx(2 * 0.3 * 0.7, abs=1e-15)
    # N = 2: p_hat in {0, 1/2, 1}
    p = 0.3
    direct = (1 - p) ** 2 * p + 2 * p * (1 - p) * abs(0.5 - p) + p ** 2 * (1 - p)
    assert bernoulli_mae(2, p) == pytest.approx(direct, abs=1e-15)
    # CLT limit sqrt(2 p (1-p) / (pi N))
    assert bernoulli_mae(10 ** 6, p) == pytest.approx(np.sqrt(2 * p * (1 - p) / np.pi / 1e6),
                                                      rel=1e-3)


def test_return_law_brute_force_and_mc_eval_reference():
    import itertools

    from rlth.instances import random_mdp
    from rlth.solvers.dp import evaluate_policy
    from rlth.theory.selftest import _pmf, mc_eval_mae, return_pmf, selftest_mdp
    rng = np.random.default_rng(0)
    H, S, A = 3, 2, 2
    mdp = random_mdp(S, A, horizon=H, rng=rng, stationary=False)
    pi = rng.dirichlet(np.ones(A), size=(H, S))
    brute = np.zeros(H + 1)
    for s0 in range(S):
        for path in itertools.product(range(A), range(2), range(S), repeat=H):
            prob, s, g = mdp.rho[s0], s0, 0
            for h in range(H):
                a, r, s2 = path[3 * h: 3 * h + 3]
                R = mdp.R_stages[h, s, a]
                prob *= pi[h, s, a] * (R if r else 1 - R) * mdp.P_stages[h, s, a, s2]
                s, g = s2, g + r
            brute[g] += prob
    assert return_pmf(mdp, pi) == pytest.approx(brute, abs=1e-14)
    # the self-test instance: the law's mean is V^pi from the DP solver
    m, p = selftest_mdp(7)
    pmf = _pmf(7)
    v = evaluate_policy(m, p).value
    assert pmf.sum() == pytest.approx(1, abs=1e-13) and np.all(pmf >= 0)
    assert np.arange(pmf.size) @ pmf == pytest.approx(v, abs=1e-12)
    g = np.arange(pmf.size)
    assert mc_eval_mae(1) == pytest.approx(pmf @ np.abs(g - v), abs=1e-12)
    two = sum(pmf[i] * pmf[j] * abs((i + j) / 2 - v) for i in g for j in g)
    assert mc_eval_mae(2) == pytest.approx(two, abs=1e-12)


def test_bound_only_check_reports_the_means_not_a_slope():
    """A theorem with no exponent is judged on its bound only; the table shows the range of the
    replicate means (e.g. the fraction of runs without a violation), never a meaningless slope."""
    recs = synth(XS, a=-0.5)
    means = [np.mean([r["metrics"]["y"] for r in recs if r["point"]["N"] == x]) for x in XS]
    lower = th(kind="lower", exponent=None, bound=lambda x, **_: 0.0)
    r = evaluate_check(CHECK, recs, theorem=lower)
    assert r.verdict == "PASS" and r.bound == "yes"
    assert r.mean_range == pytest.approx((min(means), max(means)))
    assert r.measured.startswith("mean y ") and "[" not in r.measured
    above = th(kind="lower", exponent=None, bound=lambda x, **_: 10.0)
    assert evaluate_check(CHECK, recs, theorem=above).verdict == "FAIL"
    # a check with an exponent still shows its slope
    assert evaluate_check(CHECK, recs, theorem=th()).measured.startswith("-0.5")


def _two_curves(level_a, level_b, reps=30, noise=0.1, seed=3):
    """Curves ``algo=a`` and ``algo=b`` with means level * sqrt(K) at K in 1e2..1e5."""
    rng = np.random.default_rng(seed)
    recs = []
    for algo, lev in (("a", level_a), ("b", level_b)):
        for K in np.logspace(2, 5, 4):
            for r in range(reps):
                v = lev * np.sqrt(K) * (1 + noise * rng.standard_normal())
                recs.append({"point": {"K": float(K), "algo": algo}, "replicate": r,
                             "metrics": {"reg": float(v)}})
    return recs


def test_compare_with_level_passes_above_and_fails_below():
    t = th(kind="lower", exponent=None)
    chk = Check(theorem="test.synthetic", metric="reg", x="K", where={"algo": "a"},
                compare_with={"algo": "b"})
    above = evaluate_check(chk, _two_curves(2.0, 1.0), theorem=t)
    assert above.verdict == "PASS" and above.bound.startswith("yes vs algo=b")
    assert "min ratio to [algo=b] 1.9" in above.reason or "min ratio to [algo=b] 2" in above.reason
    below = evaluate_check(chk, _two_curves(0.8, 1.0), theorem=t)
    assert below.verdict == "FAIL" and "below [algo=b]" in below.reason
    # equal levels: within noise, not a FAIL
    same = evaluate_check(chk, _two_curves(1.0, 1.0), theorem=t)
    assert same.verdict == "PASS"
    # an upper comparison mirrors it
    tu = th(kind="upper", exponent=None)
    assert evaluate_check(chk, _two_curves(0.5, 1.0), theorem=tu).verdict == "PASS"
    assert evaluate_check(chk, _two_curves(2.0, 1.0), theorem=tu).verdict == "FAIL"


def test_compare_with_missing_reference_point_raises():
    recs = [r for r in _two_curves(2.0, 1.0) if not (r["point"]["algo"] == "b"
                                                     and r["point"]["K"] == 1e5)]
    chk = Check(theorem="test.synthetic", metric="reg", x="K", where={"algo": "a"},
                compare_with={"algo": "b"})
    with pytest.raises(ValueError, match="no 'reg' records at K=100000"):
        evaluate_check(chk, recs, theorem=th(kind="lower", exponent=None))


def test_measured_burn_in_restricts_the_fit_and_reports_itself():
    xs = np.logspace(2, 6, 9)
    recs = synth(xs, a=0.5)
    for r in recs:                       # measured burn-in 1e3 at every point
        r["metrics"]["settle"] = 1e3
    t = th(kind="rate", exponent=0.5)
    chk = Check(theorem="test.synthetic", metric="y", x="N", burn_in_metric="settle")
    res = evaluate_check(chk, recs, theorem=t)
    assert res.verdict == "PASS" and res.n_points == 4            # N > 1e4 only (strictly)
    # the largest replicate's burn-in counts, not the mean
    for r in recs:
        if r["replicate"] == 0:
            r["metrics"]["settle"] = 5e3
    assert evaluate_check(chk, recs, theorem=t).n_points == 3      # N > 5e4
    chk100 = Check(theorem="test.synthetic", metric="y", x="N", burn_in_metric="settle",
                   burn_in_factor=1e4)
    res = evaluate_check(chk100, recs, theorem=t)
    assert res.verdict == "INCONCLUSIVE" and "burn-in dominates" in res.reason
    assert "measured 5e+03" in res.reason
    with pytest.raises(ValueError, match="burn_in_factor"):
        Check(theorem="t", metric="y", x="N", burn_in_factor=0.0)


def test_level_check_needs_no_slope_window():
    """A bound-only (level) check is judged point by point: two points and 0.3 decades suffice,
    and a violated level still FAILs."""
    recs = synth([10.0, 20.0], a=0.5, noise=0.05)
    ok = evaluate_check(CHECK, recs, theorem=th(kind="lower", exponent=None,
                                                bound=lambda x, **_: 0.5 * x ** 0.5))
    assert ok.verdict == "PASS"
    bad = evaluate_check(CHECK, recs, theorem=th(kind="lower", exponent=None,
                                                 bound=lambda x, **_: 2.0 * x ** 0.5))
    assert bad.verdict == "FAIL" and "below the bound" in bad.reason
    # nothing to compare with: INCONCLUSIVE, never PASS
    assert evaluate_check(CHECK, recs, theorem=th(kind="lower", exponent=None)).verdict \
        == "INCONCLUSIVE"
