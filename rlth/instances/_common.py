"""Private helpers shared by the instance builders."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .._validation import check_array_bytes
from ..models.mdp import DiscountedMDP, FiniteHorizonMDP
from ..models.sparse import SparseDiscountedMDP, SparseFiniteHorizonMDP


def _check_horizon_gamma(horizon, gamma) -> None:
    if (horizon is None) == (gamma is None):
        raise ValueError("horizon/gamma: give exactly one of horizon (finite-horizon MDP) "
                         "or gamma (discounted MDP)")


def finish_mdp(P, R, rho, horizon, gamma, reward_range=(0.0, 1.0)):
    """Build a FiniteHorizonMDP when ``horizon`` is given, else a DiscountedMDP."""
    _check_horizon_gamma(horizon, gamma)
    if horizon is not None:
        return FiniteHorizonMDP(P, R, rho, horizon=horizon, reward_range=reward_range)
    if P.ndim != 3:
        raise ValueError("gamma: a discounted MDP needs stationary dynamics")
    return DiscountedMDP(P, R, gamma, rho, reward_range=reward_range)


def finish_from_coo(rows, cols, vals, n_states, n_actions, R, rho, horizon, gamma, *,
                    sparse: bool, name: str, reward_range=(0.0, 1.0)):
    """A stationary MDP from the COO triplets of ``P`` over rows ``s * A + a``: CSR when
    ``sparse`` (never a dense intermediate), else dense, with duplicates summed in the order
    given (so a builder that lists its entries in loop order reproduces a loop's sums).

    A dense model that would not fit in memory is refused with a ``ValueError`` naming ``name``
    and pointing to ``sparse=True``.
    """
    _check_horizon_gamma(horizon, gamma)
    S, A = n_states, n_actions
    if sparse:
        P = sp.csr_matrix((vals, (rows, cols)), shape=(S * A, S))
        if horizon is not None:
            return SparseFiniteHorizonMDP(P, R, rho, horizon=horizon, reward_range=reward_range)
        return SparseDiscountedMDP(P, R, gamma, rho, reward_range=reward_range)
    check_array_bytes(name, (S, A, S), what="the dense transitions P",
                      hint="build it as a sparse (CSR) model with sparse=True")
    P = np.zeros((S * A, S))
    np.add.at(P, (rows, cols), vals)
    return finish_mdp(P.reshape(S, A, S), R, rho, horizon, gamma, reward_range)
