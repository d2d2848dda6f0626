"""Instances, named by setting, not by paper: every builder returns a model of :mod:`rlth.models`.

* :mod:`rlth.instances.random` -- seeded generators: Dirichlet / Garnet MDPs, matrix and Markov
  games, linear MDPs;
* :mod:`rlth.instances.classic` -- textbook instances with known answers: RiverSwim, chain,
  gridworld, rock-paper-scissors, Puterman's two-state MDP;
* :mod:`rlth.instances.offline_pessimism` -- N-dependent hard instances for offline pessimism
  (the LCB / VI-LCB lower-bound constructions);
* :mod:`rlth.instances.episodic_minimax` -- K-dependent hard families for episodic exploration
  (gap chain, trap-free two-point chain, non-stationary needle family);
* :mod:`rlth.instances.preference` -- preference games: tournaments, dice, rankings,
  Bradley-Terry and linear preferences, reference policies.

Closed forms computed *on* an instance (error probabilities, exact values, equilibria) are
theory and live in :mod:`rlth.theory`; instances import only :mod:`rlth.models`.
The random and classic builders are re-exported here.
"""
from .classic import chain, gridworld, puterman_two_state, riverswim, rock_paper_scissors
from .random import (random_linear_mdp, random_markov_game, random_matrix_game, random_mdp,
                     random_transitions, sparse_garnet_rows)

__all__ = ["random_transitions", "random_mdp", "sparse_garnet_rows", "random_matrix_game", "random_markov_game",
           "random_linear_mdp", "riverswim", "chain", "gridworld", "rock_paper_scissors",
           "puterman_two_state"]
