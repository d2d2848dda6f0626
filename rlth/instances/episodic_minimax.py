r"""K-dependent hard instances for episodic regret (minimax regime of UCBVI / StepMix / EpsMix).

A fixed MDP has a positive gap, so an optimistic algorithm's regret eventually grows like
``log K``.  The ``sqrt(K)`` rate of UCBVI's theorem and of the minimax lower bound
``Omega(sqrt(H^3 S A K))`` (Jin et al. 2018, Domingues et al. 2021) is a statement about the
*least favourable* instance at each ``K``, whose gap shrinks like ``K^{-1/2}``.  This module
builds such a family ([D]: our construction, in the spirit of the lower-bound instances,
not a copy of them).

``gap_chain``: the "good/bad label" chain
-----------------------------------------
States ``s = 2 i + l`` for block ``i in [m]`` and label ``l in {0 (bad), 1 (good)}``,
``S = 2 m``; ``A >= 3`` actions; stationary dynamics; initial distribution uniform on all
``S`` states.

* Reward: ``r(s, a) = l(s)`` (1 in a good state, 0 in a bad one, whatever the action).  The
  online agents (:mod:`rlth.algorithms.online`) know the mean rewards, so the gap is put in the
  transitions, where it has to be learned.
* Transition from any state under action ``a``: the next block is uniform on ``[m]``, the next
  label is good with probability ``q_a``:

  - ``a = A - 1`` (optimal): ``q = 1/2 + gap``;
  - ``1 <= a <= A - 2`` (near-optimal): ``q = 1/2``;
  - ``a = 0`` (trap): ``q = trap_good`` (default 0).  The trap makes the conservative
    constraint bite: the value-minimizing policy plays it everywhere.

  The optimal action has the highest index, so the lowest-index tie-break of the agents is
  adversarial (as in :mod:`rlth.instances.offline_pessimism`).

Closed forms (``H`` horizon, ``r1 = 1/2`` the mean first reward under uniform ``rho``):

* ``Q*_h(s, A-1) - Q*_h(s, a) = gap`` for a near-optimal ``a`` and ``h <= H - 2`` (the next
  label is worth exactly 1 more reward; the future after it does not depend on the label);
  all actions tie at the last step ``h = H - 1``;
* ``V* = r1 + (H - 1)(1/2 + gap)``; a policy that plays a near-optimal action everywhere has
  value ``V* - (H - 1) gap``; the all-trap policy has ``V_worst = r1 + (H - 1) trap_good``;
* the per-step mixture ``(1 - lam) pi_worst + lam pi*`` has value
  ``V_worst + lam (V* - V_worst)`` (linear in ``lam``), so
  :func:`rlth.algorithms.online.stepmix.mixture_baseline` with ``quality = q`` returns ``lam = q``
  and ``V_b = V_worst + q (V* - V_worst)`` (see :func:`rlth.theory.stepmix.gap_chain_values`).

Gap scaling: :func:`minimax_gap` returns ``gap = c sqrt(S A / (H K))``, i.e. ``c`` standard
errors of a Bernoulli(1/2) mean at the average visit count ``K H / (S A)`` of a pair (counts
pooled over steps).  At fixed ``c`` the information about the optimal action does not grow with
``K``, which is the regime of the ``sqrt(K)`` rate; the sup over a grid of ``c`` is the
least-favourable instance of the family at each ``K``.

``two_point_chain``: the trap-free, symmetrised two-member family
-----------------------------------------------------------------
The same chain with ``A = 2`` actions, ``q = 1/2 + gap`` for the optimal one and ``q = 1/2`` for
the other, no trap and no fixed-gap action; ``member`` (0 or 1) is the index of the optimal
action (member 1 is :func:`gap_chain` without the trap; member 0 swaps the actions, so the
agents' lowest-index tie-break favours the optimal action there).  The two members have
different optimal policies, and since the transitions depend on neither the state nor the step,
the whole MDP is one two-armed Bernoulli bandit pulled ``K (H - 1)`` times over ``K`` episodes
(the pull at the last step is never rewarded), with regret ``gap`` per wrong pull at steps
``h < H - 1`` [D].  ``V* = 1/2 + (H - 1)(1/2 + gap)``; the other action everywhere loses
``(H - 1) gap``.

``needle_mdp``: the non-stationary needle family (shape ``sqrt(H^3 S A K)``)
----------------------------------------------------------------------------
[D], in the spirit of the lower-bound construction of Domingues, Menard, Kaufmann, Valko
(ALT 2021, arXiv:2010.03531), not a copy of it.  ``n_d`` decision states ``0 .. n_d - 1``, a good
absorbing state ``G = n_d`` and a bad one ``B = n_d + 1`` (``S = n_d + 2``); actions ``0 = wait``
and ``1 .. n_commit = commit`` (``A = n_commit + 1``); ``rho`` uniform on the decision states;
steps ``h = 0 .. H - 1`` and commit window ``H_bar = H // 3`` (:func:`needle_commit_window`).

* In decision state ``d`` at step ``h < H_bar``: wait stays in ``d``; commit ``a`` goes to ``G``
  w.p. ``1/2 + eps 1{(a, h) = needle_d}``, else to ``B``.  At the last decision step
  ``h = H_bar - 1`` wait also commits, to ``G`` w.p. exactly ``1/2`` (never a needle): every
  episode commits exactly once, and no action has a fixed gap.
* At steps ``h >= H_bar`` decision states are unreachable; every action there goes to ``B``.
  ``G`` and ``B`` absorb under every action.
* Reward ``r_h(G, a) = 1`` for ``h >= H_bar``, every other reward 0: a commit that reaches ``G``
  w.p. ``q`` is worth ``q (H - H_bar)`` whatever its step.

So ``V*_0(d) = (1/2 + eps)(H - H_bar)`` (wait until ``h*_d``, then commit ``a*_d``), and any other
commit loses ``eps (H - H_bar)``.  Each decision state is an ``M``-armed needle bandit
(``M = n_commit H_bar`` positions, one of them better by ``eps``) pulled once per episode that
starts in it.  :func:`draw_needles` draws the needles from the product uniform prior and
:func:`needle_eps` gives ``eps = min(c sqrt(n_d M / K), cap)``; the prior-averaged regret of any
algorithm is bounded below by :func:`rlth.theory.needle.needle_level`, which scales as
``c (1 - 1/M - c)(H - H_bar) sqrt(n_d M K) ~ sqrt(H^3 S A K)``.
"""
from __future__ import annotations

