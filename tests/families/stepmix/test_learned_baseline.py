"""StepMix / EpsMix with a baseline learned from offline data of a status-quo policy [D].

Statistical assertions: per seed a 0/1 failure flag whose probability the derivation bounds by
``p``; the number of failing seeds must stay below ``c`` with ``Pr(Bin(n_seeds, p) >= c) <
1e-6`` (the end-to-end test uses the 0.999 quantile of ``Bin(n_runs, 0.1)``).
"""
import math

import numpy as np
import pytest
from scipy import stats

from rlth.algorithms.online import _kernels as _k
from rlth.algorithms.online.learned_baseline import (LearnedBaseline, baseline_from_dataset,
                                                     learn_baseline, learned_agent,
                                                     offline_counts, offline_log_term,
                                                     optimal_coverage, pessimistic_plan,
                                                     return_ucb_width, sufficient_n)
from rlth.algorithms.online.runner import exact_value, optimal_value, run_online
from rlth.algorithms.online.stepmix import EpsMix, StepMix, mixture_baseline
from rlth.data.episodes import rollout
from rlth.instances import random_mdp
from rlth.solvers.dp import evaluate_policy

ALPHA = 0.1


def binomial_reject_count(n: int, p: float, level: float = 1e-6) -> int:
    """Smallest c with Pr(Bin(n, p) >= c) < level."""
    c = 0
    while stats.binom.sf(c - 1, n, p) >= level:
        c += 1
    return c


@pytest.fixture(scope="module")
def garnet():
    mdp = random_mdp(5, 2, horizon=5, branching=3, rng=1)
    mu, v_mu, _ = mixture_baseline(mdp, 0.5)
    return mdp, mu, v_mu


def _exact(mdp, pi):
    return float(mdp.rho @ evaluate_policy(mdp, pi).V[0])


# ------------------------------------------------------------------------------ statistics
def test_offline_counts_match_per_step_counts_and_pool():
    mdp = random_mdp(4, 3, horizon=4, rng=0, stationary=False)
    data = rollout(mdp, np.full((4, 4, 3), 1 / 3), 500, rng=2)
    n_sa, n_sas = offline_counts(data, pooled=False)
    ref = data.to_counts()
    np.testing.assert_array_equal(n_sa, ref.counts)
    np.testing.assert_array_equal(n_sas, ref.next_counts)
    p_sa, p_sas = offline_counts(data, pooled=True)
    np.testing.assert_array_equal(p_sa[0], n_sa.sum(0))
    np.testing.assert_array_equal(p_sas[0], n_sas.sum(0))
    assert n_sa.sum() == 500 * 4


def test_log_terms_are_the_stated_formulas():
    S, A, H, n, d = 5, 2, 5, 1000, 0.1
    for pooled, Hc in ((True, 1), (False, H)):
        w = offline_log_term(S, A, H, n, d, pooled)
        assert w == pytest.approx(2 * (S * math.log(2) + math.log(S * A * Hc * n * H / (d / 2))))
    assert return_ucb_width(H, n, d) == pytest.approx(H * math.sqrt(math.log(2 / d) / (2 * n)))


@pytest.mark.parametrize("stationary", [True, False])
def test_plan_value_equals_the_agents_pessimistic_kernel(stationary):
    """V_lo = rho @ max_a Qlow_0 equals the online agents' pessimistic evaluation of pi_hat."""
    mdp = random_mdp(5, 2, horizon=5, branching=3, rng=3, stationary=stationary)
    mu = mixture_baseline(mdp, 0.5)[0]
    data = rollout(mdp, mu, 3000, rng=4)
    lb = baseline_from_dataset(mdp, data, ALPHA, delta=0.1)
    assert lb.pooled == stationary
    n_sa, n_sas = offline_counts(data, lb.pooled)
    v = _k.pessimistic_value(mdp.R_stages, n_sa, n_sas, mdp.horizon, np.array(lb.policy),
                             mdp.rho, lb.w_conf, 1.0)
    assert lb.v_lower == pytest.approx(v, abs=1e-10)
    # greedy and one-hot
    assert np.all(lb.policy.sum(-1) == 1.0)
    np.testing.assert_array_equal(lb.policy.argmax(-1), np.asarray(lb.q_lower).argmax(-1))


def test_pessimistic_plan_unvisited_pairs_are_zero():
    R = np.full((1, 2, 2), 0.5)
    n_sa = np.zeros((1, 2, 2), dtype=np.int64)
    n_sas = np.zeros((1, 2, 2, 2), dtype=np.int64)
    q, v, g = pessimistic_plan(R, n_sa, n_sas, 3, 10.0)
    assert np.all(q == 0) and np.all(v == 0) and np.all(g == 0)


