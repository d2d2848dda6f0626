"""Online (interactive) episodic learners: agent classes under one protocol and one runner.

* :mod:`rlth.algorithms.online.runner` -- the :class:`OnlineAgent` protocol and
  :func:`run_online` (exact pseudo-regret from the true model);
* :mod:`rlth.algorithms.online.ucbvi` -- UCBVI with Hoeffding / Bernstein bonuses (Azar et al.
  2017, Algorithm 1);
* :mod:`rlth.algorithms.online.stepmix` -- StepMix, EpsMix and the Switch ablation (Li et al.
  2023), conservative exploration against a baseline policy.

The numba episode loop (``_kernels``) is private to this setting.
"""
