"""Sample-complexity checks: N(eps) from the (1 - delta)-quantile curve, its CI, the exponent
fit in 1/eps and the comparison with an explicit N_bound(eps)."""
import csv

import numpy as np
import pytest
from scipy.stats import norm

from rlth.experiment import Check, Experiment, Figure
from rlth.plotting import plot_figure
from rlth.rates import evaluate_check, fit_sample_complexity, sample_complexity_curve
from rlth.theory import Theorem, register

NS = np.logspace(2, 6, 9)          # sample sizes 1e2 .. 1e6
C = 3.0


def th(kind="rate", exponent=2.0, delta=0.1, **kw):
    return Theorem(id="test.pac", paper="synthetic", arxiv="", number="Thm 0", statement="",
                   quantity="sub-optimality", sweep_variable="1/eps", kind=kind,
                   exponent=exponent, statistic="sample_complexity", delta=delta, **kw)


def records(values_by_n):
    return [{"point": {"N": float(n)}, "replicate": r, "metrics": {"gap": float(v)}}
            for n, vals in values_by_n.items() for r, v in enumerate(vals)]


def noisy_values(rng, n_rep=200, p=0.9, sigma=0.4):
    """Replicates whose p-quantile is exactly C N^{-1/2}."""
    return {n: C * n ** -0.5 * np.exp(sigma * (rng.standard_normal(n_rep) - norm.ppf(p)))
            for n in NS}


# eps strictly between the eps reached at grid points: N(eps) = C^2/eps^2 in (1e2, 1e6)
EPS = tuple(C / np.sqrt(n) for n in (300.0, 2000.0, 7000.0, 30000.0, 150000.0, 600000.0))


def test_noiseless_inversion_is_exact():
    samples = [np.full(50, C * n ** -0.5) for n in NS]
    cv = sample_complexity_curve(NS, samples, EPS, 0.9)
    assert cv["kept"].all() and cv["dropped"] == ()
    want = C ** 2 / cv["eps"] ** 2
    np.testing.assert_allclose(cv["N"], want, rtol=1e-9)
    # identical replicates: the quantile CI is a point, so is the CI of N(eps)
    np.testing.assert_allclose(cv["N_low"], want, rtol=1e-9)
    np.testing.assert_allclose(cv["N_high"], want, rtol=1e-9)
    assert np.all(np.diff(cv["inv_eps"]) > 0)
    # input order of the sample sizes does not matter
    cv2 = sample_complexity_curve(NS[::-1], samples[::-1], EPS[::-1], 0.9)
    np.testing.assert_allclose(cv2["N"], want, rtol=1e-9)
    fit, _ = fit_sample_complexity(NS, samples, EPS, 0.9, n_boot=200)
    assert fit.slope == pytest.approx(2.0, abs=1e-9)
    assert fit.ci_low == pytest.approx(2.0, abs=1e-9) and fit.ci_high == pytest.approx(2.0,
                                                                                       abs=1e-9)
    check = Check(theorem="test.pac", metric="gap", x="N", eps_grid=EPS)
    recs = records({n: s for n, s in zip(NS, samples)})
    r = evaluate_check(check, recs, theorem=th())
    assert r.verdict == "PASS", r.reason
    assert r.kind_label == "rate/sample_complexity" and r.level == pytest.approx(0.9)
    # a wrong exponent in 1/eps fails
    assert evaluate_check(check, recs, theorem=th(exponent=1.0)).verdict == "FAIL"


def test_noisy_exponent_ci_covers_two():
    recs = records(noisy_values(np.random.default_rng(11)))
    check = Check(theorem="test.pac", metric="gap", x="N", eps_grid=EPS)
    r = evaluate_check(check, recs, theorem=th())
    assert r.fit.ci_low <= 2.0 <= r.fit.ci_high, (r.fit.slope, r.fit.ci_low, r.fit.ci_high)
    assert r.fit.ci_low < r.fit.ci_high
    assert r.verdict == "PASS", r.reason


def test_eps_outside_the_grid_are_dropped_and_reported():
    samples = [np.full(50, C * n ** -0.5) for n in NS]
    # C/sqrt(1e2) = 0.3 is reached at the smallest N; C/sqrt(1e6) = 0.003 is the last value
    grid = EPS + (0.5, 1e-3, 1e-4)
    cv = sample_complexity_curve(NS, samples, grid, 0.9)
    assert set(cv["dropped"]) == {0.5, 1e-3, 1e-4}
    assert cv["dropped_large"] == (0.5,) and set(cv["dropped_small"]) == {1e-3, 1e-4}
    assert np.isnan(cv["N"][~cv["kept"]]).all() and cv["kept"].sum() == len(EPS)
    check = Check(theorem="test.pac", metric="gap", x="N", eps_grid=grid)
    r = evaluate_check(check, records(dict(zip(NS, samples))), theorem=th())
    assert r.n_dropped == 3 and r.n_points == len(EPS)
    assert "2 eps never reached" in r.reason and "1 eps reached already" in r.reason
    assert r.verdict == "PASS"


