"""UCBVI (Azar et al. 2017): bonus formulas, optimism, monotone Q, validation."""
import math

import numpy as np
import pytest
from scipy import stats

from rlth._kernels.sampling import rollout_episode
from rlth.algorithms.online import _kernels as _k
from rlth.algorithms.online.runner import optimal_value, run_online
from rlth.algorithms.online.stepmix import StepMix, mixture_baseline
from rlth.algorithms.online.ucbvi import UCBVI, ucbvi_log_term
from rlth.instances import random_mdp, riverswim
from rlth.solvers.dp import backward_induction


def binomial_reject_count(n: int, p: float, level: float = 1e-6) -> int:
    """Smallest c with Pr(Bin(n, p) >= c) < level: a count >= c rejects 'rate <= p'."""
    c = 0
    while stats.binom.sf(c - 1, n, p) >= level:
        c += 1
    return c


def test_log_term_is_ln_5SAT_over_delta():
    assert ucbvi_log_term(5, 2, 100, 4, 0.1) == pytest.approx(math.log(5 * 5 * 2 * 400 / 0.1))


def _one_step_stats(S=3, A=2, H=3):
    """Hand-made counts: pair (0, 0) visited 4 times (to states 0, 1, 1, 2), nothing else."""
    n_sa = np.zeros((1, S, A), dtype=np.int64)
    n_sas = np.zeros((1, S, A, S), dtype=np.int64)
    n_sa[0, 0, 0] = 4
    n_sas[0, 0, 0] = [1, 2, 1]
    n_hs = np.zeros((H + 1, S), dtype=np.int64)
    n_hs[1] = [5, 0, 2]
    return n_sa, n_sas, n_hs


def test_ch_bonus_and_clipping_by_hand():
    S, A, H, L = 3, 2, 3, 2.0
    n_sa, n_sas, n_hs = _one_step_stats(S, A, H)
    R = np.zeros((1, S, A))
    Q = np.full((H, S, A), float(H))
    Vbar = np.zeros((H + 1, S))
    pibar = np.zeros((H, S), dtype=np.int64)
    c = 0.01
    _k.optimistic_q(R, n_sa, n_sas, n_hs, Q, H, _k.BONUS_CH, c, L, Vbar, pibar, False)
    # last step: Q = r + P_hat 0 + c 7 H L / sqrt(4)
    assert Q[H - 1, 0, 0] == pytest.approx(c * 7 * H * L / 2)
    # unvisited pairs stay at H
    assert Q[H - 1, 1, 0] == H and Q[0, 2, 1] == H
    # step H-2: P_hat V_{H-1}; V_{H-1} = [H, H, H] (each state has an unvisited action)
    assert Q[H - 2, 0, 0] == pytest.approx(min(H, H + c * 7 * H * L / 2))
    # the paper-exact bonus (c = 1) clips at H
    Q2 = np.full((H, S, A), float(H))
    _k.optimistic_q(R, n_sa, n_sas, n_hs, Q2, H, _k.BONUS_CH, 1.0, L, Vbar, pibar, False)
    assert Q2[H - 1, 0, 0] == H
    # remaining-horizon cap: unvisited pairs get H - h, visited ones are capped there too
    Q3 = np.full((H, S, A), float(H))
    _k.optimistic_q(R, n_sa, n_sas, n_hs, Q3, H, _k.BONUS_CH, 1.0, L, Vbar, pibar, True)
    np.testing.assert_array_equal(Q3[:, 1, 1], [3.0, 2.0, 1.0])
    assert Q3[H - 1, 0, 0] == 1.0 and Q3[0, 0, 0] == 3.0


