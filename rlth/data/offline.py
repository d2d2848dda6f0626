r"""Offline datasets of i.i.d. samples, drawn directly as sufficient statistics.

Drawing N i.i.d. samples one by one and counting costs O(N).  The counts and sums have known
laws, so rlth draws them directly, at a cost independent of N (N = 1e9 costs the same as
N = 1e3) and with **exactly** the distribution of the counted full sample:

Counts
    :math:`(n(x))_x \sim \mathrm{Multinomial}(N, \mu)` over cells x (arms, context-action pairs,
    state-action pairs).
Bernoulli rewards
    given the counts, the reward sums of the cells are independent,
    :math:`\sum_{i \le n(x)} r_i \sim \mathrm{Binomial}(n(x), \bar r(x))`; the sum of squares
    equals the sum (:math:`r^2 = r`).
Gaussian rewards :math:`r \sim N(m, \sigma^2)`
    :math:`T = \sum_i r_i \sim N(n m, n \sigma^2)` and, by Cochran's theorem (the sample mean and
    the centred sum of squares of i.i.d. normals are independent),

    .. math::
        \sum_i r_i^2 = \sum_i (r_i - \bar r)^2 + T^2/n, \qquad
        \sum_i (r_i - \bar r)^2 \sim \sigma^2 \chi^2_{n-1}\ \text{independent of } T,

    so the pair (T, sum of squares) is drawn exactly as ``T ~ N(nm, n sigma^2)`` and
    ``T**2 / n + sigma**2 * chi2(n - 1)`` (``chi2(0) = 0``; both are 0 when n = 0).  [D]
Next states
    given the counts, :math:`(n(s, a, s'))_{s'} \sim \mathrm{Multinomial}(n(s, a), P(\cdot\mid s, a))`
    independently per (s, a).  Jointly, ``next_counts`` is ``Multinomial(N, mu(s,a) P(s'|s,a))`` over
    the ``S*A*S`` cells, as for the full sample.

Multinomials use numpy's ``Generator.multinomial`` (sequential conditional binomials, O(cells)).
Reproducibility: each function consumes the generator in a fixed order (counts, then reward
sums, then squares / next states), so the same seed gives the same dataset.

Trajectories
    K i.i.d. episodes of a behaviour policy :math:`\pi` in a finite-horizon MDP have per-step
    counts whose joint law factorises along the episode (Markov property): the initial-state
    counts are :math:`(n_0(s))_s \sim \mathrm{Multinomial}(K, \rho)`; given the step-h state
    counts, :math:`(n_h(s, a))_a \sim \mathrm{Multinomial}(n_h(s), \pi_h(\cdot\mid s))`
    independently per s; given those, :math:`(n_h(s, a, s'))_{s'} \sim
    \mathrm{Multinomial}(n_h(s, a), P_h(\cdot\mid s, a))`, and
    :math:`n_{h+1}(s') = \sum_{s,a} n_h(s, a, s')`.  Drawing these sequential multinomials
    (:func:`sample_trajectory_dataset`) gives exactly the law of the counted K episodes at cost
    O(H S^2 A), independent of K.  [D] (standard; tests/data/test_trajectory_counts.py checks it
    against counted raw episodes from :func:`rlth.data.episodes.rollout`).

Finite horizon: :func:`sample_transition_dataset` draws ``n_samples`` i.i.d. pairs
:math:`(s, a) \sim \mu_h` **per step** h, independently across h (the i.i.d. offline data
model, stated per step; [D] extension of the discounted model below).

References
----------
P. Rashidinejad, B. Zhu, C. Ma, J. Jiao, S. Russell, "Bridging Offline Reinforcement Learning
and Imitation Learning: A Tale of Pessimism", NeurIPS 2021: the data model, N i.i.d. tuples
:math:`(s_i, a_i) \sim \mu`, :math:`r_i \sim R(s_i, a_i)`, :math:`s_i' \sim P(\cdot\mid s_i,a_i)`
([R], see docs/explanation/theory_notes.md, LCB section 2), and VI-LCB (Algorithm 3), which splits the data into
folds, hence :func:`sample_transition_folds`.
W. G. Cochran, "The distribution of quadratic forms in a normal system", 1934 (the chi-square
decomposition).  [V] multinomial / binomial laws (standard); [D] the Gaussian sum-of-squares draw.
"""
from __future__ import annotations

