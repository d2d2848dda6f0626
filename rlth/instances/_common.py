"""Private helpers shared by the instance builders."""
from __future__ import annotations

from ..models.mdp import DiscountedMDP, FiniteHorizonMDP


def finish_mdp(P, R, rho, horizon, gamma, reward_range=(0.0, 1.0)):
    """Build a FiniteHorizonMDP when ``horizon`` is given, else a DiscountedMDP."""
    if (horizon is None) == (gamma is None):
        raise ValueError("horizon/gamma: give exactly one of horizon (finite-horizon MDP) "
                         "or gamma (discounted MDP)")
    if horizon is not None:
        return FiniteHorizonMDP(P, R, rho, horizon=horizon, reward_range=reward_range)
    if P.ndim != 3:
        raise ValueError("gamma: a discounted MDP needs stationary dynamics")
    return DiscountedMDP(P, R, gamma, rho, reward_range=reward_range)
