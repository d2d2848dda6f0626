"""Shared pytest configuration.

Hypothesis: no per-example deadline (the first call of a numba kernel compiles it) and a
derandomized profile for CI so a run is reproducible; ``HYPOTHESIS_PROFILE=dev`` explores more.

Derandomizing is not enough on its own: Hypothesis also draws constants found in the source of
every local module in ``sys.modules`` at the time of the draw, and rlth imports many modules lazily
(theory registry, experiment files, solvers), so which examples a test sees would depend on which
tests ran before it in the same worker (xdist assigns tests by timing).  Importing every rlth module
and every experiment file here fixes that pool before any test runs.
"""
import importlib
import os
import pkgutil

from hypothesis import HealthCheck, settings

import rlth
from rlth.cli import discover

for _info in pkgutil.walk_packages(rlth.__path__, "rlth."):
    importlib.import_module(_info.name)
discover()

settings.register_profile(
    "ci", deadline=None, max_examples=60, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "dev", deadline=None, max_examples=300,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
