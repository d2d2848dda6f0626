"""The ``rlth`` command line: discovery, list/run/check/figures/bench, exit codes, errors."""
import argparse
import json
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest

from rlth import cli

TOY = textwrap.dedent('''
    """Toy experiments for the CLI tests."""
    from functools import lru_cache
    import numpy as np
    from rlth.experiment import Check, Experiment, Figure
    from rlth.theory import Theorem, register

    for _id, _e in (("clitest.half", -0.5), ("clitest.wrong", -1.0)):
        register(Theorem(id=_id, paper="toy", arxiv="", number="Thm 1", statement="",
                         quantity="|Z|/sqrt(N)", sweep_variable="N", kind="rate", exponent=_e,
                         provenance="[D]"))

    @lru_cache(maxsize=None)        # pickled by reference: workers must import this file
    def _scale(N):
        return 1 / np.sqrt(N)

    def run(params, rng):
        return {"err": abs(float(rng.standard_normal())) * _scale(params["N"])}

    GRID = [{"N": n} for n in (10, 30, 100, 300, 1000, 3000, 10000)]
    EXPERIMENTS = [
        Experiment(name="toy_ok", title="toy: |Z|/sqrt(N)", run=run,
                   grids={"quick": GRID, "full": GRID}, replicates={"quick": 60, "full": 80},
                   checks=[Check("clitest.half", "err", "N", label="ok")],
                   figures=[Figure("err", "N", {"err": "|Z|/sqrt(N)"}, theorem="clitest.half")]),
        Experiment(name="toy_bad", title="toy: wrong exponent", run=run,
                   grids={"quick": GRID}, replicates={"quick": 60},
                   checks=[Check("clitest.wrong", "err", "N", label="negative control")]),
    ]

    if __name__ == "__main__":
        from rlth.cli import main_for
        main_for(EXPERIMENTS)
''')

BENCH = textwrap.dedent('''
    def main(argv=None):
        print("bench called with", argv)
''')


@pytest.fixture
def env(tmp_path, monkeypatch):
    exp_dir = tmp_path / "experiments"
    (exp_dir / "benchmarks").mkdir(parents=True)
    (exp_dir / "toys.py").write_text(TOY)
    (exp_dir / "benchmarks" / "dummy.py").write_text(BENCH)
    monkeypatch.setenv("RLTH_EXPERIMENTS_DIR", str(exp_dir))
    monkeypatch.setenv("RLTH_RESULTS_DIR", str(tmp_path / "results"))
    monkeypatch.setenv("RLTH_FIGURES_DIR", str(tmp_path / "figs"))
    cli._REGISTRY_CACHE.clear()
    yield tmp_path
    cli._REGISTRY_CACHE.clear()


