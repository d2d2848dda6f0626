"""LCB for offline multi-armed and contextual bandits (rlth.algorithms.offline.lcb), its baselines, the
hard instances and the lcb experiments' batch runners.

Statistical tests state their tolerance: the allowed number of failures is the (1 - 1e-6)
binomial quantile, so a correct implementation fails with probability < 1e-6.
"""
import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import binom

from rlth.algorithms.offline.lcb import (PAPER_C_CB, PAPER_C_MAB, lcb_bandit, lcb_contextual,
                                 lcb_from_counts, lcb_penalty)
from rlth.algorithms.offline.baselines import (empirical_mdp, greedy_from_counts, most_played,
                                               ucb_from_counts)
from rlth.data import BanditDataset, sample_bandit_dataset, sample_contextual_dataset
from rlth.instances import offline_pessimism as li
from rlth.theory import lcb as lcb_theory
from rlth.models.bandits import ContextualBandit, MultiArmedBandit
from rlth.solvers.occupancy import concentrability, occupancy


def _random_stats(rng, S, A, max_n=30, zero_frac=0.2):
    """Counts and continuous reward sums (rewards in [0, 1]) without ties in r_hat."""
    counts = rng.integers(1, max_n, size=(S, A))
    counts[rng.random((S, A)) < zero_frac] = 0
    sums = counts * rng.random((S, A))
    return counts, sums


# ------------------------------------------------------------------------------ the algorithm
def test_penalty_formula_and_unvisited_convention():
    counts = np.array([[0, 4, 100]])
    b = lcb_penalty(counts, delta=0.01, c=2000.0)
    L = math.log(2 * 3 / 0.01)
    np.testing.assert_allclose(b[0], [1.0, math.sqrt(2000 * L / 4), math.sqrt(2000 * L / 100)])
    res = lcb_from_counts(counts, np.array([[0.0, 4.0, 50.0]]), delta=0.01, c=2000.0)
    assert res.lower[0, 0] == -1.0                       # unvisited: r_hat 0, b 1
    assert res.delta == 0.01 and res.c == PAPER_C_CB


def test_default_delta_is_one_over_n():
    res = lcb_from_counts(np.array([[3, 7]]), np.array([[1.0, 2.0]]))
    assert res.delta == pytest.approx(1 / 10)
    res = lcb_from_counts(np.array([[3, 7]]), np.array([[1.0, 2.0]]), n_samples=1000)
    assert res.delta == pytest.approx(1e-3)


def test_uncapped_penalty_prefers_unvisited_and_clipped_prefers_visited():
    # pitfall 1: a logged reward of 1 with penalty > 2 scores below the unvisited -1
    counts, sums = np.array([[0, 1]]), np.array([[0.0, 1.0]])
    assert lcb_from_counts(counts, sums, c=2000.0).policy[0] == 0
    assert lcb_from_counts(counts, sums, c=2000.0, clipped=True).policy[0] == 1


def test_expert_data_returns_expert_action_when_penalty_small():
    # only a* = 2 logged; b(a*) < 1 + r_hat(a*): LCB returns a*
    counts = np.array([[0, 0, 10**7]])
    sums = np.array([[0.0, 0.0, 0.9e7]])
    res = lcb_from_counts(counts, sums, c=2000.0)
    assert res.bonus[0, 2] < 1 + 0.9
    assert res.policy[0] == 2


def test_c_zero_is_greedy_and_c_small_is_greedy_without_ties():
    rng = np.random.default_rng(0)
    for _ in range(200):
        counts, sums = _random_stats(rng, 4, 5)
        g = greedy_from_counts(counts, sums)
        np.testing.assert_array_equal(lcb_from_counts(counts, sums, c=0.0).policy, g)
        np.testing.assert_array_equal(lcb_from_counts(counts, sums, c=1e-14).policy, g)


