"""Rate figures: replicate-mean with a 95% CI band, the theorem's bound / exact reference, the
fitted log-log slope in the legend, and a caption with instance, constants and profile.

Each :class:`rlth.experiment.Figure` of an experiment becomes
``<out_dir>/<experiment>_<figure>.png`` and, beside it, ``<experiment>_<figure>.csv`` holding every
plotted number (long format: ``curve, kind, group, x, mean, ci_low, ci_high, n, sd``).  The
default ``out_dir`` is ``paper_figures/`` for the ``full`` profile and ``paper_figures/<profile>/``
otherwise (so a README quick run never overwrites the committed figures); the environment
variable ``RLTH_FIGURES_DIR`` replaces ``paper_figures``.  Figures are drawn on matplotlib's Agg
canvas without pyplot, so the caller's backend (e.g. a notebook's inline plots) is left alone.

The band is the normal-theory 95% CI of the mean, ``mean +- t_{0.975, n-1} sd / sqrt(n)``; the
legend's slope is :func:`rlth.rates.fit_slope` (bootstrap CI) over the positive means inside
``Figure.fit_window``, and the fitted line is drawn (thin, dashed) over the fitted range.

A figure with ``statistic="quantile"`` plots instead the empirical quantile at level
``1 - delta`` (``delta`` for a theorem of kind ``"lower"``) with its distribution-free
order-statistic 95% CI (:func:`rlth.rates.quantile_ci`; an infinite CI end, too few replicates,
leaves the band open there) and fits the quantiles; its CSV has the columns ``curve, kind, group,
x, quantile, ci_low, ci_high, n, level`` + the fit columns.  A figure with
``statistic="sample_complexity"`` plots N(eps) (:func:`rlth.rates.sample_complexity_curve`)
against 1/eps on log-log axes with the CI band from the quantile CI curves, the fitted exponent
and its bootstrap CI in the legend and the theorem's explicit bound as N_bound(1/eps); its CSV
has ``curve, kind, group, inv_eps, N, N_low, N_high, n, level`` + the fit columns.  Mean figures
keep the format above.
"""
from __future__ import annotations

import csv
import os
import textwrap
from pathlib import Path

import numpy as np

from .rates import (_call, aggregate, fit_sample_complexity, fit_slope, quantile_ci,
                    quantile_level)

__all__ = ["figures_dir", "figure_curves", "plot_figure", "plot_experiment", "repo_root"]


def repo_root() -> Path:
    """The source tree of an editable install (has ``pyproject.toml``), else the CWD."""
    here = Path(__file__).resolve().parent.parent
    return here if (here / "pyproject.toml").exists() else Path.cwd()


def figures_dir(profile: str) -> Path:
    """``$RLTH_FIGURES_DIR`` or ``<repo>/paper_figures``; ``/<profile>`` unless profile is full."""
    env = os.environ.get("RLTH_FIGURES_DIR")
    root = Path(env) if env else repo_root() / "paper_figures"
    return root if profile == "full" else root / profile


def _ci(values: np.ndarray):
    from scipy.stats import t as student_t
    n = values.size
    m = float(values.mean())
    if n < 2:
        return m, m, m, 0.0
    sd = float(values.std(ddof=1))
    h = float(student_t.ppf(0.975, n - 1)) * sd / np.sqrt(n)
    return m, m - h, m + h, sd


def _figure_delta(figure, th, point) -> float:
    if figure.delta is not None:
        return float(figure.delta)
    d = point.get("delta", th.delta if th is not None else None)
    if d is None:
        raise ValueError(f"delta: figure {figure.name!r} plots a {figure.statistic} and needs "
                         f"delta (Figure.delta, a 'delta' point parameter or Theorem.delta)")
    return float(d)