def test_bf_bonus_by_hand():
    """Bernstein-Freedman bonus_2 on a one-action model where every pair is visited."""
    S, A, H, L, c = 3, 1, 3, 2.0, 1e-3
    n_sa = np.array([4, 9, 1], dtype=np.int64).reshape(1, S, A)
    n_sas = np.array([[1, 2, 1], [3, 3, 3], [0, 1, 0]], dtype=np.int64).reshape(1, S, A, S)
    n_hs = np.zeros((H + 1, S), dtype=np.int64)
    n_hs[H - 1] = [5, 0, 2]
    R = np.array([0.1, 0.5, 0.9]).reshape(1, S, A)
    Q = np.full((H, S, A), float(H))
    Vbar = np.zeros((H + 1, S))
    pibar = np.zeros((H, S), dtype=np.int64)
    _k.optimistic_q(R, n_sa, n_sas, n_hs, Q, H, _k.BONUS_BF, c, L, Vbar, pibar, False)
    n = n_sa[0, :, 0].astype(float)
    P = n_sas[0, :, 0] / n[:, None]
    r = R[0, :, 0]
    # last step: V_H = 0 -> no variance; the third term is 0 at the last step [R]
    v_last = r + c * 14 * H * L / (3 * n)
    np.testing.assert_allclose(Q[H - 1, :, 0], np.minimum(H, v_last), rtol=1e-12)
    cbf = 100**2 * H**3 * S**2 * A * L**2
    m = n_hs[H - 1].astype(float)
    inner = np.where(m > 0, np.minimum(cbf / np.maximum(m, 1), H**2), H**2)
    pv = P @ v_last
    var = P @ v_last**2 - pv**2
    b = np.sqrt(8 * L * var / n) + 14 * H * L / (3 * n) + np.sqrt(8 * (P @ inner) / n)
    np.testing.assert_allclose(Q[H - 2, :, 0], np.minimum(H, r + pv + c * b), rtol=1e-12)


def _reference_q(agent, mdp, Q_prev):
    """UCB-Q-values (Azar et al. Alg. 2, bonus_1 / bonus_2 as in the module doc) in numpy,
    from the agent's counts and previous Q; returns the new Q."""
    H, S, A = mdp.horizon, mdp.n_states, mdp.n_actions
    L, c = agent.L, agent.bonus_scale
    R = np.broadcast_to(mdp.R_stages, (H, S, A))
    V = np.zeros(S)
    Q = np.empty((H, S, A))
    for h in range(H - 1, -1, -1):
        hc = h if agent.n_sa.shape[0] > 1 else 0
        n = agent.n_sa[hc].astype(float)
        nn = np.maximum(n, 1)
        p_hat = agent.n_sas[hc] / nn[..., None]
        pv = p_hat @ V
        if agent.bonus == "ch":
            b = 7 * H * L / np.sqrt(nn)
        else:
            var = np.maximum(p_hat @ V**2 - pv**2, 0.0)
            b = np.sqrt(8 * L * var / nn) + 14 * H * L / (3 * nn)
            if h + 1 < H:
                m = agent.n_hs[h + 1].astype(float)
                cbf = 100**2 * H**3 * S**2 * A * L**2
                inner = np.where(m > 0, np.minimum(cbf / np.maximum(m, 1), H**2), H**2)
                b = b + np.sqrt(8 * (p_hat @ inner) / nn)
        cap = H - h if agent.clip == "remaining" else H
        q = np.where(n > 0, np.minimum(R[h] + pv + c * b, cap), cap)
        Q[h] = np.minimum(q, Q_prev[h])
        V = Q[h].max(-1)
    return Q


@pytest.mark.parametrize("bonus,stationary,pooled,clip", [
    ("ch", True, None, "remaining"), ("ch", False, None, "remaining"), ("ch", True, False, "H"),
    ("bf", True, None, "remaining"), ("bf", False, None, "H"), ("bf", True, False, "remaining")])
def test_optimistic_q_matches_numpy_reference_along_a_run(bonus, stationary, pooled, clip):
    """The compiled optimistic pass equals a numpy transcription of the formulas in every
    episode of a run (pooled and per-step counts, stage-dependent models, both caps); the
    greedy policy is the lowest-index argmax of Q."""
    H, K = 4, 500
    mdp = random_mdp(3, 2, horizon=H, rng=3, stationary=stationary)
    agent = UCBVI(bonus=bonus, bonus_scale=0.01 if bonus == "ch" else 0.002, pooled=pooled,
                  clip=clip)
    agent.reset(mdp, K)
    rng = np.random.default_rng(1)
    states = np.empty(H + 1, dtype=np.int64)
    actions = np.empty(H, dtype=np.int64)
    cap = (H - np.arange(H) if clip == "remaining" else np.full(H, H))[:, None, None]
    n_below = 0
    for k in range(K):
        expected = _reference_q(agent, mdp, agent.Q.copy())
        prop = agent.propose(k)
        # 1e-9: the kernel's fastmath reassociation in E[V^2] - E[V]^2 (BF variance)
        np.testing.assert_allclose(agent.Q, expected, rtol=1e-9, atol=1e-9)
        np.testing.assert_array_equal(prop.policies[0], np.eye(2)[expected.argmax(-1)])
        n_below += np.mean(expected < cap)
        rollout_episode(mdp.P_stages, mdp.rho, prop.policies[0], H, rng, states, actions)
        agent.observe(states, actions)
    assert n_below / K > 0.3          # the bonus and the data, not the caps, set much of Q


