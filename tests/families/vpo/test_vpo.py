"""VPO (rlth.algorithms.preference.vpo): the policy-form identity, calibration, convexity and
its certificate, comparative statics, the DPO reductions, the nonconvex online step and its
branch-and-bound certificate, the agents and the dueling runner."""
import cvxpy as cp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize

from rlth.algorithms.preference import vpo
from rlth.algorithms.preference.runner import run_dueling
from rlth.algorithms.preference.vpo import (DuelProposal, EllipsoidUCBAgent, ThompsonAgent,
                                            UniformAgent, VPOAgent, calibrated_value,
                                            calibration_measure, certify_ball_minimum,
                                            curvature_bound, dpo_loss, dpo_nll_objective,
                                            minimize_on_ball, offline_lcb, vpo_objective,
                                            vpo_offline, vpo_online_fit, vpo_policy_objective)
from rlth.data.duels import sample_duel_counts
from rlth.estimators.preference import bt_mle
from rlth.instances.dueling import linear_dueling_bandit
from rlth.models.bandits import LinearDuelingBandit
from rlth.solvers.preference import (kl_optimal_policy, optimal_regularized_value,
                                     regularized_regret, regularized_value)

CALS = ("reference", "uniform", "chosen")


def _setup(seed, X=2, Y=5, d=3, N=200, beta=0.5):
    m = linear_dueling_bandit(X, Y, d, norm=2.0, beta=beta, ref_scale=1.0, rng=seed)
    W = sample_duel_counts(m, m.pi_ref, m.pi_ref, N, rng=seed + 1)
    return m, W


# ------------------------------------------------------------------------------ identities

@settings(max_examples=25)
@given(seed=st.integers(0, 10_000), sign=st.sampled_from([1, -1]),
       cal=st.sampled_from(CALS), alpha=st.floats(0.0, 20.0))
def test_policy_form_equals_reward_form(seed, sign, cal, alpha):
    m, W = _setup(seed)
    theta = np.random.default_rng(seed).normal(size=m.dim) * 2
    f = vpo_objective(m, theta, W, alpha=alpha, sign=sign, calibration=cal)[0]
    pi = kl_optimal_policy(m, m.phi @ theta)
    g = vpo_policy_objective(m, pi, W, alpha=alpha, sign=sign, calibration=cal)
    assert f == pytest.approx(g, rel=1e-11, abs=1e-11)
    # the value term alone: V_cal(pi_theta) = -beta E_q log(pi/pi_ref)
    q = calibration_measure(m, cal, W)
    v = calibrated_value(m, theta, q, hessian=False)[0]
    assert v == pytest.approx(-m.beta * np.sum(q * np.log(pi / m.pi_ref)), rel=1e-11, abs=1e-12)


def _with_context_columns(m):
    """Append one-hot context features, so theta can shift r(x, .) by any c(x)."""
    X = m.n_contexts
    extra = np.repeat(np.eye(X)[:, None, :], m.n_responses, axis=1)
    phi = np.concatenate([m.phi, extra], axis=2)
    return LinearDuelingBandit(m.context_probs, phi, np.concatenate([m.theta, np.zeros(X)]),
                               m.pi_ref, m.beta)


@settings(max_examples=25)
@given(seed=st.integers(0, 10_000), cal=st.sampled_from(CALS))
def test_calibrated_value_is_shift_invariant(seed, cal):
    m0, W = _setup(seed)
    m = _with_context_columns(m0)
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=m.dim)
    shift = np.concatenate([np.zeros(m0.dim), rng.normal(size=m.n_contexts) * 5])
    q = calibration_measure(m, cal, W)
    a = calibrated_value(m, theta, q, hessian=False)[0]
    b = calibrated_value(m, theta + shift, q, hessian=False)[0]
    assert a == pytest.approx(b, abs=1e-12 * max(1.0, abs(a)) + 1e-12)
    # and the BT likelihood too, so the whole objective is shift invariant
    fa = vpo_objective(m, theta, W, alpha=2.0, sign=-1, calibration=cal)[0]
    fb = vpo_objective(m, theta + shift, W, alpha=2.0, sign=-1, calibration=cal)[0]
    assert fa == pytest.approx(fb, rel=1e-12, abs=1e-11)