import math

import numpy as np

from .._rng import as_generator
from .._validation import (as_array, check_nonnegative_int, check_positive_float,
                           check_positive_int, check_real)
from ..models.mdp import FiniteHorizonMDP

__all__ = ["gap_chain", "minimax_gap", "MAX_GAP", "two_point_chain", "needle_mdp",
           "draw_needles", "needle_commit_window", "needle_eps"]

#: largest gap the construction allows (optimal action's good-label probability 1/2 + gap <= 1)
MAX_GAP = 0.5


def gap_chain(gap: float, *, n_blocks: int = 2, n_actions: int = 3, horizon: int = 5,
              trap_good: float = 0.0) -> FiniteHorizonMDP:
    """The good/bad-label chain with per-step gap ``gap`` (module docstring).

    Parameters
    ----------
    gap : float in [0, 1/2]
        ``Q*_h(s, a*) - Q*_h(s, a)`` for every near-optimal action ``a`` and step ``h < H - 1``.
    n_blocks : int
        ``m``; ``S = 2 m``.
    n_actions : int >= 3
        Action 0 is the trap, ``1 .. A-2`` near-optimal, ``A - 1`` optimal.
    horizon : int >= 2
    trap_good : float in [0, 1/2)
        Good-label probability after the trap action.

    Returns
    -------
    FiniteHorizonMDP
        Stationary, ``rho`` uniform on the ``2 m`` states.

    Examples
    --------
    >>> mdp = gap_chain(0.1, n_blocks=2, n_actions=3, horizon=5)
    >>> mdp.n_states, mdp.n_actions, mdp.horizon, mdp.is_stationary
    (4, 3, 5, True)
    """
    gap = float(gap)
    if not (math.isfinite(gap) and 0.0 <= gap <= MAX_GAP):
        raise ValueError(f"gap: must lie in [0, {MAX_GAP}], got {gap}")
    m = check_positive_int("n_blocks", n_blocks)
    A = check_positive_int("n_actions", n_actions)
    if A < 3:
        raise ValueError(f"n_actions: need >= 3 (trap, near-optimal, optimal), got {A}")
    H = check_positive_int("horizon", horizon)
    if H < 2:
        raise ValueError(f"horizon: need >= 2 (the gap acts through the next reward), got {H}")
    trap_good = float(trap_good)
    if not (math.isfinite(trap_good) and 0.0 <= trap_good < 0.5):
        raise ValueError(f"trap_good: must lie in [0, 0.5), got {trap_good}")
    S = 2 * m
    q = np.full(A, 0.5)
    q[0] = trap_good
    q[A - 1] = 0.5 + gap
    P = np.zeros((S, A, S))
    for a in range(A):
        row = np.zeros(S)
        row[0::2] = (1.0 - q[a]) / m      # bad label of each block
        row[1::2] = q[a] / m              # good label of each block
        P[:, a, :] = row
    R = np.zeros((S, A))
    R[1::2, :] = 1.0
    return FiniteHorizonMDP(P, R, np.full(S, 1.0 / S), horizon=H)