def test_c_large_is_most_played_when_all_visited():
    rng = np.random.default_rng(1)
    checked = 0
    for _ in range(200):
        counts, sums = _random_stats(rng, 4, 5, zero_frac=0.0)
        srt = np.sort(counts, axis=1)
        rows = srt[:, -1] != srt[:, -2]                  # unique most-played action
        pol = lcb_from_counts(counts, sums, c=1e12).policy
        np.testing.assert_array_equal(pol[rows], most_played(counts)[rows])
        checked += rows.sum()
    assert checked > 500


def test_output_depends_only_on_sufficient_statistics():
    rng = np.random.default_rng(2)
    S, A, n = 3, 4, 500
    s = rng.integers(0, S, n)
    a = rng.integers(0, A, n)
    r = rng.random(n)

    def stats(order):
        counts = np.zeros((S, A), dtype=np.int64)
        sums = np.zeros((S, A))
        np.add.at(counts, (s[order], a[order]), 1)
        np.add.at(sums, (s[order], a[order]), r[order])
        return counts, sums

    base = lcb_from_counts(*stats(np.arange(n)), c=0.5)
    perm = lcb_from_counts(*stats(rng.permutation(n)), c=0.5)
    np.testing.assert_array_equal(base.policy, perm.policy)
    np.testing.assert_allclose(base.lower, perm.lower)


def test_validity_probability_at_least_one_minus_delta():
    """Pr(exists visited (s,a): r_hat - b > r) <= delta/2 for c = 1/2 (one-sided Hoeffding per
    cell, exp(-2 n b^2) = delta/(2|S||A|), then a union bound over the |S||A| cells, conditionally
    on the counts).  2000 datasets; allowed failures: the (1 - 1e-6)-quantile of Bin(2000, delta/2),
    so a correct implementation fails with probability < 1e-6."""
    cb = ContextualBandit([0.3, 0.7], [[0.2, 0.5, 0.9], [0.05, 0.6, 0.4]])
    mu = np.array([[0.1, 0.1, 0.1], [0.3, 0.2, 0.2]])
    delta, n_seeds, N = 0.2, 2000, 40
    fails = 0
    for seed in range(n_seeds):
        d = sample_contextual_dataset(cb, mu, N, rng=seed)
        res = lcb_from_counts(d.counts, d.reward_sums, delta=delta, c=0.5)
        visited = d.counts > 0
        fails += bool(np.any(res.lower[visited] > cb.means[visited]))
    assert fails <= binom.ppf(1 - 1e-6, n_seeds, delta / 2)
    # and the penalty is what makes it valid: without it the event fails often.  Lower bound of
    # its per-dataset probability from the single cell (0, 1) (mean 1/2, mu = 0.1):
    # p_lb = sum_n Bin(N, 0.1)(n) Pr(Bin(n, 1/2) > n/2) (about 0.4); the count of failures over
    # 300 datasets dominates Bin(300, p_lb), whose 1e-7-quantile is the threshold (a correct
    # implementation fails this part with probability < 1e-7).
    n_range = np.arange(1, N + 1)
    p_lb = float(np.sum(binom.pmf(n_range, N, 0.1) * binom.sf(np.floor(n_range / 2), n_range, 0.5)))
    fails0 = 0
    for seed in range(300):
        d = sample_contextual_dataset(cb, mu, N, rng=seed)
        r_hat = d.reward_sums / np.maximum(d.counts, 1)
        fails0 += bool(np.any(r_hat[d.counts > 0] > cb.means[d.counts > 0]))
    assert p_lb > 0.3
    assert fails0 >= binom.ppf(1e-7, 300, p_lb)


