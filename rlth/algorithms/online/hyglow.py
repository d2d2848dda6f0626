r"""H2O (Algorithm 2), MABO.CR (Eq. 13 / 39) and HyGLOW (Algorithm 3) of Amortila, Foster,
Jiang, Sekhari, Xie (ICLR 2024, arXiv 2401.09681) on finite classes, with the H2O + model-based
MLE baseline (Theorem F.5) and pure offline MABO.CR.

H2O (Algorithm 2 [V]).  Offline tuples ``D_off,h`` (``T`` per layer, ``(x_h, a_h) ~ nu_h``
i.i.d., :func:`rlth.data.layered.sample_layer_tuples`).  At iteration ``t`` the offline learner
is called on ``D_hybrid^(t) = D_off,h[1 : t-1] u D_on,h^(t)`` (``t - 1`` offline and ``t - 1``
online tuples per layer), its policy plays one trajectory, and the output is
``Unif(pi^(1..T))``.

MABO.CR (Eq. 13 [V]) with ``n`` tuples per layer, ``w_check = clip_{gamma_n}[w]``:

.. math:: \hat f \in \arg\min_{f \in \mathcal F} \max_{w \in \bar{\mathcal W}} \sum_h
          \Big\{ \big|\hat E_{D_h}[\check w_h \hat\Delta_h f]\big|
          - \alpha\, \hat E_{D_h}[\check w_h^2] \Big\},

penalty inside the sum (the proof of Lemma F.6 sums it with the absolute value [V]); one ``w``
for all layers; the augmented class (Eq. 38 [V])
:math:`\bar{\mathcal W} = \mathcal W \cup -\mathcal W \cup \bigcup_h (\mathcal W^{(h)} \cup
-\mathcal W^{(h)})`, ``w^(h)`` keeping layer ``h`` only.  Clipping is from above only (Def. 3.1),
so ``clip[-w] = -w``: the negated copies enter unclipped (the literal reading; noted in the docs).

HyGLOW (Algorithm 3 [V]): H2O + MABO.CR with ``gamma_t = gamma t`` and ``alpha_t = 8/gamma_t``
(Algorithm 3 literally, although MABO.CR's scale refers to the dataset size).

Weight class [D] (as in :mod:`~rlth.algorithms.online.glow`): the ratios MABO.CR needs are
``d^{pi;M} / mu^(t)_M`` with the data distribution ``mu^(t) = (nu + dbar^(t)) / 2``,
``dbar^(t) = (1/(t-1)) sum_{i<t} d^{pi^(i); M}``; the generator ``nu`` of the offline data is
given to the learner (an oracle assumption, flagged).  ``x/0 = inf`` (clipped to ``gamma_t``
for the positive sign; for the negative sign an unvisited cell contributes 0 and a visited one
gives the value ``-inf``).

Fidelity / parameter sources
----------------------------
* ``a_gamma = 40/gamma``, ``b_gamma = 56 H^2 gamma log(24|F||W|H^2/delta)`` (proof of Thm F.1)
  [V]: :func:`rlth.theory.glow.hyglow_explicit_risk_bound`.
* Cor. 4.1's tuning ``gamma = sqrt((C* + C_cov) / (T H^2 log(|F||W|/delta)))`` [V] (with the
  ``log(24|F||W|H^2/delta)`` of ``b``; capped at 1): :func:`corollary41_gamma`; the run uses
  ``delta / T`` because Thm 4.1 holds with probability ``1 - delta T`` [V].
* MLE base learner: ``argmax_M`` of the Bernoulli-reward and transition log-likelihood of the
  hybrid data [V] (Thm F.5), ties to the lowest index [D].
* Round 1 (no data): MABO.CR's objective is 0 for every ``f``; ties to the lowest index [D].
* Not implemented: H2O + FQI (Thm F.3) -- FQI's layer-wise argmin leaves the policy class.

Guarantee
---------
Corollary 4.1 [V]: w.p. >= 1 - delta T, the risk of HyGLOW's output is
``O~(H sqrt((C* + C_cov) log(|F||W|/delta) / T))`` (``H^2`` in the consistent form, v2 note).

References
----------
P. Amortila, D. J. Foster, N. Jiang, A. Sekhari, T. Xie, "Harnessing Density Ratios for Online
Reinforcement Learning", ICLR 2024, arXiv 2401.09681: Algorithms 2-3, Eqs. (13), (37)-(39),
Definitions 4.2-4.4, Theorems 4.1, 4.2, F.1, F.5, F.6, Corollary 4.1.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..._rng import as_generator
from ..._validation import (as_float_array, check_delta, check_distribution, check_positive_int,
                           check_real)
from ...data.layered import LayerTuples, sample_layer_tuples
from ...models.classes import FiniteModelClass
from ...solvers.occupancy import concentrability
from .glow import (ClassQuantities, ClassRunResult, LayerStats, _ClassLearner, _draw,
                   _EpisodeSampler, _play_and_count, check_gamma_unit, clip,
                   log_weight_class_size, td_sums)

__all__ = ["run_hyglow", "offline_distribution", "single_policy_concentrability", "mabo_cr_values",
           "mabo_cr", "mle_model", "corollary41_gamma", "hyglow_log_w", "H2O",
           "OfflineMABOCR"]


def offline_distribution(cq: ClassQuantities, lam: float, rest: str = "uniform") -> np.ndarray:
    """``nu_h = lam d_h^{pi*} + (1 - lam) U_h``, shape (H, S, A) (v2 note, I.6 [D]).

    Parameters
    ----------
    cq : ClassQuantities
    lam : float in [0, 1]
    rest : {"uniform", "off_support"}
        ``U_h`` uniform over all ``S x A`` cells (``C*`` moves from at most ``S A`` at
        ``lam = 0`` to 1 at ``lam = 1``), or uniform over the cells outside the support of
        ``d_h^{pi*}`` (then ``C* = 1 / lam`` exactly, so ``C*`` can be swept over decades;
        needs ``lam > 0`` and an off-support cell in every layer).
    """
    lam = check_real("lam", lam)
    if not 0.0 <= lam <= 1.0:
        raise ValueError(f"lam: must lie in [0, 1], got {lam}")
    d_star = cq.true_occupancy[cq.optimal_policy_index]
    H, S, A = d_star.shape
    if rest == "uniform":
        return lam * d_star + (1.0 - lam) / (S * A)
    if rest != "off_support":
        raise ValueError(f"rest: must be 'uniform' or 'off_support', got {rest!r}")
    if lam <= 0.0:
        raise ValueError("lam: must be > 0 with rest='off_support' (C* = 1/lam)")
    off = (d_star <= 0).astype(np.float64)
    k = off.sum(axis=(1, 2), keepdims=True)
    if np.any(k == 0):
        raise ValueError("rest: some layer has no cell outside the support of d^{pi*}")
    return lam * d_star + (1.0 - lam) * off / k


def single_policy_concentrability(model_class: FiniteModelClass, cq: ClassQuantities,
                                  nu) -> float:
    """``C* = max_h ||d_h^{pi*} / nu_h||_inf`` (Def. 4.4), exact
    (:func:`rlth.solvers.occupancy.concentrability`)."""
    pi_star = cq.policies[cq.optimal_policy_index]
    return concentrability(model_class.true_model, pi_star, behavior_distribution=nu)


def hyglow_log_w(n_models: int, n_policies: int, n_rounds: int, horizon: int) -> float:
    """``log|W_bar| = log(2(H+1)) + log|W|`` (Eq. 38, ``|W_bar| <= 2(H+1)|W|`` [V]) with the
    multiset count of :func:`~rlth.algorithms.online.glow.log_weight_class_size` [D]."""
    return math.log(2 * (horizon + 1)) + log_weight_class_size(n_models, n_policies, n_rounds,
                                                               horizon)


def corollary41_gamma(c_star: float, c_cov: float, n_rounds: int, horizon: int, n_f: int,
                      log_w: float, delta: float) -> float:
    """Cor. 4.1: ``gamma = sqrt((C* + C_cov) / (T H^2 log(24|F||W|H^2/delta)))``, capped at 1."""
    L = math.log(24.0 * n_f * horizon ** 2 / delta) + log_w
    return min(1.0, math.sqrt((c_star + c_cov) / (n_rounds * horizon ** 2 * L)))


def _ratios(cq: ClassQuantities, mu: np.ndarray, model_free: bool) -> np.ndarray:
    """``d^{pi;M} / mu_M`` for all (M, pi), shape (n_w, H, S, A); 0/0 = 0, x/0 = inf."""
    occ = cq.occupancy[:1] if model_free else cq.occupancy
    mu = mu[:1] if model_free else mu
    den = mu[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(occ > 0, occ / np.where(den > 0, den, 1.0), 0.0)
        w = np.where((occ > 0) & (den <= 0), np.inf, w)
    return w.reshape(-1, *occ.shape[2:])


def mabo_cr_values(G: np.ndarray, N: np.ndarray, n: np.ndarray, W: np.ndarray, gamma_n: float,
                   alpha: float) -> np.ndarray:
    """MABO.CR's inner maximum over the augmented class, for every ``f``; shape (M,).

    Parameters
    ----------
    G : ndarray, shape (M, H, S, A)
        TD sums (:func:`~rlth.algorithms.online.glow.td_sums`).
    N : ndarray, shape (H, S, A)
        Counts.
    n : ndarray, shape (H,)
        Tuples per layer (a layer with none contributes 0).
    W : ndarray, shape (n_w, H, S, A)
        Base weights ``w >= 0`` (may hold ``inf``).
    gamma_n, alpha : float
        Clip level and penalty.
    """
    M, H = G.shape[0], G.shape[1]
    visited = N > 0
    best = np.full(M, -np.inf)
    for sign in (1.0, -1.0):
        Wc = clip(sign * W, gamma_n)                          # (n_w, H, S, A)
        Wz = np.where(visited[None], Wc, 0.0)                  # unvisited cells contribute 0
        terms = np.empty((M, W.shape[0], H))
        for h in range(H):
            if n[h] == 0:
                terms[:, :, h] = 0.0
                continue
            wz = Wz[:, h].reshape(W.shape[0], -1)
            with np.errstate(invalid="ignore", over="ignore"):
                A_ = np.abs(G[:, h].reshape(M, -1) @ np.where(np.isfinite(wz), wz, 0.0).T) / n[h]
                pen = np.where(np.isfinite(wz), wz * wz, np.inf) @ N[h].reshape(-1) / n[h]
                pen = np.where(np.isnan(pen), np.inf, pen)
            terms[:, :, h] = A_ - alpha * pen[None, :]
        # W (all layers) and the per-layer masked copies W^(h)
        full = terms.sum(axis=2)
        cand = np.maximum(full, terms.max(axis=2))
        best = np.maximum(best, cand.max(axis=1))
    return best


def mabo_cr(cq: ClassQuantities, stats: LayerStats, W: np.ndarray, gamma_n: float,
            alpha: float) -> int:
    """``argmin_f`` of MABO.CR's objective (ties to the lowest index), Eq. (13) [V]."""
    vals = mabo_cr_values(td_sums(cq, stats), stats.counts, stats.n, W, gamma_n, alpha)
    return int(np.argmin(vals))


