"""rlth.estimators.preference: Bradley-Terry MLE of a linear reward from comparison counts.

Checked against: exact recovery on expected counts (the population gradient vanishes at
theta*), ``scipy.optimize.minimize`` on random small problems, finite differences of the
objective (gradient and Hessian), and every error path.
"""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import optimize
from scipy.special import expit

from rlth.estimators.preference import bt_mle, bt_objective


def _problem(rng, X=3, Y=4, d=3, total=200.0, integer=True):
    phi = rng.normal(size=(X, Y, d))
    theta = rng.normal(size=d)
    n = rng.integers(1, 20, size=(X, Y, Y)).astype(float)
    n = np.triu(n, 1)
    n = n + np.swapaxes(n, 1, 2)                      # comparisons per unordered pair
    r = phi @ theta
    p = expit(r[:, :, None] - r[:, None, :])        # Pr(y beats y')
    if integer:
        wins = rng.binomial(n.astype(int), p).astype(float)
        wins = np.triu(wins, 1) + np.swapaxes(np.triu(n - wins, 1), 1, 2)
    else:
        wins = n * p
    return phi, wins * total / max(n.sum(), 1.0), theta


def test_recovers_theta_on_exact_expected_counts():
    rng = np.random.default_rng(0)
    for _ in range(5):
        X, Y, d = 4, 5, 3
        phi = rng.normal(size=(X, Y, d))
        theta = rng.normal(size=d) * 1.5
        r = phi @ theta
        wins = 1e4 * expit(r[:, :, None] - r[:, None, :])
        wins[:, np.arange(Y), np.arange(Y)] = 0.0
        est = bt_mle(phi, wins)
        np.testing.assert_allclose(est.theta, theta, rtol=0, atol=1e-8)
        assert est.grad_norm <= est.tol_used
        assert 1 <= est.n_iter < 30


@pytest.mark.parametrize("seed", range(8))
def test_agrees_with_scipy_minimize(seed):
    rng = np.random.default_rng(seed)
    phi, wins, _ = _problem(rng, X=int(rng.integers(1, 4)), Y=int(rng.integers(2, 5)),
                            d=int(rng.integers(1, 4)))
    ridge = float(rng.choice([0.1, 1.0, 5.0]))
    est = bt_mle(phi, wins, ridge=ridge)

    def f(t):
        v, g, _ = bt_objective(t, phi, wins, ridge=ridge)
        return v, g

    ref = optimize.minimize(f, np.zeros(phi.shape[2]), jac=True, method="BFGS",
                            options={"gtol": 1e-11, "maxiter": 10_000})
    np.testing.assert_allclose(est.theta, ref.x, rtol=0, atol=1e-6)
    assert est.nll <= ref.fun + 1e-9


@given(st.integers(1, 3), st.integers(2, 4), st.integers(1, 3), st.floats(0.01, 3.0),
       st.integers(0, 2**31))
def test_gradient_vanishes_at_the_output(X, Y, d, ridge, seed):
    """ridge > 0: tiny random problems may be separable (no finite MLE without it)."""
    rng = np.random.default_rng(seed)
    phi, wins, _ = _problem(rng, X, Y, d)
    est = bt_mle(phi, wins, ridge=ridge)
    _, g, H = bt_objective(est.theta, phi, wins, ridge=ridge)
    assert np.linalg.norm(g) <= est.tol_used
    np.testing.assert_allclose(H, est.hessian, rtol=1e-12, atol=1e-12)
    # first-order optimality checked without the analytic gradient: central differences
    eps = 1e-6
    for k in range(d):
        e = np.zeros(d)
        e[k] = eps
        fd = (bt_objective(est.theta + e, phi, wins, ridge=ridge)[0]
              - bt_objective(est.theta - e, phi, wins, ridge=ridge)[0]) / (2 * eps)
        assert abs(fd) <= 1e-5 * max(1.0, wins.sum())
    # it is the minimizer up to its certificate: by convexity f(theta + s) >= f(theta) + g.s
    for _ in range(5):
        step = rng.normal(size=d) * 1e-3
        lower = est.nll - est.grad_norm * np.linalg.norm(step) - 1e-13 * abs(est.nll)
        assert bt_objective(est.theta + step, phi, wins, ridge=ridge)[0] >= lower
    # a negated feature map gives the negated estimate
    np.testing.assert_allclose(bt_mle(-phi, wins, ridge=ridge).theta, -est.theta, atol=1e-8)