def test_lcb_bandit_validity_at_c_one_half():
    """lcb_bandit (Algorithm 1, default c = 1/2): the lower bound of the chosen arm and of every
    visited arm is valid, Pr(exists visited a: r_hat(a) - b(a) > r(a)) <= delta/2 (one-sided
    Hoeffding + union bound over the K arms, conditionally on the counts).  lcb_bandit only
    returns the arm, so the bounds are recomputed with lcb_from_counts on the same statistics and
    the arm is checked to be their lowest-index argmax.  4000 datasets, delta = 0.5; allowed
    failures: the (1 - 1e-6)-quantile of Bin(4000, delta/2) (failure probability < 1e-6 for a
    correct implementation).  Observed rate ~0.027 (Hoeffding is loose for Bernoulli rewards);
    power: with c = 1/8 (the penalty halved) the rate is ~0.36, above the threshold (~0.28)."""
    bandit = MultiArmedBandit([0.5, 0.45, 0.3, 0.7])
    behavior = np.array([0.4, 0.3, 0.2, 0.1])
    delta, n_seeds, N = 0.5, 4000, 30
    fails = 0
    for seed in range(n_seeds):
        d = sample_bandit_dataset(bandit, behavior, N, rng=seed)
        arm = lcb_bandit(d, delta=delta)
        res = lcb_from_counts(d.counts[None], d.reward_sums[None], delta=delta, c=0.5)
        lower = res.lower[0]
        assert arm == int(np.flatnonzero(lower == lower.max())[0])
        np.testing.assert_allclose(res.bonus[0][d.counts > 0],
                                   np.sqrt(np.log(2 * 4 / delta) / (2 * d.counts[d.counts > 0])))
        visited = d.counts > 0
        fails += bool(np.any(lower[visited] > bandit.means[visited]))
    assert fails <= binom.ppf(1 - 1e-6, n_seeds, delta / 2)


def test_pessimism_inequality_on_the_good_event():
    """On {|r_hat - r| <= b on visited cells}: r(s,a) - r(s,pi_hat(s)) <= 2 b(s,a) for every
    visited a (deterministic, checked dataset by dataset)."""
    rng = np.random.default_rng(3)
    n_event = 0
    for seed in range(400):
        S, A = 3, 4
        means = rng.random((S, A))
        cb = ContextualBandit(np.full(S, 1 / S), means)
        mu = rng.dirichlet(np.ones(S * A)).reshape(S, A)
        d = sample_contextual_dataset(cb, mu, int(rng.integers(5, 200)), rng=seed)
        for clipped in (False, True):
            res = lcb_from_counts(d.counts, d.reward_sums, c=0.5, clipped=clipped)
            visited = d.counts > 0
            if np.any(np.abs(res.r_hat - means)[visited] > res.bonus[visited]):
                continue
            n_event += 1
            chosen = means[np.arange(S), res.policy]
            gap = means - chosen[:, None]
            assert np.all(gap[visited] <= 2 * res.bonus[visited] + 1e-12)
    assert n_event > 300


def test_mab_wrapper_and_dataset_wrapper():
    d = BanditDataset(np.array([5, 50]), np.array([5.0, 30.0]), np.array([5.0, 30.0]), 55)
    assert lcb_bandit(d, c=PAPER_C_MAB) == 1
    assert lcb_bandit(d, c=0.0) == 0
    cbd = sample_contextual_dataset(ContextualBandit([0.5, 0.5], [[0.1, 0.9], [0.8, 0.2]]),
                                    np.full((2, 2), 0.25), 10**6, rng=0)
    np.testing.assert_array_equal(lcb_contextual(cbd).policy, [1, 0])


@pytest.mark.parametrize("kwargs, name", [
    (dict(counts=np.array([[1, -1]]), reward_sums=np.zeros((1, 2))), "counts"),
    (dict(counts=np.array([[1.5, 1]]), reward_sums=np.zeros((1, 2))), "counts"),
    (dict(counts=np.array([1, 1]), reward_sums=np.zeros(2)), "counts"),
    (dict(counts=np.array([[1, 1]]), reward_sums=np.zeros((1, 3))), "reward_sums"),
    (dict(counts=np.array([[1, 1]]), reward_sums=np.zeros((1, 2)), delta=0.0), "delta"),
    (dict(counts=np.array([[1, 1]]), reward_sums=np.zeros((1, 2)), delta=2.0), "delta"),
    (dict(counts=np.array([[1, 1]]), reward_sums=np.zeros((1, 2)), c=-1.0), "c"),
])
def test_bad_input_names_the_argument(kwargs, name):
    with pytest.raises(ValueError, match=f"^{name}:"):
        lcb_from_counts(**kwargs)


