#!/usr/bin/env python
"""Adversarial review of rlth's public surface (issue 17, closing note): a reproducible rerun.

Tries a fixed table of inputs (about 500) in eight categories and classifies each outcome:

========== =============================================================================
category   what is tried
========== =============================================================================
constructors  every public model class and builder of ``rlth.models``, ``rlth.instances``
              and the sparse builders
solvers       ``rlth.solvers.*`` (DP, occupancy, LP routes, matrix / Markov / preference
              games, dueling optima)
samplers      ``rlth.data.*`` (offline sufficient statistics, folds, rollouts, alias draws,
              duels, layer tuples, per-source data, dataset containers)
algorithms    every family's public entry points: LCB / VI-LCB and baselines, UCBVI,
              StepMix / EpsMix / Switch, learned baseline, Nash-MD and the competing
              dynamics, PEVI / LinPEVI-ADV+ / PNLSVI, HetPEVI, VPO, GLOW / GOLF / HyGLOW
cli           ``rlth list/run/check/figures/bench`` and an experiment file, by subprocess
store         corrupt, truncated, duplicate and ill-typed store lines (library and CLI)
determinism   same seed twice, int / Generator / SeedSequence seeds, serial vs loky,
              numba on vs off
numerics      bad scaling, ties, gamma near 1, tiny / huge rewards, each against an exact
              oracle (rational arithmetic, closed forms) or the solver's own certificate
========== =============================================================================

Outcomes: ``ok`` (documented behaviour: a ``ValueError`` whose message names the argument
for bad input, or an answer that agrees with the oracle for valid input); ``wrong-answer``
(a result returned for invalid input, or an incorrect result); ``unclear-error`` (an
exception other than ``ValueError``, or a ``ValueError`` that does not name the argument;
for the CLI a traceback or an exit status other than 2 for bad usage); ``crash`` (the
worker died -- e.g. a segfault -- or the case ran past its timeout).

Python cases run one at a time in a worker subprocess (restarted after a crash or a
timeout); CLI cases are subprocesses of their own.  Statistical oracles use tolerances of
at least 6 standard deviations (a false failure probability below 1e-8 per check).

Bad input is judged by the convention of docs/explanation/conventions.md section 4 (the
message names the argument); where a function documents a wider domain than the generic
tables assume (``delta`` in (0, 1] for LCB, ``N = 0`` for the samplers, ``n_iter = 0`` for the
preference dynamics, ``alpha >= 0`` for StepMix / VPO, ``gamma`` in [0, 1] for GLOW) the
documented behaviour is what is checked, as a valid case with an oracle.

Usage::

    python tools/adversarial_review.py                 # everything (about 2 minutes here)
    python tools/adversarial_review.py --only numerics --only store.
    python tools/adversarial_review.py --list          # the case table, nothing run
    python tools/adversarial_review.py --self-test     # a segfault and a hang are counted

Writes ``tools/adversarial_results.json`` (every case: id, category, input, expected,
outcome, message, seconds) and prints the counts per category and overall.
"""
from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import traceback
import warnings
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CATEGORIES = ("constructors", "solvers", "samplers", "algorithms", "cli", "store",
              "determinism", "numerics")
CATEGORIES_SELF: list[str] = []     # "selftest" with --self-test
OUTCOMES = ("ok", "wrong-answer", "unclear-error", "crash")
DEFAULT_TIMEOUT = 60.0


# ============================================================================ the case table
@dataclass
class Case:
    id: str
    category: str
    description: str
    expected: str
    kind: str                      # "bad" (ValueError naming `name`), "good" (oracle), "cli"
    thunk: object = None           # python: () -> value; cli: dict(argv=..., env=..., check=...)
    name: str = ""
    timeout: float = DEFAULT_TIMEOUT


CASES: dict[str, Case] = {}


def _add(case: Case) -> None:
    base, i = case.id, 2
    while case.id in CASES:
        case.id = f"{base}~{i}"
        i += 1
    CASES[case.id] = case


def bad(cat, cid, name, desc, thunk, timeout=DEFAULT_TIMEOUT):
    """Invalid input: a ValueError whose message names ``name`` is expected."""
    _add(Case(f"{cat}.{cid}", cat, desc, f"ValueError naming {name!r}", "bad", thunk, name,
              timeout))


def good(cat, cid, desc, expected, thunk, timeout=DEFAULT_TIMEOUT):
    """Valid input: ``thunk()`` checks the answer against an oracle and raises Wrong if not."""
    _add(Case(f"{cat}.{cid}", cat, desc, expected, "good", thunk, "", timeout))


def cli(cat, cid, desc, expected, argv, check, env=None, timeout=DEFAULT_TIMEOUT, setup=None):
    _add(Case(f"{cat}.{cid}", cat, desc, expected, "cli",
              dict(argv=argv, check=check, env=env or {}, setup=setup), "", timeout))


class Wrong(AssertionError):
    """The oracle disagrees with the answer."""


def check(cond, msg):
    if not cond:
        raise Wrong(msg)


def close(a, b, tol, what):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    err = float(np.max(np.abs(a - b))) if a.size else 0.0
    check(a.shape == b.shape and err <= tol, f"{what}: max error {err:.3g} > {tol:.3g}")


class _Lazy:
    """A module imported on first attribute access (the parent never imports rlth)."""

    def __init__(self, name):
        self._name = name

    def __getattr__(self, attr):
        return getattr(importlib.import_module(self._name), attr)


models = _Lazy("rlth.models")
inst = _Lazy("rlth.instances")
classic = _Lazy("rlth.instances.classic")
offp = _Lazy("rlth.instances.offline_pessimism")
epimin = _Lazy("rlth.instances.episodic_minimax")
ipref = _Lazy("rlth.instances.preference")
linoff = _Lazy("rlth.instances.linear_offline")
het = _Lazy("rlth.instances.heterogeneous")
duel_i = _Lazy("rlth.instances.dueling")
fclass = _Lazy("rlth.instances.finite_classes")
mclasses = _Lazy("rlth.models.classes")
msources = _Lazy("rlth.models.sources")
mpref = _Lazy("rlth.models.preference")
mbandits = _Lazy("rlth.models.bandits")
dp = _Lazy("rlth.solvers.dp")
occ = _Lazy("rlth.solvers.occupancy")
lp = _Lazy("rlth.solvers.lp")
games = _Lazy("rlth.solvers.games")
spref = _Lazy("rlth.solvers.preference")
data = _Lazy("rlth.data")
duels = _Lazy("rlth.data.duels")
layered = _Lazy("rlth.data.layered")
dsources = _Lazy("rlth.data.sources")
lcb = _Lazy("rlth.algorithms.offline.lcb")
base = _Lazy("rlth.algorithms.offline.baselines")
pevi = _Lazy("rlth.algorithms.offline.pevi")
pnl = _Lazy("rlth.algorithms.offline.pnlsvi")
hp = _Lazy("rlth.algorithms.offline.hetpevi")
runner = _Lazy("rlth.algorithms.online.runner")
ucbvi = _Lazy("rlth.algorithms.online.ucbvi")
stepmix = _Lazy("rlth.algorithms.online.stepmix")
lbase = _Lazy("rlth.algorithms.online.learned_baseline")
glow = _Lazy("rlth.algorithms.online.glow")
hyglow = _Lazy("rlth.algorithms.online.hyglow")
nmd = _Lazy("rlth.algorithms.preference.nash_md")
dyn = _Lazy("rlth.algorithms.preference.dynamics")
vpo = _Lazy("rlth.algorithms.preference.vpo")
prun = _Lazy("rlth.algorithms.preference.runner")
est_lin = _Lazy("rlth.estimators.linear")


# ------------------------------------------------------------------- bad values, generically
def poison(kind, valid):
    """``valid`` (an array) made bad in one way."""
    a = np.array(valid, dtype=np.float64)
    if kind == "nan":
        a.flat[0] = np.nan
    elif kind == "inf":
        a.flat[0] = np.inf
    elif kind == "-inf":
        a.flat[0] = -np.inf
    elif kind == "complex":
        return a.astype(np.complex128) + 1e-3j
    elif kind == "string":
        return a.astype(str)
    elif kind == "ragged":
        rows = a.reshape(a.shape[0], -1).tolist()
        rows[0] = rows[0] + [0.0]
        return rows
    elif kind == "empty":
        return np.empty((0,) * a.ndim)
    elif kind == "negative":
        a.flat[0] = -0.5
    elif kind == "huge":
        a.flat[0] = 1e300
    elif kind == "extra-axis":
        return a[..., None]
    elif kind == "short":
        return a[:-1] if a.shape[0] > 1 else a[..., :0]
    elif kind == "none":
        return None
    elif kind == "object":
        o = a.astype(object)
        o.flat[0] = "x"
        return o
    elif kind == "scalar":
        return 0.5
    else:  # pragma: no cover
        raise KeyError(kind)
    return a


ALL_KINDS = ("nan", "inf", "complex", "string", "ragged", "empty", "negative", "extra-axis",
             "short", "none", "object")
BAD_INT = {"zero": 0, "negative": -3, "float 2.5": 2.5, "string '3'": "3", "bool": True,
           "None": None, "nan": float("nan"), "complex": 1 + 0j}
BAD_PROB = {"0": 0.0, "1": 1.0, "-0.1": -0.1, "1.5": 1.5, "nan": float("nan"),
            "inf": float("inf"), "'0.1'": "0.1", "complex": 0.1 + 0j}
BAD_GAMMA = {"1.0": 1.0, "-0.1": -0.1, "1.5": 1.5, "nan": float("nan"), "'0.9'": "0.9",
             "complex": 0.9j}
BAD_PROB_HALF_OPEN = {k: v for k, v in BAD_PROB.items() if k != "1"}   # (0, 1] documented
BAD_POS = {"0": 0.0, "-1": -1.0, "nan": float("nan"), "inf": float("inf"), "'1'": "1",
           "complex": 1j}
BAD_NONNEG = {"-1": -1.0, "nan": float("nan"), "inf": float("inf"), "'1'": "1",
              "complex": 1j}


def table(cat, prefix, name, make, values, note=""):
    """One bad case per value: ``make(value)`` must raise a ValueError naming ``name``."""
    for label, v in values.items():
        bad(cat, f"{prefix}.{name}={label}", name, f"{prefix}: {name} = {label} {note}".strip(),
            (lambda v=v: make(v)))


def arrays(cat, prefix, name, make, valid, kinds=ALL_KINDS):
    for k in kinds:
        v = poison(k, valid)
        bad(cat, f"{prefix}.{name}:{k}", name, f"{prefix}: {name} {k}", (lambda v=v: make(v)))


# -------------------------------------------------------------------------- shared fixtures
@lru_cache(maxsize=None)
def FX(name):
    """Cached valid fixtures (built in the worker on first use)."""
    S, A, H = 2, 2, 3
    if name == "P":
        return np.full((S, A, S), 0.5)
    if name == "R":
        return np.array([[0.2, 0.5], [0.9, 0.1]])
    if name == "fh":
        return models.FiniteHorizonMDP(FX("P"), FX("R"), horizon=H)
    if name == "disc":
        return models.DiscountedMDP(FX("P"), FX("R"), 0.9)
    if name == "bandit":
        return models.MultiArmedBandit([0.2, 0.5, 0.7])
    if name == "cb":
        return models.ContextualBandit([0.5, 0.5], [[0.2, 0.6], [0.7, 0.1]])
    if name == "rmdp":
        return inst.random_mdp(3, 2, gamma=0.9, rng=0)
    if name == "rfh":
        return inst.random_mdp(3, 2, horizon=4, rng=0)
    if name == "mu3":
        return np.full((3, 2), 1 / 6)
    if name == "mg":
        return inst.random_markov_game(2, 2, 2, 3, rng=0)
    if name == "pg":
        return ipref.nontransitive_dice(mu=[0.6, 0.3, 0.1])
    if name == "duel":
        return duel_i.linear_dueling_bandit(1, 5, 2, rng=0)
    if name == "wins":
        m = FX("duel")
        return duels.sample_duel_counts(m, m.pi_ref, m.pi_ref, 2000, rng=1)
    if name == "coin":
        return linoff.onehot_coin(3)
    if name == "coin_data":
        c = FX("coin")
        return data.sample_trajectory_folds(c.model.mdp, c.behavior, 2000, 2, rng=0,
                                            reward="mean")
    if name == "law":
        return het.perturbed_garnet(3, 2, 3, alpha=10.0, reward_noise=0.1, rng=1)
    if name == "srcdata":
        src = FX("law").draw(5, rng=0)
        beh = het.partial_coverage(5, 3, 2, 3, rng=0)
        return dsources.sample_source_trajectories(src, beh, 50, rng=0)
    if name == "gamelaw":
        return het.perturbed_markov_game(2, 2, 2, 2, alpha=10.0, reward_noise=0.1, rng=1)
    if name == "gamedata":
        law = FX("gamelaw")
        src = law.draw(3, rng=0)
        return dsources.exact_source_data(src, np.full((3, 2, 2, 2, 2), 1 / 4))
    if name == "cbclass":
        return fclass.contextual_bandit_class(2, 2, 0.5)
    if name == "lock":
        return fclass.combination_lock_class(horizon=2, n_actions=2, noise=0.1, gap=0.5)
    if name == "pi_b":
        return stepmix.mixture_baseline(FX("fh"), 0.5)[0]
    raise KeyError(name)


_DEFAULT = object()


def FH(P=_DEFAULT, R=_DEFAULT, rho=None, horizon=3, reward_range=(0.0, 1.0)):
    return models.FiniteHorizonMDP(FX("P") if P is _DEFAULT else P,
                                   FX("R") if R is _DEFAULT else R,
                                   rho, horizon=horizon, reward_range=reward_range)


def DISC(P=_DEFAULT, R=_DEFAULT, gamma=0.9, rho=None):
    return models.DiscountedMDP(FX("P") if P is _DEFAULT else P,
                                FX("R") if R is _DEFAULT else R, gamma, rho)


