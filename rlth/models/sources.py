r"""Randomly perturbed data sources around a target MDP or a target zero-sum Markov game.

Shi, Xiong, Shen, Yang, "Provably Efficient Offline Reinforcement Learning with Perturbed Data
Sources" (ICML 2023, PMLR 202:31353-31388, arXiv 2306.08364).  The offline data come from
``L`` *randomly perturbed versions of the target task* instead of from the target itself ([V],
abstract).  The law of the perturbation is not recoverable here (the paper's text could not be
read); the model below is the reconstruction of ``shared/theory/pnlsvi_hetpevi_stepmix_v2.md``
section 2.2-2.3, tagged [R] (model shape) and [D] (the concrete law):

* sources ``l = 1..L`` are i.i.d.; within a source every cell ``(h, s, c)`` (``c`` an action of
  an MDP, a joint action ``(a, b)`` of a game) is perturbed independently [R];
* transitions: ``P_{l,h}(.|s,c) ~ Dirichlet(alpha P_h(.|s,c))`` on the support of
  ``P_h(.|s,c)`` [D], so ``E[P_{l,h}] = P_h`` exactly and
  ``Var P_{l,h}(s'|s,c) = P_h(s'|s,c)(1 - P_h(s'|s,c)) / (alpha + 1)``; ``alpha = inf`` keeps
  ``P_l = P``;
* rewards, mean-preserving and inside the target's declared range ``[lo, hi]`` [D]:

  - ``"rademacher"``: ``r_l = r + u eps`` with ``eps = +-1`` equiprobable; needs
    ``r in [lo + u, hi - u]`` (so no clipping bias);
  - ``"bernoulli"``: ``r_l in {lo, hi}`` with ``Pr(r_l = hi) = (r - lo)/(hi - lo)`` (the largest
    variance a mean-preserving law in ``[lo, hi]`` can have; its support does not reveal ``r``,
    which the two-arm lower-bound family needs);
  - ``"none"``: ``r_l = r``.

  (Under ``"rademacher"`` two distinct values of ``r_l`` reveal ``r``: the reward part of the
  source floor is then not information-theoretic; the Dirichlet transition part is.)

Arrays: a target MDP has ``P[H, S, A, S]`` and a game ``P[H, S, A, B, S]``; a draw of ``L``
sources stores ``P[L, H, S, *cell, S]`` and ``R[L, H, S, *cell]`` with ``cell = (A,)`` or
``(A, B)``.

References
----------
Shi, Xiong, Shen, Yang (2023), arXiv 2306.08364, abstract [V]; the model [R].

Examples
--------
>>> import numpy as np
>>> from rlth.models import FiniteHorizonMDP
>>> P = np.full((2, 2, 2), 0.5); R = np.full((2, 2), 0.5)
>>> law = PerturbedSourceLaw(FiniteHorizonMDP(P, R, horizon=3), alpha=10.0, reward_noise=0.1)
>>> src = law.draw(4, rng=0)
>>> src.P.shape, src.R.shape
((4, 3, 2, 2, 2), (4, 3, 2, 2))
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._rng import as_generator
from .._validation import (check_array_bytes, check_choice, check_instance, check_positive_int,
                           check_real, freeze)
from .games import MarkovGame
from .mdp import FiniteHorizonMDP

__all__ = ["REWARD_NOISE_KINDS", "PerturbedSourceLaw", "SourceModels"]

REWARD_NOISE_KINDS = ("rademacher", "bernoulli", "none")


def _target_arrays(target):
    """(P[H, S, C, S], R[H, S, C], cell_shape) of an MDP or a Markov game (C = A or A*B)."""
    check_instance("target", target, (FiniteHorizonMDP, MarkovGame))
    H, S = target.horizon, target.n_states
    if isinstance(target, FiniteHorizonMDP):
        cell = (target.n_actions,)
        P = np.broadcast_to(target.P_stages, (H,) + target.P_stages.shape[1:])
        R = np.broadcast_to(target.R_stages, (H,) + target.R_stages.shape[1:])
    else:
        cell = (target.n_actions_max, target.n_actions_min)
        P, R = target.P, target.R
    C = int(np.prod(cell))
    return (np.ascontiguousarray(P, dtype=np.float64).reshape(H, S, C, S),
            np.ascontiguousarray(R, dtype=np.float64).reshape(H, S, C), cell)


@dataclass(frozen=True, eq=False, init=False)
class PerturbedSourceLaw:
    """The law of one perturbed source around ``target`` (module docstring).

    Parameters
    ----------
    target : FiniteHorizonMDP or MarkovGame
        The target task; the law's mean.
    alpha : float, default inf
        Dirichlet concentration (``> 0``; ``math.inf``: transitions unperturbed).
    reward_noise : float, default 0
        ``u >= 0`` of the ``"rademacher"`` kind (ignored by the other kinds).
    reward_kind : {"rademacher", "bernoulli", "none"}, default "rademacher"

    Raises
    ------
    ValueError
        ``target`` of another type; ``alpha <= 0`` or NaN; ``reward_noise < 0``; a target reward
        outside ``[lo + u, hi - u]`` under ``"rademacher"`` (the perturbation would leave the
        declared range); an unknown ``reward_kind``.
    """

    target: object
    alpha: float
    reward_noise: float
    reward_kind: str

    def __init__(self, target, alpha: float = math.inf, reward_noise: float = 0.0,
                 reward_kind: str = "rademacher"):
        P, R, cell = _target_arrays(target)
        alpha = float(alpha) if isinstance(alpha, (int, float)) and not isinstance(alpha, bool) \
            else check_real("alpha", alpha)
        if not alpha > 0:                          # also rejects NaN
            raise ValueError(f"alpha: the Dirichlet concentration must be > 0 (or inf), "
                             f"got {alpha}")
        u = check_real("reward_noise", reward_noise)
        if u < 0:
            raise ValueError(f"reward_noise: must be >= 0, got {u}")
        check_choice("reward_kind", reward_kind, REWARD_NOISE_KINDS)
        lo, hi = target.reward_range
        if reward_kind == "rademacher" and u > 0 and (R.min() < lo + u - 1e-12
                                                      or R.max() > hi - u + 1e-12):
            raise ValueError(f"reward_noise: r +- {u} leaves the reward range [{lo}, {hi}]: "
                             f"target rewards span [{R.min():.6g}, {R.max():.6g}], need "
                             f"[{lo + u:.6g}, {hi - u:.6g}]")
        if reward_kind == "bernoulli" and hi == lo:
            raise ValueError("reward_kind: 'bernoulli' needs a reward range with low < high")
        object.__setattr__(self, "target", target)
        object.__setattr__(self, "alpha", alpha)
        object.__setattr__(self, "reward_noise", u)
        object.__setattr__(self, "reward_kind", reward_kind)

    # ------------------------------------------------------------------ exact description
    @property
    def cell_shape(self) -> tuple[int, ...]:
        """``(A,)`` for an MDP, ``(A, B)`` for a game."""
        return _target_arrays(self.target)[2]

    def dirichlet_parameters(self) -> np.ndarray:
        """``alpha P[H, S, *cell, S]`` (zero off the support; ``inf`` entries when ``alpha = inf``).

        Their normalisation is the mean of the source transitions: ``P`` exactly.
        """
        P, _, cell = _target_arrays(self.target)
        out = self.alpha * P if math.isfinite(self.alpha) else np.where(P > 0, np.inf, 0.0)
        return out.reshape(P.shape[:2] + cell + (P.shape[-1],))

    def reward_support(self) -> tuple[np.ndarray, np.ndarray]:
        """The exact two-point law of ``r_l`` per cell: ``values[..., 2]``, ``probs[..., 2]``.

        ``(values * probs).sum(-1) == r`` is the mean-preservation identity (exact up to one
        rounding).
        """
        _, R, cell = _target_arrays(self.target)
        lo, hi = self.target.reward_range
        if self.reward_kind == "rademacher":
            vals = np.stack([R - self.reward_noise, R + self.reward_noise], axis=-1)
            probs = np.full(vals.shape, 0.5)
        elif self.reward_kind == "bernoulli":
            q = (R - lo) / (hi - lo)
            vals = np.stack([np.full(R.shape, lo), np.full(R.shape, hi)], axis=-1)
            probs = np.stack([1.0 - q, q], axis=-1)
        else:
            vals = np.stack([R, R], axis=-1)
            probs = np.full(vals.shape, 0.5)
        shp = R.shape[:2] + cell + (2,)
        return vals.reshape(shp), probs.reshape(shp)

    def transition_variance(self) -> np.ndarray:
        """``Var P_{l,h}(s'|s,c) = P (1 - P) / (alpha + 1)``, shaped like ``P``.

        Zero when ``alpha = inf``.
        """
        P, _, cell = _target_arrays(self.target)
        v = P * (1.0 - P) / (self.alpha + 1.0) if math.isfinite(self.alpha) else np.zeros_like(P)
        return v.reshape(P.shape[:2] + cell + (P.shape[-1],))

    # ------------------------------------------------------------------ sampling
    def draw(self, n_sources, *, rng=None) -> "SourceModels":
        """Draw ``L = n_sources`` i.i.d. sources.

        Parameters
        ----------
        n_sources : int
            ``L >= 1``.
        rng : Generator, int or SeedSequence

        Returns
        -------
        SourceModels
            ``P[L, H, S, *cell, S]``, ``R[L, H, S, *cell]``.

        Notes
        -----
        Consumes the generator in a fixed order (transitions, then rewards).  A Dirichlet row
        whose gamma variates all underflow to 0 (possible only for ``alpha P`` entries far
        below 1e-3) is replaced by a one-hot row drawn from ``P`` (the ``alpha -> 0`` limit of
        the Dirichlet law) [D].
        """
        L = check_positive_int("n_sources", n_sources)
        P, R, cell = _target_arrays(self.target)
        H, S, C, _ = P.shape
        check_array_bytes("n_sources", (L, H, S, C, S + 1), what="the source models")
        rng = as_generator(rng)
        if math.isfinite(self.alpha):
            conc = np.broadcast_to(self.alpha * P, (L, H, S, C, S))
            g = np.where(conc > 0, rng.standard_gamma(np.where(conc > 0, conc, 1.0)), 0.0)
            tot = g.sum(axis=-1, keepdims=True)
            bad = tot[..., 0] <= 0
            if bad.any():
                idx = np.argwhere(bad)
                for l, h, s, c in idx:
                    g[l, h, s, c] = 0.0
                    g[l, h, s, c, rng.choice(S, p=P[h, s, c] / P[h, s, c].sum())] = 1.0
                tot = g.sum(axis=-1, keepdims=True)
            Pl = g / tot
        else:
            Pl = np.array(np.broadcast_to(P, (L, H, S, C, S)))
        lo, hi = self.target.reward_range
        if self.reward_kind == "rademacher" and self.reward_noise > 0:
            eps = rng.integers(0, 2, size=(L, H, S, C)) * 2.0 - 1.0
            Rl = R[None] + self.reward_noise * eps
        elif self.reward_kind == "bernoulli":
            q = (R - lo) / (hi - lo)
            Rl = np.where(rng.random((L, H, S, C)) < q[None], hi, lo)
        else:
            Rl = np.array(np.broadcast_to(R, (L, H, S, C)))
        Pl = np.ascontiguousarray(Pl.reshape((L, H, S) + cell + (S,)))
        Rl = np.ascontiguousarray(Rl.reshape((L, H, S) + cell), dtype=np.float64)
        freeze(Pl, Rl)
        return SourceModels(P=Pl, R=Rl, law=self)


@dataclass(frozen=True, eq=False)
class SourceModels:
    """A realised draw of ``L`` perturbed sources (from :meth:`PerturbedSourceLaw.draw`).

    Attributes
    ----------
    P : ndarray, shape (L, H, S, ``*cell``, S)
    R : ndarray, shape (L, H, S, ``*cell``)
    law : PerturbedSourceLaw
    """

    P: np.ndarray
    R: np.ndarray
    law: PerturbedSourceLaw

    @property
    def n_sources(self) -> int:
        return self.P.shape[0]

    @property
    def target(self):
        return self.law.target

    @property
    def is_game(self) -> bool:
        return isinstance(self.law.target, MarkovGame)

    def source(self, l: int):
        """Source ``l`` as a model of the target's type (same ``rho`` and reward range)."""
        l = int(l)
        if not 0 <= l < self.n_sources:
            raise ValueError(f"l: must lie in [0, {self.n_sources}), got {l}")
        t = self.law.target
        if self.is_game:
            return MarkovGame(self.P[l], self.R[l], t.rho, reward_range=t.reward_range)
        return FiniteHorizonMDP(self.P[l], self.R[l], t.rho, reward_range=t.reward_range)

    def average(self):
        """The realised average source ``((1/L) sum_l P_l, (1/L) sum_l r_l)`` as a model.

        Its optimal policy, evaluated on the target, is the *oracle floor* of the issue: what a
        learner that knew every source exactly and trusted their average would get.
        """
        t = self.law.target
        P = self.P.mean(axis=0)
        P /= P.sum(axis=-1, keepdims=True)
        R = np.clip(self.R.mean(axis=0), *t.reward_range)
        if self.is_game:
            return MarkovGame(P, R, t.rho, reward_range=t.reward_range)
        return FiniteHorizonMDP(P, R, t.rho, reward_range=t.reward_range)