# ------------------------------------------------------------------------------ baselines
def test_baselines_conventions():
    counts = np.array([[3, 0, 5], [0, 0, 0]])
    sums = np.array([[0.0, 0.0, 1.0], [0.0, 0.0, 0.0]])
    np.testing.assert_array_equal(greedy_from_counts(counts, sums), [2, 0])   # visited only
    np.testing.assert_array_equal(ucb_from_counts(counts, sums, c=0.5), [1, 0])  # unvisited +1
    np.testing.assert_array_equal(most_played(counts), [2, 0])
    np.testing.assert_array_equal(most_played(np.array([1, 4, 4])), [1])
    P, r = empirical_mdp(np.array([[2, 0]]), np.array([[1.0, 0.0]]), np.array([[[2], [0]]]))
    np.testing.assert_allclose(P[0, 1], [1.0])           # unvisited: self-loop
    assert r[0, 1] == 0.0


# ------------------------------------------------------------------------------ C* utility
def test_concentrability_at_least_one_equality_iff_expert():
    """C* >= 1 always, = 1 for mu = d_{pi*}, > 1 for any other mu covering d_{pi*}."""
    from rlth.instances import random_mdp
    rng = np.random.default_rng(4)
    for seed in range(25):
        mdp = random_mdp(4, 3, gamma=0.8, rng=seed)
        from rlth.solvers.dp import policy_iteration
        pi = policy_iteration(mdp).pi
        d = occupancy(mdp, pi)
        assert concentrability(mdp, pi, behavior_distribution=d) == pytest.approx(1.0)
        mu = rng.dirichlet(np.ones(12)).reshape(4, 3)
        mix = 0.5 * d + 0.5 * mu
        c = concentrability(mdp, pi, behavior_distribution=mix)
        assert c >= 1.0 and not np.isclose(c, 1.0) and c <= 2.0 + 1e-9


def test_instances_closed_form_c_star_matches_solver():
    for C in (1.02, 1.5, 2.0, 4.0):
        inst = li.cb_ambiguous(10, C, 10**5)
        m = inst.model.to_mdp()
        got = concentrability(m, inst.optimal_policy[None], behavior_distribution=inst.behavior[None])
        assert got == pytest.approx(C, rel=1e-9)
        assert inst.model.optimal_policy.tolist() == inst.optimal_policy.tolist()
    inst = li.cb_expert(10, 1000)
    assert concentrability(inst.model.to_mdp(), inst.optimal_policy[None],
                           behavior_distribution=inst.behavior[None]) == pytest.approx(1.0)
    for C in (1.5, 2.0, 16.0):
        inst = li.mab_two_point(C, 1000)
        assert 1.0 / inst.behavior[inst.model.best_arm] == pytest.approx(C)
    for gamma in (0.5, 0.9, 0.99):
        inst = li.mdp_replicas(5, gamma, 10**8)
        assert concentrability(inst.model, inst.optimal_policy,
                               behavior_distribution=inst.behavior) == pytest.approx(2.0)
    inst = li.mdp_expert(10, 0.9, 1000)
    assert concentrability(inst.model, inst.optimal_policy,
                           behavior_distribution=inst.behavior) == pytest.approx(1.0)


def test_least_favorable_gap_is_the_argmax_of_its_objective():
    g = li.least_favorable_gap(100.0, 100.0, 0.5, 5.0)
    sigma = 0.5 * math.sqrt(2 / 100)
    assert g == pytest.approx(0.752 * sigma, rel=0.02)   # argmax_x x Phi(-x/sigma) = 0.752 sigma
    assert li.least_favorable_gap(10.0, 1000.0, 2000.0, 10.0) == pytest.approx(0.5)


