"""Experiments that travel (issue 18): a NON-editable install ships the built-in experiments.

A wheel is built from a copy of the source tree (``pyproject.toml``, ``README.md``, ``rlth/``,
``experiments/``: the copy keeps the build's ``build/`` directory out of the checkout), installed
with ``pip install --no-deps --target``, and ``rlth`` is run from a temporary directory outside the
checkout with only that target (plus the running venv's site-packages for numpy & co.) on its
path: ``rlth list`` must find the built-in experiments and ``rlth check selftest --profile quick``
must PASS.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, **kw)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(wheel path, target directory of ``pip install --no-deps --target``)."""
    base = tmp_path_factory.mktemp("installed")
    src = base / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO / "rlth", src / "rlth", ignore=ignore)
    shutil.copytree(REPO / "experiments", src / "experiments", ignore=ignore)
    wheels = base / "wheels"
    build = [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "-q", "-w", str(wheels)]
    res = _run(build)
    if res.returncode != 0:     # build isolation could not fetch setuptools: use the venv's own
        res = _run(build + ["--no-build-isolation"])
    assert res.returncode == 0, res.stdout + res.stderr
    (wheel,) = wheels.glob("rlth-*.whl")
    target = base / "target"
    res = _run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-compile", "-q",
                "--target", str(target), str(wheel)])
    assert res.returncode == 0, res.stdout + res.stderr
    return wheel, target


def _outside_env(target: Path) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("RLTH_") and k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PYTHONPATH"] = str(target)
    env["PYTHONNOUSERSITE"] = "1"
    return env


def test_the_wheel_holds_every_module_and_the_builtin_experiments(installed):
    wheel, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {p.relative_to(REPO).as_posix() for p in (REPO / "rlth").rglob("*.py")
               if "__pycache__" not in p.parts}
    missing = sorted(modules - names)
    assert not missing, (f"{missing} not in the wheel: add the subpackage to "
                         "[tool.setuptools] packages in pyproject.toml")
    experiments = {"rlth/_builtin_experiments/" + p.name
                   for p in (REPO / "experiments").glob("*.py")}
    assert experiments and experiments <= names
    assert "rlth/_builtin_experiments/selftest.py" in names
    assert not any(n.startswith("rlth/_builtin_experiments/benchmarks/") for n in names)


def test_installed_rlth_finds_and_checks_its_builtin_experiments(installed, tmp_path):
    _, target = installed
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = _outside_env(target)
    probe = _run([sys.executable, "-c",
                  "import json, sys, rlth, rlth.cli; print(json.dumps([rlth.__file__, "
                  "rlth.cli.__file__, str(rlth.cli.experiments_dir()), sys.path]))"],
                 cwd=work, env=env)
    assert probe.returncode == 0, probe.stderr
    rlth_file, cli_file, exp_dir, path = json.loads(probe.stdout)
    for f in (rlth_file, cli_file):
        assert Path(f).resolve().is_relative_to(target.resolve()), probe.stdout
    assert Path(exp_dir).resolve() == (target / "rlth" / "_builtin_experiments").resolve()
    on_path = {Path(p or work).resolve() for p in path}
    assert not on_path & {REPO, REPO / "rlth"}, "the checkout must not be on sys.path"
    assert not work.resolve().is_relative_to(REPO)

    listed = _run([sys.executable, "-m", "rlth.cli", "list"], cwd=work, env=env)
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert "_builtin_experiments" in listed.stdout
    for name in ("selftest_bernoulli", "selftest"):
        assert name in listed.stdout

    checked = _run([sys.executable, "-m", "rlth.cli", "check", "selftest", "--profile", "quick",
                    "--no-progress", "--store-dir", str(tmp_path / "store"),
                    "--figures-dir", str(tmp_path / "figs")], cwd=work, env=env)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    rows = [line for line in checked.stdout.splitlines() if line.startswith("selftest_")]
    assert len(rows) == 3 and all(r.rstrip().endswith("PASS") for r in rows), checked.stdout
    assert not (work / "experiments").exists()


def test_a_users_directory_wins_over_the_builtin_copy(installed, tmp_path):
    _, target = installed
    mine = tmp_path / "my_experiments"
    mine.mkdir()
    shutil.copy2(REPO / "experiments" / "selftest.py", mine / "mine.py")
    env = dict(_outside_env(target), RLTH_EXPERIMENTS_DIR=str(mine))
    listed = _run([sys.executable, "-m", "rlth.cli", "list"], cwd=tmp_path, env=env)
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert str(mine) in listed.stdout
    rows = [line.split() for line in listed.stdout.splitlines()]
    assert any(r[:2] == ["selftest_bernoulli", "mine"] for r in rows if len(r) >= 2)


def test_rlth_experiments_dir_may_list_several_directories(tmp_path, monkeypatch, capsys):
    from rlth import cli
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    text = (REPO / "experiments" / "selftest.py").read_text()
    (a / "mine.py").write_text(text)
    (b / "theirs.py").write_text(text.replace('name="selftest_', 'name="theirs_'))
    (b / "mine.py").write_text(text.replace('name="selftest_', 'name="other_'))
    monkeypatch.setenv("RLTH_EXPERIMENTS_DIR", os.pathsep.join([str(a), "", str(b)]))
    assert cli.experiments_dirs() == [a, b] and cli.experiments_dir() == a
    cli._REGISTRY_CACHE.clear()
    try:
        reg = cli.discover()
        assert set(reg.families) == {"mine", "theirs"}
        assert "selftest_bernoulli" in reg.experiments and "theirs_bernoulli" in reg.experiments
        assert "other_bernoulli" not in reg.experiments          # the first 'mine' wins ...
        assert "already found in" in reg.errors["mine"]          # ... and the clash is reported
        assert cli.main(["list"]) == 1
        out = capsys.readouterr().out
        assert f"Experiments in {a}{os.pathsep}{b} (6)" in out and "! mine.py" in out
    finally:
        cli._REGISTRY_CACHE.clear()