# ============================================================== (a) constructors
def constructor_cases():
    c = "constructors"
    P, R = np.full((2, 2, 2), 0.5), np.array([[0.2, 0.5], [0.9, 0.1]])
    arrays(c, "FiniteHorizonMDP", "P", lambda x: FH(P=x), P,
           ALL_KINDS + ("huge",))
    bad(c, "FiniteHorizonMDP.P:rows-sum-2", "P", "P rows sum to 2", lambda: FH(P=P * 2))
    arrays(c, "FiniteHorizonMDP", "R", lambda x: FH(R=x), R,
           ("nan", "inf", "complex", "string", "ragged", "extra-axis", "short", "none",
            "huge"))
    bad(c, "FiniteHorizonMDP.R:outside-range", "R", "R = 1.5 with reward_range (0, 1)",
        lambda: FH(R=np.full((2, 2), 1.5)))
    arrays(c, "FiniteHorizonMDP", "rho", lambda x: FH(rho=x), np.array([0.5, 0.5]),
           ("nan", "complex", "string", "negative", "short", "extra-axis"))
    table(c, "FiniteHorizonMDP", "horizon", lambda v: FH(horizon=v),
          {**BAD_INT, "10**13 (V[H+1, S] above memory)": 10**13})
    table(c, "FiniteHorizonMDP", "reward_range", lambda v: FH(reward_range=v),
          {"(1, 0)": (1.0, 0.0), "(nan, 1)": (float("nan"), 1.0), "'ab'": "ab",
           "(0,)": (0.0,), "(0, inf)": (0.0, float("inf"))})
    arrays(c, "DiscountedMDP", "P", lambda x: DISC(P=x), P, ("nan", "complex", "ragged",
                                                              "negative", "empty"))
    arrays(c, "DiscountedMDP", "R", lambda x: DISC(R=x), R, ("nan", "complex", "short"))
    table(c, "DiscountedMDP", "gamma", lambda v: DISC(gamma=v), BAD_GAMMA)
    # bandits
    arrays(c, "MultiArmedBandit", "means", lambda x: models.MultiArmedBandit(x),
           np.array([0.2, 0.5]), ("nan", "inf", "complex", "string", "empty", "negative",
                                  "extra-axis", "none"))
    bad(c, "MultiArmedBandit.means:1.5-bernoulli", "means", "Bernoulli mean 1.5",
        lambda: models.MultiArmedBandit([1.5, 0.2]))
    bad(c, "MultiArmedBandit.reward=poisson", "reward", "reward kind 'poisson'",
        lambda: models.MultiArmedBandit([0.5], reward="poisson"))
    table(c, "MultiArmedBandit", "sigma",
          lambda v: models.MultiArmedBandit([0.5], reward="gaussian", sigma=v),
          {"-1": -1.0, "nan": float("nan"), "'1'": "1"})
    arrays(c, "ContextualBandit", "context_probs",
           lambda x: models.ContextualBandit(x, [[0.2, 0.6], [0.7, 0.1]]),
           np.array([0.5, 0.5]), ("nan", "complex", "negative", "short", "string"))
    bad(c, "ContextualBandit.context_probs:sum-0.8", "context_probs", "sums to 0.8",
        lambda: models.ContextualBandit([0.4, 0.4], [[0.2, 0.6], [0.7, 0.1]]))
    bad(c, "ContextualBandit.means:shape", "means", "means with 3 contexts for 2 probs",
        lambda: models.ContextualBandit([0.5, 0.5], np.full((3, 2), 0.5)))
    # games, linear, preference
    arrays(c, "MatrixGame", "A", lambda x: models.MatrixGame(x), np.eye(2),
           ("nan", "inf", "complex", "string", "ragged", "empty", "extra-axis", "none",
            "object"))
    MGP, MGR = np.full((2, 2, 2, 2), 0.5), np.zeros((2, 2, 2))
    arrays(c, "MarkovGame", "P", lambda x: models.MarkovGame(x, MGR, horizon=2), MGP,
           ("nan", "complex", "negative", "short", "ragged"))
    arrays(c, "MarkovGame", "R", lambda x: models.MarkovGame(MGP, x, horizon=2), MGR,
           ("nan", "complex", "short", "huge"))
    table(c, "MarkovGame", "horizon", lambda v: models.MarkovGame(MGP, MGR, horizon=v),
          {"0": 0, "2.5": 2.5, "None": None})
    phi = np.ones((2, 2, 1))
    LMU, LTH = np.full((2, 1), 0.5), [0.5]
    arrays(c, "LinearMDP", "phi", lambda x: models.LinearMDP(x, LMU, LTH, horizon=2), phi,
           ("nan", "complex", "string", "short", "empty"))
    arrays(c, "LinearMDP", "mu", lambda x: models.LinearMDP(phi, x, LTH, horizon=2), LMU,
           ("nan", "complex", "negative", "short"))
    arrays(c, "LinearMDP", "theta", lambda x: models.LinearMDP(phi, LMU, x, horizon=2),
           np.array(LTH), ("nan", "complex", "extra-axis", "huge"))
    table(c, "LinearMDP", "horizon", lambda v: models.LinearMDP(phi, LMU, LTH, horizon=v),
          {"0": 0, "'2'": "2"})
    pref = np.array([[[0.5, 0.7], [0.3, 0.5]]])
    arrays(c, "PreferenceGame", "pref", lambda x: models.PreferenceGame(x, [[0.5, 0.5]]),
           pref, ("nan", "complex", "negative", "short", "string", "huge"))
    bad(c, "PreferenceGame.pref:not-antisymmetric", "pref", "pref + pref^T != 1",
        lambda: models.PreferenceGame([[[0.5, 0.7], [0.7, 0.5]]], [[0.5, 0.5]]))
    arrays(c, "PreferenceGame", "mu", lambda x: models.PreferenceGame(pref, x),
           np.array([[0.5, 0.5]]), ("nan", "complex", "negative", "short", "extra-axis"))
    bad(c, "PreferenceGame.context_probs:sum-2", "context_probs", "context probs sum to 2",
        lambda: models.PreferenceGame(pref, [[0.5, 0.5]], context_probs=[2.0]))
    # dueling bandit model
    dphi, dth, dref = np.eye(2)[None], np.array([0.5, -0.5]), np.array([[0.5, 0.5]])
    arrays(c, "LinearDuelingBandit", "phi",
           lambda x: mbandits.LinearDuelingBandit([1.0], x, dth, dref, 0.5), dphi,
           ("nan", "complex", "short"))
    arrays(c, "LinearDuelingBandit", "pi_ref",
           lambda x: mbandits.LinearDuelingBandit([1.0], dphi, dth, x, 0.5), dref,
           ("nan", "negative", "short"))
    table(c, "LinearDuelingBandit", "beta",
          lambda v: mbandits.LinearDuelingBandit([1.0], dphi, dth, dref, v), BAD_POS)
    # policies
    arrays(c, "as_stochastic_policy", "pi",
           lambda x: models.as_stochastic_policy(x, 2, 2, horizon=2), np.full((2, 2), 0.5),
           ("nan", "complex", "negative", "string", "ragged", "short", "none"))
    bad(c, "as_stochastic_policy.pi:action-out-of-range", "pi", "deterministic action 5",
        lambda: models.as_stochastic_policy(np.array([[0, 5], [0, 0]]), 2, 2, horizon=2))
    # sparse builders
    import scipy.sparse as sp
    eye = sp.csr_matrix(np.eye(2))
    bad(c, "SparseFiniteHorizonMDP.P:complex", "P", "complex CSR P",
        lambda: models.SparseFiniteHorizonMDP(sp.csr_matrix(np.eye(2) + 0j), np.zeros((2, 1)),
                                              horizon=2))
    bad(c, "SparseFiniteHorizonMDP.P:rows-sum-2", "P", "CSR rows summing to 2",
        lambda: models.SparseFiniteHorizonMDP(sp.csr_matrix(2 * np.eye(2)), np.zeros((2, 1)),
                                              horizon=2))
    bad(c, "SparseFiniteHorizonMDP.P:dense-nan", "P", "P with NaN",
        lambda: models.SparseFiniteHorizonMDP(sp.csr_matrix(np.array([[np.nan, 1], [0, 1.]])),
                                              np.zeros((2, 1)), horizon=2))
    bad(c, "SparseFiniteHorizonMDP.R:nan", "R", "R with NaN",
        lambda: models.SparseFiniteHorizonMDP(eye, np.full((2, 1), np.nan), horizon=2))
    bad(c, "SparseFiniteHorizonMDP.horizon=0", "horizon", "horizon 0",
        lambda: models.SparseFiniteHorizonMDP(eye, np.zeros((2, 1)), horizon=0))
    bad(c, "SparseDiscountedMDP.gamma=1", "gamma", "gamma 1",
        lambda: models.SparseDiscountedMDP(eye, np.zeros((2, 1)), 1.0))
    bad(c, "SparseDiscountedMDP.R:shape", "R", "R of 3 rows for 2 states",
        lambda: models.SparseDiscountedMDP(eye, np.zeros((3, 1)), 0.9))
    bad(c, "sparse_mdp_from_function.transition:bad-prob", "transition",
        "transition returns probabilities summing to 2",
        lambda: models.sparse_mdp_from_function(2, 1, lambda s, a: ([0, 1], [1.0, 1.0]),
                                                np.zeros((2, 1)), horizon=2))
    bad(c, "sparse_mdp_from_function.n_states=0", "n_states", "n_states 0",
        lambda: models.sparse_mdp_from_function(0, 1, lambda s, a: ([0], [1.0]),
                                                np.zeros((0, 1)), horizon=2))
    bad(c, "sparse_mdp_from_function.transition:state-out-of-range", "transition",
        "next state 7 of 2",
        lambda: models.sparse_mdp_from_function(2, 1, lambda s, a: ([7], [1.0]),
                                                np.zeros((2, 1)), horizon=2))
    tab = {0: {0: [(1.0, 1, 1.0, True)]}, 1: {0: [(1.0, 1, 0.0, False)]}}
    bad(c, "sparse_mdp_from_table.table:empty", "table", "empty table",
        lambda: models.sparse_mdp_from_table([], horizon=2))
    bad(c, "sparse_mdp_from_table.horizon/gamma:both", "horizon",
        "both horizon and gamma given",
        lambda: models.sparse_mdp_from_table(tab, horizon=2, gamma=0.9))
    bad(c, "sparse_mdp_from_table.table:flat-tuples", "table",
        "a list of (s, a, s', p, r) tuples instead of table[s][a] = [(p, s', r, done)]",
        lambda: models.sparse_mdp_from_table([(0, 0, 0, 1.0, 0.5)], horizon=2))
    bad(c, "sparse_mdp_from_table.table:prob-1.5", "table", "an outcome of probability 1.5",
        lambda: models.sparse_mdp_from_table({0: {0: [(1.5, 0, 0.0, False)]}}, horizon=2))
    bad(c, "to_sparse.mdp:not-a-model", "mdp", "to_sparse('mdp')",
        lambda: models.to_sparse("mdp"))
    # finite classes and source laws
    bad(c, "FiniteModelClass.true_index=5", "true_index", "true_index out of range",
        lambda: mclasses.FiniteModelClass([FX("fh")], 5))
    bad(c, "FiniteModelClass.models:empty", "models", "no models",
        lambda: mclasses.FiniteModelClass([], 0))
    bad(c, "FiniteModelClass.models:not-mdps", "models", "models are strings",
        lambda: mclasses.FiniteModelClass(["a", "b"], 0))
    table(c, "PerturbedSourceLaw", "alpha",
          lambda v: msources.PerturbedSourceLaw(FX("fh"), alpha=v),
          {"0": 0.0, "-1": -1.0, "nan": float("nan"), "'10'": "10"})
    table(c, "PerturbedSourceLaw", "reward_noise",
          lambda v: msources.PerturbedSourceLaw(FX("fh"), reward_noise=v),
          {"-0.1": -0.1, "nan": float("nan")})
    bad(c, "PerturbedSourceLaw.reward_kind", "reward_kind", "reward_kind 'x'",
        lambda: msources.PerturbedSourceLaw(FX("fh"), reward_kind="x"))
    bad(c, "PerturbedSourceLaw.target", "target", "target a string",
        lambda: msources.PerturbedSourceLaw("mdp"))
    # instance builders
    table(c, "random_mdp", "n_states", lambda v: inst.random_mdp(v, 2, horizon=2),
          {**BAD_INT, "10**12 (memory)": 10**12})
    table(c, "random_mdp", "n_actions", lambda v: inst.random_mdp(2, v, horizon=2),
          {"0": 0, "'2'": "2", "2.5": 2.5})
    table(c, "random_mdp", "alpha", lambda v: inst.random_mdp(2, 2, horizon=2, alpha=v),
          {"-1": -1.0, "0": 0.0, "nan": float("nan")})
    bad(c, "random_mdp.horizon/gamma:neither", "horizon", "neither horizon nor gamma",
        lambda: inst.random_mdp(2, 2))
    bad(c, "random_mdp.gamma=1", "gamma", "gamma 1", lambda: inst.random_mdp(2, 2, gamma=1.0))
    bad(c, "random_mdp.branching=3>S", "branching", "branching 3 > n_states 2",
        lambda: inst.random_mdp(2, 2, horizon=2, branching=3))
    bad(c, "random_transitions.n_next=0", "n_next", "n_next 0",
        lambda: inst.random_transitions((2, 2), 0))
    bad(c, "random_transitions.shape:negative", "shape", "shape (-1, 2)",
        lambda: inst.random_transitions((-1, 2), 2))
    bad(c, "random_matrix_game.kind", "kind", "kind 'x'",
        lambda: inst.random_matrix_game(2, 2, kind="x"))
    table(c, "random_matrix_game", "n_rows", lambda v: inst.random_matrix_game(v, 2),
          {"0": 0, "-1": -1, "2.5": 2.5})
    table(c, "random_markov_game", "horizon", lambda v: inst.random_markov_game(2, 2, 2, v),
          {"0": 0, "'3'": "3"})
    table(c, "random_linear_mdp", "dim", lambda v: inst.random_linear_mdp(2, 2, v, 2),
          {"0": 0, "-1": -1})
    table(c, "riverswim", "n_states", lambda v: inst.riverswim(v, horizon=2),
          {"1": 1, "0": 0, "2.5": 2.5})
    table(c, "riverswim", "small_reward", lambda v: inst.riverswim(3, horizon=2, small_reward=v),
          {"nan": float("nan"), "1j": 1j, "2": 2.0})
    table(c, "chain", "slip", lambda v: inst.chain(3, horizon=2, slip=v),
          {"-0.1": -0.1, "1.5": 1.5, "nan": float("nan")})
    table(c, "gridworld", "goal", lambda v: inst.gridworld(2, 2, horizon=2, goal=v),
          {"(5, 5)": (5, 5), "'g'": "g"})
    table(c, "gridworld", "walls", lambda v: inst.gridworld(2, 2, horizon=2, walls=v),
          {"[1]": [1], "[(0, 0)] (start)": [(0, 0)], "[(7, 7)] (outside)": [(7, 7)]})
    table(c, "rock_paper_scissors", "scale", lambda v: inst.rock_paper_scissors(v),
          {"nan": float("nan"), "inf": float("inf"), "1j": 1j})
    table(c, "puterman_two_state", "gamma", lambda v: inst.puterman_two_state(v), BAD_GAMMA)
    table(c, "mab_two_point", "c_star", lambda v: offp.mab_two_point(v, 100),
          {"0.5 (<1)": 0.5, "nan": float("nan"), "-1": -1.0})
    table(c, "mab_two_point", "n_samples", lambda v: offp.mab_two_point(2.0, v),
          {"0": 0, "2.5": 2.5})
    table(c, "cb_expert", "n_contexts", lambda v: offp.cb_expert(v, 100), {"0": 0, "-2": -2})
    table(c, "cb_ambiguous", "c_star", lambda v: offp.cb_ambiguous(4, v, 100),
          {"0.5": 0.5, "nan": float("nan")})
    table(c, "mdp_replicas", "gamma", lambda v: offp.mdp_replicas(2, v, 100),
          {"1.0": 1.0, "-0.5": -0.5})
    table(c, "mdp_expert", "n_samples", lambda v: offp.mdp_expert(3, 0.9, v),
          {"0": 0, "'100'": "100"})
    table(c, "gap_chain", "gap", lambda v: epimin.gap_chain(v),
          {"-0.1": -0.1, "nan": float("nan"), "2": 2.0})
    table(c, "two_point_chain", "member", lambda v: epimin.two_point_chain(0.1, v),
          {"5": 5, "-1": -1, "'0'": "0"})
    table(c, "needle_mdp", "eps", lambda v: epimin.needle_mdp(
        epimin.draw_needles(2, 1, 4, rng=0), v, n_commit=1, horizon=4),
        {"-0.1": -0.1, "nan": float("nan"), "2": 2.0})
    table(c, "minimax_gap", "n_episodes", lambda v: epimin.minimax_gap(v, 1.0, 2, 2, 3),
          {"0": 0, "-5": -5})
    table(c, "reference_policy", "kind", lambda v: ipref.reference_policy(3, v),
          {"'bogus'": "bogus", "None": None})
    table(c, "random_preference", "n_actions", lambda v: ipref.random_preference(v, rng=0),
          {"0": 0, "1.5": 1.5})
    table(c, "rps_tournament", "p_win", lambda v: ipref.rps_tournament(3, p_win=v),
          {"1.5": 1.5, "-0.1": -0.1, "nan": float("nan")})
    def dice_ragged():
        g = ipref.dice_preference([[1, 2, 3], [4, 5], [3]])
        P = np.asarray(g.pref).reshape(3, 3)
        # exact: P(D0 > D1) = 0; P(D0 > D2) = 0 + P(D0 = D2) / 2 = 1/6; P(D1 > D2) = 1
        close(P[0, 1], 0.0, 0, "P(D0 > D1)")
        close(P[0, 2], 1 / 6, 1e-15, "P(D0 > D2)")
        close(P[1, 2], 1.0, 0, "P(D1 > D2)")
    good(c, "dice_preference.dice:different-face-counts", "dice with 3, 2 and 1 faces",
         "exact win probabilities", dice_ragged)
    bad(c, "dice_preference.dice:nan", "dice", "NaN face",
        lambda: ipref.dice_preference([[1, 2, np.nan], [4, 5, 6]]))
    bad(c, "ranking_population.weights:negative", "weights", "negative weight",
        lambda: ipref.ranking_population([[0, 1, 2], [2, 1, 0]], [-1.0, 2.0]))
    bad(c, "ranking_population.rankings:not-permutation", "rankings", "[0, 0, 2]",
        lambda: ipref.ranking_population([[0, 0, 2]], [1.0]))
    table(c, "three_rater_example", "eps", lambda v: ipref.three_rater_example(v),
          {"-1": -1.0, "nan": float("nan")})
    arrays(c, "bradley_terry", "rewards", lambda x: ipref.bradley_terry(x), np.array([0., 1.]),
           ("nan", "complex", "empty", "string"))
    bad(c, "linear_preference.c:too-small", "c", "c smaller than the reward range",
        lambda: ipref.linear_preference([0.0, 5.0], c=1.0))
    bad(c, "bt_mixture.weights:sum-2", "weights", "weights sum to 2",
        lambda: ipref.bt_mixture([[0.0, 1.0], [1.0, 0.0]], [1.0, 1.0]))
    table(c, "onehot_coin", "coin_gap", lambda v: linoff.onehot_coin(3, coin_gap=v),
          {"-0.1": -0.1, "nan": float("nan"), "0.9": 0.9})
    table(c, "onehot_low_variance", "reward_band",
          lambda v: linoff.onehot_low_variance(reward_band=v), {"-1": -1.0, "2": 2.0})
    table(c, "random_features", "dim", lambda v: linoff.random_features(v), {"0": 0, "-1": -1})
    table(c, "perturbed_garnet", "alpha", lambda v: het.perturbed_garnet(alpha=v, rng=0),
          {"0": 0.0, "-1": -1.0, "nan": float("nan")})
    table(c, "two_arm_sources", "gap", lambda v: het.two_arm_sources(v),
          {"-0.1": -0.1, "0.9": 0.9, "nan": float("nan")})
    table(c, "partial_coverage", "coverage", lambda v: het.partial_coverage(3, 2, 2, 2,
                                                                            coverage=v, rng=0),
          {"0": 0.0, "1.5": 1.5, "nan": float("nan")})
    table(c, "linear_dueling_bandit", "n_responses",
          lambda v: duel_i.linear_dueling_bandit(1, v, 2, rng=0), {"0": 0, "-1": -1, "2.5": 2.5})
    table(c, "linear_dueling_bandit", "beta",
          lambda v: duel_i.linear_dueling_bandit(1, 4, 2, beta=v, rng=0), BAD_POS)
    arrays(c, "tabular_dueling_bandit", "rewards",
           lambda x: duel_i.tabular_dueling_bandit(x), np.array([[0.0, 1.0]]),
           ("nan", "complex", "empty"))
    table(c, "tilted_behavior", "lam", lambda v: duel_i.tilted_behavior(FX("duel"), v),
          {"nan": float("nan"), "inf": float("inf"), "'1'": "1"})
    table(c, "contextual_bandit_class", "family",
          lambda v: fclass.contextual_bandit_class(family=v), {"'x'": "x"})
    table(c, "contextual_bandit_class", "gap",
          lambda v: fclass.contextual_bandit_class(gap=v), {"-1": -1.0, "nan": float("nan")})
    table(c, "combination_lock_class", "noise",
          lambda v: fclass.combination_lock_class(noise=v), {"-0.1": -0.1, "1.5": 1.5})
    table(c, "combination_lock_class", "true_index",
          lambda v: fclass.combination_lock_class(true_index=v), {"99": 99, "-1": -1})

    # the remaining public helpers of rlth.models and rlth.instances
    table(c, "sparse_garnet_rows", "branching",
          lambda v: inst.sparse_garnet_rows(4, 3, v, rng=0), {"0": 0, "5 > n_next": 5, "1.5": 1.5})
    table(c, "sparse_garnet_rows", "n_rows", lambda v: inst.sparse_garnet_rows(v, 3, 2, rng=0),
          {"-1": -1, "'4'": "4"})
    table(c, "least_favorable_gap", "c", lambda v: offp.least_favorable_gap(10.0, 5.0, v, 1.0),
          {"-1": -1.0, "nan": float("nan")})
    table(c, "least_favorable_gap", "n_star",
          lambda v: offp.least_favorable_gap(v, 5.0, 0.5, 1.0),
          {"-1": -1.0, "nan": float("nan"), "'10'": "10"})
    table(c, "least_favorable_gap", "max_gap",
          lambda v: offp.least_favorable_gap(10.0, 5.0, 0.5, 1.0, max_gap=v),
          {"0": 0.0, "0.9": 0.9})
    table(c, "draw_needles", "n_decision", lambda v: epimin.draw_needles(v, 1, 4, rng=0),
          {"0": 0, "2.5": 2.5})
    table(c, "needle_commit_window", "horizon", lambda v: epimin.needle_commit_window(v),
          {"0": 0, "-3": -3, "'4'": "4"})
    table(c, "needle_eps", "n_episodes", lambda v: epimin.needle_eps(v, 1.0, 2, 1, 4),
          {"0": 0, "-1": -1})
    table(c, "stack_contexts", "games", lambda v: ipref.stack_contexts(v),
          {"[]": [], "['g']": ["g"]})
    bad(c, "stack_contexts.games:different-sizes", "games", "games with 3 and 5 actions",
        lambda: ipref.stack_contexts([ipref.rps_tournament(3), ipref.rps_tournament(5)]))
    table(c, "linear_preference_scale", "c",
          lambda v: ipref.linear_preference_scale(np.array([0.0, 1.0]), v),
          {"0": 0.0, "-1": -1.0, "nan": float("nan")})
    table(c, "bellman_class", "values", lambda v: linoff.bellman_class(FX("fh"), v),
          {"nan": np.full((1, 4, 2), np.nan), "shape": np.zeros((1, 3, 3)), "'v'": "v"})
    table(c, "perturbed_markov_game", "alpha",
          lambda v: het.perturbed_markov_game(alpha=v, rng=0), {"0": 0.0, "-1": -1.0})
    table(c, "perturbed_pennies_game", "amplitude",
          lambda v: het.perturbed_pennies_game(amplitude=v, rng=0),
          {"-0.1": -0.1, "2": 2.0, "nan": float("nan")})
    mdpmod = _Lazy("rlth.models.mdp")
    mpolicy = _Lazy("rlth.models.policy")
    table(c, "uniform_rho", "n_states", lambda v: mdpmod.uniform_rho(v),
          {"0": 0, "-1": -1, "2.5": 2.5})
    def kl_documented():   # documented: no validation (validated callers only)
        close(mpref.kl_divergence([0.0, 1.0], [0.5, 0.5]), np.log(2.0), 1e-15, "KL")
        check(mpref.kl_divergence([0.5, 0.5], [1.0, 0.0]) == np.inf, "p > 0 = q gives inf")
        close(mpref.kl_divergence([[0.0, 1.0]], [[0.0, 1.0]], axis=1), [0.0], 0, "0 log 0 = 0")
    good(c, "kl_divergence.documented", "kl_divergence (documented: no validation)",
         "log 2; inf where p > 0 = q; 0 log 0 = 0", kl_documented)
    table(c, "deterministic_to_stochastic", "pi",
          lambda v: mpolicy.deterministic_to_stochastic(v, 2),
          {"action 5": np.array([0, 5]), "float": np.array([0.5, 1.0]), "negative": [-1, 0]})
    table(c, "deterministic_to_stochastic", "n_actions",
          lambda v: mpolicy.deterministic_to_stochastic(np.array([0, 1]), v),
          {"0": 0, "1.5": 1.5})
    table(c, "max_episode_reward", "reward",
          lambda v: mclasses.max_episode_reward(FX("fh"), v), {"'x'": "x"})
    table(c, "max_episode_reward", "mdp", lambda v: mclasses.max_episode_reward(v),
          {"'mdp'": "mdp"})

    # valid but edge-case inputs, with known answers
    def one_state():
        m = models.FiniteHorizonMDP(np.ones((1, 1, 1)), np.full((1, 1), 0.25), horizon=4)
        check(m.n_states == 1 and m.n_actions == 1, "S=A=1 model sizes")
        close(dp.backward_induction(m).value, 1.0, 1e-15, "V of S=A=1, H=4, r=1/4")
    good(c, "FiniteHorizonMDP.S=A=1", "S = A = 1 model", "value H*r exactly", one_state)

    def int_lists():
        m = models.FiniteHorizonMDP([[[1, 0], [0, 1]], [[1, 0], [0, 1]]], [[0, 1], [1, 0]],
                                    horizon=2)
        check(m.P.dtype == np.float64 and m.R.dtype == np.float64, "float64 storage")
        close(dp.backward_induction(m).value, 2.0, 0, "V of deterministic lists")
    good(c, "FiniteHorizonMDP.int-lists", "nested int lists", "accepted as float64", int_lists)

    def fortran_order():
        Pf = np.asfortranarray(FX("rmdp").P)
        m = models.DiscountedMDP(Pf, FX("rmdp").R, 0.9)
        check(m.P.flags.c_contiguous, "C-contiguous copy")
        close(dp.policy_iteration(m).V, dp.policy_iteration(FX("rmdp")).V, 1e-12, "same V")
    good(c, "DiscountedMDP.fortran-P", "Fortran-ordered P", "C-contiguous, same answer",
         fortran_order)

    def readonly():
        m = FX("fh")
        try:
            m.P[0, 0, 0] = 0.3
        except ValueError:
            return
        raise Wrong("model arrays are writable")
    good(c, "FiniteHorizonMDP.read-only", "write into mdp.P", "arrays are read-only", readonly)

    def sparse_roundtrip():
        m = inst.random_mdp(4, 2, horizon=3, rng=1)
        s = models.to_sparse(m)
        close(dp.backward_induction(s).V, dp.backward_induction(m).V, 1e-12, "sparse vs dense V")
    good(c, "to_sparse.roundtrip", "to_sparse of a random MDP", "same backward-induction V",
         sparse_roundtrip)

    def negative_rewards_sparse():
        m = models.FiniteHorizonMDP(FX("P"), -FX("R") - 5.0, horizon=3, reward_range=(-6, 0))
        s = models.to_sparse(m)
        V = dp.backward_induction(s).value
        close(V, dp.backward_induction(m).value, 1e-12, "sparse value of costs")
        check(V < -10, f"V0 of costs must be about -16, got {V}")
    good(c, "to_sparse.negative-rewards", "costs (rewards in [-6, 0]) on the sparse path",
         "V0 equal to the dense one (negative)", negative_rewards_sparse)

    def chain_known():
        m = inst.chain(5, horizon=10)
        sol = dp.backward_induction(m)
        check(np.isfinite(sol.value) and 0 <= sol.value <= 10, "chain value in [0, H]")
    good(c, "chain.valid", "chain(5, horizon=10)", "a value in [0, H]", chain_known)