def test_expert_cb_closed_form_matches_monte_carlo():
    """Clipped LCB on the expert CB (S = 10, N = 200): rewards are deterministic and only a* is
    logged, so the loss of every dataset is exactly (number of unvisited rare contexts) / N
    (checked dataset by dataset), and E[loss] = (S-1)/N (1-1/N)^N.  Exact test of the closed
    form: for each of the S-1 rare contexts, the number of datasets (out of 3000) in which it is
    unvisited is Bin(3000, (1-1/N)^N); each must lie between the 1e-6/18 and 1 - 1e-6/18
    binomial quantiles (Bonferroni over 9 contexts x 2 sides: failure probability < 1e-6)."""
    S, N, n_seeds = 10, 200, 3000
    inst = li.cb_expert(S, N)
    unvisited = np.zeros(S - 1, dtype=np.int64)
    losses = []
    for seed in range(n_seeds):
        d = sample_contextual_dataset(inst.model, inst.behavior, N, rng=seed)
        pol = lcb_from_counts(d.counts, d.reward_sums, c=PAPER_C_CB, clipped=True).policy
        loss = inst.model.optimal_value - inst.model.value(pol)
        miss = d.counts[1:].sum(axis=1) == 0
        assert loss == pytest.approx(miss.sum() / N, abs=1e-12)
        unvisited += miss
        losses.append(loss)
    q = (1 - 1 / N) ** N
    assert lcb_theory.cb_expert_closed_form(S, N) == pytest.approx((S - 1) / N * q, rel=1e-12)
    a = 1e-6 / (2 * (S - 1))
    assert np.all(unvisited >= binom.ppf(a, n_seeds, q))
    assert np.all(unvisited <= binom.isf(a, n_seeds, q))
    assert np.mean(losses) == pytest.approx(unvisited.sum() / (N * n_seeds), abs=1e-12)


def test_mpa_error_probability_matches_monte_carlo():
    inst = li.mab_two_point(1.5, 30)
    wrong = [most_played(sample_bandit_dataset(inst.model, inst.behavior, 30, rng=s).counts)[0] != 1
             for s in range(4000)]
    p = lcb_theory.mpa_error_probability(30, 1 / 1.5)
    k = int(np.sum(wrong))
    assert binom.ppf(1e-7, 4000, p) <= k <= binom.ppf(1 - 1e-7, 4000, p)


@pytest.mark.parametrize("call, name", [
    (lambda: li.mab_two_point(1.0, 100), "c_star"),
    (lambda: li.mab_two_point(2.0, 100, gap=0.7), "gap"),
    (lambda: li.cb_expert(1, 100), "n_contexts"),
    (lambda: li.mdp_replicas(5, 0.1, 100), "gamma"),
    (lambda: li.mdp_replicas(5, 0.99, 10), "n_samples"),
    (lambda: li.mdp_expert(2, 0.9, 100), "n_states"),
])
def test_instance_bad_input(call, name):
    with pytest.raises(ValueError, match=f"^{name}:"):
        call()


# ------------------------------------------------------------------------------ experiments
def _experiments():
    path = Path(__file__).resolve().parents[3] / "experiments" / "lcb.py"
    spec = importlib.util.spec_from_file_location("lcb_experiments_under_test", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_batch_runners_equal_per_replicate_runs():
    mod = _experiments()
    cases = [(mod.run_mab, mod.run_mab_batch, {"N": 300, "C": 4.0, "c": 0.5}),
             (mod.run_mab, mod.run_mab_batch, {"N": 40, "C": 1.5, "c": 0.5, "grid": "lin"}),
             (mod.run_cb, mod.run_cb_batch, {"N": 1000, "kind": "expert", "S": 10}),
             (mod.run_cb, mod.run_cb_batch, {"N": 3000, "kind": "ambiguous", "C": 1.5, "S": 10,
                                             "sweep": "N"})]
    for run, run_batch, params in cases:
        seeds = [np.random.SeedSequence(7, spawn_key=(i,)) for i in range(6)]
        batch = run_batch(params, [np.random.default_rng(s) for s in seeds])
        single = [run(params, np.random.default_rng(s)) for s in seeds]
        assert batch == single


def test_experiments_are_registered_with_known_theorems():
    from rlth import theory
    mod = _experiments()
    names = [e.name for e in mod.EXPERIMENTS]
    assert names == [f"lcb_s{i}" for i in range(1, 7)]
    for e in mod.EXPERIMENTS:
        for chk in e.checks:
            theory.get(chk.theorem)
