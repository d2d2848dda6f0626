"""StepMix / EpsMix / Switch: mixtures, pessimism, the conservative constraint, reductions.

Statistical assertions: per seed a 0/1 failure flag; the number of failing seeds must stay
below ``c`` with ``Pr(Bin(n_seeds, delta) >= c) < 1e-6`` (so a correct implementation, whose
per-seed failure probability is <= delta by the theorem, fails the test w.p. < 1e-6).
"""
import numpy as np
import pytest
from scipy import stats

from rlth.algorithms.online import _kernels as _k
from rlth.algorithms.online.runner import exact_value, optimal_value, run_online
from rlth.algorithms.online.stepmix import (BaselineAgent, EpsMix, StepMix, Switch, mixture_baseline,
                                     pessimistic_confidence_width, step_mixture)
from rlth.algorithms.online.ucbvi import UCBVI
from rlth.instances import gridworld, random_mdp, riverswim
from rlth.models.mdp import FiniteHorizonMDP
from rlth.solvers.dp import evaluate_policy


def binomial_reject_count(n: int, p: float, level: float = 1e-6) -> int:
    """Smallest c with Pr(Bin(n, p) >= c) < level."""
    c = 0
    while stats.binom.sf(c - 1, n, p) >= level:
        c += 1
    return c


def test_binomial_threshold_rule():
    c = binomial_reject_count(40, 0.1)
    assert stats.binom.sf(c - 1, 40, 0.1) < 1e-6 <= stats.binom.sf(c - 2, 40, 0.1)


def _rand_policy(rng, H, S, A):
    pi = rng.dirichlet(np.ones(A), size=(H, S))
    return pi / pi.sum(-1, keepdims=True)


# ------------------------------------------------------------------------------ mixtures
@pytest.mark.parametrize("seed", range(5))
def test_step_mixture_is_a_policy_with_the_right_endpoints(seed):
    rng = np.random.default_rng(seed)
    H, S, A = 4, 3, 3
    pi_b = _rand_policy(rng, H, S, A)
    pibar = rng.integers(0, A, size=(H, S))
    onehot = np.eye(A)[pibar]
    for w in [0.0, 0.3, 0.77, 1.0]:
        mix = _k.mix_policy(pi_b, pibar, w, np.empty_like(pi_b))
        assert np.all(mix >= 0) and np.allclose(mix.sum(-1), 1.0, atol=1e-15)
        np.testing.assert_allclose(mix, step_mixture(pi_b, onehot, w), atol=1e-15)
    np.testing.assert_array_equal(_k.mix_policy(pi_b, pibar, 0.0, np.empty_like(pi_b)), pi_b)
    np.testing.assert_array_equal(_k.mix_policy(pi_b, pibar, 1.0, np.empty_like(pi_b)), onehot)


@pytest.mark.parametrize("seed", range(5))
def test_step_mixture_value_is_a_polynomial_of_degree_at_most_H(seed):
    """The (H+1)-th finite difference of rho -> V^{pi^rho} vanishes; degree-H fit is exact."""
    rng = np.random.default_rng(seed)
    H, S, A = 4, 3, 2
    mdp = random_mdp(S, A, horizon=H, rng=rng, stationary=False)
    pi_b = _rand_policy(rng, H, S, A)
    pi_o = np.eye(A)[rng.integers(0, A, size=(H, S))]
    xs = np.linspace(0, 1, H + 2)
    vals = np.array([evaluate_policy(mdp, step_mixture(pi_b, pi_o, x)).value for x in xs])
    assert abs(np.diff(vals, n=H + 1)[0]) < 1e-9
    coef = np.polyfit(xs[:-1], vals[:-1], H)
    x_new = np.array([0.123, 0.5, 0.91])
    v_new = [evaluate_policy(mdp, step_mixture(pi_b, pi_o, x)).value for x in x_new]
    np.testing.assert_allclose(np.polyval(coef, x_new), v_new, atol=1e-8)
    # endpoints
    assert vals[0] == pytest.approx(evaluate_policy(mdp, pi_b).value, abs=1e-12)
    assert vals[-1] == pytest.approx(evaluate_policy(mdp, pi_o).value, abs=1e-12)


