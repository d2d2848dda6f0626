"""Tests of the shared helpers: validation messages, rng normalization, theorem registry, spec."""
import numpy as np
import pytest

from rlth._rng import as_generator, spawn_generators
from rlth._validation import (as_float_array, check_delta, check_distribution, check_gamma,
                              check_in_range, check_positive_int)
from rlth.experiment import Check, Experiment
from rlth.theory import Theorem, get, register


def test_as_float_array_names_argument_on_nan_and_shape():
    with pytest.raises(ValueError, match="^P: contains NaN"):
        as_float_array("P", [1.0, np.nan])
    with pytest.raises(ValueError, match="^R: expected shape"):
        as_float_array("R", np.zeros((2, 3)), shape=(2, 2))
    with pytest.raises(ValueError, match="^x: expected 1 dimensions"):
        as_float_array("x", np.zeros((2, 3)), ndim=1)
    with pytest.raises(ValueError, match="^x: cannot be converted"):
        as_float_array("x", ["a"])
    out = as_float_array("x", np.asfortranarray(np.ones((3, 2))))
    assert out.flags.c_contiguous and out.dtype == np.float64


def test_check_distribution_tolerance_is_1e_10():
    check_distribution("p", np.array([0.5, 0.5 + 1e-12]))
    with pytest.raises(ValueError, match="^p: probabilities .* sum to 1"):
        check_distribution("p", np.array([0.5, 0.5 + 1e-9]))
    with pytest.raises(ValueError, match="^p: has negative probability"):
        check_distribution("p", np.array([1.5, -0.5]))


@pytest.mark.parametrize("bad", [-0.1, 1.0, 1.5, float("nan"), "0.5", True])
def test_check_gamma_rejects(bad):
    with pytest.raises(ValueError, match="^gamma:"):
        check_gamma(bad)


@pytest.mark.parametrize("bad", [0.0, 1.0, -1.0])
def test_check_delta_rejects(bad):
    with pytest.raises(ValueError, match="^delta:"):
        check_delta(bad)


@pytest.mark.parametrize("bad", [0, -3, 2.0, True, "3"])
def test_check_positive_int_rejects(bad):
    with pytest.raises(ValueError, match="^horizon:"):
        check_positive_int("horizon", bad)


def test_check_in_range():
    check_in_range("R", np.array([0.0, 1.0]), 0.0, 1.0)
    with pytest.raises(ValueError, match=r"^R: entries must lie in \[0.0, 1.0\]"):
        check_in_range("R", np.array([0.0, 1.0 + 1e-9]), 0.0, 1.0)


def test_as_generator_forms_are_reproducible():
    a = as_generator(7).random(5)
    b = as_generator(np.random.SeedSequence(7)).random(5)
    assert np.array_equal(a, b)
    g = np.random.default_rng(3)
    assert as_generator(g) is g
    assert not np.array_equal(as_generator(7).random(5), as_generator(8).random(5))
    for bad in (-1, 1.5, "seed", True):
        with pytest.raises(ValueError, match="^rng:"):
            as_generator(bad)


def test_spawn_generators_independent_and_reproducible():
    x = [g.random() for g in spawn_generators(11, 3)]
    y = [g.random() for g in spawn_generators(11, 3)]
    assert x == y and len(set(x)) == 3


def _thm(**kw):
    base = dict(id="core.test.rate", paper="Nobody (2026)", arxiv="0000.00000", number="Thm 0",
                statement="x", quantity="q", sweep_variable="N", kind="rate", exponent=-0.5)
    base.update(kw)
    return Theorem(**base)


def test_theorem_validation_and_registry():
    with pytest.raises(ValueError, match="^kind:"):
        _thm(kind="sideways")
    with pytest.raises(ValueError, match="^id:"):
        _thm(id="has space")
    t = register(_thm())
    assert register(_thm()) is not None  # identical re-registration is fine
    with pytest.raises(ValueError, match="^id: theorem 'core.test.rate' is already registered"):
        register(_thm(exponent=-1.0))
    assert get("core.test.rate") == t
    with pytest.raises(ValueError, match="^theorem_id: unknown theorem"):
        get("core.test.rat")


def _run(params, rng):
    return {"m": float(rng.random())}


def test_experiment_spec_validation():
    with pytest.raises(ValueError, match="^replicates:"):
        Experiment(name="x", title="t", run=_run, grids={"quick": [{}]}, replicates={})
    with pytest.raises(ValueError, match="^name:"):
        Experiment(name="bad name", title="t", run=_run, grids={"quick": [{}]},
                   replicates={"quick": 1})
    e = Experiment(name="ok_1", title="t", run=_run, grids={"quick": [{"N": 1}]},
                   replicates={"quick": 2}, checks=(Check("core.test.rate", "m", "N"),))
    assert e.profiles == ("quick",)