import numpy as np

from .._rng import as_generator
from .._validation import (as_float_array, check_array_bytes, check_choice, check_distribution,
                           check_instance,
                           check_nonnegative_int, check_positive_int)
from ..models.bandits import ContextualBandit, MultiArmedBandit
from ..models.mdp import DiscountedMDP, FiniteHorizonMDP
from ..models.policy import as_stochastic_policy
from ..models.sparse import SparseDiscountedMDP, SparseFiniteHorizonMDP, is_sparse_mdp
from .._kernels.csr import column_counts, csr_multinomial_rows
from .datasets import (BanditDataset, ContextualDataset, SparseTransitionDataset,
                       TransitionDataset)

__all__ = ["sample_bandit_dataset", "sample_contextual_dataset", "sample_transition_dataset",
           "sample_transition_folds", "sample_trajectory_dataset", "sample_trajectory_folds",
           "TRANSITION_REWARD_KINDS"]

TRANSITION_REWARD_KINDS = ("bernoulli", "mean")


#: Largest ``n_samples`` a sampler accepts: counts are int64 (numpy's multinomial draws in C long).
MAX_SAMPLES = 2**62


def _check_n_samples(n_samples, name: str = "n_samples") -> int:
    N = check_nonnegative_int(name, n_samples)
    if N > MAX_SAMPLES:
        raise ValueError(f"{name}: must be <= 2**62 (counts are int64), got {N}")
    return N


def _distribution(name: str, x, shape: tuple) -> np.ndarray:
    """Validated distribution over the whole array ``x`` of ``shape``; renormalized exactly."""
    p = as_float_array(name, x, shape=shape)
    check_distribution(name, p.reshape(-1))
    return p / p.sum()


def _normalize_rows(p: np.ndarray) -> np.ndarray:
    # rows are distributions within 1e-10; numpy's multinomial wants sum(p[:-1]) <= 1 + 1e-12
    return p / p.sum(axis=-1, keepdims=True)


def _reward_sums(rng, counts: np.ndarray, means: np.ndarray, kind: str, sigma: float):
    """Reward sums and sums of squares for i.i.d. rewards given the counts (see module doc)."""
    if kind == "bernoulli":
        sums = rng.binomial(counts, means).astype(np.float64)
        return sums, sums.copy()
    # gaussian: T ~ N(n m, n sigma^2); sum sq = T^2/n + sigma^2 chi2(n-1) = ... gamma((n-1)/2, 2)
    n = counts.astype(np.float64)
    sums = rng.normal(n * means, sigma * np.sqrt(n))
    chi2 = rng.gamma(np.maximum(n - 1.0, 0.0) / 2.0, 2.0)
    sq = np.where(counts > 0, sums ** 2 / np.maximum(n, 1.0), 0.0) + sigma ** 2 * chi2
    sums = np.where(counts > 0, sums, 0.0)
    sq = np.where(counts > 0, sq, 0.0)
    return np.ascontiguousarray(sums), np.ascontiguousarray(sq)


def sample_bandit_dataset(bandit: MultiArmedBandit, behavior, n_samples, *,
                          rng=None) -> BanditDataset:
    r"""N i.i.d. pulls ``a ~ behavior`` of a K-armed bandit, as sufficient statistics.

    Parameters
    ----------
    bandit : MultiArmedBandit
        Bernoulli or Gaussian rewards.
    behavior : array_like, shape (K,)
        Behaviour distribution :math:`\mu` over arms.
    n_samples : int
        N >= 0.
    rng : Generator, int or SeedSequence

    Returns
    -------
    BanditDataset
        ``counts ~ Multinomial(N, mu)``; Bernoulli: ``reward_sums ~ Binomial(counts, means)``;
        Gaussian: see the module docstring.  Cost O(K), independent of N.

    Guarantee
    ---------
    Exactly the joint law of the statistics of N counted i.i.d. samples (module docstring);
    tests/data/test_data.py checks it against the analytic moments, the enumerated pmf and
    brute-force full sampling.

    References
    ----------
    Rashidinejad et al. 2021 (offline multi-armed bandits, LCB).

    Examples
    --------
    >>> from rlth.models import MultiArmedBandit
    >>> d = sample_bandit_dataset(MultiArmedBandit([0.2, 0.8]), [0.5, 0.5], 10**9, rng=0)
    >>> int(d.counts.sum())
    1000000000
    """
    check_instance("bandit", bandit, MultiArmedBandit)
    mu = _distribution("behavior", behavior, (bandit.n_arms,))
    N = _check_n_samples(n_samples)
    rng = as_generator(rng)
    counts = rng.multinomial(N, mu).astype(np.int64)
    sums, sq = _reward_sums(rng, counts, bandit.means, bandit.reward, bandit.sigma)
    return BanditDataset(counts, sums, sq, N)


