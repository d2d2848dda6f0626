"""Standing bad-input suite (issue 17): every public entry point of the models, instances,
samplers (rlth.data), estimators, LCB / VI-LCB functions and online agents answers bad input
(NaN/inf, complex, wrong dtype and shape, ragged lists, empty, negative, huge, out-of-range
parameters) with a ``ValueError`` whose message starts with the argument's name
(docs/explanation/conventions.md section 4), and never returns a result.

Also pins the kernels' behaviour on out-of-range uniforms (they clamp, never read out of bounds).
New public functions join the tables below.
"""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rlth._kernels.sampling import inverse_cdf_draw
from rlth._validation import MAX_ARRAY_BYTES, as_float_array
from rlth.algorithms.offline.baselines import ucb_from_counts
from rlth.algorithms.offline.lcb import (lcb_from_counts, lcb_penalty, vi_lcb, vi_lcb_n_folds,
                                         vi_lcb_penalty)
from rlth.algorithms.online.runner import run_online
from rlth.algorithms.online.stepmix import EpsMix, StepMix, mixture_baseline
from rlth.algorithms.online.ucbvi import UCBVI
from rlth.data import (BanditDataset, ContextualDataset, SparseTransitionDataset,
                       TransitionDataset, alias_draw,
                       build_alias, rollout, sample_bandit_dataset, sample_contextual_dataset,
                       sample_transition_dataset, sample_transition_folds)
from rlth.estimators import (argmax_rows, check_counts, empirical_bernstein_width,
                             empirical_mdp, empirical_means,
                             hoeffding_log_term, hoeffding_width, resolve_delta,
                             weissman_l1_log_term, weissman_width)
from rlth.instances import (chain, gridworld, random_linear_mdp, random_markov_game, random_mdp,
                            random_transitions, riverswim, rock_paper_scissors)
from rlth.instances.dueling import tabular_dueling_bandit
from rlth.instances.offline_pessimism import least_favorable_gap
from rlth.models.mdp import uniform_rho
from rlth.models.policy import deterministic_to_stochastic
from rlth.instances.preference import bradley_terry, linear_preference
from rlth.models import (ContextualBandit, DiscountedMDP, FiniteHorizonMDP, LinearMDP,
                         MarkovGame, MatrixGame, MultiArmedBandit, SparseDiscountedMDP,
                         SparseFiniteHorizonMDP, as_stochastic_policy)

from _rejects import rejects  # tests/harness/_rejects.py

HUGE = 10**7  # with a 2-D or 3-D array of this side, far above any machine's memory
assert HUGE**2 * 8 > MAX_ARRAY_BYTES or HUGE**3 * 8 > MAX_ARRAY_BYTES


# ----------------------------------------------------------------------------------- fixtures
def _P(S=2, A=2):
    return np.full((S, A, S), 1.0 / S)


def _mdp(H=3, S=2, A=2, R=None, reward_range=(0.0, 1.0)):
    R = np.full((S, A), 0.5) if R is None else R
    return FiniteHorizonMDP(_P(S, A), R, horizon=H, reward_range=reward_range)


# --------------------------------------------------------- item 1: kernels clamp u, no OOB read
OUT_OF_RANGE_U = [-1e6, -5.0, -1e-300, -np.inf, np.nan, 1.0, 1.0 + 1e-12, 5.0, 1e308, np.inf]


@pytest.mark.parametrize("u", OUT_OF_RANGE_U)
def test_alias_draw_clamps_u_outside_unit_interval(u):
    p = np.array([0.0, 0.3, 0.0, 0.7, 0.0])
    prob, alias = build_alias(p)
    j = int(alias_draw(prob, alias, u))
    assert 0 <= j < p.size and p[j] > 0          # an outcome of positive probability
    lo = int(alias_draw(prob, alias, 0.0))
    hi = int(alias_draw(prob, alias, np.nextafter(1.0, 0.0)))
    assert j == (lo if not u >= 0 else hi)       # NaN and u < 0 act as 0, u >= 1 as 1^-


@pytest.mark.parametrize("u", OUT_OF_RANGE_U)
def test_inverse_cdf_draw_clamps_u_outside_unit_interval(u):
    row = np.array([0.0, 0.3, 0.0, 0.7, 0.0])
    j = int(inverse_cdf_draw(row, u))
    assert row[j] > 0
    assert j == (1 if not u >= 0 else 3)


