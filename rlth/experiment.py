"""The experiment specification: what a sweep runs, which theorems it checks, what it plots.

An experiment module ``experiments/<family>.py`` defines a module-level ``EXPERIMENT`` (or a list
``EXPERIMENTS``) of :class:`Experiment`.  The harness (:mod:`rlth.sweep`, :mod:`rlth.rates`,
:mod:`rlth.plotting`, :mod:`rlth.cli`) runs it:

* for each profile (``"quick"``: CI and README, the whole set in minutes; ``"full"``: the committed
  figures) the grid is a list of *points*, each a JSON-serializable dict of parameters;
* each (point, replicate) gets its own child ``SeedSequence`` (entropy ``seed``, spawn key derived
  from the point's canonical JSON and the replicate index) and ``run(params, rng)`` returns a dict
  of float metrics for that replicate: one *record*;
* each :class:`Check` fits the log-log slope of the replicate-mean of ``metric`` against point
  parameter ``x`` (among the points matching ``where``) and compares it with the theorem (a
  high-probability theorem's quantile, fraction or sample complexity instead of the mean, as its
  ``statistic`` declares);
* each :class:`Figure` plots metrics against ``x`` with CI bands and the theorem's bound.

``run`` must be a module-level function and must draw all randomness from the ``rng`` it is
given.  Experiment files are imported by the harness under the name ``rlth_experiments_<family>``
and their source is shipped to worker processes / dask workers, so helpers in the file (even
``lru_cache``'d ones) work on every backend.  End the file with::

    if __name__ == "__main__":
        from rlth.cli import main_for
        main_for(EXPERIMENTS)          # python experiments/<family>.py --profile quick

to run and check it on its own (same options as ``rlth check``).
"""
from __future__ import annotations

import math

from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import numpy as np

__all__ = ["Experiment", "Check", "Figure", "PROFILES", "STATISTICS"]

PROFILES = ("quick", "full")

#: The statistics a check or figure may use; the same tuple as ``rlth.theory.STATISTICS`` (this
#: layer-1 module imports nothing of rlth, a test keeps the two equal).
STATISTICS = ("mean", "quantile", "fraction", "exact", "sample_complexity")


def _check_statistic(statistic, eps_grid, *, allow_none: bool) -> tuple | None:
    if statistic is None and allow_none:
        pass
    elif statistic not in STATISTICS:
        raise ValueError(f"statistic: must be one of {STATISTICS}"
                         f"{' or None' if allow_none else ''}, got {statistic!r}")
    if eps_grid is None:
        if statistic == "sample_complexity":
            raise ValueError("eps_grid: a 'sample_complexity' statistic needs the eps values "
                             "at which N(eps) is measured")
        return None
    try:
        grid = tuple(float(e) for e in eps_grid)
    except (TypeError, ValueError):
        raise ValueError(f"eps_grid: must be a sequence of numbers, got {eps_grid!r}") from None
    if not grid or not all(math.isfinite(e) and e > 0 for e in grid):
        raise ValueError(f"eps_grid: must be a non-empty sequence of positive finite numbers, "
                         f"got {eps_grid!r}")
    if len(set(grid)) != len(grid):
        raise ValueError(f"eps_grid: values must be distinct, got {eps_grid!r}")
    return grid


