r"""GLOW (Amortila, Foster, Jiang, Sekhari, Xie, ICLR 2024, arXiv 2401.09681, Algorithm 1) on
finite classes, with its baselines (GOLF, the unclipped unregularized ablation, uniform
exploration) and the finite-class machinery shared with :mod:`rlth.algorithms.online.hyglow`.

Setting (Section 1.1 [V]).  Episodic MDP, horizon ``H``, per-episode reward sum in ``[0, 1]``
a.s.; a value class :math:`\mathcal F \ni Q^\star` (Assumption 2.1) and a weight class
:math:`\mathcal W` of density ratios (Assumption 2.2', mixtures).  rlth builds both exactly from a
finite model class :math:`\mathcal M \ni M^\star` (:class:`rlth.models.classes.FiniteModelClass`,
Appendix B): :math:`\mathcal F = \{Q^\star_M\}`, :math:`\Pi = \{\pi_f\}` with the lowest-index
tie-break of execution, occupancies :math:`d^{\pi;M}_h` by forward DP
(:func:`rlth.solvers.occupancy.occupancy`).

Algorithm 1 (GLOW), round ``t = 1..T`` with ``n = K (t - 1)`` tuples per layer:

.. math::
    \gamma_t = \gamma t,\quad \alpha_t = 8/\gamma_t,\quad
    \beta_t = \frac{36\,\gamma_t}{K(t-1)} \log\frac{6|\mathcal F||\mathcal W| T H}{\delta}

    \mathcal F^{(t)} = \Big\{f : \forall h,\ \sup_{w \in \mathcal W_h}
      \hat E_{D_h}\big[\hat\Delta_h f\, \tilde w - \alpha_t \tilde w^2\big] \le \beta_t\Big\},
    \quad \tilde w = \mathrm{clip}_{\gamma_t}[w] = \min(w, \gamma_t),

    f^{(t)} = \arg\max_{f \in \mathcal F^{(t)}} \hat E_{x_1 \in D_1}[f_1(x_1, \pi_f(x_1))],

:math:`\hat\Delta_h f(x,a,r,x') = f_h(x,a) - r - \max_{a'} f_{h+1}(x',a')` (``f_{H+1} = 0``; the
``f_h(x', a')`` of Appendix E.1 is a typo).  With per-layer sufficient statistics ``N_h(x,a)``,
reward sums ``R_h(x,a)`` and next-state counts ``N_h(x,a,x')`` (:class:`LayerStats`) the
objective is

.. math:: \mathrm{Obj}_h(f, w) = \frac1n \sum_{x,a} \tilde w \big(N_h f_h - R_h
          - \textstyle\sum_{x'} N_h(\cdot,x') V^f_{h+1}(x')\big) - \alpha_t N_h \tilde w^2,

so a round costs :math:`O(|\mathcal F||\mathcal W_t| H S A)` whatever the number of samples.

Weight class (v2 note, section I.6 [D]).  Round ``t`` takes the sup over the history-relevant
subset :math:`\mathcal W_t = \{t\, d^{\pi;M} / (\sum_{i<t} d^{\pi^{(i)};M} + d^{\pi;M}) : M \in
\mathcal M, \pi \in \Pi\}` (``0/0 = 0``) of the fixed superclass of Assumption 2.2' (mixtures
counted as multisets), which contains the ratio :math:`d^{(t)}/\bar d^{(t+1)}` that Lemma E.4
needs; restricting the sup only enlarges :math:`\mathcal F^{(t)}`, so Lemma E.2(a) still holds.
``beta_t`` is charged with the superclass size :func:`log_weight_class_size`,
``log|W| = [H > 1] log|M| + log|Pi| + |Pi| log(T+1) + log T`` (for ``H = 1`` the ratios are
model-free: ``1{pi(x)=a} / freq(x, a)``).

Fidelity / parameter sources
----------------------------
* ``gamma_t = gamma t``, ``alpha_t = 8/gamma_t``, ``beta_t`` with 36 and ``6|F||W|TH/delta``,
  upper clip only, one constraint per layer, no absolute value, optimism on the empirical initial
  states of ``D_1``, PAC output ``Unif(pi^(1..T))``: [V] (Algorithm 1).
* ``beta_1 = +inf`` so ``F(1) = F`` [V]; round 1 (``D_1`` empty, objective 0/0) plays the
  lowest-index ``f`` [D] (any fixed rule is faithful: the proof charges round 1 with 1, Eq. 26).
* Ties in the optimistic argmax: lowest model index [D].  An empty ``F(t)`` (impossible on
  the event of Lemma E.2(a); it happens with ``conf_scale < 1``) falls back to all of ``F`` [D].
* Thm 3.1 tuning ``K = 1``, ``gamma = sqrt(C_cov / (T L))``, ``L = log(6|F||W|HT/delta)``
  (the proof of Thm 3.1' [V]): :func:`theorem31_gamma`; passing the exact ``C_cov`` is oracle
  tuning (stated by the experiments).
* ``conf_scale`` multiplies ``beta_t`` (1 = paper).  A named deviation: with the paper's
  constants a wrong ``f`` is eliminated only after about ``1152 L / m^2`` effective samples
  (v2 note, pitfall 1 [D]).
* ``variant="unclipped"`` (ablation of both novelties): no clip, ``alpha = 0`` and the
  Hoeffding threshold ``beta_t = 2 w_max sqrt(2 L / n)`` (``|Delta_hat| <= 2``,
  ``0 <= w <= w_max = t``) [D].
* :class:`GOLF` (Jin, Liu, Miryoosefi 2021): squared-TD confidence set against the best
  ``g in F_h``, ``beta = 32 log(|F| H T / delta)``: the paper leaves the constant unspecified
  ([R]; 32 is rlth's choice, [D] Freedman-type with targets in ``[0, 2]``, not derived tightly).
  Remark 3.2 [V] relates it to GLOW with signed weights ``{f - f'}``.

Engine.  :func:`run_class_learner` is the loop (an agent under the
:class:`~rlth.algorithms.online.runner.OnlineAgent` pattern: ``reset``, ``propose``, ``observe``):
GLOW learns rewards, so unlike the runner of :mod:`rlth.algorithms.online.runner` (whose agents
know the mean rewards and see states and actions only) the loop samples and passes Bernoulli
rewards.  Randomness order: per round one uniform for the initial state, then per step one for
the reward and one for the next state (inverse CDF).

Guarantee
---------
Theorem 3.1 [V]: with probability >= 1 - delta,
``Reg(T) = sum_t J(pi*) - J(pi^(t)) = O~(H sqrt(C_cov T log(|F||W|/delta)))``, with the explicit
constants of Lemma E.4's proof in :func:`rlth.theory.glow.explicit_regret_bound`.  Lemma E.2(a):
``Q* in F(t)`` for all ``t`` w.p. >= 1 - delta (checked by ``experiments/glow.py``).

References
----------
P. Amortila, D. J. Foster, N. Jiang, A. Sekhari, T. Xie, "Harnessing Density Ratios for Online
Reinforcement Learning", ICLR 2024, arXiv 2401.09681: Algorithm 1, Eq. (4), Theorem 3.1,
Lemmas D.4, D.5, E.2-E.4, Remarks 3.2, B.1, Appendix B.
C. Jin, Q. Liu, S. Miryoosefi, "Bellman Eluder Dimension", NeurIPS 2021 (GOLF).
T. Xie, D. J. Foster, Y. Bai, N. Jiang, S. M. Kakade, "The Role of Coverage in Online RL",
ICLR 2023 (coverability; ``C_cov = max_h sum sup_pi d_h^pi``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from ..._rng import as_generator
from ..._validation import check_delta, check_positive_int, check_real
from ...models.classes import FiniteModelClass
from ...solvers.dp import backward_induction, evaluate_policy
from ...solvers.occupancy import occupancy

__all__ = ["ClassQuantities", "class_quantities", "coverability", "coverability_distribution",
           "clip", "log_weight_class_size", "glow_log_term", "theorem31_gamma", "LayerStats",
           "td_sums", "glow_weights", "glow_layer_values", "GLOW", "GOLF",
           "UniformExploration", "ClassRunResult", "run_class_learner", "check_gamma_unit",
           "PAPER_ALPHA", "PAPER_BETA", "PAPER_LOG_FACTOR", "GOLF_BETA", "potential_sums"]

PAPER_ALPHA = 8.0          #: alpha_t = 8 / gamma_t  [V] Algorithm 1 line 1
PAPER_BETA = 36.0          #: beta_t = 36 gamma_t L / (K (t-1))  [V]
PAPER_LOG_FACTOR = 6.0     #: ``L = log(6 #F #W T H / delta)``  [V]
GOLF_BETA = 32.0           #: GOLF's unspecified absolute constant: rlth's choice [R]/[D]


# ============================================================================ class quantities
@dataclass(frozen=True, eq=False)
class ClassQuantities:
    """Exact quantities of a finite model class (Appendix B construction).

    Attributes
    ----------
    Q : ndarray, shape (M, H, S, A)
        ``F = {Q*_M}``.
    V : ndarray, shape (M, H+1, S)
        ``V^f_h(x) = max_a f_h(x, a)``, ``V^f_H = 0``.
    greedy : ndarray of int64, shape (M, H, S)
        ``pi_f`` (lowest-index tie-break, as :func:`rlth.solvers.dp.backward_induction`).
    policy_index : ndarray of int64, shape (M,)
        Index of ``pi_f`` in ``policies`` (distinct greedy policies may coincide).
    policies : ndarray of int64, shape (P, H, S)
        ``Pi``, the distinct greedy policies, in order of first appearance.
    occupancy : ndarray, shape (M, P, H, S, A)
        ``d_h^{pi; M}`` for every model and policy.
    values : ndarray, shape (P,)
        ``J(pi)`` in the true model (exact).
    optimal_value : float
        ``J(pi*)`` in the true model.
    true_index : int
    """

    Q: np.ndarray
    V: np.ndarray
    greedy: np.ndarray
    policy_index: np.ndarray
    policies: np.ndarray
    occupancy: np.ndarray
    values: np.ndarray
    optimal_value: float
    true_index: int

    @property
    def n_models(self) -> int:
        return self.Q.shape[0]

    @property
    def n_policies(self) -> int:
        return self.policies.shape[0]

    @property
    def horizon(self) -> int:
        return self.Q.shape[1]

    @property
    def true_occupancy(self) -> np.ndarray:
        """``d_h^{pi; M*}``, shape (P, H, S, A)."""
        return self.occupancy[self.true_index]

    @property
    def optimal_policy_index(self) -> int:
        return int(self.policy_index[self.true_index])


def class_quantities(model_class: FiniteModelClass) -> ClassQuantities:
    """Build ``F``, ``Pi``, the occupancies and the exact values of a model class.

    Parameters
    ----------
    model_class : FiniteModelClass

    Returns
    -------
    ClassQuantities

    Guarantee
    ---------
    Exact up to round-off: backward induction per model (Puterman 1994, Thm 4.5.1) and forward
    occupancy recursions; ``values[p] = sum_h <d_h^{pi_p; M*}, R_h>``.
    """
    if not isinstance(model_class, FiniteModelClass):
        raise ValueError(f"model_class: expected a FiniteModelClass, got "
                         f"{type(model_class).__name__}")
    M, H = model_class.n_models, model_class.horizon
    Qs, Vs, greedy = [], [], []
    for m in model_class.models:
        sol = backward_induction(m, certify=False)
        Qs.append(sol.Q)
        Vs.append(sol.V)
        greedy.append(sol.pi)
    Q = np.ascontiguousarray(np.array(Qs, dtype=np.float64))
    V = np.ascontiguousarray(np.array(Vs, dtype=np.float64))
    greedy = np.ascontiguousarray(np.array(greedy, dtype=np.int64))
    policies, index = [], np.empty(M, dtype=np.int64)
    for i in range(M):
        for j, p in enumerate(policies):
            if np.array_equal(p, greedy[i]):
                index[i] = j
                break
        else:
            index[i] = len(policies)
            policies.append(greedy[i])
    policies = np.ascontiguousarray(np.array(policies, dtype=np.int64))
    occ = np.ascontiguousarray(np.array([[occupancy(m, p) for p in policies]
                                         for m in model_class.models]))
    truth = model_class.true_model
    values = np.array([evaluate_policy(truth, p).value for p in policies])
    opt = float(backward_induction(truth, certify=False).value)
    for a in (Q, V, greedy, index, policies, occ, values):
        a.setflags(write=False)
    return ClassQuantities(Q, V, greedy, index, policies, occ, values, opt,
                           model_class.true_index)


def coverability_distribution(cq: ClassQuantities) -> np.ndarray:
    """Coverability distribution ``mu_h* ∝ sup_pi d_h^pi`` of the true model, shape (H, S, A).

    [D] (Def. 2.1 with ``mu_h`` chosen per layer; Xie et al. 2023).
    """
    sup = cq.true_occupancy.max(axis=0)
    return sup / sup.sum(axis=(1, 2), keepdims=True)


def coverability(cq: ClassQuantities) -> float:
    """Exact coverability ``C_cov = max_h sum_{x,a} sup_{pi in Pi} d_h^pi(x, a)`` (true model).

    Equals Def. 2.1's ``inf_mu sup_{pi, h} ||d_h^pi / mu_h||_inf`` (attained at
    :func:`coverability_distribution`) [D]; the tests check it against that definition solved as
    a linear program.
    """
    return float(cq.true_occupancy.max(axis=0).sum(axis=(1, 2)).max())


# ============================================================================ constants, tuning
def check_gamma_unit(gamma) -> float:
    """``gamma in [0, 1]`` (Algorithm 1's input) or ``ValueError`` naming ``gamma``."""
    g = check_real("gamma", gamma)
    if not 0.0 <= g <= 1.0:
        raise ValueError(f"gamma: must lie in [0, 1] (Algorithm 1), got {g}")
    return g


def clip(w, gamma_t):
    """``clip_gamma[w] = min(w, gamma)`` (Def. 3.1 [V]): from above only, accepts ``inf``."""
    return np.minimum(w, gamma_t)


def log_weight_class_size(n_models: int, n_policies: int, n_rounds: int, horizon: int) -> float:
    """``log|W|`` of the mixture superclass of Assumption 2.2' on a finite model class [D].

    Mixtures of ``t <= T`` policies depend only on the multiset of policies, so
    ``log|W| <= [H > 1] log|M| + log|Pi| + |Pi| log(T + 1) + log T`` (v2 note, section I.6);
    for ``H = 1`` the ratios ``1{pi(x)=a} / freq(x,a)`` do not depend on the model.
    """
    M = check_positive_int("n_models", n_models)
    P = check_positive_int("n_policies", n_policies)
    T = check_positive_int("n_rounds", n_rounds)
    H = check_positive_int("horizon", horizon)
    return (math.log(M) if H > 1 else 0.0) + math.log(P) + P * math.log(T + 1) + math.log(T)


def glow_log_term(n_f: int, log_w: float, n_rounds: int, horizon: int, delta: float) -> float:
    """````L = log(6 #F #W T H / delta)```` of ``beta_t`` [V]."""
    n_f, n_rounds, horizon = (check_positive_int(k, v) for k, v in
                              (("n_f", n_f), ("n_rounds", n_rounds), ("horizon", horizon)))
    log_w = check_real("log_w", log_w)
    return (math.log(PAPER_LOG_FACTOR) + math.log(n_f) + log_w + math.log(n_rounds)
            + math.log(horizon) - math.log(check_delta(delta)))


def theorem31_gamma(c_cov: float, n_rounds: int, log_term: float) -> float:
    """Theorem 3.1's tuning ``gamma = sqrt(C_cov / (T L))`` (capped at 1, Algorithm 1 needs
    ``gamma in [0, 1]``) [V] (proof of Thm 3.1')."""
    c = check_real("c_cov", c_cov)
    if c <= 0:
        raise ValueError(f"c_cov: must be > 0, got {c}")
    T = check_positive_int("n_rounds", n_rounds)
    return min(1.0, math.sqrt(c / (T * float(log_term))))


# ============================================================================ statistics
class LayerStats:
    """Per-layer sufficient statistics of the tuples ``(x_h, a_h, r_h, x_{h+1})``.

    Attributes
    ----------
    counts : ndarray, shape (H, S, A)
        ``N_h(x, a)``.
    reward_sums : ndarray, shape (H, S, A)
        ``R_h(x, a)``.
    next_counts : ndarray, shape (H, S, A, S)
        ``N_h(x, a, x')``.
    n : ndarray of int64, shape (H,)
        Tuples per layer.
    """

    def __init__(self, n_states: int, n_actions: int, horizon: int):
        S = check_positive_int("n_states", n_states)
        A = check_positive_int("n_actions", n_actions)
        H = check_positive_int("horizon", horizon)
        self.counts = np.zeros((H, S, A))
        self.reward_sums = np.zeros((H, S, A))
        self.next_counts = np.zeros((H, S, A, S))
        self.n = np.zeros(H, dtype=np.int64)

    def add(self, h: int, x: int, a: int, r: float, x_next: int) -> None:
        """Append one tuple to layer ``h``."""
        self.counts[h, x, a] += 1.0
        self.reward_sums[h, x, a] += r
        self.next_counts[h, x, a, x_next] += 1.0
        self.n[h] += 1

    def add_episode(self, states, actions, rewards) -> None:
        """Append one trajectory (``states[H+1]``, ``actions[H]``, ``rewards[H]``) to every layer."""
        for h in range(self.counts.shape[0]):
            self.add(h, int(states[h]), int(actions[h]), float(rewards[h]), int(states[h + 1]))

    def merged(self, other: "LayerStats") -> "LayerStats":
        """Statistics of the union of two datasets (H2O's hybrid set)."""
        out = LayerStats.__new__(LayerStats)
        out.counts = self.counts + other.counts
        out.reward_sums = self.reward_sums + other.reward_sums
        out.next_counts = self.next_counts + other.next_counts
        out.n = self.n + other.n
        return out


def td_sums(cq: ClassQuantities, stats: LayerStats) -> np.ndarray:
    """``G[f, h, x, a] = sum over the tuples at (h, x, a) of Delta_hat_h f``, shape (M, H, S, A).

    ``N_h f_h - R_h - sum_x' N_h(., x') V^f_{h+1}(x')`` (Alg. 1 line 6 with ``f_{h+1}`` [V]).
    """
    nxt = np.einsum("hxay,mhy->mhxa", stats.next_counts, cq.V[:, 1:])
    return stats.counts[None] * cq.Q - stats.reward_sums[None] - nxt


def glow_weights(cq: ClassQuantities, played_sum: np.ndarray, t: int, *,
                 model_free: bool = False) -> np.ndarray:
    """The history-relevant weights ``W_t`` of round ``t`` (v2 note, section I.6 [D]).

    Parameters
    ----------
    cq : ClassQuantities
    played_sum : ndarray, shape (M, H, S, A)
        ``sum_{i<t} d^{pi^(i); M}`` for every model.
    t : int
        Round (1-based).
    model_free : bool
        Use only model 0 (valid when ``H = 1``: the ratios do not depend on the model).

    Returns
    -------
    ndarray, shape (n_w, H, S, A)
        ``t d^{pi;M} / (played_sum_M + d^{pi;M})`` for every ``(M, pi)``, ``0/0 = 0``
        (``= d^{pi}/dbar^{(t+1)}`` with ``pi^(t) = pi``); values in ``[0, t]``.
    """
    occ = cq.occupancy[:1] if model_free else cq.occupancy
    D = played_sum[:1] if model_free else played_sum
    den = D[:, None] + occ
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.where(occ > 0, t * occ / np.where(den > 0, den, 1.0), 0.0)
    return w.reshape(-1, *occ.shape[2:])


def glow_layer_values(G_h: np.ndarray, N_h: np.ndarray, w_h: np.ndarray, alpha: float,
                      n: int) -> np.ndarray:
    """``Obj_h(f, w)`` for all ``f`` and ``w`` at one layer, shape (M, n_w).

    ``G_h`` (M, S, A) from :func:`td_sums`, ``N_h`` (S, A) counts, ``w_h`` (n_w, S, A) already
    clipped, ``n`` the number of tuples.
    """
    Gf = G_h.reshape(G_h.shape[0], -1)
    W = w_h.reshape(w_h.shape[0], -1)
    return (Gf @ W.T - alpha * ((W * W) @ N_h.reshape(-1))[None, :]) / n


# ============================================================================ agents
class _ClassLearner:
    """Shared state of the agents: class quantities, statistics, played occupancies."""

    name = "learner"

    def __init__(self, model_class: FiniteModelClass, n_rounds: int, *, delta: float = 0.1):
        if not isinstance(model_class, FiniteModelClass):
            raise ValueError(f"model_class: expected a FiniteModelClass, got "
                             f"{type(model_class).__name__}")
        self.model_class = model_class
        self.T = check_positive_int("n_rounds", n_rounds)
        self.delta = check_delta(delta)
        self.cq = class_quantities(model_class)

    def reset(self) -> None:
        mc = self.model_class
        self.stats = LayerStats(mc.n_states, mc.n_actions, mc.horizon)
        self.played_sum = np.zeros_like(self.cq.occupancy[:, 0])
        self.played = []
        self.qstar_kept = True
        self.set_sizes = []

    def _after_play(self, f_index: int) -> int:
        p = int(self.cq.policy_index[f_index])
        self.played.append(p)
        return p

    def observe(self, states, actions, rewards) -> None:
        """One trajectory of the policy proposed last (``K = 1``)."""
        self.stats.add_episode(states, actions, rewards)
        self.played_sum += self.cq.occupancy[:, self.played[-1]]

    def _optimistic(self, in_set: np.ndarray) -> int:
        """``argmax_{f in F(t)} sum_x N_1(x) V^f_1(x)``, ties to the lowest index [V]/[D]."""
        if not in_set.any():
            in_set = np.ones_like(in_set)                # empty F(t): optimism over F  [D]
        n1 = self.stats.counts[0].sum(axis=1)
        score = self.cq.V[:, 0] @ n1
        score = np.where(in_set, score, -np.inf)
        return int(np.argmax(score))


class _ConfidenceSetLearner(_ClassLearner):
    """A learner that plays the optimistic member of its confidence set ``F(t)`` (GLOW, GOLF);
    subclasses define :meth:`confidence_set`."""

    def propose(self, t: int) -> int:
        """Policy index of round ``t`` (1-based): the optimistic ``f`` in ``F(t)``."""
        in_set = self.confidence_set(t)
        self.qstar_kept &= bool(in_set[self.cq.true_index])
        self.set_sizes.append(int(in_set.sum()))
        return self._after_play(self._optimistic(in_set))


class GLOW(_ConfidenceSetLearner):
    """GLOW (Algorithm 1, ``K = 1``) on a finite model class; see the module docstring.

    Parameters
    ----------
    model_class : FiniteModelClass
    n_rounds : int
        ``T`` (enters ``beta_t`` through ``log(6|F||W|TH/delta)``).
    gamma : float in [0, 1]
        Clipping scale (Theorem 3.1: :func:`theorem31_gamma`).
    delta : float in (0, 1)
    conf_scale : float > 0, default 1
        Multiplier on ``beta_t`` (1 = paper).
    variant : {"glow", "unclipped"}
        ``"unclipped"``: the ablation of clipping and the quadratic penalty (Hoeffding threshold).

    Guarantee
    ---------
    Theorem 3.1 (``conf_scale = 1``, ``variant = "glow"``, the Thm 3.1 ``gamma``).
    """

    def __init__(self, model_class, n_rounds, *, gamma, delta=0.1, conf_scale=1.0,
                 variant="glow"):
        super().__init__(model_class, n_rounds, delta=delta)
        self.gamma = check_gamma_unit(gamma)
        cs = check_real("conf_scale", conf_scale)
        if not cs > 0:
            raise ValueError(f"conf_scale: must be > 0, got {cs}")
        self.conf_scale = cs
        if variant not in ("glow", "unclipped"):
            raise ValueError(f"variant: must be 'glow' or 'unclipped', got {variant!r}")
        self.variant = variant
        self.name = "GLOW" if variant == "glow" else "unclipped"
        cq = self.cq
        H = cq.horizon
        self.log_w = log_weight_class_size(cq.n_models, cq.n_policies, self.T, H)
        self.L = glow_log_term(cq.n_models, self.log_w, self.T, H, self.delta)
        self.reset()

    def confidence_set(self, t: int) -> np.ndarray:
        """``F(t)`` as a boolean mask over the class (``t`` is 1-based)."""
        M, H = self.cq.n_models, self.cq.horizon
        if t == 1:
            return np.ones(M, dtype=bool)                 # beta_1 = +inf  [V]
        n = t - 1                                        # K (t - 1), K = 1
        W = glow_weights(self.cq, self.played_sum, t, model_free=(H == 1))
        G = td_sums(self.cq, self.stats)
        if self.variant == "glow":
            gt = self.gamma * t
            if gt <= 0:
                return np.ones(M, dtype=bool)            # gamma = 0: every weight clips to 0
            Wc, alpha = clip(W, gt), PAPER_ALPHA / gt
            beta = self.conf_scale * PAPER_BETA * gt * self.L / n
        else:
            Wc, alpha = W, 0.0
            beta = self.conf_scale * 2.0 * t * math.sqrt(2.0 * self.L / n)
        ok = np.ones(M, dtype=bool)
        for h in range(H):
            vals = glow_layer_values(G[:, h], self.stats.counts[h], Wc[:, h], alpha, n)
            ok &= vals.max(axis=1) <= beta
        return ok

class GOLF(_ConfidenceSetLearner):
    """GOLF (Jin, Liu, Miryoosefi 2021) on the value class ``F = {Q*_M}``.

    ``F(t) = {f : for all h, sum (f_h - y_f)^2 - min_{g in F} sum (g_h - y_f)^2 <= beta}`` with
    targets ``y_f = r + V^f_{h+1}(x')`` (squared losses from the sufficient statistics; the
    ``sum y^2`` term cancels), ``beta = conf_scale * 32 log(|F| H T / delta)`` ([R] constant),
    then the same global optimism as GLOW.  Bellman completeness holds for ``H = 1``.
    """

    name = "GOLF"

    def __init__(self, model_class, n_rounds, *, delta=0.1, conf_scale=1.0):
        super().__init__(model_class, n_rounds, delta=delta)
        cs = check_real("conf_scale", conf_scale)
        if not cs > 0:
            raise ValueError(f"conf_scale: must be > 0, got {cs}")
        cq = self.cq
        self.beta = cs * GOLF_BETA * math.log(cq.n_models * cq.horizon * self.T / self.delta)
        self.reset()

    def confidence_set(self, t: int) -> np.ndarray:
        cq, st = self.cq, self.stats
        M, H = cq.n_models, cq.horizon
        ok = np.ones(M, dtype=bool)
        if t == 1:
            return ok
        # target sums Y[f, h, x, a] = R_h + sum_x' N_h(., x') V^f_{h+1}(x')
        Y = st.reward_sums[None] + np.einsum("hxay,mhy->mhxa", st.next_counts, cq.V[:, 1:])
        for h in range(H):
            Nh = st.counts[h].reshape(-1)
            Qg = cq.Q[:, h].reshape(M, -1)                            # candidates g
            Yf = Y[:, h].reshape(M, -1)                               # targets of each f
            loss = (Qg * Qg) @ Nh - 2.0 * (Yf @ Qg.T)                 # [f, g]
            excess = np.diag(loss) - loss.min(axis=1)
            ok &= excess <= self.beta
        return ok

class UniformExploration(_ClassLearner):
    """Baseline: every round plays a uniformly random policy of ``Pi`` (no learning)."""

    name = "uniform"

    def __init__(self, model_class, n_rounds, *, rng=None):
        super().__init__(model_class, n_rounds)
        self._rng = as_generator(rng)
        self.reset()

    def propose(self, t: int) -> int:
        f = int(self._rng.integers(self.cq.n_models))
        return self._after_play(f)


# ============================================================================ loop
@dataclass(frozen=True)
class ClassRunResult:
    """One run of a finite-class learner.

    Attributes
    ----------
    policies : ndarray of int16, shape (T,)
        Index in ``Pi`` of the policy of each round (int16: ``|Pi| <= 4096``, so a run of
        ``T = 1e8`` rounds keeps 200 MB).
    qstar_kept : bool
        ``Q* in F(t)`` in every round (confidence-set learners; True otherwise).
    set_sizes : ndarray of int16
        ``|F(t)|`` per round (empty for learners without a confidence set).
    optimal_value : float
        ``J(pi*)`` (exact).
    values : ndarray, shape (P,)
        ``J(pi)`` of every policy of ``Pi`` (exact).
    """

    policies: np.ndarray
    qstar_kept: bool
    set_sizes: np.ndarray
    optimal_value: float
    values: np.ndarray

    @property
    def regrets(self) -> np.ndarray:
        """``J(pi*) - J(pi^(t))`` per round (exact), shape (T,)."""
        return self.optimal_value - self.values[self.policies]

    @property
    def regret(self) -> float:
        """``Reg(T) = sum_t J(pi*) - J(pi^(t))`` (from the play counts of each policy)."""
        counts = np.bincount(self.policies, minlength=self.values.shape[0])
        return float(math.fsum(float(c) * (self.optimal_value - v)
                               for c, v in zip(counts, self.values)))

    @property
    def risk(self) -> float:
        """Risk of the PAC output ``Unif(pi^(1..T))``: ``Reg(T) / T``."""
        return self.regret / self.policies.shape[0]

    @property
    def first_elimination(self) -> int:
        """First round ``t`` (1-based) with ``|F(t)| < |F|``; ``T + 1`` if none (or no set)."""
        if self.set_sizes.size == 0:
            return self.policies.shape[0] + 1
        drop = np.nonzero(self.set_sizes < self.set_sizes[0])[0]
        return int(drop[0]) + 1 if drop.size else self.policies.shape[0] + 1


class _EpisodeSampler:
    """Inverse-CDF episodes of the true model with Bernoulli (or mean) rewards."""

    def __init__(self, model_class: FiniteModelClass):
        m = model_class.true_model
        self.H = m.horizon
        self.cum_rho = np.cumsum(m.rho)
        self.cum_P = np.cumsum(m.P, axis=-1)
        self.R = np.ascontiguousarray(m.R)
        self.bernoulli = model_class.reward == "bernoulli"

    def episode(self, pi: np.ndarray, rng: np.random.Generator):
        H = self.H
        u = rng.random(1 + 2 * H)
        states = np.empty(H + 1, dtype=np.int64)
        actions = np.empty(H, dtype=np.int64)
        rewards = np.empty(H)
        x = min(int(np.searchsorted(self.cum_rho, u[0], side="right")), len(self.cum_rho) - 1)
        states[0] = x
        for h in range(H):
            a = int(pi[h, x])
            actions[h] = a
            r = self.R[h, x, a]
            rewards[h] = (1.0 if u[1 + 2 * h] < r else 0.0) if self.bernoulli else r
            row = self.cum_P[h, x, a]
            x = min(int(np.searchsorted(row, u[2 + 2 * h], side="right")), row.shape[0] - 1)
            states[h + 1] = x
        return states, actions, rewards


@njit(cache=True)
def _draw(cum, u):
    n = cum.shape[0]
    for i in range(n):
        if cum[i] > u:
            return i
    return n - 1


@njit(cache=True)
def _play_and_count(policies, p, occ, cum_rho, cum_P, R, bernoulli, rng, N, Rs, Nn, D):
    """One episode of policy ``p`` in the true model (uniforms: initial state, then per layer
    reward and next state), added to the counts ``N``, reward sums ``Rs``, next-state counts
    ``Nn``, and the played occupancies ``D += occ[:, p]``.  Shared by the GLOW and HyGLOW
    engines."""
    H = N.shape[0]
    x = _draw(cum_rho, rng.random())
    for h in range(H):
        a = policies[p, h, x]
        ur = rng.random()
        r = R[h, x, a]
        if bernoulli:
            r = 1.0 if ur < r else 0.0
        y = _draw(cum_P[h, x, a], rng.random())
        N[h, x, a] += 1.0
        Rs[h, x, a] += r
        Nn[h, x, a, y] += 1.0
        x = y
    D += occ[:, p]


@njit(cache=True)
def _glow_kernel(Q, V, pol_of_f, policies, occ, cum_rho, cum_P, R, bernoulli, T, gamma, L,
                 conf_scale, unclipped, true_index, rng):
    """GLOW's loop (numba engine of :class:`GLOW`; same random stream and order)."""
    M, H, S, A = Q.shape
    Mw, P = occ.shape[0], occ.shape[1]
    N = np.zeros((H, S, A))
    Rs = np.zeros((H, S, A))
    Nn = np.zeros((H, S, A, S))
    D = np.zeros((Mw, H, S, A))
    G = np.zeros((M, H, S, A))
    pols = np.empty(T, dtype=np.int16)
    sizes = np.empty(T, dtype=np.int16)
    best = np.empty(M)
    in_set = np.empty(M, dtype=np.bool_)
    wt = np.empty((S, A))
    kept = True
    for t in range(1, T + 1):
        for f in range(M):
            in_set[f] = True
        if t > 1:
            n = t - 1.0
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
            if unclipped:
                alpha = 0.0
                beta = conf_scale * 2.0 * t * np.sqrt(2.0 * L / n)
            else:
                alpha = 8.0 / gt if gt > 0 else 0.0
                beta = conf_scale * 36.0 * gt * L / n
            if unclipped or gt > 0:
                for h in range(H):
                    for f in range(M):
                        best[f] = -np.inf
                    for m in range(Mw):
                        for p in range(P):
                            for x in range(S):
                                for a in range(A):
                                    o = occ[m, p, h, x, a]
                                    if o > 0:
                                        den = D[m, h, x, a] + o
                                        w = t * o / den
                                    else:
                                        w = 0.0
                                    if not unclipped and w > gt:
                                        w = gt
                                    wt[x, a] = w
                            pen = 0.0
                            for x in range(S):
                                for a in range(A):
                                    pen += N[h, x, a] * wt[x, a] * wt[x, a]
                            for f in range(M):
                                v = 0.0
                                for x in range(S):
                                    for a in range(A):
                                        v += G[f, h, x, a] * wt[x, a]
                                v = (v - alpha * pen) / n
                                if v > best[f]:
                                    best[f] = v
                    for f in range(M):
                        if best[f] > beta:
                            in_set[f] = False
        cnt = 0
        for f in range(M):
            if in_set[f]:
                cnt += 1
        sizes[t - 1] = cnt
        if not in_set[true_index]:
            kept = False
        # optimism on the empirical initial states, ties to the lowest index; an empty F(t)
        # (possible only with conf_scale < 1) falls back to the whole class
        if cnt == 0:
            for f in range(M):
                in_set[f] = True
        fbest = -1
        sbest = -np.inf
        for f in range(M):
            if in_set[f]:
                sc = 0.0
                for x in range(S):
                    n1 = 0.0
                    for a in range(A):
                        n1 += N[0, x, a]
                    sc += V[f, 0, x] * n1
                if fbest < 0 or sc > sbest:
                    fbest = f
                    sbest = sc
        p = pol_of_f[fbest]
        pols[t - 1] = p
        # one episode of the true model
        _play_and_count(policies, p, occ, cum_rho, cum_P, R, bernoulli, rng, N, Rs, Nn, D)
    return pols, sizes, kept


@njit(cache=True)
def _potentials(pols, occ, mu, C):
    P, H, S, A = occ.shape
    cum = np.zeros((H, S, A))
    e3 = np.zeros(H)
    d5 = np.zeros((H, S, A))
    for t in range(pols.shape[0]):
        p = pols[t]
        for h in range(H):
            for x in range(S):
                for a in range(A):
                    d = occ[p, h, x, a]
                    if d > 0:
                        d5[h, x, a] += d / (cum[h, x, a] + C * mu[h, x, a])
                        cum[h, x, a] += d
                        e3[h] += d * d / cum[h, x, a]
                    # d == 0 adds nothing to either sum
    return e3, d5


def potential_sums(cq: ClassQuantities, policies: np.ndarray):
    """Lemma E.3 and D.5 sums along a played sequence (true model's occupancies).

    Parameters
    ----------
    cq : ClassQuantities
    policies : ndarray of int64, shape (T,)
        Indices in ``Pi`` of the policies played.

    Returns
    -------
    e3 : ndarray, shape (H,)
        ``sum_t E_{d_h^t}[d_h^t / sum_{s<=t} d_h^s]`` per layer (Lemma E.3's left side).
    d5 : ndarray, shape (H, S, A)
        ``sum_t d_h^t(z) / (sum_{i<t} d_h^i(z) + C_cov mu_h(z))`` (Lemma D.5's left side, with
        the coverability distribution ``mu`` and ``C = C_cov``, so ``d^t <= C mu``).
    """
    pols = np.ascontiguousarray(policies, dtype=np.int64)
    if pols.ndim != 1 or pols.size == 0 or pols.min() < 0 or pols.max() >= cq.n_policies:
        raise ValueError(f"policies: expected a non-empty 1-D array of indices in "
                         f"[0, {cq.n_policies - 1}]")
    return _potentials(pols, np.ascontiguousarray(cq.true_occupancy),
                       np.ascontiguousarray(coverability_distribution(cq)), coverability(cq))


def run_class_learner(agent, n_rounds: int | None = None, *, rng=None,
                      engine: str = "auto") -> ClassRunResult:
    """Run a finite-class learner for ``T`` rounds of one trajectory each; exact regret.

    Parameters
    ----------
    agent : GLOW, GOLF, UniformExploration or an H2O agent of :mod:`~rlth.algorithms.online.hyglow`
        Reset here.
    n_rounds : int, optional
        Defaults to the agent's ``T``.
    rng : Generator, int or SeedSequence
        Drives the episodes.
    engine : {"auto", "python", "numba"}
        ``"numba"`` runs :class:`GLOW`'s whole loop compiled (tested equal to the Python
        engine, the specification); ``"auto"`` uses it for GLOW.

    Returns
    -------
    ClassRunResult

    Examples
    --------
    >>> from rlth.instances.finite_classes import contextual_bandit_class
    >>> c = contextual_bandit_class(2, 2, 0.5)
    >>> res = run_class_learner(GLOW(c, 50, gamma=0.5), rng=0)
    >>> res.regrets.shape, res.qstar_kept
    ((50,), True)
    """
    T = agent.T if n_rounds is None else check_positive_int("n_rounds", n_rounds)
    if engine not in ("auto", "python", "numba"):
        raise ValueError(f"engine: expected 'auto', 'python' or 'numba', got {engine!r}")
    is_glow = isinstance(agent, GLOW)
    if engine == "numba" and not is_glow:
        raise ValueError(f"engine: {type(agent).__name__} has no numba engine; use 'python'")
    rng = as_generator(rng)
    agent.reset()
    sampler = _EpisodeSampler(agent.model_class)
    cq = agent.cq
    if is_glow and engine != "python":
        occ = cq.occupancy[:1] if cq.horizon == 1 else cq.occupancy
        pols, sizes, kept = _glow_kernel(
            cq.Q, cq.V, cq.policy_index, cq.policies, np.ascontiguousarray(occ),
            sampler.cum_rho, np.ascontiguousarray(sampler.cum_P), sampler.R, sampler.bernoulli,
            T, agent.gamma, agent.L, agent.conf_scale, agent.variant == "unclipped",
            cq.true_index, rng)
        agent.played = pols
        return ClassRunResult(pols, bool(kept), sizes, cq.optimal_value, cq.values)
    pols = np.empty(T, dtype=np.int16)
    for t in range(1, T + 1):
        p = agent.propose(t)
        pols[t - 1] = p
        s, a, r = sampler.episode(cq.policies[p], rng)
        agent.observe(s, a, r)
    return ClassRunResult(pols, bool(agent.qstar_kept),
                          np.asarray(agent.set_sizes, dtype=np.int16), cq.optimal_value,
                          cq.values)
