"""Cross-checks against peer libraries on random instances: quantecon DiscreteDP (VI, PI and
backward induction, including its beta = 1 finite-horizon form) and pymdptoolbox FiniteHorizon."""
import warnings

import numpy as np
import pytest

from rlth.instances import random_mdp
from rlth.solvers.dp import backward_induction, policy_iteration, value_iteration

qe_ddp = pytest.importorskip("quantecon.markov.ddp")

SIZES = [(1, 1), (2, 3), (7, 4), (30, 5), (120, 6)]


def _ddp(mdp, beta):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # quantecon warns for beta = 1
        return qe_ddp.DiscreteDP(np.array(mdp.R_stages[0] if hasattr(mdp, "R_stages") else mdp.R),
                                 np.array(mdp.P_stages[0] if hasattr(mdp, "P_stages") else mdp.P),
                                 beta)


@pytest.mark.parametrize("S, A", SIZES)
@pytest.mark.parametrize("seed", [0, 1])
def test_backward_induction_vs_quantecon_beta_one(S, A, seed):
    mdp = random_mdp(S, A, horizon=20, rng=seed)
    sol = backward_induction(mdp)
    vs, sigmas = qe_ddp.backward_induction(_ddp(mdp, 1.0), 20)
    np.testing.assert_allclose(sol.V, vs, atol=1e-8, rtol=0)
    np.testing.assert_array_equal(sol.pi, sigmas)     # random rewards: no ties


@pytest.mark.parametrize("kind", ["dense", "garnet2", "deterministic"])
def test_speculative_large_path_vs_quantecon(kind):
    # (300, 10): one stage of P is 7.2 MB, above SPEC_MIN_STAGE_BYTES, so the stationary
    # speculative path runs with the default settings; Garnet instances make it refute guesses
    from rlth.solvers import _backward
    assert 300 * 10 * 300 * 8 > max(_backward.SPEC_MIN_STAGE_BYTES, _backward.NUMBA_MAX_STAGE_BYTES)
    kw = {"dense": {}, "garnet2": {"branching": 2}, "deterministic": {"branching": 1}}[kind]
    mdp = random_mdp(300, 10, horizon=60, rng=2, **kw)
    sol = backward_induction(mdp)
    vs, sigmas = qe_ddp.backward_induction(_ddp(mdp, 1.0), 60)
    np.testing.assert_allclose(sol.V, vs, atol=1e-8, rtol=0)
    np.testing.assert_array_equal(sol.pi, sigmas)


@pytest.mark.parametrize("S, A", SIZES)
@pytest.mark.parametrize("gamma", [0.5, 0.95])
def test_discounted_vs_quantecon(S, A, gamma):
    mdp = random_mdp(S, A, gamma=gamma, rng=S * 31 + A)
    ddp = _ddp(mdp, gamma)
    qpi = ddp.solve(method="policy_iteration")
    # quantecon's VI guarantees ||v - v*|| <= epsilon / 2 once converged; its default max_iter
    # (250) silently stops short at gamma = 0.95, so raise it and check it converged
    qvi = ddp.solve(method="value_iteration", epsilon=1e-10, max_iter=100_000)
    assert qvi.num_iter < 100_000
    pi = policy_iteration(mdp)
    vi = value_iteration(mdp, tol=1e-10)
    np.testing.assert_allclose(pi.V, qpi.v, atol=1e-8, rtol=0)
    np.testing.assert_array_equal(pi.pi, qpi.sigma)
    np.testing.assert_allclose(vi.V, qvi.v, atol=1e-8, rtol=0)
    np.testing.assert_allclose(vi.V, qpi.v, atol=1e-8, rtol=0)
    np.testing.assert_array_equal(vi.pi, qpi.sigma)


@pytest.mark.parametrize("S, A", [(2, 3), (30, 5)])
def test_backward_induction_vs_pymdptoolbox(S, A):
    mdptoolbox = pytest.importorskip("mdptoolbox.mdp")
    mdp = random_mdp(S, A, horizon=15, rng=7)
    fh = mdptoolbox.FiniteHorizon(np.ascontiguousarray(mdp.P_stages[0].transpose(1, 0, 2)),
                                  np.array(mdp.R_stages[0]), 1, 15)
    fh.verbose = False
    import contextlib
    import io
    with contextlib.redirect_stdout(io.StringIO()):
        fh.run()
    sol = backward_induction(mdp)
    np.testing.assert_allclose(sol.V, fh.V.T, atol=1e-8, rtol=0)
    np.testing.assert_array_equal(sol.pi, fh.policy.T)