# ------------------------------------------------------------------------------ validity
@pytest.mark.parametrize("n", [300, 2000])
def test_bounds_hold_at_the_binomial_rate(garnet, n):
    """V_lo <= V^{pi_hat} and V_ref_hi >= V^mu, each failing w.p. <= delta / 2 per seed."""
    mdp, mu, v_mu = garnet
    delta, n_seeds = 0.1, 40
    fail_lo = fail_hi = 0
    for seed in range(n_seeds):
        lb = learn_baseline(mdp, mu, n, ALPHA, delta=delta, rng=seed)
        fail_lo += lb.v_lower > _exact(mdp, lb.policy) + 1e-12
        fail_hi += lb.v_ref_upper < v_mu
    c = binomial_reject_count(n_seeds, delta / 2)
    assert fail_lo < c and fail_hi < c


def test_bounds_hold_on_a_stage_dependent_mdp():
    mdp = random_mdp(4, 2, horizon=4, branching=2, rng=7, stationary=False)
    mu, v_mu, _ = mixture_baseline(mdp, 0.3)
    delta, n_seeds = 0.1, 30
    fails = 0
    for seed in range(n_seeds):
        lb = learn_baseline(mdp, mu, 1000, ALPHA, delta=delta, rng=seed)
        assert not lb.pooled and lb.n_sa.shape == (4, 4, 2)
        fails += (lb.v_lower > _exact(mdp, lb.policy) + 1e-12) or lb.v_ref_upper < v_mu
    assert fails < binomial_reject_count(n_seeds, delta)


def test_large_n_condition_holds_and_v_lower_approaches_v_star(garnet):
    mdp, mu, v_mu = garnet
    v_star = optimal_value(mdp)
    gaps = []
    for n in (2_000, 20_000, 200_000):
        lb = learn_baseline(mdp, mu, n, ALPHA, rng=11)
        assert isinstance(lb, LearnedBaseline) and lb.n_episodes == n
        assert lb.condition_holds and lb.alpha_agent > 0
        assert lb.v_lower <= v_star + 1e-12
        gaps.append(v_star - lb.v_lower)
    assert gaps[0] > gaps[1] > gaps[2]
    assert gaps[2] < 0.1 * v_star
    assert lb.v_ref_upper - v_mu < 0.05
    # threshold bookkeeping: (1 - alpha_agent) V_lo = (1 - alpha) V_ref_hi
    agent = learned_agent(lb, "stepmix")
    agent.reset(mdp, 10)
    assert agent.threshold == pytest.approx(lb.threshold, rel=1e-12)
    assert lb.threshold == pytest.approx((1 - ALPHA) * lb.v_ref_upper)


def test_tiny_n_condition_fails_and_the_agent_is_refused(garnet):
    mdp, mu, _ = garnet
    lb = learn_baseline(mdp, mu, 10, ALPHA, rng=0)
    assert not lb.condition_holds and lb.alpha_agent <= 0
    for kind in ("stepmix", "epsmix"):
        with pytest.raises(ValueError, match="n_episodes"):
            learned_agent(lb, kind)
    with pytest.raises(ValueError, match="n_episodes"):
        lb.make_agent()


def test_mean_reward_datasets_are_accepted(garnet):
    mdp, mu, v_mu = garnet
    lb = learn_baseline(mdp, mu, 5000, ALPHA, rng=5, reward="mean")
    assert lb.v_ref_upper >= v_mu and lb.condition_holds


# ------------------------------------------------------------------------------ sufficient n
def test_sufficient_n_is_minimal_and_monotone(garnet):
    mdp, mu, v_mu = garnet
    d_min = optimal_coverage(mdp, mu)
    assert 0 < d_min <= 1
    kw = dict(v_star=optimal_value(mdp), v_ref=v_mu, alpha=ALPHA, d_min=d_min)
    n0 = sufficient_n(5, 2, 5, **kw, pooled=True)
    assert sufficient_n(5, 2, 5, **kw, pooled=False) >= n0  # more cells in the union
    assert sufficient_n(5, 2, 5, **{**kw, "alpha": 0.5}, pooled=True) < n0
    assert sufficient_n(5, 2, 5, **{**kw, "d_min": d_min / 2}, pooled=True) > n0


def test_condition_holds_at_sufficient_n(garnet):
    """Proven: at n = sufficient_n the condition holds w.p. >= 1 - delta - delta_cover."""
    mdp, mu, v_mu = garnet
    delta, n_seeds = 0.1, 20
    v_star = optimal_value(mdp)
    d_min = optimal_coverage(mdp, mu)
    n = sufficient_n(5, 2, 5, v_star=v_star, v_ref=v_mu, alpha=ALPHA, d_min=d_min, delta=delta,
                     pooled=mdp.is_stationary)
    B = 5 * 4 / 2 * math.sqrt(2 * offline_log_term(5, 2, 5, n, delta, True) / (n * d_min))
    fails = bound_fails = 0
    for seed in range(n_seeds):
        lb = learn_baseline(mdp, mu, n, ALPHA, delta=delta, rng=100 + seed)
        fails += not lb.condition_holds
        bound_fails += v_star - lb.v_lower > B  # step 2 of the proof
    assert fails < binomial_reject_count(n_seeds, 2 * delta)
    assert bound_fails < binomial_reject_count(n_seeds, 2 * delta)


