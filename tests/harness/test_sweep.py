"""Sweep runner and results store: seeds, backends, resuming, corruption, constants keying."""
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings

import cloudpickle
import numpy as np
import pytest

from rlth.experiment import Experiment
from rlth.store import StoreWarning, read_store, store_path
from rlth.sweep import load_records, record_generator, run_experiment, spawn_key

# test-module functions travel by value to loky / dask workers
cloudpickle.register_pickle_by_value(sys.modules[__name__])

CALLS = []


def run_toy(params, rng):
    CALLS.append((params["n"], params.get("tag")))
    u = rng.random(3)
    return {"y": float(u[0]) * params["n"] ** -0.5, "z": float(rng.normal()), "w": int(u[2] > .5)}


def run_toy_batch(params, rngs):
    return [run_toy(params, g) for g in rngs]


FAIL_AFTER = [None]


def run_failing(params, rng):
    if FAIL_AFTER[0] is not None and len(CALLS) >= FAIL_AFTER[0]:
        raise RuntimeError("simulated crash")
    return run_toy(params, rng)


def toy(name="toy", run=run_toy, points=(1, 10, 100), reps=4, constants=None, **kw):
    return Experiment(name=name, title="toy sweep", run=run,
                      grids={"quick": [{"n": n, "tag": "a"} for n in points]},
                      replicates={"quick": reps}, constants=constants or {"c": 1}, **kw)


@pytest.fixture(autouse=True)
def _reset():
    CALLS.clear()
    FAIL_AFTER[0] = None
    yield


def _dumps(obj):
    return json.dumps(obj, sort_keys=True)


def _strip(records):
    return [{k: r[k] for k in ("point", "replicate", "seed_entropy", "spawn_key", "metrics")}
            for r in records]


def test_records_shape_seed_fields_and_header(tmp_path):
    exp = toy()
    recs = run_experiment(exp, "quick", store_dir=tmp_path, progress=False)
    assert len(recs) == 12 and len(CALLS) == 12
    assert [(r["point"]["n"], r["replicate"]) for r in recs] == \
        [(n, r) for n in (1, 10, 100) for r in range(4)]
    for r in recs:
        assert r["seed_entropy"] == exp.seed
        assert tuple(r["spawn_key"]) == spawn_key(r["point"], r["replicate"])
        # the stored seed regenerates the record alone
        assert run_toy(r["point"], record_generator(r)) == r["metrics"]
    headers, stored = read_store(store_path(exp, "quick", tmp_path))
    assert len(headers) == 1 and len(stored) == 12
    h = headers[0]
    assert h["profile"] == "quick" and h["constants"] == {"c": 1} and h["seed"] == exp.seed
    assert h["rlth_version"] and h["packages"]["numpy"] and "git_commit" in h
    # a second call computes nothing and writes nothing
    size = store_path(exp, "quick", tmp_path).stat().st_size
    CALLS.clear()
    assert _strip(run_experiment(exp, "quick", store_dir=tmp_path, progress=False)) == _strip(recs)
    assert CALLS == []
    assert store_path(exp, "quick", tmp_path).stat().st_size == size


def test_adding_points_and_replicates_does_not_reseed(tmp_path):
    small = run_experiment(toy(points=(1, 100), reps=3), "quick", store_dir=tmp_path / "a",
                           progress=False)
    big = run_experiment(toy(points=(1, 10, 100, 1000), reps=5), "quick",
                         store_dir=tmp_path / "b", progress=False)
    big_by = {(r["point"]["n"], r["replicate"]): r["metrics"] for r in big}
    for r in small:
        assert big_by[(r["point"]["n"], r["replicate"])] == r["metrics"]
    # distinct (point, replicate) pairs get distinct streams
    ys = [r["metrics"]["z"] for r in big]
    assert len(set(ys)) == len(ys)


def test_run_batch_gives_the_same_records(tmp_path):
    a = run_experiment(toy(), "quick", store_dir=tmp_path / "a", progress=False)
    b = run_experiment(toy(run_batch=run_toy_batch), "quick", store_dir=tmp_path / "b",
                       progress=False, chunk_size=3)
    assert _strip(a) == _strip(b)


