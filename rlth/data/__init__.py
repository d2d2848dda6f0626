"""Sampling: offline datasets (sufficient statistics or raw trajectories) and episodes.

* :mod:`rlth.data.offline` -- i.i.d. offline data drawn directly as sufficient statistics
  (multinomial counts, binomial / Gaussian reward sums, multinomial next-state counts): cost
  independent of the dataset size N, exactly the law of the counted full sample.
* :mod:`rlth.data.episodes` -- episodes of a finite-horizon MDP (numba, alias tables, step-major).
* :mod:`rlth.data.datasets` -- the validated, read-only containers.
* ``build_alias`` / ``alias_draw`` (re-exported from :mod:`rlth._kernels.sampling`, the one home of
  the categorical draws) for other numba code.
"""
from .._kernels.sampling import alias_draw, build_alias
from .datasets import (BanditDataset, ContextualDataset, SparseTransitionDataset, TrajectoryDataset,
                       TransitionDataset)
from .offline import (TRANSITION_REWARD_KINDS, sample_bandit_dataset, sample_contextual_dataset,
                      sample_trajectory_dataset, sample_trajectory_folds,
                      sample_transition_dataset, sample_transition_folds)
from .episodes import clear_alias_cache, rollout

__all__ = [
    "BanditDataset", "ContextualDataset", "TransitionDataset", "TrajectoryDataset",
    "SparseTransitionDataset",
    "sample_bandit_dataset", "sample_contextual_dataset", "sample_transition_dataset",
    "sample_transition_folds", "sample_trajectory_dataset", "sample_trajectory_folds",
    "TRANSITION_REWARD_KINDS", "rollout", "clear_alias_cache",
    "build_alias", "alias_draw",
]