# ============================================================== (b) solvers
NOT_MODELS = {"None": None, "3": 3, "'mdp'": "mdp", "array": np.zeros((2, 2))}
NOT_PAYOFFS = {"None": None, "3-D array": np.zeros((2, 2, 2)), "'A'": "A"}


def solver_cases():
    c = "solvers"
    for label, v in NOT_MODELS.items():
        bad(c, f"backward_induction.mdp={label}", "mdp", f"backward_induction({label})",
            (lambda v=v: dp.backward_induction(v)))
        bad(c, f"value_iteration.mdp={label}", "mdp", f"value_iteration({label})",
            (lambda v=v: dp.value_iteration(v)))
        bad(c, f"solve_lp.mdp={label}", "mdp", f"solve_lp({label})", (lambda v=v: lp.solve_lp(v)))
        bad(c, f"solve_markov_game.game={label}", "game", f"solve_markov_game({label})",
            (lambda v=v: games.solve_markov_game(v)))
        bad(c, f"solve_nash.game={label}", "game", f"solve_nash({label})",
            (lambda v=v: spref.solve_nash(v)))
    for label, v in NOT_PAYOFFS.items():
        bad(c, f"solve_matrix_game.A={label}", "A", f"solve_matrix_game({label})",
            (lambda v=v: games.solve_matrix_game(v)))
    bad(c, "backward_induction.mdp=discounted", "mdp", "a DiscountedMDP",
        lambda: dp.backward_induction(FX("disc")))
    bad(c, "policy_iteration.mdp=finite-horizon", "mdp", "a FiniteHorizonMDP",
        lambda: dp.policy_iteration(FX("fh")))
    bad(c, "optimal_value.mdp='x'", "mdp", "optimal_value('x')", lambda: dp.optimal_value("x"))
    table(c, "value_iteration", "tol", lambda v: dp.value_iteration(FX("disc"), tol=v),
          {**BAD_POS, "1e-300 (below the rounding floor)": 1e-300})
    table(c, "value_iteration", "max_iter", lambda v: dp.value_iteration(FX("disc"), max_iter=v),
          {"0": 0, "2.5": 2.5, "'10'": "10"})
    table(c, "policy_iteration", "max_iter",
          lambda v: dp.policy_iteration(FX("disc"), max_iter=v), {"0": 0, "-1": -1})
    pis = {"nan": np.array([[np.nan, 0.5], [0.5, 0.5]]), "sum 0.6": np.full((2, 2), 0.3),
           "complex": np.full((2, 2), 0.5) + 0j, "shape": np.full((3, 2), 0.5),
           "ragged": [[0.5, 0.5], [1.0]], "action 5": np.array([5, 0]), "string": "pi",
           "bool": np.array([True, False])}
    for label, v in pis.items():
        bad(c, f"evaluate_policy.pi={label}", "pi", f"evaluate_policy fh, pi {label}",
            (lambda v=v: dp.evaluate_policy(FX("fh"), v)))
        bad(c, f"occupancy.pi={label}", "pi", f"occupancy disc, pi {label}",
            (lambda v=v: occ.occupancy(FX("disc"), v)))
    bad(c, "concentrability.behavior:missing", "behavior", "no behavior",
        lambda: occ.concentrability(FX("disc"), np.full((2, 2), 0.5)))
    bad(c, "concentrability.behavior_distribution:nan", "behavior_distribution", "NaN",
        lambda: occ.concentrability(FX("disc"), np.full((2, 2), 0.5),
                                    behavior_distribution=np.full((2, 2), np.nan)))
    for label, v in {"nan": np.full(2, np.nan), "short": np.zeros(1), "string": "V",
                     "complex": np.zeros(2) + 0j}.items():
        bad(c, f"bellman_residual.V={label}", "V", f"bellman_residual V {label}",
            (lambda v=v: dp.bellman_residual(FX("disc"), v)))
    for label, v in {"nan": np.full((2, 2), np.nan), "empty": np.empty((2, 0)),
                     "string": "Q", "scalar": 1.0}.items():
        bad(c, f"greedy_policy.Q={label}", "Q", f"greedy_policy Q {label}",
            (lambda v=v: dp.greedy_policy(v)))
    table(c, "solve_lp", "solver", lambda v: lp.solve_lp(FX("disc"), solver=v),
          {"'simplex'": "simplex", "None": None, "1": 1})
    table(c, "solve_lp", "cvxpy_solver",
          lambda v: lp.solve_lp(FX("disc"), solver="cvxpy", cvxpy_solver=v),
          {"'NOPE'": "NOPE", "None": None})
    table(c, "solve_finite_horizon_lp", "solver",
          lambda v: lp.solve_finite_horizon_lp(FX("fh"), solver=v), {"'x'": "x"})
    for label, v in {"nan": np.full((2, 2), np.nan), "inf": np.full((2, 2), np.inf),
                     "complex": np.eye(2) + 0j, "ragged": [[0.0], [0.0, 1.0]],
                     "3-D": np.zeros((2, 2, 2)), "empty": np.empty((0, 2)),
                     "bool": True}.items():
        bad(c, f"solve_matrix_game.A={label}", "A", f"A {label}",
            (lambda v=v: games.solve_matrix_game(v)))
    for label, v in {"nan": [np.nan, 1.0], "sum 0.6": [0.3, 0.3], "short": [1.0],
                     "complex": [0.5 + 0j, 0.5], "string": "x"}.items():
        bad(c, f"matrix_game_gap.x={label}", "x", f"x {label}",
            (lambda v=v: games.matrix_game_gap(np.eye(2), v, [0.5, 0.5])))
        bad(c, f"matrix_game_gap.y={label}", "y", f"y {label}",
            (lambda v=v: games.matrix_game_gap(np.eye(2), [0.5, 0.5], v)))
    table(c, "best_response_value", "player",
          lambda v: games.best_response_value(inst.rock_paper_scissors(), np.full(3, 1 / 3), v),
          {"'MAX'": "MAX", "None": None, "1": 1})
    bad(c, "exploitability.pi_max:nan", "pi_max", "NaN strategy",
        lambda: games.exploitability(inst.rock_paper_scissors(), np.full(3, np.nan),
                                     np.full(3, 1 / 3)))
    bad(c, "exploitability.pi_min:shape", "pi_min", "4 actions for 3",
        lambda: games.exploitability(inst.rock_paper_scissors(), np.full(3, 1 / 3),
                                     np.full(4, 0.25)))
    bad(c, "exploitability.markov-pi_max:shape", "pi_max", "Markov game, wrong shape",
        lambda: games.exploitability(FX("mg"), np.full((5, 2), 0.5), np.full((2, 2), 0.5)))
    table(c, "solve_regularized_nash", "tau",
          lambda v: spref.solve_regularized_nash(FX("pg"), v), BAD_POS)
    table(c, "solve_regularized_nash", "method",
          lambda v: spref.solve_regularized_nash(FX("pg"), 0.1, method=v), {"'x'": "x"})
    table(c, "solve_regularized_nash", "tol",
          lambda v: spref.solve_regularized_nash(FX("pg"), 0.1, tol=v),
          {"-1": -1.0, "nan": float("nan")})
    table(c, "solve_regularized_nash", "max_iter",
          lambda v: spref.solve_regularized_nash(FX("pg"), 0.1, max_iter=v), {"0": 0, "2.5": 2.5})
    table(c, "soft_best_response", "pi",
          lambda v: spref.soft_best_response(FX("pg"), v, 0.1),
          {"nan": np.full(3, np.nan), "sum 0.6": np.full(3, 0.2), "short": np.full(2, 0.5)})
    table(c, "mmd_step", "eta", lambda v: spref.mmd_step(FX("pg"), np.full(3, 1 / 3), 0.1, v),
          {"-1": -1.0, "nan": float("nan"), "'1'": "1"})
    table(c, "duality_gap", "pi_prime",
          lambda v: spref.duality_gap(FX("pg"), np.full(3, 1 / 3), v, tau=0.1),
          {"nan": np.full(3, np.nan), "short": np.full(2, 0.5)})
    bad(c, "kl_optimal_policy.model", "model", "a PreferenceGame",
        lambda: spref.kl_optimal_policy(FX("pg")))
    table(c, "regularized_regret", "policy",
          lambda v: spref.regularized_regret(FX("duel"), v),
          {"nan": np.full((1, 5), np.nan), "shape": np.full((1, 4), 0.25),
           "sum 0.5": np.full((1, 5), 0.1)})
    bad(c, "regularized_value.reward:shape", "reward", "reward of wrong shape",
        lambda: spref.regularized_value(FX("duel"), FX("duel").pi_ref, reward=np.zeros(3)))

    # valid: cross-checks of the exact solvers
    def dp_agree():
        m = inst.random_mdp(5, 3, gamma=0.95, rng=3)
        vi, pi_, l1 = dp.value_iteration(m), dp.policy_iteration(m), lp.solve_lp(m)
        close(vi.V, pi_.V, max(vi.error_bound, 1e-9), "VI vs PI")
        close(l1.V, pi_.V, 1e-8, "LP (HiGHS) vs PI")
        check(np.array_equal(pi_.pi, l1.pi), "PI and LP policies differ")
    good(c, "dp.VI=PI=LP", "random 5x3 MDP, gamma 0.95", "VI, PI and HiGHS LP agree", dp_agree)

    def lp_cvxpy():
        m = inst.random_mdp(4, 2, gamma=0.9, rng=4)
        a, b = lp.solve_lp(m), lp.solve_lp(m, solver="cvxpy")
        close(b.V, a.V, max(b.error_bound, 1e-7), "cvxpy LP vs HiGHS LP")
        close(b.V, dp.policy_iteration(m).V, b.error_bound + 1e-12, "cvxpy certificate")
    good(c, "lp.cvxpy-route", "cvxpy (CLARABEL) LP route", "agrees with HiGHS within its bound",
         lp_cvxpy)

    def fh_lp():
        m = inst.random_mdp(3, 2, horizon=4, rng=5)
        close(lp.solve_finite_horizon_lp(m).V, dp.backward_induction(m).V, 1e-8, "FH LP vs BI")
        close(lp.solve_finite_horizon_lp(m, solver="cvxpy").V, dp.backward_induction(m).V,
              1e-6, "FH cvxpy LP vs BI")
    good(c, "lp.finite-horizon", "finite-horizon LP (HiGHS and cvxpy)", "equal to backward "
         "induction", fh_lp)

    def rps():
        s = games.solve_matrix_game(inst.rock_paper_scissors())
        close(s.value, 0.0, 1e-9, "RPS value")
        close(s.x, np.full(3, 1 / 3), 1e-7, "RPS strategy")
        s2 = games.solve_matrix_game(inst.rock_paper_scissors(), solver="cvxpy")
        close(s2.value, 0.0, 1e-6, "RPS value (cvxpy)")
    good(c, "games.rps", "rock-paper-scissors, HiGHS and cvxpy", "value 0, uniform", rps)

    def markov_game_cert():
        g = FX("mg")
        s = games.solve_markov_game(g)
        e = games.exploitability(g, s.pi_max, s.pi_min)
        check(e <= 1e-7, f"exploitability {e}")
        V = games.evaluate_policy_pair(g, s.pi_max, s.pi_min)
        close(float(g.rho @ V[0]), s.value, 1e-8, "value of the equilibrium pair")
    good(c, "games.markov-certificate", "random Markov game", "exploitability of its NE ~ 0",
         markov_game_cert)

    def pref_nash():
        s = spref.solve_nash(ipref.rps_tournament(3))
        close(s.pi, np.full((1, 3), 1 / 3).reshape(s.pi.shape), 1e-7, "RPS tournament Nash")
        close(s.value, 0.5, 1e-9, "value 1/2")
    good(c, "preference.solve_nash-rps", "RPS tournament", "uniform, value 1/2", pref_nash)

    def reg_nash_two_methods():
        a = spref.solve_regularized_nash(FX("pg"), 0.1)
        b = spref.solve_regularized_nash(FX("pg"), 0.1, method="mmd")
        close(a.pi, b.pi, 1e-7, "newton vs mmd")
        check(a.exploitability <= 1e-10, f"exploitability {a.exploitability}")
    good(c, "preference.reg-nash-two-methods", "dice game, tau 0.1", "Newton == MMD",
         reg_nash_two_methods)

    def occupancy_sums():
        m = FX("rfh")
        d = occ.occupancy(m, np.full((3, 2), 0.5))
        close(d.reshape(d.shape[0], -1).sum(1), np.ones(d.shape[0]), 1e-12, "stage sums")
        close(occ.concentrability(m, np.full((3, 2), 0.5), np.full((3, 2), 0.5)), 1.0, 1e-12,
              "C(pi, pi)")
    good(c, "occupancy.sums", "occupancy of uniform policy", "each stage sums to 1; C(pi,pi)=1",
         occupancy_sums)

    def dueling_opt():
        o = spref.dueling_optimum(FX("duel"))
        check(o.certificate <= 1e-8, f"certificate {o.certificate}")
        close(spref.regularized_regret(FX("duel"), o.pi), 0.0, 1e-9, "regret of optimum")
    good(c, "preference.dueling-optimum", "KL-regularized optimum of a dueling bandit",
         "enumeration agrees; zero regret", dueling_opt)