def figure_curves(experiment, figure, records) -> list[dict]:
    """The numbers a figure plots: one dict per curve (empirical, bound or reference).

    Each dict: ``label``, ``kind`` (``"mean"``, ``"bound"``, ``"reference"``), ``group``, and
    arrays ``x``, ``mean``, ``ci_low``, ``ci_high``, ``n``, ``sd``; empirical curves also carry
    ``fit`` (a :class:`rlth.rates.SlopeFit` or None).  For ``Figure.statistic == "quantile"``
    the empirical curves have kind ``"quantile"``, ``mean`` holds the quantile, ``ci_*`` its
    order-statistic CI and ``sd`` is replaced by ``level``; for ``"sample_complexity"`` kind
    ``"sample_complexity"``, ``x`` is 1/eps, ``mean`` N(eps), ``ci_*`` its CI ends, ``level``
    the quantile level (dropped eps are left out), and the bound curve is N_bound(1/eps).
    """
    from . import theory
    th = theory.get(figure.theorem) if figure.theorem else None
    if figure.statistic == "sample_complexity":
        return _sample_complexity_curves(figure, th, records)
    groups = _groups(figure, records)
    curves = []
    for g in groups:
        where, gtxt = _group_where(figure, g)
        first_rows = None
        for metric, label in figure.metrics.items():
            rows = aggregate(records, metric, figure.x, where)
            if not rows:
                continue
            first_rows = first_rows or rows
            xraw = np.array([r[0] for r in rows])
            x = (np.asarray(figure.x_transform(xraw), dtype=float) if figure.x_transform
                 else xraw)
            quant = figure.statistic == "quantile"
            if quant:
                kind = th.kind if th is not None else "upper"
                lv = np.array([quantile_level(kind, _figure_delta(figure, th, r[1]))
                               for r in rows])
                stats = np.array([quantile_ci(r[2], p) for r, p in zip(rows, lv)])
            else:
                stats = np.array([_ci(r[2]) for r in rows])
            n = np.array([r[2].size for r in rows])
            fit = None
            if figure.fit:
                sel = stats[:, 0] > 0
                if figure.fit_window is not None:
                    sel &= (xraw >= figure.fit_window[0]) & (xraw <= figure.fit_window[1])
                idx = np.flatnonzero(sel)
                if idx.size >= 2 and np.unique(x[idx]).size >= 2 and np.all(x[idx] > 0):
                    qkw = {"quantile": lv[idx]} if quant else {}
                    fit = fit_slope(x[idx], [rows[i][2] for i in idx], n_boot=1000, **qkw)
            if quant:
                lvt = f"{lv[0]:g}" if np.all(lv == lv[0]) else f"{lv.min():g}..{lv.max():g}"
                curves.append(dict(label=f"{label} {gtxt}".strip() + f" ({lvt}-quantile)",
                                   kind="quantile", group=gtxt, x=x, mean=stats[:, 0],
                                   ci_low=stats[:, 1], ci_high=stats[:, 2], n=n, sd=lv,
                                   level=lv, fit=fit))
                continue
            curves.append(dict(label=f"{label} {gtxt}".strip(), kind="mean", group=gtxt, x=x,
                               mean=stats[:, 0], ci_low=stats[:, 1], ci_high=stats[:, 2], n=n,
                               sd=stats[:, 3], fit=fit))
        if th is not None and first_rows is not None:
            xraw = np.array([r[0] for r in first_rows])
            x = (np.asarray(figure.x_transform(xraw), dtype=float) if figure.x_transform
                 else xraw)
            pts = [r[1] for r in first_rows]
            for kind, fn, name in (("bound", th.bound, f"bound ({th.number})"),
                                   ("reference", th.reference, "exact expectation")):
                if fn is None or (kind == "reference" and figure.statistic != "mean"):
                    continue
                yv = np.array([_call(fn, xv, p) for xv, p in zip(x, pts)], dtype=float)
                nan = np.full_like(yv, np.nan)
                curves.append(dict(label=f"{name} {gtxt}".strip(), kind=kind, group=gtxt, x=x,
                                   mean=yv, ci_low=nan, ci_high=nan,
                                   n=np.zeros(len(yv), int), sd=nan, fit=None))
    return curves


def _groups(figure, records) -> list:
    """The values of ``figure.group_by`` in the records (``[None]`` without grouping)."""
    if not figure.group_by:
        return [None]
    vals = {}
    for rec in records:
        p = rec["point"]
        if figure.group_by in p:
            vals.setdefault(repr(p[figure.group_by]), p[figure.group_by])
    return sorted(vals.values(), key=lambda v: (str(type(v)), v))


