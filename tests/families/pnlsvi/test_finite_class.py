"""PNLSVI on a finite class: the exact bonus oracle (Definition 4.1), the D^2-divergence, the
enumeration argmin, and their relation to the linear class (Remark 5.2)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rlth.algorithms.offline.pnlsvi import (d2_divergence, finite_class_bonus, finite_class_fit,
                                            pnlsvi_finite)
from rlth.data import sample_trajectory_folds
from rlth.estimators.linear import elliptical_norms, gram_matrix
from rlth.instances import linear_offline as lo
from rlth.solvers.dp import backward_induction, evaluate_policy
from rlth.solvers.occupancy import occupancy
from rlth.theory.pnlsvi import finite_class_kappa, truncated_variance


def _class(seed, M, S, A):
    rng = np.random.default_rng(seed)
    F = rng.uniform(0, 3, size=(M, S, A))
    counts = rng.integers(0, 20, size=(S, A))
    sigma2 = rng.uniform(1, 4, size=(S, A))
    return rng, F, counts, sigma2


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 6), st.integers(1, 3), st.integers(1, 3), st.floats(0.0, 5.0),
       st.floats(0.01, 3.0), st.integers(0, 2**31), st.booleans())
def test_exact_oracle_is_valid_and_tight(M, S, A, beta, lam, seed, weighted):
    """(ii) validity: b(z) >= |f(z) - f^(z)| for every f within the weighted radius beta;
    (iii) tightness with C = 1, eps = 0: b(z)^2 <= D^2_F(z) (beta^2 + lam) [D]."""
    rng, F, counts, sigma2 = _class(seed, M, S, A)
    s2 = sigma2 if weighted else None
    j = int(rng.integers(M))
    b = finite_class_bonus(F, j, counts, s2, beta=beta)
    w = counts / (sigma2 if weighted else 1.0)
    for f in F:
        if np.sum(w * (f - F[j]) ** 2) <= beta ** 2:
            assert np.all(np.abs(f - F[j]) <= b + 1e-12)
    D2 = d2_divergence(F, counts, s2, lam=lam)
    assert np.all(b ** 2 <= D2 * (beta ** 2 + lam) * (1 + 1e-12) + 1e-15)
    assert np.all(b >= 0) and np.all(D2 >= 0)


def test_d2_divergence_equals_the_per_sample_definition():
    """Count form == the paper's sum over samples k of (f1 - f2)^2(z_k) / sigma^2(z_k)."""
    rng, F, counts, sigma2 = _class(3, 5, 3, 2)
    cells = np.repeat(np.arange(6), counts.reshape(-1))
    lam = 0.7
    ref = np.zeros((3, 2))
    for i in range(5):
        for k in range(5):
            diff = (F[i] - F[k]).reshape(-1)
            den = np.sum(diff[cells] ** 2 / sigma2.reshape(-1)[cells]) + lam
            ref = np.maximum(ref, (F[i] - F[k]) ** 2 / den)
    np.testing.assert_allclose(d2_divergence(F, counts, sigma2, lam=lam), ref, rtol=1e-12)
    # the argmin by enumeration equals the per-sample least squares
    y = rng.uniform(0, 3, size=len(cells))
    Y = np.bincount(cells, weights=y, minlength=6).reshape(3, 2)
    losses = [np.sum((F[i].reshape(-1)[cells] - y) ** 2 / sigma2.reshape(-1)[cells])
              for i in range(5)]
    assert finite_class_fit(F, counts, Y, sigma2) == int(np.argmin(losses))


@pytest.mark.parametrize("seed", range(5))
def test_d2_of_a_linear_subclass_is_below_the_elliptical_norm(seed):
    """Remark 5.2: D_{F^lin}(z; D; sigma) <= ||phi(z)||_{Sigma^-1} for any finite subset of the
    linear class, by Cauchy-Schwarz, provided the ridge term of Sigma is lam / R^2 with R the
    diameter max ||theta_1 - theta_2|| (the remark's form holds as printed when R <= 1) [D]."""
    rng = np.random.default_rng(seed)
    S, A, d = 4, 3, 3
    phi = rng.normal(size=(S, A, d))
    counts = rng.integers(0, 15, size=(S, A))
    sigma2 = rng.uniform(1, 5, size=(S, A))
    thetas = rng.normal(size=(12, d))
    F = np.einsum("sad,md->msa", phi, thetas)
    lam = 0.3
    R2 = max(np.sum((t1 - t2) ** 2) for t1 in thetas for t2 in thetas)
    D2 = d2_divergence(F, counts, sigma2, lam=lam)
    norms = elliptical_norms(phi, gram_matrix(phi, counts, lam=lam / R2, sigma2=sigma2))
    assert np.all(D2 <= norms ** 2 * (1 + 1e-10))
    small = thetas / np.sqrt(R2)              # diameter 1: the printed form holds
    D2s = d2_divergence(np.einsum("sad,md->msa", phi, small), counts, sigma2, lam=lam)
    norms1 = elliptical_norms(phi, gram_matrix(phi, counts, lam=lam, sigma2=sigma2))
    assert np.all(D2s <= norms1 ** 2 * (1 + 1e-10))