def _alias_draw_reference(prob, alias, u):
    """The unclamped draw for u in [0, 1) (the kernel before issue 17)."""
    n = prob.shape[0]
    x = u * n
    j = min(int(x), n - 1)
    return j if x - j < prob[j] else alias[j]


def _inverse_cdf_reference(row, u):
    acc = 0.0
    for i in range(row.shape[0] - 1):
        acc += row[i]
        if u < acc:
            return i
    i = row.shape[0] - 1
    while i > 0 and row[i] == 0.0:
        i -= 1
    return i


def test_draws_inside_unit_interval_are_unchanged():
    rng = np.random.default_rng(17)
    for n in (1, 2, 3, 7, 50):
        p = rng.random(n) ** 2
        p[rng.random(n) < 0.3] = 0.0
        p[0] += 0.1
        p /= p.sum()
        prob, alias = build_alias(p)
        us = np.concatenate([rng.random(2000), [0.0, np.nextafter(1.0, 0.0), 0.5, 1e-300]])
        for u in us:
            assert alias_draw(prob, alias, u) == _alias_draw_reference(prob, alias, u)
            assert inverse_cdf_draw(p, u) == _inverse_cdf_reference(p, u)


# ------------------------------------------------------------- item 7: complex input rejected
def test_as_float_array_rejects_complex_strings_and_ragged():
    rejects("x", as_float_array, "x", np.array([1.0, 2.0 + 0j]))
    rejects("x", as_float_array, "x", [1.0, 1j])
    rejects("x", as_float_array, "x", np.complex128(1.0))
    rejects("x", as_float_array, "x", np.array([1.0, 1j], dtype=object))
    rejects("x", as_float_array, "x", "1.5")
    rejects("x", as_float_array, "x", ["1", "2"])
    rejects("x", as_float_array, "x", [[1.0, 2.0], [3.0]])
    rejects("x", as_float_array, "x", [1.0, None])
    np.testing.assert_array_equal(as_float_array("x", [1, 2]), [1.0, 2.0])


COMPLEX_CASES = [
    ("P", lambda c: FiniteHorizonMDP(_P() + 0j, np.zeros((2, 2)), horizon=2)),
    ("R", lambda c: FiniteHorizonMDP(_P(), np.zeros((2, 2)) + c, horizon=2)),
    ("rho", lambda c: FiniteHorizonMDP(_P(), np.zeros((2, 2)), [0.5 + c, 0.5], horizon=2)),
    ("P", lambda c: DiscountedMDP(_P() + 0j, np.zeros((2, 2)), 0.9)),
    ("R", lambda c: DiscountedMDP(_P(), np.zeros((2, 2)) + c, 0.9)),
    ("A", lambda c: MatrixGame(np.eye(2) + c)),
    ("P", lambda c: MarkovGame(np.full((2, 1, 1, 2), 0.5) + 0j, np.zeros((2, 1, 1)),
                               horizon=2)),
    ("R", lambda c: MarkovGame(np.full((2, 1, 1, 2), 0.5), np.zeros((2, 1, 1)) + c, horizon=2)),
    ("phi", lambda c: LinearMDP(np.ones((2, 1, 1)) + 0j, np.full((2, 1), 0.5), [0.5],
                                horizon=2)),
    ("means", lambda c: MultiArmedBandit([0.2 + c, 0.5])),
    ("means", lambda c: ContextualBandit([1.0], [[0.2 + c, 0.5]])),
    ("pi", lambda c: as_stochastic_policy(np.full((2, 2), 0.5) + c, 2, 2, horizon=2)),
    ("behavior", lambda c: sample_bandit_dataset(MultiArmedBandit([0.2, 0.5]), [0.5 + c, 0.5],
                                                 10, rng=0)),
    ("reward_sums", lambda c: BanditDataset([1, 1], [0.5 + c, 0.5], [0.25, 0.25], 2)),
    ("sample_var", lambda c: empirical_bernstein_width([2, 3], [0.1 + c, 0.1], 0.1)),
    ("P", lambda c: SparseFiniteHorizonMDP(sp.csr_matrix(np.eye(2) + 0j), np.zeros((2, 1)),
                                           horizon=2)),
    ("R", lambda c: SparseFiniteHorizonMDP(sp.csr_matrix(np.eye(2)), np.zeros((2, 1)) + c,
                                           horizon=2)),
    ("R", lambda c: SparseDiscountedMDP(sp.csr_matrix(np.eye(2)), np.zeros((2, 1)) + c, 0.9)),
]