def mle_model(model_class: FiniteModelClass, stats: LayerStats) -> int:
    """``argmax_M`` log-likelihood of the data (Bernoulli rewards, transitions), ties lowest."""
    N, Rs, Nn = stats.counts, stats.reward_sums, stats.next_counts
    ll = np.empty(model_class.n_models)
    with np.errstate(divide="ignore", invalid="ignore"):
        for i, m in enumerate(model_class.models):
            R, P = m.R, m.P
            lr = np.where(Rs > 0, Rs * np.log(R), 0.0) + np.where(N - Rs > 0,
                                                                  (N - Rs) * np.log1p(-R), 0.0)
            lp = np.where(Nn > 0, Nn * np.log(P), 0.0)
            ll[i] = lr.sum() + lp.sum()
    ll = np.where(np.isnan(ll), -np.inf, ll)
    return int(np.argmax(ll))


class H2O(_ClassLearner):
    """H2O (Algorithm 2) with MABO.CR (= HyGLOW, Algorithm 3) or model-based MLE.

    Parameters
    ----------
    model_class : FiniteModelClass
    n_rounds : int
        ``T``.
    offline : LayerTuples
        At least ``T - 1`` tuples per layer.
    nu : array_like, shape (H, S, A)
        The offline distribution (used by MABO.CR's weights; oracle assumption).
    base : {"mabo_cr", "mle"}
    gamma : float in [0, 1]
        HyGLOW's scale (``gamma_t = gamma t``); unused by ``"mle"``.

    Guarantee
    ---------
    Corollary 4.1 for ``base="mabo_cr"``; Theorem F.5 (+ Thm 4.1) for ``"mle"``.
    """

    def __init__(self, model_class, n_rounds, *, offline: LayerTuples, nu, base="mabo_cr",
                 gamma=1.0, delta=0.1):
        super().__init__(model_class, n_rounds, delta=delta)
        if base not in ("mabo_cr", "mle"):
            raise ValueError(f"base: must be 'mabo_cr' or 'mle', got {base!r}")
        self.base = base
        self.name = "HyGLOW" if base == "mabo_cr" else "H2O+MLE"
        self.gamma = check_gamma_unit(gamma)
        mc = model_class
        if not isinstance(offline, LayerTuples) or offline.states.shape[0] != mc.horizon:
            raise ValueError("offline: expected LayerTuples with one row per layer "
                             "(rlth.data.layered.sample_layer_tuples)")
        if offline.n < self.T - 1:
            raise ValueError(f"offline: H2O needs T - 1 = {self.T - 1} tuples per layer, got "
                             f"{offline.n}")
        self.offline = offline
        self.nu = _check_nu(nu, mc)
        self.reset()

    def reset(self) -> None:
        super().reset()
        mc = self.model_class
        self.off_stats = LayerStats(mc.n_states, mc.n_actions, mc.horizon)

    def propose(self, t: int) -> int:
        hyb = self.stats.merged(self.off_stats)           # t-1 offline + t-1 online per layer
        cq = self.cq
        if self.base == "mle":
            f = mle_model(self.model_class, hyb)
        else:
            if t == 1:
                f = 0
            else:
                dbar = self.played_sum / (t - 1)
                mu = 0.5 * (self.nu[None] + dbar)
                W = _ratios(cq, mu, cq.horizon == 1)
                gt = self.gamma * t
                alpha = 8.0 / gt if gt > 0 else 0.0
                f = mabo_cr(cq, hyb, W, gt, alpha)
        return self._after_play(f)

    def observe(self, states, actions, rewards) -> None:
        super().observe(states, actions, rewards)
        i = len(self.played) - 1                          # add offline tuple i (0-based)
        if i < self.offline.n:
            o = self.offline
            for h in range(self.model_class.horizon):
                self.off_stats.add(h, int(o.states[h, i]), int(o.actions[h, i]),
                                   float(o.rewards[h, i]), int(o.next_states[h, i]))


