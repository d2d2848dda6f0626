r"""Named and random preference games (:class:`~rlth.models.preference.PreferenceGame`).

Random
  :func:`random_preference` (EGPO generator: lower triangle U[0, 1]), :func:`reference_policy`
  (uniform, softmax of Gaussian logits, skewed).
Intransitive
  :func:`rps_tournament` (generalized rock-paper-scissors), :func:`nontransitive_dice`
  (Munos et al. 2023), :func:`dice_preference`, :func:`ranking_population`,
  :func:`three_rater_example`, :func:`bt_mixture` (mixture of Bradley-Terry populations).
Transitive
  :func:`bradley_terry` (:math:`P = \sigma(r_i - r_j)`), :func:`linear_preference`
  (:math:`P = 1/2 + (r_i - r_j)/c`, whose regularized equilibrium is closed-form, see
  :func:`rlth.theory.nash_md.linear_preference_equilibrium`).
Contextual
  :func:`stack_contexts` (independent per-context games with a context distribution); the random
  generator also takes ``n_contexts``.

Every random generator takes a keyword ``rng`` (see :func:`rlth.as_generator`).

References
----------
R. Munos et al., "Nash Learning from Human Feedback", arXiv:2312.00886 (the dice example;
Bradley-Terry counter-example, appendix A).  R. Zhou, M. Fazel, S. S. Du, "Extragradient
Preference Optimization", arXiv:2503.08942 (random-instance generator of its simulations).
"""
from __future__ import annotations

import itertools

import numpy as np

from .._rng import as_generator
from .._validation import (as_float_array, check_distribution, check_positive_float,
                           check_positive_int)
from ..models.preference import PreferenceGame

__all__ = ["reference_policy", "random_preference", "rps_tournament", "dice_preference",
           "nontransitive_dice", "ranking_population", "three_rater_example", "bradley_terry",
           "linear_preference", "linear_preference_scale", "reward_table", "bt_mixture", "stack_contexts"]

_REFERENCE_KINDS = ("uniform", "softmax", "skewed")


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def reference_policy(n_actions: int, kind: str = "uniform", *, n_contexts: int = 1,
                     scale: float = 1.0, eps: float = 1e-3, rng=None) -> np.ndarray:
    r"""A reference policy ``mu[X, Y]``.

    Parameters
    ----------
    n_actions : int
    kind : {"uniform", "softmax", "skewed"}
        ``"softmax"``: :math:`\mathrm{softmax}(\sigma z)`, :math:`z \sim N(0, I)`, with
        :math:`\sigma` = ``scale`` (EGPO draws reference logits N(0, 1)).  ``"skewed"``: mass
        ``eps`` on each action of the second half, the rest uniform on the first half (a
        reference that nearly excludes part of the equilibrium's support; deterministic).
    n_contexts : int, default 1
    scale, eps : float
    rng : Generator, int or SeedSequence (``"softmax"`` only)
    """
    n = check_positive_int("n_actions", n_actions)
    X = check_positive_int("n_contexts", n_contexts)
    if kind not in _REFERENCE_KINDS:
        raise ValueError(f"kind: must be one of {_REFERENCE_KINDS}, got {kind!r}")
    if kind == "uniform":
        return np.full((X, n), 1.0 / n)
    if kind == "softmax":
        scale = check_positive_float("scale", scale)
        z = scale * as_generator(rng).standard_normal((X, n))
        z -= z.max(axis=1, keepdims=True)
        mu = np.exp(z)
        return mu / mu.sum(axis=1, keepdims=True)
    eps = check_positive_float("eps", eps)
    n_small = n // 2
    if n_small == 0 or eps * n_small >= 1:
        raise ValueError(f"eps: need n_actions >= 2 and eps * (n_actions // 2) < 1, got "
                         f"n_actions={n}, eps={eps}")
    row = np.full(n, (1.0 - eps * n_small) / (n - n_small))
    row[n - n_small:] = eps
    return np.tile(row, (X, 1))


