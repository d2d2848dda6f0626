"""Tests that kill generated mutants of :mod:`rlth.store` which the other store tests let
survive (``tools/mutation_sweep.py``; see docs/explanation/mutation_testing.md)."""
from __future__ import annotations

import types

from rlth.experiment import Experiment
from rlth.store import code_fingerprint


def _sourceless(body: str):
    """A ``run(params, rng)`` compiled from a string: ``inspect.getsource`` cannot find it."""
    ns: dict = {}
    exec(compile(f"def run(params, rng):\n    return {body}\n", "<generated>", "exec"), ns)
    fn = ns["run"]
    return types.FunctionType(fn.__code__, {"__builtins__": __builtins__}, "run")


def _exp(run):
    return Experiment(name="sourceless", title="sourceless", run=run,
                      grids={"quick": [{"n": 1}]}, replicates={"quick": 1})


def test_fingerprint_of_code_without_source_uses_its_bytecode():
    """A run function with no source text is fingerprinted by its bytecode and names: the
    fingerprint exists, is stable, and differs for different code."""
    a = code_fingerprint(_exp(_sourceless("{'y': 1.0}")))
    b = code_fingerprint(_exp(_sourceless("{'y': 1.0}")))
    c = code_fingerprint(_exp(_sourceless("{'y': abs(-2.0)}")))
    assert len(a) == 16 and int(a, 16) >= 0
    assert a == b
    assert a != c


def _run_y(params, rng):
    return {"y": float(rng.random())}


def test_duplicate_warning_counts_the_differing_duplicates_exactly(tmp_path):
    """Three extra copies of one record, two of them with other metrics: the warning says
    exactly '3 duplicate records (same point and replicate; 2 with different metrics)'."""
    import json

    import pytest

    from rlth.store import StoreWarning, store_path
    from rlth.sweep import load_records, run_experiment
    exp = Experiment(name="dups", title="dups", run=_run_y,
                     grids={"quick": [{"n": 1}, {"n": 2}]}, replicates={"quick": 2})
    run_experiment(exp, "quick", store_dir=tmp_path, progress=False)
    path = store_path(exp, "quick", tmp_path)
    lines = path.read_text().splitlines()
    rec = next(json.loads(ln) for ln in lines if json.loads(ln).get("type") != "header")
    other = [dict(rec, metrics={"y": v}) for v in (5.0, 6.0)]
    path.write_text("\n".join(lines + [json.dumps(rec)] + [json.dumps(o) for o in other]) + "\n")
    with pytest.warns(StoreWarning) as caught:
        recs = load_records(exp, "quick", store_dir=tmp_path)
    assert len(recs) == 4
    msgs = [str(w.message) for w in caught]
    assert any("3 duplicate records (same point and replicate; 2 with different metrics)" in m
               for m in msgs), msgs
