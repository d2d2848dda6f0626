"""Bad-input suite for the algorithm families (issue 17, continued): the defects found by the
rerun of the adversarial review (``tools/adversarial_review.py``) in the LCB, PEVI / PNLSVI,
HetPEVI and GLOW / HyGLOW entry points.  Each bad input gives a ``ValueError`` whose message
starts with the argument's name (docs/explanation/conventions.md section 4), never an
``AttributeError`` / ``math domain error`` and never a result.
"""
from __future__ import annotations

import numpy as np
import pytest

from rlth.algorithms.offline.baselines import behavior_cloning
from rlth.algorithms.offline.hetpevi import single_source_pevi
from rlth.algorithms.offline.lcb import lcb_bandit, lcb_contextual
from rlth.algorithms.offline.pevi import lin_pevi_adv_plus, pevi
from rlth.algorithms.offline.pnlsvi import finite_constants, linear_constants, pnlsvi_linear
from rlth.algorithms.online.glow import class_quantities, glow_log_term
from rlth.algorithms.online.hyglow import (H2O, OfflineMABOCR, offline_distribution,
                                           sample_offline)
from rlth.data import sample_bandit_dataset, sample_contextual_dataset, sample_trajectory_folds
from rlth.data.sources import sample_source_trajectories
from rlth.instances.finite_classes import combination_lock_class
from rlth.instances.heterogeneous import partial_coverage, perturbed_garnet
from rlth.instances.linear_offline import onehot_coin
from rlth.models import ContextualBandit, MultiArmedBandit

from _rejects import rejects  # tests/harness/_rejects.py


# ------------------------------------------------------------------------- LCB: the dataset
def test_lcb_entry_points_name_a_wrong_dataset():
    bandit = sample_bandit_dataset(MultiArmedBandit([0.2, 0.7]), [0.5, 0.5], 20, rng=0)
    contextual = sample_contextual_dataset(ContextualBandit([0.5, 0.5], [[0.2, 0.6], [0.7, 0.1]]),
                                           np.full((2, 2), 0.25), 20, rng=0)
    for bad in (np.array([1, 2]), "data", None, {"counts": [1, 2]}):
        rejects("dataset", lcb_bandit, bad)          # was AttributeError
        rejects("dataset", lcb_contextual, bad)
        rejects("dataset", behavior_cloning, bad)    # was AttributeError
    rejects("dataset", lcb_contextual, bandit)       # counts[K]: was "counts: expected 2 dims"
    rejects("dataset", lcb_bandit, contextual)
    rejects("dataset", behavior_cloning, bandit)
    # the right datasets still work
    assert lcb_bandit(bandit) in (0, 1)
    assert lcb_contextual(contextual).policy.shape == (2,)
    assert behavior_cloning(contextual).shape == (2,)


# --------------------------------------------------------------- PEVI / PNLSVI: named knobs
@pytest.fixture(scope="module")
def coin():
    inst = onehot_coin(3)
    D, Dv = sample_trajectory_folds(inst.model.mdp, inst.behavior, 2000, 2, rng=0,
                                    reward="mean")
    return inst.model.phi, D, Dv


@pytest.mark.parametrize("bad", [-1.0, 0.0, np.nan, np.inf, "1", 1j])
def test_pevi_beta_scale_is_named(coin, bad):
    phi, D, Dv = coin
    rejects("beta_scale", pevi, phi, D, delta=0.1, beta_scale=bad)         # was "c: ..."
    rejects("beta_scale", lin_pevi_adv_plus, phi, D, Dv, delta=0.1, kappa=0.1, beta_scale=bad)