@pytest.mark.parametrize("imag", [1e-3j, 0j])
@pytest.mark.parametrize("name,make", COMPLEX_CASES, ids=[f"{i}-{c[0]}" for i, c in
                                                          enumerate(COMPLEX_CASES)])
def test_complex_input_is_rejected_not_cut_to_its_real_part(name, make, imag):
    rejects(name, make, imag)


# ------------------------------------------------------------------ item 8: unvalidated numbers
def test_lcb_numbers_are_validated():
    counts, sums = np.array([[1, 2]]), np.array([[0.5, 1.0]])
    for bad in (-5, 0, 2.7, "100", True, np.nan):
        rejects("n_samples", lcb_from_counts, counts, sums, n_samples=bad)
        rejects("n_samples", ucb_from_counts, counts, sums, n_samples=bad)
        rejects("n_samples", vi_lcb_n_folds, bad, 0.9)
        rejects("n_samples", vi_lcb_penalty, bad, 0.9, 2, 2)
    for bad in (0, -1, 2.5, "2"):
        rejects("n_cells", lcb_from_counts, counts, sums, n_cells=bad)
        rejects("n_cells", lcb_penalty, counts, 0.1, 1.0, bad)
    for bad in (-0.1, 0.0, 1.5, np.nan, np.inf, "0.1"):
        rejects("delta", lcb_penalty, counts, bad, 1.0)
        rejects("delta", lcb_from_counts, counts, sums, delta=bad)
    for bad in (-1.0, np.nan, np.inf, "1"):
        rejects("c", lcb_penalty, counts, 0.1, bad)
        rejects("c", lcb_from_counts, counts, sums, c=bad)
    for bad in (0, -2, 1.5):
        rejects("n_states", vi_lcb_penalty, 100, 0.9, bad, 2)
        rejects("n_actions", vi_lcb_penalty, 100, 0.9, 2, bad)
    rejects("penalty_scale", vi_lcb_penalty, 100, 0.9, 2, 2, penalty_scale=-1.0)
    for bad in (1.0, -0.1, np.nan, "0.9"):
        rejects("gamma", vi_lcb_n_folds, 100, bad)
    mdp = random_mdp(3, 2, gamma=0.9, rng=0)
    folds = sample_transition_folds(mdp, np.full((3, 2), 1 / 6), 30, 3, rng=0)
    for bad in (0, -1, 2.5, "30"):
        rejects("n_samples", vi_lcb, folds, 0.9, n_samples=bad)
    rejects("folds", vi_lcb, [], 0.9)
    rejects("folds", vi_lcb, "abc", 0.9)


def test_sampler_sizes_are_validated():
    mdp = random_mdp(3, 2, gamma=0.9, rng=0)
    mu = np.full((3, 2), 1 / 6)
    bandit = MultiArmedBandit([0.2, 0.5])
    for bad in (-5, 2.7, "10", None, 10**20, np.nan):
        rejects("n_samples", sample_bandit_dataset, bandit, [0.5, 0.5], bad, rng=0)
        rejects("n_samples", sample_transition_dataset, mdp, mu, bad, rng=0)
        rejects("n_samples", sample_transition_folds, mdp, mu, bad, 2, rng=0)
    rejects("n_samples", sample_contextual_dataset, ContextualBandit([1.0], [[0.1, 0.2]]),
            [[0.5, 0.5]], -1, rng=0)
    for bad in (0, -1, 2.5):
        rejects("n_folds", sample_transition_folds, mdp, mu, 10, bad, rng=0)
    # 10**9 folds would build 10**9 datasets: refused at once, not after hours
    rejects("n_folds", sample_transition_folds, mdp, mu, 10**9, 10**9, rng=0)
    rejects("n_episodes", rollout, _mdp(), np.zeros((3, 2), dtype=np.int64), 10**13, rng=0)
    rejects("n_episodes", rollout, _mdp(), np.zeros((3, 2), dtype=np.int64), -1, rng=0)
    rejects("counts", BanditDataset, [1e30, 0], [0.0, 0.0], [0.0, 0.0], 10)


