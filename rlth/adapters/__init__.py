"""Adapters between rlth's exact models and the outside world.

* :mod:`rlth.adapters.gymnasium` -- ``gymnasium.Env`` views of exact models
  (:class:`~rlth.adapters.gymnasium.MDPEnv`, :class:`~rlth.adapters.gymnasium.ContextualBanditEnv`)
  and the reverse, :func:`~rlth.adapters.gymnasium.model_from_gymnasium`, which reads a toy-text
  environment's transition table into an exact model.  Needs the optional dependency
  ``gymnasium`` (``pip install rlth[gym]``); it is imported only when that module is, never by
  ``import rlth`` nor by this package.
* :mod:`rlth.adapters.pettingzoo` -- :class:`~rlth.adapters.pettingzoo.MarkovGameParallelEnv`, a
  PettingZoo ``ParallelEnv`` over a zero-sum :class:`~rlth.models.games.MarkovGame` (or a matrix
  game as one step): agents ``"max"`` and ``"min"``, rewards ``r`` and ``-r``.  Needs the
  optional dependency ``pettingzoo`` (``pip install rlth[pettingzoo]``), imported only when that
  module is.
* :mod:`rlth.adapters.outside` -- :func:`~rlth.adapters.outside.evaluate_agent`: the exact value,
  the optimal value and the regret of an agent written outside rlth (a callable ``obs -> action``
  or ``obs -> probabilities``, or a policy table), with no sampling; in a zero-sum game, the value
  it guarantees against a best response, its exploitability and the Nash gap of a pair.

Room ``adapters`` of the import rules (docs/contributing/family_contract.md): it imports only
``_rng``, ``_validation``, ``models`` and ``solvers``, and nothing in rlth imports it.
"""
from .outside import AgentEvaluation, evaluate_agent, policy_table

__all__ = ["AgentEvaluation", "evaluate_agent", "policy_table"]