def _coin_mdp(mdp, eps):
    """Augmented MDP whose state carries the episode coin: value = exact episode mixture."""
    S, A, H = mdp.n_states, mdp.n_actions, mdp.horizon
    P = np.zeros((H, 2 * S, A, 2 * S))
    R = np.zeros((H, 2 * S, A))
    for c in range(2):
        sl = slice(c * S, (c + 1) * S)
        P[:, sl, :, sl] = mdp.P
        R[:, sl, :] = mdp.R
    rho = np.concatenate([eps * mdp.rho, (1 - eps) * mdp.rho])
    return FiniteHorizonMDP(P, R, rho)


@pytest.mark.parametrize("seed", range(3))
def test_episode_mixture_value_is_linear(seed):
    """Playing pi_1 w.p. eps for the whole episode: value computed on a coin-augmented MDP."""
    rng = np.random.default_rng(seed)
    mdp = random_mdp(3, 2, horizon=4, rng=rng)
    p1, p0 = _rand_policy(rng, 4, 3, 2), _rand_policy(rng, 4, 3, 2)
    v1, v0 = exact_value(mdp, p1), exact_value(mdp, p0)
    joint = np.concatenate([p1, p0], axis=1)
    for eps in [0.0, 0.25, 0.6, 1.0]:
        v = evaluate_policy(_coin_mdp(mdp, eps), joint).value
        assert v == pytest.approx(eps * v1 + (1 - eps) * v0, abs=1e-12)


def test_epsmix_probability_closed_form():
    v_b, alpha = 3.0, 0.1
    thr = (1 - alpha) * v_b
    assert _k.epsmix_probability(2.8, v_b, thr) == 1.0
    eps = _k.epsmix_probability(1.0, v_b, thr)
    assert eps == pytest.approx(alpha * v_b / (v_b - 1.0))
    assert eps * 1.0 + (1 - eps) * v_b == pytest.approx(thr)
    assert _k.epsmix_probability(0.0, v_b, -1.0) == 1.0          # alpha > 1


@pytest.mark.parametrize("v_couple", [0.0, None])
def test_largest_feasible_weight_is_feasible_and_largest_on_grid(v_couple):
    mdp = riverswim(4, horizon=6)
    pi_b, v_b, _ = mixture_baseline(mdp, 0.6)
    vc = v_b if v_couple is None else v_couple
    agent = StepMix(pi_b, 0.1, bonus_scale=0.1, n_grid=16)
    run_online(mdp, agent, 400, rng=3)                  # some data
    _, pibar = agent._optimistic()
    buf = np.empty_like(agent.pi_b)

    def f(w):
        return _k.mixture_lower_bound(agent._R, agent.n_sa, agent.n_sas, 6, agent.pi_b, pibar,
                                      agent._rho, agent._w_conf, 1.0, vc, w, buf)

    for thr in np.linspace(0.0, 1.2 * v_b, 9):
        w, fw = _k.largest_feasible_weight(agent._R, agent.n_sa, agent.n_sas, 6, agent.pi_b,
                                           pibar, agent._rho, agent._w_conf, 1.0, thr, 16, 30,
                                           buf, vc)
        if w > 0:
            assert f(w) >= thr and fw == pytest.approx(f(w))
        else:
            assert f(0.0) < thr or f(1 / 16) < thr
        # no grid point above w is feasible
        for j in range(16, 0, -1):
            x = j / 16
            if x > w + 1e-12:
                assert f(x) < thr
        if vc > 0 and thr <= v_b:
            # the coupling bound alone makes 1 - (thr / v_b)^(1/H) feasible
            assert w >= 1 - (thr / v_b) ** (1 / 6) - 1e-6


