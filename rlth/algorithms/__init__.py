"""Provable algorithms, grouped by setting; each module cites its paper and equations.

* :mod:`rlth.algorithms.offline` -- batch learners on a fixed dataset: LCB / VI-LCB
  (Rashidinejad et al. 2021) and their baselines;
* :mod:`rlth.algorithms.online` -- interactive episodic learners on one runner: UCBVI (Azar et
  al. 2017), StepMix / EpsMix (Li et al. 2023);
* :mod:`rlth.algorithms.preference` -- learning from preferences: Nash-MD (Munos et al. 2023)
  and the competing dynamics.

API rule (``docs/contributing/family_contract.md``): a batch learner is a function returning a
frozen ``*Result`` (or the policy it outputs); an interactive learner is an agent class under the
:class:`rlth.algorithms.online.runner.OnlineAgent` protocol, driven by a runner.  Shared code
lives in :mod:`rlth.estimators`, :mod:`rlth._kernels` or a setting's own ``_kernels`` (e.g.
:mod:`rlth.algorithms.online._kernels`, shared by that setting's families), never in another
family's private names.  Submodules are imported on demand (each compiles its own numba kernels).
"""