@pytest.mark.parametrize("bad", [-1.0, np.nan, "1"])
def test_variance_correction_knobs_are_named(coin, bad):
    phi, D, Dv = coin
    rejects("corr_scale", lin_pevi_adv_plus, phi, D, Dv, delta=0.1, kappa=0.1,
            corr_scale=bad)                                                   # was "scale: ..."
    for fn, args in ((linear_constants, (2, 3, 10, 0.1, 0.1)),
                     (finite_constants, (4, 3, 10, 0.1, 0.1))):
        rejects("corr_scale", fn, *args, corr_scale=bad)
        rejects("beta_scale", fn, *args, beta_scale=bad)                     # was accepted
        rejects("pilot_beta_scale", fn, *args, pilot_beta_scale=bad)         # was accepted


@pytest.mark.parametrize("bad", ["x", None, 1])
def test_corr_form_is_named(coin, bad):
    phi, D, Dv = coin
    rejects("corr_form", pnlsvi_linear, phi, D, Dv, delta=0.1, kappa=0.1, corr_form=bad)
    rejects("corr_form", linear_constants, 2, 3, 10, 0.1, 0.1, corr_form=bad)
    rejects("corr_form", finite_constants, 4, 3, 10, 0.1, 0.1, corr_form=bad)


@pytest.mark.parametrize("bad", [0, -1, 2.5, "4"])
def test_finite_constants_sizes(bad):
    rejects("n_candidates", finite_constants, bad, 3, 10, 0.1, 0.1)  # was "math domain error"
    rejects("horizon", finite_constants, 4, bad, 10, 0.1, 0.1)


def test_knobs_at_zero_and_defaults_still_accepted():
    a = finite_constants(4, 3, 10, 0.1, 0.1, beta_scale=0.0, pilot_beta_scale=0.0,
                         corr_scale=0.0)
    assert a["beta"] == a["beta_pilot"] == a["correction"] == 0.0
    b = linear_constants(2, 3, 10, 0.1, 0.1)
    assert b["beta"] > 0 and b["correction"] > 0


# ------------------------------------------------------------------------------ HetPEVI
def test_single_source_index_must_be_an_integer():
    law = perturbed_garnet(3, 2, 3, alpha=10.0, reward_noise=0.1, rng=1)
    data = sample_source_trajectories(law.draw(3, rng=0), partial_coverage(3, 3, 2, 3, rng=0),
                                      20, rng=0)
    for bad in (1.5, "1", True, None, np.nan, -1, 3):
        rejects("l", single_source_pevi, data, bad)                  # 1.5 was truncated to 1
    assert single_source_pevi(data, 1).policy.shape == (3, 3)


# ------------------------------------------------------------------------------ GLOW / HyGLOW
@pytest.mark.parametrize("bad", [0.0, -0.1, 1.0, 1.5, np.nan, "0.1"])
def test_glow_log_term_delta(bad):
    rejects("delta", glow_log_term, 4, 1.0, 10, 2, bad)              # 0: was math domain error


@pytest.mark.parametrize("name,pos", [("n_f", 0), ("n_rounds", 2), ("horizon", 3)])
def test_glow_log_term_sizes(name, pos):
    for bad in (0, -1, 2.5):
        args = [4, 1.0, 10, 2, 0.1]
        args[pos] = bad
        rejects(name, glow_log_term, *args)


@pytest.fixture(scope="module")
def lock():
    mc = combination_lock_class(horizon=2, n_actions=2, noise=0.1, gap=0.5)
    return mc, offline_distribution(class_quantities(mc), 0.5)


@pytest.mark.parametrize("bad", [0, -3, 2.5, "10"])
def test_sample_offline_names_n(lock, bad):
    mc, nu = lock
    rejects("n", sample_offline, mc, nu, bad, rng=0)                 # was "n_samples: ..."


@pytest.mark.parametrize("bad", [np.full((2, 2, 2), 1 / 8), np.full((2, 2, 2), 0.5),
                                 np.array([[[1.5, -0.5], [0.0, 0.0]]] * 2)])
def test_offline_law_nu_must_be_a_distribution_per_layer(lock, bad):
    mc, nu = lock
    off = sample_offline(mc, nu, 10, rng=0)
    rejects("nu", H2O, mc, 10, offline=off, nu=bad)                  # was accepted
    rejects("nu", OfflineMABOCR, mc, nu=bad)
    H2O(mc, 10, offline=off, nu=nu)                                  # the valid law passes