class OfflineMABOCR:
    """Pure offline MABO.CR on ``n`` offline tuples per layer (baseline, no online data).

    ``gamma_n = gamma n``, ``alpha = 8 / gamma_n`` (Eq. 39 [V]), weights ``d^{pi;M} / nu``.
    """

    name = "offline MABO.CR"

    def __init__(self, model_class: FiniteModelClass, *, nu, gamma=1.0, delta=0.1):
        self.model_class = model_class
        from .glow import class_quantities
        self.cq = class_quantities(model_class)
        self.gamma = check_gamma_unit(gamma)
        self.delta = check_delta(delta)
        mc = model_class
        self.nu = _check_nu(nu, mc)

    def fit(self, offline: LayerTuples, n: int) -> int:
        """Policy index in ``Pi`` of MABO.CR on the first ``n`` tuples of every layer."""
        mc, cq = self.model_class, self.cq
        st = LayerStats(mc.n_states, mc.n_actions, mc.horizon)
        for h in range(mc.horizon):
            for i in range(n):
                st.add(h, int(offline.states[h, i]), int(offline.actions[h, i]),
                       float(offline.rewards[h, i]), int(offline.next_states[h, i]))
        W = _ratios(cq, np.broadcast_to(self.nu, (cq.n_models,) + self.nu.shape), cq.horizon == 1)
        gn = self.gamma * n
        f = mabo_cr(cq, st, W, gn, 8.0 / gn if gn > 0 else 0.0)
        return int(cq.policy_index[f])