def _group_where(figure, g) -> tuple[dict, str]:
    """The point filter of group ``g`` and its legend text."""
    where = dict(figure.where)
    if g is None:
        return where, ""
    where[figure.group_by] = g
    return where, f"{figure.group_by}={g}"


def _sample_complexity_curves(figure, th, records) -> list[dict]:
    groups = _groups(figure, records)
    curves = []
    for g in groups:
        where, gtxt = _group_where(figure, g)
        params = None
        for metric, label in figure.metrics.items():
            rows = aggregate(records, metric, figure.x, where)
            if figure.fit_window is not None:
                rows = [r for r in rows if figure.fit_window[0] <= r[0] <= figure.fit_window[1]]
            if len(rows) < 2:
                continue
            deltas = {_figure_delta(figure, th, r[1]) for r in rows}
            if len(deltas) != 1:
                raise ValueError(f"delta: figure {figure.name!r}: the points of one curve must "
                                 f"share one delta, got {sorted(deltas)}")
            level = 1.0 - deltas.pop()
            xs = np.array([r[0] for r in rows])
            fit, cv = fit_sample_complexity(xs, [r[2] for r in rows], figure.eps_grid, level,
                                            n_boot=1000)
            if params is None:
                params = {k: v for k, v in rows[0][1].items() if k != figure.x}
            k = cv["kept"]
            nrep = min(r[2].size for r in rows)
            curves.append(dict(label=f"{label} {gtxt}".strip() + f" (N at {level:g}-quantile)",
                               kind="sample_complexity", group=gtxt, x=cv["inv_eps"][k],
                               mean=cv["N"][k], ci_low=cv["N_low"][k], ci_high=cv["N_high"][k],
                               n=np.full(int(k.sum()), nrep), sd=np.full(int(k.sum()), level),
                               level=np.full(int(k.sum()), level),
                               fit=fit if (figure.fit and fit is not None) else None,
                               dropped=cv["dropped"]))
        if th is not None and th.bound is not None and params is not None:
            inv = 1.0 / np.sort(np.asarray(figure.eps_grid, dtype=float))[::-1]
            yv = np.array([_call(th.bound, v, params) for v in inv], dtype=float)
            nan = np.full_like(yv, np.nan)
            curves.append(dict(label=f"N_bound ({th.number}) {gtxt}".strip(), kind="bound",
                               group=gtxt, x=inv, mean=yv, ci_low=nan, ci_high=nan,
                               n=np.zeros(len(yv), int), sd=nan, fit=None))
    return curves


_BAND = {"mean": "band = 95% CI of the mean",
         "quantile": "band = 95% order-statistic CI of the quantile",
         "sample_complexity": "band = N(eps) from the 95% CIs of the quantile curve"}


def _caption(experiment, profile: str, statistic: str = "mean") -> str:
    import rlth

    from .store import current_versions
    consts = ", ".join(f"{k}={v}" for k, v in dict(experiment.constants).items()) or "-"
    v = current_versions()
    made = ", ".join(f"{k} {v[k]}" for k in ("python", "numpy", "scipy", "numba"))
    return (f"{experiment.title}. Constants: {consts}. Profile '{profile}': "
            f"{experiment.replicates[profile]} replicates per point; {_BAND[statistic]}; "
            f"slope = log-log least squares, 95% bootstrap CI. rlth {rlth.__version__}; {made}.")