def _mu_or_default(mu, n_actions, n_contexts=1):
    return reference_policy(n_actions, n_contexts=n_contexts) if mu is None else mu


def random_preference(n_actions: int, *, n_contexts: int = 1, mu=None, rng=None,
                      context_probs=None) -> PreferenceGame:
    """Random preference matrices: lower triangle U[0, 1], upper triangle ``1 - lower``.

    This is the generator of the EGPO simulations (Zhou, Fazel, Du 2025) [C].  Generically
    intransitive.

    Parameters
    ----------
    n_actions : int
    n_contexts : int, default 1
        Independent matrices, one per context.
    mu : array_like, shape (X, Y) or (Y,), optional
        Reference policy (uniform when omitted; see :func:`reference_policy`).
    rng : Generator, int or SeedSequence
    context_probs : array_like, optional
    """
    n = check_positive_int("n_actions", n_actions)
    X = check_positive_int("n_contexts", n_contexts)
    rng = as_generator(rng)
    pref = np.full((X, n, n), 0.5)
    low = np.tril_indices(n, -1)
    for x in range(X):
        u = rng.random(len(low[0]))
        pref[x][low] = u
        pref[x][low[1], low[0]] = 1.0 - u
    return PreferenceGame(pref, _mu_or_default(mu, n, X), context_probs)