def sample_contextual_dataset(cb: ContextualBandit, behavior, n_samples, *,
                              rng=None) -> ContextualDataset:
    r"""N i.i.d. (context, action) pairs from a joint distribution, with their rewards.

    Parameters
    ----------
    cb : ContextualBandit
    behavior : array_like, shape (S, A)
        Joint distribution :math:`\mu(s, a)` over context-action pairs (sums to 1 over both
        axes).  For a context law rho and a behaviour policy pi_b pass ``rho[:, None] * pi_b``.
    n_samples : int
    rng : Generator, int or SeedSequence

    Returns
    -------
    ContextualDataset
        ``counts ~ Multinomial(N, mu)`` over the S*A cells, reward sums as for bandits.

    Guarantee
    ---------
    Exactly the joint law of the statistics of N counted i.i.d. samples (module docstring);
    tests/data/test_data.py checks it against the analytic moments, the enumerated pmf and
    brute-force full sampling.

    References
    ----------
    Rashidinejad et al. 2021 (offline contextual bandits, LCB).
    """
    check_instance("cb", cb, ContextualBandit)
    S, A = cb.means.shape
    mu = _distribution("behavior", behavior, (S, A))
    N = _check_n_samples(n_samples)
    rng = as_generator(rng)
    counts = rng.multinomial(N, mu.reshape(-1)).astype(np.int64).reshape(S, A)
    sums, sq = _reward_sums(rng, counts, cb.means, cb.reward, cb.sigma)
    return ContextualDataset(counts, sums, sq, N)


def _check_reward_kind(reward: str, R: np.ndarray) -> str:
    check_choice("reward", reward, TRANSITION_REWARD_KINDS)
    if reward == "bernoulli" and R.size and (R.min() < 0.0 or R.max() > 1.0):
        raise ValueError("reward: 'bernoulli' needs mean rewards in [0, 1], got range "
                         f"[{R.min():.6g}, {R.max():.6g}]; use reward='mean'")
    return reward


def _mdp_arrays(mdp):
    """(P[Hp,S,A,S], R[Hr,S,A], horizon or None) of a finite-horizon or discounted MDP (``P``
    is None for a CSR model)."""
    check_instance("mdp", mdp, (FiniteHorizonMDP, DiscountedMDP, SparseFiniteHorizonMDP,
                                SparseDiscountedMDP))
    if isinstance(mdp, SparseFiniteHorizonMDP):
        return None, mdp.R_stages, mdp.horizon
    if isinstance(mdp, SparseDiscountedMDP):
        return None, mdp.R[None], None
    if isinstance(mdp, FiniteHorizonMDP):
        return mdp.P_stages, mdp.R_stages, mdp.horizon
    return mdp.P[None], mdp.R[None], None


def _behavior_distribution(mdp, behavior_distribution, horizon) -> np.ndarray:
    """Validated mu as [H or 1, S, A]; each step's slice is a distribution over (s, a)."""
    S, A = mdp.n_states, mdp.n_actions
    name = "behavior_distribution"
    if horizon is None:
        mu = as_float_array(name, behavior_distribution, shape=(S, A))[None]
    else:
        mu = as_float_array(name, behavior_distribution, ndim=(2, 3))
        if mu.shape not in {(horizon, S, A), (S, A)}:
            raise ValueError(f"{name}: expected shape {(horizon, S, A)} (or {(S, A)} for the "
                             f"same distribution at every step), got {mu.shape}")
        mu = mu.reshape((-1, S, A))
    flat = mu.reshape(mu.shape[0], S * A)
    check_distribution(name, flat, axis=-1)
    return flat / flat.sum(axis=-1, keepdims=True)