# ------------------------------------------------------------------ CLI: --workers is capped
TINY = '''
from rlth.experiment import Check, Experiment

def run(params, rng):
    return {"y": float(rng.random())}

EXPERIMENT = Experiment(name="tinyworkers", title="tiny", run=run,
                        grids={"quick": [{"n": 1}, {"n": 4}]}, replicates={"quick": 1},
                        checks=[Check("selftest.bernoulli.mae", "y", "n")])
'''


def test_cli_refuses_more_local_workers_than_the_cap(tmp_path, monkeypatch, capsys):
    """``--workers 10**5`` with loky used to start one process per chunk, unbounded; now exit 2
    with one line naming ``--workers``, before anything is computed."""
    import os

    from rlth import cli
    exp_dir = tmp_path / "exps"
    exp_dir.mkdir()
    (exp_dir / "tinyworkers.py").write_text(TINY)
    monkeypatch.setenv("RLTH_EXPERIMENTS_DIR", str(exp_dir))
    monkeypatch.setenv("RLTH_RESULTS_DIR", str(tmp_path / "results"))
    cap = getattr(cli, "MAX_WORKERS_PER_CPU", 4) * (os.cpu_count() or 1)
    cli._REGISTRY_CACHE.clear()
    try:
        for argv in (["run", "tinyworkers"], ["check", "tinyworkers", "--no-figures"]):
            for backend in ("loky", "dask"):
                code = cli.main(argv + ["--backend", backend, "--workers", str(cap + 1),
                                        "--no-progress"])
                err = capsys.readouterr().err
                assert code == 2, err
                assert err.startswith("rlth ") and err.count("\n") == 1 and "--workers" in err
        assert list((tmp_path / "results").rglob("*.jsonl")) == []
        # serial ignores --workers; at the cap, loky runs
        assert cli.main(["run", "tinyworkers", "--workers", str(cap + 1), "--no-progress"]) == 0
        assert cli.main(["run", "tinyworkers", "--backend", "loky", "--workers", "2",
                         "--no-progress", "--fresh"]) == 0
    finally:
        cli._REGISTRY_CACHE.clear()


# ------------------------------------------------------ the review harness itself (tools/)
def test_adversarial_review_counts_a_segfault_and_a_hang_as_crashes(tmp_path):
    """``tools/adversarial_review.py --self-test``: a segfault and a hang in the worker are
    counted as crashes, the worker is restarted and the next case runs; a TypeError, an
    unnamed ValueError and a silent return are classified as documented."""
    import json
    import subprocess
    import sys
    from pathlib import Path
    tool = Path(__file__).resolve().parents[2] / "tools" / "adversarial_review.py"
    out = tmp_path / "self.json"
    r = subprocess.run([sys.executable, str(tool), "--self-test", "--quiet", "--output",
                        str(out)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    got = {c["id"]: c["outcome"] for c in json.loads(out.read_text())["cases"]}
    assert got == {"selftest.segfault": "crash", "selftest.after-segfault": "ok",
                   "selftest.hang": "crash", "selftest.after-hang": "ok",
                   "selftest.typeerror": "unclear-error",
                   "selftest.valueerror-unnamed": "unclear-error",
                   "selftest.returns": "wrong-answer"}


def test_adversarial_review_table_covers_every_category():
    import subprocess
    import sys
    from collections import Counter
    from pathlib import Path
    tool = Path(__file__).resolve().parents[2] / "tools" / "adversarial_review.py"
    r = subprocess.run([sys.executable, str(tool), "--list"], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    cats = Counter(line.split(".", 1)[0] for line in r.stdout.splitlines() if "\t" in line)
    assert set(cats) == {"constructors", "solvers", "samplers", "algorithms", "cli", "store",
                         "determinism", "numerics"}
    assert sum(cats.values()) >= 470 and min(cats.values()) >= 10