def test_uncalibrated_value_is_not_shift_invariant():
    """Why calibration is needed: J*(r + c) = J*(r) + E c."""
    m0, _ = _setup(3)
    m = _with_context_columns(m0)
    theta = np.zeros(m.dim)
    shift = np.concatenate([np.zeros(m0.dim), [1.0, 2.0]])
    a = optimal_regularized_value(m, m.phi @ theta)
    b = optimal_regularized_value(m, m.phi @ (theta + shift))
    assert b - a == pytest.approx(m.context_probs @ np.array([1.0, 2.0]))


@settings(max_examples=20)
@given(seed=st.integers(0, 10_000), alpha=st.floats(0.1, 10.0))
def test_chosen_calibration_is_dpo_plus_nll(seed, alpha):
    m, W = _setup(seed)
    rng = np.random.default_rng(seed)
    diffs = []
    for _ in range(4):
        th = rng.normal(size=m.dim) * 2
        f = vpo_objective(m, th, W, alpha=alpha, sign=-1, calibration="chosen")[0]
        diffs.append(f - dpo_nll_objective(m, kl_optimal_policy(m, m.phi @ th), W, alpha=alpha))
    assert np.ptp(diffs) <= 1e-10 * max(1.0, np.max(np.abs(diffs)))
    # the constant is alpha beta E_q log pi_ref
    q = calibration_measure(m, "chosen", W)
    assert diffs[0] == pytest.approx(alpha * m.beta * np.sum(q * np.log(m.pi_ref)), abs=1e-9)


def test_alpha_zero_is_dpo_closed_form():
    """Two responses per context: DPO's optimum has pi(y1)/pi(y2) = ref ratio (W12/W21)^(1/beta)."""
    X = 3
    rng = np.random.default_rng(0)
    ref = rng.dirichlet(np.ones(2), size=X)
    phi = np.zeros((X, 2, X))
    phi[np.arange(X), 0, np.arange(X)] = 1.0
    m = LinearDuelingBandit(np.full(X, 1 / X), phi, rng.normal(size=X), ref, 0.7)
    W = sample_duel_counts(m, ref, np.full((X, 2), 0.5), 600, rng=1)
    fit = vpo_offline(m, W, 0.0)
    closed = np.log(ref[:, 0] / ref[:, 1]) + np.log(W[:, 0, 1] / W[:, 1, 0]) / m.beta
    assert np.allclose(np.log(fit.pi[:, 0] / fit.pi[:, 1]), closed, atol=1e-9)
    # and it minimizes the DPO loss among nearby policies
    base = dpo_loss(m, fit.pi, W)
    for _ in range(20):
        z = np.log(fit.pi) + rng.normal(size=fit.pi.shape) * 1e-3
        p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        assert dpo_loss(m, p, W) >= base - 1e-9


# ------------------------------------------------------------------------------ offline

@settings(max_examples=20)
@given(seed=st.integers(0, 10_000), alpha=st.floats(0.0, 30.0), cal=st.sampled_from(CALS))
def test_offline_objective_is_convex(seed, alpha, cal):
    m, W = _setup(seed)
    rng = np.random.default_rng(seed)
    for _ in range(3):
        a, b = rng.normal(size=(2, m.dim)) * 3
        H = vpo_objective(m, a, W, alpha=alpha, sign=-1, calibration=cal)[2]
        assert np.linalg.eigvalsh(H)[0] >= -1e-9 * max(1.0, np.abs(H).max())
        fa = vpo_objective(m, a, W, alpha=alpha, sign=-1, calibration=cal)[0]
        fb = vpo_objective(m, b, W, alpha=alpha, sign=-1, calibration=cal)[0]
        fm = vpo_objective(m, (a + b) / 2, W, alpha=alpha, sign=-1, calibration=cal)[0]
        assert fm <= (fa + fb) / 2 + 1e-9 * max(1.0, abs(fa), abs(fb))


