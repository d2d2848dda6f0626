r"""Finite model classes: a finite set of candidate episodic MDPs that contains the true one.

GLOW, H2O and HyGLOW (Amortila, Foster, Jiang, Sekhari, Xie, ICLR 2024, arXiv 2401.09681) learn
over a finite value class :math:`\mathcal F` (Assumption 2.1, :math:`Q^\star \in \mathcal F`)
and a weight class :math:`\mathcal W` of density ratios (Assumption 2.2 / 2.2').  Appendix B
builds both from a model class :math:`\mathcal M \ni M^\star`
(:math:`\mathcal F = \{Q^\star_M\}`, :math:`\Pi = \{\pi_{Q^\star_M}\}`, ratios of occupancies):
this module holds that class, as model vocabulary only (no solver).  The derived quantities
(optimal Q-functions, greedy policies, occupancies, coverability) are computed by
:func:`rlth.algorithms.online.glow.class_quantities` with rlth's exact solvers.

Rewards must satisfy the paper's normalization (Section 1.1, [V]): the per-episode reward sum
lies in :math:`[0, 1]` almost surely.  :class:`FiniteModelClass` checks it for every model by a
max-over-paths recursion on the support of ``P`` (conservative: every state counts as reachable):
with ``reward="bernoulli"`` a step with a positive mean can pay 1, so at most one such step may
lie on any path; with ``reward="mean"`` (deterministic rewards) the largest path sum of the mean
rewards must be at most 1.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .._validation import check_choice
from .mdp import FiniteHorizonMDP

__all__ = ["FiniteModelClass", "max_episode_reward", "REWARD_KINDS"]

REWARD_KINDS = ("bernoulli", "mean")


def max_episode_reward(mdp: FiniteHorizonMDP, reward: str = "bernoulli") -> float:
    """Largest per-episode reward sum any path of ``mdp`` can realize.

    Parameters
    ----------
    mdp : FiniteHorizonMDP
    reward : {"bernoulli", "mean"}
        ``"bernoulli"``: a realized reward is 1 wherever the mean is positive; ``"mean"``:
        the realized reward equals the mean.

    Returns
    -------
    float
        ``max`` over state-action paths with positive transition probabilities (from any
        start state) of the sum of realized rewards [D].
    """
    if not isinstance(mdp, FiniteHorizonMDP):
        raise ValueError(f"mdp: expected a FiniteHorizonMDP, got {type(mdp).__name__}")
    reward = check_choice("reward", reward, REWARD_KINDS)
    H = mdp.horizon
    V = np.zeros(mdp.n_states)
    for h in range(H - 1, -1, -1):
        R = mdp.R_stages[h if mdp.R_stages.shape[0] > 1 else 0]
        P = mdp.P_stages[h if mdp.P_stages.shape[0] > 1 else 0]
        r = (R > 0).astype(np.float64) if reward == "bernoulli" else R
        nxt = np.where(P > 0, V[None, None, :], -np.inf).max(axis=2)
        V = (r + nxt).max(axis=1)
    return float(V.max())


class FiniteModelClass:
    """A finite class of episodic MDPs with the same shapes, one of which is the truth.

    Parameters
    ----------
    models : sequence of FiniteHorizonMDP
        The candidates :math:`M \\in \\mathcal M`; all must share ``n_states``, ``n_actions``
        and ``horizon`` (those of the true model).
    true_index : int
        Index of the true model :math:`M^\\star` in ``models``.
    reward : {"bernoulli", "mean"}, default "bernoulli"
        How rewards are realized when the true model is simulated (Bernoulli with the mean,
        or exactly the mean).
    names : sequence of str, optional
        One label per model (e.g. the code of a combination lock).

    Raises
    ------
    ValueError
        ``models`` empty, not MDPs, or of shapes other than the true model's; ``true_index``
        out of range; a model whose per-episode reward sum can leave ``[0, 1]``
        (:func:`max_episode_reward`); ``names`` of the wrong length.

    Examples
    --------
    >>> import numpy as np
    >>> P = np.ones((1, 1, 2, 1))
    >>> ms = [FiniteHorizonMDP(P, np.array([[[0.2, 0.8]]])),
    ...       FiniteHorizonMDP(P, np.array([[[0.8, 0.2]]]))]
    >>> c = FiniteModelClass(ms, true_index=1)
    >>> c.n_models, c.horizon, c.true_model is ms[1]
    (2, 1, True)
    """

    def __init__(self, models: Sequence[FiniteHorizonMDP], true_index: int, *,
                 reward: str = "bernoulli", names: Sequence[str] | None = None):
        if isinstance(models, FiniteHorizonMDP) or not hasattr(models, "__len__"):
            raise ValueError("models: expected a non-empty sequence of FiniteHorizonMDP")
        models = tuple(models)
        if not models:
            raise ValueError("models: the class is empty (it must contain the true model)")
        for i, m in enumerate(models):
            if not isinstance(m, FiniteHorizonMDP):
                raise ValueError(f"models: entry {i} is a {type(m).__name__}, expected a "
                                 "FiniteHorizonMDP")
        if isinstance(true_index, (bool, np.bool_)) or not isinstance(true_index,
                                                                       (int, np.integer)):
            raise ValueError(f"true_index: expected an int, got {true_index!r}")
        if not 0 <= int(true_index) < len(models):
            raise ValueError(f"true_index: must lie in [0, {len(models) - 1}], got {true_index}")
        true_index = int(true_index)
        self.reward = check_choice("reward", reward, REWARD_KINDS)
        truth = models[true_index]
        shape = (truth.n_states, truth.n_actions, truth.horizon)
        for i, m in enumerate(models):
            got = (m.n_states, m.n_actions, m.horizon)
            if got != shape:
                raise ValueError(f"models: model {i} has (n_states, n_actions, horizon) = {got}, "
                                 f"the true model {shape}")
        for i, m in enumerate(models):
            top = max_episode_reward(m, self.reward)
            if top > 1.0 + 1e-12:
                raise ValueError(
                    f"models: model {i} can realize a per-episode reward sum of {top:g} > 1 "
                    f"(reward={self.reward!r}); GLOW needs sum_h r_h in [0, 1] (Section 1.1): "
                    "rescale the per-step rewards")
        if names is None:
            names = tuple(str(i) for i in range(len(models)))
        else:
            names = tuple(str(n) for n in names)
            if len(names) != len(models):
                raise ValueError(f"names: expected {len(models)} labels, got {len(names)}")
        self.models = models
        self.true_index = true_index
        self.names = names

    @property
    def true_model(self) -> FiniteHorizonMDP:
        return self.models[self.true_index]

    @property
    def n_models(self) -> int:
        return len(self.models)

    @property
    def n_states(self) -> int:
        return self.true_model.n_states

    @property
    def n_actions(self) -> int:
        return self.true_model.n_actions

    @property
    def horizon(self) -> int:
        return self.true_model.horizon

    def __len__(self) -> int:
        return len(self.models)

    def __repr__(self) -> str:
        return (f"FiniteModelClass(n_models={self.n_models}, true_index={self.true_index}, "
                f"S={self.n_states}, A={self.n_actions}, H={self.horizon}, "
                f"reward={self.reward!r})")
