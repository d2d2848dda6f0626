"""Online (interactive) episodic learners: agent classes under one protocol and one runner.

* :mod:`rlth.algorithms.online.runner` -- the
  :class:`~rlth.algorithms.online.runner.OnlineAgent` protocol and
  :func:`~rlth.algorithms.online.runner.run_online` (exact pseudo-regret from the true model);
* :mod:`rlth.algorithms.online.ucbvi` -- UCBVI with Hoeffding / Bernstein bonuses (Azar et al.
  2017, Algorithm 1);
* :mod:`rlth.algorithms.online.stepmix` -- StepMix, EpsMix and the Switch ablation (Li et al.
  2023), conservative exploration against a baseline policy (two evaluation modes:
  ``"pessimistic"`` and the smooth ``"advantage"`` [D]);
* :mod:`rlth.algorithms.online.learned_baseline` -- the baseline learned from offline episodes
  of a status-quo policy, with the data-checkable size condition and a proven sufficient size
  [D].

The numba episode loop and the agents' optimistic / pessimistic backups (``_kernels``) are
shared by the families of this setting only; the exact DP on the true model and the one-episode
rollout they call live in :mod:`rlth._kernels` (``dp``, ``sampling``), shared across rooms.
"""
