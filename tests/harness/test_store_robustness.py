"""Results-store robustness: corrupt, truncated, duplicate and ill-typed lines; records keyed by
the code that computed them; ``--fresh`` under the store's lock (two processes at once)."""
import json
import os
import subprocess
import sys
import textwrap
import warnings

import pytest

from rlth.store import (StoreLockedError, StoreWarning, StoreWriter, code_fingerprint,
                        read_store, store_path)
from rlth.sweep import load_module_from_file, load_records, run_experiment

EXP = textwrap.dedent('''
    import os, time
    from rlth.experiment import Check, Experiment
    CALLS = []

    POWER = -0.5
    UNUSED = {"a": 1}

    def _scale(n):
        return n ** POWER

    def run(params, rng):
        CALLS.append(params["n"])
        time.sleep(float(os.environ.get("TOY_SLEEP", "0")))
        return {"y": float(rng.random()) * _scale(params["n"])}

    EXPERIMENT = Experiment(name="robust", title="store robustness", run=run,
                            grids={"quick": [{"n": n} for n in (1, 4, 16)]},
                            replicates={"quick": 4},
                            checks=[Check("selftest.bernoulli.mae", "y", "n")])
    if __name__ == "__main__":
        import sys
        from rlth.cli import main
        sys.exit(main(["run", "robust", "--no-progress"] + sys.argv[1:]))
''')

N_RECORDS = 12


def _load(tmp_path, source=EXP, name="rlth_experiments_robust"):
    """Import the experiment file as the harness does (under one module name)."""
    path = tmp_path / "exp" / "robust.py"
    path.parent.mkdir(exist_ok=True)
    path.write_text(source)
    return load_module_from_file(path, name)


def _strip(records):
    return [{k: r[k] for k in ("point", "replicate", "seed_entropy", "spawn_key", "metrics")}
            for r in records]


def _complete_store(tmp_path):
    mod = _load(tmp_path)
    recs = run_experiment(mod.EXPERIMENT, "quick", store_dir=tmp_path / "store", progress=False)
    mod.CALLS.clear()
    return mod, recs, store_path(mod.EXPERIMENT, "quick", tmp_path / "store")


# --------------------------------------------------------------------------------------------
# ill-typed, corrupt, truncated and duplicate lines

GOOD = {"type": "record", "point": {"n": 4}, "replicate": 1, "seed_entropy": 20261122,
        "spawn_key": [5, 1], "metrics": {"y": 0.25}}


def _without(key):
    return {k: v for k, v in GOOD.items() if k != key}


@pytest.mark.parametrize("bad, reason", [
    (_without("point"), "'point'"),
    (dict(GOOD, point=[4]), "'point'"),
    (dict(GOOD, replicate="abc"), "replicate"),
    (dict(GOOD, replicate=-1), "replicate"),
    (dict(GOOD, replicate=1.5), "replicate"),
    (dict(GOOD, replicate=True), "replicate"),
    (_without("replicate"), "replicate"),
    (dict(GOOD, seed_entropy="x"), "seed_entropy"),
    (dict(GOOD, spawn_key="5,1"), "spawn_key"),
    (_without("metrics"), "metrics"),
    (dict(GOOD, metrics=[0.25]), "metrics"),
    (dict(GOOD, metrics={"y": "nan"}), "metric 'y'"),
    (dict(GOOD, metrics={"y": "0.25"}), "metric 'y'"),
    (dict(GOOD, metrics={"y": None}), "metric 'y'"),
    (dict(GOOD, metrics={"y": True}), "metric 'y'"),
])
def test_ill_typed_record_line_is_skipped_with_a_warning_and_recomputed(tmp_path, bad, reason):
    mod, full, path = _complete_store(tmp_path)
    lines = path.read_text().splitlines()
    # replace the record of (n=4, r=0) (line 6: header + 4 records before it) by the bad line
    assert json.loads(lines[5])["point"] == {"n": 4} and json.loads(lines[5])["replicate"] == 0
    lines[5] = json.dumps(bad)
    path.write_text("\n".join(lines) + "\n")
    with pytest.warns(StoreWarning, match=f"ill-typed line 6: .*{reason}"):
        _, recs = read_store(path)
    assert len(recs) == N_RECORDS - 1
    with pytest.warns(StoreWarning, match="ill-typed line 6"):
        again = run_experiment(mod.EXPERIMENT, "quick", store_dir=tmp_path / "store",
                               progress=False)
    assert mod.CALLS == [4]                 # only the skipped record is recomputed
    assert _strip(again) == _strip(full)