def test_objective_derivatives_match_finite_differences():
    rng = np.random.default_rng(5)
    phi, wins, _ = _problem(rng, 2, 4, 3)
    theta = rng.normal(size=3)
    v, g, H = bt_objective(theta, phi, wins, ridge=0.3)
    eps = 1e-6
    for k in range(3):
        e = np.zeros(3)
        e[k] = eps
        vp, gp, _ = bt_objective(theta + e, phi, wins, ridge=0.3)
        vm, gm, _ = bt_objective(theta - e, phi, wins, ridge=0.3)
        assert g[k] == pytest.approx((vp - vm) / (2 * eps), rel=1e-6, abs=1e-6)
        np.testing.assert_allclose(H[:, k], (gp - gm) / (2 * eps), rtol=1e-6, atol=1e-6)
    # the value by hand on one comparison
    phi1 = np.array([[[0.0], [1.0]]])
    v1, g1, H1 = bt_objective([0.5], phi1, [[[0.0, 0.0], [2.0, 0.0]]], ridge=1.0)
    assert v1 == pytest.approx(2 * np.log1p(np.exp(-0.5)) + 0.125, rel=1e-15)
    assert g1[0] == pytest.approx(-2 * expit(-0.5) + 0.5, rel=1e-15)
    assert H1[0, 0] == pytest.approx(2 * expit(0.5) * expit(-0.5) + 1.0, rel=1e-15)


def test_hessian_and_design_returned():
    rng = np.random.default_rng(9)
    phi, wins, _ = _problem(rng, 2, 3, 2)
    est = bt_mle(phi, wins, ridge=0.5)
    np.testing.assert_array_equal(est.hessian, est.hessian.T)
    x, y, y2 = np.nonzero(wins)
    z = phi[x, y] - phi[x, y2]
    np.testing.assert_allclose(est.design, (z * wins[x, y, y2][:, None]).T @ z + 0.5 * np.eye(2),
                               rtol=1e-12)
    # curvature weights sigma(1 - sigma) <= 1/4: H <= design / 4 + (3/4) lam I in Loewner order
    gap = est.design / 4 + 0.75 * 0.5 * np.eye(2) - est.hessian
    assert np.linalg.eigvalsh(gap)[0] >= -1e-10


def test_closed_form_two_responses():
    phi = np.array([[[0.0], [1.0]]])
    est = bt_mle(phi, [[[0.0, 1.0], [3.0, 0.0]]])
    assert est.theta[0] == pytest.approx(np.log(3.0), abs=1e-10)     # odds 3:1


def test_errors():
    phi = np.zeros((1, 2, 1))
    phi[0, 1, 0] = 1.0
    ok = np.array([[[0.0, 1.0], [3.0, 0.0]]])
    for call, name in [
        (lambda: bt_mle(np.ones((2, 3)), ok), "phi"),
        (lambda: bt_mle(phi, np.ones((1, 2, 3))), "wins"),
        (lambda: bt_mle(phi, -ok), "wins"),
        (lambda: bt_mle(phi, ok * np.nan), "wins"),
        (lambda: bt_mle(phi, ok, ridge=-1.0), "ridge"),
        (lambda: bt_mle(phi, ok, tol=0.0), "tol"),
        (lambda: bt_mle(phi, ok, max_iter=0), "max_iter"),
        (lambda: bt_mle(phi, ok, theta0=[0.0, 1.0]), "theta0"),
        (lambda: bt_objective([0.0, 0.0], phi, ok), "theta"),
        # no comparison informs the direction of theta: not identifiable without a ridge
        (lambda: bt_mle(phi, np.zeros((1, 2, 2))), "wins"),
        (lambda: bt_mle(np.ones((1, 2, 1)), ok), "wins"),
    ]:
        with pytest.raises(ValueError, match=f"^{name}:"):
            call()
    # separable comparisons (y=1 always wins): no finite MLE without a ridge
    with pytest.raises(ValueError, match="^wins: the comparisons are separable"):
        bt_mle(phi, [[[0.0, 0.0], [5.0, 0.0]]])
    phi3 = np.array([[[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]])            # quasi-separation:
    quasi = np.array([[[0.0, 1.0, 2.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]])   # y=0 vs y=1
    with pytest.raises(ValueError, match="separable"):                  # overlaps, y=0 always
        bt_mle(phi3, quasi)                                              # beats y=2
    quasi[0, 2, 0] = 1.0                                                 # now it overlaps too
    assert bt_mle(phi3, quasi).grad_norm >= 0.0
    with pytest.raises(RuntimeError, match="max_iter=1 "):
        bt_mle(phi, ok, max_iter=1)
    est = bt_mle(phi, [[[0.0, 0.0], [5.0, 0.0]]], ridge=1.0)          # the ridge fixes it
    assert est.theta[0] > 0 and est.grad_norm <= est.tol_used