def _check_nu(nu, mc: FiniteModelClass) -> np.ndarray:
    """The offline law ``nu[H, S, A]``: a distribution over ``(s, a)`` at every layer."""
    nu = as_float_array("nu", nu, shape=(mc.horizon, mc.n_states, mc.n_actions))
    check_distribution("nu", nu.reshape(mc.horizon, -1))
    return nu


def sample_offline(model_class: FiniteModelClass, nu, n: int, *, rng=None) -> LayerTuples:
    """``n`` ordered offline tuples per layer from ``nu`` on the true model."""
    n = check_positive_int("n", n)
    return sample_layer_tuples(model_class.true_model, nu, n, rng=as_generator(rng),
                               reward=model_class.reward)


__all__ += ["sample_offline"]


@njit(cache=True)
def _hyglow_kernel(Q, V, pol_of_f, policies, occ, nu, off_x, off_a, off_r, off_y, cum_rho,
                   cum_P, R, bernoulli, T, gamma, rng):
    """HyGLOW's loop (numba engine of :class:`H2O` with ``base="mabo_cr"``; same stream)."""
    M, H, S, A = Q.shape
    Mw, P = occ.shape[0], occ.shape[1]
    N = np.zeros((H, S, A))
    Rs = np.zeros((H, S, A))
    Nn = np.zeros((H, S, A, S))
    D = np.zeros((Mw, H, S, A))
    G = np.zeros((M, H, S, A))
    pols = np.empty(T, dtype=np.int16)
    best = np.empty(M)
    wz = np.empty((H, S, A))
    fin = np.empty((H, S, A), dtype=np.bool_)
    terms = np.empty((M, H))
    n_off = off_x.shape[1]
    for t in range(1, T + 1):
        f_sel = 0
        if t > 1:
            n = 2.0 * (t - 1)
            for f in range(M):
                for h in range(H):
                    for x in range(S):
                        for a in range(A):
                            acc = 0.0
                            if h + 1 < H:
                                for y in range(S):
                                    acc += Nn[h, x, a, y] * V[f, h + 1, y]
                            G[f, h, x, a] = N[h, x, a] * Q[f, h, x, a] - Rs[h, x, a] - acc
            gt = gamma * t
            alpha = 8.0 / gt if gt > 0 else 0.0
            for f in range(M):
                best[f] = -np.inf
            for m in range(Mw):
                for p in range(P):
                    for sgn in (1.0, -1.0):
                        for h in range(H):
                            for x in range(S):
                                for a in range(A):
                                    o = occ[m, p, h, x, a]
                                    mu = 0.5 * (nu[h, x, a] + D[m, h, x, a] / (t - 1))
                                    if o > 0:
                                        w = o / mu if mu > 0 else np.inf
                                    else:
                                        w = 0.0
                                    w = sgn * w
                                    if w > gt:
                                        w = gt
                                    if N[h, x, a] <= 0:
                                        w = 0.0
                                    wz[h, x, a] = w
                                    fin[h, x, a] = np.isfinite(w)
                        for h in range(H):
                            pen = 0.0
                            for x in range(S):
                                for a in range(A):
                                    if fin[h, x, a]:
                                        pen += wz[h, x, a] * wz[h, x, a] * N[h, x, a]
                                    else:
                                        pen = np.inf
                            pen = pen / n
                            for f in range(M):
                                v = 0.0
                                for x in range(S):
                                    for a in range(A):
                                        if fin[h, x, a]:
                                            v += G[f, h, x, a] * wz[h, x, a]
                                terms[f, h] = abs(v) / n - alpha * pen
                        for f in range(M):
                            full = 0.0
                            mx = -np.inf
                            for h in range(H):
                                full += terms[f, h]
                                if terms[f, h] > mx:
                                    mx = terms[f, h]
                            c = full if full > mx else mx
                            if c > best[f]:
                                best[f] = c
            f_sel = 0
            for f in range(1, M):
                if best[f] < best[f_sel]:
                    f_sel = f
        p = pol_of_f[f_sel]
        pols[t - 1] = p
        _play_and_count(policies, p, occ, cum_rho, cum_P, R, bernoulli, rng, N, Rs, Nn, D)
        i = t - 1
        if i < n_off:
            for h in range(H):
                x2, a2, y2 = off_x[h, i], off_a[h, i], off_y[h, i]
                N[h, x2, a2] += 1.0
                Rs[h, x2, a2] += off_r[h, i]
                Nn[h, x2, a2, y2] += 1.0
    return pols


