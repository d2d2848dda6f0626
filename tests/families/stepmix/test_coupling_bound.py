"""StepMix's data-free coupling bound ``(1 - x)^H V_b``, exactly and where it is tight (issue 17).

:func:`rlth.algorithms.online._kernels.mixture_lower_bound` returns
``max(pessimistic value, (1 - x)^H v_couple)``.  With no data the pessimistic value is 0, so the
bound is exactly ``(1 - x)^H v_couple``; an exponent ``H - 1`` (or ``H + 1``) is a plausible slip.
On the *tight* instance below the true value of the step mixture is exactly ``(1 - x)^H V_b``
(the first deviation from the baseline is fatal, reward only at the last step), so a larger bound
is no longer a lower bound and StepMix violates its constraint ``V >= (1 - alpha) V_b`` from the
first episode (``H = 5``, ``alpha = 0.2``: ``0.8^{5/4} = 0.757 < 0.8`` with exponent ``H - 1``).

Deterministic (exact arithmetic up to 1e-12): no statistical failure budget.
"""
from __future__ import annotations

import numpy as np
import pytest

from rlth.algorithms.online import _kernels as _k
from rlth.algorithms.online.runner import VIOLATION_TOL, run_online
from rlth.algorithms.online.stepmix import StepMix
from rlth.models.mdp import FiniteHorizonMDP

GRID = [0.0, 1e-3, 0.05, 0.1, 0.25, 1.0 / 3.0, 0.5, 0.75, 0.9, 0.999, 1.0]


def _no_data(H, S, A):
    return (np.zeros((1, S, A), dtype=np.int64), np.zeros((1, S, A, S), dtype=np.int64))


def _bound(R, H, pi_b, pibar, rho, v_couple, x, n_sa=None, n_sas=None):
    S, A = pi_b.shape[1], pi_b.shape[2]
    if n_sa is None:
        n_sa, n_sas = _no_data(H, S, A)
    buf = np.empty((H, S, A))
    return _k.mixture_lower_bound(np.ascontiguousarray(R, dtype=float), n_sa, n_sas, H, pi_b,
                                  pibar, rho, 10.0, 1.0, float(v_couple), float(x), buf)


@pytest.mark.parametrize("H", [1, 2, 3, 5, 8])
@pytest.mark.parametrize("v_couple", [0.0, 0.7, 1.0, 3.5])
def test_data_free_bound_is_exactly_one_minus_x_to_the_H(H, v_couple):
    S, A = 3, 2
    g = np.random.default_rng(H)
    R = g.uniform(size=(H, S, A))
    pi_b = g.dirichlet(np.ones(A), size=(H, S))
    pibar = g.integers(0, A, size=(H, S)).astype(np.int64)
    rho = np.array([0.2, 0.3, 0.5])
    for x in GRID:
        got = _bound(R, H, pi_b, pibar, rho, v_couple, x)
        want = (1.0 - x) ** H * v_couple
        assert got == pytest.approx(want, rel=1e-14, abs=0.0), (H, x)
        # and not the neighbouring exponents (where they differ)
        if 0.0 < x < 1.0 and v_couple > 0:
            assert got != pytest.approx((1.0 - x) ** (H - 1) * v_couple, rel=1e-9, abs=0.0)
            assert got != pytest.approx((1.0 - x) ** (H + 1) * v_couple, rel=1e-9, abs=0.0)


def test_coupling_disabled_by_zero_v_couple_and_never_below_pessimistic():
    H, S, A = 4, 2, 2
    R = np.full((1, S, A), 0.5)
    pi_b = np.full((H, S, A), 0.5)
    pibar = np.zeros((H, S), dtype=np.int64)
    rho = np.array([1.0, 0.0])
    for x in GRID:
        assert _bound(R, H, pi_b, pibar, rho, 0.0, x) == 0.0
    # with plenty of data the pessimistic value can dominate the coupling term
    n_sa = np.full((1, S, A), 10 ** 9, dtype=np.int64)
    n_sas = np.zeros((1, S, A, S), dtype=np.int64)
    n_sas[..., 0] = 10 ** 9
    for x in GRID:
        buf = np.empty((H, S, A))
        _k.mix_policy(pi_b, pibar, x, buf)
        pess = _k.pessimistic_value(R, n_sa, n_sas, H, buf, rho, 10.0, 1.0)
        got = _bound(R, H, pi_b, pibar, rho, 0.1, x, n_sa, n_sas)
        assert got == max(pess, (1.0 - x) ** H * 0.1)