def test_ill_typed_last_line_is_skipped_but_not_cut(tmp_path):
    mod, full, path = _complete_store(tmp_path)
    path.write_text(path.read_text() + json.dumps(_without("point")) + "\n")
    size = path.stat().st_size
    with pytest.warns(StoreWarning, match="ill-typed line 14"):
        recs = load_records(mod.EXPERIMENT, "quick", store_dir=tmp_path / "store")
    assert _strip(recs) == _strip(full) and path.stat().st_size == size


@pytest.mark.parametrize("bad", [b"\xff\xfe not utf-8", b"[1, 2, 3]", b"42", b'"record"',
                                 b'{"type": "nonsense"}', b"{unquoted: 1}"])
def test_corrupt_middle_line_is_skipped(tmp_path, bad):
    mod, full, path = _complete_store(tmp_path)
    lines = path.read_bytes().split(b"\n")
    lines.insert(3, bad)
    path.write_bytes(b"\n".join(lines))
    with pytest.warns(StoreWarning, match="corrupt line 4"):
        again = run_experiment(mod.EXPERIMENT, "quick", store_dir=tmp_path / "store",
                               progress=False)
    assert mod.CALLS == [] and _strip(again) == _strip(full)


@pytest.mark.parametrize("cut", [2, 10, 30])
def test_truncated_last_line_is_cut_and_recomputed(tmp_path, cut):
    mod, full, path = _complete_store(tmp_path)
    path.write_bytes(path.read_bytes()[:-cut])
    with pytest.warns(StoreWarning, match="truncated"):
        again = run_experiment(mod.EXPERIMENT, "quick", store_dir=tmp_path / "store",
                               progress=False)
    assert mod.CALLS == [16] and _strip(again) == _strip(full)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(read_store(path)[1]) == N_RECORDS


def test_blank_lines_are_ignored_silently(tmp_path):
    mod, full, path = _complete_store(tmp_path)
    path.write_text(path.read_text().replace("\n", "\n\n   \n"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _strip(load_records(mod.EXPERIMENT, "quick", store_dir=tmp_path / "store")) == \
            _strip(full)


def test_duplicate_records_warn_and_the_first_wins(tmp_path):
    mod, full, path = _complete_store(tmp_path)
    lines = path.read_text().splitlines()
    first = json.loads(lines[3])
    dup_same = lines[3]
    dup_other = json.loads(lines[3])
    dup_other["metrics"] = {"y": 123.0}
    path.write_text("\n".join(lines + [dup_same, json.dumps(dup_other)]) + "\n")
    with pytest.warns(StoreWarning, match=r": 2 duplicate records \(same point and replicate; 1 with "
                                          r"different metrics\): the first in the file is used"):
        recs = load_records(mod.EXPERIMENT, "quick", store_dir=tmp_path / "store")
    assert len(recs) == N_RECORDS
    got = next(r for r in recs if (r["point"], r["replicate"]) == (first["point"],
                                                                    first["replicate"]))
    assert got["metrics"] == first["metrics"] != {"y": 123.0}
    assert _strip(recs) == _strip(full)


def test_nan_metric_written_by_the_sweep_round_trips(tmp_path):
    """A float NaN (or inf) returned by run() is stored as the JSON literal NaN and read back as
    a float; only a non-number (the string "nan") is rejected."""
    src = EXP.replace('return {"y": float(rng.random()) * _scale(params["n"])}',
                      'return {"y": float("nan"), "z": float("inf")}')
    mod = _load(tmp_path, src)
    run_experiment(mod.EXPERIMENT, "quick", store_dir=tmp_path / "store", progress=False)
    mod.CALLS.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        recs = run_experiment(mod.EXPERIMENT, "quick", store_dir=tmp_path / "store",
                              progress=False)
    assert mod.CALLS == [] and len(recs) == N_RECORDS
    assert all(r["metrics"]["y"] != r["metrics"]["y"] and r["metrics"]["z"] == float("inf")
               for r in recs)


# --------------------------------------------------------------------------------------------
# records keyed by code

def test_changing_run_with_a_complete_store_recomputes_and_warns(tmp_path):
    mod, full, path = _complete_store(tmp_path)
    old_code = code_fingerprint(mod.EXPERIMENT)
    edited = _load(tmp_path, EXP.replace('float(rng.random()) * _scale', '10 * float(rng.random()) '
                                                                        '* _scale'))
    assert code_fingerprint(edited.EXPERIMENT) != old_code
    # figures / load_records: the old records are not shown as the new code's
    with pytest.warns(StoreWarning, match="ignored 12 records computed by other code"):
        assert load_records(edited.EXPERIMENT, "quick", store_dir=tmp_path / "store") == []
    with pytest.warns(StoreWarning, match="ignored 12 records computed by other code"):
        new = run_experiment(edited.EXPERIMENT, "quick", store_dir=tmp_path / "store",
                             progress=False)
    assert len(edited.CALLS) == N_RECORDS
    assert [r["metrics"]["y"] for r in new] == [10 * r["metrics"]["y"] for r in full]
    # going back to the old code finds the old records again (nothing recomputed)
    back = _load(tmp_path)
    with pytest.warns(StoreWarning, match="ignored 12 records computed by other code"):
        again = run_experiment(back.EXPERIMENT, "quick", store_dir=tmp_path / "store",
                               progress=False)
    assert back.CALLS == [] and _strip(again) == _strip(full)


def test_changing_a_helper_or_a_constant_changes_the_code_but_a_check_or_the_grid_does_not(
        tmp_path):
    base = _load(tmp_path).EXPERIMENT
    helper = _load(tmp_path, EXP.replace("n ** POWER", "n ** POWER / 2")).EXPERIMENT
    constant = _load(tmp_path, EXP.replace("POWER = -0.5", "POWER = -0.4")).EXPERIMENT
    check = _load(tmp_path, EXP.replace('"y", "n")', '"y", "n", label="x")')).EXPERIMENT
    grid = _load(tmp_path, EXP.replace("(1, 4, 16)", "(1, 4, 16, 64)")).EXPERIMENT
    unused = _load(tmp_path, EXP.replace('{"a": 1}', '{"a": 2}')).EXPERIMENT
    assert len({code_fingerprint(e) for e in (base, helper, constant)}) == 3
    # module-level state that run() mutates (a call log, a cache) is keyed by its assignment's
    # text, not its value: running does not change the fingerprint
    fp = code_fingerprint(base)
    sys.modules[base.run.__module__].CALLS.extend(range(5))
    assert code_fingerprint(base) == fp
    assert code_fingerprint(check) == code_fingerprint(base) == code_fingerprint(grid) == \
        code_fingerprint(unused)


def test_unchanged_code_resumes_silently(tmp_path):
    mod, full, path = _complete_store(tmp_path)
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:7]) + "\n")            # header + 6 records
    again_mod = _load(tmp_path)                              # re-imported, same source
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = run_experiment(again_mod.EXPERIMENT, "quick", store_dir=tmp_path / "store",
                               progress=False)
    assert len(again_mod.CALLS) == N_RECORDS - 6 and _strip(again) == _strip(full)