def test_list(env, capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    for s in ("clitest.half", "selftest.bernoulli.mae", "toy_ok", "toy_bad", "toys", "[D]"):
        assert s in out


def test_check_pass_fail_and_exit_status(env, capsys):
    assert cli.main(["check", "toy_ok", "--no-progress"]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("toy_ok"))
    assert "clitest.half" in row and row.rstrip().endswith("PASS")
    assert (env / "figs" / "quick" / "toy_ok_err.png").exists()
    assert (env / "figs" / "quick" / "toy_ok_err.csv").exists()
    import csv
    rows = list(csv.DictReader(open(env / "figs" / "quick" / "toy_ok_verdicts.csv")))
    assert len(rows) == 1 and rows[0]["verdict"] == "PASS" and rows[0]["theorem"] == "clitest.half"
    assert abs(float(rows[0]["slope"]) + 0.5) < 0.1
    assert cli.main(["check", "toy_bad", "--no-progress"]) == 1
    out = capsys.readouterr().out
    assert any(line.startswith("toy_bad") and line.rstrip().endswith("FAIL")
               for line in out.splitlines())
    # no NAME: every experiment (already computed: resumes, computes nothing)
    assert cli.main(["check", "--no-progress", "--no-figures"]) == 1
    out = capsys.readouterr().out
    assert "1 FAIL, 1 PASS" in out


def test_run_family_and_figures(env, capsys):
    assert cli.main(["figures", "toy_ok"]) == 1              # nothing stored yet
    assert "no records in the store" in capsys.readouterr().err
    assert cli.main(["run", "toys", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "toy_ok [quick]: 420 records" in out and "toy_bad [quick]: 420 records" in out
    assert cli.main(["figures", "toys", "--figures-dir", str(env / "f2")]) == 0
    assert (env / "f2" / "toy_ok_err.png").exists() and (env / "f2" / "toy_ok_err.csv").exists()


def test_run_with_loky_backend(env, capsys):
    """Experiment files travel to worker processes (even with lru_cache'd helpers, which
    pickle by reference) and give the serial records."""
    from rlth.sweep import load_records
    assert cli.main(["run", "toy_ok", "--backend", "loky", "--workers", "2",
                     "--no-progress"]) == 0
    assert "420 records" in capsys.readouterr().out
    assert cli.main(["run", "toy_ok", "--no-progress", "--store-dir", str(env / "serial")]) == 0
    exp = cli.discover().experiments["toy_ok"]
    loky = load_records(exp, "quick", complete_only=True)
    serial = load_records(exp, "quick", store_dir=env / "serial", complete_only=True)
    key = lambda r: (r["point"]["N"], r["replicate"])  # noqa: E731
    assert [r["metrics"] for r in sorted(loky, key=key)] == \
        [r["metrics"] for r in sorted(serial, key=key)]


@pytest.mark.parametrize("argv, code, needle", [
    (["run", "nope"], 2, "NAME: unknown experiment 'nope'"),
    (["check", "nope"], 2, "NAME: unknown experiment"),
    (["figures", "nope"], 2, "NAME"),
    (["run", "toy_ok", "--profile", "bogus"], 2, "--profile"),
    (["run", "toy_bad", "--profile", "full"], 2, "--profile: experiment 'toy_bad' has no profile"),
    (["run", "toy_ok", "--backend", "mpi"], 2, "--backend"),
    (["check", "toy_ok", "--workers", "0"], 2, "--workers"),
    (["bench", "nope"], 2, "NAME: unknown benchmark"),
    (["frobnicate"], 2, "invalid choice"),
    ([], 2, "COMMAND"),
])
def test_usage_errors(env, capsys, argv, code, needle):
    assert cli.main(argv) == code
    assert needle in capsys.readouterr().err


def test_broken_experiment_file_is_reported(env, capsys):
    (Path(env) / "experiments" / "broken.py").write_text("raise RuntimeError('boom')\n")
    assert cli.main(["list"]) == 1
    assert "broken.py failed to load: RuntimeError: boom" in capsys.readouterr().out
    assert cli.main(["check", "toy_ok", "--no-progress", "--no-figures"]) == 0  # others still run
    assert cli.main(["check", "--no-progress", "--no-figures"]) == 1
    out = capsys.readouterr().out
    assert "ERROR" in out and "boom" in out
    assert cli.main(["run", "broken"]) == 2
    assert "failed to load" in capsys.readouterr().err


def test_bench(env, capsys):
    assert cli.main(["bench", "--quick"]) == 0
    assert "bench called with ['--quick']" in capsys.readouterr().out


def test_main_for_runs_a_file_on_its_own(env):
    path = Path(env) / "experiments" / "toys.py"
    ok = subprocess.run([sys.executable, str(path), "--only", "toy_ok", "--no-progress",
                         "--backend", "loky", "--workers", "2"],
                        capture_output=True, text=True, timeout=300)
    assert ok.returncode == 0, ok.stderr
    assert "PASS" in ok.stdout
    bad = subprocess.run([sys.executable, str(path), "--profile", "bogus"], capture_output=True,
                         text=True, timeout=300)
    assert bad.returncode == 2 and "--profile" in bad.stderr


def test_default_discovery_finds_the_repo_experiments(monkeypatch):
    monkeypatch.delenv("RLTH_EXPERIMENTS_DIR", raising=False)
    d = cli.experiments_dir()
    assert d.name == "experiments" and (d / "selftest.py").exists()


def test_selftest_passes_end_to_end(tmp_path, monkeypatch, capsys):
    """The harness self-test (experiments/selftest.py, quick profile): all three checks PASS (the
    third on a 1e5-state CSR model), with the replicate means agreeing with the exact expected
    errors (5.5 standard errors)."""
    monkeypatch.delenv("RLTH_EXPERIMENTS_DIR", raising=False)
    monkeypatch.setenv("RLTH_RESULTS_DIR", str(tmp_path / "results"))
    cli._REGISTRY_CACHE.clear()
    code = cli.main(["check", "selftest", "--profile", "quick", "--no-progress",
                     "--figures-dir", str(tmp_path / "figs")])
    out = capsys.readouterr().out
    assert code == 0, out
    rows = [line for line in out.splitlines() if line.startswith("selftest_")]
    assert len(rows) == 3 and all(r.rstrip().endswith("PASS") and "ref ok" in r for r in rows)
    assert len(list((tmp_path / "figs").glob("*.png"))) == 3


def test_a_bad_check_or_figure_is_an_error_row_not_a_crash(env, capsys):
    (Path(env) / "experiments" / "more.py").write_text(TOY.replace("toy_ok", "toy_x").replace(
        "toy_bad", "toy_y").replace('Check("clitest.half", "err", "N", label="ok")',
                                    'Check("clitest.nonexistent", "err", "N", label="ok"), '
                                    'Check("clitest.half", "err", "N", label="fine")').replace(
        'Figure("err", "N", {"err"', 'Figure("err", "N", {"nometric"'))
    assert cli.main(["check", "toy_x", "--no-progress", "--figures-dir", str(env / "f")]) == 1
    out = capsys.readouterr().out
    assert "unknown theorem 'clitest.nonexistent'" in out
    assert any(line.startswith("toy_x") and line.rstrip().endswith("PASS")
               for line in out.splitlines())
    assert "figure 'err'" in out


SLOW = textwrap.dedent('''
    import time
    from rlth.experiment import Experiment

    def run(params, rng):
        time.sleep(0.1)
        return {"y": float(rng.random())}

    EXPERIMENT = Experiment(name="slow", title="slow", run=run,
                            grids={"quick": [{"N": n} for n in range(1, 11)]},
                            replicates={"quick": 5})
''')


def test_ctrl_c_keeps_records_and_the_rerun_resumes(env):
    """SIGINT (Ctrl-C) to `rlth run`: exit status 130, the records written so far stay in the
    store, and the rerun computes only the rest."""
    import os
    import signal
    import time

    from rlth.store import read_store, store_path
    (Path(env) / "experiments" / "slow.py").write_text(SLOW)
    # a shell's background job inherits SIGINT as ignored, and Python then installs no
    # KeyboardInterrupt handler: give the child the default disposition, as a terminal would
    proc = subprocess.Popen([sys.executable, "-m", "rlth.cli", "run", "slow", "--no-progress"],
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    cli._REGISTRY_CACHE.clear()
    exp = cli.discover().experiments["slow"]
    path = store_path(exp, "quick")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if path.exists() and path.read_bytes().count(b"\n") >= 6:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the sweep finished before it could be interrupted"
    os.kill(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "interrupted" in err
    _, kept = read_store(path)
    assert 5 <= len(kept) < 50
    from rlth.sweep import run_experiment
    before = path.read_bytes()
    with warnings.catch_warnings():
        warnings.simplefilter("error")        # same code: the kept records are used, silently
        recs = run_experiment(exp, "quick", progress=False)
    # (a wrapper counting calls would change run()'s code and so its records' key: the
    # records the rerun computed are counted in the file instead)
    after = path.read_bytes()
    assert after.startswith(before)
    added = [json.loads(line) for line in after[len(before):].splitlines()]
    assert len(recs) == 50
    assert sum(d["type"] == "record" for d in added) == 50 - len(kept)


def _one_line_error(capsys, needle):
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and needle in lines[0], err
    return lines[0]


@pytest.mark.parametrize("argv, needle", [
    (["run", "toy_ok", "--store-dir", "{file}"], "--store-dir: "),
    (["check", "toy_ok", "--store-dir", "{file}"], "--store-dir: "),
    (["figures", "toy_ok", "--store-dir", "{file}"], "--store-dir: "),
    (["run", "toy_ok", "--store-dir", "{file}/sub"], "--store-dir: cannot create"),
    (["check", "toy_ok", "--store-dir", "{file}/sub"], "--store-dir: cannot create"),
    (["check", "toy_ok", "--figures-dir", "{file}"], "--figures-dir: "),
    (["figures", "toy_ok", "--figures-dir", "{file}/sub"], "--figures-dir: cannot create"),
    (["run", "toy_ok", "--scheduler", "tcp://127.0.0.1:1"], "--scheduler: only used with "
                                                            "--backend dask"),
    (["check", "toy_ok", "--scheduler", "tcp://127.0.0.1:1", "--backend", "loky"],
     "--scheduler: only used with --backend dask"),
])
def test_bad_directories_and_scheduler_exit_2_with_one_line(env, capsys, argv, needle):
    afile = env / "afile"
    afile.write_text("not a directory")
    argv = [a.replace("{file}", str(afile)) for a in argv] + ["--no-progress"] * \
        (argv[0] != "figures")
    assert cli.main(argv) == 2
    _one_line_error(capsys, needle)


def test_results_dir_from_the_environment_is_named(env, capsys, monkeypatch):
    afile = env / "afile"
    afile.write_text("x")
    monkeypatch.setenv("RLTH_RESULTS_DIR", str(afile))
    assert cli.main(["run", "toy_ok", "--no-progress"]) == 2
    assert "$RLTH_RESULTS_DIR" in _one_line_error(capsys, "--store-dir")


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into a read-only directory")
def test_unwritable_results_dir_exits_2(env, capsys):
    ro = env / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        assert cli.main(["run", "toy_ok", "--store-dir", str(ro), "--no-progress"]) == 2
        _one_line_error(capsys, "--store-dir: ")
    finally:
        ro.chmod(0o700)


def test_unreachable_dask_scheduler_fails_fast_and_leaves_no_store(env, capsys, monkeypatch):
    """No wall-clock assertion: the short timeout is checked as the argument dask receives."""
    import distributed

    from rlth import sweep
    seen = {}
    real = distributed.Client

    def recording(*args, **kwargs):
        seen.update(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(distributed, "Client", recording)
    assert cli.main(["run", "toy_ok", "--backend", "dask", "--scheduler", "tcp://127.0.0.1:1",
                     "--no-progress"]) == 2
    assert seen.get("timeout") == sweep.DASK_CONNECT_TIMEOUT <= 10
    _one_line_error(capsys, "--scheduler: cannot connect")
    results = env / "results"
    assert not results.exists() or not list(results.glob("*.jsonl"))


def test_unreachable_dask_scheduler_in_the_api_leaves_no_store(env):
    exp = cli.discover().experiments["toy_ok"]
    from rlth.store import store_path
    from rlth.sweep import run_experiment
    with pytest.raises(ValueError, match="^scheduler: cannot connect"):
        run_experiment(exp, backend="dask", scheduler="tcp://127.0.0.1:1", progress=False)
    assert not store_path(exp, "quick").exists()


@pytest.mark.parametrize("command", ["check", "figures"])
def test_no_experiment_found_exits_2(env, capsys, monkeypatch, command):
    empty = env / "empty"
    empty.mkdir()
    monkeypatch.setenv("RLTH_EXPERIMENTS_DIR", str(empty))
    cli._REGISTRY_CACHE.clear()
    assert cli.main([command]) == 2
    _one_line_error(capsys, "NAME: no experiments found")


def test_ill_typed_store_lines_do_not_crash_run_check_or_figures(env, capsys):
    """A valid-JSON line without 'point', or with replicate "abc", is skipped with a warning
    by every command (and its record recomputed by run / check)."""
    from rlth.store import StoreWarning, store_path
    assert cli.main(["run", "toy_ok", "--no-progress"]) == 0
    exp = cli.discover().experiments["toy_ok"]
    path = store_path(exp, "quick")
    lines = path.read_text().splitlines()
    rec = json.loads(lines[1])
    no_point = {k: v for k, v in rec.items() if k != "point"}
    path.write_text("\n".join(lines[:1] + [json.dumps(no_point), json.dumps(
        dict(rec, replicate="abc"))] + lines[2:]) + "\n")
    capsys.readouterr()
    with pytest.warns(StoreWarning, match="ill-typed line 2"):
        assert cli.main(["figures", "toy_ok"]) == 0      # plots the 419 records there are
    assert "only 419 of 420 records" in capsys.readouterr().err
    with pytest.warns(StoreWarning, match="ill-typed line 3"):
        assert cli.main(["run", "toy_ok", "--no-progress"]) == 0
    assert "420 records" in capsys.readouterr().out
    with pytest.warns(StoreWarning, match="ill-typed line 2"):
        assert cli.main(["check", "toy_ok", "--no-progress", "--no-figures"]) == 0


def test_every_option_of_every_subcommand_has_help():
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, p in sub.choices.items():
        for action in p._actions:
            assert action.help, f"rlth {name} {'/'.join(action.option_strings) or action.dest}"