# --------------------------------------------- item 5: online agents need rewards in [0, 1]
@pytest.mark.parametrize("make", [
    lambda m: UCBVI(),
    lambda m: StepMix(np.full((m.horizon, m.n_states, m.n_actions), 1 / m.n_actions), alpha=0.1),
    lambda m: EpsMix(np.full((m.horizon, m.n_states, m.n_actions), 1 / m.n_actions), alpha=0.1),
], ids=["UCBVI", "StepMix", "EpsMix"])
@pytest.mark.parametrize("R", [np.array([[5.0, 0.0], [0.0, 1.0]]),
                               np.array([[-0.5, 0.0], [0.0, 1.0]])])
def test_online_agents_reject_rewards_outside_unit_interval(make, R):
    lo, hi = min(R.min(), 0.0), max(R.max(), 1.0)
    mdp = _mdp(H=4, R=R, reward_range=(lo, hi))
    agent = make(mdp)
    msg = rejects("mdp", run_online, mdp, agent, 3, rng=0)
    assert "[0, 1]" in msg
    rejects("mdp", agent.reset, mdp, 3)


def test_online_agents_accept_unit_rewards_and_check_n_episodes():
    mdp = _mdp(H=3, R=np.array([[0.0, 1.0], [0.5, 0.25]]))
    assert run_online(mdp, UCBVI(), 2, rng=0).values.shape == (2,)
    pi_b, _, _ = mixture_baseline(mdp, 0.5)
    assert run_online(mdp, StepMix(pi_b, alpha=0.1), 2, rng=0).values.shape == (2,)
    for bad in (0, -1, 2.5):
        rejects("n_episodes", UCBVI().reset, mdp, bad)
        rejects("n_episodes", run_online, mdp, UCBVI(), bad, rng=0)


# ----------------------------------------- item 11: arrays above the machine's memory refused
HUGE_CASES = [
    ("n_states", lambda: random_mdp(10**6, 10, horizon=100)),
    ("n_states", lambda: random_mdp(10**6, 10, horizon=100, stationary=False)),
    ("n_states", lambda: random_mdp(HUGE, 2, gamma=0.9)),
    ("shape", lambda: random_transitions((HUGE, 2), HUGE)),
    ("n_states", lambda: random_markov_game(HUGE, 2, 2, 3)),
    ("n_states", lambda: random_linear_mdp(HUGE, 2, 2, 3)),
    ("n_states", lambda: chain(HUGE, horizon=3)),
    ("n_states", lambda: riverswim(HUGE, horizon=3)),
    ("n_rows", lambda: gridworld(10**4, 10**4, horizon=3)),
    ("n_rows", lambda: gridworld(10**6, 10**6, horizon=3, sparse=True)),
    ("n_states", lambda: chain(10**12, horizon=3, sparse=True)),
    ("n_states", lambda: riverswim(10**12, gamma=0.9, sparse=True)),
    ("n_states", lambda: random_mdp(10**12, 4, horizon=3, branching=4, sparse=True)),
    ("horizon", lambda: MarkovGame(np.full((2, 2, 2, 2), 0.5), np.zeros((2, 2, 2)),
                                   horizon=10**13)),
    ("horizon", lambda: LinearMDP(np.ones((2, 2, 1)), np.full((2, 1), 0.5), [0.5],
                                  horizon=10**13)),
    ("horizon", lambda: as_stochastic_policy(np.full((2, 2), 0.5), 2, 2, horizon=10**13)),
]


@pytest.mark.parametrize("name,make", HUGE_CASES,
                         ids=[f"{i}-{c[0]}" for i, c in enumerate(HUGE_CASES)])
def test_models_above_memory_fail_at_once(name, make):
    msg = rejects(name, make)
    assert "MAX_ARRAY_BYTES" in msg


# ------------------------------------------------------------ hand-picked bad inputs, by table
def _nan(a):
    a = np.array(a, dtype=np.float64)
    a.flat[0] = np.nan
    return a


