"""Golden seeds of the sweep (issue 17): the spawn key is frozen, old stores stay reproducible.

Conventions section 2 and the :mod:`rlth.sweep` docstring: replicate ``r`` of point ``p`` uses
``SeedSequence(entropy=experiment.seed, spawn_key=(h(p), r))`` where ``h(p)`` is the first 8
bytes, read little-endian, of the SHA-256 of the point's canonical JSON (sorted keys, no
spaces).  Any change of this formula (byte order, which bytes, the JSON form) silently reseeds
every record of every store, so it is pinned twice: against an independent implementation of the
documented formula, and against golden values computed once (2026-12, from the code as it was
then) and hard-coded here.  Deterministic: no statistical tolerance.
"""
from __future__ import annotations

import hashlib
import json
import struct

import numpy as np
import pytest

from rlth.experiment import Experiment
from rlth.sweep import record_generator, run_experiment, spawn_key


def _documented_key(point: dict, r: int) -> tuple[int, int]:
    text = json.dumps(point, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    (h,) = struct.unpack("<Q", digest[:8])          # first 8 bytes, little-endian, unsigned
    return h, r


# (point, replicate) -> spawn key; golden values (regression: never change them)
GOLDEN_KEYS = [
    ({"n": 100}, 3, (6652545547521659059, 3)),
    ({"N": 1000, "C": 4.0}, 3, (7247536118995313948, 3)),
    ({"gamma": 0.9, "S": 5, "name": "riverswim"}, 3, (10254030279529978534, 3)),
    ({}, 3, (9973137080230810436, 3)),
    ({"n": 10}, 0, (17539576683158959679, 0)),
    ({"n": 1000}, 1, (1995841768368119038, 1)),
]

# first two integers(0, 2**62) of the Generator of (entropy 12345, key of the point, r = 3)
GOLDEN_DRAWS = {
    '{"n":100}': [4281340508304513543, 1805736029538083571],
    '{"C":4.0,"N":1000}': [3488898996669530724, 767505472677995024],
    '{"S":5,"gamma":0.9,"name":"riverswim"}': [2041793465648033686, 4295242851870778844],
}


@pytest.mark.parametrize("point,r,key", GOLDEN_KEYS)
def test_spawn_key_golden(point, r, key):
    assert spawn_key(point, r) == key


@pytest.mark.parametrize("point,r,key", GOLDEN_KEYS)
def test_golden_values_follow_documented_formula(point, r, key):
    assert _documented_key(point, r) == key


@pytest.mark.parametrize("point", [{"n": 1}, {"x": 2.5, "a": "b"}, {"k": [1, 2], "z": None},
                                   {"n": 10 ** 12, "m": -3}, {"é": 1}])
@pytest.mark.parametrize("r", [0, 1, 7, 12345])
def test_spawn_key_is_documented_formula(point, r):
    h, rr = spawn_key(point, r)
    assert (h, rr) == _documented_key(point, r)
    assert 0 <= h < 2 ** 64 and isinstance(h, int) and rr == r
    # the key does not depend on the order the parameters were written in
    assert spawn_key(dict(reversed(list(point.items()))), r) == (h, rr)


def test_other_byte_orders_are_not_the_key():
    """The golden list discriminates the plausible slips (big-endian, last bytes)."""
    for point, r, key in GOLDEN_KEYS:
        d = hashlib.sha256(json.dumps(point, sort_keys=True,
                                      separators=(",", ":")).encode()).digest()
        assert int.from_bytes(d[:8], "big") != key[0]
        assert int.from_bytes(d[-8:], "little") != key[0]


def test_golden_draws_of_the_record_generator():
    for text, draws in GOLDEN_DRAWS.items():
        point = json.loads(text)
        key = spawn_key(point, 3)
        rec = {"seed_entropy": 12345, "spawn_key": list(key)}
        g = record_generator(rec)
        assert g.integers(0, 2 ** 62, size=2).tolist() == draws
        # the documented construction gives the same stream
        ss = np.random.SeedSequence(12345, spawn_key=_documented_key(point, 3))
        g2 = np.random.Generator(np.random.PCG64(ss))
        assert g2.integers(0, 2 ** 62, size=2).tolist() == draws


def _run_u(params, rng):
    return {"u": float(rng.random())}


def test_sweep_records_golden(tmp_path):
    exp = Experiment(name="golden_seed", title="golden seeds", run=_run_u,
                     grids={"quick": [{"n": 10}, {"n": 1000}]}, replicates={"quick": 2},
                     constants={"c": 1}, seed=2024)
    recs = run_experiment(exp, "quick", store_dir=tmp_path, progress=False)
    got = [(r["point"]["n"], r["replicate"], r["seed_entropy"], tuple(r["spawn_key"]),
            r["metrics"]["u"]) for r in recs]
    assert got == [
        (10, 0, 2024, (17539576683158959679, 0), 0.713278032996509),
        (10, 1, 2024, (17539576683158959679, 1), 0.8057196724466417),
        (1000, 0, 2024, (1995841768368119038, 0), 0.0315885981306967),
        (1000, 1, 2024, (1995841768368119038, 1), 0.028579457310093814),
    ]