def test_degenerate_classes():
    counts = np.array([[3, 0]])
    F1 = np.array([[[1.0, 2.0]]])
    assert np.all(finite_class_bonus(F1, 0, counts, beta=5.0) == 0.0)
    assert np.all(d2_divergence(F1, counts, lam=1.0) == 0.0)
    # an unvisited cell where two candidates differ: D^2 = diff^2 / lam there
    F2 = np.array([[[1.0, 2.0]], [[1.0, 0.0]]])
    np.testing.assert_allclose(d2_divergence(F2, counts, lam=0.5), [[0.0, 8.0]])
    np.testing.assert_allclose(finite_class_bonus(F2, 0, counts, beta=0.0), [[0.0, 2.0]])


def _shift_class(inst, H, step=0.01):
    sol = backward_induction(inst.model.mdp)
    ts = np.arange(-0.5, H + step / 2, step)
    vals = sol.V[None] - ts[:, None, None]
    vals[:, -1] = 0.0
    return sol, lo.bellman_class(inst.model.mdp, vals)


def test_pnlsvi_finite_pessimism_and_complete_class():
    """On the shift class, PNLSVI-finite is pessimistic in >= 1 - delta of the runs (here all
    40; the (1 - 1e-6) binomial allowance would be 16) and recovers Q* exactly at large K."""
    inst = lo.onehot_low_variance(4, 2, 3, rng=0)
    mdp = inst.model.mdp
    sol, F = _shift_class(inst, 3)
    kappa = finite_class_kappa(F[:, ::25], occupancy(mdp, inst.behavior))
    assert 0 < kappa <= 1
    v = truncated_variance(mdp, sol.V)
    fails = 0
    for seed in range(40):
        D, Dv = sample_trajectory_folds(mdp, inst.behavior, 600, 2, rng=seed, reward="mean")
        for kw in ({}, {"sigma2": v}):
            res = pnlsvi_finite(F, D, Dv, delta=0.1, kappa=kappa, **kw)
            ev = evaluate_policy(mdp, res.plan.policy)
            fails += not (np.all(res.plan.V[:3] <= ev.V[:3] + 1e-9)
                          and np.all(ev.V <= sol.V + 1e-9))
    assert fails <= 16
    D, Dv = sample_trajectory_folds(mdp, inst.behavior, 10**12, 2, rng=1, reward="mean")
    res = pnlsvi_finite(F, D, Dv, delta=0.1, kappa=kappa)
    np.testing.assert_allclose(res.plan.V, sol.V, atol=1e-9)
    assert np.all(res.plan.bonus == 0.0)


def test_bellman_class_contains_the_backups():
    inst = lo.onehot_coin(3)
    mdp = inst.model.mdp
    sol = backward_induction(mdp)
    F = lo.bellman_class(mdp, sol.V[None])
    np.testing.assert_allclose(F[:, 0], sol.Q, rtol=1e-12)
    P = mdp.P_stages[0]
    for h in range(3):
        second = np.einsum("sat,sat->sa", P, (mdp.R_stages[0][:, :, None]
                                              + sol.V[h + 1][None, None]) ** 2)
        np.testing.assert_allclose(F[h, 1], second, rtol=1e-12)


@pytest.mark.parametrize("case, name", [("nan", "F"), ("shape", "F"), ("values", "values")])
def test_bad_input(case, name):
    inst = lo.onehot_coin(3)
    mdp = inst.model.mdp
    D, Dv = sample_trajectory_folds(mdp, inst.behavior, 100, 2, rng=0, reward="mean")
    F = np.ones((3, 2, 3, 2))
    with pytest.raises(ValueError, match=f"^{name}:"):
        if case == "nan":
            F[0, 0, 0, 0] = np.nan
            pnlsvi_finite(F, D, Dv, delta=0.1, kappa=0.1)
        elif case == "shape":
            pnlsvi_finite(F[:, :, :2], D, Dv, delta=0.1, kappa=0.1)
        else:
            lo.bellman_class(mdp, np.ones((2, 3, 3)))