def rps_tournament(n_actions: int = 3, *, p_win: float = 1.0, mu=None) -> PreferenceGame:
    r"""Generalized rock-paper-scissors: action ``i`` beats the next ``(n-1)/2`` actions (mod n).

    ``P(i > j) = p_win`` when ``i`` beats ``j``, ``1 - p_win`` when ``j`` beats ``i``.  ``n``
    must be odd; the unregularized equilibrium is uniform (the tournament is regular).

    Parameters
    ----------
    n_actions : int, odd, default 3
    p_win : float in [1/2, 1], default 1
    mu : array_like, optional (uniform when omitted)
    """
    n = check_positive_int("n_actions", n_actions)
    if n % 2 == 0:
        raise ValueError(f"n_actions: must be odd for a regular tournament, got {n}")
    p = check_positive_float("p_win", p_win)
    if not 0.5 <= p <= 1.0:
        raise ValueError(f"p_win: must lie in [0.5, 1], got {p}")
    pref = np.full((n, n), 0.5)
    for i in range(n):
        for k in range(1, (n - 1) // 2 + 1):
            j = (i + k) % n
            pref[i, j] = p
            pref[j, i] = 1.0 - p
    return PreferenceGame(pref, _mu_or_default(mu, n))


def dice_preference(dice, *, mu=None) -> PreferenceGame:
    """Preference between dice: ``P(i > j) = Pr(D_i > D_j) + Pr(D_i = D_j) / 2`` (fair dice).

    Parameters
    ----------
    dice : sequence of sequences of numbers
        Face values of each die (equally likely faces).
    mu : array_like, optional (uniform when omitted)
    """
    faces = [as_float_array(f"dice[{i}]", d, ndim=1) for i, d in enumerate(dice)]
    if len(faces) < 1 or any(f.size == 0 for f in faces):
        raise ValueError("dice: need at least one die, each with at least one face")
    n = len(faces)
    pref = np.empty((n, n))
    for i, j in itertools.product(range(n), repeat=2):
        a, b = faces[i][:, None], faces[j][None, :]
        pref[i, j] = np.mean(a > b) + 0.5 * np.mean(a == b)
    return PreferenceGame(pref, _mu_or_default(mu, n))


def nontransitive_dice(*, mu=None) -> PreferenceGame:
    """The three non-transitive dice {2,4,9}, {1,6,8}, {3,5,7} of Munos et al. (2023) [V].

    Each die beats the next with probability 5/9 (a cycle); the unregularized Nash equilibrium
    is uniform.
    """
    return dice_preference([[2, 4, 9], [1, 6, 8], [3, 5, 7]], mu=mu)


def ranking_population(rankings, weights, *, mu=None) -> PreferenceGame:
    """Preference of a population of raters, each type with a strict ranking of the actions.

    ``P(y > y') = sum of the weights of the types that rank y above y'``.

    Parameters
    ----------
    rankings : sequence of permutations of ``range(n)``
        ``rankings[k]`` lists the actions from best to worst for rater type ``k``.
    weights : array_like, shape (K,)
        Mass of each type (a distribution).
    mu : array_like, optional (uniform when omitted)
    """
    w = as_float_array("weights", weights, ndim=1)
    check_distribution("weights", w)
    ranks = [np.asarray(r, dtype=np.int64) for r in rankings]
    if len(ranks) != w.size:
        raise ValueError(f"rankings: expected {w.size} rankings (one per weight), got {len(ranks)}")
    n = ranks[0].size
    pref = np.full((n, n), 0.5)
    pref[~np.eye(n, dtype=bool)] = 0.0
    for k, r in enumerate(ranks):
        if sorted(r.tolist()) != list(range(n)):
            raise ValueError(f"rankings: entry {k} is not a permutation of range({n})")
        pos = np.empty(n, dtype=np.int64)
        pos[r] = np.arange(n)
        pref += w[k] * (pos[:, None] < pos[None, :])
    return PreferenceGame(pref, _mu_or_default(mu, n))


def three_rater_example(eps: float = 0.0, *, mu=None) -> PreferenceGame:
    r"""Three rater types with cyclic rankings ``1>2>3``, ``2>3>1``, ``3>1>2``.

    Type masses ``(1/3 - eps, 1/3 + eps/2, 1/3 + eps/2)``.  Then ``P(1>2) = 1 - w_2``,
    ``P(2>3) = 1 - w_3``, ``P(3>1) = 1 - w_1`` and the unregularized equilibrium is
    :math:`\pi^*_k = 1 - 2 w_{k-1}` (indices mod 3), i.e.
    ``(1/3 - eps, 1/3 + 2 eps, 1/3 - eps)``: it moves continuously with ``eps``, whereas the
    Bradley-Terry fit of the same data jumps at ``eps = 0``.

    Tags: the *idea* (three rater types of mass about 1/3, an equilibrium continuous in eps) is
    that of Munos et al. (2023, the three-rater example) [R]: the paper's exact population could not be checked
    (docs/explanation/theory_notes.md, Nash-MD A4, quotes an equilibrium ``(1/3+eps/2, 1/3+eps/2, 1/3-eps)``, which a cyclic population
    of this form does not produce); the population and closed form here are ours [D].

    Parameters
    ----------
    eps : float, ``abs(eps) < 1/6``
    mu : array_like, optional (uniform when omitted)
    """
    eps = float(eps)
    if not abs(eps) < 1.0 / 6.0:
        raise ValueError(f"eps: must satisfy |eps| < 1/6 (interior equilibrium), got {eps}")
    w = np.array([1 / 3 - eps, 1 / 3 + eps / 2, 1 / 3 + eps / 2])
    return ranking_population([[0, 1, 2], [1, 2, 0], [2, 0, 1]], w, mu=mu)


def reward_table(rewards):
    """Rewards as a ``[X, Y]`` table (a 1-d ``[Y]`` vector is one context)."""
    r = as_float_array("rewards", rewards, ndim=(1, 2))
    r = r[None] if r.ndim == 1 else r
    if 0 in r.shape:
        raise ValueError(f"rewards: needs at least one context and one action, got shape "
                         f"{r.shape}")
    return r


def bradley_terry(rewards, *, mu=None, context_probs=None) -> PreferenceGame:
    r"""Bradley-Terry preference :math:`P(y > y' | x) = \sigma(r(x, y) - r(x, y'))` (transitive).

    Its regularized equilibrium is *not* the RLHF solution :math:`\mu e^{r/\tau}` (Munos et al.
    2023, App. A [V]); the two coincide only in the limit :math:`\tau \to 0`
    (both put all mass on the Condorcet winner :math:`\arg\max r`).

    Parameters
    ----------
    rewards : array_like, shape (X, Y) or (Y,)
    mu : array_like, optional (uniform when omitted)
    context_probs : array_like, optional
    """
    r = reward_table(rewards)
    pref = _sigmoid(r[:, :, None] - r[:, None, :])
    return PreferenceGame(pref, _mu_or_default(mu, r.shape[1], r.shape[0]), context_probs)


def linear_preference_scale(r, c):
    """The scale ``c`` of :func:`linear_preference` (default ``max(2 (max r - min r), 1)``),
    validated: ``c >= 2 (max r - min r)`` keeps ``P`` in [0, 1]."""
    span = r.max() - r.min()
    if c is None:
        return max(2.0 * span, 1.0)
    c = check_positive_float("c", c)
    if c < 2.0 * span * (1 - 1e-12):
        raise ValueError(f"c: must be >= 2 (max r - min r) = {2 * span:.6g} so that P is in "
                         f"[0, 1], got {c}")
    return c


def linear_preference(rewards, c: float | None = None, *, mu=None,
                      context_probs=None) -> PreferenceGame:
    r"""Linear preference :math:`P(y > y' | x) = 1/2 + (r(x,y) - r(x,y'))/c`.

    Since :math:`P\pi = 1/2 + (r - \pi^\top r)/c`, the soft best response to any policy is
    :math:`\mu e^{r/(c\tau)}`, which is therefore the regularized equilibrium
    (:func:`rlth.theory.nash_md.linear_preference_equilibrium`) [D].

    Parameters
    ----------
    rewards : array_like, shape (X, Y) or (Y,)
    c : float, optional
        Scale, at least ``2 (max r - min r)`` (default: ``max(2 (max r - min r), 1)``).
    mu, context_probs : array_like, optional
    """
    r = reward_table(rewards)
    c = linear_preference_scale(r, c)
    pref = np.clip(0.5 + (r[:, :, None] - r[:, None, :]) / c, 0.0, 1.0)
    return PreferenceGame(pref, _mu_or_default(mu, r.shape[1], r.shape[0]), context_probs)


def bt_mixture(rewards, weights, *, mu=None) -> PreferenceGame:
    r"""Mixture of Bradley-Terry populations :math:`P = \sum_k w_k \sigma(r_k(y) - r_k(y'))`.

    A mixture of transitive populations is in general intransitive.

    Parameters
    ----------
    rewards : array_like, shape (K, Y)
        One reward vector per population.
    weights : array_like, shape (K,)
    mu : array_like, optional (uniform when omitted)
    """
    r = as_float_array("rewards", rewards, ndim=2)
    w = as_float_array("weights", weights, shape=(r.shape[0],))
    check_distribution("weights", w)
    pref = np.einsum("k,kab->ab", w, _sigmoid(r[:, :, None] - r[:, None, :]))
    return PreferenceGame(np.clip(pref, 0.0, 1.0), _mu_or_default(mu, r.shape[1]))


def stack_contexts(games, context_probs=None) -> PreferenceGame:
    """A contextual game whose context ``x`` is the (single-context) game ``games[x]``.

    All games must have the same number of actions; multi-context games are flattened in order.
    """
    games = list(games)
    if not games or not all(isinstance(g, PreferenceGame) for g in games):
        raise ValueError("games: expected a non-empty sequence of PreferenceGame")
    n = {g.n_actions for g in games}
    if len(n) != 1:
        raise ValueError(f"games: all games need the same number of actions, got {sorted(n)}")
    pref = np.concatenate([g.pref for g in games])
    mu = np.concatenate([g.mu for g in games])
    if context_probs is None:
        context_probs = np.concatenate([g.context_probs / len(games) for g in games])
    return PreferenceGame(pref, mu, context_probs)
