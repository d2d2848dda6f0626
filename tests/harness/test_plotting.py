"""Rate figures: PNG + CSV of every plotted number, bound curves, groups, output directories."""
import csv

import numpy as np
import pytest

from rlth.experiment import Experiment, Figure
from rlth.plotting import figure_curves, figures_dir, plot_experiment, plot_figure
from rlth.theory import Theorem, register

register(Theorem(id="plottest.bound", paper="toy", arxiv="", number="Thm 2", statement="",
                 quantity="y", sweep_variable="N", kind="upper", exponent=-0.5,
                 bound=lambda x, C=1.0, **_: 3 * C * x ** -0.5, provenance="[D]"))


def _run(params, rng):  # pragma: no cover - records are built by hand below
    return {}


def records(seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for C in (1.0, 2.0):
        for N in (10, 100, 1000, 10000):
            for r in range(20):
                y = C * N ** -0.5 * (1 + 0.3 * rng.standard_normal())
                out.append({"point": {"N": N, "C": C}, "replicate": r,
                            "metrics": {"y": y, "z": 0.0 if N == 10000 else 2 * y}})
    return out


EXP = Experiment(
    name="plottoy", title="toy instance", run=_run,
    grids={"quick": [{"N": N, "C": C} for C in (1.0, 2.0) for N in (10, 100, 1000, 10000)],
           "full": [{"N": 10, "C": 1.0}]},
    replicates={"quick": 20, "full": 1}, constants={"c_penalty": 0.1, "mode": "scaled"},
    figures=[Figure("grouped", "N", {"y": "y", "z": "z"}, group_by="C",
                    theorem="plottest.bound", title="grouped"),
             Figure("one", "N", {"y": "y"}, where={"C": 1.0}, theorem="plottest.bound")])


def test_png_and_csv_hold_every_plotted_number(tmp_path):
    recs = records()
    png, csv_path = plot_figure(EXP, EXP.figures[1], recs, profile="quick", out_dir=tmp_path)
    assert png == tmp_path / "plottoy_one.png" and png.stat().st_size > 10_000
    rows = list(csv.DictReader(open(csv_path)))
    means = [r for r in rows if r["kind"] == "mean"]
    bounds = [r for r in rows if r["kind"] == "bound"]
    assert len(means) == 4 and len(bounds) == 4
    for r in means:
        N = float(r["x"])
        vals = np.array([rec["metrics"]["y"] for rec in recs
                         if rec["point"] == {"N": N, "C": 1.0}])
        assert float(r["mean"]) == pytest.approx(vals.mean(), rel=1e-12)
        assert float(r["ci_low"]) < float(r["mean"]) < float(r["ci_high"])
        assert int(r["n"]) == 20
        assert float(r["sd"]) == pytest.approx(vals.std(ddof=1), rel=1e-12)
        assert abs(float(r["fit_slope"]) + 0.5) < 0.1
    for r in bounds:
        assert float(r["mean"]) == pytest.approx(3 * float(r["x"]) ** -0.5, rel=1e-12)


def test_grouped_curves_and_zero_means(tmp_path):
    curves = figure_curves(EXP, EXP.figures[0], records())
    labels = [(c["kind"], c["label"]) for c in curves]
    assert ("mean", "y C=1.0") in labels and ("mean", "z C=2.0") in labels
    assert sum(k == "bound" for k, _ in labels) == 2
    b2 = next(c for c in curves if c["kind"] == "bound" and c["group"] == "C=2.0")
    assert b2["mean"] == pytest.approx(6 * b2["x"] ** -0.5)
    # a zero mean (z at N=1e4) is kept in the CSV, left out of the log plot and the fit
    z1 = next(c for c in curves if c["label"] == "z C=1.0")
    assert z1["mean"][-1] == 0.0 and z1["fit"] is not None and len(z1["fit"].x) == 3
    paths = plot_experiment(EXP, records(), profile="quick", out_dir=tmp_path)
    assert [p.name for p in paths] == ["plottoy_grouped.png", "plottoy_one.png"]


def test_no_matching_records_is_an_error(tmp_path):
    fig = Figure("none", "N", {"y": "y"}, where={"C": 5.0})
    with pytest.raises(ValueError, match="^figure"):
        plot_figure(EXP, fig, records(), profile="quick", out_dir=tmp_path)


def test_figure_directories(tmp_path, monkeypatch):
    monkeypatch.delenv("RLTH_FIGURES_DIR", raising=False)
    full = figures_dir("full")
    assert full.name == "paper_figures" and figures_dir("quick") == full / "quick"
    monkeypatch.setenv("RLTH_FIGURES_DIR", str(tmp_path))
    assert figures_dir("full") == tmp_path and figures_dir("quick") == tmp_path / "quick"
    png, _ = plot_figure(EXP, EXP.figures[1], records(), profile="quick")
    assert png.parent == tmp_path / "quick"


def test_x_transform_and_linear_axes(tmp_path):
    rng = np.random.default_rng(3)
    recs = [{"point": {"gamma": g}, "replicate": r,
             "metrics": {"y": (1 - g) ** -2 * (1 + 0.05 * rng.standard_normal())}}
            for g in (0.9, 0.99, 0.999) for r in range(10)]
    fig = Figure("gam", "gamma", {"y": "y"}, x_transform=lambda g: 1 / (1 - g), logy=True)
    c = figure_curves(EXP, fig, recs)[0]
    assert c["x"] == pytest.approx([10, 100, 1000]) and abs(c["fit"].slope - 2) < 0.05
    lin = Figure("lin", "gamma", {"y": "y"}, logx=False, logy=False, fit=False)
    png, _ = plot_figure(EXP, lin, recs, profile="full", out_dir=tmp_path)
    assert png.exists()


def test_drawing_leaves_the_callers_backend_and_figures_alone(tmp_path):
    """A notebook user's backend (here 'svg', standing for an inline one) and open pyplot
    figures survive the harness's plots (it used to force Agg)."""
    import matplotlib
    import matplotlib.pyplot as plt
    before = matplotlib.get_backend()
    plt.switch_backend("svg")
    mine = plt.figure()
    try:
        plot_figure(EXP, EXP.figures[1], records(), profile="quick", out_dir=tmp_path)
        assert matplotlib.get_backend() == "svg"
        assert plt.get_fignums() == [mine.number]
    finally:
        plt.close(mine)
        plt.switch_backend(before)