def binom_count_fails(flags, delta):
    return int(np.sum(flags)) >= binomial_reject_count(len(flags), delta)


@pytest.mark.parametrize("clip", ["remaining", "H"])
def test_bf_optimism_per_step_with_paper_constants_in_1_minus_delta_of_seeds(clip):
    """Paper constants (bonus_scale = 1), BF bonus: Q_{k,h} >= Q*_h for every step, pair and
    episode, and Vbar_1 >= V*, in >= 1 - delta of 30 seeds (Azar et al.'s optimism event).

    Non-vacuous: on this 2-state, 2-action, H = 2 instance the BF bonus is informative, so the
    optimistic value is below H in most episodes (asserted per seed) and the final Q comes
    within 0.05 of Q* (the inequality is nearly tight; a bonus-free agent violates it, also
    asserted).  Q_k is nonincreasing in k (min with Q_{k-1}; see the monotonicity test), so
    the final Q >= Q* is the per-step inequality of every episode.

    Binomial test: delta = 1e-3; the number of failing seeds must stay below the count c with
    Pr(Bin(30, delta) >= c) < 1e-6 (c = 4).
    """
    mdp = random_mdp(2, 2, horizon=2, rng=2)
    H = mdp.horizon
    q_star = backward_induction(mdp).Q
    v_star = optimal_value(mdp)
    delta = 1e-3
    K = 5000

    def run(seed, bonus_scale):
        agent = UCBVI(bonus="bf", delta=delta, clip=clip, bonus_scale=bonus_scale)
        res = run_online(mdp, agent, K, rng=seed)
        fail = bool(np.any(res.optimistic_values < v_star - 1e-12)
                    or np.any(agent.Q < q_star - 1e-12))
        return fail, res, agent

    fails = []
    for seed in range(30):
        fail, res, agent = run(seed, 1.0)
        fails.append(fail)
        assert np.mean(res.optimistic_values < H) > 0.5          # bonus is informative
        assert np.min(agent.Q - q_star) < 0.05                   # nearly tight somewhere
    assert not binom_count_fails(fails, delta)
    # power: without the bonus (plug-in values) the same test rejects
    assert binom_count_fails([run(seed, 0.0)[0] for seed in range(30)], delta)


def _ch_event(agent, mdp, v_star, scale):
    """The event under which CH optimism is deterministic, checked on the agent's counts.

    For every step h and visited pair (s, a) with n visits (pooled over steps or not, as the
    agent counts), ``(P_h - P_hat)(s, a) . V*_{h+1} <= scale * 7 H L / sqrt(n)``: the scaled
    bonus covers the estimation error of ``P V*``.  (Hoeffding makes it likely for scale
    >= 1 / (7 sqrt(2 L)); it is not assumed, it is checked.)
    """
    H = mdp.horizon
    for h in range(H):
        hc = h if agent.n_sa.shape[0] > 1 else 0
        n = agent.n_sa[hc]
        p_hat = agent.n_sas[hc] / np.maximum(n, 1)[..., None]
        dev = (mdp.P[h] - p_hat) @ v_star[h + 1]
        bonus = scale * 7.0 * H * agent.L / np.sqrt(np.maximum(n, 1))
        if np.any((n > 0) & (dev > bonus)):
            return False
    return True


def _stepmix_on(mdp, **kw):
    pi_b, _, _ = mixture_baseline(mdp, 0.6)
    return StepMix(pi_b, 0.1, **kw)


@pytest.mark.parametrize("agent_kind,stationary,clip", [
    ("ucbvi", True, "remaining"), ("ucbvi", True, "H"), ("ucbvi", False, "remaining"),
    ("stepmix", True, "remaining"), ("stepmix", False, "remaining")])
