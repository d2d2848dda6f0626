"""Tests that kill generated mutants of :mod:`rlth.sweep` which the other sweep tests let
survive (``tools/mutation_sweep.py``; see docs/explanation/mutation_testing.md)."""
from __future__ import annotations

import numba

from rlth.experiment import Experiment
from rlth.sweep import run_experiment


def _run(params, rng):
    return {"u": float(rng.random())}


def test_serial_sweep_leaves_the_callers_numba_thread_count_alone(tmp_path):
    """Only worker processes pin numba to one thread; a serial sweep runs in the caller's process
    and must not change its numba thread count."""
    n0 = numba.get_num_threads()
    if n0 == 1:      # make a change observable on a one-thread default
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        n0 = numba.get_num_threads()
    exp = Experiment(name="threads_serial", title="threads", run=_run,
                     grids={"quick": [{"n": 1}]}, replicates={"quick": 1}, seed=1)
    recs = run_experiment(exp, "quick", store_dir=tmp_path, progress=False)
    assert len(recs) == 1
    assert numba.get_num_threads() == n0


def test_reported_sweep_duration_is_the_elapsed_time(tmp_path, capsys):
    """The closing progress line 'N of N runs done in T s' reports the time since the sweep
    started: between 0 and the time measured around the call (monotonic clock on both sides,
    so the comparison holds on any machine; 0.05 s for the one-decimal rounding)."""
    import time
    exp = Experiment(name="duration", title="duration", run=_run,
                     grids={"quick": [{"n": 1}]}, replicates={"quick": 2}, seed=1)
    t0 = time.monotonic()
    run_experiment(exp, "quick", store_dir=tmp_path, progress=True)
    elapsed = time.monotonic() - t0
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith("duration [quick]: 2 of 2 runs done in ")
    reported = float(last.rsplit(" in ", 1)[1].removesuffix(" s"))
    assert 0.0 <= reported <= elapsed + 0.05


def _run_pid(params, rng):
    import os
    return {"pid": float(os.getpid()), "u": float(rng.random())}


def test_loky_sweep_uses_at_most_the_requested_workers(tmp_path):
    """``workers=1`` on the loky backend: every run is computed by one and the same process,
    however many chunks there are (the pool is never larger than ``workers``)."""
    n0 = numba.get_num_threads()
    exp = Experiment(name="one_worker", title="one worker", run=_run_pid,
                     grids={"quick": [{"n": 1}, {"n": 2}]}, replicates={"quick": 3}, seed=1)
    try:
        recs = run_experiment(exp, "quick", backend="loky", workers=1, chunk_size=1,
                              store_dir=tmp_path, progress=False)
    finally:
        numba.set_num_threads(n0)
    assert len(recs) == 6
    assert len({r["metrics"]["pid"] for r in recs}) == 1