@dataclass(frozen=True)
class Check:
    """Compare one measured curve with one registered theorem.

    Attributes
    ----------
    theorem : str
        Theorem id (see :mod:`rlth.theory`).
    metric : str
        Record key whose replicate-mean is fitted (or, for another ``statistic``, its quantile,
        fraction or sample complexity N(eps): see :mod:`rlth.rates`).
    x : str
        Point parameter that is the sweep variable.
    where : mapping
        Only points whose parameters equal these values (e.g. ``{"C": 4.0}``).
    fit_window : (float, float) or None
        Inclusive range of ``x`` used by the fit; ``None`` uses every point.
    normalize : callable or None
        ``normalize(x_values, points) -> factors``; the metric mean is divided by the factor
        before fitting (e.g. ``sqrt(log N)`` when delta = 1/N puts a log in the bound).
    normalize_label : str
        How the normalization is shown ("/ sqrt(log N)").
    x_transform : callable or None
        Maps the point parameter to the sweep variable actually fitted (e.g. ``gamma ->
        1/(1-gamma)``).
    label : str
        Short tag shown in the verdict table (e.g. "C*=4").
    trivial_max : float or callable or None
        Overrides the theorem's ``trivial_max`` (``trivial_max(x, **params)`` or a number).
    in_regime : callable or None
        Overrides the theorem's ``in_regime(x, **params) -> bool``.
    compare_with : mapping or None
        A level comparison against another measured curve: the bound at each ``x`` is the
        replicate-mean of the same ``metric`` on the points matching this filter at the same
        ``x`` (e.g. ``{"algo": "bayes"}``, the Bayes-optimal rule's regret).  ``kind="lower"``:
        FAIL if some mean lies more than ``COMPARE_Z`` standard errors of the difference below
        the compared mean (``"upper"``: above).  The verdict reports the smallest (largest)
        ratio of the two means.
    burn_in_metric : str or None
        A *measured* burn-in: a point is fitted only if ``x > burn_in_factor`` times the
        largest replicate value of this record key at that point (e.g. the episode after which
        a conservative agent's mixing weight stays 1; a run that never settles records ``K``,
        which excludes its point).  No point past it: INCONCLUSIVE, with the
        measured burn-in in the reason.  Bound comparisons still use every point in the regime.
    burn_in_factor : float
        The factor of ``burn_in_metric`` (default 10).
    statistic : str or None
        The statistic judged (see :class:`rlth.theory.Theorem`); ``None`` uses the theorem's.
        It must be at least as strong as the theorem's (:func:`rlth.rates.statistic_problems`).
    eps_grid : tuple of float or None
        For a ``"sample_complexity"`` statistic: the accuracies eps at which N(eps) is measured
        (``x`` is then the sample-size parameter and ``metric`` the bounded quantity).
    """

    theorem: str
    metric: str
    x: str
    where: Mapping[str, object] = field(default_factory=dict)
    fit_window: tuple[float, float] | None = None
    normalize: Callable[[np.ndarray, Sequence[dict]], np.ndarray] | None = None
    normalize_label: str = ""
    x_transform: Callable[[np.ndarray], np.ndarray] | None = None
    label: str = ""
    trivial_max: float | Callable[..., float] | None = None
    in_regime: Callable[..., bool] | None = None
    compare_with: Mapping[str, object] | None = None
    burn_in_metric: str | None = None
    burn_in_factor: float = 10.0
    statistic: str | None = None
    eps_grid: tuple[float, ...] | None = None

    def __post_init__(self):
        f = self.burn_in_factor
        if not (isinstance(f, (int, float)) and math.isfinite(f) and f > 0):
            raise ValueError(f"burn_in_factor: must be a positive finite number, got {f!r}")
        object.__setattr__(self, "eps_grid", _check_statistic(self.statistic, self.eps_grid,
                                                              allow_none=True))