# ============================================================== (c) samplers
def sampler_cases():
    c = "samplers"
    table(c, "sample_bandit_dataset", "n_samples",
          lambda v: data.sample_bandit_dataset(FX("bandit"), np.full(3, 1 / 3), v, rng=0),
          {**{k: v for k, v in BAD_INT.items() if k != "zero"}, "10**20": 10**20})
    arrays(c, "sample_bandit_dataset", "behavior",
           lambda x: data.sample_bandit_dataset(FX("bandit"), x, 10, rng=0), np.full(3, 1 / 3),
           ("nan", "complex", "negative", "short", "string", "none"))
    bad(c, "sample_bandit_dataset.bandit", "bandit", "bandit = 'b'",
        lambda: data.sample_bandit_dataset("b", np.full(3, 1 / 3), 10, rng=0))
    bad(c, "sample_bandit_dataset.rng='x'", "rng", "rng = 'x'",
        lambda: data.sample_bandit_dataset(FX("bandit"), np.full(3, 1 / 3), 10, rng="x"))
    bad(c, "sample_bandit_dataset.rng=-1", "rng", "rng = -1",
        lambda: data.sample_bandit_dataset(FX("bandit"), np.full(3, 1 / 3), 10, rng=-1))
    table(c, "sample_contextual_dataset", "n_samples",
          lambda v: data.sample_contextual_dataset(FX("cb"), np.full((2, 2), 0.25), v, rng=0),
          {"-1": -1, "2.5": 2.5})
    bad(c, "sample_contextual_dataset.behavior:shape", "behavior", "behavior [3, 2]",
        lambda: data.sample_contextual_dataset(FX("cb"), np.full((3, 2), 1 / 6), 10, rng=0))
    bad(c, "sample_contextual_dataset.behavior:rows-not-joint", "behavior",
        "a policy (rows sum to 1) instead of the joint law",
        lambda: data.sample_contextual_dataset(FX("cb"), np.full((2, 2), 0.5), 10, rng=0))
    mdp, mu = (lambda: FX("rmdp")), (lambda: FX("mu3"))
    table(c, "sample_transition_dataset", "n_samples",
          lambda v: data.sample_transition_dataset(mdp(), mu(), v, rng=0),
          {k: v for k, v in BAD_INT.items() if k != "zero"})
    arrays(c, "sample_transition_dataset", "behavior_distribution",
           lambda x: data.sample_transition_dataset(mdp(), x, 10, rng=0), np.full((3, 2), 1 / 6),
           ("nan", "complex", "negative", "short", "ragged"))
    table(c, "sample_transition_dataset", "reward",
          lambda v: data.sample_transition_dataset(mdp(), mu(), 10, rng=0, reward=v),
          {"'bogus'": "bogus", "None": None})
    bad(c, "sample_transition_dataset.mdp", "mdp", "mdp = None",
        lambda: data.sample_transition_dataset(None, np.full((3, 2), 1 / 6), 10, rng=0))
    table(c, "sample_transition_folds", "n_folds",
          lambda v: data.sample_transition_folds(mdp(), mu(), 10, v, rng=0),
          {"0": 0, "2.5": 2.5, "10**9": 10**9})
    fh = lambda: FX("rfh")  # noqa: E731
    table(c, "sample_trajectory_dataset", "n_episodes",
          lambda v: data.sample_trajectory_dataset(fh(), np.full((3, 2), 0.5), v, rng=0),
          {"-1": -1, "2.5": 2.5, "nan": float("nan")})
    table(c, "sample_trajectory_dataset", "behavior_policy",
          lambda v: data.sample_trajectory_dataset(fh(), v, 10, rng=0),
          {"nan": np.full((3, 2), np.nan), "sum 0.6": np.full((3, 2), 0.3),
           "shape": np.full((5, 2), 0.5)})
    table(c, "sample_trajectory_folds", "n_folds",
          lambda v: data.sample_trajectory_folds(fh(), np.full((3, 2), 0.5), 10, v, rng=0),
          {"0": 0, "'2'": "2"})
    table(c, "rollout", "n_episodes",
          lambda v: data.rollout(fh(), np.zeros((4, 3), dtype=np.int64), v, rng=0),
          {"-1": -1, "2.5": 2.5, "10**13": 10**13, "nan": float("nan")})
    table(c, "rollout", "pi", lambda v: data.rollout(fh(), v, 2, rng=0),
          {"sum 1.4": np.full((3, 2), 0.7), "action 9": np.full((4, 3), 9),
           "float actions": np.full((4, 3), 0.5), "string": "pi"})
    bad(c, "rollout.mdp=discounted", "mdp", "a discounted MDP",
        lambda: data.rollout(FX("rmdp"), np.zeros(3, dtype=int), 2, rng=0))
    table(c, "rollout", "reward", lambda v: data.rollout(fh(), np.zeros((4, 3), dtype=int), 2,
                                                       rng=0, reward=v), {"'x'": "x"})
    arrays(c, "build_alias", "probs", lambda x: data.build_alias(x), np.array([0.3, 0.7]),
           ("nan", "inf", "negative", "empty", "complex", "string"))
    bad(c, "build_alias.probs:all-zero", "probs", "all zero", lambda: data.build_alias([0., 0.]))
    for u in (-1e6, -5.0, float("nan"), 1.0, 5.0, float("inf")):
        def draw(u=u):
            p = np.array([0.0, 0.3, 0.0, 0.7, 0.0])
            prob, alias = data.build_alias(p)
            j = int(data.alias_draw(prob, alias, u))
            check(0 <= j < 5 and p[j] > 0, f"alias_draw(u={u}) gave index {j}")
        good(c, f"alias_draw.u={u}", f"alias_draw with u = {u}",
             "clamped: an index of positive probability", draw)
    arrays(c, "BanditDataset", "counts", lambda x: data.BanditDataset(x, [0., 1.], [0., 1.], 3),
           np.array([1.0, 2.0]), ("nan", "negative", "complex", "short", "string"))
    bad(c, "BanditDataset.counts:fractional", "counts", "counts 0.5",
        lambda: data.BanditDataset([0.5, 2], [0.0, 1.0], [0.0, 1.0], 2))
    bad(c, "BanditDataset.n_samples:mismatch", "n_samples", "n_samples 4 for counts summing 3",
        lambda: data.BanditDataset([1, 2], [0.0, 1.0], [0.0, 1.0], 4))
    bad(c, "BanditDataset.reward_sums:nan", "reward_sums", "NaN sum",
        lambda: data.BanditDataset([1, 2], [np.nan, 1.0], [0.0, 1.0], 3))
    bad(c, "ContextualDataset.counts:bool", "counts", "bool counts",
        lambda: data.ContextualDataset(np.ones((2, 2), dtype=bool), np.zeros((2, 2)),
                                       np.zeros((2, 2)), 4))
    bad(c, "TransitionDataset.next_counts:mismatch", "next_counts", "next counts sum 2 vs 1",
        lambda: data.TransitionDataset([[1]], [[0.0]], [[[2]]], 1))
    bad(c, "TransitionDataset.next_counts:negative", "next_counts", "negative next counts",
        lambda: data.TransitionDataset([[1]], [[0.0]], [[[2, -1]]], 1))
    bad(c, "TrajectoryDataset.states:negative", "states", "state -1",
        lambda: data.TrajectoryDataset([[0, -1, 0]], [[0, 0]], [[0.0, 0.0]]))
    bad(c, "TrajectoryDataset.actions:shape", "actions", "actions [1, 3] for H = 2",
        lambda: data.TrajectoryDataset([[0, 1, 0]], [[0, 0, 0]], [[0.0, 0.0]]))
    bad(c, "TrajectoryDataset.rewards:nan", "rewards", "NaN reward",
        lambda: data.TrajectoryDataset([[0, 1, 0]], [[0, 0]], [[np.nan, 0.0]]))
    bad(c, "TrajectoryDataset.states:float", "states", "state 0.5",
        lambda: data.TrajectoryDataset([[0, 0.5, 0]], [[0, 0]], [[0.0, 0.0]]))
    bad(c, "SparseTransitionDataset.indices:out-of-range", "indices", "index 9 of 2 states",
        lambda: data.SparseTransitionDataset([[1]], [[0.0]], [1], [0, 1], [9], 1))
    bad(c, "SparseTransitionDataset.indptr:decreasing", "indptr", "indptr [0, 2, 1]",
        lambda: data.SparseTransitionDataset([[1], [0]], [[0.0], [0.0]], [[1]], [0, 2, 1], [0],
                                             1))
    table(c, "sample_duel_counts", "n_samples",
          lambda v: duels.sample_duel_counts(FX("duel"), FX("duel").pi_ref, FX("duel").pi_ref,
                                             v, rng=0), {"0": 0, "-1": -1, "2.5": 2.5})
    table(c, "sample_duel_counts", "pi1",
          lambda v: duels.sample_duel_counts(FX("duel"), v, FX("duel").pi_ref, 10, rng=0),
          {"nan": np.full((1, 5), np.nan), "shape": np.full((1, 4), 0.25)})
    bad(c, "sample_duel.pi2:sum-0.5", "pi2", "pi2 summing to 0.5",
        lambda: duels.sample_duel(FX("duel"), FX("duel").pi_ref, np.full((1, 5), 0.1), rng=0))
    table(c, "chosen_measure", "wins", lambda v: duels.chosen_measure(v),
          {"negative": -np.ones((1, 2, 2)), "nan": np.full((1, 2, 2), np.nan),
           "2-D": np.ones((2, 2))})
    table(c, "sample_layer_tuples", "n_samples",
          lambda v: layered.sample_layer_tuples(fh(), np.full((4, 3, 2), 1 / 6), v, rng=0),
          {"0": 0, "2.5": 2.5})
    table(c, "sample_layer_tuples", "nu",
          lambda v: layered.sample_layer_tuples(fh(), v, 5, rng=0),
          {"nan": np.full((4, 3, 2), np.nan), "sum 2": np.full((4, 3, 2), 1 / 3)})
    src = lambda: FX("law").draw(3, rng=0)  # noqa: E731
    table(c, "sample_source_trajectories", "n_episodes",
          lambda v: dsources.sample_source_trajectories(
              src(), np.full((3, 3, 3, 2), 0.5), v, rng=0), {"-1": -1, "1.5": 1.5})
    table(c, "exact_source_data", "behavior",
          lambda v: dsources.exact_source_data(src(), v),
          {"nan": np.full((3, 3, 3, 2), np.nan), "shape": np.full((2, 3, 3, 2), 0.5),
           "sum 0.6": np.full((3, 3, 3, 2), 0.3)})
    bad(c, "stack_source_datasets.datasets:empty", "datasets", "no datasets",
        lambda: dsources.stack_source_datasets([], np.full(3, 1 / 3)))

    # valid: statistical oracles (6-sigma tolerances)
    def bandit_stats():
        N = 10**6
        d = data.sample_bandit_dataset(FX("bandit"), [0.2, 0.3, 0.5], N, rng=7)
        check(int(d.counts.sum()) == N, "counts sum to N")
        sd = np.sqrt(N * np.array([0.2, 0.3, 0.5]) * (1 - np.array([0.2, 0.3, 0.5])))
        check(np.all(np.abs(d.counts - N * np.array([0.2, 0.3, 0.5])) <= 6 * sd), "counts law")
        m = d.reward_sums / d.counts
        check(np.all(np.abs(m - [0.2, 0.5, 0.7]) <= 6 * np.sqrt(0.25 / d.counts)), "means")
    good(c, "sample_bandit_dataset.law", "N = 10**6 Bernoulli bandit data",
         "counts and means within 6 sd", bandit_stats)

    def transition_stats():
        m = FX("rmdp")
        N = 10**6
        d = data.sample_transition_dataset(m, FX("mu3"), N, rng=8)
        Phat = d.next_counts / d.counts[..., None]
        check(np.all(np.abs(Phat - m.P) <= 6 * np.sqrt(0.25 / d.counts[..., None])), "P law")
    good(c, "sample_transition_dataset.law", "N = 10**6 transitions", "P-hat within 6 sd",
         transition_stats)

    def huge_n():
        d = data.sample_transition_dataset(FX("rmdp"), FX("mu3"), 10**15, rng=0)
        check(int(d.counts.sum()) == 10**15, "counts sum to 10**15")
    good(c, "sample_transition_dataset.N=1e15", "N = 10**15 (sufficient statistics)",
         "cost independent of N, counts exact", huge_n)

    def rollout_stats():
        m = inst.random_mdp(3, 2, horizon=4, rng=2)
        pi = np.zeros((4, 3), dtype=np.int64)
        d = data.rollout(m, pi, 40000, rng=9, reward="mean")
        mean = d.rewards.sum(1).mean()
        v = dp.evaluate_policy(m, pi).value
        check(abs(mean - v) <= 6 * 4 / np.sqrt(40000) / 2, f"mean return {mean} vs {v}")
    good(c, "rollout.mean-return", "40000 episodes", "mean return within 6 sd of exact value",
         rollout_stats)

    def n_zero():
        d = data.sample_bandit_dataset(FX("bandit"), np.full(3, 1 / 3), 0, rng=0)
        check(int(d.counts.sum()) == 0 and d.n_samples == 0, "empty bandit dataset")
        t = data.sample_transition_dataset(FX("rmdp"), FX("mu3"), 0, rng=0)
        check(int(t.counts.sum()) == 0, "empty transition dataset")
        e = data.sample_trajectory_dataset(FX("rfh"), np.full((3, 2), 0.5), 0, rng=0)
        check(int(e.counts.sum()) == 0, "no trajectories")
        s = dsources.sample_source_trajectories(FX("law").draw(3, rng=0),
                                                np.full((3, 3, 3, 2), 0.5), 0, rng=0)
        check(float(np.sum(s.counts)) == 0, "no source episodes")
    good(c, "samplers.N=0", "n_samples / n_episodes = 0 (documented N >= 0)",
         "empty datasets", n_zero)

    def traj_huge():
        e = data.sample_trajectory_dataset(FX("rfh"), np.full((3, 2), 0.5), 10**13, rng=0)
        close(e.counts.reshape(e.counts.shape[0], -1).sum(1), np.full(e.counts.shape[0], 1e13),
              0, "every step holds 10**13 transitions")
    good(c, "sample_trajectory_dataset.K=1e13", "10**13 episodes as sequential multinomials",
         "cost independent of K, counts exact", traj_huge)

    def alias_batched():
        prob, alias = data.build_alias([[0.3], [0.7]])
        check(prob.shape == (2, 1), "one table per row")
        check(int(data.alias_draw(prob[1], alias[1], 0.5)) == 0, "the only outcome")
    good(c, "build_alias.batched", "probs of shape (2, 1): two 1-outcome laws (documented "
         "batching along the last axis)", "two trivial tables", alias_batched)

    def duel_stats():
        m = FX("duel")
        W = duels.sample_duel_counts(m, m.pi_ref, m.pi_ref, 10**6, rng=3)
        check(int(W.sum()) == 10**6, "duel counts sum to N")
    good(c, "sample_duel_counts.total", "10**6 duels", "counts sum to N", duel_stats)


