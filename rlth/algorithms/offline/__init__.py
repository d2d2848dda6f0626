"""Offline (batch) learners: functions from a dataset to a policy or a frozen ``*Result``.

* :mod:`rlth.algorithms.offline.lcb` -- LCB for bandits and contextual bandits, VI-LCB for
  discounted MDPs (Rashidinejad et al. 2021, Algorithms 1-3);
* :mod:`rlth.algorithms.offline.baselines` -- greedy, optimistic, most-played, behaviour cloning
  and plain (non-pessimistic) model-based planning, for comparison.
"""