def test_online_objective_is_nonconvex_and_unbounded_without_the_ball():
    m, _ = _setup(7, X=1, Y=6, d=2)
    W = np.zeros((1, 6, 6))                       # no data: f = -alpha V_cal
    u = np.array([1.0, 0.3])
    vals = [vpo_objective(m, s * u, W, alpha=1.0, sign=1)[0] for s in (5, 20, 80, 320)]
    assert all(b < a - 1.0 for a, b in zip(vals, vals[1:]))
    assert vals[-1] < -50
    m2, W2 = _setup(7, X=1, Y=6, d=2, N=20)
    eigs = [np.linalg.eigvalsh(vpo_objective(m2, th, W2, alpha=20.0, sign=1)[2])[0]
            for th in np.random.default_rng(0).normal(size=(20, 2))]
    assert min(eigs) < 0


@settings(max_examples=15)
@given(seed=st.integers(0, 10_000), alpha=st.floats(0.0, 10.0), cal=st.sampled_from(CALS))
def test_offline_solution_is_certified_and_matches_scipy(seed, alpha, cal):
    m, W = _setup(seed, N=400)
    fit = vpo_offline(m, W, alpha, calibration=cal, ridge=1e-3)
    assert fit.min_hessian_eig > 0
    assert fit.newton_decrement <= 1e-12 * max(1.0, abs(fit.objective))

    def fun(th):
        f, g, _ = vpo_objective(m, th, W, alpha=alpha, sign=-1, calibration=cal, ridge=1e-3)
        return f, g

    ref = optimize.minimize(fun, np.zeros(m.dim), jac=True, method="BFGS",
                            options={"gtol": 1e-10, "maxiter": 10_000})
    assert fit.objective <= ref.fun + 1e-9 * max(1.0, abs(ref.fun))
    assert np.allclose(fit.theta, ref.x, atol=1e-5)


def test_bt_mle_against_cvxpy():
    """alpha = 0 VPO, the estimators' BT MLE and an independent cvxpy logistic fit agree."""
    m, W = _setup(11, N=500)
    fit = vpo_offline(m, W, 0.0)
    est = bt_mle(m.phi, W)
    x, y, y2 = np.nonzero(W)
    z = m.phi[x, y] - m.phi[x, y2]
    w = W[x, y, y2]
    th = cp.Variable(m.dim)
    cp.Problem(cp.Minimize(w @ cp.logistic(-z @ th))).solve(solver=cp.CLARABEL)
    assert np.allclose(fit.theta, est.theta, atol=1e-9)
    assert np.allclose(fit.theta, th.value, atol=1e-5)


def _statics(m, W, alphas, sign, radius=None):
    q = calibration_measure(m)
    vals, eps = [], []
    for a in alphas:
        if sign < 0:
            fit = vpo_offline(m, W, a, ridge=1e-3)
            e = fit.newton_decrement + 1e-12 * abs(fit.objective)
        else:
            fit = vpo_online_fit(m, W, a, radius=radius, n_starts=3, rng=0, certify=a > 0,
                                 gap_tol=1e-6, max_nodes=600)
            e = 0.0 if a == 0 else fit.opt_gap
        vals.append(calibrated_value(m, fit.theta, q, hessian=False)[0])
        eps.append(e)
    return np.array(vals), np.array(eps)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_comparative_statics_offline(seed):
    m, W = _setup(seed, N=100)
    alphas = [0.0, 0.5, 1, 2, 4, 8, 16]
    v, e = _statics(m, W, alphas, -1)
    for i in range(len(v) - 1):
        assert (alphas[i + 1] - alphas[i]) * (v[i + 1] - v[i]) <= e[i] + e[i + 1] + 1e-10
    assert v[-1] < v[0]                 # pessimism lowers the calibrated value


@pytest.mark.parametrize("seed", [0, 1])
def test_comparative_statics_online_certified(seed):
    m, W = _setup(seed, X=1, Y=6, d=2, N=40)
    alphas = [0.0, 1, 4, 16]
    v, e = _statics(m, W, alphas, +1, radius=2.0)
    assert np.all(np.isfinite(e))
    for i in range(len(v) - 1):
        assert (alphas[i + 1] - alphas[i]) * (v[i + 1] - v[i]) >= -(e[i] + e[i + 1]) - 1e-10
    assert v[-1] > v[0]                 # optimism raises it