# ============================================================== (d) algorithms
def algorithm_cases():
    c = "algorithms"
    counts, sums = np.array([[1, 2]]), np.array([[0.5, 1.0]])
    # ---- LCB / VI-LCB and baselines
    table(c, "lcb_from_counts", "n_samples",
          lambda v: lcb.lcb_from_counts(counts, sums, n_samples=v), {"-5": -5, "2.7": 2.7,
                                                                      "'100'": "100"})
    table(c, "lcb_from_counts", "delta", lambda v: lcb.lcb_from_counts(counts, sums, delta=v),
          BAD_PROB_HALF_OPEN)
    table(c, "lcb_from_counts", "c", lambda v: lcb.lcb_from_counts(counts, sums, c=v), BAD_NONNEG)
    arrays(c, "lcb_from_counts", "counts", lambda x: lcb.lcb_from_counts(x, sums),
           counts.astype(float), ("nan", "negative", "complex", "short", "string"))
    bad(c, "lcb_from_counts.reward_sums:shape", "reward_sums", "sums of another shape",
        lambda: lcb.lcb_from_counts(counts, np.zeros((1, 3))))
    table(c, "lcb_penalty", "delta", lambda v: lcb.lcb_penalty(counts, v, 1.0),
          {"-0.1": -0.1, "0": 0.0})
    table(c, "lcb_penalty", "c", lambda v: lcb.lcb_penalty(counts, 0.1, v), {"-1": -1.0})
    table(c, "lcb_penalty", "n_cells", lambda v: lcb.lcb_penalty(counts, 0.1, 1.0, v),
          {"0": 0, "2.5": 2.5})
    bds = lambda: data.sample_bandit_dataset(FX("bandit"), np.full(3, 1 / 3), 30, rng=0)  # noqa
    table(c, "lcb_bandit", "delta", lambda v: lcb.lcb_bandit(bds(), delta=v),
          BAD_PROB_HALF_OPEN)
    bad(c, "lcb_bandit.dataset", "dataset", "dataset = counts array",
        lambda: lcb.lcb_bandit(np.array([1, 2])))
    bad(c, "lcb_contextual.dataset", "dataset", "a BanditDataset",
        lambda: lcb.lcb_contextual(bds()))
    table(c, "vi_lcb_n_folds", "n_samples", lambda v: lcb.vi_lcb_n_folds(v, 0.9),
          {"'100'": "100", "0": 0, "True": True})
    table(c, "vi_lcb_n_folds", "gamma", lambda v: lcb.vi_lcb_n_folds(100, v), BAD_GAMMA)
    table(c, "vi_lcb_penalty", "n_states", lambda v: lcb.vi_lcb_penalty(100, 0.9, v, 2),
          {"0": 0, "1.5": 1.5})
    folds = lambda: data.sample_transition_folds(FX("rmdp"), FX("mu3"), 30, 3, rng=0)  # noqa
    table(c, "vi_lcb", "gamma", lambda v: lcb.vi_lcb(folds(), v), BAD_GAMMA)
    table(c, "vi_lcb", "delta", lambda v: lcb.vi_lcb(folds(), 0.9, delta=v),
          {"0": 0.0, "1.5": 1.5, "nan": float("nan")})
    table(c, "vi_lcb", "folds", lambda v: lcb.vi_lcb(v, 0.9), {"[]": [], "'abc'": "abc",
                                                               "[None]": [None]})
    table(c, "vi_lcb", "penalty_scale", lambda v: lcb.vi_lcb(folds(), 0.9, penalty_scale=v),
          {"-1": -1.0, "nan": float("nan")})
    table(c, "ucb_from_counts", "delta", lambda v: base.ucb_from_counts(counts, sums, delta=v),
          {"0": 0.0, "2": 2.0})
    arrays(c, "greedy_from_counts", "counts", lambda x: base.greedy_from_counts(x, sums),
           counts.astype(float), ("nan", "negative", "short"))
    arrays(c, "most_played", "counts", lambda x: base.most_played(x), counts.astype(float),
           ("nan", "negative", "complex"))
    table(c, "empirical_policy_iteration", "gamma",
          lambda v: base.empirical_policy_iteration(folds(), v), {"1.0": 1.0, "nan": float("nan")})
    bad(c, "behavior_cloning.dataset", "dataset", "dataset = 'x'",
        lambda: base.behavior_cloning("x"))
    # ---- UCBVI, StepMix, EpsMix, Switch, learned baseline
    fh = lambda: FX("fh")  # noqa: E731
    table(c, "UCBVI", "bonus", lambda v: ucbvi.UCBVI(bonus=v), {"'x'": "x", "None": None})
    table(c, "UCBVI", "delta", lambda v: ucbvi.UCBVI(delta=v), BAD_PROB)
    table(c, "UCBVI", "bonus_scale", lambda v: ucbvi.UCBVI(bonus_scale=v), BAD_NONNEG)
    table(c, "UCBVI", "clip", lambda v: ucbvi.UCBVI(clip=v), {"'x'": "x"})
    table(c, "run_online", "n_episodes", lambda v: runner.run_online(fh(), ucbvi.UCBVI(), v,
                                                                     rng=0), BAD_INT)
    table(c, "run_online", "engine", lambda v: runner.run_online(fh(), ucbvi.UCBVI(), 2, rng=0,
                                                                 engine=v), {"'gpu'": "gpu"})
    table(c, "run_online", "agent", lambda v: runner.run_online(fh(), v, 2, rng=0),
          {"'agent'": "agent", "None": None})
    bad(c, "run_online.mdp=discounted", "mdp", "a discounted MDP",
        lambda: runner.run_online(FX("disc"), ucbvi.UCBVI(), 2, rng=0))
    bad(c, "run_online.mdp:rewards-outside-[0,1]", "mdp", "rewards 5 (range [0, 5])",
        lambda: runner.run_online(FH(R=np.array([[5.0, 0.0], [0.0, 1.0]]),
                                     reward_range=(0, 5)), ucbvi.UCBVI(), 3, rng=0))
    table(c, "StepMix", "alpha", lambda v: stepmix.StepMix(FX("pi_b"), alpha=v),
          {"-0.1": -0.1, "nan": float("nan"), "'0.1'": "0.1", "inf": float("inf")})
    table(c, "StepMix", "evaluation", lambda v: stepmix.StepMix(FX("pi_b"), 0.1, evaluation=v),
          {"'x'": "x"})
    bad(c, "StepMix.baseline:not-distribution", "baseline", "baseline of zeros",
        lambda: runner.run_online(fh(), stepmix.StepMix(np.zeros((3, 2, 2)), alpha=0.1), 2,
                                  rng=0))
    table(c, "EpsMix", "alpha", lambda v: stepmix.EpsMix(FX("pi_b"), alpha=v),
          {"-1": -1.0, "nan": float("nan")})
    table(c, "EpsMix", "n_grid", lambda v: stepmix.EpsMix(FX("pi_b"), 0.1, n_grid=v),
          {"0": 0, "2.5": 2.5})
    table(c, "Switch", "delta", lambda v: stepmix.Switch(FX("pi_b"), 0.1, delta=v),
          {"0": 0.0, "1": 1.0})
    bad(c, "EpsMix.mdp:rewards-outside-[0,1]", "mdp", "rewards -0.5",
        lambda: runner.run_online(FH(R=np.array([[-0.5, 0.0], [0.0, 1.0]]),
                                     reward_range=(-0.5, 1)),
                                  stepmix.EpsMix(np.full((3, 2, 2), 0.5), alpha=0.1), 3, rng=0))
    table(c, "mixture_baseline", "quality", lambda v: stepmix.mixture_baseline(fh(), v),
          {"'0.5'": "0.5", "nan": float("nan"), "1.5": 1.5})
    table(c, "step_mixture", "weight",
          lambda v: stepmix.step_mixture(np.full((3, 2, 2), 0.5), np.full((3, 2, 2), 0.5), v),
          {"-0.1": -0.1, "1.5": 1.5, "nan": float("nan")})
    table(c, "learn_baseline", "n_episodes",
          lambda v: lbase.learn_baseline(fh(), np.full((3, 2, 2), 0.5), v, 0.1, rng=0),
          {"0": 0, "2.5": 2.5})
    table(c, "learn_baseline", "alpha",
          lambda v: lbase.learn_baseline(fh(), np.full((3, 2, 2), 0.5), 10, v, rng=0),
          {"-0.1": -0.1, "nan": float("nan")})
    table(c, "sufficient_n", "alpha",
          lambda v: lbase.sufficient_n(2, 2, 3, v_star=2.0, v_ref=1.0, alpha=v, d_min=0.1),
          {"0": 0.0, "-1": -1.0})
    # ---- Nash-MD and dynamics
    pg = lambda: FX("pg")  # noqa: E731
    table(c, "nash_md", "tau", lambda v: nmd.nash_md(pg(), v, 3), BAD_POS)
    table(c, "nash_md", "n_iter", lambda v: nmd.nash_md(pg(), 0.1, v),
          {k: v for k, v in BAD_INT.items() if k != "zero"})
    table(c, "nash_md", "eta", lambda v: nmd.nash_md(pg(), 0.1, 3, eta=v),
          {"-1": -1.0, "nan": float("nan"), "'0.1'": "0.1", "array of 2 for 3": np.ones(2)})
    table(c, "nash_md", "feedback", lambda v: nmd.nash_md(pg(), 0.1, 3, feedback=v),
          {"'x'": "x"})
    table(c, "nash_md", "n_samples",
          lambda v: nmd.nash_md(pg(), 0.1, 3, feedback="sampled", n_samples=v),
          {"0": 0, "2.5": 2.5})
    table(c, "nash_md", "checkpoints", lambda v: nmd.nash_md(pg(), 0.1, 3, checkpoints=v),
          {"[5] > n_iter": [5], "[-1]": [-1], "'x'": "x"})
    table(c, "nash_md", "pi0", lambda v: nmd.nash_md(pg(), 0.1, 3, pi0=v),
          {"nan": np.full(6, np.nan), "sum 0.6": np.full(6, 0.1)})
    table(c, "geometric_mixture", "weight",
          lambda v: nmd.geometric_mixture(np.full((1, 3), 1 / 3), np.full((1, 3), 1 / 3), v),
          {"-0.1": -0.1, "1.5": 1.5, "nan": float("nan")})
    table(c, "theorem_step_sizes", "n_iter", lambda v: nmd.theorem_step_sizes(0.1, v),
          {"-1": -1, "'3'": "3"})
    table(c, "step_sizes", "eta", lambda v: nmd.step_sizes(v, 0.1, 3),
          {"callable -> -1": (lambda t: -1.0), "nan": float("nan")})
    for fname in ("omd", "mmd", "extragradient"):
        table(c, fname, "eta", (lambda v, f=fname: getattr(dyn, f)(pg(), 0.1, v, 3)),
              {"-1": -1.0, "nan": float("nan")})
        table(c, fname, "tau", (lambda v, f=fname: getattr(dyn, f)(pg(), v, 0.1, 3)),
              {"-1": -1.0, "nan": float("nan")})
    table(c, "mwu_self_play", "n_iter", lambda v: dyn.mwu_self_play(pg(), 0.1, v),
          {"-1": -1, "1.5": 1.5})
    table(c, "soft_best_response_iteration", "tau",
          lambda v: dyn.soft_best_response_iteration(pg(), v, 3), {"0": 0.0, "-1": -1.0})
    table(c, "fictitious_play", "n_iter", lambda v: dyn.fictitious_play(pg(), v),
          {"-1": -1, "2.5": 2.5})
    # ---- PEVI / LinPEVI-ADV+ / PNLSVI
    phi = lambda: FX("coin").model.phi  # noqa: E731
    D = lambda: FX("coin_data")  # noqa: E731
    table(c, "pevi", "delta", lambda v: pevi.pevi(phi(), D()[0], delta=v), BAD_PROB)
    table(c, "pevi", "lam", lambda v: pevi.pevi(phi(), D()[0], delta=0.1, lam=v),
          {"0": 0.0, "-1": -1.0, "nan": float("nan")})
    table(c, "pevi", "beta_scale", lambda v: pevi.pevi(phi(), D()[0], delta=0.1, beta_scale=v),
          {"-1": -1.0, "nan": float("nan")})
    table(c, "pevi", "phi", lambda v: pevi.pevi(v, D()[0], delta=0.1),
          {"nan": np.full((3, 2, 2, 2), np.nan), "'phi'": "phi"})
    table(c, "pevi", "data", lambda v: pevi.pevi(phi(), v, delta=0.1),
          {"None": None, "'data'": "data", "bandit data": "bandit"})
    table(c, "lin_pevi_adv_plus", "kappa",
          lambda v: pevi.lin_pevi_adv_plus(phi(), D()[0], D()[1], delta=0.1, kappa=v),
          {"0": 0.0, "-1": -1.0, "nan": float("nan"), "inf": float("inf")})
    table(c, "pnlsvi_linear", "kappa",
          lambda v: pnl.pnlsvi_linear(phi(), D()[0], D()[1], delta=0.1, kappa=v),
          {"0": 0.0, "nan": float("nan")})
    table(c, "pnlsvi_linear", "corr_form",
          lambda v: pnl.pnlsvi_linear(phi(), D()[0], D()[1], delta=0.1, kappa=0.1, corr_form=v),
          {"'x'": "x"})
    table(c, "pnlsvi_linear", "delta",
          lambda v: pnl.pnlsvi_linear(phi(), D()[0], D()[1], delta=v, kappa=0.1),
          {"0": 0.0, "1": 1.0})
    table(c, "linear_constants", "n_episodes",
          lambda v: pnl.linear_constants(2, 3, v, 0.1, 0.1), {"0": 0, "2.5": 2.5})
    table(c, "pnlsvi_finite", "F",
          lambda v: pnl.pnlsvi_finite(v, D()[0], D()[1], delta=0.1, kappa=0.1),
          {"nan": np.full((2, 3, 2, 2), np.nan), "'F'": "F", "empty": np.empty((0, 3, 2, 2))})
    table(c, "finite_constants", "n_candidates",
          lambda v: pnl.finite_constants(v, 3, 10, 0.1, 0.1), {"0": 0, "-1": -1})
    # ---- HetPEVI
    sd = lambda: FX("srcdata")  # noqa: E731
    table(c, "hetpevi", "delta", lambda v: hp.hetpevi(sd(), delta=v), BAD_PROB)
    table(c, "hetpevi", "c_src", lambda v: hp.hetpevi(sd(), c_src=v), BAD_NONNEG)
    table(c, "hetpevi", "union", lambda v: hp.hetpevi(sd(), union=v), {"'x'": "x"})
    table(c, "hetpevi", "eps_net", lambda v: hp.hetpevi(sd(), eps_net=v),
          {"0": 0.0, "-1": -1.0, "nan": float("nan")})
    table(c, "hetpevi", "data", lambda v: hp.hetpevi(v), {"None": None, "'d'": "d"})
    table(c, "hetpevi_game", "delta", lambda v: hp.hetpevi_game(FX("gamedata"), delta=v),
          {"0": 0.0, "2": 2.0})
    bad(c, "hetpevi_game.data:mdp-sources", "data", "MDP source data",
        lambda: hp.hetpevi_game(sd()))
    table(c, "naive_pooling", "c", lambda v: hp.naive_pooling(sd(), c=v), BAD_NONNEG)
    table(c, "single_source_pevi", "l", lambda v: hp.single_source_pevi(sd(), v),
          {"99": 99, "-1": -1, "1.5": 1.5})
    table(c, "tabular_pevi", "rho",
          lambda v: hp.tabular_pevi(data.sample_trajectory_dataset(FX("rfh"), np.full(
              (3, 2), 0.5), 10, rng=0), v),
          {"nan": np.full(3, np.nan), "short": np.full(2, 0.5)})
    table(c, "hetpevi_log_term", "delta", lambda v: hp.hetpevi_log_term(3, 6, 3, v),
          {"0": 0.0, "1": 1.0})
    # ---- VPO
    m = lambda: FX("duel")  # noqa: E731
    W = lambda: FX("wins")  # noqa: E731
    table(c, "vpo_offline", "alpha", lambda v: vpo.vpo_offline(m(), W(), v), BAD_NONNEG)
    table(c, "vpo_offline", "wins", lambda v: vpo.vpo_offline(m(), v, 1.0),
          {"negative": -np.ones((1, 5, 5)), "nan": np.full((1, 5, 5), np.nan),
           "shape": np.ones((1, 4, 4)), "complex": np.ones((1, 5, 5)) + 0j})
    table(c, "vpo_offline", "calibration", lambda v: vpo.vpo_offline(m(), W(), 1.0,
                                                                     calibration=v),
          {"'x'": "x"})
    table(c, "vpo_offline", "ridge", lambda v: vpo.vpo_offline(m(), W(), 1.0, ridge=v),
          {"-1": -1.0, "nan": float("nan")})
    table(c, "offline_lcb", "delta", lambda v: vpo.offline_lcb(m(), W(), delta=v),
          {"0": 0.0, "1": 1.0})
    table(c, "vpo_online_fit", "radius", lambda v: vpo.vpo_online_fit(m(), W(), 1.0, radius=v),
          BAD_POS)
    table(c, "VPOAgent", "radius", lambda v: vpo.VPOAgent(1.0, radius=v), {"0": 0.0, "-1": -1.0})
    table(c, "VPOAgent", "protocol", lambda v: vpo.VPOAgent(1.0, radius=1.0, protocol=v),
          {"'x'": "x"})
    table(c, "EllipsoidUCBAgent", "delta", lambda v: vpo.EllipsoidUCBAgent(delta=v),
          {"0": 0.0, "1.5": 1.5})
    table(c, "ThompsonAgent", "nu", lambda v: vpo.ThompsonAgent(v), {"-1": -1.0, "nan": np.nan})
    table(c, "UniformAgent", "radius", lambda v: vpo.UniformAgent(radius=v), {"0": 0.0})
    table(c, "run_dueling", "n_rounds",
          lambda v: prun.run_dueling(m(), vpo.UniformAgent(radius=1.0, rng=0), v, rng=0),
          {"0": 0, "2.5": 2.5})
    table(c, "curvature_bound", "alpha", lambda v: vpo.curvature_bound(m(), v),
          {"-1": -1.0, "nan": float("nan")})
    # ---- GLOW / GOLF / HyGLOW
    cb = lambda: FX("cbclass")  # noqa: E731
    table(c, "GLOW", "gamma", lambda v: glow.GLOW(cb(), 10, gamma=v),
          {"-0.1": -0.1, "1.5": 1.5, "nan": float("nan"), "'0.5'": "0.5"})
    table(c, "GLOW", "n_rounds", lambda v: glow.GLOW(cb(), v, gamma=0.5), BAD_INT)
    table(c, "GLOW", "delta", lambda v: glow.GLOW(cb(), 10, gamma=0.5, delta=v),
          {"0": 0.0, "1": 1.0})
    table(c, "GLOW", "variant", lambda v: glow.GLOW(cb(), 10, gamma=0.5, variant=v),
          {"'x'": "x"})
    table(c, "GLOW", "model_class", lambda v: glow.GLOW(v, 10, gamma=0.5),
          {"None": None, "an MDP": "mdp"})
    table(c, "GOLF", "conf_scale", lambda v: glow.GOLF(cb(), 10, conf_scale=v),
          {"-1": -1.0, "nan": float("nan")})
    table(c, "UniformExploration", "n_rounds", lambda v: glow.UniformExploration(cb(), v),
          {"0": 0})
    table(c, "run_class_learner", "engine",
          lambda v: glow.run_class_learner(glow.GOLF(cb(), 5), engine=v), {"'x'": "x"})
    table(c, "theorem31_gamma", "c_cov", lambda v: glow.theorem31_gamma(v, 100, 1.0),
          {"0": 0.0, "nan": float("nan")})
    table(c, "glow_log_term", "delta", lambda v: glow.glow_log_term(4, 1.0, 10, 2, v),
          {"0": 0.0, "-0.1": -0.1, "1.5": 1.5, "nan": float("nan")})
    cq = lambda: glow.class_quantities(FX("lock"))  # noqa: E731
    table(c, "offline_distribution", "lam", lambda v: hyglow.offline_distribution(cq(), v),
          {"-0.1": -0.1, "1.5": 1.5, "nan": float("nan")})
    table(c, "offline_distribution", "rest", lambda v: hyglow.offline_distribution(cq(), 0.5,
                                                                                   rest=v),
          {"'x'": "x"})
    table(c, "sample_offline", "n", lambda v: hyglow.sample_offline(
        FX("lock"), hyglow.offline_distribution(cq(), 0.5), v, rng=0), {"0": 0, "2.5": 2.5})
    table(c, "H2O", "base", lambda v: hyglow.H2O(
        FX("lock"), 10, offline=hyglow.sample_offline(
            FX("lock"), hyglow.offline_distribution(cq(), 0.5), 10, rng=0),
        nu=hyglow.offline_distribution(cq(), 0.5), base=v), {"'x'": "x"})
    table(c, "H2O", "nu", lambda v: hyglow.H2O(
        FX("lock"), 10, offline=hyglow.sample_offline(
            FX("lock"), hyglow.offline_distribution(cq(), 0.5), 10, rng=0), nu=v),
        {"nan": np.full((2, 2, 2), np.nan), "sum 0.5": np.full((2, 2, 2), 1 / 8)})
    table(c, "OfflineMABOCR", "gamma", lambda v: hyglow.OfflineMABOCR(
        FX("lock"), nu=hyglow.offline_distribution(cq(), 0.5), gamma=v),
        {"-0.1": -0.1, "nan": float("nan")})

    # ---- valid runs with exact oracles
    def lcb_infinite_data():
        b = FX("bandit")
        d = data.sample_bandit_dataset(b, np.full(3, 1 / 3), 10**12, rng=0)
        check(lcb.lcb_bandit(d) == 2, "LCB with 1e12 samples picks the best arm (2)")
    good(c, "lcb_bandit.infinite-data", "10**12 uniform samples", "the best arm", lcb_infinite_data)

    def lcb_unseen():
        # arm 1 never played: LCB must not pick it (its lower bound is the floor)
        # Algorithm 1 with c = 1/2: penalty 1 at N = 0 (lower bound -1) vs a well-sampled arm
        r = lcb.lcb_from_counts(np.array([[50, 0]]), np.array([[40.0, 0.0]]), c=0.5)
        pen = np.sqrt(0.5 * np.log(2 * 2 * 50) / 50)
        close(r.lower.ravel(), [0.8 - pen, -1.0], 1e-12, "lower bounds")
        check(int(np.asarray(r.policy).ravel()[0]) == 0, "LCB picks the played arm")
    good(c, "lcb_from_counts.unseen-arm", "an arm with 0 counts, c = 1/2, N = 50",
         "lower bounds r - sqrt(c log(2K/delta)/N) and -1; the played arm", lcb_unseen)

    def lcb_delta_one():
        r = lcb.lcb_from_counts(np.array([[50, 10]]), np.array([[40.0, 1.0]]), c=0.5, delta=1.0)
        close(r.bonus.ravel(), np.sqrt(0.5 * np.log(4) / np.array([50, 10])), 1e-12, "bonus")
    good(c, "lcb_from_counts.delta=1", "delta = 1 (documented range (0, 1])",
         "penalty sqrt(c log(2K)/N)", lcb_delta_one)

    def zero_iter():
        g = FX("pg")
        out = nmd.nash_md(g, 0.1, 0)
        close(np.exp(out.log_iterates[-1]), g.mu, 1e-12, "0 iterations: pi_0 = mu")
    good(c, "nash_md.n_iter=0", "n_iter = 0 (documented >= 0)", "returns pi_0 = mu", zero_iter)

    def vi_lcb_exact():
        m = FX("rmdp")
        fo = data.sample_transition_folds(m, FX("mu3"), 10**12, 4, rng=1, reward="mean")
        res = lcb.vi_lcb(fo, 0.9)
        Vpi = dp.evaluate_policy(m, res.policy).V
        check(np.all(res.V <= Vpi + 1e-9), "VI-LCB value is pessimistic")
        close(Vpi, dp.policy_iteration(m).V, 1e-3, "VI-LCB policy optimal with 1e12 samples")
    good(c, "vi_lcb.huge-data", "VI-LCB with 10**12 samples", "pessimistic and near-optimal",
         vi_lcb_exact)

    def ucbvi_run():
        m = inst.random_mdp(3, 2, horizon=3, rng=4)
        r = runner.run_online(m, ucbvi.UCBVI(), 50, rng=0)
        check(np.all(r.values <= r.optimal_value + 1e-9), "policy values <= V*")
        close(r.optimal_value, dp.backward_induction(m).value, 1e-12, "V*")
        check(np.all(r.optimistic_values[np.isfinite(r.optimistic_values)] >=
                     r.optimal_value - 1e-9), "optimism (w.h.p.; deterministic here)")
    good(c, "UCBVI.run", "UCBVI, 50 episodes", "values <= V*, optimistic value >= V*", ucbvi_run)

    def stepmix_run():
        mm = FX("fh")
        pib = FX("pi_b")
        r = runner.run_online(mm, stepmix.StepMix(pib, alpha=0.2), 30, rng=0)
        check(np.all(r.values <= r.optimal_value + 1e-9), "values <= V*")
    good(c, "StepMix.run", "StepMix, 30 episodes", "values <= V*", stepmix_run)

    def nash_md_converges():
        g = ipref.rps_tournament(3, mu=[0.5, 0.3, 0.2])
        ref = spref.solve_regularized_nash(g, 0.5)
        out = nmd.nash_md(g, 0.5, 3000)
        pi = np.exp(out.log_iterates[-1])
        close(pi.ravel(), ref.pi.ravel(), 1e-3, "Nash-MD last iterate vs regularized NE")
    good(c, "nash_md.converges", "Nash-MD, tau 0.5, 3000 iterations",
         "last iterate at the regularized NE", nash_md_converges)

    def pevi_run():
        cn = FX("coin")
        Dd = data.sample_trajectory_folds(cn.model.mdp, cn.behavior, 10**12, 2, rng=0,
                                          reward="mean")
        res = pevi.pevi(cn.model.phi, Dd[0], delta=0.1)
        close(dp.evaluate_policy(cn.model.mdp, res.policy).value,
              dp.backward_induction(cn.model.mdp).value, 1e-3, "PEVI optimal at 1e12 episodes")
    good(c, "pevi.huge-data", "PEVI with 10**12 episodes", "near-optimal policy", pevi_run)

    def hetpevi_exact():
        law = het.perturbed_garnet(3, 2, 3, alpha=math.inf, reward_noise=0.0, rng=1)
        src = law.draw(1, rng=0)
        d = dsources.exact_source_data(src, np.full((1, 3, 3, 2), 0.5))
        res = hp.hetpevi(d, c_src=0.0, c_smp=0.0)
        close(res.value_hat, dp.backward_induction(law.target).value, 1e-9,
              "HetPEVI with exact unperturbed data, no penalty == V*")
    good(c, "hetpevi.exact-source", "one exact unperturbed source, zero penalty", "V*",
         hetpevi_exact)

    def vpo_fit():
        f = vpo.vpo_offline(FX("duel"), FX("wins"), 5.0)
        check(f.grad_norm <= 1e-6, f"grad norm {f.grad_norm}")
        close(f.pi.sum(-1), np.ones(f.pi.shape[0]), 1e-12, "pi rows")
    good(c, "vpo_offline.certificate", "VPO offline fit", "stationary point (grad ~ 0)", vpo_fit)

    def dynamics_converge():
        g = ipref.rps_tournament(3, mu=[0.5, 0.3, 0.2])
        ref = spref.solve_regularized_nash(g, 0.5)
        for f in (dyn.omd, dyn.mmd, dyn.extragradient):
            out = f(g, 0.5, 0.2, 2000)
            close(np.exp(out.log_iterates[-1]).ravel(), ref.pi.ravel(), 1e-6,
                  f"{f.__name__} last iterate vs the regularized NE")
    good(c, "dynamics.converge", "OMD, MMD, extragradient (tau 0.5, eta 0.2, 2000 steps)",
         "last iterates at the regularized NE (Newton solver)", dynamics_converge)

    def hetpevi_game_exact():
        law = het.perturbed_markov_game(2, 2, 3, 2, alpha=math.inf, reward_noise=0.0, rng=1)
        d = dsources.exact_source_data(law.draw(1, rng=0), np.full((1, 2, 2, 2, 3), 1 / 6))
        res = hp.hetpevi_game(d, c_src=0.0, c_smp=0.0)
        nash = games.solve_markov_game(law.target)
        close(res.V_low, nash.V, 1e-9, "lower value")
        close(res.V_up, nash.V, 1e-9, "upper value")
        check(games.exploitability(law.target, res.pi_max, res.pi_min) < 1e-8, "exploitability")
    good(c, "hetpevi_game.exact-source", "one exact unperturbed game source, zero penalty",
         "the Nash values, exploitability ~ 0", hetpevi_game_exact)

    def hyglow_run():
        mc = FX("lock")
        nu = hyglow.offline_distribution(glow.class_quantities(mc), 0.5)
        r = hyglow.run_hyglow(hyglow.H2O(mc, 200, offline=hyglow.sample_offline(mc, nu, 200,
                                                                                 rng=1),
                                         nu=nu, gamma=0.05), rng=2)
        check(r.qstar_kept, "Q* eliminated")
        check(np.all(r.values <= r.optimal_value + 1e-12), "values <= V*")
    good(c, "H2O.run", "HyGLOW (H2O + MABO.CR), 200 rounds", "Q* kept, values <= V*",
         hyglow_run)

    def vpo_online():
        r = prun.run_dueling(FX("duel"), vpo.VPOAgent(1.0, radius=2.0, rng=2), 20, rng=3)
        check(np.all(r.regret >= -1e-12), "regularized regret >= 0 (optimum by enumeration)")
    good(c, "VPOAgent.run", "online VPO, 20 rounds", "per-round regret >= 0", vpo_online)

    def epsmix_run():
        r = runner.run_online(FX("fh"), stepmix.EpsMix(FX("pi_b"), alpha=0.2), 20, rng=0)
        check(np.all(r.values <= r.optimal_value + 1e-9), "values <= V*")
        close(r.optimal_value, dp.backward_induction(FX("fh")).value, 1e-12, "V*")
    good(c, "EpsMix.run", "EpsMix, 20 episodes", "values <= V*", epsmix_run)

    def glow_run():
        mc = FX("cbclass")
        r = glow.run_class_learner(glow.GOLF(mc, 50), rng=0)
        check(r.qstar_kept, "Q* never eliminated")
        check(np.all(r.values <= r.optimal_value + 1e-12), "values <= V*")
    good(c, "GOLF.run", "GOLF, 50 rounds", "Q* kept, values <= V*", glow_run)


