"""Numba kernels of the episodic online runner and of UCBVI / StepMix / EpsMix (private).

Everything here assumes validated input (the public API in :mod:`rlth.algorithms.online.runner`,
:mod:`rlth.algorithms.online.ucbvi` and :mod:`rlth.algorithms.online.stepmix` validates once).

Array conventions (docs/explanation/conventions.md section 1; ``Hp``/``Hr`` = 1 for stationary models, else ``H``):

* ``P[Hp, S, A, S]``, ``R[Hr, S, A]``: the true model (compact ``P_stages``/``R_stages``);
* agent statistics: ``n_sa[Hc, S, A]`` and ``n_sas[Hc, S, A, S]`` (``Hc = 1``: counts pooled over
  steps, Azar et al.'s stationary setting; ``Hc = H``: one empirical kernel per step) and
  ``n_hs[H + 1, S]`` = visits to state ``s`` at step ``h`` (UCBVI-BF's ``N'_{k,h}``);
* policies ``pi[H, S, A]`` (stochastic) or ``pibar[H, S]`` (greedy, int64).

Shared primitives (one home, :mod:`rlth._kernels`): exact DP on the true model
(:func:`rlth._kernels.dp.backward_values_kernel`, :func:`rlth._kernels.dp.policy_value_kernel`)
and the one-episode rollout (:func:`rlth._kernels.sampling.rollout_episode`, inverse-CDF draws
in a fixed order).

Algorithm codes of the episode driver: 0 UCBVI (play the optimistic policy), 1 StepMix
(largest feasible per-step mixing weight), 2 EpsMix (episode-level coin), 3 Switch (ablation:
optimistic policy if it passes the pessimistic test, else baseline), 4 Baseline only, 5 StepMix
with ``evaluation="advantage"`` (per-step weight from the performance-difference lower bound
:func:`advantage_lower_bound`, closed form :func:`advantage_weight`; [D]).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..._kernels.dp import policy_value_kernel
from ...estimators.confidence import (ucbvi_bernstein_core, ucbvi_hoeffding_bonus,
                                      weissman_l1_width)
from ..._kernels.sampling import rollout_episode

_FM = {"reassoc", "contract"}

ALGO_UCBVI, ALGO_STEPMIX, ALGO_EPSMIX, ALGO_SWITCH, ALGO_BASELINE = 0, 1, 2, 3, 4
ALGO_STEPMIX_ADV = 5
BONUS_CH, BONUS_BF = 0, 1


# --------------------------------------------------------------------------------------------
# policies
# --------------------------------------------------------------------------------------------
@njit(cache=True)
def mix_policy(pi_b, pibar, rho_w, out):
    """Per-step mixture ``out = (1 - rho_w) pi_b + rho_w onehot(pibar)`` (writes ``out``)."""
    H, S, A = pi_b.shape
    for h in range(H):
        for s in range(S):
            for a in range(A):
                out[h, s, a] = (1.0 - rho_w) * pi_b[h, s, a]
            out[h, s, pibar[h, s]] += rho_w
    return out


# --------------------------------------------------------------------------------------------
# agent: optimistic DP (UCBVI) and pessimistic policy evaluation
# --------------------------------------------------------------------------------------------
@njit(cache=True, fastmath=_FM)
def optimistic_q(R, n_sa, n_sas, n_hs, Q_prev, H, bonus_type, c_bonus, L, Vbar, pibar,
                 clip_remaining):
    """UCBVI's UCB-Q-values (Azar et al. 2017, Alg. 1-2 with bonus_1 / bonus_2).

    Updates ``Q_prev[H, S, A]`` in place to ``Q_k = min(Q_{k-1}, cap, R + P_hat V_{k,h+1} + b)``
    (``Q_k = cap`` for unvisited pairs), writes ``Vbar[H+1, S]`` and the greedy ``pibar[H, S]``;
    ``cap = H`` (paper) or ``H - h`` (``clip_remaining``: the remaining horizon).
    """
    S, A = n_sa.shape[1], n_sa.shape[2]
    Hc = n_sa.shape[0]
    Hf = float(H)
    c_bf = 100.0 ** 2 * Hf ** 3 * S ** 2 * A * L ** 2
    for s in range(S):
        Vbar[H, s] = 0.0
    for h in range(H - 1, -1, -1):
        hc = h if Hc > 1 else 0
        hr = h if R.shape[0] > 1 else 0
        cap = float(H - h) if clip_remaining else Hf
        for s in range(S):
            best = -np.inf
            arg = 0
            for a in range(A):
                n = n_sa[hc, s, a]
                if n == 0:
                    q = cap
                    if Q_prev[h, s, a] < q:
                        q = Q_prev[h, s, a]
                else:
                    inv = 1.0 / n
                    pv = 0.0
                    pv2 = 0.0
                    for y in range(S):
                        c = n_sas[hc, s, a, y]
                        if c > 0:
                            p = c * inv
                            v = Vbar[h + 1, y]
                            pv += p * v
                            pv2 += p * v * v
                    if bonus_type == 0:
                        b = ucbvi_hoeffding_bonus(Hf, L, n)
                    else:
                        var = pv2 - pv * pv
                        if var < 0.0:
                            var = 0.0
                        b = ucbvi_bernstein_core(L, var, n, Hf)
                        if h + 1 < H:
                            acc = 0.0
                            for y in range(S):
                                c = n_sas[hc, s, a, y]
                                if c > 0:
                                    m = n_hs[h + 1, y]
                                    t = Hf * Hf
                                    if m > 0:
                                        t2 = c_bf / m
                                        if t2 < t:
                                            t = t2
                                    acc += c * inv * t
                            b += math.sqrt(8.0 * acc * inv)
                    q = R[hr, s, a] + pv + c_bonus * b
                    if q > cap:
                        q = cap
                    if Q_prev[h, s, a] < q:
                        q = Q_prev[h, s, a]
                Q_prev[h, s, a] = q
                if q > best:
                    best = q
                    arg = a
            Vbar[h, s] = best
            pibar[h, s] = arg


@njit(cache=True, fastmath=_FM)
def pessimistic_value(R, n_sa, n_sas, H, pi, rho, w_conf, c_pess):
    """Lower confidence bound on ``rho @ V^pi_0`` valid for every policy simultaneously.

    ``Qlow_h(s, a) = clip(r + P_hat Vlow_{h+1} - c_pess (H-h-1)/2 sqrt(w_conf / n), 0, H-h)``
    (``0`` when ``n = 0``), ``Vlow_h(s) = sum_a pi(a|s) Qlow_h(s, a)``.  ``w_conf`` is
    ``2 (S ln 2 + ln(1/delta'))`` (Weissman et al. 2003 L1 deviation; [D]).
    """
    S, A = n_sa.shape[1], n_sa.shape[2]
    Hc = n_sa.shape[0]
    Vn = np.zeros(S)
    Vc = np.zeros(S)
    for h in range(H - 1, -1, -1):
        hc = h if Hc > 1 else 0
        hr = h if R.shape[0] > 1 else 0
        half_span = 0.5 * (H - h - 1)
        cap = float(H - h)
        for s in range(S):
            v = 0.0
            for a in range(A):
                w = pi[h, s, a]
                if w == 0.0:
                    continue
                n = n_sa[hc, s, a]
                if n == 0:
                    continue
                inv = 1.0 / n
                q = R[hr, s, a]
                for y in range(S):
                    c = n_sas[hc, s, a, y]
                    if c > 0:
                        q += c * inv * Vn[y]
                q -= c_pess * half_span * weissman_l1_width(w_conf, n)
                if q < 0.0:
                    q = 0.0
                elif q > cap:
                    q = cap
                v += w * q
            Vc[s] = v
        for s in range(S):
            Vn[s] = Vc[s]
    out = 0.0
    for s in range(S):
        out += rho[s] * Vn[s]
    return out


@njit(cache=True)
def mixture_lower_bound(R, n_sa, n_sas, H, pi_b, pibar, rho, w_conf, c_pess, v_couple, x,
                        buf):
    """StepMix's lower bound at weight ``x``: ``max(pessimistic value, (1 - x)^H v_couple)``.

    Coupling bound [D]: draw the per-step coin of the mixture first; with probability
    ``(1 - x)^H`` every step follows ``pi_b`` and the trajectory is distributed as under
    ``pi_b``; rewards are >= 0, so ``V^{pi^x} >= (1 - x)^H V^{pi_b}``.  ``v_couple = 0``
    disables it.
    """
    mix_policy(pi_b, pibar, x, buf)
    f = pessimistic_value(R, n_sa, n_sas, H, buf, rho, w_conf, c_pess)
    c = (1.0 - x) ** H * v_couple
    return f if f >= c else c


@njit(cache=True)
def largest_feasible_weight(R, n_sa, n_sas, H, pi_b, pibar, rho, w_conf, c_pess, thr,
                            n_grid, n_bisect, buf, v_couple):
    """StepMix's weight: largest ``rho_w`` in [0, 1] with pessimistic value >= ``thr``.

    ``f(1) >= thr`` gives 1.  Otherwise the grid ``j / n_grid`` is scanned downwards; the
    first feasible grid point ``lo`` (with the infeasible ``hi = lo + 1/n_grid`` above it) is
    refined by ``n_bisect`` bisection steps keeping the feasible end.  No feasible grid point
    (``f(0) < thr``) gives the fallback 0 (play the baseline).  The returned weight is always
    feasible or 0.  Returns ``(weight, lower bound at weight)``; the lower bound is
    :func:`mixture_lower_bound`.
    """
    f1 = mixture_lower_bound(R, n_sa, n_sas, H, pi_b, pibar, rho, w_conf, c_pess, v_couple, 1.0,
                             buf)
    if f1 >= thr:
        return 1.0, f1
    hi = 1.0
    lo = -1.0
    flo = 0.0
    for j in range(n_grid - 1, -1, -1):
        x = j / n_grid
        fx = mixture_lower_bound(R, n_sa, n_sas, H, pi_b, pibar, rho, w_conf, c_pess, v_couple,
                                 x, buf)
        if fx >= thr:
            lo = x
            flo = fx
            break
        hi = x
    if lo < 0.0:
        # infeasible everywhere on the grid, including rho_w = 0: fall back to the baseline
        return 0.0, flo
    for _ in range(n_bisect):
        mid = 0.5 * (lo + hi)
        fm = mixture_lower_bound(R, n_sa, n_sas, H, pi_b, pibar, rho, w_conf, c_pess, v_couple,
                                 mid, buf)
        if fm >= thr:
            lo = mid
            flo = fm
        else:
            hi = mid
    return lo, flo


@njit(cache=True)
def advantage_lower_bound(R, n_sa, n_sas, H, pi_b, pibar, rho, w_conf, c_pess):
    r"""Lower bound ``G`` on ``sum_h E_{s ~ d_h^pi}[A_h(s)]`` uniformly over all policies ``pi``.

    [D] (our hypothesis for StepMix's "smooth" weight, not a reading of the paper).  With
    ``A_h(s) = Q_h^{pi_b}(s, pibar_h(s)) - V_h^{pi_b}(s)`` (steps ``h = 0..H-1``), the
    performance-difference lemma gives, for the per-step mixture
    ``pi^x = (1 - x) pi_b + x onehot(pibar)``,
    ``V^{pi^x} - V^{pi_b} = x sum_h E_{d_h^{pi^x}}[A_h]``, hence ``V^{pi^x} >= V^{pi_b} + x G``
    for every ``x`` in [0, 1] whenever ``G`` lower-bounds the occupancy-weighted advantage of
    *every* policy (the occupancy of ``pi^x`` is unknown).

    On the Weissman event of :func:`pessimistic_value` (``||P_hat - P||_1 <= sqrt(w_conf / n)``
    for every pair; ``n = 0`` uninformative), with ``width = c_pess sqrt(w_conf / n)``:

    1. fixed-policy bounds on ``Q^{pi_b}``: ``Qlow_h = clip(r + P_hat Vlow_{h+1} - (H-h-1)/2
       width, 0, H-h)``, ``Qup_h = clip(r + P_hat Vup_{h+1} + (H-h-1)/2 width, 0, H-h)``
       (``n = 0``: ``Qlow = 0``, ``Qup = H-h``), ``Vlow_h = sum_a pi_b Qlow_h``, ``Vup_h``
       likewise, ``Vlow_H = Vup_H = 0``;
    2. ``Alow_h(s) = Qlow_h(s, pibar_h(s)) - sum_a pi_b(a|s) Qup_h(s, a)`` (``>= -(H-h)``);
    3. robust minimising DP: ``W_h(s) = Alow_h(s) + min_a LowerExp_h(s, a)`` with
       ``LowerExp_h(s, a) = max(P_hat W_{h+1}(s, a) - span(W_{h+1})/2 width, min_y W_{h+1}(y))``
       (``n = 0``: ``min_y W_{h+1}(y)``), ``W_H = 0``; ``G = rho @ W_0``.

    Step 3 uses ``|(P_hat - P) W| <= ||P_hat - P||_1 span(W) / 2`` and ``P W >= min_y W(y)``
    (the ``max`` with ``min_y W`` is always valid); by induction ``W_h`` is below the minimum
    over policies of the expected remaining sum of ``Alow``, and ``Alow <= A`` on the event.
    Data-free floor: ``G >= -H (H + 1) / 2``, with equality when every count is 0.

    Parameters
    ----------
    R : ndarray, shape (1 or H, S, A)
        Known mean rewards (leading stage dimension 1 = stationary).
    n_sa, n_sas : ndarray, shape (Hc, S, A) and (Hc, S, A, S), int
        Counts (``Hc = 1`` pooled over steps, ``Hc = H`` per step).
    H : int
    pi_b : ndarray, shape (H, S, A)
        Baseline policy.
    pibar : ndarray, shape (H, S), int
        Greedy (optimistic) target policy.
    rho : ndarray, shape (S,)
        Initial distribution.
    w_conf : float
        ``2 (S ln 2 + ln(1 / delta'))`` (:func:`rlth.estimators.confidence.weissman_l1_log_term`).
    c_pess : float
        Multiplies every width (1 = valid bound; other values are a named mode).

    Returns
    -------
    float
        ``G``.

    Guarantee
    ---------
    [D] On the event of :func:`pessimistic_value` (probability ``>= 1 - delta``, uniform over
    episodes) and with ``c_pess >= 1``: ``G <= sum_h E_{d_h^pi}[A_h]`` for every policy ``pi``,
    so ``V^{pi^x} >= V^{pi_b} + x G`` for all ``x`` in [0, 1].
    """
    S, A = n_sa.shape[1], n_sa.shape[2]
    Hc = n_sa.shape[0]
    Vlo_n = np.zeros(S)
    Vup_n = np.zeros(S)
    W_n = np.zeros(S)
    Vlo_c = np.zeros(S)
    Vup_c = np.zeros(S)
    W_c = np.zeros(S)
    for h in range(H - 1, -1, -1):
        hc = h if Hc > 1 else 0
        hr = h if R.shape[0] > 1 else 0
        half_span = 0.5 * (H - h - 1)
        cap = float(H - h)
        w_min = W_n[0]
        w_max = W_n[0]
        for y in range(1, S):
            if W_n[y] < w_min:
                w_min = W_n[y]
            if W_n[y] > w_max:
                w_max = W_n[y]
        w_half = 0.5 * (w_max - w_min)
        for s in range(S):
            vlo = 0.0
            vup = 0.0
            qlo_bar = 0.0
            low_exp = np.inf
            for a in range(A):
                n = n_sa[hc, s, a]
                if n == 0:
                    qlo = 0.0
                    qup = cap
                    le = w_min
                else:
                    inv = 1.0 / n
                    pl = 0.0
                    pu = 0.0
                    pw = 0.0
                    for y in range(S):
                        c = n_sas[hc, s, a, y]
                        if c > 0:
                            p = c * inv
                            pl += p * Vlo_n[y]
                            pu += p * Vup_n[y]
                            pw += p * W_n[y]
                    width = c_pess * weissman_l1_width(w_conf, n)
                    qlo = R[hr, s, a] + pl - half_span * width
                    qup = R[hr, s, a] + pu + half_span * width
                    if qlo < 0.0:
                        qlo = 0.0
                    elif qlo > cap:
                        qlo = cap
                    if qup < 0.0:
                        qup = 0.0
                    elif qup > cap:
                        qup = cap
                    le = pw - w_half * width
                    if le < w_min:
                        le = w_min
                wb = pi_b[h, s, a]
                vlo += wb * qlo
                vup += wb * qup
                if a == pibar[h, s]:
                    qlo_bar = qlo
                if le < low_exp:
                    low_exp = le
            Vlo_c[s] = vlo
            Vup_c[s] = vup
            W_c[s] = (qlo_bar - vup) + low_exp
        for s in range(S):
            Vlo_n[s] = Vlo_c[s]
            Vup_n[s] = Vup_c[s]
            W_n[s] = W_c[s]
    out = 0.0
    for s in range(S):
        out += rho[s] * W_n[s]
    return out


@njit(cache=True)
def advantage_weight(G, v_b, thr):
    r"""StepMix's weight from the linear bound ``V^{pi^x} >= v_b + x G`` ([D]).

    With ``alpha v_b = v_b - thr``: 1 if ``thr <= 0`` (values are ``>= 0``, the constraint is
    vacuous) or ``G >= -alpha v_b``; else ``alpha v_b / (-G)``, the largest ``x`` with
    ``v_b + x G >= thr`` (clipped to [0, 1]).
    """
    if thr <= 0.0:
        return 1.0
    slack = v_b - thr
    if G >= -slack:
        return 1.0
    x = slack / (-G)
    if x < 0.0:
        return 0.0
    if x > 1.0:
        return 1.0
    return x


# --------------------------------------------------------------------------------------------
# agent statistics
# --------------------------------------------------------------------------------------------
@njit(cache=True)
def record_episode(states, actions, H, n_sa, n_sas, n_hs):
    """Add one trajectory to the counts."""
    Hc = n_sa.shape[0]
    for h in range(H):
        hc = h if Hc > 1 else 0
        s = states[h]
        a = actions[h]
        n_sa[hc, s, a] += 1
        n_sas[hc, s, a, states[h + 1]] += 1
        n_hs[h, s] += 1
    n_hs[H, states[H]] += 1


# --------------------------------------------------------------------------------------------
# the whole episode loop
# --------------------------------------------------------------------------------------------
@njit(cache=True)
def run_episodes(P, R, rho, H, K, algo, bonus_type, c_bonus, L, clip_remaining, w_conf, c_pess,
                 pi_b, v_b, thr, n_grid, n_bisect, v_couple, n_sa, n_sas, n_hs, Q_prev, rng):
    """Run ``K`` episodes of one agent; returns per-episode arrays.

    Returns ``value[K]`` (exact value of the policy played: for EpsMix the episode mixture
    ``eps V^pibar + (1 - eps) V^pi_b``), ``weight[K]`` (rho_k / eps_k; 1 for UCBVI, 0 for the
    baseline), ``realized[K]`` (exact value of the component actually rolled out),
    ``pess[K]`` (pessimistic value of the policy played; NaN for UCBVI/baseline; for
    ``ALGO_STEPMIX_ADV`` the linear bound ``v_b + rho_k G``) and
    ``opt[K]`` (optimistic value ``rho @ Vbar_0``; NaN for the baseline).
    The agent statistics ``n_sa, n_sas, n_hs, Q_prev`` are updated in place.
    """
    S, A = P.shape[1], P.shape[2]
    value = np.empty(K)
    weight = np.empty(K)
    realized = np.empty(K)
    pess = np.empty(K)
    opt = np.empty(K)
    Vbar = np.zeros((H + 1, S))
    pibar = np.zeros((H, S), dtype=np.int64)
    buf = np.empty((H, S, A))
    onehot = np.empty((H, S, A))
    states = np.empty(H + 1, dtype=np.int64)
    actions = np.empty(H, dtype=np.int64)
    # exact value of the baseline on the true model (``v_b`` is the agent's given value, used
    # only in its decisions)
    vb_exact = policy_value_kernel(P, R, H, pi_b, rho)
    for k in range(K):
        if algo == ALGO_BASELINE:
            rollout_episode(P, rho, pi_b, H, rng, states, actions)
            value[k] = vb_exact
            realized[k] = vb_exact
            weight[k] = 0.0
            pess[k] = np.nan
            opt[k] = np.nan
            record_episode(states, actions, H, n_sa, n_sas, n_hs)
            continue
        optimistic_q(R, n_sa, n_sas, n_hs, Q_prev, H, bonus_type, c_bonus, L, Vbar, pibar,
                     clip_remaining)
        vo = 0.0
        for s in range(S):
            vo += rho[s] * Vbar[0, s]
        opt[k] = vo
        if (algo == ALGO_UCBVI or algo == ALGO_STEPMIX or algo == ALGO_SWITCH
                or algo == ALGO_STEPMIX_ADV):
            # choose the per-step weight w of the optimistic policy and its lower bound fw,
            # leaving the mixture in buf; then evaluate it exactly and roll it out
            if algo == ALGO_UCBVI:
                w = 1.0
                fw = np.nan
                mix_policy(pi_b, pibar, 1.0, buf)
            elif algo == ALGO_STEPMIX:
                w, fw = largest_feasible_weight(R, n_sa, n_sas, H, pi_b, pibar, rho, w_conf,
                                                c_pess, thr, n_grid, n_bisect, buf, v_couple)
                if w == 0.0:
                    fw = mixture_lower_bound(R, n_sa, n_sas, H, pi_b, pibar, rho, w_conf,
                                             c_pess, v_couple, 0.0, buf)
                mix_policy(pi_b, pibar, w, buf)
            elif algo == ALGO_STEPMIX_ADV:
                G = advantage_lower_bound(R, n_sa, n_sas, H, pi_b, pibar, rho, w_conf, c_pess)
                w = advantage_weight(G, v_b, thr)
                fw = v_b + w * G
                mix_policy(pi_b, pibar, w, buf)
            else:  # Switch
                mix_policy(pi_b, pibar, 1.0, buf)
                f1 = pessimistic_value(R, n_sa, n_sas, H, buf, rho, w_conf, c_pess)
                if f1 >= thr:
                    w = 1.0
                    fw = f1
                else:
                    w = 0.0
                    mix_policy(pi_b, pibar, 0.0, buf)
                    fw = pessimistic_value(R, n_sa, n_sas, H, buf, rho, w_conf, c_pess)
            v = policy_value_kernel(P, R, H, buf, rho)
            value[k] = v
            realized[k] = v
            weight[k] = w
            pess[k] = fw
            rollout_episode(P, rho, buf, H, rng, states, actions)
        else:  # EpsMix
            mix_policy(pi_b, pibar, 1.0, onehot)
            f1 = pessimistic_value(R, n_sa, n_sas, H, onehot, rho, w_conf, c_pess)
            eps = epsmix_probability(f1, v_b, thr)
            vbar_true = policy_value_kernel(P, R, H, onehot, rho)
            value[k] = eps * vbar_true + (1.0 - eps) * vb_exact
            weight[k] = eps
            pess[k] = eps * f1 + (1.0 - eps) * v_b
            play_opt = True
            if eps < 1.0:
                play_opt = rng.random() < eps
            if play_opt:
                realized[k] = vbar_true
                rollout_episode(P, rho, onehot, H, rng, states, actions)
            else:
                realized[k] = vb_exact
                rollout_episode(P, rho, pi_b, H, rng, states, actions)
        record_episode(states, actions, H, n_sa, n_sas, n_hs)
    return value, weight, realized, pess, opt


@njit(cache=True)
def epsmix_probability(v_low_opt, v_b, thr):
    """EpsMix's coin: 1 if ``v_low_opt >= thr`` else ``(v_b - thr) / (v_b - v_low_opt)``.

    The pessimistic value of the episode mixture, ``eps v_low_opt + (1 - eps) v_b``, is
    linear in ``eps``; this is the largest ``eps`` in [0, 1] keeping it ``>= thr``.
    """
    if v_low_opt >= thr:
        return 1.0
    den = v_b - v_low_opt
    if den <= 0.0:
        return 0.0
    e = (v_b - thr) / den
    if e < 0.0:
        return 0.0
    if e > 1.0:
        return 1.0
    return e
