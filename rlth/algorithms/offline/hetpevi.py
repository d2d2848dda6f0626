r"""HetPEVI: pessimistic value iteration from randomly perturbed data sources (MDPs and games).

Shi, Xiong, Shen, Yang, "Provably Efficient Offline Reinforcement Learning with Perturbed Data
Sources", ICML 2023 (PMLR 202:31353-31388), arXiv 2306.08364.

What is verified [V] (abstract only; the full text could not be read here): the data come from
``L`` randomly perturbed versions of the target; HetPEVI "simultaneously considers the sample
uncertainties from a finite number of data samples per data source and the source uncertainties
due to a finite number of available data sources"; the sample uncertainties "are jointly
aggregated, while an additional penalty term is specially constructed to compensate for the
source uncertainties" (ICLR-2023 abstract); it solves the target when the sources *collectively*
cover it; it extends to offline Markov games.  **Everything below is a reconstruction [R] with
constants derived here [D]** (``shared/theory/pnlsvi_hetpevi_stepmix_v2.md`` section 2.2); the
paper's own algorithm box, constants and theorem numbers were not recovered.

Algorithm (MDP) [R], for ``h = H-1, ..., 0`` (0-indexed), ``V_hat[H] = 0``::

    Lset_h(s,a) = {l : n_{l,h}(s,a) > 0}                  (sources that saw the cell)
    P_bar = (1/|Lset|) sum_{l in Lset} P_hat_l,  r_bar likewise   (equal weight per SOURCE)
    Gamma_src = (H+1) sqrt(iota / (2 |Lset|))                                    [D]
    Gamma_smp = ((H+1)/|Lset|) sqrt((iota/2) sum_{l in Lset} 1/n_l)  (0 if n_l = inf) [D]
    Gamma = c_src Gamma_src + c_smp Gamma_smp (+ 2 eps_net under the "net" union)
    Q_hat_h = clip_[0, H-h](r_bar + P_bar V_hat_{h+1} - Gamma);  Q_hat_h = 0 where Lset = {}
    V_hat_h(s) = max_a Q_hat_h(s,a),  pi_hat_h(s) = argmax (lowest index on ties)

Why each term is valid [D].  ``(r_bar + P_bar V) - (r + P V)`` splits into the *sample* part
``(1/|Lset|) sum_l [(r_hat_l - r_l) + (P_hat_l - P_l) V]`` (given the sources: a weighted mean of
independent sample means of variables in a range of width ``H + 1``, so Hoeffding gives
``Gamma_smp``) and the *source* part ``(1/|Lset|) sum_l [(r_l - r) + (P_l - P) V]`` (i.i.d.
mean-zero
variables in a range of width ``H + 1`` under the mean-preserving law of
:mod:`rlth.models.sources`: ``Gamma_src``).  The union bound ("the union-bound choice"):

``union="cells"``  ``iota = ln(4 H S C / delta)``: both terms, both sides, every cell.  Valid in
                   the **exact-source** mode: with perturbations independent across stages and a
                   coverage that does not depend on them, ``V_hat_{h+1}`` is independent of the
                   stage-``h`` perturbations, so a fixed-``V`` bound applies.
``union="net"``    adds ``S ln(1 + 2(H+1)/eps_net)`` to ``iota`` (an ell_inf ``eps_net``-net of
                   ``[0, H]^S``) and ``2 eps_net`` to ``Gamma``: valid also when ``V_hat_{h+1}``
                   depends on the stage-``h`` data (the **trajectory** mode).  Default
                   ``eps_net = 1/K``.

Defaults: ``c_src = c_smp = 1`` [D], ``delta = 0.1``, ``union = "cells"`` in the exact mode and
``"net"`` in the trajectory mode, so every default is valid by the derivation.  With these
constants the penalty is *vacuous* (``Q_hat`` clipped to 0 everywhere) below ``L`` of a few
hundred at ``H = 4``; :attr:`HetPEVIResult.unclipped` reports the fraction of covered cells where
it is not.

Markov games [R] (:func:`hetpevi_game`): the same ``Gamma``, pessimism for the max player and
optimism for the min player, one matrix-game solve per ``(h, s)`` on each side::

    Q_low_h = clip_[0, H-h](r_bar + P_bar V_low_{h+1} - Gamma)   (0 where uncovered)
    Q_up_h  = clip_[0, H-h](r_bar + P_bar V_up_{h+1}  + Gamma)   (H-h where uncovered)
    V_low_h(s), pi_max_h(.|s) = value, maxmin strategy of Q_low_h(s)
    V_up_h(s),  pi_min_h(.|s) = value, minmax strategy of Q_up_h(s)

with the certificate ``rho @ (V_up[0] - V_low[0])``, which bounds the exploitability of
``(pi_max, pi_min)`` on the good event [D] (as in PMVI, Zhong et al. 2022 [R]).  Games need
rewards in ``[0, 1]``.

Baselines: :func:`naive_pooling` (all samples pooled as if from the target, sample-weighted,
PEVI penalty on the pooled count, no source term), :func:`tabular_pevi` (PEVI on a single dataset,
e.g. the target's own data), :func:`single_source_pevi` (PEVI on each source alone; the
experiment picks the best on the target: an oracle choice).  Ablations: ``c_smp = 0``
(source-only) and ``c_src = 0`` (sample-only).

Fidelity
--------
- per-source average over covering sources, exclusion of unseen sources from both the average
  and ``|Lset|``: [R] (v2 notes 2.2; the abstract's "jointly aggregated" [V]);
- ``Gamma_src``, ``Gamma_smp`` with width ``H + 1``, ``c_src = c_smp = 1``: [D];
- ``iota`` and the union choices: [D]; the paper's own log term: unknown;
- clipping to ``[0, H - h]``, zero on uncovered cells, lowest-index ties: [D] (PEVI-style);
- game variant: [R] (its existence [V]), the certificate [D].

References
----------
Shi, Xiong, Shen, Yang (2023), arXiv 2306.08364 (abstract [V]; algorithm [R]).
Jin, Yang, Wang (2021), "Is Pessimism Provably Efficient for Offline RL?", ICML: PEVI and the
bound ``SubOpt <= 2 sum_h E_{pi*}[Gamma_h]`` on the good event [R].
Zhong, Xiong, Tan, Wang, Zhang (2022), "Pessimistic Minimax Value Iteration", ICML [R].

Guarantee
---------
[R] ``SubOpt(pi_hat) = O~(H^2 sqrt(C/L_eff) + H^2 sqrt(C/(L_eff n)))`` with a floor in ``L``
whatever the samples per source; [D] on the event where ``Gamma`` bounds the Bellman errors
(probability ``>= 1 - delta`` under the valid union): ``V_hat <= V^{pi_hat}`` (pessimism) and
``V*(rho) - V_hat(rho) <= 2 sum_h E_{pi*}[Gamma_h]``.  Games: ``V_low <= V* <= V_up`` and the
exploitability is at most ``rho @ (V_up[0] - V_low[0])``.  See :mod:`rlth.theory.hetpevi`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..._validation import (check_choice, check_delta, check_instance, check_nonnegative_int,
                            check_positive_float, freeze)
from ...data.datasets import TransitionDataset
from ...data.sources import SourceData, stack_source_datasets
from ...solvers.games import solve_matrix_game

__all__ = ["HetPEVIResult", "HetPEVIGameResult", "SourceAggregate", "aggregate_sources",
           "hetpevi_log_term", "hetpevi_penalty", "hetpevi", "hetpevi_game", "naive_pooling",
           "tabular_pevi", "single_source_pevi", "UNIONS"]

UNIONS = ("cells", "net")


# ----------------------------------------------------------------------------- results
@dataclass(frozen=True, eq=False)
class HetPEVIResult:
    """Output of :func:`hetpevi` (and of the MDP baselines).

    Attributes
    ----------
    policy : ndarray of int64, shape (H, S)
    V_hat : ndarray, shape (H+1, S)
        Pessimistic values, ``V_hat[H] = 0``.
    Q_hat : ndarray, shape (H, S, A)
    Gamma, Gamma_src, Gamma_smp : ndarray, shape (H, S, A)
        Total penalty (``inf`` where no source saw the cell) and its two terms (unscaled).
    n_covering : ndarray of int64, shape (H, S, A)
        ``|Lset_h(s, a)|``.
    value_hat : float
        ``rho @ V_hat[0]``.
    iota : float
    unclipped : float
        Fraction of covered cells with ``r_bar + P_bar V_hat - Gamma > 0`` (not clipped to 0).
    """

    policy: np.ndarray
    V_hat: np.ndarray
    Q_hat: np.ndarray
    Gamma: np.ndarray
    Gamma_src: np.ndarray
    Gamma_smp: np.ndarray
    n_covering: np.ndarray
    value_hat: float
    iota: float
    unclipped: float


@dataclass(frozen=True, eq=False)
class HetPEVIGameResult:
    """Output of :func:`hetpevi_game`.

    Attributes
    ----------
    pi_max : ndarray, shape (H, S, A)
        Max player's policy (maxmin strategies of the pessimistic stage games).
    pi_min : ndarray, shape (H, S, B)
        Min player's policy (minmax strategies of the optimistic stage games).
    V_low, V_up : ndarray, shape (H+1, S)
    Gamma : ndarray, shape (H, S, A, B)
    value_low, value_up : float
        ``rho @ V_low[0]``, ``rho @ V_up[0]``.
    certified_gap : float
        ``value_up - value_low``.
    iota : float
    stage_gaps : ndarray, shape (2, H, S)
        Duality gaps of the solved stage games (low, up).
    """

    pi_max: np.ndarray
    pi_min: np.ndarray
    V_low: np.ndarray
    V_up: np.ndarray
    Gamma: np.ndarray
    value_low: float
    value_up: float
    certified_gap: float
    iota: float
    stage_gaps: np.ndarray


@dataclass(frozen=True, eq=False)
class SourceAggregate:
    """Per-cell aggregates over the covering sources (joint cells flattened to ``C``).

    Attributes
    ----------
    n_covering : ndarray of int64, shape (H, S, C)
    P_bar : ndarray, shape (H, S, C, S)
        Per-source average (a self-loop where no source saw the cell).
    r_bar : ndarray, shape (H, S, C)
    inv_n_sum : ndarray, shape (H, S, C)
        ``sum_{l in Lset} 1 / n_l`` (0 for exact sources).
    """

    n_covering: np.ndarray
    P_bar: np.ndarray
    r_bar: np.ndarray
    inv_n_sum: np.ndarray


# ----------------------------------------------------------------------------- pieces
def aggregate_sources(data: SourceData) -> SourceAggregate:
    """Average per *source* over the sources that saw each cell (unseen ones excluded).

    Parameters
    ----------
    data : SourceData

    Returns
    -------
    SourceAggregate
    """
    check_instance("data", data, SourceData)
    n, P, r = data.flat()
    cov = n > 0
    Lc = cov.sum(axis=0).astype(np.int64)
    w = cov.astype(np.float64)
    div = np.maximum(Lc, 1).astype(np.float64)
    S = data.n_states
    P_bar = np.einsum("lhsc,lhsct->hsct", w, P) / div[..., None]
    eye = np.broadcast_to(np.eye(S)[None, :, None, :], P_bar.shape)
    P_bar = np.where((Lc > 0)[..., None], P_bar, eye)
    r_bar = (w * r).sum(axis=0) / div
    with np.errstate(divide="ignore"):
        inv = np.where(cov, 1.0 / np.where(cov, n, 1.0), 0.0)
    return SourceAggregate(Lc, P_bar, r_bar, inv.sum(axis=0))


def hetpevi_log_term(n_states: int, n_cells: int, horizon: int, delta: float, *,
                     union: str = "cells", eps_net: float | None = None) -> float:
    """``iota`` of the penalty (module docstring) [D].

    ``"cells"``: ``ln(4 H S C / delta)``; ``"net"``: plus ``S ln(1 + 2(H+1)/eps_net)``.
    """
    delta = check_delta(delta)
    check_choice("union", union, UNIONS)
    base = math.log(4.0 * horizon * n_states * n_cells / delta)
    if union == "cells":
        return base
    eps = check_positive_float("eps_net", eps_net)
    return base + n_states * math.log1p(2.0 * (horizon + 1) / eps)


def hetpevi_penalty(n_covering, inv_n_sum, horizon: int, iota: float, *, c_src: float = 1.0,
                    c_smp: float = 1.0):
    """The two penalty terms and their combination (``inf`` where ``n_covering = 0``).

    Returns
    -------
    Gamma, Gamma_src, Gamma_smp : ndarray
        ``Gamma = c_src Gamma_src + c_smp Gamma_smp`` with ``Gamma_src = (H+1) sqrt(iota /
        (2 |Lset|))`` and ``Gamma_smp = ((H+1)/|Lset|) sqrt((iota/2) sum 1/n_l)`` [D].
    """
    c_src = check_positive_float("c_src", c_src, allow_zero=True)
    c_smp = check_positive_float("c_smp", c_smp, allow_zero=True)
    Lc = np.asarray(n_covering, dtype=np.float64)
    inv = np.asarray(inv_n_sum, dtype=np.float64)
    w = horizon + 1.0
    seen = Lc > 0
    Ld = np.maximum(Lc, 1.0)
    f_src = w * np.sqrt(iota / (2.0 * Ld))
    f_smp = w / Ld * np.sqrt(0.5 * iota * inv)
    gam = np.where(seen, c_src * f_src + c_smp * f_smp, np.inf)
    return gam, np.where(seen, f_src, np.inf), np.where(seen, f_smp, np.inf)


def _resolve(data: SourceData, delta, union, eps_net):
    delta = check_delta(delta)
    if data.r_hat.size and (data.r_hat.min() < 0.0 or data.r_hat.max() > 1.0):
        raise ValueError(f"data: the penalty widths and the clip to [0, H - h] assume rewards "
                         f"in [0, 1]; got r_hat in [{data.r_hat.min():.6g}, "
                         f"{data.r_hat.max():.6g}]")
    if union is None:
        union = "cells" if data.mode == "exact" else "net"
    check_choice("union", union, UNIONS)
    if union == "net":
        if eps_net is None:
            eps_net = 1.0 / max(data.n_episodes or 1, 1)
        eps_net = check_positive_float("eps_net", eps_net)
    else:
        eps_net = 0.0
    C = int(np.prod(data.cell_shape))
    iota = hetpevi_log_term(data.n_states, C, data.horizon, delta, union=union,
                            eps_net=eps_net if union == "net" else None)
    return iota, eps_net


def _pessimistic_vi(P_bar, r_bar, Gamma, covered, rho, horizon):
    """Clipped pessimistic backward induction (shared by HetPEVI, PEVI and naive pooling)."""
    H = horizon
    S, A = P_bar.shape[1], P_bar.shape[2]
    V = np.zeros((H + 1, S))
    Q = np.zeros((H, S, A))
    n_cov = 0
    n_unclipped = 0
    for h in range(H - 1, -1, -1):
        raw = r_bar[h] + P_bar[h] @ V[h + 1] - np.where(covered[h], Gamma[h], 0.0)
        q = np.where(covered[h], np.clip(raw, 0.0, H - h), 0.0)
        n_cov += int(covered[h].sum())
        n_unclipped += int((covered[h] & (raw > 0)).sum())
        Q[h] = q
        V[h] = q.max(axis=1)
    pi = np.argmax(Q, axis=2).astype(np.int64)
    return pi, V, Q, (n_unclipped / n_cov if n_cov else 0.0)


def _mdp_only(data: SourceData):
    if len(data.cell_shape) != 1:
        raise ValueError("data: holds Markov-game sources (joint actions); use hetpevi_game")


# ----------------------------------------------------------------------------- MDP
def hetpevi(data: SourceData, *, delta: float = 0.1, c_src: float = 1.0, c_smp: float = 1.0,
            union: str | None = None, eps_net: float | None = None) -> HetPEVIResult:
    """HetPEVI on per-source data (module docstring).

    Parameters
    ----------
    data : SourceData
        From :func:`rlth.data.sources.exact_source_data` or
        :func:`rlth.data.sources.sample_source_trajectories` (MDP sources).
    delta : float, default 0.1
        Failure probability of the good event.
    c_src, c_smp : float, default 1 [D]
        Scales of the source and the sample term (0 gives the sample-only / source-only
        ablation).
    union : {"cells", "net"}, optional
        The union bound behind ``iota``; default ``"cells"`` (exact mode), ``"net"``
        (trajectory mode): the valid choices (module docstring).
    eps_net : float, optional
        Net resolution for ``union="net"`` (default ``1/K``).

    Returns
    -------
    HetPEVIResult

    Raises
    ------
    ValueError
        ``delta`` outside (0, 1), negative scales, unknown ``union``, game data.

    Guarantee
    ---------
    See the module docstring: pessimism and ``V* - V_hat <= 2 sum_h E_{pi*}[Gamma_h]`` w.p.
    ``>= 1 - delta`` [D]; the rate [R] (:mod:`rlth.theory.hetpevi`).
    """
    check_instance("data", data, SourceData)
    _mdp_only(data)
    iota, eps = _resolve(data, delta, union, eps_net)
    agg = aggregate_sources(data)
    gam, g_src, g_smp = hetpevi_penalty(agg.n_covering, agg.inv_n_sum, data.horizon, iota,
                                        c_src=c_src, c_smp=c_smp)
    gam = gam + 2.0 * eps
    covered = agg.n_covering > 0
    pi, V, Q, unc = _pessimistic_vi(agg.P_bar, agg.r_bar, gam, covered, data.rho, data.horizon)
    freeze(pi, V, Q, gam, g_src, g_smp)
    return HetPEVIResult(pi, V, Q, gam, g_src, g_smp, agg.n_covering, float(data.rho @ V[0]),
                         iota, unc)


def naive_pooling(data: SourceData, *, delta: float = 0.1, c: float = 1.0,
                  union: str | None = None, eps_net: float | None = None) -> HetPEVIResult:
    """PEVI on all samples pooled as if they came from the target (baseline).

    ``P_pool = sum_l n_l P_hat_l / sum_l n_l`` (sample-weighted), penalty ``c (H+1)
    sqrt(iota / (2 N))`` with ``N = sum_l n_l`` and the same ``iota`` as :func:`hetpevi`; no
    source term.  It ignores the source uncertainty, so as ``K`` grows its penalty vanishes while
    the pooled model stays a realised source mixture: it stops being pessimistic on the target.

    Raises
    ------
    ValueError
        Exact-source data (no sample counts to pool).
    """
    check_instance("data", data, SourceData)
    _mdp_only(data)
    if data.mode == "exact":
        raise ValueError("data: naive pooling needs sample counts (trajectory mode), got exact "
                         "sources")
    iota, eps = _resolve(data, delta, union, eps_net)
    c = check_positive_float("c", c, allow_zero=True)
    n, P, r = data.flat()
    N = n.sum(axis=0)
    cov = N > 0
    Nd = np.maximum(N, 1.0)
    S = data.n_states
    P_pool = np.einsum("lhsc,lhsct->hsct", n, P) / Nd[..., None]
    P_pool = np.where(cov[..., None], P_pool, np.broadcast_to(np.eye(S)[None, :, None, :],
                                                               P_pool.shape))
    r_pool = (n * r).sum(axis=0) / Nd
    H = data.horizon
    g = np.where(cov, c * (H + 1.0) * np.sqrt(iota / (2.0 * Nd)) + 2.0 * eps, np.inf)
    pi, V, Q, unc = _pessimistic_vi(P_pool, r_pool, g, cov, data.rho, H)
    zeros = np.zeros_like(g)
    freeze(pi, V, Q, g)
    return HetPEVIResult(pi, V, Q, g, zeros, g, cov.astype(np.int64), float(data.rho @ V[0]),
                         iota, unc)


def tabular_pevi(dataset: TransitionDataset, rho, *, delta: float = 0.1, c: float = 1.0,
                 union: str = "net", eps_net: float | None = None) -> HetPEVIResult:
    """Tabular PEVI (Jin et al. 2021, Hoeffding form [R]) on one finite-horizon dataset.

    HetPEVI with one source and ``c_src = 0`` [D]: ``Gamma = c (H+1) sqrt(iota/(2 n))``.  Used as
    the "PEVI on the target with the same total sample count" baseline.  (The linear-MDP PEVI
    with its elliptical penalty is :func:`rlth.algorithms.offline.pevi.pevi`; on one-hot
    features its radius ``d H sqrt(zeta)`` differs from this Hoeffding width.)

    Parameters
    ----------
    dataset : TransitionDataset
        ``[H, S, A]`` form (e.g. :func:`rlth.data.offline.sample_trajectory_dataset`).
    rho : array_like, shape (S,)
    delta, c, union, eps_net
        As in :func:`hetpevi` (``eps_net`` default ``1 / n_samples``).
    """
    check_instance("dataset", dataset, TransitionDataset)
    data = stack_source_datasets([dataset], rho)
    return hetpevi(data, delta=delta, c_src=0.0, c_smp=c, union=union, eps_net=eps_net)


def single_source_pevi(data: SourceData, l: int, *, delta: float = 0.1, c: float = 1.0,
                       union: str | None = None, eps_net: float | None = None) -> HetPEVIResult:
    """PEVI on source ``l`` alone, as if it were the target (sample term only).

    In the exact mode the penalty is 0 on the covered cells (the source's model is known);
    uncovered cells get ``Q = 0``.
    """
    check_instance("data", data, SourceData)
    l = check_nonnegative_int("l", l)
    if not 0 <= l < data.n_sources:
        raise ValueError(f"l: must lie in [0, {data.n_sources}), got {l}")
    one = SourceData(data.counts[l:l + 1], data.P_hat[l:l + 1], data.r_hat[l:l + 1], data.mode,
                     data.n_episodes, data.rho)
    return hetpevi(one, delta=delta, c_src=0.0, c_smp=c, union=union, eps_net=eps_net)


# ----------------------------------------------------------------------------- Markov games
def hetpevi_game(data: SourceData, *, delta: float = 0.1, c_src: float = 1.0,
                 c_smp: float = 1.0, union: str | None = None,
                 eps_net: float | None = None) -> HetPEVIGameResult:
    """HetPEVI for a zero-sum Markov game (module docstring): pessimism for the max player,
    optimism for the min player, one matrix-game solve per ``(h, s)`` and side.

    Parameters
    ----------
    data : SourceData
        Game sources (cell shape ``(A, B)``), rewards in ``[0, 1]``.
    delta, c_src, c_smp, union, eps_net
        As in :func:`hetpevi`.

    Returns
    -------
    HetPEVIGameResult

    Guarantee
    ---------
    [D] On the event where ``Gamma`` bounds every Bellman error (w.p. ``>= 1 - delta`` under the
    valid union): ``V_low <= V* <= V_up`` and ``exploitability(pi_max, pi_min) <= rho @ (V_up[0]
    - V_low[0])``; [R] the certified gap is ``<= 2 sum_h E[Gamma_h]`` under unilateral coverage.
    """
    check_instance("data", data, SourceData)
    if len(data.cell_shape) != 2:
        raise ValueError("data: holds MDP sources; use hetpevi")
    A, B = data.cell_shape
    iota, eps = _resolve(data, delta, union, eps_net)
    agg = aggregate_sources(data)
    gam, _, _ = hetpevi_penalty(agg.n_covering, agg.inv_n_sum, data.horizon, iota,
                                c_src=c_src, c_smp=c_smp)
    gam = gam + 2.0 * eps
    H, S = data.horizon, data.n_states
    cov = agg.n_covering > 0
    V_low = np.zeros((H + 1, S))
    V_up = np.zeros((H + 1, S))
    pi_max = np.zeros((H, S, A))
    pi_min = np.zeros((H, S, B))
    gaps = np.zeros((2, H, S))
    g0 = np.where(cov, gam, 0.0)
    for h in range(H - 1, -1, -1):
        base_low = agg.r_bar[h] + agg.P_bar[h] @ V_low[h + 1]
        base_up = agg.r_bar[h] + agg.P_bar[h] @ V_up[h + 1]
        q_low = np.where(cov[h], np.clip(base_low - g0[h], 0.0, H - h), 0.0).reshape(S, A, B)
        q_up = np.where(cov[h], np.clip(base_up + g0[h], 0.0, H - h), H - h).reshape(S, A, B)
        for s in range(S):
            lo = solve_matrix_game(q_low[s])
            up = solve_matrix_game(q_up[s])
            V_low[h, s], pi_max[h, s], gaps[0, h, s] = lo.value, lo.x, lo.duality_gap
            V_up[h, s], pi_min[h, s], gaps[1, h, s] = up.value, up.y, up.duality_gap
    gam_ab = gam.reshape(H, S, A, B)
    vl, vu = float(data.rho @ V_low[0]), float(data.rho @ V_up[0])
    freeze(pi_max, pi_min, V_low, V_up, gam_ab, gaps)
    return HetPEVIGameResult(pi_max, pi_min, V_low, V_up, gam_ab, vl, vu, vu - vl, iota, gaps)