def minimax_gap(n_episodes: int, c: float, n_states: int, n_actions: int, horizon: int,
                *, cap: float = MAX_GAP) -> float:
    """``min(c sqrt(S A / (H K)), cap)``: ``c`` standard errors at the average pair count [D].

    Examples
    --------
    >>> round(minimax_gap(10_000, 8.0, 4, 3, 5), 6)
    0.123935
    """
    K = check_positive_int("n_episodes", n_episodes)
    c = check_positive_float("c", c)
    S = check_positive_int("n_states", n_states)
    A = check_positive_int("n_actions", n_actions)
    H = check_positive_int("horizon", horizon)
    return float(min(c * math.sqrt(S * A / (H * K)), float(cap)))


def two_point_chain(gap: float, member: int, *, n_blocks: int = 2,
                    horizon: int = 5) -> FiniteHorizonMDP:
    """Member ``member`` of the trap-free two-action gap chain (module docstring) [D].

    States ``s = 2 i + l`` (block ``i``, label ``l``), reward ``l(s)``, next block uniform, next
    label good w.p. ``1/2 + gap`` under the optimal action ``member`` and ``1/2`` under the other
    one.  Member 1 is :func:`gap_chain` without its trap; member 0 swaps the two actions.  The
    family ``{member 0, member 1}`` has different optimal policies (for ``gap > 0``); its
    transitions depend on neither state nor step, so it is one two-armed bandit pulled
    ``K (H - 1)`` times (regret ``gap`` per wrong pull).

    Parameters
    ----------
    gap : float in [0, 1/2]
        ``Q*_h(s, member) - Q*_h(s, 1 - member)`` at every step ``h < H - 1`` (0 at ``H - 1``).
    member : {0, 1}
        Index of the optimal action.
    n_blocks : int
        ``m``; ``S = 2 m``.
    horizon : int >= 2

    Returns
    -------
    FiniteHorizonMDP
        Stationary, ``A = 2``, ``rho`` uniform on the ``2 m`` states;
        ``V* = 1/2 + (H - 1)(1/2 + gap)``, and the other action everywhere has value
        ``V* - (H - 1) gap``.

    Examples
    --------
    >>> mdp = two_point_chain(0.1, 0, n_blocks=2, horizon=5)
    >>> mdp.n_states, mdp.n_actions, mdp.horizon, mdp.is_stationary
    (4, 2, 5, True)
    >>> float(mdp.P[0, 0, 0, 1::2].sum()), float(mdp.P[0, 0, 1, 1::2].sum())
    (0.6, 0.5)
    """
    gap = check_real("gap", gap)
    if not 0.0 <= gap <= MAX_GAP:
        raise ValueError(f"gap: must lie in [0, {MAX_GAP}], got {gap}")
    member = check_nonnegative_int("member", member)
    if member > 1:
        raise ValueError(f"member: must be 0 or 1 (the index of the optimal action), got {member}")
    m = check_positive_int("n_blocks", n_blocks)
    H = check_positive_int("horizon", horizon)
    if H < 2:
        raise ValueError(f"horizon: need >= 2 (the gap acts through the next reward), got {H}")
    S = 2 * m
    q = np.full(2, 0.5)
    q[member] = 0.5 + gap
    P = np.zeros((S, 2, S))
    for a in range(2):
        row = np.zeros(S)
        row[0::2] = (1.0 - q[a]) / m      # bad label of each block
        row[1::2] = q[a] / m              # good label of each block
        P[:, a, :] = row
    R = np.zeros((S, 2))
    R[1::2, :] = 1.0
    return FiniteHorizonMDP(P, R, np.full(S, 1.0 / S), horizon=H)


