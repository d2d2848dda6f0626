"""Learning from preferences.

* :mod:`rlth.algorithms.preference.nash_md` -- Nash-MD (Munos et al. 2023, eqs. 3-5, Theorem 1);
* :mod:`rlth.algorithms.preference.dynamics` -- OMD / INPO, MMD, extragradient, MWU self-play,
  soft best-response iteration and fictitious play, on the same engine.
"""
