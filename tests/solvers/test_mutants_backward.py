"""Tests that kill generated mutants of :mod:`rlth.solvers._backward` which the other solver tests
let survive (``tools/mutation_sweep.py``; see docs/explanation/mutation_testing.md)."""
from __future__ import annotations

from rlth.solvers import _backward as B


def test_speculation_threshold_is_one_stage_of_p_in_bytes():
    """Speculation is used for a stationary P whose one stage (``S * A * S`` float64 values) is
    larger than ``SPEC_MIN_STAGE_BYTES``, never for a stage-dependent P, never at or below."""
    limit = B.SPEC_MIN_STAGE_BYTES
    assert B.SPECULATE
    S, A = 64, 16
    assert S * A * S * 8 == limit == 2 ** 19
    assert not B.use_speculation(S, A, True)          # exactly at the limit: plain
    assert B.use_speculation(S, A + 1, True)          # above: speculate
    assert not B.use_speculation(S, A + 1, False)     # stage-dependent P: never
    assert not B.use_speculation(8, 2, True)


def test_numba_path_threshold_is_one_stage_of_p_in_bytes():
    limit = B.NUMBA_MAX_STAGE_BYTES
    S, A = 128, 32
    assert S * A * S * 8 == limit
    assert B.use_numba(S, A)
    assert not B.use_numba(S, A + 1)
