r"""Linear MDPs (Jin, Yang, Wang, Jordan 2020) with the exact tabular model they induce.

A finite-horizon linear MDP has features :math:`\phi(s,a) \in \mathbb{R}^d`, measures
:math:`\mu_h(s') \in \mathbb{R}^d` and reward parameters :math:`\theta_h \in \mathbb{R}^d` with

.. math::
    P_h(s' \mid s, a) = \langle \phi(s,a), \mu_h(s') \rangle, \qquad
    r_h(s,a) = \langle \phi(s,a), \theta_h \rangle .

rlth stores ``phi[S, A, d]`` (or ``[H, S, A, d]``), ``mu[H, S, d]`` and ``theta[H, d]``, builds
the tabular ``P``, ``R`` these induce, checks that they are a valid MDP (non-negative rows
summing to 1, rewards in range), and keeps the :class:`FiniteHorizonMDP` alongside so every exact
solver applies.  :meth:`LinearMDP.from_tabular` is the one-hot embedding (``d = S * A``) of any
tabular MDP.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import as_float_array, check_array_bytes, common_horizon, readonly_copy
from .mdp import FiniteHorizonMDP

__all__ = ["LinearMDP"]


@dataclass(frozen=True, eq=False, init=False)
class LinearMDP:
    """Linear MDP with exact induced tabular model.

    Parameters
    ----------
    phi : array_like, shape (S, A, d) or (H, S, A, d)
    mu : array_like, shape (H, S, d) or (S, d)
        ``mu[h, s', :]``; 2-D means stationary.
    theta : array_like, shape (H, d) or (d,)
    rho : array_like, shape (S,), optional
    horizon : int, optional
        Needed when every input is stationary.
    reward_range : (float, float), default (0, 1)

    Attributes
    ----------
    mdp : FiniteHorizonMDP
        The induced tabular model (validated: raises ``ValueError`` naming ``phi/mu`` when the
        induced rows are not distributions, ``phi/theta`` when rewards leave the range).
    """

    phi: np.ndarray
    mu: np.ndarray
    theta: np.ndarray
    mdp: FiniteHorizonMDP

    def __init__(self, phi, mu, theta, rho=None, horizon=None, reward_range=(0.0, 1.0)):
        phi = as_float_array("phi", phi, ndim=(3, 4))
        d = phi.shape[-1]
        S = phi.shape[-3]
        mu = as_float_array("mu", mu, ndim=(2, 3))
        theta = as_float_array("theta", theta, ndim=(1, 2))
        if mu.shape[-2:] != (S, d):
            raise ValueError(f"mu: trailing shape must be (n_states, d) = {(S, d)} (the sizes of "
                             f"phi, shape {phi.shape}), got {mu.shape}")
        if theta.shape[-1] != d:
            raise ValueError(f"theta: last axis must be d = {d}, got {theta.shape}")
        H = common_horizon(horizon, phi=(phi, 4), mu=(mu, 3), theta=(theta, 2))
        check_array_bytes("horizon", (H, S, phi.shape[-2], S),
                          what="the induced tabular transitions P")
        phi_h = np.broadcast_to(phi, (H,) + phi.shape[-3:])
        mu_h = np.broadcast_to(mu, (H, S, d))
        theta_h = np.broadcast_to(theta, (H, d))
        P = np.einsum("hsad,htd->hsat", phi_h, mu_h)
        R = np.einsum("hsad,hd->hsa", phi_h, theta_h)
        # tiny negative round-off from the products is clipped; anything larger is an error
        if P.size and P.min() < -1e-12:
            raise ValueError(f"phi/mu: induced transition probabilities must be non-negative, "
                             f"min is {P.min():.3g}")
        P = np.clip(P, 0.0, None)
        try:
            mdp = FiniteHorizonMDP(P, R, rho, reward_range=reward_range)
        except ValueError as exc:
            msg = str(exc)
            if msg.startswith("P:"):
                raise ValueError("phi/mu: induced " + msg) from None
            if msg.startswith("R:"):
                raise ValueError("phi/theta: induced " + msg) from None
            raise
        phi, mu, theta = (readonly_copy(a) for a in (phi, mu, theta))
        object.__setattr__(self, "phi", phi)
        object.__setattr__(self, "mu", mu)
        object.__setattr__(self, "theta", theta)
        object.__setattr__(self, "mdp", mdp)

    @property
    def dim(self) -> int:
        return self.phi.shape[-1]

    @property
    def horizon(self) -> int:
        return self.mdp.horizon

    @property
    def n_states(self) -> int:
        return self.mdp.n_states

    @property
    def n_actions(self) -> int:
        return self.mdp.n_actions

    def features(self, h: int) -> np.ndarray:
        """``phi`` at stage ``h``, shape (S, A, d)."""
        return self.phi if self.phi.ndim == 3 else self.phi[h]

    @classmethod
    def from_tabular(cls, mdp: FiniteHorizonMDP) -> "LinearMDP":
        """One-hot embedding: ``phi(s, a) = e_{(s,a)}``, ``d = S * A``; exact by construction."""
        H, S, A = mdp.horizon, mdp.n_states, mdp.n_actions
        phi = np.eye(S * A).reshape(S, A, S * A)
        mu = np.ascontiguousarray(mdp.P.reshape(H, S * A, S).transpose(0, 2, 1))
        theta = mdp.R.reshape(H, S * A)
        return cls(phi, mu, theta, mdp.rho, reward_range=mdp.reward_range)

    def __repr__(self) -> str:
        return (f"LinearMDP(n_states={self.n_states}, n_actions={self.n_actions}, d={self.dim}, "
                f"horizon={self.horizon})")
