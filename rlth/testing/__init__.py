"""Public hypothesis strategies and assertion helpers for property-testing RL solvers.

Submodules: :mod:`rlth.testing.mdp` (stochastic matrices, MDPs, policies),
:mod:`rlth.testing.games` (payoff matrices, Markov games), :mod:`rlth.testing.preference`
(preference matrices).  Import the submodule you need
(``from rlth.testing.mdp import finite_horizon_mdps``); they need hypothesis, a test extra, so
nothing is imported here.

The assertion helpers (``assert_bellman_optimal``, ``assert_policy_value``,
``assert_equilibrium``, ``assert_regularized_nash``, ...) take a solver's answer as it comes: an
rlth result object, a plain array (a value array ``V`` for the MDP helpers, a policy for
``assert_regularized_nash``), a tuple such as ``(V, Q, pi)`` or a dict; a failed assertion says
which form it got, and a shape that fits no form is a ``ValueError`` naming the argument and the
expected shapes.
"""