def sample_transition_dataset(mdp, behavior_distribution, n_samples, *, rng=None,
                              reward: str = "bernoulli") -> TransitionDataset:
    r"""I.i.d. transitions ``(s, a) ~ mu``, ``r ~ Bernoulli(R(s, a))``, ``s' ~ P(.|s, a)``.

    Parameters
    ----------
    mdp : DiscountedMDP or FiniteHorizonMDP
    behavior_distribution : array_like
        ``mu[S, A]`` for a discounted MDP; ``mu[H, S, A]`` for a finite-horizon MDP (each
        ``mu[h]`` a distribution over (s, a); a single ``mu[S, A]`` is used at every step).
    n_samples : int
        N >= 0: transitions in total (discounted) or **per step h** (finite horizon).
    rng : Generator, int or SeedSequence
    reward : {"bernoulli", "mean"}
        Bernoulli rewards with the MDP's means (needs R in [0, 1]) or the exact mean R(s, a)
        for every sample.

    Returns
    -------
    TransitionDataset
        ``[S, A]`` form (discounted) or ``[H, S, A]`` form (finite horizon).  Cost
        O(H S^2 A), independent of N.

    Guarantee
    ---------
    Exactly the joint law of the statistics of N counted i.i.d. samples (module docstring);
    tests/data/test_data.py checks it against the analytic moments, the enumerated pmf and
    brute-force full sampling.

    References
    ----------
    Rashidinejad et al. 2021 (i.i.d. offline data model of the MDP setting, VI-LCB).

    Examples
    --------
    >>> from rlth.instances import random_mdp
    >>> import numpy as np
    >>> m = random_mdp(3, 2, gamma=0.9, rng=0)
    >>> d = sample_transition_dataset(m, np.full((3, 2), 1 / 6), 10**9, rng=1)
    >>> d.next_counts.shape, int(d.counts.sum())
    ((3, 2, 3), 1000000000)
    """
    P, R, horizon = _mdp_arrays(mdp)
    mu = _behavior_distribution(mdp, behavior_distribution, horizon)
    N = _check_n_samples(n_samples)
    reward = _check_reward_kind(reward, R)
    rng = as_generator(rng)
    return _draw_transitions(rng, mdp, P, R, mu, horizon, N, reward)


def _draw_transitions(rng, mdp, P, R, mu, horizon, N, reward):
    """Counts, reward sums, then next-state counts; ``P is None``: a CSR model, whose next-state
    multinomials run over each row's stored successors (a :class:`SparseTransitionDataset`)."""
    S, A = mdp.n_states, mdp.n_actions
    Hn = 1 if horizon is None else horizon
    mu = np.broadcast_to(mu, (Hn, S * A))
    counts = rng.multinomial(N, mu).astype(np.int64).reshape(Hn, S, A)
    Rb = np.broadcast_to(R, (Hn, S, A))
    if reward == "bernoulli":
        sums = rng.binomial(counts, Rb).astype(np.float64)
    else:
        sums = counts * Rb
    if P is None:
        n_p = (mdp.indptr.size - 1) // (S * A)
        nxt = [_csr_next_counts(rng, mdp, h if n_p > 1 else 0, counts[h]) for h in range(Hn)]
    else:
        nxt = rng.multinomial(counts, np.broadcast_to(_normalize_rows(P), (Hn, S, A, S)))
        nxt = nxt.astype(np.int64)
    if horizon is None:
        counts, sums = counts[0], sums[0]
        nxt = nxt if P is None else nxt[0]
    if P is None:
        return SparseTransitionDataset(counts, sums, nxt, mdp.indptr, mdp.indices, N)
    return TransitionDataset(counts, sums, nxt, N)