# ============================================================== (e) CLI and (f) store
TOY = textwrap.dedent('''
    """Toy experiments for the adversarial review."""
    import numpy as np
    from rlth.experiment import Check, Experiment, Figure
    from rlth.theory import Theorem, register

    register(Theorem(id="advreview.half", paper="toy", arxiv="", number="Thm 1", statement="",
                     quantity="|Z|/sqrt(N)", sweep_variable="N", kind="rate", exponent=-0.5,
                     provenance="[D]"))

    def run(params, rng):
        return {"err": abs(float(rng.standard_normal())) / np.sqrt(params["N"])}

    GRID = [{"N": n} for n in (10, 100, 1000, 10000)]
    EXPERIMENTS = [
        Experiment(name="advtoy", title="toy: |Z|/sqrt(N)", run=run,
                   grids={"quick": GRID}, replicates={"quick": 40},
                   checks=[Check("advreview.half", "err", "N")],
                   figures=[Figure("err", "N", {"err": "|Z|/sqrt(N)"},
                                   theorem="advreview.half")]),
        Experiment(name="advtiny", title="toy: 2 records", run=run,
                   grids={"quick": GRID[:2]}, replicates={"quick": 1},
                   checks=[Check("advreview.half", "err", "N")]),
    ]

    if __name__ == "__main__":
        from rlth.cli import main_for
        main_for(EXPERIMENTS)
''')


def _toy_env(tmp):
    exp = Path(tmp) / "experiments"
    (exp / "benchmarks").mkdir(parents=True, exist_ok=True)
    (exp / "advtoys.py").write_text(TOY)
    return {"RLTH_EXPERIMENTS_DIR": str(exp), "RLTH_RESULTS_DIR": str(Path(tmp) / "results"),
            "RLTH_FIGURES_DIR": str(Path(tmp) / "figs")}


def usage_error(option):
    """CLI bad usage: exit 2, no traceback, one error line naming ``option``."""
    def chk(code, out, err):
        if "Traceback" in err:
            return "unclear-error", "traceback: " + err.strip().splitlines()[-1][:200]
        lines = [ln for ln in err.strip().splitlines() if "error" in ln.lower()]
        if code != 2:
            return ("unclear-error" if code else "wrong-answer",
                    f"exit {code}: {err.strip()[-200:]}")
        if not lines or option not in lines[-1]:
            return "unclear-error", f"error line does not name {option!r}: {err.strip()[-200:]}"
        rest = [ln for ln in err.strip().splitlines() if ln.strip()]
        if not rest[0].startswith("usage:") and len(rest) != 1:   # argparse: usage + 1 line
            return "unclear-error", f"{len(rest)} lines on stderr, not one: {err.strip()[:200]}"
        return "ok", lines[-1][:200]
    return chk


def exit_ok(*needles, code_expected=0, stderr_needles=()):
    def chk(code, out, err):
        if "Traceback" in err:
            return "unclear-error", "traceback: " + err.strip().splitlines()[-1][:200]
        if code != code_expected:
            return "wrong-answer", f"exit {code} (expected {code_expected}): {err.strip()[-200:]}"
        for n in needles:
            if n not in out:
                return "wrong-answer", f"{n!r} not in stdout"
        for n in stderr_needles:
            if n not in err:
                return "wrong-answer", f"{n!r} not in stderr"
        return "ok", (out.strip().splitlines() or [""])[-1][:200]
    return chk


RLTH = [sys.executable, "-m", "rlth.cli"]


def cli_cases():
    c = "cli"
    usage = [
        ("no-command", [], "COMMAND"),
        ("bad-command", ["frobnicate"], "frobnicate"),
        ("run-no-name", ["run"], "NAME"),
        ("run-unknown-name", ["run", "nonexistent_xyz"], "NAME"),
        ("run-bad-profile", ["run", "advtoy", "--profile", "nope"], "--profile"),
        ("run-bad-backend", ["run", "advtoy", "--backend", "gpu"], "--backend"),
        ("run-workers-0", ["run", "advtoy", "--workers", "0"], "--workers"),
        ("run-workers--3", ["run", "advtoy", "--workers", "-3"], "--workers"),
        ("run-workers-abc", ["run", "advtoy", "--workers", "abc"], "--workers"),
        ("run-workers-huge", ["run", "advtiny", "--backend", "loky", "--workers", "100000",
                              "--store-dir", "@FRESH@", "--no-progress"], "--workers"),
        ("run-scheduler-without-dask", ["run", "advtoy", "--scheduler", "tcp://x:1"],
         "--scheduler"),
        ("run-dask-unreachable-scheduler", ["run", "advtiny", "--backend", "dask",
                                            "--scheduler", "tcp://127.0.0.1:9", "--no-progress",
                                            "--store-dir", "@FRESH@"], "--scheduler"),
        ("run-store-dir-uncreatable", ["run", "advtoy", "--store-dir", "/proc/nope/x"],
         "--store-dir"),
        ("run-store-dir-is-file", ["run", "advtoy", "--store-dir", "@FILE@"], "--store-dir"),
        ("check-figures-dir-is-file", ["check", "advtoy", "--figures-dir", "@FILE@",
                                       "--no-progress"], "--figures-dir"),
        ("check-figures-dir-uncreatable", ["check", "advtoy", "--figures-dir", "/proc/nope/f",
                                           "--no-progress"], "--figures-dir"),
        ("check-unknown-flag", ["check", "--frobnicate"], "--frobnicate"),
        ("figures-store-dir-is-file", ["figures", "advtoy", "--store-dir", "@FILE@"],
         "--store-dir"),
        ("figures-bad-profile", ["figures", "advtoy", "--profile", "nope"], "--profile"),
        ("bench-unknown", ["bench", "nonexistent_bench"], "NAME"),
    ]
    for cid, argv, opt in usage:
        cli(c, cid, "rlth " + " ".join(argv), f"exit 2, one error line naming {opt}", argv,
            usage_error(opt))
    for cid, argv, opt in [
            ("report-bad-what", ["report", "bogus"], "what"),
            ("report-verdicts-no-name", ["report", "verdicts"], "NAME"),
            ("report-figures-dir-missing", ["report", "glance", "--figures-dir",
                                            "/proc/nope/figs"], "--figures-dir"),
            ("report-out-unwritable", ["report", "fidelity", "--out", "/proc/nope/out.md"],
             "--out")]:
        cli(c, cid, "rlth " + " ".join(argv), f"exit 2, one error line naming {opt}", argv,
            usage_error(opt))
    cli(c, "report-fidelity", "rlth report fidelity", "exit 0, a Markdown table",
        ["report", "fidelity"], exit_ok("|"))
    cli(c, "check-no-experiments", "rlth check with an empty RLTH_EXPERIMENTS_DIR",
        "exit 2 naming NAME", ["check", "--no-progress"], usage_error("NAME"),
        env={"RLTH_EXPERIMENTS_DIR": "@EMPTY@"})
    cli(c, "list", "rlth list", "exit 0, lists the toy experiment", ["list"],
        exit_ok("advtoy", "advreview.half"))
    cli(c, "run-valid", "rlth run advtoy", "exit 0, 160 records",
        ["run", "advtoy", "--no-progress"], exit_ok("160 records"))
    cli(c, "check-valid", "rlth check advtoy", "exit 0, PASS",
        ["check", "advtoy", "--no-progress", "--no-figures"], exit_ok("PASS"))
    cli(c, "run-loky", "rlth run advtoy --backend loky --workers 2 --fresh",
        "exit 0, 160 records", ["run", "advtoy", "--backend", "loky", "--workers", "2",
                                "--no-progress", "--fresh"], exit_ok("160 records"),
        timeout=180)
    cli(c, "run-dask-local", "rlth run advtiny --backend dask --workers 1 (a LocalCluster)",
        "exit 0, 2 records", ["run", "advtiny", "--backend", "dask", "--workers", "1",
                              "--no-progress", "--store-dir", "@FRESH@"],
        exit_ok("2 records"), timeout=120)
    cli(c, "figures-valid", "rlth figures advtoy (after run)", "exit 0",
        ["figures", "advtoy"], exit_ok())

    def help_text(code, out, err):
        if code != 0:
            return "wrong-answer", f"exit {code}"
        lines = out.splitlines()
        opts = []
        for i, ln in enumerate(lines):      # an option alone on its line: help must follow
            mt = re.match(r"^(\s+)(-[-a-zA-Z]+(?:, --?[-a-zA-Z]+)?)(?: [A-Z_]+)?\s*$", ln)
            if mt and ln.strip().startswith("-"):
                nxt = lines[i + 1] if i + 1 < len(lines) else ""
                ind = len(nxt) - len(nxt.lstrip())
                if not nxt.strip() or nxt.strip().startswith("-") or ind <= len(mt.group(1)):
                    opts.append(mt.group(2))
        if opts:
            return "wrong-answer", f"options without help text: {opts}"
        return "ok", "every option has help text"
    for sub in ("run", "check", "figures", "bench"):
        cli(c, f"{sub}-help", f"rlth {sub} --help", "every option has a help text",
            [sub, "--help"], help_text)
    cli(c, "experiment-file-only-unknown", "python advtoys.py --only nope",
        "exit 2 naming --only", ["@PYFILE@", "--only", "nope", "--no-progress"],
        usage_error("--only"))
    cli(c, "experiment-file-workers-0", "python advtoys.py --workers 0",
        "exit 2 naming --workers", ["@PYFILE@", "--workers", "0"], usage_error("--workers"))

    # store lines through the CLI
    s = "store"
    for cid, line in [("missing-point", {"type": "record", "replicate": 0, "metrics": {}}),
                      ("replicate-abc", {"type": "record", "point": {"N": 10},
                                         "replicate": "abc", "seed_entropy": 1,
                                         "spawn_key": [1, 0], "metrics": {"err": 0.1}}),
                      ("metric-string-nan", {"type": "record", "point": {"N": 10},
                                             "replicate": 0, "seed_entropy": 1,
                                             "spawn_key": [1, 0], "metrics": {"err": "nan"}})]:
        for sub in ("figures", "check"):
            argv = [sub, "advtoy"] + (["--no-progress", "--no-figures"] if sub == "check" else [])
            cli(s, f"cli-{sub}-{cid}", f"rlth {sub} with a store line {cid}",
                "no traceback, exit 0, a warning", argv,
                exit_ok(stderr_needles=("ill-typed",)),
                setup=("append-line", json.dumps(line)))
    cli(s, "cli-check-garbage-line", "rlth check with a binary garbage line",
        "no traceback, exit 0, a warning", ["check", "advtoy", "--no-progress", "--no-figures"],
        exit_ok(stderr_needles=("corrupt",)), setup=("append-line", "\udcff\udcfe garbage"))


