"""Nash-MD (rlth.algorithms.preference.nash_md): the paper's update, Theorem 1's inequalities at every step,
and the sampled-feedback variant."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rlth.algorithms.preference.nash_md import (geometric_mixture, nash_md, nash_md_step, step_sizes,
                                     theorem_step_sizes)
from rlth.models.preference import PreferenceGame, kl_divergence
from rlth.instances.preference import (random_preference, reference_policy,
                                              rps_tournament, stack_contexts)
from rlth.solvers.preference import solve_regularized_nash
from rlth.testing.preference import policies_for, preference_games

TAUS = st.sampled_from([1.0, 0.3, 0.1, 0.01])
# Theorem 1's bound 8 / (tau^2 (T+1)) is informative only once it falls below the KL a broken
# run would keep (e.g. KL(pi*, pi_0) ~ 0.01 .. 5 here): with T = 400 it is >= 199 at tau = 0.01
# and >= 2 at tau = 0.1.  The bound checks therefore run each tau for _t_informative(tau) steps,
# where the final bound is 0.01.
THEOREM_TAUS = st.sampled_from([1.0, 0.3, 0.1])


def _t_informative(tau, final_bound=0.01):
    return int(np.ceil(8 / (tau ** 2 * final_bound))) - 1


def _kl_rho(game, p, q):
    return float(game.context_probs @ kl_divergence(p, q))


@settings(max_examples=40)
@given(preference_games(max_actions=6, max_contexts=2, allow_zeros=True, min_mass=1e-6),
       TAUS, st.sampled_from(["exact", "sampled"]), st.integers(0, 2**32 - 1))
def test_iterates_stay_in_simplex(game, tau, feedback, seed):
    res = nash_md(game, tau, 300, feedback=feedback, rng=seed,
                  checkpoints=np.arange(0, 301, 10))
    it = res.iterates
    assert np.all(np.isfinite(res.log_iterates[:, game.support]))
    assert np.all(it >= 0) and np.all(np.isfinite(it))
    np.testing.assert_allclose(it.sum(axis=2), 1.0, atol=1e-12)
    assert np.all(it[:, ~game.support] == 0)


@settings(max_examples=40)
@given(preference_games(max_actions=6, max_contexts=2, min_mass=1e-4), THEOREM_TAUS, st.data())
def test_theorem1_one_step_inequality_and_bound_every_step(game, tau, data):
    """Theorem 1 (Munos et al. 2023) [V], deterministic: for every t
    KL(pi*, pi_{t+1}) <= (1 - eta_t tau) KL(pi*, pi_t) + 2 eta_t^2, and
    KL(pi*, pi_T) <= 8 / (tau^2 (T+1)) for every T >= 1 (the only slack is rounding, 1e-12).
    T = 799 / 8888 / 79999 for tau = 1 / 0.3 / 0.1, so the bound ends at 0.01 (informative)."""
    pi0 = data.draw(policies_for(game))
    star = solve_regularized_nash(game, tau).pi
    T = _t_informative(tau)
    assert 8 / (tau ** 2 * (T + 1)) <= 0.01
    res = nash_md(game, tau, T, pi0=pi0, checkpoints=np.arange(T + 1))
    kl = res.kl_from(game, star)
    eta = res.eta
    lhs = kl[1:]
    rhs = (1 - eta * tau) * kl[:-1] + 2 * eta ** 2
    assert np.all(lhs <= rhs + 1e-12), np.max(lhs - rhs)
    Ts = np.arange(1, T + 1)
    assert np.all(kl[1:] <= 8 / (tau ** 2 * (Ts + 1)) + 1e-12)


def test_bound_every_T_long_run():
    """The bound at every T on a 10-action random game, three taus, each run long enough that
    the final bound is below KL(pi*, pi_0) / 10 (pi_0 = mu; KL(pi*, mu) = 0.0147 / 0.719 / 3.09
    at tau = 1 / 0.1 / 0.01): a run that stayed at pi_0 would violate it."""
    g = random_preference(10, rng=11, mu=reference_policy(10, "softmax", scale=2.0, rng=12))
    for tau, T in ((1.0, 20_000), (0.1, 20_000), (0.01, 300_000)):
        star = solve_regularized_nash(g, tau).pi
        kl0 = _kl_rho(g, star, g.mu)
        assert 8 / (tau ** 2 * (T + 1)) <= kl0 / 10, tau       # informative
        kl = nash_md(g, tau, T, checkpoints=np.arange(T + 1)).kl_from(g, star)
        Ts = np.arange(T + 1)
        assert np.all(kl[1:] <= 8 / (tau ** 2 * (Ts[1:] + 1))), tau


@pytest.mark.parametrize("tau", [1.0, 0.1])
def test_theorem1_catches_a_wrong_mixture_weight(tau):
    """Power check of the bound in this regime: the geometric mixture with weight 0 (plain
    mirror descent against pi_t, i.e. Nash-MD without the pull to mu, implemented here in numpy)
    violates KL(pi*, pi_T) <= 8/(tau^2 (T+1)) at the informative T, while Nash-MD meets it."""
    g = random_preference(10, rng=11, mu=reference_policy(10, "softmax", scale=2.0, rng=12))
    star = solve_regularized_nash(g, tau).pi
    T = 20_000
    bound = 8 / (tau ** 2 * (T + 1))
    assert nash_md(g, tau, T).kl_from(g, star)[-1] <= bound
    eta = theorem_step_sizes(tau, T)
    lp = np.log(g.mu[0]).copy()
    for t in range(T):
        lp = lp + eta[t] * g.pref[0] @ np.exp(lp)
        lp -= np.log(np.exp(lp - lp.max()).sum()) + lp.max()
    assert _kl_rho(g, star, np.exp(lp)[None]) > 10 * bound


@settings(max_examples=30)
@given(preference_games(max_actions=5, max_contexts=3), st.sampled_from([1.0, 0.1]), st.data())
def test_kernel_matches_numpy_reference(game, tau, data):
    pi0 = data.draw(policies_for(game))
    T = 30
    res = nash_md(game, tau, T, pi0=pi0, checkpoints=np.arange(T + 1))
    eta = theorem_step_sizes(tau, T)
    pi = pi0
    for t in range(T):
        pi = nash_md_step(game, pi, tau, eta[t])
        np.testing.assert_allclose(res.iterates[t + 1], pi, atol=1e-12, rtol=0)


def test_step_is_the_paper_update():
    """eqs. 3-5: pi_{t+1} propto pi_t^{1-eta tau} mu^{eta tau} exp(eta P(. > pi^mu_t))."""
    g = random_preference(4, rng=0, mu=reference_policy(4, "softmax", rng=1))
    pi = np.array([[0.1, 0.2, 0.3, 0.4]])
    tau, eta = 0.2, 1.5
    mix = pi ** (1 - eta * tau) * g.mu ** (eta * tau)
    mix /= mix.sum()
    np.testing.assert_allclose(geometric_mixture(pi, g.mu, eta * tau), mix, atol=1e-15)
    new = mix * np.exp(eta * g.pref[0] @ mix[0])
    new /= new.sum()
    np.testing.assert_allclose(nash_md_step(g, pi, tau, eta), new, atol=1e-15)
    # an arithmetic mixture would be a different algorithm
    arith = (1 - eta * tau) * pi + eta * tau * g.mu
    assert np.abs(arith - mix).max() > 1e-3


def test_first_step_forgets_pi0():
    """eta_0 tau = 1: pi^mu_0 = mu, so pi_1 = softmax(log mu + eta_0 P mu) whatever pi_0 [D]."""
    g = random_preference(5, rng=2, mu=reference_policy(5, "softmax", rng=3))
    a = nash_md(g, 0.1, 1, pi0=[0.6, 0.1, 0.1, 0.1, 0.1]).pi
    b = nash_md(g, 0.1, 1, pi0=[0.1, 0.1, 0.1, 0.1, 0.6]).pi
    np.testing.assert_allclose(a, b, atol=1e-15)


def test_uniform_mu_on_rps_lands_on_equilibrium():
    """Pitfall: with mu = NE (uniform on RPS) the schedule lands on pi* after one step."""
    res = nash_md(rps_tournament(3), 0.1, 1, pi0=[0.7, 0.2, 0.1])
    np.testing.assert_allclose(res.pi[0], [1 / 3] * 3, atol=1e-15)


def test_contextual_equals_independent_contexts():
    games = [random_preference(4, rng=s, mu=reference_policy(4, "softmax", rng=20 + s))
             for s in range(3)]
    joint = stack_contexts(games, [0.5, 0.25, 0.25])
    res = nash_md(joint, 0.3, 200, checkpoints=[50, 200])
    for x, g in enumerate(games):
        np.testing.assert_allclose(res.iterates[:, x],
                                   nash_md(g, 0.3, 200, checkpoints=[50, 200]).iterates[:, 0],
                                   atol=1e-14)
    star = solve_regularized_nash(joint, 0.3).pi
    # KL_rho is the rho-weighted sum
    want = sum(w * _kl_rho(g, solve_regularized_nash(g, 0.3).pi, res.iterates[-1, x][None])
               for x, (g, w) in enumerate(zip(games, [0.5, 0.25, 0.25])))
    assert res.kl_from(joint, star)[-1] == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize("tau,eta", [(1.0, 0.1), (1.0, 0.01), (0.1, 0.01)])
def test_constant_step_has_a_bias_floor(tau, eta):
    """pi*_tau is not a fixed point of constant-step Nash-MD; the plateau obeys the [D] bound
    2 eta / tau (+ the transient (1 - eta tau)^T log n), the fixed point of the one-step
    inequality.  Only (tau, eta) with 2 eta / tau < KL(pi*, uniform) / 1.5 are used (0.2 / 0.02 /
    0.2 vs 0.39 / 0.39 / 1.41), so a run stuck at pi_0 = uniform would fail; eta = 1, tau = 0.1
    (bound 20) was vacuous."""
    g = random_preference(6, rng=5, mu=reference_policy(6, "softmax", rng=6))
    star = solve_regularized_nash(g, tau).pi
    one = nash_md_step(g, star, tau, eta)
    assert _kl_rho(g, star, one) > 0
    uniform = np.full((1, 6), 1 / 6)
    assert 2 * eta / tau < _kl_rho(g, star, uniform) / 1.5
    T = int(np.ceil(40 / (eta * tau)))
    kl = nash_md(g, tau, T, eta=eta, pi0=uniform).kl_from(g, star)[-1]
    assert kl > 0
    assert kl <= (1 - eta * tau) ** T * np.log(6) + 2 * eta / tau


def test_constant_step_bias_floor_is_of_order_eta_squared():
    """[D]: the fixed point pi_eta of the constant-step map satisfies pi_eta = BR_tau(pi_eta^mu),
    and pi_eta^mu differs from pi_eta by O(eta tau) in the logits, so pi_eta - pi* = O(eta) and
    the plateau KL(pi*, pi_eta) = O(eta^2): dividing eta by 10 divides it by ~100 (measured
    101 at tau = 1); a floor that did not shrink like eta^2 fails [50, 200]."""
    g = random_preference(6, rng=5, mu=reference_policy(6, "softmax", rng=6))
    tau = 1.0
    star = solve_regularized_nash(g, tau).pi
    plateau = [nash_md(g, tau, int(np.ceil(40 / (eta * tau))), eta=eta).kl_from(g, star)[-1]
               for eta in (0.1, 0.01)]
    assert 50 <= plateau[0] / plateau[1] <= 200


def test_sampled_feedback_is_unbiased_single_step():
    """One step with m = 40000 opponent samples is within Hoeffding's 1e-30-probability band
    of the exact step: |g_hat - g| <= 0.03 per coordinate fails w.p. <= 2 n e^{-2 m 0.03^2}."""
    g = random_preference(5, rng=7, mu=reference_policy(5, "softmax", rng=8))
    tau, m = 0.5, 40_000
    eta = theorem_step_sizes(tau, 1)[0]
    exact = nash_md(g, tau, 1)
    samp = nash_md(g, tau, 1, feedback="sampled", n_samples=m, rng=123)
    d = samp.log_iterates[-1, 0] - exact.log_iterates[-1, 0]
    assert np.max(np.abs(d - d.mean())) <= 2 * eta * 0.03


@pytest.mark.parametrize("t", [1, 4])
def test_sampled_feedback_is_unbiased_after_the_first_step(t):
    """At t >= 1 (here pi_t != mu, so pi^mu_t = pi_t^{1-eta_t tau} mu^{eta_t tau} != mu) the
    sampled feedback g_hat_t(y) = (1/m) sum_j P(y > y'_j), y'_j ~ pi^mu_t, is unbiased for
    P(y > pi^mu_t).  From checkpoints t and t+1 of one sampled run: log pi_{t+1} - log pi^mu_t
    = eta_t g_hat_t + const, so D(y) = [g_hat_t(y) - g_hat_t(0)] - [g_t(y) - g_t(0)] (exact g_t
    recomputed in numpy from pi_t) is an average of m draws whose increments, given the past,
    have mean 0 and lie in an interval of length 2.  Over N runs x m draws (Azuma-Hoeffding)
    P(|mean D(y)| >= eps) <= 2 exp(-N m eps^2 / 2) = 2 e^{-18} = 3e-8 per coordinate for
    N m = 160000, eps = 0.015; 4 coordinates: < 1.3e-7.  Sampling the opponent from mu or from
    pi_t instead shifts the mean by > 3 eps in some coordinate here (checked in the test)."""
    g = random_preference(5, rng=7, mu=reference_policy(5, "softmax", rng=8))
    tau, m, N, eps = 0.1, 400, 400, 0.015
    pi0 = np.array([[0.05, 0.4, 0.05, 0.3, 0.2]])
    eta = theorem_step_sizes(tau, t + 1)
    w = eta[t] * tau
    lmu = np.log(g.mu[0])
    D = np.zeros((N, 5))
    alt_mu, alt_pi = np.zeros((N, 5)), np.zeros((N, 5))
    for i in range(N):
        res = nash_md(g, tau, t + 1, pi0=pi0, feedback="sampled", n_samples=m, rng=1000 + i,
                      checkpoints=[t, t + 1])
        l_t, l_next = res.log_iterates[0, 0], res.log_iterates[1, 0]
        lmix = (1 - w) * l_t + w * lmu
        pmix = np.exp(lmix - lmix.max())
        pmix /= pmix.sum()
        g_hat = (l_next - lmix) / eta[t]
        g_exact = g.pref[0] @ pmix
        D[i] = (g_hat - g_hat[0]) - (g_exact - g_exact[0])
        for alt, opp in ((alt_mu, g.mu[0]), (alt_pi, np.exp(l_t))):
            ga = g.pref[0] @ opp
            alt[i] = (ga - ga[0]) - (g_exact - g_exact[0])
        assert np.abs(np.exp(l_t) - g.mu[0]).max() > 0.05      # pi_t != mu
    assert np.max(np.abs(D.mean(axis=0))) <= eps, D.mean(axis=0)
    # power: the wrong opponents would be detected
    assert np.max(np.abs(alt_mu.mean(axis=0))) > 3 * eps
    assert np.max(np.abs(alt_pi.mean(axis=0))) > 3 * eps


def test_sampled_is_reproducible_and_seed_dependent():
    g = random_preference(5, rng=9)
    a = nash_md(g, 0.2, 100, feedback="sampled", rng=1).pi
    b = nash_md(g, 0.2, 100, feedback="sampled", rng=1).pi
    c = nash_md(g, 0.2, 100, feedback="sampled", rng=2).pi
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - c).max() > 0


def test_schedules():
    np.testing.assert_allclose(step_sizes(None, 0.5, 3), [2.0, 4 / 3, 1.0])
    np.testing.assert_allclose(step_sizes(0.3, 0.5, 2), [0.3, 0.3])
    np.testing.assert_allclose(step_sizes(lambda t: 1 / (t + 1), 0.5, 2), [1.0, 0.5])
    np.testing.assert_allclose(theorem_step_sizes(1.0, 2, offset=3), [2 / 5, 2 / 6])
    with pytest.raises(ValueError, match="^eta: need eta_t"):
        step_sizes(3.0, 0.5, 2)
    with pytest.raises(ValueError, match="^eta: schedule has"):
        step_sizes([0.1], 0.5, 2)
    with pytest.raises(ValueError, match="^eta: step sizes"):
        step_sizes([0.1, -1.0], 0.5, 2)


def test_bad_input():
    g = rps_tournament(3, mu=[0.5, 0.3, 0.2])
    with pytest.raises(ValueError, match="^game"):
        nash_md(np.eye(3), 0.1, 10)
    with pytest.raises(ValueError, match="^tau"):
        nash_md(g, 0.0, 10)
    with pytest.raises(ValueError, match="^n_iter"):
        nash_md(g, 0.1, -1)
    with pytest.raises(ValueError, match="^feedback"):
        nash_md(g, 0.1, 10, feedback="bandit")
    with pytest.raises(ValueError, match="^n_samples"):
        nash_md(g, 0.1, 10, feedback="sampled", n_samples=0)
    with pytest.raises(ValueError, match="^checkpoints: must lie"):
        nash_md(g, 0.1, 10, checkpoints=[11])
    with pytest.raises(ValueError, match="^pi0: must be positive"):
        nash_md(g, 0.1, 10, pi0=[1.0, 0.0, 0.0])
    g0 = PreferenceGame(g.pref, [0.5, 0.5, 0.0])
    with pytest.raises(ValueError, match="^pi0: puts mass outside"):
        nash_md(g0, 0.1, 10, pi0=[0.4, 0.4, 0.2])


@settings(max_examples=60)
@given(st.integers(1, 8), st.integers(0, 2**32 - 1))
def test_masked_log_softmax_kernel_matches_numpy_softmax(n, seed):
    """The numba kernel (in place, one row) and the numpy rows function of rlth._kernels.softmax
    compute the same masked softmax; off the mask the kernel leaves the logits alone."""
    from rlth._kernels.softmax import masked_log_softmax_inplace, masked_softmax
    rng = np.random.default_rng(seed)
    z = rng.normal(scale=30.0, size=n)
    mask = rng.random(n) < 0.7
    mask[rng.integers(n)] = True
    l = z.copy()
    p = masked_log_softmax_inplace(l, mask)
    q = masked_softmax(z[None], mask[None])[0]
    np.testing.assert_allclose(p, q, rtol=1e-12, atol=1e-300)
    assert np.all(p[~mask] == 0.0) and np.array_equal(l[~mask], z[~mask])
    assert abs(p.sum() - 1.0) <= 1e-14 * n
    np.testing.assert_allclose(np.exp(l[mask]), p[mask], rtol=1e-14, atol=1e-300)