BAD_CASES = [
    # models
    ("P", lambda: FiniteHorizonMDP(_nan(_P()), np.zeros((2, 2)), horizon=2)),
    ("P", lambda: FiniteHorizonMDP(_P() * 2, np.zeros((2, 2)), horizon=2)),
    ("P", lambda: FiniteHorizonMDP(np.ones((2, 2)), np.zeros((2, 2)), horizon=2)),
    ("P", lambda: FiniteHorizonMDP([[[0.5, 0.5]], [[1.0]]], np.zeros((2, 1)), horizon=2)),
    ("P", lambda: FiniteHorizonMDP(np.zeros((0, 0, 0)), np.zeros((0, 0)), horizon=2)),
    ("R", lambda: FiniteHorizonMDP(_P(), np.full((2, 2), 1.5), horizon=2)),
    ("R", lambda: FiniteHorizonMDP(_P(), np.full((2, 2), np.inf), horizon=2)),
    ("R", lambda: FiniteHorizonMDP(_P(), np.zeros((3, 2)), horizon=2)),
    ("rho", lambda: FiniteHorizonMDP(_P(), np.zeros((2, 2)), [1.0, 1.0], horizon=2)),
    ("horizon", lambda: FiniteHorizonMDP(_P(), np.zeros((2, 2)))),
    ("horizon", lambda: FiniteHorizonMDP(_P(), np.zeros((2, 2)), horizon=0)),
    ("horizon", lambda: FiniteHorizonMDP(_P(), np.zeros((2, 2)), horizon=2.5)),
    ("reward_range", lambda: FiniteHorizonMDP(_P(), np.zeros((2, 2)), horizon=2,
                                              reward_range=(1.0, 0.0))),
    ("gamma", lambda: DiscountedMDP(_P(), np.zeros((2, 2)), 1.0)),
    ("gamma", lambda: DiscountedMDP(_P(), np.zeros((2, 2)), np.nan)),
    ("gamma", lambda: DiscountedMDP(_P(), np.zeros((2, 2)), "0.9")),
    ("A", lambda: MatrixGame(np.zeros((0, 2)))),
    ("A", lambda: MatrixGame(_nan(np.eye(2)))),
    ("A", lambda: MatrixGame([[1.0, 2.0], [3.0]])),
    ("means", lambda: MultiArmedBandit([])),
    ("means", lambda: MultiArmedBandit([np.nan, 0.5])),
    ("pi", lambda: as_stochastic_policy(np.array([[0, 5], [0, 0]]), 2, 2, horizon=2)),
    ("pi", lambda: as_stochastic_policy(np.full((2, 2), 0.7), 2, 2)),
    ("pi", lambda: as_stochastic_policy(np.ones((2, 2), dtype=bool), 2, 2)),
    # instances
    ("n_states", lambda: random_mdp(0, 2, horizon=2)),
    ("n_states", lambda: random_mdp(-3, 2, horizon=2)),
    ("n_states", lambda: random_mdp(2.5, 2, horizon=2)),
    ("n_actions", lambda: random_mdp(2, "2", horizon=2)),
    ("alpha", lambda: random_mdp(2, 2, horizon=2, alpha=-1.0)),
    ("branching", lambda: random_mdp(2, 2, horizon=2, branching=3)),
    ("horizon/gamma", lambda: random_mdp(2, 2)),
    ("rho", lambda: random_mdp(2, 2, horizon=2, rho="last")),
    ("slip", lambda: chain(3, horizon=2, slip=np.nan)),
    ("slip", lambda: chain(3, horizon=2, slip="0.1")),
    ("slip", lambda: gridworld(2, 2, horizon=2, slip="0.1")),
    ("small_reward", lambda: riverswim(3, horizon=2, small_reward=1j)),
    ("scale", lambda: rock_paper_scissors(1j)),
    ("start", lambda: gridworld(2, 2, horizon=2, start="ab")),
    ("start", lambda: gridworld(2, 2, horizon=2, start=(0.5, 0))),
    ("goal", lambda: gridworld(2, 2, horizon=2, goal=(5, 5))),
    ("walls", lambda: gridworld(2, 2, horizon=2, walls=[1])),
    ("stationary", lambda: random_mdp(2, 2, horizon=2, stationary="no")),
    # samplers
    ("bandit", lambda: sample_bandit_dataset("bandit", [0.5, 0.5], 10, rng=0)),
    ("behavior", lambda: sample_bandit_dataset(MultiArmedBandit([0.2, 0.5]), [0.7, 0.7], 10,
                                               rng=0)),
    ("mdp", lambda: sample_transition_dataset(None, np.full((3, 2), 1 / 6), 10, rng=0)),
    ("counts", lambda: BanditDataset([-1, 2], [0.0, 1.0], [0.0, 1.0], 1)),
    ("counts", lambda: BanditDataset([0.5, 2], [0.0, 1.0], [0.0, 1.0], 2)),
    ("n_samples", lambda: BanditDataset([1, 2], [0.0, 1.0], [0.0, 1.0], 4)),
    ("counts", lambda: ContextualDataset(np.ones((2, 2), dtype=bool), np.zeros((2, 2)),
                                         np.zeros((2, 2)), 4)),
    ("next_counts", lambda: TransitionDataset([[1]], [[0.0]], [[[2]]], 1)),
    ("probs", lambda: build_alias([-0.1, 1.1])),
    ("probs", lambda: build_alias([0.0, 0.0])),
    ("probs", lambda: build_alias([])),
    ("pi", lambda: rollout(_mdp(), np.full((2, 2), 0.7), 2, rng=0)),
    ("mdp", lambda: rollout(random_mdp(2, 2, gamma=0.5, rng=0), np.zeros(2, dtype=int), 2,
                            rng=0)),
    # estimators
    ("counts", lambda: check_counts([-1, 2])),
    ("next_counts", lambda: empirical_mdp([[1]], [[0.5]], [[[2]]])),
    ("next_counts", lambda: empirical_mdp([[1]], [[0.5]], [[[1 + 1j]]])),
    ("score", lambda: argmax_rows([[np.nan, 1.0]])),
    ("score", lambda: argmax_rows([[1j, 1.0]])),
    ("counts", lambda: check_counts([1.5, 2])),
    ("counts", lambda: check_counts([np.nan])),
    ("reward_sums", lambda: empirical_means([[1, 2]], [[0.5]])),
    ("delta", lambda: resolve_delta(0.0, 10)),
    ("delta", lambda: resolve_delta(2.0, 10)),
    ("delta", lambda: hoeffding_log_term(-1.0)),
    ("n_union", lambda: hoeffding_log_term(0.1, 0.5)),
    ("c", lambda: hoeffding_width([1, 2], 0.1, c=-1.0)),
    ("value_range", lambda: empirical_bernstein_width([2, 3], [0.1, 0.1], 0.1, value_range=0.0)),
    ("sample_var", lambda: empirical_bernstein_width([2, 3], [-0.1, 0.1], 0.1)),
    ("n_states", lambda: weissman_l1_log_term(0, 0.1)),
    ("delta", lambda: weissman_width([1, 2], 2, 1.0)),
    # online agents
    ("bonus", lambda: UCBVI(bonus="x")),
    ("delta", lambda: UCBVI(delta=0.0)),
    ("bonus_scale", lambda: UCBVI(bonus_scale=-1.0)),
    ("mdp", lambda: run_online(random_mdp(2, 2, gamma=0.5, rng=0), UCBVI(), 2, rng=0)),
    ("alpha", lambda: StepMix(np.full((3, 2, 2), 0.5), alpha=-0.1)),
    ("agent", lambda: run_online(_mdp(), "agent", 2, rng=0)),
    ("quality", lambda: mixture_baseline(_mdp(), "0.5")),
    ("quality", lambda: mixture_baseline(_mdp(), np.nan)),
    ("baseline", lambda: run_online(_mdp(), StepMix(np.zeros((3, 2, 2)), alpha=0.1), 2, rng=0)),
]


