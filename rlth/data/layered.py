r"""Ordered per-layer offline tuples ``(x_h, a_h, r_h, x_{h+1})``, ``(x_h, a_h) ~ nu_h`` i.i.d.

H2O (Amortila et al. 2024, arXiv 2401.09681, Algorithm 2) uses the first ``t`` offline tuples of
every layer at iteration ``t + 1``, so it needs the tuples in order, not only their sufficient
statistics (:func:`rlth.data.sample_transition_dataset` draws the statistics of the whole set).
:func:`sample_layer_tuples` draws ``n`` ordered tuples per layer; the learner accumulates the
prefix statistics one tuple at a time.

Random-number order: for each layer ``h`` in turn, ``n`` uniforms for the pairs, ``n`` for the
rewards (``"bernoulli"``), ``n`` for the next states (inverse CDF).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._rng import as_generator
from .._validation import as_float_array, check_choice, check_distribution, check_positive_int
from ..models.mdp import FiniteHorizonMDP

__all__ = ["LayerTuples", "sample_layer_tuples"]


@dataclass(frozen=True)
class LayerTuples:
    """``n`` ordered tuples per layer: arrays of shape ``(H, n)``."""

    states: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    next_states: np.ndarray

    @property
    def n(self) -> int:
        return self.states.shape[1]


def _inverse_cdf(cum: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Row-wise ``min(#{cum <= u}, len - 1)`` for ``cum[n, k]`` and ``u[n]``."""
    idx = (cum <= u[:, None]).sum(axis=1)
    return np.minimum(idx, cum.shape[1] - 1)


def sample_layer_tuples(mdp: FiniteHorizonMDP, nu, n_samples: int, *, rng=None,
                        reward: str = "bernoulli") -> LayerTuples:
    """Draw ``n_samples`` i.i.d. tuples per layer from ``nu_h`` and the model.

    Parameters
    ----------
    mdp : FiniteHorizonMDP
    nu : array_like, shape (H, S, A)
        Offline distribution of ``(x_h, a_h)`` per layer (each ``nu[h]`` sums to 1).
    n_samples : int
    rng : Generator, int or SeedSequence
    reward : {"bernoulli", "mean"}

    Returns
    -------
    LayerTuples

    Guarantee
    ---------
    Each tuple has exactly the law ``(x, a) ~ nu_h``, ``r ~ Bernoulli(R_h(x, a))`` (or the mean),
    ``x' ~ P_h(. | x, a)`` (inverse CDF), independently across tuples and layers.
    """
    if not isinstance(mdp, FiniteHorizonMDP):
        raise ValueError(f"mdp: expected a FiniteHorizonMDP, got {type(mdp).__name__}")
    H, S, A = mdp.horizon, mdp.n_states, mdp.n_actions
    nu = as_float_array("nu", nu, shape=(H, S, A))
    check_distribution("nu", nu.reshape(H, -1))
    n = check_positive_int("n_samples", n_samples)
    reward = check_choice("reward", reward, ("bernoulli", "mean"))
    rng = as_generator(rng)
    xs = np.empty((H, n), dtype=np.int64)
    acts = np.empty((H, n), dtype=np.int64)
    rs = np.empty((H, n))
    ys = np.empty((H, n), dtype=np.int64)
    P, R = mdp.P, mdp.R
    for h in range(H):
        cum = np.cumsum(nu[h].reshape(-1))
        cell = np.minimum(np.searchsorted(cum, rng.random(n), side="right"), S * A - 1)
        x, a = np.divmod(cell, A)
        mean = R[h, x, a]
        rs[h] = (rng.random(n) < mean).astype(np.float64) if reward == "bernoulli" else mean
        ys[h] = _inverse_cdf(np.cumsum(P[h, x, a], axis=1), rng.random(n))
        xs[h], acts[h] = x, a
    return LayerTuples(xs, acts, rs, ys)