STORE_EXP = TOY.replace('"advtoy"', '"advstore"').replace("(10, 100, 1000, 10000)", "(1, 4, 16)"
                                                          ).replace("replicates={\"quick\": 40}",
                                                                    "replicates={\"quick\": 4}")


@lru_cache(maxsize=None)
def _store_base():
    """A complete store of a 12-record toy experiment; returns (module, records, dir)."""
    from rlth.store import store_path
    from rlth.sweep import load_module_from_file, run_experiment
    tmp = Path(tempfile.mkdtemp(prefix="advstore"))
    (tmp / "advstore.py").write_text(STORE_EXP)
    mod = load_module_from_file(tmp / "advstore.py", "rlth_experiments_advstore")
    exp = mod.EXPERIMENTS[0]
    recs = run_experiment(exp, "quick", store_dir=tmp / "base", progress=False)
    return exp, recs, tmp, store_path(exp, "quick", tmp / "base")


def _strip(recs):
    return sorted(((json.dumps(r["point"], sort_keys=True), r["replicate"],
                    json.dumps(r["metrics"], sort_keys=True)) for r in recs))


def _store_case(mutate, warn_re, n_recomputed=None):
    """Copy the complete store, ``mutate(lines) -> lines``; resume must warn (``warn_re``)
    and give back exactly the complete set of records."""
    def run():
        from rlth.store import StoreWarning, store_path
        from rlth.sweep import run_experiment
        exp, full, tmp, path = _store_base()
        d = Path(tempfile.mkdtemp(dir=tmp))
        target = store_path(exp, "quick", d)
        target.parent.mkdir(parents=True, exist_ok=True)
        lines = path.read_bytes().split(b"\n")
        target.write_bytes(b"\n".join(mutate(lines)))
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            recs = run_experiment(exp, "quick", store_dir=d, progress=False)
        msgs = [str(x.message) for x in w if issubclass(x.category, StoreWarning)]
        check(_strip(recs) == _strip(full), "records after resume differ from the complete set")
        if warn_re:
            check(any(re.search(warn_re, m) for m in msgs),
                  f"no StoreWarning matching {warn_re!r} (got {msgs})")
    return run


def store_cases():
    s = "store"
    GOODL = {"type": "record", "point": {"N": 4}, "replicate": 1, "seed_entropy": 1,
             "spawn_key": [5, 1], "metrics": {"err": 0.25}}

    def replace5(obj):
        def m(lines):
            lines = list(lines)
            lines[5] = json.dumps(obj).encode() if not isinstance(obj, bytes) else obj
            return lines
        return m
    ill = {
        "missing-point": {k: v for k, v in GOODL.items() if k != "point"},
        "point-list": dict(GOODL, point=[4]),
        "replicate-abc": dict(GOODL, replicate="abc"),
        "replicate-negative": dict(GOODL, replicate=-1),
        "replicate-float": dict(GOODL, replicate=1.5),
        "replicate-bool": dict(GOODL, replicate=True),
        "seed-entropy-string": dict(GOODL, seed_entropy="x"),
        "spawn-key-string": dict(GOODL, spawn_key="5,1"),
        "metrics-missing": {k: v for k, v in GOODL.items() if k != "metrics"},
        "metrics-list": dict(GOODL, metrics=[0.25]),
        "metric-string-nan": dict(GOODL, metrics={"err": "nan"}),
        "metric-null": dict(GOODL, metrics={"err": None}),
        "metric-bool": dict(GOODL, metrics={"err": True}),
        "metric-nested": dict(GOODL, metrics={"err": {"a": 1}}),
    }
    for cid, obj in ill.items():
        good(s, f"ill-typed.{cid}", f"a record line with {cid}", "skipped with a warning, "
             "recomputed, complete records", _store_case(replace5(obj), "ill-typed"))
    for cid, raw in {"not-utf8": b"\xff\xfe not utf-8", "json-list": b"[1, 2, 3]",
                     "json-number": b"42", "unknown-type": b'{"type": "nonsense"}',
                     "unquoted": b"{unquoted: 1}", "nul-bytes": b"\x00\x00\x00"}.items():
        good(s, f"corrupt.{cid}", f"a middle line {cid}", "skipped with a warning",
             _store_case(lambda L, raw=raw: L[:3] + [raw] + L[3:], "corrupt"))
    for cut in (2, 10, 30):
        good(s, f"truncated.last-{cut}-bytes", f"last line cut by {cut} bytes",
             "cut, recomputed, a warning", _store_case(lambda L, cut=cut: (
                 b"\n".join(L)[:-cut]).split(b"\n"), "truncat"))
    good(s, "blank-lines", "blank lines between records", "ignored",
         _store_case(lambda L: [x for ln in L for x in (ln, b"", b"   ")], None))
    good(s, "duplicate.same", "a record line repeated", "a duplicate warning",
         _store_case(lambda L: L[:-1] + [L[3], b""], "duplicate"))

    def dup_other(L):
        o = json.loads(L[3])
        o["metrics"] = {"err": 123.0}
        return L[:-1] + [json.dumps(o).encode(), b""]
    good(s, "duplicate.different-metrics", "a duplicate key with other metrics",
         "warned, the first wins", _store_case(dup_other, "different metrics"))
    good(s, "header-only", "the header and no record", "all recomputed, no error",
         _store_case(lambda L: L[:1] + [b""], None))
    good(s, "empty-file", "an empty store file", "all recomputed",
         _store_case(lambda L: [b""], None))

    def header_code_changed(L):
        h = json.loads(L[0])
        h["code"] = "0" * 16
        return [json.dumps(h).encode()] + L[1:]
    good(s, "code-changed", "header fingerprint of other code", "recomputed with a warning",
         _store_case(header_code_changed, "other code"))

    def dir_in_place():
        from rlth.store import store_path
        from rlth.sweep import run_experiment
        exp, full, tmp, path = _store_base()
        d = Path(tempfile.mkdtemp(dir=tmp))
        store_path(exp, "quick", d).mkdir(parents=True)
        run_experiment(exp, "quick", store_dir=d, progress=False)
    bad(s, "store-path-is-directory", "store", "a directory where the store file should be",
        dir_in_place)


# ============================================================== (g) determinism
def determinism_cases():
    c = "determinism"

    def twice(fn, what):
        def run():
            a, b = fn(), fn()
            check(_same(a, b), f"{what}: same seed, different results")
        return run

    good(c, "random_mdp", "random_mdp(rng=5) twice", "identical",
         twice(lambda: inst.random_mdp(4, 3, horizon=3, rng=5).P, "random_mdp"))
    good(c, "sample_transition_dataset", "same seed twice", "identical",
         twice(lambda: data.sample_transition_dataset(FX("rmdp"), FX("mu3"), 1000,
                                                           rng=5).next_counts,
               "transition data"))
    good(c, "rollout", "rollout(rng=5) twice", "identical",
         twice(lambda: data.rollout(FX("rfh"), np.zeros((4, 3), dtype=int), 100, rng=5).states,
               "rollout"))
    good(c, "run_online-UCBVI", "UCBVI run, seed 5, twice", "identical",
         twice(lambda: runner.run_online(FX("fh"), ucbvi.UCBVI(), 20, rng=5).values, "UCBVI"))

    def engines():
        a = runner.run_online(FX("fh"), ucbvi.UCBVI(), 20, rng=5, engine="python").values
        b = runner.run_online(FX("fh"), ucbvi.UCBVI(), 20, rng=5, engine="numba").values
        check(_same(a, b), "python and numba engines differ")
    good(c, "run_online-engines", "UCBVI python vs numba engine", "identical", engines)
    good(c, "nash_md-sampled", "Nash-MD sampled feedback twice", "identical",
         twice(lambda: nmd.nash_md(FX("pg"), 0.1, 20, feedback="sampled", rng=5).log_iterates,
               "nash_md"))
    good(c, "sample_source_trajectories", "same seed twice", "identical",
         twice(lambda: dsources.sample_source_trajectories(
             FX("law").draw(3, rng=0), np.full((3, 3, 3, 2), 0.5), 20, rng=5).counts, "sources"))
    good(c, "run_dueling", "VPO uniform agent twice", "identical",
         twice(lambda: prun.run_dueling(FX("duel"), vpo.UniformAgent(radius=1.0, rng=1), 5,
                                        rng=5).regret, "run_dueling"), timeout=120)
    good(c, "GLOW-run", "GOLF run twice", "identical",
         twice(lambda: glow.run_class_learner(glow.GOLF(FX("cbclass"), 30), rng=5).values,
               "GOLF"))

    def seed_forms():
        from rlth import as_generator
        a = data.sample_bandit_dataset(FX("bandit"), np.full(3, 1 / 3), 100, rng=11).counts
        b = data.sample_bandit_dataset(FX("bandit"), np.full(3, 1 / 3), 100,
                                       rng=np.random.default_rng(11)).counts
        s = data.sample_bandit_dataset(FX("bandit"), np.full(3, 1 / 3), 100,
                                       rng=np.random.SeedSequence(11)).counts
        check(_same(a, b) and _same(a, s), "int / Generator / SeedSequence seeds differ")
        check(isinstance(as_generator(None), np.random.Generator), "rng=None")
    good(c, "seed-forms", "rng as int, Generator, SeedSequence", "identical", seed_forms)

    def serial_vs_loky():
        from rlth.sweep import run_experiment
        exp, full, tmp, _ = _store_base()
        d = Path(tempfile.mkdtemp(dir=tmp))
        recs = run_experiment(exp, "quick", store_dir=d, progress=False, backend="loky",
                              workers=2)
        check(_strip(recs) == _strip(full), "serial and loky records differ")
    good(c, "sweep-serial-vs-loky", "toy sweep serial vs loky (2 workers)", "identical records",
         serial_vs_loky, timeout=180)

    def serial_twice():
        from rlth.sweep import run_experiment
        exp, full, tmp, _ = _store_base()
        d = Path(tempfile.mkdtemp(dir=tmp))
        check(_strip(run_experiment(exp, "quick", store_dir=d, progress=False)) == _strip(full),
              "second serial sweep differs")
    good(c, "sweep-serial-twice", "toy sweep serial twice", "identical records", serial_twice)

    def numba_off():
        code = ("import numpy as np, hashlib\n"
                "from rlth.instances import random_mdp\nfrom rlth.data import rollout\n"
                "m = random_mdp(4, 3, horizon=5, rng=1)\n"
                "d = rollout(m, np.full((5, 4, 3), 1/3), 200, rng=3)\n"
                "print(hashlib.sha256(d.states.tobytes() + d.actions.tobytes() + "
                "d.rewards.tobytes()).hexdigest())\n")
        outs = []
        for flag in ("0", "1"):
            r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                               env=dict(os.environ, NUMBA_DISABLE_JIT=flag), timeout=120)
            check(r.returncode == 0, f"NUMBA_DISABLE_JIT={flag} failed: {r.stderr[-300:]}")
            outs.append(r.stdout.strip())
        check(outs[0] == outs[1], "rollout differs with numba on and off")
    good(c, "numba-on-vs-off", "rollout with NUMBA_DISABLE_JIT=0 and 1", "identical",
         numba_off, timeout=150)


def _same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")


# ============================================================== (h) numerics, exact oracles
def exact_discounted_optimum(P, R, gamma):
    """V* by enumeration of deterministic policies, in exact rational arithmetic."""
    import itertools
    from rlth.reference import solve_rational
    S, A = len(R), len(R[0])
    best = None
    for pol in itertools.product(range(A), repeat=S):
        M = [[(Fraction(int(s == t)) - gamma * P[s][pol[s]][t]) for t in range(S)]
             for s in range(S)]
        V = solve_rational(M, [R[s][pol[s]] for s in range(S)])
        best = V if best is None else [max(x, y) for x, y in zip(best, V)]
    return best


def exact_backward(P, R, H):
    S, A = len(R), len(R[0])
    V = [Fraction(0)] * S
    for _ in range(H):
        V = [max(R[s][a] + sum(P[s][a][t] * V[t] for t in range(S)) for a in range(A))
             for s in range(S)]
    return V


def _rational_mdp(seed, S, A, denom=7, scale=Fraction(1)):
    g = np.random.default_rng(seed)
    P = []
    for s in range(S):
        rows = []
        for a in range(A):
            w = g.integers(1, denom, size=S)
            rows.append([Fraction(int(x), int(w.sum())) for x in w])
        P.append(rows)
    R = [[Fraction(int(g.integers(0, denom)), denom - 1) * scale for a in range(A)]
         for s in range(S)]
    return P, R


def _f(x):
    return np.array(x, dtype=float) if not isinstance(x, Fraction) else float(x)