# ------------------------------------------------------------------------------ solvers

@settings(max_examples=40)
@given(seed=st.integers(0, 10_000), d=st.integers(1, 4), R=st.floats(0.1, 5.0))
def test_trust_region_subproblem_is_global(seed, d, R):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(d, d))
    H = A + A.T
    b = rng.normal(size=d) * rng.choice([1e-6, 1.0])
    y = vpo._trs(H, b, R)
    assert np.linalg.norm(y) <= R * (1 + 1e-9)
    val = 0.5 * y @ H @ y + b @ y
    pts = rng.normal(size=(3000, d))
    pts *= (R * rng.random(3000) ** (1 / d) / np.linalg.norm(pts, axis=1))[:, None]
    others = 0.5 * np.einsum("nd,de,ne->n", pts, H, pts) + pts @ b
    assert val <= others.min() + 1e-9 * max(1.0, abs(val))


def test_certificate_brackets_the_grid_minimum():
    """d = 2: the branch-and-bound lower bound lies below the minimum over a fine grid of the
    ball and the upper bound is attained at a feasible point."""
    m, W = _setup(5, X=1, Y=6, d=2, N=30)
    a = 3.0
    fit = vpo_online_fit(m, W, a, radius=2.0, n_starts=4, rng=1, certify=True, gap_tol=1e-7,
                         max_nodes=1500)
    prob = vpo._Problem.build(m, W, a, +1, calibration_measure(m), 0.0)
    g = np.linspace(-2, 2, 121)
    G = np.array([[u, v] for u in g for v in g if u * u + v * v <= 4.0])
    vals = np.array([prob(th, hessian=False)[0] for th in G])
    assert fit.opt_gap >= 0
    assert fit.objective <= vals.min() + 1e-9
    assert fit.objective - fit.opt_gap <= vals.min() + 1e-12
    assert np.linalg.norm(fit.theta) <= 2.0 + 1e-12


def test_minimize_on_ball_stays_feasible_and_descends():
    m, W = _setup(8, X=1, Y=6, d=3, N=50)
    prob = vpo._Problem.build(m, W, 5.0, +1, calibration_measure(m), 0.0)
    x0 = np.array([0.5, -0.5, 0.2])
    x, f, res, n = minimize_on_ball(prob, x0, 1.5, tol=1e-8)
    assert np.linalg.norm(x) <= 1.5 + 1e-12
    assert f <= prob(x0)[0]
    assert res <= 1e-8


def test_curvature_bound_dominates_the_value_hessian():
    m, W = _setup(9)
    L = curvature_bound(m, 2.0)
    q = calibration_measure(m)
    for th in np.random.default_rng(0).normal(size=(20, m.dim)) * 3:
        H = calibrated_value(m, th, q)[2]
        assert 2.0 * np.linalg.eigvalsh(H)[-1] <= L + 1e-12


# ------------------------------------------------------------------------------ errors

def test_bad_input_names_the_argument():
    m, W = _setup(0)
    with pytest.raises(ValueError, match="alpha"):
        vpo_offline(m, W, -1.0)
    with pytest.raises(ValueError, match="sign"):
        vpo_objective(m, np.zeros(3), W, alpha=1.0, sign=0)
    with pytest.raises(ValueError, match="calibration"):
        vpo_offline(m, W, 1.0, calibration="nope")
    with pytest.raises(ValueError, match="wins"):
        calibration_measure(m, "chosen")
    with pytest.raises(ValueError, match="wins"):
        vpo_offline(m, W[:, :3], 1.0)
    with pytest.raises(ValueError, match="wins"):
        vpo_offline(m, -W, 1.0)
    with pytest.raises(ValueError, match="radius"):
        vpo_online_fit(m, W, 1.0, radius=0.0)
    with pytest.raises(ValueError, match="n_starts"):
        vpo_online_fit(m, W, 1.0, radius=1.0, n_starts=-1)
    with pytest.raises(ValueError, match="delta"):
        offline_lcb(m, W, delta=1.0)
    with pytest.raises(ValueError, match="model"):
        vpo_offline("model", W, 1.0)
    with pytest.raises(ValueError, match="calibration"):
        calibration_measure(m, np.full((2, 5), 0.5))
    with pytest.raises(ValueError, match="protocol"):
        VPOAgent(1.0, radius=1.0, protocol="both")
    with pytest.raises(ValueError, match="alpha_scale"):
        VPOAgent(-1.0, radius=1.0)
    with pytest.raises(ValueError, match="pi"):
        dpo_loss(m, np.full((2, 5), 0.0), W)
    one = np.zeros_like(W)
    one[0, 0, 1] = 1.0                             # one duel, alpha = 0: no finite minimizer
    with pytest.raises(RuntimeError, match="ridge"):
        vpo_offline(m, one, 0.0)


