"""Tests that kill generated mutants of :mod:`rlth.rates` which the other rate tests let survive
(``tools/mutation_sweep.py``; see docs/explanation/mutation_testing.md).  Each test states the
behaviour it pins; a correct implementation passes all of them."""
from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from rlth import rates
from rlth.rates import bootstrap_slopes, quantile_ci, sample_complexity_curve


def test_bootstrap_draws_in_blocks_of_at_most_4e6_values():
    """``_bootstrap_stat`` documents blocks of <= 4e6 resampled values: with 20 000 replicates
    and 1000 resamples one block is 200 resamples (2 x 32 MB for the indices and the values),
    not all 1000 at once (2 x 160 MB).  Deterministic: tracemalloc counts numpy's buffers."""
    values = np.linspace(0.0, 1.0, 20_000)
    tracemalloc.start()
    try:
        out = rates._bootstrap_means(values, 1000, np.random.default_rng(0))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert out.shape == (1000,)
    assert peak < 100e6, f"peak {peak / 1e6:.0f} MB: the bootstrap is not blocked"


@pytest.mark.parametrize("q", [0.0, 1.0, 1.5, -0.1])
def test_quantile_levels_outside_open_unit_interval_are_rejected(q):
    x = np.array([10.0, 100.0, 1000.0])
    samples = [np.full(5, v ** -0.5) for v in x]
    with pytest.raises(ValueError, match="quantile"):
        bootstrap_slopes(x, samples, quantile=q, n_boot=10)


def test_call_passes_every_parameter_the_function_names():
    """``_call(fn, x, params)`` passes each parameter ``fn`` accepts (all but the first)."""
    def f(x, a, b=0.0):
        return x + 10 * a + 100 * b

    assert rates._call(f, 1.0, {"a": 2.0, "b": 3.0, "c": 99.0}) == 1.0 + 20.0 + 300.0
    assert rates._call(lambda x, **kw: sorted(kw), 0.0, {"a": 1, "b": 2}) == ["a", "b"]


def test_quantile_ci_accepts_levels_inside_and_rejects_the_ends():
    q, lo, hi = quantile_ci(np.arange(1.0, 101.0), 0.5)
    assert lo <= q <= hi and q == pytest.approx(50.5)
    for p in (0.0, 1.0):
        with pytest.raises(ValueError, match="p"):
            quantile_ci(np.arange(10.0), p)


def test_sample_complexity_crossing_status_at_the_first_two_grid_points():
    """A curve already below eps at x[0] drops that eps as 'large'; a curve crossing between
    x[0] and x[1] keeps it with N(eps) strictly between them (log-log interpolation)."""
    x = np.array([100.0, 1000.0, 10000.0])
    q = np.array([1.0, 0.1, 0.01])                  # exact quantile curve: q = 10 / sqrt(x)... ish
    samples = [np.full(50, v) for v in q]
    out = sample_complexity_curve(x, samples, [2.0, np.sqrt(0.1)], 0.9)
    # eps sorted decreasing: 2.0 (below at x[0]) then sqrt(0.1) (crossed between x[0], x[1])
    assert out["dropped_large"] == (2.0,)
    assert list(out["kept"]) == [False, True]
    assert 100.0 < out["N"][1] < 1000.0
    assert out["N"][1] == pytest.approx(10 ** 2.5)  # log q linear in log x: midpoint


def test_sample_complexity_curve_rejects_misaligned_x():
    samples = [np.ones(5), np.ones(5)]
    with pytest.raises(ValueError, match="x"):
        sample_complexity_curve(np.array([1.0, 2.0, 3.0]), samples, [0.5], 0.9)
    with pytest.raises(ValueError, match="x"):
        sample_complexity_curve(np.array([[1.0, 2.0]]), samples, [0.5], 0.9)
    with pytest.raises(ValueError, match="level"):
        sample_complexity_curve(np.array([1.0, 2.0]), samples, [0.5], 1.0)