def test_sufficient_n_closed_form_without_transitions():
    # H = 1: V_lo = V* exactly, only the Hoeffding term and the coverage floor remain
    n = sufficient_n(1, 2, 1, v_star=1.0, v_ref=0.5, alpha=0.1, d_min=0.5, delta=0.1)
    assert n == math.ceil(8 * math.log(1 / 0.1) / 0.5)


# ------------------------------------------------------------------------------ end to end
@pytest.mark.parametrize("kind", ["stepmix", "epsmix"])
def test_end_to_end_no_violations_of_the_reference_constraint(garnet, kind):
    """delta_offline = delta_online = 0.05: a run violates w.p. <= 0.1."""
    mdp, mu, v_mu = garnet
    thr = (1 - ALPHA) * v_mu
    n_runs, bad, regrets = 8, 0, []
    for seed in range(n_runs):
        lb = learn_baseline(mdp, mu, 20_000, ALPHA, delta=0.05, rng=1000 + seed)
        assert lb.condition_holds
        agent = learned_agent(lb, kind, delta=0.05)
        assert isinstance(agent, StepMix if kind == "stepmix" else EpsMix)
        res = run_online(mdp, agent, 3000, rng=seed, threshold=thr)
        bad += res.n_violations > 0
        regrets.append(res.cumulative_regret[-1])
    assert bad <= stats.binom.ppf(0.999, n_runs, 0.1)
    assert np.all(np.isfinite(regrets)) and np.all(np.asarray(regrets) >= -1e-9)


def test_learned_agent_passes_kwargs(garnet):
    mdp, mu, _ = garnet
    lb = learn_baseline(mdp, mu, 20_000, ALPHA, rng=3)
    a = learned_agent(lb, "stepmix", delta=0.2, bonus="ch", bonus_scale=0.5)
    assert (a.bonus, a.bonus_scale, a.delta, a.alpha) == ("ch", 0.5, 0.2, lb.alpha_agent)
    assert learned_agent(lb).bonus == "bf"
    res = run_online(mdp, a, 50, rng=0)
    assert res.values.shape == (50,)
    assert exact_value(mdp, lb.policy) >= lb.v_lower


# ------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize("n", [0, -3, 1.5, True])
def test_bad_n_episodes(garnet, n):
    mdp, mu, _ = garnet
    with pytest.raises(ValueError, match="^n_episodes"):
        learn_baseline(mdp, mu, n, ALPHA)


@pytest.mark.parametrize("alpha", [0.0, 1.0, -0.1, 1.5, float("nan")])
def test_bad_alpha(garnet, alpha):
    mdp, mu, _ = garnet
    with pytest.raises(ValueError, match="^alpha"):
        learn_baseline(mdp, mu, 100, alpha)


@pytest.mark.parametrize("behavior", [np.full((5, 5, 3), 1 / 3), np.zeros((4, 5), dtype=int),
                                      np.full((5, 5, 2), 0.7), np.full((5, 4), 9)])
def test_bad_behavior(garnet, behavior):
    mdp, _, _ = garnet
    with pytest.raises(ValueError, match="^behavior"):
        learn_baseline(mdp, behavior, 100, ALPHA)


def test_other_bad_input(garnet):
    mdp, mu, v_mu = garnet
    with pytest.raises(ValueError, match="^delta"):
        learn_baseline(mdp, mu, 100, ALPHA, delta=1.0)
    with pytest.raises(ValueError, match="^mdp"):
        learn_baseline("not an mdp", mu, 100, ALPHA)
    with pytest.raises(ValueError, match="^pooled"):
        learn_baseline(random_mdp(3, 2, horizon=3, rng=0, stationary=False),
                       np.zeros((3, 3), dtype=int), 100, ALPHA, pooled=True)
    lb = learn_baseline(mdp, mu, 5000, ALPHA, rng=0)
    with pytest.raises(ValueError, match="^kind"):
        learned_agent(lb, "ucbvi")
    with pytest.raises(ValueError, match="^lb"):
        learned_agent(object())
    with pytest.raises(ValueError, match="^dataset"):
        baseline_from_dataset(mdp, rollout(random_mdp(4, 2, horizon=5, rng=0),
                                           np.zeros((5, 4), dtype=int), 10, rng=0), ALPHA)
    kw = dict(v_star=4.0, v_ref=3.0, alpha=ALPHA)
    with pytest.raises(ValueError, match="^d_min"):
        sufficient_n(5, 2, 5, **kw, d_min=0.0)
    with pytest.raises(ValueError, match="^v_ref"):
        sufficient_n(5, 2, 5, v_star=4.0, v_ref=5.0, alpha=ALPHA, d_min=0.1)