@pytest.mark.parametrize("seed", range(5))
def test_coupling_bound_holds_for_every_weight(seed):
    """V^{pi^rho} >= (1 - rho)^H V^{pi_b} (rewards >= 0; [D] coupling of the per-step coins)."""
    rng = np.random.default_rng(seed)
    H, S, A = 5, 4, 3
    mdp = random_mdp(S, A, horizon=H, rng=rng, stationary=False)
    pi_b = _rand_policy(rng, H, S, A)
    pi_o = np.eye(A)[rng.integers(0, A, size=(H, S))]
    v_b = exact_value(mdp, pi_b)
    for x in np.linspace(0, 1, 11):
        assert exact_value(mdp, step_mixture(pi_b, pi_o, x)) >= (1 - x) ** H * v_b - 1e-12


def test_coupling_bound_gives_early_exploration():
    mdp, pi_b, v_b = _violation_instance()
    alpha = 0.1
    on = run_online(mdp, StepMix(pi_b, alpha), 50, rng=0)
    off = run_online(mdp, StepMix(pi_b, alpha, coupling_bound=False), 50, rng=0)
    assert np.all(on.weights >= 1 - (1 - alpha) ** (1 / 5) - 1e-6)
    assert np.all(off.weights == 0.0)


def test_mixture_baseline_sets_the_value_exactly():
    for mdp in [riverswim(5, horizon=10), gridworld(3, 4, horizon=10, pit=(1, 1)),
                random_mdp(6, 3, horizon=6, rng=0, branching=3)]:
        v_star = optimal_value(mdp)
        for q in [0.0, 0.3, 0.8, 1.0]:
            pi_b, v_b, lam = mixture_baseline(mdp, q)
            v_poor = mixture_baseline(mdp, 0.0)[1]
            assert v_b == pytest.approx(evaluate_policy(mdp, pi_b).value, abs=1e-12)
            assert v_b == pytest.approx(v_poor + q * (v_star - v_poor), abs=1e-9)
            assert np.allclose(pi_b.sum(-1), 1.0) and np.all(pi_b >= 0)


# ------------------------------------------------------------------------------ guarantees
def _violation_instance():
    """A Garnet instance on which unconstrained UCBVI violates the constraint early."""
    mdp = random_mdp(5, 2, horizon=5, rng=1, branching=3)
    pi_b, v_b, _ = mixture_baseline(mdp, 0.7)
    return mdp, pi_b, v_b


def test_ucbvi_violates_where_stepmix_must_not():
    """Contrast: with the same threshold UCBVI has violating episodes (the test can bite)."""
    mdp, pi_b, v_b = _violation_instance()
    res = run_online(mdp, UCBVI(bonus_scale=0.1), 500, threshold=0.95 * v_b, rng=0)
    assert res.n_violations > 0
    # and a StepMix without pessimism (pess_scale = 0: plug-in) violates too
    bad = run_online(mdp, StepMix(pi_b, 0.05, bonus_scale=0.1, pess_scale=0.0), 500, rng=0)
    assert bad.n_violations > 0


def _switch_instance():
    """A Garnet on which the constraint binds and the pessimistic test is passed within 3000
    episodes: UCBVI (bonus_scale 0.01) violates ``0.8 V_b``, Switch switches to the optimistic
    policy and StepMix / EpsMix reach weight 1 in every seed used below."""
    mdp = random_mdp(5, 2, horizon=4, rng=2, branching=3)
    pi_b, v_b, _ = mixture_baseline(mdp, 0.7)
    return mdp, pi_b, v_b


_SW_ALPHA, _SW_BONUS, _SW_K, _SW_SEEDS = 0.2, 0.01, 3000, 40


def _switch_runs(cls, delta, **kw):
    mdp, pi_b, _ = _switch_instance()
    return [run_online(mdp, cls(pi_b, _SW_ALPHA, delta=delta, bonus_scale=_SW_BONUS, **kw),
                       _SW_K, rng=seed) for seed in range(_SW_SEEDS)]