def test_non_monotone_curve_uses_last_entry_below():
    xs = np.array([10.0, 100.0, 1000.0, 10000.0])
    q = [0.5, 0.05, 0.2, 0.01]          # dips below 0.1, comes back above, then stays below
    cv = sample_complexity_curve(xs, [np.full(40, v) for v in q], [0.1], 0.9)
    # crossing between 1000 (0.2) and 10000 (0.01), log-log interpolated
    t = (np.log(0.1) - np.log(0.2)) / (np.log(0.01) - np.log(0.2))
    assert cv["N"][0] == pytest.approx(10 ** (3 + t), rel=1e-12)


def test_bound_ten_times_too_small_fails_and_right_bound_passes():
    recs = records(noisy_values(np.random.default_rng(5)))
    check = Check(theorem="test.pac", metric="gap", x="N", eps_grid=EPS)
    small = evaluate_check(check, recs, theorem=th(kind="upper",
                                                   bound=lambda x, **_: C ** 2 * x ** 2 / 10))
    assert small.verdict == "FAIL" and small.bound == "NO", small.reason
    assert "max N(eps)/N_bound" in small.reason
    ok = evaluate_check(check, recs, theorem=th(kind="upper",
                                                bound=lambda x, **_: 10 * C ** 2 * x ** 2))
    assert ok.verdict == "PASS" and ok.bound == "yes", ok.reason


def test_sample_complexity_check_needs_eps_grid_and_one_delta():
    with pytest.raises(ValueError, match="^eps_grid"):
        Check(theorem="test.pac", metric="gap", x="N", statistic="sample_complexity")
    with pytest.raises(ValueError, match="^eps_grid"):
        Check(theorem="test.pac", metric="gap", x="N", eps_grid=(0.1, -1.0))
    with pytest.raises(ValueError, match="^eps_grid"):
        evaluate_check(Check(theorem="test.pac", metric="gap", x="N"), [], theorem=th())
    recs = records({n: np.full(5, C * n ** -0.5) for n in NS})
    for i, rec in enumerate(recs):
        rec["point"]["delta"] = 0.1 if rec["point"]["N"] < 1e4 else 0.05
    with pytest.raises(ValueError, match="^delta"):
        evaluate_check(Check(theorem="test.pac", metric="gap", x="N", eps_grid=EPS), recs,
                       theorem=th())


register(Theorem(id="sctest.pac", paper="toy", arxiv="", number="Thm 4", statement="",
                 quantity="gap", sweep_variable="1/eps", kind="upper", exponent=2.0,
                 bound=lambda x, **_: 20 * x ** 2, provenance="[D]",
                 statistic="sample_complexity", delta=0.1))


def test_sample_complexity_figure(tmp_path):
    recs = records(noisy_values(np.random.default_rng(2), n_rep=60))
    fig = Figure("pac", "N", {"gap": "sub-optimality"}, theorem="sctest.pac",
                 statistic="sample_complexity", eps_grid=EPS + (1e-4,))
    exp = Experiment(name="sctoy", title="toy", run=lambda p, r: {},
                     grids={"quick": [{"N": float(n)} for n in NS]}, replicates={"quick": 60},
                     figures=[fig])
    png, path = plot_figure(exp, fig, recs, profile="quick", out_dir=tmp_path)
    assert png.stat().st_size > 10_000
    rows = list(csv.DictReader(open(path)))
    assert list(rows[0])[:9] == ["curve", "kind", "group", "inv_eps", "N", "N_low", "N_high",
                                 "n", "level"]
    emp = [r for r in rows if r["kind"] == "sample_complexity"]
    bnd = [r for r in rows if r["kind"] == "bound"]
    assert len(emp) == len(EPS) and len(bnd) == len(EPS) + 1     # 1e-4 is dropped
    for r in emp:
        assert float(r["N_low"]) <= float(r["N"]) <= float(r["N_high"])
        assert float(r["N"]) == pytest.approx(C ** 2 * float(r["inv_eps"]) ** 2, rel=0.5)
        assert abs(float(r["fit_slope"]) - 2) < 0.2
    for r in bnd:
        assert float(r["N"]) == pytest.approx(20 * float(r["inv_eps"]) ** 2, rel=1e-12)
    with pytest.raises(ValueError, match="^eps_grid"):
        Figure("pac", "N", {"gap": "g"}, statistic="sample_complexity")