def needle_commit_window(horizon: int) -> int:
    """``H_bar = horizon // 3``: the number of decision steps of :func:`needle_mdp` [D].

    Needs ``horizon >= 3`` (at least one decision step and one rewarded step).

    Examples
    --------
    >>> needle_commit_window(3), needle_commit_window(10), needle_commit_window(48)
    (1, 3, 16)
    """
    H = check_positive_int("horizon", horizon)
    if H < 3:
        raise ValueError(f"horizon: need >= 3 (H_bar = horizon // 3 >= 1), got {H}")
    return H // 3


def needle_eps(n_episodes: int, c: float, n_decision: int, n_commit: int, horizon: int,
               cap: float = MAX_GAP) -> float:
    """``min(c sqrt(n_d M / K), cap)`` with ``M = n_commit H_bar`` positions per state [D].

    ``c`` standard errors of a Bernoulli(1/2) mean at the number of pulls ``K / (n_d M)`` of one
    position of one decision state (``K / n_d`` episodes per state, one commit each).

    Examples
    --------
    >>> round(needle_eps(10_000, 0.4, 2, 2, 6), 6)
    0.011314
    >>> needle_eps(1, 1.0, 2, 2, 6)
    0.5
    """
    K = check_positive_int("n_episodes", n_episodes)
    c = check_positive_float("c", c)
    n_d = check_positive_int("n_decision", n_decision)
    n_c = check_positive_int("n_commit", n_commit)
    M = n_c * needle_commit_window(horizon)
    cap = check_positive_float("cap", cap)
    if cap > MAX_GAP:
        raise ValueError(f"cap: must be <= {MAX_GAP}, got {cap}")
    return float(min(c * math.sqrt(n_d * M / K), cap))