def test_ch_q_dominates_q_star_per_step_on_the_event(agent_kind, stationary, clip):
    """Deterministic implication (no probability): while the event of :func:`_ch_event` has
    held in every episode so far, ``Q_{k,h}(s, a) >= Q*_h(s, a)`` for all h, s, a.

    Induction: ``Q_{k-1} >= Q*``; backwards in h, ``Vbar_{h+1} >= V*_{h+1}`` so
    ``r + P_hat Vbar_{h+1} + b >= r + P_hat V*_{h+1} + b >= r + P V*_{h+1} = Q*_h`` on the
    event; the caps ``H - h`` and ``H`` are >= Q*_h.  StepMix plays mixtures (other data) but
    runs the same optimistic pass.  Non-vacuous: the scaled bonus (0.01) is small, so most
    entries of Q are below the cap and the final Q is within 0.1 of Q* somewhere; the event
    holds throughout the run (asserted, so the check covers every episode).
    """
    scale = 0.01
    H, K = 4, 2000
    mdp = random_mdp(4, 2, horizon=H, rng=4, branching=2, stationary=stationary)
    sol = backward_induction(mdp)
    q_star, v_star = sol.Q, sol.V
    if agent_kind == "ucbvi":
        agent = UCBVI(bonus="ch", bonus_scale=scale, clip=clip)
    else:
        agent = _stepmix_on(mdp, bonus="ch", bonus_scale=scale, clip=clip)
    agent.reset(mdp, K)
    cap = (H - np.arange(H) if clip == "remaining" else np.full(H, H))[:, None, None]
    rng = np.random.default_rng(7)
    states = np.empty(H + 1, dtype=np.int64)
    actions = np.empty(H, dtype=np.int64)
    below_cap = []
    for k in range(K):
        assert _ch_event(agent, mdp, v_star, scale), f"event failed at episode {k}"
        prop = agent.propose(k)
        assert np.all(agent.Q >= q_star - 1e-12), f"Q < Q* at episode {k}"
        assert prop.optimistic_value >= sol.value - 1e-12
        below_cap.append(np.mean(agent.Q < cap))
        rollout_episode(mdp.P_stages, mdp.rho, np.ascontiguousarray(prop.policies[0]), H, rng,
                        states, actions)
        agent.observe(states, actions)
    assert np.mean(below_cap) > 0.5
    assert np.min(agent.Q - q_star) < 0.1


def test_q_is_monotone_nonincreasing_over_episodes():
    mdp = riverswim(4, horizon=5)
    agent = UCBVI(bonus="ch", bonus_scale=0.05)
    agent.reset(mdp, 300)
    rng = np.random.default_rng(0)
    prev = agent.Q.copy()
    states = np.empty(6, dtype=np.int64)
    actions = np.empty(5, dtype=np.int64)
    for k in range(300):
        prop = agent.propose(k)
        assert np.all(agent.Q <= prev + 1e-15)
        prev = agent.Q.copy()
        rollout_episode(mdp.P_stages, mdp.rho, prop.policies[0], 5, rng, states, actions)
        agent.observe(states, actions)
    assert np.all(agent.Q <= 5.0)
    # learned something: the optimistic values have come down from H
    assert agent.Q.min() < 5.0


@pytest.mark.parametrize("bonus,scale", [("bf", 1.0), ("ch", 0.1)])
def test_regret_per_episode_decreases(bonus, scale):
    """Sanity (not a rate check): late per-episode regret well below early regret."""
    mdp = random_mdp(5, 2, horizon=5, rng=1, branching=3)
    res = run_online(mdp, UCBVI(bonus=bonus, bonus_scale=scale), 20000, rng=1)
    reg = res.pseudo_regret
    assert reg[-2000:].mean() < 0.5 * reg[:2000].mean()


def test_pooling_follows_stationarity():
    a = UCBVI()
    a.reset(random_mdp(3, 2, horizon=4, rng=0, stationary=True), 10)
    assert a.n_sa.shape == (1, 3, 2)
    a.reset(random_mdp(3, 2, horizon=4, rng=0, stationary=False), 10)
    assert a.n_sa.shape == (4, 3, 2)
    b = UCBVI(pooled=False)
    b.reset(random_mdp(3, 2, horizon=4, rng=0, stationary=True), 10)
    assert b.n_sa.shape == (4, 3, 2)


def test_validation():
    with pytest.raises(ValueError, match="^bonus:"):
        UCBVI(bonus="hoeffding")
    with pytest.raises(ValueError, match="^delta:"):
        UCBVI(delta=1.5)
    with pytest.raises(ValueError, match="^bonus_scale:"):
        UCBVI(bonus_scale=-1.0)
    with pytest.raises(ValueError, match="^pooled:"):
        UCBVI(pooled="yes")
    with pytest.raises(ValueError, match="^clip:"):
        UCBVI(clip="none")
