"""Theorems as data.

Each paper family has a module ``rlth/theory/<family>.py`` that calls :func:`register` for each
theorem it states.  Modules are discovered automatically (every module in this package is
imported by :func:`all_theorems`), so adding a paper needs no edit here.

A theorem records what the paper bounds and how the bound scales in one sweep variable, so the
rate harness (:mod:`rlth.rates`) can compare a measured log-log slope with it and give a verdict.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Callable, Literal

__all__ = ["Theorem", "register", "get", "all_theorems", "KINDS", "STATISTICS"]

KINDS = ("upper", "lower", "rate")

#: What a theorem claims about its quantity (see :class:`Theorem`, attribute ``statistic``).
STATISTICS = ("mean", "quantile", "fraction", "exact", "sample_complexity")


@dataclass(frozen=True)
class Theorem:
    """One theorem of one paper, as data.

    Attributes
    ----------
    id : str
        Dotted identifier, ``<family>.<setting>.<what>`` (e.g. ``"lcb.cb.upper"``).
    paper : str
        Authors and year, e.g. ``"Rashidinejad, Zhu, Ma, Jiao, Russell (2021)"``.
    arxiv : str
        arXiv identifier of the paper.
    number : str
        Where in the paper: ``"Theorem 4"``, ``"Theorem 1, eq. (12)"``.
    statement : str
        One line: the bound in words or symbols.
    quantity : str
        The quantity bounded (e.g. "expected sub-optimality J(pi*) - J(pi_hat) of the output
        policy, exact").
    sweep_variable : str
        The variable of the rate (``"N"``, ``"T"``, ``"K"``, ``"1/(1-gamma)"``, ...).
    kind : {"upper", "lower", "rate"}
        ``upper``: the measured curve must stay below ``bound`` (when given) and its slope must
        not exceed ``exponent + tolerance``; ``lower``: a minimax lower bound (measured on the
        hard instance the slope must not be better than ``exponent - tolerance``); ``rate``: a
        tight rate, slope CI must meet ``exponent +- tolerance``.
    exponent : float or None
        Predicted log-log slope in ``sweep_variable``.
    regime : str
        Where the rate applies (e.g. "N >= 1/gap^2 burn-in"); empty if everywhere.
    bound : callable or None
        ``bound(x, **params) -> float`` for theorems whose constants are explicit; ``x`` is the
        sweep variable and ``params`` the sweep point's parameters.  The replicate mean must stay
        at or below it at every point in the regime (``kind="lower"``: at or above it); for
        another ``statistic`` the quantile's CI, the fraction's binomial CI or N(eps) is compared
        with it instead (see :mod:`rlth.rates`).
    tolerance : float
        Slope tolerance used by the verdict.
    provenance : str
        ``[V]`` verified against the paper, ``[R]`` reconstructed, ``[D]`` derived by us; may
        combine (e.g. "[V] statement, [R] constant").
    notes : str
        Anything a reader of the verdict table should know.
    reference : callable or None
        ``reference(x, **params) -> float``: the *exact expected value* of the quantity when it is
        known (self-tests); the verdict then also requires the replicate mean to agree with it
        within 5.5 standard errors at every point.  Used with the statistics ``"mean"`` and
        ``"exact"`` only (an expected value says nothing about a quantile).
    trivial_max : float or callable or None
        The trivial range of the quantity (e.g. ``1``, or ``lambda x, gamma, **_: 1/(1-gamma)``);
        an explicit ``bound`` above it at every point gives the verdict VACUOUS-BOUND.
    in_regime : callable or None
        ``in_regime(x, **params) -> bool``: whether a sweep point lies in the regime where the
        rate holds; points outside are not fitted, and no point inside gives NOT-IN-REGIME.
    statistic : {"mean", "quantile", "fraction", "exact", "sample_complexity"}
        What the statement claims (how :mod:`rlth.rates` judges the replicates):
        ``"mean"`` in expectation (the replicate-mean is fitted and compared); ``"quantile"``
        with probability >= 1 - delta (``kind="upper"`` / ``"rate"``: the (1 - delta)-quantile
        over replicates, ``"lower"``: the delta-quantile, with an order-statistic CI);
        ``"fraction"`` in every run / a fraction of runs (a 0/1 metric per replicate, the
        fraction compared with a binomial CI); ``"exact"`` a deterministic quantity (replicates
        must be identical, then judged like a mean); ``"sample_complexity"`` a PAC statement
        N(eps, delta): ``sweep_variable`` is 1/eps, ``exponent`` the exponent of N in 1/eps and
        ``bound(x, **params)`` (if explicit) is N_bound at ``x = 1/eps``.
    delta : float or None
        The failure probability of a high-probability statement (``0 < delta < 1``); a sweep
        point's parameter ``delta`` overrides it.  Only meaningful with ``statistic`` in
        ``("quantile", "fraction", "sample_complexity")``.
    """

    id: str
    paper: str
    arxiv: str
    number: str
    statement: str
    quantity: str
    sweep_variable: str
    kind: Literal["upper", "lower", "rate"]
    exponent: float | None
    regime: str = ""
    bound: Callable[..., float] | None = field(default=None, compare=False)
    tolerance: float = 0.1
    provenance: str = "[R]"
    notes: str = ""
    reference: Callable[..., float] | None = field(default=None, compare=False)
    trivial_max: float | Callable[..., float] | None = field(default=None, compare=False)
    in_regime: Callable[..., bool] | None = field(default=None, compare=False)
    statistic: Literal["mean", "quantile", "fraction", "exact", "sample_complexity"] = "mean"
    delta: float | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind: must be one of {KINDS}, got {self.kind!r}")
        if not self.id or " " in self.id:
            raise ValueError(f"id: must be a non-empty dotted name without spaces, got {self.id!r}")
        if self.tolerance <= 0:
            raise ValueError(f"tolerance: must be > 0, got {self.tolerance}")
        if self.statistic not in STATISTICS:
            raise ValueError(f"statistic: must be one of {STATISTICS}, got {self.statistic!r}")
        if self.delta is not None:
            d = self.delta
            if isinstance(d, bool) or not isinstance(d, (int, float)) or not 0 < d < 1:
                raise ValueError(f"delta: must be a number in (0, 1) or None, got {d!r}")
            if self.statistic in ("mean", "exact"):
                raise ValueError(f"delta: a {self.statistic!r} statistic has no failure "
                                 f"probability; set statistic='quantile', 'fraction' or "
                                 f"'sample_complexity' or leave delta=None")


_REGISTRY: dict[str, Theorem] = {}


def register(theorem: Theorem) -> Theorem:
    """Add ``theorem`` to the registry (idempotent for an identical re-registration)."""
    old = _REGISTRY.get(theorem.id)
    if old is not None and old != theorem:
        raise ValueError(f"id: theorem {theorem.id!r} is already registered with other content")
    _REGISTRY[theorem.id] = theorem
    return theorem


def _discover() -> None:
    for mod in pkgutil.iter_modules(__path__):
        if not mod.name.startswith("_"):
            importlib.import_module(f"{__name__}.{mod.name}")


def all_theorems() -> dict[str, Theorem]:
    """Every registered theorem, keyed by id (imports all modules of this package first)."""
    _discover()
    return dict(sorted(_REGISTRY.items()))


def get(theorem_id: str) -> Theorem:
    """The theorem with this id; ``ValueError`` naming close matches if unknown."""
    theorems = all_theorems()
    if theorem_id not in theorems:
        import difflib
        close = difflib.get_close_matches(theorem_id, theorems, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ValueError(f"theorem_id: unknown theorem {theorem_id!r}{hint}")
    return theorems[theorem_id]
