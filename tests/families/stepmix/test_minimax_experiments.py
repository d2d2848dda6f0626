"""The run functions of ``stepmix_minimax`` and ``stepmix_needle`` on tiny budgets.

They are where the level checks get their numbers, so their accounting is tested directly: the
prior average is the mean of the two members, the worst case their max, the Bayes rule's regret
is at least its explicit lower bound, and the needle regret lies between 0 and the coin-flip
maximum ``K eps (H - floor(H/3))``.
"""
from pathlib import Path

import numpy as np
import pytest

from rlth import cli
from rlth.instances.episodic_minimax import minimax_gap, needle_eps

EXPERIMENTS = Path(__file__).resolve().parents[3] / "experiments"


@pytest.fixture(scope="module")
def exps():
    return cli.discover(EXPERIMENTS).experiments


def _point(exp, **kw):
    pts = [p for p in exp.grids["quick"] if all(p.get(k) == v for k, v in kw.items())]
    assert pts, kw
    return dict(pts[0])


@pytest.mark.parametrize("algo", ["ucbvi_bf", "stepmix", "epsmix"])
def test_two_point_agent_record(exps, algo):
    exp = exps["stepmix_minimax"]
    p = _point(exp, algo=algo, K=1000)
    p["K"] = 300
    rec = exp.run(p, np.random.default_rng(0))
    cs = p["c_grid"]
    for c in cs:
        avg, worst = rec[f"avg_c{c:g}"], rec[f"worst_c{c:g}"]
        gap = minimax_gap(300, c, 4, 2, 5)
        assert 0.0 <= avg <= worst <= 300 * 4 * gap + 1e-9      # never worse than always-wrong
    assert rec["regret_sup"] == max(rec[f"worst_c{c:g}"] for c in cs)
    assert rec["burn_in_K"] >= rec["settle_max"] >= 0.0
    assert rec["no_violation"] in (0.0, 1.0)
    # reproducible from the replicate's generator
    assert exp.run(p, np.random.default_rng(0)) == rec


def test_two_point_bayes_record_sits_above_its_explicit_bound(exps):
    exp = exps["stepmix_minimax"]
    p = _point(exp, algo="bayes", K=1000)
    rec = exp.run(p, np.random.default_rng(1))
    for c in p["c_grid"]:
        assert rec[f"avg_c{c:g}"] == rec[f"worst_c{c:g}"]
        assert rec[f"lecam_c{c:g}"] > 0
    # the explicit bound is below the Monte Carlo mean at the information-limited c
    for c in (0.25, 0.5, 1.0):
        assert rec[f"lecam_c{c:g}"] < rec[f"avg_c{c:g}"]
    assert rec["regret_sup"] == max(rec[f"avg_c{c:g}"] for c in p["c_grid"])


@pytest.mark.parametrize("algo", ["ucbvi_bf", "stepmix", "epsmix"])
def test_needle_record(exps, algo):
    exp = exps["stepmix_needle"]
    p = _point(exp, algo=algo, sweep="K", K=1000)
    p["K"] = 200
    rec = exp.run(p, np.random.default_rng(2))
    H = p["horizon"]
    eps = needle_eps(200, p["c"], p["n_decision"], p["n_commit"], H)
    assert rec["eps"] == pytest.approx(eps)
    assert 0.0 <= rec["regret"] <= 200 * eps * (H - H // 3) + 1e-9
    assert 0.0 < rec["level"] < 200 * eps * (H - H // 3)


def test_needle_level_points_run_no_agent(exps):
    exp = exps["stepmix_needle"]
    p = _point(exp, algo="level", sweep="H", horizon=96)
    rec = exp.run(p, np.random.default_rng(3))
    assert set(rec) == {"level"} and rec["level"] > 0