def test_switch_instance_binds_the_constraint():
    """Guard of the tests below: unconstrained UCBVI violates the constraint there."""
    mdp, pi_b, v_b = _switch_instance()
    res = run_online(mdp, UCBVI(bonus_scale=_SW_BONUS), _SW_K,
                     threshold=(1 - _SW_ALPHA) * v_b, rng=0)
    assert res.n_violations > 0


@pytest.mark.parametrize("cls", [StepMix, EpsMix, Switch])
def test_no_violation_in_1_minus_delta_of_seeds(cls):
    """Exact values: no episode below (1 - alpha) V_b, in >= 1 - delta of 40 seeds.

    delta = 1e-3: a correct implementation fails a seed w.p. <= delta (the theorem), and the
    test w.p. Pr(Bin(40, 1e-3) >= 4) < 1e-6 (c = 4).  Non-vacuous: in every seed the agent
    plays the optimistic policy in full (weight 1) at some episode, Switch also plays the
    baseline (it switches), and the same test rejects the plug-in agent (pessimistic bonus
    removed, pess_scale = 0).  (Power is limited to gross errors: the L1 bound is loose, a
    bonus shrunk 20x still passes on this instance, 50x fails.)
    """
    delta = 1e-3
    c = binomial_reject_count(_SW_SEEDS, delta)
    runs = _switch_runs(cls, delta)
    for res in runs:
        assert res.weights.max() == 1.0
        if cls is Switch:
            assert set(np.unique(res.weights)) == {0.0, 1.0}
    assert sum(res.n_violations > 0 for res in runs) < c
    plugin = _switch_runs(cls, delta, pess_scale=0.0)
    assert sum(res.n_violations > 0 for res in plugin) >= c


def _data_lower_bound(cls, res, v_b):
    """The data-dependent lower bound of each episode, where the agent used one.

    StepMix (coupling bound off) and Switch record the pessimistic value of the policy
    played; EpsMix records ``eps f1 + (1 - eps) V_b``, whose data part is ``f1`` (the
    pessimistic value of the optimistic policy), recoverable when eps > 0.
    """
    pess, w = res.pessimistic_values, res.weights
    if cls is EpsMix:
        on = w > 0
        return (pess[on] - (1 - w[on]) * v_b) / w[on]
    return pess


@pytest.mark.parametrize("cls", [StepMix, EpsMix, Switch])
def test_pessimistic_value_below_true_value_in_1_minus_delta_of_seeds(cls):
    """Recorded pessimistic value <= exact value of what was played, every episode, in
    >= 1 - delta of 40 seeds (delta = 1e-3, c = 4 as above: failure probability < 1e-6).

    Non-vacuous: the coupling bound is off, so StepMix's value is the data bound; the data
    bound is positive in most episodes of every seed and its final value differs across
    seeds; the plug-in agent (pess_scale = 0) fails the same test.
    """
    mdp, pi_b, v_b = _switch_instance()
    delta = 1e-3
    c = binomial_reject_count(_SW_SEEDS, delta)

    def fails(runs):
        return sum(bool(np.any(r.pessimistic_values > r.values + 1e-12)) for r in runs)

    runs = _switch_runs(cls, delta, coupling_bound=False)
    finals = []
    for res in runs:
        low = _data_lower_bound(cls, res, v_b)
        assert np.mean(low > 0) > 0.5
        finals.append(low[-1])
    assert np.ptp(finals) > 1e-3
    assert fails(runs) < c
    assert fails(_switch_runs(cls, delta, coupling_bound=False, pess_scale=0.0)) >= c