# ------------------------------------------------------------------------------ runner

class _FixedAgent:
    def __init__(self, pi):
        self.pi = pi
        self.seen = []

    def reset(self, model, n_rounds):
        self.seen = []

    def propose(self, t):
        return DuelProposal(self.pi, self.pi, self.pi)

    def observe(self, x, y1, y2, won):
        self.seen.append((x, y1, y2, won))


def test_runner_regret_accounting_and_reproducibility():
    m, _ = _setup(1)
    pi = np.random.default_rng(0).dirichlet(np.ones(5), size=2)
    res = run_dueling(m, _FixedAgent(pi), 7, rng=3)
    enum = optimal_regularized_value(m) - regularized_value(m, pi)
    assert np.allclose(res.regret, enum, rtol=1e-10)
    assert res.cumulative_regret[-1] == pytest.approx(7 * enum)
    a = run_dueling(m, VPOAgent(1.0, radius=2.0, rng=5), 15, rng=4)
    b = run_dueling(m, VPOAgent(1.0, radius=2.0, rng=5), 15, rng=4)
    assert np.array_equal(a.regret, b.regret)
    assert np.all(a.regret >= 0)
    with pytest.raises(ValueError, match="agent"):
        run_dueling(m, object(), 3)
    with pytest.raises(ValueError, match="n_rounds"):
        run_dueling(m, _FixedAgent(pi), 0)


def test_every_agent_runs_and_charges_its_policy():
    m, _ = _setup(2, X=1, Y=5, d=2)
    for agent in (VPOAgent(0.0, radius=2.0, rng=0), VPOAgent(1.0, radius=2.0, protocol="self",
                                                              rng=0),
                  VPOAgent(1.0, radius=2.0, calibration="samples", rng=0),
                  EllipsoidUCBAgent(1.0, radius=2.0, rng=0), ThompsonAgent(1.0, rng=0),
                  UniformAgent(radius=2.0, rng=0)):
        res = run_dueling(m, agent, 12, rng=1)
        assert res.regret.shape == (12,) and np.all(res.regret >= -1e-15)
        assert np.all(np.isfinite(res.regret))


def test_online_fit_respects_the_ball_and_greedy_is_global():
    m, W = _setup(4, X=1, Y=6, d=3, N=30)
    fit = vpo_online_fit(m, W, 0.0, radius=1.0, n_starts=0, rng=0, certify=True)
    assert np.linalg.norm(fit.theta) <= 1.0 + 1e-12
    # alpha = 0 is convex: the Frank-Wolfe certificate closes
    assert fit.opt_gap <= 1e-7 * max(1.0, abs(fit.objective))
    # and a branch-and-bound certificate of the same problem brackets it
    prob = vpo._Problem.build(m, W, 0.0, +1, calibration_measure(m), 0.0)
    cert = certify_ball_minimum(*prob.split(), 1.0, 3, 0.0, upper=fit.objective,
                                theta_upper=fit.theta, gap_tol=1e-3, max_nodes=300)
    assert cert.lower <= fit.objective + 1e-12 and cert.upper <= fit.objective + 1e-12
    assert regularized_regret(m, fit.pi) >= 0