def test_store_without_code_fingerprint_is_used_with_a_warning(tmp_path):
    """A store written before fingerprints existed stays valid (nothing recomputed), but a
    warning says its code cannot be checked."""
    mod, full, path = _complete_store(tmp_path)
    lines = path.read_text().splitlines()
    header = json.loads(lines[0])
    del header["code"]
    path.write_text("\n".join([json.dumps(header)] + lines[1:]) + "\n")
    with pytest.warns(StoreWarning, match="12 records were stored without a code fingerprint"):
        again = run_experiment(mod.EXPERIMENT, "quick", store_dir=tmp_path / "store",
                               progress=False)
    assert mod.CALLS == [] and _strip(again) == _strip(full)


def test_check_after_editing_run_shows_the_new_verdict_not_the_stale_one(tmp_path, monkeypatch,
                                                                          capsys):
    """`rlth check` with a complete store of the old code: the edited run() (error times N)
    gives a FAIL, and a warning says the old records were ignored."""
    from rlth import cli
    exp_dir = tmp_path / "exps"
    exp_dir.mkdir()
    monkeypatch.setenv("RLTH_EXPERIMENTS_DIR", str(exp_dir))
    monkeypatch.setenv("RLTH_RESULTS_DIR", str(tmp_path / "results"))
    source = textwrap.dedent('''
        from rlth.experiment import Check, Experiment
        from rlth.theory import Theorem, register
        register(Theorem(id="robusttest.half", paper="toy", arxiv="", number="1", statement="",
                         quantity="q", sweep_variable="N", kind="rate", exponent=-0.5,
                         provenance="[D]"))
        def run(params, rng):
            return {"err": abs(float(rng.standard_normal())) / params["N"] ** 0.5}
        EXPERIMENT = Experiment(name="stale", title="stale", run=run,
                                grids={"quick": [{"N": n} for n in (10, 100, 1000, 10000)]},
                                replicates={"quick": 60},
                                checks=[Check("robusttest.half", "err", "N")])
    ''')
    (exp_dir / "stale.py").write_text(source)
    cli._REGISTRY_CACHE.clear()
    try:
        assert cli.main(["check", "stale", "--no-progress", "--no-figures"]) == 0
        capsys.readouterr()
        (exp_dir / "stale.py").write_text(source.replace("/ params", "* params"))
        cli._REGISTRY_CACHE.clear()
        with pytest.warns(StoreWarning, match="records computed by other code"):
            code = cli.main(["check", "stale", "--no-progress", "--no-figures"])
        out = capsys.readouterr().out
        assert code == 1
        assert any(line.startswith("stale") and line.rstrip().endswith("FAIL")
                   for line in out.splitlines())
    finally:
        cli._REGISTRY_CACHE.clear()


