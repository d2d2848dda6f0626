"""The fused online kernels (UCBVI, StepMix, EpsMix episodes in one numba loop) give the same runs
with numba on and off: the same draws and decisions, hence the same exact per-episode values up to
the summation order of their evaluation (1 ulp was seen: numba and numpy add in different orders).  Without the JIT every array access is bounds-checked by Python, so
this also catches an off-by-one in a kernel buffer that compiled code reads past silently (the
mutation sweep's surviving ``states = np.empty(H - 1)`` slip, see
docs/explanation/mutation_testing.md)."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numba
import numpy as np
import pytest

SCRIPT = textwrap.dedent("""
    import numpy as np
    import numba
    from rlth.instances import random_mdp
    from rlth.algorithms.online.runner import run_online
    from rlth.algorithms.online.ucbvi import UCBVI
    from rlth.algorithms.online.stepmix import EpsMix, StepMix, mixture_baseline

    def produce():
        out = {"jit_disabled": np.array(int(numba.config.DISABLE_JIT))}
        mdp = random_mdp(4, 2, horizon=3, stationary=False, rng=11, branching=2)
        pi_b, v_b, _ = mixture_baseline(mdp, 0.6)
        agents = {"ucbvi": UCBVI(), "stepmix": StepMix(pi_b, 0.1), "epsmix": EpsMix(pi_b, 0.1)}
        for name, agent in agents.items():
            res = run_online(mdp, agent, 12, rng=5)
            out[name + "_values"] = np.asarray(res.values)
        return out
""")


def test_online_kernels_bit_identical_with_numba_off(tmp_path):
    if numba.config.DISABLE_JIT:
        pytest.skip("this process already runs with NUMBA_DISABLE_JIT; nothing to compare")
    namespace: dict = {}
    exec(SCRIPT, namespace)
    jit = namespace["produce"]()
    path = tmp_path / "nojit.npz"
    code = SCRIPT + f"\nnp.savez({str(path)!r}, **produce())\n"
    env = dict(os.environ, NUMBA_DISABLE_JIT="1")
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    nojit = np.load(path)
    assert int(nojit["jit_disabled"]) == 1 and int(jit["jit_disabled"]) == 0
    assert set(nojit.files) == set(jit)
    for key in jit:
        if key != "jit_disabled":
            np.testing.assert_allclose(nojit[key], jit[key], rtol=1e-12, atol=1e-12, err_msg=key)
