"""Estimators shared by the algorithm families, each citing the inequality or equation it uses.

Modules
-------
:mod:`rlth.estimators.tabular`
    Validated count tables, empirical means and the empirical (certainty-equivalent) MDP from
    sufficient statistics; the lowest-index row-wise argmax.
:mod:`rlth.estimators.confidence`
    Confidence widths: Hoeffding, empirical Bernstein (Maurer & Pontil 2009), Weissman L1
    (Weissman et al. 2003), elliptical ``beta ||phi||_{Lambda^-1}``; UCBVI's log term and
    numba scalar bonuses for kernels (Azar et al. 2017).
:mod:`rlth.estimators.linear`
    Gram matrices, (variance-weighted) ridge regression and elliptical norms of a linear MDP,
    all from counts.
:mod:`rlth.estimators.preference`
    Bradley-Terry maximum likelihood of a linear reward from pairwise comparison counts
    (Newton's method, with the Hessian for confidence sets).

Imports only ``rlth._validation`` (and numpy / scipy / numba): no algorithm, solver, sweep or
plotting code.
"""
from .confidence import (elliptical_width, empirical_bernstein_width, hoeffding_log_term,
                         hoeffding_width, resolve_delta, ucbvi_bernstein_core,
                         ucbvi_hoeffding_bonus, ucbvi_log_term, weissman_l1_log_term,
                         weissman_l1_width, weissman_width)
from .linear import (RidgeEstimate, elliptical_norms, gram_matrix, ridge_from_counts,
                     target_sums_from_counts)
from .preference import BTEstimate, bt_mle, bt_objective
from .tabular import argmax_rows, check_counts, empirical_mdp, empirical_means

__all__ = [
    # tabular
    "check_counts", "empirical_means", "empirical_mdp", "argmax_rows",
    # confidence
    "resolve_delta", "hoeffding_log_term", "hoeffding_width", "empirical_bernstein_width",
    "weissman_l1_log_term", "weissman_width", "elliptical_width", "ucbvi_log_term",
    "ucbvi_hoeffding_bonus", "ucbvi_bernstein_core", "weissman_l1_width",
    # linear
    "RidgeEstimate", "gram_matrix", "target_sums_from_counts", "ridge_from_counts",
    "elliptical_norms",
    # preference
    "BTEstimate", "bt_objective", "bt_mle",
]