@dataclass(frozen=True)
class Figure:
    """One figure of an experiment, written to ``paper_figures/<experiment>_<name>.png`` + CSV.

    Attributes
    ----------
    name : str
    x : str
        Point parameter on the horizontal axis.
    metrics : mapping
        Record key -> legend label, one curve (mean + CI band) each.
    where : mapping
        Point filter.
    group_by : str or None
        Point parameter: one curve per value and metric.
    theorem : str or None
        Draw this theorem's ``bound`` (if explicit) and report its fitted slope in the legend.
    logx, logy : bool
    xlabel, ylabel, title : str
    fit : bool
        Show the fitted log-log slope of each curve in its legend label.
    x_transform : callable or None
        Maps the point parameter to the plotted (and fitted) variable; the theorem's bound is
        evaluated at the transformed value.
    fit_window : (float, float) or None
        Range of the (untransformed) ``x`` used by the legend's slope fit; ``None``: all points.
    statistic : {"mean", "quantile", "sample_complexity"}
        ``"mean"``: the replicate-mean with its t-interval; ``"quantile"``: the empirical
        quantile at level 1 - delta (``delta`` when the theorem's kind is ``"lower"``) with its
        distribution-free order-statistic 95% CI band; ``"sample_complexity"``: N(eps) (the
        smallest ``x`` at which the (1 - delta)-quantile of each metric falls below eps) against
        1/eps, with the CI band from the quantile CI curves and the theorem's ``bound`` as
        N_bound(1/eps).
    eps_grid : tuple of float or None
        The eps values of a ``"sample_complexity"`` figure.
    delta : float or None
        The failure probability of a quantile / sample-complexity figure; ``None``: a point's
        ``delta`` parameter, else the theorem's ``delta``.
    """

    name: str
    x: str
    metrics: Mapping[str, str]
    where: Mapping[str, object] = field(default_factory=dict)
    group_by: str | None = None
    theorem: str | None = None
    logx: bool = True
    logy: bool = True
    xlabel: str = ""
    ylabel: str = ""
    title: str = ""
    fit: bool = True
    x_transform: Callable[[np.ndarray], np.ndarray] | None = None
    fit_window: tuple[float, float] | None = None
    statistic: str = "mean"
    eps_grid: tuple[float, ...] | None = None
    delta: float | None = None

    def __post_init__(self):
        if self.statistic not in ("mean", "quantile", "sample_complexity"):
            raise ValueError(f"statistic: a figure plots 'mean', 'quantile' or "
                             f"'sample_complexity', got {self.statistic!r}")
        object.__setattr__(self, "eps_grid", _check_statistic(self.statistic, self.eps_grid,
                                                              allow_none=False))
        d = self.delta
        if d is not None and (isinstance(d, bool) or not isinstance(d, (int, float))
                              or not 0 < d < 1):
            raise ValueError(f"delta: must be a number in (0, 1) or None, got {d!r}")


@dataclass(frozen=True)
class Experiment:
    """A sweep: instance builder + algorithms (inside ``run``), grid, replicates, checks, figures.

    Attributes
    ----------
    name : str
        Unique, used on the command line and in file names.
    title : str
        One line for ``rlth list`` and figure captions (instance and constants).
    run : callable
        ``run(params: dict, rng: numpy.random.Generator) -> dict[str, float]``.
    grids : mapping
        Profile name -> list of points (dicts of JSON-serializable parameters).
    replicates : mapping
        Profile name -> replicates per point.
    checks, figures : sequences
    constants : mapping
        The constants used ("paper" or a named scaled mode, and their values): stored with every
        run's metadata and printed in figure captions.
    seed : int
        Root entropy of the experiment's seed tree.
    run_batch : callable or None
        Optional vectorized ``run_batch(params, rngs: list[Generator]) -> list[dict]``; when given
        the sweep calls it once per point chunk instead of ``run`` per replicate.  Must give the
        same records as calling ``run`` on each generator.
    """

    name: str
    title: str
    run: Callable[[dict, np.random.Generator], dict]
    grids: Mapping[str, Sequence[dict]]
    replicates: Mapping[str, int]
    checks: Sequence[Check] = ()
    figures: Sequence[Figure] = ()
    constants: Mapping[str, object] = field(default_factory=dict)
    seed: int = 20261122
    run_batch: Callable[[dict, list], list] | None = None

    def __post_init__(self):
        if not self.name or not self.name.replace("_", "").replace("-", "").isalnum():
            raise ValueError(f"name: must be alphanumeric with _ or -, got {self.name!r}")
        missing = [p for p in self.grids if p not in self.replicates]
        if missing:
            raise ValueError(f"replicates: no replicate count for profiles {missing}")
        for p, n in self.replicates.items():
            if int(n) < 1:
                raise ValueError(f"replicates: profile {p!r} needs >= 1 replicate, got {n}")

    @property
    def profiles(self) -> tuple[str, ...]:
        return tuple(self.grids)