def draw_needles(n_decision: int, n_commit: int, horizon: int, rng=None) -> np.ndarray:
    """Needles ``(a*_d, h*_d)`` from the product uniform prior [D].

    Each row is drawn independently and uniformly from the ``M = n_commit H_bar`` positions
    ``{1 .. n_commit} x {0 .. H_bar - 1}`` (commit action, 0-based step).

    Returns
    -------
    ndarray of int64, shape (n_decision, 2)

    Examples
    --------
    >>> nd = draw_needles(3, 2, 9, rng=0)
    >>> nd.shape, bool((nd[:, 0] >= 1).all() and (nd[:, 0] <= 2).all()), bool((nd[:, 1] < 3).all())
    ((3, 2), True, True)
    """
    n_d = check_positive_int("n_decision", n_decision)
    n_c = check_positive_int("n_commit", n_commit)
    H_bar = needle_commit_window(horizon)
    pos = as_generator(rng).integers(n_c * H_bar, size=n_d)
    return np.stack([1 + pos % n_c, pos // n_c], axis=1).astype(np.int64)


def needle_mdp(needles, eps: float, *, n_commit: int, horizon: int) -> FiniteHorizonMDP:
    """The needle MDP of the module docstring, one needle per decision state [D].

    Parameters
    ----------
    needles : array_like of int, shape (n_decision, 2)
        Row ``d`` is ``(a*_d, h*_d)``: commit action in ``1 .. n_commit`` and step in
        ``0 .. H_bar - 1`` (see :func:`draw_needles`).
    eps : float in [0, 1/2]
        Advantage of the needle commit.
    n_commit : int >= 1
        Commit actions; ``A = n_commit + 1`` (action 0 waits).
    horizon : int >= 3
        ``H``; ``H_bar = H // 3`` decision steps.

    Returns
    -------
    FiniteHorizonMDP
        Stage-dependent, ``S = n_decision + 2`` (``G = n_decision``, ``B = n_decision + 1``),
        ``rho`` uniform on the decision states; ``V*_0(d) = (1/2 + eps)(H - H_bar)``.

    Examples
    --------
    >>> mdp = needle_mdp([[1, 0], [2, 1]], 0.1, n_commit=2, horizon=6)
    >>> mdp.n_states, mdp.n_actions, mdp.horizon, mdp.is_stationary
    (4, 3, 6, False)
    >>> float(mdp.P[1, 1, 2, 2]), float(mdp.P[1, 1, 0, 2]), float(mdp.P[0, 0, 0, 0])
    (0.6, 0.5, 1.0)
    """
    n_c = check_positive_int("n_commit", n_commit)
    H = check_positive_int("horizon", horizon)
    H_bar = needle_commit_window(H)
    eps = check_real("eps", eps)
    if not 0.0 <= eps <= MAX_GAP:
        raise ValueError(f"eps: must lie in [0, {MAX_GAP}], got {eps}")
    nd = as_array("needles", needles)
    if nd.ndim != 2 or nd.shape[1] != 2 or nd.shape[0] < 1:
        raise ValueError(f"needles: expected shape (n_decision >= 1, 2), got {nd.shape}")
    if nd.dtype.kind not in "iu":
        if nd.dtype.kind != "f" or not np.all(np.isfinite(nd)) or np.any(nd != np.round(nd)):
            raise ValueError(f"needles: expected integer entries, got dtype {nd.dtype}")
    nd = nd.astype(np.int64)
    if np.any(nd[:, 0] < 1) or np.any(nd[:, 0] > n_c):
        raise ValueError(f"needles: commit actions (column 0) must lie in [1, {n_c}], "
                         f"got range [{nd[:, 0].min()}, {nd[:, 0].max()}]")
    if np.any(nd[:, 1] < 0) or np.any(nd[:, 1] >= H_bar):
        raise ValueError(f"needles: steps (column 1) must lie in [0, {H_bar - 1}] "
                         f"(H_bar = horizon // 3 = {H_bar}), "
                         f"got range [{nd[:, 1].min()}, {nd[:, 1].max()}]")
    n_d = nd.shape[0]
    G, B = n_d, n_d + 1
    S, A = n_d + 2, n_c + 1
    P = np.zeros((H, S, A, S))
    P[:, G, :, G] = 1.0
    P[:, B, :, B] = 1.0
    dec = np.arange(n_d)
    for h in range(H):
        if h >= H_bar:                       # decision states unreachable: keep rows valid
            P[h, dec, :, B] = 1.0
            continue
        P[h, dec, 1:, G] = 0.5               # every commit: fair coin ...
        if h < H_bar - 1:
            P[h, dec, 0, dec] = 1.0          # wait stays
        else:
            P[h, dec, 0, G] = 0.5            # ... and at the last decision step wait commits too
    for d, (a, h) in enumerate(nd):
        P[h, d, a, G] = 0.5 + eps            # ... except the needle
    for h in range(H_bar):                   # the rest of each decision row goes to B
        P[h, dec, :, B] = 1.0 - P[h, dec, :, :G].sum(-1) - P[h, dec, :, G]
    R = np.zeros((H, S, A))
    R[H_bar:, G, :] = 1.0
    rho = np.zeros(S)
    rho[:n_d] = 1.0 / n_d
    return FiniteHorizonMDP(P, R, rho, horizon=H)
