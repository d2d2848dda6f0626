"""Sweep progress: a tqdm bar on a terminal only; plain lines (no '\\r') in logs and pipes."""
import sys

import pytest
import tqdm.auto

from rlth.experiment import Experiment
from rlth.sweep import run_experiment


def run_tiny(params, rng):
    return {"y": float(rng.random()) * params["n"]}


def tiny(name="progress_tiny"):
    return Experiment(name=name, title="tiny sweep", run=run_tiny,
                      grids={"quick": [{"n": 1}, {"n": 2}]}, replicates={"quick": 3},
                      constants={"c": 1})


class FakeBar:
    made = []

    def __init__(self, *args, **kwargs):
        self.kwargs, self.n, self.closed = kwargs, 0, False
        FakeBar.made.append(self)

    def update(self, n=1):
        self.n += n

    def close(self):
        self.closed = True


@pytest.fixture
def fake_tqdm(monkeypatch):
    FakeBar.made = []
    monkeypatch.setattr(tqdm.auto, "tqdm", FakeBar)
    return FakeBar


def test_non_tty_stderr_gets_plain_lines(tmp_path, capsys):
    assert not sys.stderr.isatty()            # capsys: a captured, non-terminal stream
    recs = run_experiment(tiny(), store_dir=tmp_path, progress=True)
    assert len(recs) == 6
    err = capsys.readouterr().err
    assert "\r" not in err
    lines = err.splitlines()
    assert 1 <= len(lines) <= 3, err
    assert lines[0] == "progress_tiny [quick]: 6 runs to compute"
    assert lines[-1].startswith("progress_tiny [quick]: 6 of 6 runs done in ")


def test_non_tty_never_builds_a_bar(tmp_path, capsys, fake_tqdm):
    run_experiment(tiny(), store_dir=tmp_path, progress=True)
    assert fake_tqdm.made == []


def test_tty_stderr_uses_tqdm(tmp_path, capsys, monkeypatch, fake_tqdm):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    run_experiment(tiny(), store_dir=tmp_path, progress=True)
    assert len(fake_tqdm.made) == 1
    bar = fake_tqdm.made[0]
    assert bar.kwargs["total"] == 6 and bar.kwargs["file"] is sys.stderr
    assert bar.n == 6 and bar.closed
    assert "runs to compute" not in capsys.readouterr().err


@pytest.mark.parametrize("tty", [False, True])
def test_no_progress_is_silent(tmp_path, capsys, monkeypatch, fake_tqdm, tty):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: tty, raising=False)
    run_experiment(tiny(), store_dir=tmp_path, progress=False)
    assert fake_tqdm.made == []
    assert capsys.readouterr().err == ""


def test_nothing_to_compute_prints_nothing(tmp_path, capsys):
    run_experiment(tiny(), store_dir=tmp_path, progress=False)
    run_experiment(tiny(), store_dir=tmp_path, progress=True)     # all records stored
    assert capsys.readouterr().err == ""