def test_serial_loky_dask_identical(tmp_path):
    """Same seeds -> identical records on every backend (loky: 2 processes; dask: a
    LocalCluster of 2 single-threaded worker *processes*)."""
    exp = toy(points=(1, 3, 10, 30), reps=3)
    serial = run_experiment(exp, "quick", store_dir=tmp_path / "s", progress=False)
    loky = run_experiment(exp, "quick", backend="loky", workers=2, chunk_size=2,
                          store_dir=tmp_path / "l", progress=False)
    assert _strip(loky) == _strip(serial)
    batch = run_experiment(toy(points=(1, 3, 10, 30), reps=3, run_batch=run_toy_batch), "quick",
                           backend="dask", workers=2, chunk_size=2, store_dir=tmp_path / "d",
                           progress=False)
    assert _strip(batch) == _strip(serial)
    # the stored files hold the same records (in completion order)
    for d in ("l", "d"):
        _, st = read_store(store_path(exp, "quick", tmp_path / d))
        key = lambda r: (r["point"]["n"], r["replicate"])  # noqa: E731
        assert sorted(map(_dumps, _strip(sorted(st, key=key)))) == \
            sorted(map(_dumps, _strip(serial)))


def test_raise_midway_then_resume_recomputes_nothing_done(tmp_path):
    exp_fail = toy(run=run_failing)
    FAIL_AFTER[0] = 5
    with pytest.raises(RuntimeError, match="simulated crash"):
        run_experiment(exp_fail, "quick", store_dir=tmp_path, progress=False, chunk_size=1)
    _, stored = read_store(store_path(exp_fail, "quick", tmp_path))
    assert len(stored) == 5
    done = {(r["point"]["n"], r["replicate"]) for r in stored}
    CALLS.clear()
    FAIL_AFTER[0] = None
    resumed = run_experiment(exp_fail, "quick", store_dir=tmp_path, progress=False)
    assert len(CALLS) == 12 - 5
    assert len(done) == 5
    uninterrupted = run_experiment(toy(run=run_failing), "quick", store_dir=tmp_path / "u",
                                   progress=False)
    assert _strip(resumed) == _strip(uninterrupted)
    headers, _ = read_store(store_path(exp_fail, "quick", tmp_path))
    assert len(headers) == 2   # a header per (re)start


EXP_FILE = textwrap.dedent("""
    import os, time
    from rlth.experiment import Experiment
    CALLS = []
    def run(params, rng):
        CALLS.append(params["n"])
        time.sleep(float(os.environ.get("TOY_SLEEP", "0")))
        return {"y": float(rng.random()) * params["n"] ** -0.5}
    EXPERIMENT = Experiment(name="killme", title="killed sweep", run=run,
                            grids={"quick": [{"n": n} for n in (1, 2, 4, 8, 16, 32)]},
                            replicates={"quick": 5})
    if __name__ == "__main__":
        from rlth.sweep import run_experiment
        run_experiment(EXPERIMENT, "quick", store_dir=os.environ["STORE"], progress=False,
                       chunk_size=1)
""")


def test_sigkill_midway_then_resume(tmp_path):
    from rlth.cli import _load_module
    path = tmp_path / "killme.py"
    path.write_text(EXP_FILE)
    store = tmp_path / "store"
    env = dict(os.environ, TOY_SLEEP="0.2", STORE=str(store))
    proc = subprocess.Popen([sys.executable, str(path)], env=env)
    mod = _load_module(path, "rlth_test_killme")
    target = store_path(mod.EXPERIMENT, "quick", store)
    deadline = time.monotonic() + 120
    n_lines = 0
    while time.monotonic() < deadline and proc.poll() is None:
        if target.exists():
            n_lines = target.read_bytes().count(b"\n")
            if n_lines >= 1 + 6:          # header + 6 records
                break
        time.sleep(0.02)
    assert proc.poll() is None, "the sweep finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StoreWarning)   # the kill may cut a line
        _, stored = read_store(target)
    k = len(stored)
    assert 6 <= k < 30
    resumed = run_experiment(mod.EXPERIMENT, "quick", store_dir=store, progress=False)
    assert len(mod.CALLS) == 30 - k
    mod.CALLS.clear()
    fresh = run_experiment(mod.EXPERIMENT, "quick", store_dir=tmp_path / "fresh", progress=False)
    assert len(mod.CALLS) == 30
    assert _strip(resumed) == _strip(fresh)


def test_truncated_last_line_is_dropped_and_recomputed(tmp_path):
    exp = toy()
    full = run_experiment(exp, "quick", store_dir=tmp_path, progress=False)
    path = store_path(exp, "quick", tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[:-25])          # cut the last record mid-line
    CALLS.clear()
    with pytest.warns(StoreWarning, match="truncated"):
        again = run_experiment(exp, "quick", store_dir=tmp_path, progress=False)
    assert len(CALLS) == 1
    assert _strip(again) == _strip(full)
    with warnings.catch_warnings():
        warnings.simplefilter("error")     # the file is clean again
        headers, recs = read_store(path)
    assert len(recs) == 12