def run_hyglow(agent: H2O, *, rng=None, engine: str = "auto") -> ClassRunResult:
    """Run an :class:`H2O` agent (T rounds); ``engine="numba"`` (default for MABO.CR) runs the
    compiled loop, tested equal to the Python engine
    (:func:`~rlth.algorithms.online.glow.run_class_learner`)."""
    from .glow import run_class_learner
    if not isinstance(agent, H2O):
        raise ValueError(f"agent: expected an H2O agent, got {type(agent).__name__}")
    if engine not in ("auto", "python", "numba"):
        raise ValueError(f"engine: expected 'auto', 'python' or 'numba', got {engine!r}")
    if engine == "numba" and agent.base != "mabo_cr":
        raise ValueError("engine: only base='mabo_cr' has a numba engine")
    if engine == "python" or agent.base != "mabo_cr":
        return run_class_learner(agent, rng=rng)
    rng = as_generator(rng)
    agent.reset()
    cq, o = agent.cq, agent.offline
    sampler = _EpisodeSampler(agent.model_class)
    occ = cq.occupancy[:1] if cq.horizon == 1 else cq.occupancy
    pols = _hyglow_kernel(cq.Q, cq.V, cq.policy_index, cq.policies, np.ascontiguousarray(occ),
                          np.ascontiguousarray(agent.nu), o.states, o.actions, o.rewards,
                          o.next_states, sampler.cum_rho, np.ascontiguousarray(sampler.cum_P),
                          sampler.R, sampler.bernoulli, agent.T, agent.gamma, rng)
    agent.played = pols
    return ClassRunResult(pols, True, np.zeros(0, dtype=np.int16), cq.optimal_value, cq.values)
