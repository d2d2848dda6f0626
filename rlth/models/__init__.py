"""Exact problem definitions: frozen dataclasses over validated float64 arrays."""
from .bandits import ContextualBandit, MultiArmedBandit
from .games import MarkovGame, MatrixGame
from .linear import LinearMDP
from .mdp import DiscountedMDP, FiniteHorizonMDP
from .policy import as_stochastic_policy
from .preference import PreferenceGame
from .sparse import (SparseDiscountedMDP, SparseFiniteHorizonMDP, is_sparse_mdp,
                     sparse_mdp_from_function, sparse_mdp_from_table, to_sparse)

__all__ = ["MultiArmedBandit", "ContextualBandit", "FiniteHorizonMDP", "DiscountedMDP",
           "LinearMDP", "MatrixGame", "MarkovGame", "PreferenceGame", "as_stochastic_policy",
           "SparseFiniteHorizonMDP", "SparseDiscountedMDP", "sparse_mdp_from_function",
           "sparse_mdp_from_table", "to_sparse", "is_sparse_mdp"]
