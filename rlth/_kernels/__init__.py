"""Private numba primitives shared by several families (one home for each; not public API).

Everything here assumes validated input: the public functions of :mod:`rlth.solvers`,
:mod:`rlth.data` and :mod:`rlth.algorithms` validate once and then call these.

:mod:`rlth._kernels.dp` -- exact dynamic programming on a tabular finite-horizon model
    (``P_stages[Hp, S, A, S]``, ``R_stages[Hr, S, A]``, ``Hp, Hr`` in ``{1, H}``):

    * ``backward_induction_kernel``, ``plain_stages_until_repeat``, ``verify_block_kernel``,
      ``max_argmax_kernel``, ``evaluate_finite_kernel``, ``fh_residual_kernel`` -- the fused
      stage backups behind :mod:`rlth.solvers.dp` (write ``V``, ``Q``, ``pi`` in place);
    * ``backward_values_kernel(P, R, H, maximize)`` -- value-only max or min backward
      induction, ``V[H+1, S]`` and ``pi[H, S]`` (ties to the lowest index);
    * ``policy_value_kernel(P, R, H, pi, rho)`` -- value-only exact evaluation
      ``rho @ V^pi_0`` of a stochastic ``pi[H, S, A]`` (the online family's ground truth);
    * ``bellman_sweep``, ``value_iteration_kernel`` -- discounted value iteration.

:mod:`rlth._kernels.sampling` -- categorical draws from one uniform each:

    * ``inverse_cdf_draw(row, u)`` -- linear scan of the CDF (zero-probability tail skipped);
    * ``build_alias`` / ``alias_draw`` -- Walker's alias method (Vose's construction), O(1)
      draws (re-exported by :mod:`rlth.data`);
    * ``rollout_episode`` -- one episode of a Markov policy, inverse-CDF draws in a fixed order
      (the online runner's environment; :mod:`rlth.data.episodes` simulates many episodes
      step-major with alias tables instead, a different draw order).

:mod:`rlth._kernels.softmax` -- masked softmax over a support:

    * ``masked_log_softmax_inplace(l, mask)`` (numba, one row, in place) -- the preference
      dynamics kernel;
    * ``masked_softmax(z, mask)`` (numpy, rows) -- soft best responses, MMD, numpy references.

Numerics: DP kernels use ``fastmath={'reassoc', 'contract'}`` (never ``fastmath=True``: it
breaks the inf/NaN semantics pessimistic code relies on); sampling and softmax use strict
floating point, so a seed gives the same draws with and without ``NUMBA_DISABLE_JIT``.
"""