@pytest.mark.parametrize("name,make", BAD_CASES,
                         ids=[f"{i}-{c[0]}" for i, c in enumerate(BAD_CASES)])
def test_hand_picked_bad_inputs(name, make):
    rejects(name, make)


# ------------------------------------------------------------- hypothesis-generated bad arrays
def _poison(kind: str, a: np.ndarray, i: int):
    a = np.array(a, dtype=np.float64)
    i %= a.size
    if kind == "complex":
        out = a.astype(np.complex128)
        out.flat[i] += 1j
        return out
    if kind == "string":
        return a.astype(str)
    if kind == "ragged":
        rows = a.reshape(a.shape[0], -1).tolist()
        rows[0] = rows[0] + [0.0]
        return rows
    a.flat[i] = {"nan": np.nan, "inf": np.inf, "-inf": -np.inf, "negative": -0.5,
                 "huge": 1e300}[kind]
    return a


KINDS = ["complex", "string", "nan", "inf", "-inf", "negative", "huge"]
TARGETS = {
    # name: (valid array builder, constructor taking it, kinds that must fail)
    "P": (lambda S, A: np.full((S, A, S), 1.0 / S),
          lambda x, S, A: FiniteHorizonMDP(x, np.zeros((S, A)), horizon=2), KINDS + ["ragged"]),
    "R": (lambda S, A: np.full((S, A), 0.5),
          lambda x, S, A: DiscountedMDP(np.full((S, A, S), 1.0 / S), x, 0.5), KINDS),
    "rho": (lambda S, A: np.full(S, 1.0 / S),
            lambda x, S, A: FiniteHorizonMDP(np.full((S, A, S), 1.0 / S), np.zeros((S, A)), x,
                                             horizon=2), KINDS),
    "A": (lambda S, A: np.zeros((S, A)), lambda x, S, A: MatrixGame(x),
          ["complex", "string", "nan", "inf", "-inf"]),
    "pi": (lambda S, A: np.full((S, A), 1.0 / A),
           lambda x, S, A: as_stochastic_policy(x, S, A, horizon=2), KINDS),
    "behavior": (lambda S, A: np.full(S * A, 1.0 / (S * A)),
                 lambda x, S, A: sample_bandit_dataset(MultiArmedBandit(np.full(S * A, 0.5)), x,
                                                       5, rng=0), KINDS),
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(target=st.sampled_from(sorted(TARGETS)), kind=st.sampled_from(KINDS + ["ragged"]),
       S=st.integers(1, 4), A=st.integers(1, 3), i=st.integers(0, 100))
def test_generated_bad_arrays_are_rejected_by_name(target, kind, S, A, i):
    valid, make, kinds = TARGETS[target]
    if kind not in kinds or (kind == "ragged" and target != "P"):
        return
    a = valid(S, A)
    rejects(target, make, _poison(kind, a, i), S, A)


@settings(max_examples=40, deadline=None)
@given(value=st.one_of(st.integers(max_value=0), st.floats(allow_nan=True),
                       st.text(max_size=3), st.booleans(), st.complex_numbers(),
                       st.integers(min_value=2**70)))
def test_generated_bad_sizes_are_rejected_by_name(value):
    mdp = random_mdp(2, 2, gamma=0.5, rng=0)
    rejects("n_states", random_mdp, value, 2, horizon=2)
    rejects("horizon", FiniteHorizonMDP, _P(), np.zeros((2, 2)), horizon=value)
    rejects("n_folds", sample_transition_folds, mdp, np.full((2, 2), 0.25), 10, value, rng=0)
    if not (isinstance(value, int) and value >= 2**70):
        rejects("n_samples", vi_lcb_n_folds, value, 0.9)
    rejects("n_episodes", rollout, _mdp(), np.zeros((3, 2), dtype=np.int64), value
            if not isinstance(value, int) or value < 0 else -1, rng=0)


# ------------------------------- found by the rerun of the review (tools/adversarial_review.py)
RERUN_CASES = [
    # an empty P with a non-empty R: the error names P (it named R, the mismatch, before)
    ("P", lambda: FiniteHorizonMDP(np.zeros((0, 0, 0)), np.full((2, 2), 0.5), horizon=2)),
    ("P", lambda: FiniteHorizonMDP(np.zeros((3, 0, 0, 0)), np.full((2, 2), 0.5), horizon=3)),
    ("P", lambda: DiscountedMDP(np.zeros((0, 0, 0)), np.full((2, 2), 0.5), 0.9)),
    # gridworld: a wall outside the grid was ignored, a wall on start / goal / pit accepted
    ("walls", lambda: gridworld(2, 2, horizon=2, walls=[(7, 7)])),
    ("walls", lambda: gridworld(2, 2, horizon=2, walls=[(-1, 0)])),
    ("walls", lambda: gridworld(2, 2, horizon=2, walls=[(0, 0)])),
    ("walls", lambda: gridworld(3, 3, horizon=2, walls=[(2, 2)])),
    ("walls", lambda: gridworld(3, 3, horizon=2, pit=(1, 1), walls=[(1, 1)])),
    # empty reward tables: "n_actions: must be >= 1" and a ZeroDivisionError before
    ("rewards", lambda: bradley_terry([])),
    ("rewards", lambda: bradley_terry(np.zeros((2, 0)))),
    ("rewards", lambda: linear_preference([])),
    ("rewards", lambda: tabular_dueling_bandit([])),
    ("rewards", lambda: tabular_dueling_bandit(np.zeros((0, 3)))),
    # public helpers without validation: ZeroDivisionError / IndexError / a silent result
    ("n_states", lambda: uniform_rho(0)),
    ("n_states", lambda: uniform_rho(2.5)),
    ("pi", lambda: deterministic_to_stochastic(np.array([0, 5]), 2)),
    ("pi", lambda: deterministic_to_stochastic(np.array([0.5, 1.0]), 2)),
    ("pi", lambda: deterministic_to_stochastic([-1, 0], 2)),
    ("n_actions", lambda: deterministic_to_stochastic(np.array([0, 1]), 0)),
    ("c", lambda: least_favorable_gap(10.0, 5.0, -1.0, 1.0)),
    ("c", lambda: least_favorable_gap(10.0, 5.0, np.nan, 1.0)),
    ("n_star", lambda: least_favorable_gap(-1.0, 5.0, 0.5, 1.0)),
    ("max_gap", lambda: least_favorable_gap(10.0, 5.0, 0.5, 1.0, max_gap=0.9)),
    # a sparse dataset whose CSR structure points past the last state, or runs backwards
    ("indices", lambda: SparseTransitionDataset([[1]], [[0.0]], [[1]], [0, 1], [9], 1)),
    ("indptr", lambda: SparseTransitionDataset([[1], [0]], [[0.0], [0.0]], [[1]], [0, 2, 1],
                                               [0], 1)),
]


@pytest.mark.parametrize("name,make", RERUN_CASES,
                         ids=[f"{i}-{c[0]}" for i, c in enumerate(RERUN_CASES)])
def test_rerun_bad_inputs(name, make):
    rejects(name, make)


def test_rerun_messages_and_valid_neighbours():
    # LinearMDP: a phi/mu size mismatch (or an empty phi) names phi as well as mu
    for phi in (np.ones((1, 2, 1)), np.zeros((0, 0, 0))):
        msg = rejects("mu", LinearMDP, phi, np.full((2, 1), 0.5), [0.5], horizon=2)
        assert "phi" in msg
    m = gridworld(3, 3, horizon=4, pit=(1, 1), walls=[(0, 1)])
    assert m.n_states == 9
    assert bradley_terry([0.0, 1.0]).n_actions == 2
    assert tabular_dueling_bandit([[0.0, 1.0]]).n_responses == 2
    np.testing.assert_array_equal(uniform_rho(4), np.full(4, 0.25))
    np.testing.assert_array_equal(deterministic_to_stochastic(np.array([1, 0]), 2),
                                  [[0.0, 1.0], [1.0, 0.0]])
    assert least_favorable_gap(0.0, 5.0, 0.5, 1.0) == least_favorable_gap(1.0, 5.0, 0.5, 1.0)


@pytest.mark.parametrize("table, match", [
    (((1.0, 0, 0.0, False),), r"table\[0\]\[0\] is missing"),          # flat tuples
    ({0: {0: [(1.5, 0, 0.0, False)]}}, "probability 1.5"),
    ({0: {0: [(1.0, 3, 0.0, False)]}}, "next state 3"),
    ({0: {0: [(1.0, 0, 0.0, False)]}, 1: 5}, r"table\[1\] is missing"),
])
def test_sparse_table_errors_name_the_table(table, match):
    """The adversarial rerun's last constructor cases: a TypeError, or a message naming ``P``."""
    from rlth.models.sparse import sparse_mdp_from_table
    with pytest.raises(ValueError, match="table: .*" + match):
        sparse_mdp_from_table(table, horizon=2)