def _csr_next_counts(rng, mdp, hp, counts_h) -> np.ndarray:
    """Next-state counts of one step over the stage's stored successors (sequential binomials)."""
    S, A = mdp.n_states, mdp.n_actions
    lo, hi = mdp.indptr[hp * S * A], mdp.indptr[(hp + 1) * S * A]
    out = np.zeros(hi - lo, dtype=np.int64)
    ptr = np.ascontiguousarray(mdp.indptr[hp * S * A:(hp + 1) * S * A + 1] - lo)
    csr_multinomial_rows(ptr, mdp.data[lo:hi], 0, np.ascontiguousarray(counts_h.reshape(-1)),
                         rng, out)
    return out


def sample_transition_folds(mdp, behavior_distribution, n_samples, n_folds, *, rng=None,
                            reward: str = "bernoulli") -> list[TransitionDataset]:
    r"""``n_folds`` independent datasets of ``n_samples // n_folds`` transitions each.

    Splitting N i.i.d. samples into folds gives independent folds of i.i.d. samples, so the
    folds are drawn independently (``n_samples % n_folds`` leftover samples are dropped, as a
    split into equal folds does).

    Parameters
    ----------
    mdp, behavior_distribution, rng, reward
        As in :func:`sample_transition_dataset`.
    n_samples : int
        Total N (per step h for a finite-horizon MDP).
    n_folds : int
        Number of folds >= 1.

    Returns
    -------
    list of TransitionDataset

    References
    ----------
    Rashidinejad et al. 2021, Algorithm 3: VI-LCB splits the N samples at random into T + 1
    folds of m = N / (T + 1); fold t drives iteration t only, so the value estimate is
    independent of the fold it is applied to.  Here ``n_folds = T + 1``.
    """
    P, R, horizon = _mdp_arrays(mdp)
    mu = _behavior_distribution(mdp, behavior_distribution, horizon)
    N = _check_n_samples(n_samples)
    n_folds = check_positive_int("n_folds", n_folds)
    Hn = 1 if horizon is None else horizon
    S, A = P.shape[1], P.shape[2]
    # every fold holds counts, reward sums and next counts, plus ~1 kB of Python objects
    check_array_bytes("n_folds", (n_folds, Hn, S, A, S + 2), what="the folds' arrays",
                      extra_bytes=1024 * n_folds)
    reward = _check_reward_kind(reward, R)
    rng = as_generator(rng)
    m = N // n_folds
    return [_draw_transitions(rng, mdp, P, R, mu, horizon, m, reward) for _ in range(n_folds)]


def _trajectory_inputs(mdp, behavior_policy, n_episodes, reward):
    check_instance("mdp", mdp, (FiniteHorizonMDP, SparseFiniteHorizonMDP))
    H, S, A = mdp.horizon, mdp.n_states, mdp.n_actions
    pi = as_stochastic_policy(behavior_policy, S, A, H, name="behavior_policy")
    K = _check_n_samples(n_episodes, "n_episodes")
    reward = _check_reward_kind(reward, mdp.R_stages)
    return pi, K, reward


def _draw_trajectories(rng, mdp, pi, K, reward):
    """Sequential multinomials, step by step: state -> action counts, reward sums, next-state
    counts (over each row's stored successors for a CSR model, which returns a
    :class:`SparseTransitionDataset`), whose column sums are the next step's state counts."""
    H, S, A = mdp.horizon, mdp.n_states, mdp.n_actions
    sparse = is_sparse_mdp(mdp)
    R = np.broadcast_to(mdp.R_stages, (H, S, A))
    counts = np.empty((H, S, A), dtype=np.int64)
    sums = np.empty((H, S, A), dtype=np.float64)
    if sparse:
        nxt = []
    else:
        P = _normalize_rows(np.broadcast_to(mdp.P_stages, (H, S, A, S)))
        nxt = np.empty((H, S, A, S), dtype=np.int64)
    n_s = rng.multinomial(K, _normalize_rows(np.asarray(mdp.rho, dtype=np.float64))).astype(np.int64)
    for h in range(H):
        counts[h] = rng.multinomial(n_s, _normalize_rows(pi[h]))
        if reward == "bernoulli":
            sums[h] = rng.binomial(counts[h], R[h])
        else:
            sums[h] = counts[h] * R[h]
        if sparse:
            hp = h if mdp.n_p_stages > 1 else 0
            nxt.append(_csr_next_counts(rng, mdp, hp, counts[h]))
            lo = mdp.indptr[hp * S * A]
            n_s = column_counts(mdp.indices[lo:lo + nxt[-1].size], nxt[-1], S)
        else:
            nxt[h] = rng.multinomial(counts[h], P[h])
            n_s = nxt[h].sum(axis=(0, 1))
    if sparse:
        return SparseTransitionDataset(counts, sums, nxt, mdp.indptr, mdp.indices, K)
    return TransitionDataset(counts, sums, nxt, K)