def test_pessimistic_value_matches_the_formula():
    """Kernel vs a direct numpy transcription of the documented bound (random counts with
    unvisited pairs; pooled and per-step counts; stage-dependent rewards)."""
    rng = np.random.default_rng(0)
    H, S, A = 4, 3, 2
    for Hc in (1, H):
        n_sas = rng.integers(0, 6, size=(Hc, S, A, S)) * (rng.random((Hc, S, A, 1)) < 0.8)
        n_sa = n_sas.sum(-1)
        R = rng.random((H, S, A))
        pi = _rand_policy(rng, H, S, A)
        rho = rng.dirichlet(np.ones(S))
        w_conf, c_pess = 3.7, 0.6
        V = np.zeros(S)
        for h in range(H - 1, -1, -1):
            hc = h if Hc > 1 else 0
            n = n_sa[hc]
            p_hat = n_sas[hc] / np.maximum(n, 1)[..., None]
            q = R[h] + p_hat @ V - c_pess * (H - h - 1) / 2 * np.sqrt(w_conf / np.maximum(n, 1))
            q = np.where(n > 0, np.clip(q, 0.0, H - h), 0.0)
            V = (pi[h] * q).sum(-1)
        got = _k.pessimistic_value(R, n_sa.astype(np.int64), n_sas.astype(np.int64), H, pi, rho,
                                   w_conf, c_pess)
        assert got == pytest.approx(rho @ V, abs=1e-12)
        assert got > 0                      # not everything clipped to 0


def test_pessimistic_bound_is_valid_for_arbitrary_policies():
    """Uniform validity: after a run, V_low(pi) <= V^pi for many random (data-independent
    and data-dependent) policies, in >= 1 - delta of 30 seeds."""
    mdp = random_mdp(4, 2, horizon=4, rng=5, branching=2)
    pi_b, _, _ = mixture_baseline(mdp, 0.5)
    delta = 0.1
    rng = np.random.default_rng(0)
    policies = [_rand_policy(rng, 4, 4, 2) for _ in range(20)]
    fails = []
    for seed in range(30):
        agent = StepMix(pi_b, 0.1, delta=delta, bonus_scale=0.1)
        run_online(mdp, agent, 300, rng=seed)
        _, pibar = agent._optimistic()
        cand = policies + [np.eye(2)[pibar]]
        fails.append(any(agent.pessimistic_value(p) > exact_value(mdp, p) + 1e-12
                         for p in cand))
    assert sum(fails) < binomial_reject_count(30, delta)


@pytest.mark.parametrize("cls,alpha", [(StepMix, 1.0), (StepMix, 2.5), (EpsMix, 1.0),
                                       (Switch, 1.0)])
def test_alpha_at_least_one_reduces_to_ucbvi(cls, alpha):
    mdp = random_mdp(5, 3, horizon=5, rng=2, branching=3)
    pi_b, _, _ = mixture_baseline(mdp, 0.4)
    for bonus in ["ch", "bf"]:
        base = UCBVI(bonus=bonus, bonus_scale=0.1)
        a = run_online(mdp, base, 700, rng=4)
        agent = cls(pi_b, alpha, bonus=bonus, bonus_scale=0.1)
        b = run_online(mdp, agent, 700, rng=4)
        np.testing.assert_array_equal(a.values, b.values)
        np.testing.assert_array_equal(agent.n_sas, base.n_sas)
        assert np.all(b.weights == 1.0)


def test_alpha_zero_never_goes_below_the_baseline():
    mdp, pi_b, v_b = _violation_instance()
    res = run_online(mdp, StepMix(pi_b, 0.0, bonus_scale=0.1), 1000, rng=1)
    assert np.all(res.values >= v_b - 1e-9)


def test_stepmix_weight_reaches_one_and_regret_beats_baseline():
    mdp, pi_b, v_b = _violation_instance()
    K = 20000
    res = run_online(mdp, StepMix(pi_b, 0.1, bonus="bf"), K, rng=0)
    base = run_online(mdp, BaselineAgent(pi_b), K, rng=0)
    assert res.weights[-100:].min() == 1.0
    assert res.cumulative_regret[-1] < 0.5 * base.cumulative_regret[-1]


class _RecordingEpsMix(EpsMix):
    """EpsMix that keeps its proposals (python engine)."""

    def reset(self, mdp, n_episodes):
        super().reset(mdp, n_episodes)
        self.proposals = []

    def propose(self, k):
        prop = super().propose(k)
        self.proposals.append(prop)
        return prop