def test_corrupt_middle_line_is_skipped_with_warning(tmp_path):
    exp = toy()
    full = run_experiment(exp, "quick", store_dir=tmp_path, progress=False)
    path = store_path(exp, "quick", tmp_path)
    lines = path.read_bytes().split(b"\n")
    lines[3] = b'{"type": "record", "poi'
    path.write_bytes(b"\n".join(lines))
    CALLS.clear()
    with pytest.warns(StoreWarning, match="corrupt line 4"):
        again = run_experiment(exp, "quick", store_dir=tmp_path, progress=False)
    assert len(CALLS) == 1 and _strip(again) == _strip(full)


def test_last_line_without_newline_is_kept(tmp_path):
    exp = toy()
    run_experiment(exp, "quick", store_dir=tmp_path, progress=False)
    path = store_path(exp, "quick", tmp_path)
    path.write_bytes(path.read_bytes().rstrip(b"\n"))
    CALLS.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(load_records(exp, "quick", store_dir=tmp_path)) == 12
    assert path.read_bytes().endswith(b"\n")


def test_changing_constants_keys_a_new_store(tmp_path):
    a = toy(constants={"c": 1})
    b = toy(constants={"c": 2})
    run_experiment(a, "quick", store_dir=tmp_path, progress=False)
    assert store_path(a, "quick", tmp_path) != store_path(b, "quick", tmp_path)
    assert load_records(b, "quick", store_dir=tmp_path) == []
    CALLS.clear()
    run_experiment(b, "quick", store_dir=tmp_path, progress=False)
    assert len(CALLS) == 12                      # nothing reused across constants
    h, _ = read_store(store_path(b, "quick", tmp_path))
    assert h[0]["constants"] == {"c": 2}
    with pytest.raises(ValueError, match=r"^experiment: .*missing"):
        load_records(toy(constants={"c": 3}), "quick", store_dir=tmp_path, complete_only=True)


def test_changing_the_seed_keys_a_new_store_with_new_records(tmp_path):
    """The root seed is part of the store key: a new seed gets its own file, reuses nothing and
    gives different records; the old seed's store is left as it was and is reused."""
    a = toy(seed=1)
    b = toy(seed=2)
    ra = run_experiment(a, "quick", store_dir=tmp_path, progress=False)
    pa = store_path(a, "quick", tmp_path)
    before = pa.read_bytes()
    assert store_path(b, "quick", tmp_path) != pa
    assert load_records(b, "quick", store_dir=tmp_path) == []
    CALLS.clear()
    rb = run_experiment(b, "quick", store_dir=tmp_path, progress=False)
    assert len(CALLS) == 12                      # nothing reused across seeds
    h, _ = read_store(store_path(b, "quick", tmp_path))
    assert h[0]["seed"] == 2
    assert pa.read_bytes() == before             # the other seed's store is untouched
    ya = sorted(r["metrics"]["y"] for r in ra)
    yb = sorted(r["metrics"]["y"] for r in rb)
    assert len(ya) == len(yb) == 12 and set(ya).isdisjoint(yb)
    assert {r["seed_entropy"] for r in ra} == {1} and {r["seed_entropy"] for r in rb} == {2}
    CALLS.clear()
    assert _strip(run_experiment(a, "quick", store_dir=tmp_path, progress=False)) == _strip(ra)
    assert CALLS == []                           # same seed: everything reused


def test_env_results_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("RLTH_RESULTS_DIR", str(tmp_path / "env"))
    run_experiment(toy(), "quick", progress=False)
    assert (tmp_path / "env").is_dir() and len(list((tmp_path / "env").glob("*.jsonl"))) == 1