def numerics_cases():
    c = "numerics"

    def disc_vs_exact(gamma, seed, S=3, A=2, scale=Fraction(1), rr=(0.0, 1.0)):
        def run():
            P, R = _rational_mdp(seed, S, A, scale=scale)
            g = Fraction(gamma)
            Vstar = np.array([float(v) for v in exact_discounted_optimum(P, R, g)])
            m = models.DiscountedMDP(np.array(P, dtype=float), np.array(R, dtype=float),
                                     float(gamma), reward_range=rr)
            vi = (lambda mm: dp.value_iteration(mm, max_iter=10**7))
            for name, fn in (("value_iteration", vi),
                             ("policy_iteration", dp.policy_iteration),
                             ("solve_lp", lp.solve_lp)):
                sol = fn(m)
                err = float(np.max(np.abs(sol.V - Vstar)))
                check(err <= sol.error_bound * (1 + 1e-12) + 0.0,
                      f"{name}: true error {err:.3g} > certified {sol.error_bound:.3g}")
                check(err <= 1e-6 * max(1.0, float(np.max(np.abs(Vstar)))),
                      f"{name}: error {err:.3g} too large")
        return run
    for gamma in ("0.9", "0.99", "0.999", "0.9999"):
        good(c, f"discounted.gamma={gamma}", f"rational 3x2 MDP, gamma {gamma}",
             "VI / PI / LP within their certificates of exact rational V*",
             disc_vs_exact(Fraction(gamma), 1))
    good(c, "discounted.rewards=1e12", "rewards scaled by 1e12, gamma 0.9",
         "certificates cover the true error", disc_vs_exact(Fraction("0.9"), 2,
                                                            scale=Fraction(10**12),
                                                            rr=(0.0, 1e12)))
    good(c, "discounted.rewards=1e-12", "rewards scaled by 1e-12, gamma 0.99",
         "certificates cover the true error",
         disc_vs_exact(Fraction("0.99"), 3, scale=Fraction(1, 10**12)))

    def cvxpy_near_one():
        P, R = _rational_mdp(4, 2, 2)
        Vstar = np.array([float(v) for v in exact_discounted_optimum(P, R, Fraction("0.999"))])
        m = models.DiscountedMDP(np.array(P, dtype=float), np.array(R, dtype=float), 0.999)
        sol = lp.solve_lp(m, solver="cvxpy")
        err = float(np.max(np.abs(sol.V - Vstar)))
        check(err <= sol.error_bound, f"cvxpy: true error {err:.3g} > bound {sol.error_bound:.3g}")
        Vpi = dp.evaluate_policy(m, sol.pi).V
        check(np.max(np.abs(Vpi - Vstar)) <= sol.error_bound * 2 + 1e-9,
              "cvxpy policy not within its bound of optimal")
    good(c, "lp.cvxpy-gamma=0.999", "cvxpy LP at gamma 0.999", "certificate covers the truth",
         cvxpy_near_one)

    def single_state(gamma):
        def run():
            m = models.DiscountedMDP(np.ones((1, 1, 1)), np.ones((1, 1)), gamma)
            exact = 1.0 / (1.0 - gamma)
            fns = (dp.policy_iteration, lp.solve_lp) + (
                (lambda mm: dp.value_iteration(mm, max_iter=10**7),) if gamma < 0.9999 else ())
            for fn in fns:
                sol = fn(m)
                err = abs(float(sol.V[0]) - exact)
                check(err <= sol.error_bound + 1e-12 * exact,
                      f"error {err:.3g} > bound {sol.error_bound:.3g}")
        return run
    for gamma in (0.0, 0.5, 0.9999, 1 - 1e-9):
        good(c, f"single-state.gamma={gamma}", f"one state, r = 1, gamma {gamma}",
             "V = 1/(1-gamma) within the certificate", single_state(gamma), timeout=120)

    def fh_exact(seed, H, scale=Fraction(1)):
        def run():
            P, R = _rational_mdp(seed, 3, 2, scale=scale)
            V = np.array([float(v) for v in exact_backward(P, R, H)])
            m = models.FiniteHorizonMDP(np.array(P, dtype=float), np.array(R, dtype=float),
                                        horizon=H, reward_range=(0, float(scale)))
            sol = dp.backward_induction(m)
            close(sol.V[0], V, 1e-12 * H * float(scale), f"backward induction H={H}")
            close(dp.evaluate_policy(m, sol.pi).V[0], V, 1e-12 * H * float(scale),
                  "evaluation of the greedy policy")
        return run
    for H in (1, 10, 200):
        good(c, f"finite-horizon.H={H}", f"rational 3x2 MDP, H = {H}",
             "backward induction = exact rational values", fh_exact(5, H))
    good(c, "finite-horizon.rewards=1e9", "rewards scaled by 1e9, H = 20",
         "exact rational values", fh_exact(6, 20, Fraction(10**9)))

    def vi_budget():
        m = models.DiscountedMDP(np.ones((1, 1, 1)), np.ones((1, 1)), 0.9999)
        try:
            dp.value_iteration(m)
        except RuntimeError as exc:
            check("max_iter" in str(exc), f"message does not name max_iter: {exc}")
            return
        raise Wrong("value_iteration converged in 1e5 sweeps at gamma 0.9999 (needs ~3e5)")
    good(c, "value_iteration.budget-gamma=0.9999", "default max_iter = 1e5 at gamma 0.9999",
         "the documented RuntimeError naming max_iter (~3e5 sweeps are needed)", vi_budget)

    def ties_pi():
        m = models.DiscountedMDP(np.full((4, 3, 4), 0.25), np.full((4, 3), 0.5), 0.95)
        sol = dp.policy_iteration(m)
        close(sol.V, np.full(4, 10.0), 1e-9, "all-tied V")
        check(sol.n_iter <= 3, f"PI on exact ties took {sol.n_iter} iterations")
        check(np.all(np.asarray(sol.pi) == 0), "ties keep the lowest index")
    good(c, "ties.policy-iteration", "all actions tied", "terminates at once, lowest index",
         ties_pi)

    def near_ties():
        for seed in range(30):
            g = np.random.default_rng(seed)
            P = g.dirichlet(np.ones(4), size=(4, 3))
            R = np.full((4, 3), 0.5) + g.integers(0, 2, size=(4, 3)) * 1e-16
            m = models.DiscountedMDP(P, R, 0.9)
            sol = dp.policy_iteration(m)
            check(sol.n_iter < 100, f"seed {seed}: PI cycles ({sol.n_iter} iterations)")
            close(sol.V, dp.value_iteration(m).V, 1e-9, f"seed {seed}: PI vs VI")
    good(c, "ties.near-rounding", "30 MDPs with rewards tied to 1e-16", "PI terminates; = VI",
         near_ties)

    def ties_bi():
        m = models.FiniteHorizonMDP(np.full((3, 3, 3), 1 / 3), np.full((3, 3), 0.25), horizon=5)
        sol = dp.backward_induction(m)
        check(np.all(np.asarray(sol.pi) == 0), "backward induction ties keep index 0")
        close(sol.value, 1.25, 1e-15, "tied value")
    good(c, "ties.backward-induction", "all actions tied, H = 5", "value 1.25, action 0", ties_bi)

    def subnormal():
        m = models.FiniteHorizonMDP(np.full((2, 2, 2), 0.5), np.full((2, 2), 1e-310), horizon=4)
        close(dp.backward_induction(m).value / 1e-310, 4.0, 1e-6, "subnormal rewards")
    good(c, "rewards.subnormal", "rewards 1e-310", "value 4e-310", subnormal)

    # games: closed forms
    def two_by_two(scale, offset):
        def run():
            a, b, cc, d = 3.0, -1.0, -2.0, 1.0       # no saddle point
            v = (a * d - b * cc) / (a + d - b - cc)
            x1 = (d - cc) / (a + d - b - cc)
            A = np.array([[a, b], [cc, d]]) * scale + offset
            s = games.solve_matrix_game(A)
            close(s.value, v * scale + offset, 1e-7 * max(abs(scale), 1.0) + 1e-9 * abs(offset),
                  "value")
            close(s.x, [x1, 1 - x1], 1e-6, "row strategy")
            rel = games.matrix_game_gap(A, s.x, s.y) / (4.0 * scale)
            check(rel <= 1e-6, f"relative duality gap {rel:.3g}")
        return run
    for scale, offset in ((1.0, 0.0), (1e-9, 0.0), (1e9, 0.0), (1.0, 1e10), (1e-9, 1.0),
                          (1e-12, 0.0)):
        good(c, f"matrix-game.scale={scale:g},offset={offset:g}",
             f"2x2 game scaled {scale:g}, offset {offset:g}",
             "closed-form value and strategies", two_by_two(scale, offset))

    def markov_scaled(scale):
        def run():
            g0 = inst.random_markov_game(2, 2, 2, 3, rng=2)
            g = models.MarkovGame(g0.P, g0.R * scale, horizon=3,
                                  reward_range=(-scale, scale))
            s, s0 = games.solve_markov_game(g), games.solve_markov_game(g0)
            close(s.value / scale, s0.value, 1e-6, "scaled value")
            rel = games.exploitability(g, s.pi_max, s.pi_min) / (scale * 3)
            check(rel <= 1e-6, f"relative exploitability {rel:.3g}")
        return run
    for scale in (1e-9, 1e6):
        good(c, f"markov-game.scale={scale:g}", f"Markov game rewards x {scale:g}",
             "value scales, relative exploitability ~ 0", markov_scaled(scale))

    def pref_extreme_tau():
        g = ipref.rps_tournament(3, mu=[0.5, 0.3, 0.2])
        big = spref.solve_regularized_nash(g, 1e6)
        close(big.pi.ravel(), [0.5, 0.3, 0.2], 1e-5, "tau -> inf: pi -> mu")
        small = spref.solve_regularized_nash(g, 1e-6)
        close(small.pi.ravel(), np.full(3, 1 / 3), 1e-4, "tau -> 0: pi -> uniform Nash")
    good(c, "preference.tau-extremes", "tau = 1e6 and 1e-6", "mu and the Nash equilibrium",
         pref_extreme_tau)

    def lcb_ties():
        r = lcb.lcb_from_counts(np.array([[10, 10, 10]]), np.array([[5.0, 5.0, 5.0]]))
        check(int(np.asarray(r.policy).ravel()[0]) == 0, "ties broken to index 0")
    good(c, "lcb.ties", "three identical arms", "lowest index", lcb_ties)

    def occupancy_gamma_near_one():
        m = inst.random_mdp(3, 2, gamma=0.9999, rng=3)
        d = occ.occupancy(m, np.full((3, 2), 0.5))
        close(d.sum(), 1.0, 1e-9, "normalized discounted occupancy sums to 1")
        check(np.all(d >= 0), "non-negative occupancy")
    good(c, "occupancy.gamma=0.9999", "discounted occupancy at gamma 0.9999", "a distribution",
         occupancy_gamma_near_one)


# ============================================================================ the worker
def _classify(case: Case):
    """Run a python case; returns (outcome, message)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = case.thunk()
    except Wrong as exc:
        return "wrong-answer", str(exc)[:400]
    except ValueError as exc:
        msg = str(exc)
        if case.kind == "good":
            return "unclear-error", f"ValueError on valid input: {msg[:300]}"
        pat = rf"(?<![A-Za-z0-9_]){re.escape(case.name)}(?![A-Za-z0-9_])"
        if re.search(pat, msg):
            return "ok", msg[:300]
        return "unclear-error", f"ValueError not naming {case.name!r}: {msg[:300]}"
    except AssertionError as exc:
        if case.kind == "good":
            return "wrong-answer", f"AssertionError: {exc}"[:400]
        return "unclear-error", f"AssertionError: {exc}"[:400]
    except Exception as exc:  # noqa: BLE001 -- the point is to classify anything
        tb = traceback.extract_tb(exc.__traceback__)[-1]
        where = f"{Path(tb.filename).name}:{tb.lineno}"
        return "unclear-error", f"{type(exc).__name__} at {where}: {str(exc)[:300]}"
    if case.kind == "bad":
        return "wrong-answer", f"returned {type(out).__name__} without an error"
    return "ok", "agrees with the oracle"


def worker_main():
    """Read case ids on stdin; answer one JSON line each on the original stdout."""
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)                       # prints from library code go to stderr
    sys.stdout = sys.stderr
    build_cases()
    for line in sys.stdin:
        cid = line.strip()
        if not cid:
            continue
        t0 = time.perf_counter()
        outcome, msg = _classify(CASES[cid])
        proto.write(json.dumps({"id": cid, "outcome": outcome, "message": msg,
                                "seconds": round(time.perf_counter() - t0, 3)}) + "\n")


class Worker:
    def __init__(self, log):
        self.log = log
        env = dict(os.environ, PYTHONFAULTHANDLER="1")
        self.proc = subprocess.Popen([sys.executable, __file__, "--worker"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=log, text=True, env=env,
                                     cwd=str(ROOT))
        self.q: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.q.put(line)
        self.q.put(None)

    def run(self, case: Case):
        t0 = time.perf_counter()
        try:
            self.proc.stdin.write(case.id + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            return None
        try:
            line = self.q.get(timeout=case.timeout)
        except queue.Empty:
            self.kill()
            return {"outcome": "crash", "message": f"no answer within {case.timeout:.0f} s "
                    "(hang); worker killed", "seconds": round(time.perf_counter() - t0, 3)}
        if line is None:
            code = self.proc.wait()
            return {"outcome": "crash", "message": f"worker died (exit status {code}"
                    + (", a signal" if code < 0 else "") + ")",
                    "seconds": round(time.perf_counter() - t0, 3)}
        return json.loads(line)

    def alive(self):
        return self.proc.poll() is None

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def close(self):
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
        except Exception:  # noqa: BLE001
            self.kill()


# ============================================================================ CLI runner
def run_cli_case(case: Case, tmp: Path, env_base: dict):
    spec = case.thunk
    env = dict(os.environ, **env_base)
    for k, v in spec["env"].items():
        if v == "@EMPTY@":
            v = str(tmp / "empty_exps")
            Path(v).mkdir(exist_ok=True)
        env[k] = v
    afile = tmp / "a_file"
    afile.write_text("x")
    argv = [str(afile) if a == "@FILE@" else
            tempfile.mkdtemp(dir=tmp) if a == "@FRESH@" else a for a in spec["argv"]]
    if argv and argv[0] == "@PYFILE@":
        toy = Path(env_base["RLTH_EXPERIMENTS_DIR"]) / "advtoys.py"
        cmd = [sys.executable, str(toy)] + argv[1:]
    else:
        cmd = RLTH + argv
    restore = None
    if spec["setup"]:
        kind, payload = spec["setup"]
        store = next(Path(env_base["RLTH_RESULTS_DIR"]).rglob("advtoy*.jsonl"), None)
        if store is None:
            return {"outcome": "crash", "message": "setup: no store file to corrupt",
                    "seconds": 0.0}
        restore = (store, store.read_bytes())
        with open(store, "ab") as fh:
            fh.write(payload.encode("utf-8", "surrogateescape") + b"\n")
    t0 = time.perf_counter()
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=case.timeout,
                           cwd=str(tmp))
        outcome, msg = spec["check"](r.returncode, r.stdout, r.stderr)
        if r.returncode < 0:
            outcome, msg = "crash", f"killed by signal {-r.returncode}"
    except subprocess.TimeoutExpired:
        outcome, msg = "crash", f"no exit within {case.timeout:.0f} s (hang)"
    finally:
        if restore:
            restore[0].write_bytes(restore[1])
    return {"outcome": outcome, "message": msg, "seconds": round(time.perf_counter() - t0, 3)}


# ============================================================================ main
def _segfault():
    import ctypes
    ctypes.string_at(0)            # reads address 0: SIGSEGV


def self_test_cases():
    """Cases that check the harness itself (``--self-test``): a segfault and a hang must be
    counted as crashes, and the restarted worker must go on."""
    bad("selftest", "segfault", "x", "ctypes.string_at(0)", _segfault)
    good("selftest", "after-segfault", "a valid case after the crash", "ok", lambda: None)
    bad("selftest", "hang", "x", "time.sleep(60) with a 2 s timeout", lambda: time.sleep(60),
        timeout=2)
    good("selftest", "after-hang", "a valid case after the hang", "ok", lambda: None)
    bad("selftest", "typeerror", "x", "a TypeError", lambda: len(3))
    bad("selftest", "valueerror-unnamed", "x", "ValueError('y is bad')",
        lambda: (_ for _ in ()).throw(ValueError("y is bad")))
    bad("selftest", "returns", "x", "returns 1", lambda: 1)


def build_cases():
    if CASES:
        return
    if os.environ.get("RLTH_ADVERSARIAL_SELF_TEST"):
        self_test_cases()
        return
    constructor_cases()
    solver_cases()
    sampler_cases()
    algorithm_cases()
    cli_cases()
    store_cases()
    determinism_cases()
    numerics_cases()


def summarize(results):
    rows = []
    for cat in CATEGORIES + tuple(CATEGORIES_SELF) + ("overall",):
        rs = [r for r in results if cat == "overall" or r["category"] == cat]
        rows.append([cat, len(rs)] + [sum(r["outcome"] == o for r in rs) for o in OUTCOMES])
    w = [13, 6] + [max(len(o), 5) for o in OUTCOMES]
    head = ["category", "tried"] + list(OUTCOMES)
    lines = ["  ".join(h.ljust(n) if i == 0 else h.rjust(n) for i, (h, n) in
                       enumerate(zip(head, w)))]
    for row in rows:
        lines.append("  ".join(str(x).ljust(n) if i == 0 else str(x).rjust(n)
                               for i, (x, n) in enumerate(zip(row, w))))
    return "\n".join(lines), rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--only", action="append", default=[],
                    help="run only cases whose id starts with this prefix (repeatable)")
    ap.add_argument("--list", action="store_true", help="print the case table and exit")
    ap.add_argument("--output", default=str(ROOT / "tools" / "adversarial_results.json"),
                    help="where to write the JSON results")
    ap.add_argument("--quiet", action="store_true", help="no per-case lines")
    ap.add_argument("--self-test", action="store_true",
                    help="check the harness: a segfault and a hang are counted as crashes")
    args = ap.parse_args(argv)
    if args.self_test:
        os.environ["RLTH_ADVERSARIAL_SELF_TEST"] = "1"      # the worker builds the same table
        CATEGORIES_SELF.append("selftest")
    if args.worker:
        worker_main()
        return 0
    build_cases()
    cases = [c for c in CASES.values() if not args.only or any(c.id.startswith(p)
                                                               for p in args.only)]
    if args.list:
        for c in cases:
            print(f"{c.id}\t{c.expected}")
        print(f"{len(cases)} cases")
        return 0
    t_start = time.perf_counter()
    results = []
    tmp = Path(tempfile.mkdtemp(prefix="rlth_adv_"))
    log = open(tmp / "worker.log", "w")
    env_base = _toy_env(tmp)
    worker = None
    try:
        py = [c for c in cases if c.kind != "cli"]
        # CLI cases: the valid run first (the store cases corrupt its store)
        clis = sorted([c for c in cases if c.kind == "cli"],
                      key=lambda c: (c.category != "cli",
                                     "valid" not in c.id and "loky" not in c.id))
        for c in py + clis:
            if c.kind == "cli":
                res = run_cli_case(c, tmp, env_base)
            else:
                if worker is None or not worker.alive():
                    worker = Worker(log)
                res = worker.run(c)
                if res is None:
                    worker = Worker(log)
                    res = worker.run(c)
            res = {"id": c.id, "category": c.category, "input": c.description,
                   "expected": c.expected, "outcome": res["outcome"],
                   "message": res["message"], "seconds": res["seconds"]}
            results.append(res)
            if not args.quiet or res["outcome"] != "ok":
                print(f"[{res['outcome']:>13}] {c.id}  ({res['seconds']:.1f} s)"
                      + ("" if res["outcome"] == "ok" else f"\n                {res['message']}"),
                      flush=True)
    finally:
        if worker is not None:
            worker.close()
        log.close()
    elapsed = time.perf_counter() - t_start
    text, rows = summarize(results)
    print()
    print(text)
    print(f"\n{len(results)} cases in {elapsed:.0f} s")
    order = {c: i for i, c in enumerate(CATEGORIES + tuple(CATEGORIES_SELF))}
    results.sort(key=lambda r: (order[r["category"]], r["id"]))
    Path(args.output).write_text(json.dumps({
        "command": "python tools/adversarial_review.py" + "".join(f" --only {p}"
                                                                  for p in args.only),
        "seconds": round(elapsed, 1),
        "counts": {r[0]: dict(zip(("tried",) + OUTCOMES, r[1:])) for r in rows},
        "cases": results}, indent=1) + "\n")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