def sample_trajectory_dataset(mdp, behavior_policy, n_episodes, *, rng=None,
                              reward: str = "bernoulli") -> TransitionDataset:
    r"""Per-step counts of K i.i.d. episodes of ``behavior_policy``, drawn without the episodes.

    Parameters
    ----------
    mdp : FiniteHorizonMDP
    behavior_policy : array_like
        Stochastic ``pi[H, S, A]`` (or stationary ``[S, A]``) or deterministic ``pi[H, S]``
        (or ``[S]``) integer actions.
    n_episodes : int
        K >= 0 episodes, each starting from ``s_0 ~ rho``.
    rng : Generator, int or SeedSequence
    reward : {"bernoulli", "mean"}
        Bernoulli rewards with the MDP's means (needs R in [0, 1]) or the exact mean R(s, a).

    Returns
    -------
    TransitionDataset
        ``[H, S, A]`` form with ``n_samples = K``: ``counts[h, s, a]`` episodes with
        ``(s_h, a_h) = (s, a)``, ``reward_sums`` their rewards, ``next_counts[h, s, a, s']``
        those with ``s_{h+1} = s'``; the same statistics as
        ``rollout(mdp, behavior_policy, K).to_counts()``.  Cost O(H S^2 A), independent of K.

    Guarantee
    ---------
    Exactly the joint law of the per-step counts of K i.i.d. episodes (module docstring,
    "Trajectories"); tests/data/test_trajectory_counts.py compares the first two moments of every
    count, and the pmf on a tiny model, with counted raw episodes.

    Examples
    --------
    >>> from rlth.instances import random_mdp
    >>> import numpy as np
    >>> m = random_mdp(3, 2, horizon=4, rng=0)
    >>> d = sample_trajectory_dataset(m, np.full((3, 2), 0.5), 10**12, rng=1)
    >>> d.counts.shape, int(d.counts[2].sum())
    ((4, 3, 2), 1000000000000)
    """
    pi, K, reward = _trajectory_inputs(mdp, behavior_policy, n_episodes, reward)
    return _draw_trajectories(as_generator(rng), mdp, pi, K, reward)


def sample_trajectory_folds(mdp, behavior_policy, n_episodes, n_folds, *, rng=None,
                            reward: str = "bernoulli") -> list[TransitionDataset]:
    r"""``n_folds`` independent datasets of ``n_episodes // n_folds`` episodes each.

    Splitting K i.i.d. episodes into folds gives independent folds of i.i.d. episodes (e.g.
    PNLSVI's D and D'), so the folds are drawn independently; ``n_episodes % n_folds``
    leftover episodes are dropped, as a split into equal folds does.

    Parameters
    ----------
    mdp, behavior_policy, rng, reward
        As in :func:`sample_trajectory_dataset`.
    n_episodes : int
        Total K.
    n_folds : int
        Number of folds >= 1.

    Returns
    -------
    list of TransitionDataset
    """
    pi, K, reward = _trajectory_inputs(mdp, behavior_policy, n_episodes, reward)
    n_folds = check_positive_int("n_folds", n_folds)
    check_array_bytes("n_folds", (n_folds, mdp.horizon, mdp.n_states, mdp.n_actions,
                                  mdp.n_states + 2), what="the folds' arrays",
                      extra_bytes=1024 * n_folds)
    rng = as_generator(rng)
    return [_draw_trajectories(rng, mdp, pi, K // n_folds, reward) for _ in range(n_folds)]