def plot_figure(experiment, figure, records, *, profile: str, out_dir=None) -> tuple[Path, Path]:
    """Draw one figure; returns ``(png_path, csv_path)``."""
    # a bare Figure (no pyplot): it draws on the Agg canvas whatever backend the caller uses, so
    # a notebook's inline plots keep working after the harness draws its figures
    import matplotlib
    from matplotlib.figure import Figure as MplFigure

    out = Path(out_dir) if out_dir is not None else figures_dir(profile)
    out.mkdir(parents=True, exist_ok=True)
    curves = figure_curves(experiment, figure, records)
    empirical = ("mean", "quantile", "sample_complexity")
    if not any(c["kind"] in empirical for c in curves):
        raise ValueError(f"figure: no records match figure {figure.name!r} of "
                         f"{experiment.name!r} (x={figure.x!r}, where={dict(figure.where)})")
    sc = figure.statistic == "sample_complexity"
    logx, logy = (True, True) if sc else (figure.logx, figure.logy)
    fig = MplFigure(figsize=(7.0, 5.2))
    ax = fig.subplots()
    colors = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
    ci = 0
    for c in curves:
        x = c["x"]
        if c["kind"] in empirical:
            col = colors[ci % len(colors)]
            ci += 1
            lab = c["label"]
            if c["fit"] is not None:
                f = c["fit"]
                word = "exponent" if c["kind"] == "sample_complexity" else "slope"
                lab += f"  ({word} {f.slope:+.3f} [{f.ci_low:+.3f}, {f.ci_high:+.3f}])"
            ok = c["mean"] > 0 if logy else np.ones(len(x), bool)
            ax.plot(x[ok], c["mean"][ok], "o-", color=col, label=lab, ms=4)
            lo = np.maximum(c["ci_low"], c["mean"] * 1e-3) if logy else c["ci_low"]
            hi = c["ci_high"]
            if c["kind"] != "mean":       # an infinite CI end (too few replicates): open band
                lo = np.where(np.isfinite(lo), lo, np.nan)
                hi = np.where(np.isfinite(hi), hi, np.nan)
            ax.fill_between(x[ok], lo[ok], hi[ok], color=col, alpha=0.25, lw=0)
            if c["fit"] is not None and logx and logy:
                xf = np.geomspace(c["fit"].x.min(), c["fit"].x.max(), 50)
                ax.plot(xf, np.exp(c["fit"].intercept) * xf ** c["fit"].slope, "--", color=col,
                        lw=1.0, alpha=0.9)
        else:
            style = "--" if c["kind"] == "bound" else ":"
            ok = c["mean"] > 0 if logy else np.isfinite(c["mean"])
            ax.plot(x[ok], c["mean"][ok], style, color="k", lw=1.6, label=c["label"])
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    if sc:
        ax.set_xlabel(figure.xlabel or "1/eps")
        ax.set_ylabel(figure.ylabel or f"N(eps): smallest {figure.x} reaching eps")
    else:
        ax.set_xlabel(figure.xlabel or figure.x)
        ax.set_ylabel(figure.ylabel or ", ".join(figure.metrics))
    ax.set_title(figure.title or experiment.name, fontsize=11)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    caption = textwrap.fill(_caption(experiment, profile, figure.statistic), 135)
    fig.text(0.01, 0.005, caption, fontsize=6.5, va="bottom", ha="left", wrap=True)
    n_lines = caption.count("\n") + 1
    fig.tight_layout(rect=(0, 0.012 + 0.02 * n_lines, 1, 1))
    png = out / f"{experiment.name}_{figure.name}.png"
    fig.savefig(png, dpi=130)

    csv_path = png.with_suffix(".csv")
    first = {"mean": ["x", "mean", "ci_low", "ci_high", "n", "sd"],
             "quantile": ["x", "quantile", "ci_low", "ci_high", "n", "level"],
             "sample_complexity": ["inv_eps", "N", "N_low", "N_high", "n", "level"]}
    with open(csv_path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["curve", "kind", "group", *first[figure.statistic],
                    "fit_slope", "fit_ci_low", "fit_ci_high", "fit_intercept", "fit_x_min",
                    "fit_x_max"])
        for c in curves:
            f = c["fit"]
            fs = ("",) * 6 if f is None else (repr(f.slope), repr(f.ci_low), repr(f.ci_high),
                                              repr(f.intercept), repr(float(f.x.min())),
                                              repr(float(f.x.max())))
            for i in range(len(c["x"])):
                w.writerow([c["label"], c["kind"], c["group"], repr(float(c["x"][i])),
                            repr(float(c["mean"][i])), repr(float(c["ci_low"][i])),
                            repr(float(c["ci_high"][i])), int(c["n"][i]), repr(float(c["sd"][i])),
                            *fs])
    return png, csv_path


def plot_experiment(experiment, records, *, profile: str, out_dir=None) -> list[Path]:
    """Draw every figure of ``experiment``; returns the PNG paths."""
    return [plot_figure(experiment, f, records, profile=profile, out_dir=out_dir)[0]
            for f in experiment.figures]