# --------------------------------------------------------------------------------------------
# --fresh and the lock

def test_fresh_does_not_move_a_store_that_a_sweep_is_writing(tmp_path):
    mod, full, path = _complete_store(tmp_path)
    before = path.read_bytes()
    with StoreWriter(path, {"type": "header"}):             # a sweep in progress
        with pytest.raises(StoreLockedError, match="another sweep"):
            run_experiment(mod.EXPERIMENT, "quick", store_dir=tmp_path / "store",
                           progress=False, fresh=True)
        assert not path.with_name(path.name + ".old").exists()
    assert path.read_bytes().startswith(before)
    assert mod.CALLS == []


def test_fresh_keeps_the_old_store_and_recomputes(tmp_path):
    mod, full, path = _complete_store(tmp_path)
    before = path.read_bytes()
    again = run_experiment(mod.EXPERIMENT, "quick", store_dir=tmp_path / "store",
                           progress=False, fresh=True)
    assert len(mod.CALLS) == N_RECORDS and _strip(again) == _strip(full)
    assert path.with_name(path.name + ".old").read_bytes() == before
    headers, recs = read_store(path)
    assert len(headers) == 1 and _strip(recs) == _strip(full)


def test_two_processes_with_fresh(tmp_path):
    """Two `rlth run --fresh` on a complete store, the second started while the first sweeps:
    the second stops with "another sweep" (exit 1) without touching anything; the old records
    are kept intact in <file>.old and the new store holds every record once."""
    import time
    mod, full, path = _complete_store(tmp_path)
    before = path.read_bytes()
    env = dict(os.environ, TOY_SLEEP="0.3", RLTH_EXPERIMENTS_DIR=str(tmp_path / "exp"),
               RLTH_RESULTS_DIR=str(tmp_path / "store"))
    script = str(tmp_path / "exp" / "robust.py")

    def start():
        return subprocess.Popen([sys.executable, script, "--fresh"], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    first = start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and first.poll() is None:
        try:
            data = path.read_bytes()
        except FileNotFoundError:                 # (moved aside by a rename)
            data = b""
        if not data.startswith(before) and data.count(b"\n") >= 2:   # header + a new record
            break
        time.sleep(0.02)
    assert first.poll() is None, "the first sweep finished before the second started"
    second = start()
    out2, err2 = second.communicate(timeout=300)
    out1, err1 = first.communicate(timeout=300)
    assert first.returncode == 0, err1
    assert second.returncode == 1 and "another sweep" in err2, err2
    assert path.with_name(path.name + ".old").read_bytes() == before
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        headers, recs = read_store(path)
    assert len(headers) == 1
    key = lambda r: (r["point"]["n"], r["replicate"])  # noqa: E731
    assert _strip(sorted(recs, key=key)) == _strip(sorted(full, key=key))


def test_a_directory_in_place_of_the_store_file_is_a_clear_error(tmp_path, capsys,
                                                                  monkeypatch):
    from rlth import cli
    from rlth.store import StoreError
    mod = _load(tmp_path)
    path = store_path(mod.EXPERIMENT, "quick", tmp_path / "store")
    path.mkdir(parents=True)
    with pytest.raises(StoreError, match="store: .* is a directory"):
        read_store(path)
    with pytest.raises(ValueError, match="is a directory"):   # StoreError is a ValueError
        run_experiment(mod.EXPERIMENT, "quick", store_dir=tmp_path / "store", progress=False)
    monkeypatch.setenv("RLTH_EXPERIMENTS_DIR", str(tmp_path / "exp"))
    cli._REGISTRY_CACHE.clear()
    try:
        status = cli.main(["run", "robust", "--no-progress", "--store-dir",
                           str(tmp_path / "store")])
    finally:
        cli._REGISTRY_CACHE.clear()
    err = capsys.readouterr().err
    assert status == 2 and "is a directory" in err and "Traceback" not in err
