"""Textbook reference implementations: plain numpy, a few lines each, next to the paper's pseudocode.

They are slow on purpose and import nothing of rlth, so a reader can check them line by line
against the textbook or paper; the tests use them as independent oracles for the fast Numba
kernels, and the tutorials show them beside the kernels.
"""
from .dp import backward_induction, policy_evaluation, policy_iteration, value_iteration
from .exact import solve_rational
from .offline import lcb, pevi, ridge_lsvi, vi_lcb
from .online import ucbvi_episode
from .preference import nash_md_step

__all__ = ["backward_induction", "policy_evaluation", "value_iteration", "policy_iteration",
           "lcb", "vi_lcb", "ridge_lsvi", "pevi", "ucbvi_episode", "nash_md_step",
           "solve_rational"]