@pytest.mark.parametrize("kwargs, match", [
    (dict(profile="full"), "^profile:"),
    (dict(backend="mpi"), "^backend:"),
    (dict(workers=0), "^workers:"),
    (dict(chunk_size=0), "^chunk_size:"),
    (dict(scheduler="tcp://x:1"), "^scheduler:"),
])
def test_bad_arguments(tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        run_experiment(toy(), store_dir=tmp_path, progress=False, **kwargs)


def test_bad_run_output_and_bad_experiment(tmp_path):
    bad = Experiment(name="bad", title="", run=lambda p, g: [1.0], grids={"quick": [{}]},
                     replicates={"quick": 1})
    with pytest.raises(ValueError, match="^run: must return a dict"):
        run_experiment(bad, store_dir=tmp_path, progress=False)
    nan = Experiment(name="bad2", title="", run=lambda p, g: {"y": "x"}, grids={"quick": [{}]},
                     replicates={"quick": 1})
    with pytest.raises(ValueError, match="^run: metric 'y'"):
        run_experiment(nan, store_dir=tmp_path, progress=False)
    with pytest.raises(ValueError, match="^experiment:"):
        run_experiment("toy", store_dir=tmp_path)
    dup = toy(points=(1, 1))
    with pytest.raises(ValueError, match=r"^experiment: .*twice"):
        run_experiment(dup, store_dir=tmp_path, progress=False)


def test_numpy_scalars_in_points_are_canonical(tmp_path):
    a = toy(points=(np.int64(1), 10))
    b = toy(points=(1, 10))
    ra = run_experiment(a, store_dir=tmp_path / "a", progress=False)
    rb = run_experiment(b, store_dir=tmp_path / "b", progress=False)
    assert _strip(ra) == _strip(rb)


def test_dask_scheduler_address_and_client(tmp_path):
    """A given scheduler address (here a LocalCluster of threads, processes=False, to keep the
    test light; the process cluster is covered above) and an existing Client give the same
    records as the serial run."""
    from distributed import Client, LocalCluster
    exp = toy(points=(1, 10), reps=3)
    serial = run_experiment(exp, "quick", store_dir=tmp_path / "s", progress=False)
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                      dashboard_address=None) as cluster:
        by_address = run_experiment(exp, "quick", backend="dask",
                                    scheduler=cluster.scheduler_address,
                                    store_dir=tmp_path / "a", progress=False)
        with Client(cluster) as client:
            by_client = run_experiment(exp, "quick", backend="dask", scheduler=client,
                                       store_dir=tmp_path / "c", progress=False)
            assert client.status == "running"      # a caller's client is left open
    assert _strip(by_address) == _strip(serial) == _strip(by_client)


def test_two_sweeps_on_one_store_do_not_interleave(tmp_path):
    from rlth.store import StoreLockedError, StoreWriter
    exp = toy()
    path = store_path(exp, "quick", tmp_path)
    with StoreWriter(path, {"type": "header"}):
        with pytest.raises(StoreLockedError, match="another sweep"):
            run_experiment(exp, "quick", store_dir=tmp_path, progress=False)
    assert len(run_experiment(exp, "quick", store_dir=tmp_path, progress=False)) == 12


def test_reading_a_store_being_written_leaves_it_alone(tmp_path):
    from rlth.store import StoreWriter
    exp = toy()
    run_experiment(exp, "quick", store_dir=tmp_path, progress=False)
    path = store_path(exp, "quick", tmp_path)
    with StoreWriter(path, {"type": "header"}) as w:
        w._f.write('{"type": "record", "point": {"n"')     # a write in progress
        w._f.flush()
        size = path.stat().st_size
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert len(load_records(exp, "quick", store_dir=tmp_path)) == 12
        assert path.stat().st_size == size                  # not truncated under the writer


def test_fresh_recomputes_and_commit_change_warns(tmp_path):
    exp = toy()
    first = run_experiment(exp, "quick", store_dir=tmp_path, progress=False)
    CALLS.clear()
    again = run_experiment(exp, "quick", store_dir=tmp_path, progress=False, fresh=True)
    assert len(CALLS) == 12 and _strip(again) == _strip(first)
    path = store_path(exp, "quick", tmp_path)
    assert path.with_name(path.name + ".old").exists()
    # a store begun at another commit: resuming it warns that records are mixed
    lines = path.read_text().splitlines()
    header = json.loads(lines[0])
    header["git_commit"] = "0" * 40
    path.write_text("\n".join([json.dumps(header)] + lines[1:6]) + "\n")
    with pytest.warns(StoreWarning, match="mixed"):
        run_experiment(exp, "quick", store_dir=tmp_path, progress=False)


def test_chunking_covers_every_task_once_and_keeps_batch_points_whole():
    from rlth.sweep import _make_chunks
    groups = [(f"p{i}", 1, [(r, (i, r)) for r in range(n)]) for i, n in enumerate((3, 5, 2, 7))]
    for size in (1, 2, 4, 5, 8, 100):
        for keep in (False, True):
            chunks = _make_chunks(groups, size, keep_points=keep)
            flat = [(p, r) for c in chunks for p, _, reps in c for r, _ in reps]
            assert sorted(flat) == sorted((p, r) for p, _, reps in groups for r, _ in reps)
            assert all(sum(len(reps) for _, _, reps in c) <= size for c in chunks)
            if keep:   # a point that fits in a chunk lies in exactly one chunk
                for p, _, reps in groups:
                    if len(reps) <= size:
                        assert sum(any(q == p for q, _, _ in c) for c in chunks) == 1