def test_epsmix_records_the_mixture_value_and_the_realized_component():
    """values = eps V^{pibar} + (1 - eps) V_b with V^{pibar} evaluated independently (dp
    solver on the recorded policy); the realized value is one of the two components; the
    optimistic component is realized with frequency eps.

    Coin: X_k = 1{optimistic component rolled out}; X_k - eps_k is a martingale difference
    with range 1 (0 when eps_k is 0 or 1: no coin), so by Azuma-Hoeffding
    Pr(|sum_k (X_k - eps_k)| >= sqrt(K ln(2 / 1e-6) / 2)) <= 1e-6.
    """
    mdp, pi_b, v_b = _violation_instance()
    K = 3000
    agent = _RecordingEpsMix(pi_b, 0.05, bonus_scale=0.1)
    res = run_online(mdp, agent, K, rng=0, engine="python")
    fast = run_online(mdp, EpsMix(pi_b, 0.05, bonus_scale=0.1), K, rng=0, engine="numba")
    np.testing.assert_array_equal(fast.weights, res.weights)
    np.testing.assert_allclose(fast.values, res.values, rtol=0, atol=1e-12)
    np.testing.assert_allclose(fast.realized_values, res.realized_values, rtol=0, atol=1e-12)
    v_b_dp = evaluate_policy(mdp, pi_b).value
    eps = res.weights
    v_opt = np.array([evaluate_policy(mdp, p.policies[0]).value for p in agent.proposals])
    np.testing.assert_allclose(res.values, eps * v_opt + (1 - eps) * v_b_dp, rtol=0,
                               atol=1e-12)
    mixed = (eps > 0) & (eps < 1)
    assert mixed.sum() > K // 2
    assert np.all(np.abs(v_opt - v_b_dp)[mixed] > 1e-6)       # components distinguishable
    is_opt = np.isclose(res.realized_values, v_opt, rtol=0, atol=1e-12)
    is_base = np.isclose(res.realized_values, v_b_dp, rtol=0, atol=1e-12)
    assert np.all(is_opt | is_base)
    assert np.all(is_opt[eps == 1.0]) and np.all(is_base[eps == 0.0])
    dev = np.sum(is_opt[mixed] - eps[mixed])
    assert abs(dev) < np.sqrt(K * np.log(2 / 1e-6) / 2)


def test_confidence_width_formula():
    w = pessimistic_confidence_width(5, 2, 1, 100, 4, 0.1)
    assert w == pytest.approx(2 * (5 * np.log(2) + np.log(5 * 2 * 1 * 400 / 0.1)))


def test_validation():
    mdp = random_mdp(3, 2, horizon=3, rng=0)
    pi_b = np.zeros((3, 3), dtype=np.int64)
    with pytest.raises(ValueError, match="^alpha:"):
        StepMix(pi_b, -0.1)
    with pytest.raises(ValueError, match="^n_grid:"):
        StepMix(pi_b, 0.1, n_grid=0)
    with pytest.raises(ValueError, match="^coupling_bound:"):
        StepMix(pi_b, 0.1, coupling_bound="yes")
    with pytest.raises(ValueError, match="^baseline:"):
        run_online(mdp, StepMix(np.zeros((3, 4), dtype=np.int64), 0.1), 5, rng=0)
    with pytest.raises(ValueError, match="^baseline:"):
        run_online(mdp, EpsMix(np.full((3, 3, 2), 0.7), 0.1), 5, rng=0)
    with pytest.raises(ValueError, match="^weight:"):
        step_mixture(np.full((3, 3, 2), 0.5), np.full((3, 3, 2), 0.5), 1.5)
    with pytest.raises(ValueError, match="^quality:"):
        mixture_baseline(mdp, 1.5)
    with pytest.raises(ValueError, match="^poor:"):
        mixture_baseline(mdp, 0.5, poor="random")