# --------------------------------------------------------------------------------------------
# the tight instance
# --------------------------------------------------------------------------------------------
def tight_instance(H):
    """State 0 alive, 1 dead (absorbing, no reward).  In state 0 action 1 (the baseline) stays,
    action 0 dies.  Reward 1 only for (alive, action 1) at the last step.  Baseline value 1; the
    step mixture with weight x on a policy playing action 0 is worth exactly (1 - x)^H."""
    S, A = 2, 2
    P = np.zeros((S, A, S))
    P[0, 1, 0] = 1.0
    P[0, 0, 1] = 1.0
    P[1, :, 1] = 1.0
    R = np.zeros((H, S, A))
    R[H - 1, 0, 1] = 1.0
    mdp = FiniteHorizonMDP(P, R, rho=np.array([1.0, 0.0]))
    pi_b = np.zeros((H, S, A))
    pi_b[:, :, 1] = 1.0
    return mdp, pi_b


def _exact_value(mdp, pi):
    H = mdp.horizon
    P, R = mdp.P, mdp.R
    V = np.zeros(mdp.n_states)
    for h in range(H - 1, -1, -1):
        V = (pi[h] * (R[h] + P[h] @ V)).sum(axis=1)
    return float(mdp.rho @ V)


@pytest.mark.parametrize("H", [1, 2, 5, 9])
def test_bound_is_tight_and_valid_on_tight_instance(H):
    mdp, pi_b = tight_instance(H)
    pibar = np.zeros((H, 2), dtype=np.int64)       # the fatal action everywhere
    v_b = _exact_value(mdp, pi_b)
    assert v_b == 1.0
    for x in GRID:
        mix = _k.mix_policy(pi_b, pibar, x, np.empty_like(pi_b))
        true = _exact_value(mdp, mix)
        assert true == pytest.approx((1.0 - x) ** H, rel=1e-12, abs=1e-15)
        lb = _bound(mdp.R_stages, H, pi_b, pibar, mdp.rho, v_b, x)
        assert lb <= true * (1 + 1e-12) + 1e-15          # a valid lower bound ...
        assert lb == pytest.approx(true, rel=1e-12, abs=1e-15)   # ... and tight


@pytest.mark.parametrize("engine", ["numba", "python"])
@pytest.mark.parametrize("H", [2, 5])
def test_stepmix_keeps_constraint_on_tight_instance(engine, H):
    """From episode 1 (no data) StepMix's weight comes from the coupling bound alone: the
    largest x with (1 - x)^H >= 0.8.  The value played is then 0.8 up to the search's
    resolution, never below (the slip H - 1 gives 0.8^{H/(H-1)} < 0.8)."""
    mdp, pi_b = tight_instance(H)
    alpha = 0.2
    res = run_online(mdp, StepMix(pi_b, alpha=alpha, bonus_scale=0.1), 30, rng=0,
                     engine=engine)
    thr = (1 - alpha) * 1.0
    assert res.threshold == pytest.approx(thr, abs=1e-15)
    assert np.all(res.values >= thr - VIOLATION_TOL)
    assert res.n_violations == 0
    # episode 1: tight (the weight is the coupling weight, up to 2^-30 bisection)
    x_star = 1.0 - thr ** (1.0 / H)
    assert res.weights[0] <= x_star + 1e-12
    assert res.weights[0] == pytest.approx(x_star, abs=1e-6)
    assert res.values[0] == pytest.approx(thr, abs=1e-5)
    assert res.pessimistic_values[0] == pytest.approx((1 - res.weights[0]) ** H, rel=1e-12)
