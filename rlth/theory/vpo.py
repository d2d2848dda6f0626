r"""Theorems of Cen, Mei, Goshvadi, Dai, Yang, Yang, Schuurmans, Chi, Dai (2025),
"Value-Incentivized Preference Optimization: A Unified Approach to Online and Offline RLHF"
(ICLR 2025, arXiv 2405.19320), as data, on the linear dueling bandit of
:mod:`rlth.instances.dueling`.

Provenance.  The paper's body could not be read here (``shared/theory/vpo_glow_v2.md`` II.0):
its abstract is [V] ("regret (online) and sub-optimality (offline) rates matching their standard
RL counterparts", linear rewards: V3 via the reviews); the *shape* of the bounds registered below
(:math:`\tilde O(\sqrt T)` regret, :math:`\tilde O(N^{-1/2})` sub-optimality times a coverage
coefficient, with high probability) is [R], with no constant, so only slopes are checked; the
exact identities and comparative statics are [D] (derived here, tested to round-off), checked as
"holds in every run" fractions.

Quantities: the KL-regularized regret :math:`\sum_{t\le T} J(r^*,\pi^*) - J(r^*,\pi_t)` and
sub-optimality :math:`J(r^*,\pi^*) - J(r^*,\hat\pi)`, exact from the model
(:mod:`rlth.solvers.preference`).

Closed form used by the experiments: :func:`coverage_coefficient`.
"""
from __future__ import annotations

import numpy as np

from .._validation import as_float_array, check_distribution, check_instance
from ..models.bandits import LinearDuelingBandit
from ..solvers.preference import kl_optimal_policy
from . import Theorem, register

__all__ = ["coverage_coefficient", "duel_design"]

PAPER = "Cen, Mei, Goshvadi, Dai, Yang, Yang, Schuurmans, Chi, Dai (2025)"
ARXIV = "2405.19320"
DELTA = 0.1     # failure probability of the [R] high-probability statements (not the paper's)


def duel_design(model: LinearDuelingBandit, pi1, pi2) -> np.ndarray:
    r"""Per-duel design :math:`\Sigma = \mathbb E[(\phi(x,y_1) - \phi(x,y_2))(\cdot)^\top]`,
    :math:`x\sim\rho`, :math:`y_1\sim\pi_1`, :math:`y_2\sim\pi_2`, shape (d, d) (exact)."""
    model = check_instance("model", model, LinearDuelingBandit)
    p1 = as_float_array("pi1", pi1, shape=(model.n_contexts, model.n_responses))
    p2 = as_float_array("pi2", pi2, shape=(model.n_contexts, model.n_responses))
    check_distribution("pi1", p1)
    check_distribution("pi2", p2)
    phi = model.phi
    z = phi[:, :, None, :] - phi[:, None, :, :]                    # (X, Y, Y, d)
    w = model.context_probs[:, None, None] * p1[:, :, None] * p2[:, None, :]
    return np.einsum("xab,xabd,xabe->de", w, z, z)


def coverage_coefficient(model: LinearDuelingBandit, pi1, pi2, pi_cal=None) -> float:
    r"""Coverage of :math:`\pi^*` relative to the calibration policy by the duel law
    [R: the form of Zhu, Jordan, Jiao 2023's :math:`\|\mathbb E_{\pi^*}\phi - v\|_{\Sigma^{-1}}`;
    VPO's own coefficient is unverified]:

    .. math:: C = v^\top\Sigma^{-1}v, \qquad v = \mathbb E_\rho[\mathbb E_{\pi^*}\phi -
              \mathbb E_{\pi_{\mathrm{cal}}}\phi],

    with :math:`\Sigma` = :func:`duel_design` (``inf`` if :math:`v` leaves its range).
    ``pi_cal`` defaults to :math:`\pi_{\mathrm{ref}}`.
    """
    model = check_instance("model", model, LinearDuelingBandit)
    cal = model.pi_ref if pi_cal is None else as_float_array(
        "pi_cal", pi_cal, shape=(model.n_contexts, model.n_responses))
    star = kl_optimal_policy(model)
    v = model.context_probs @ np.einsum("xy,xyd->xd", star - cal, model.phi)
    S = duel_design(model, pi1, pi2)
    ev, V = np.linalg.eigh(S)
    tol = 1e-12 * max(float(ev[-1]), 1e-300)
    c = V.T @ v
    if np.any((ev <= tol) & (np.abs(c) > 1e-10 * max(1.0, float(np.linalg.norm(v))))):
        return float("inf")
    keep = ev > tol
    return float(np.sum(c[keep] ** 2 / ev[keep]))


def _one(x, **_):
    return 1.0


REGRET = "cumulative KL-regularized regret sum_{t<=T} J(r*,pi*) - J(r*,pi_t) (exact)"
SUBOPT = "KL-regularized sub-optimality J(r*,pi*) - J(r*,pi_hat) of the output policy (exact)"

register(Theorem(
    id="vpo.online.regret", paper=PAPER, arxiv=ARXIV,
    number="online regret theorem [R number and statement]",
    statement="online VPO (optimism, linear reward, ||theta|| <= B): Regret(T) = O~(sqrt(T)) "
              "w.p. >= 1 - delta (shape only; constants, kappa and d-dependence unverified)",
    quantity=REGRET, sweep_variable="T", kind="upper", exponent=0.5,
    regime="every T (the bound is a worst-case upper bound; at fixed beta > 0 slopes may be "
           "flatter, log-like)",
    tolerance=0.1, provenance="[V] abstract (rate matching RL counterparts); [R] statement",
    statistic="quantile", delta=DELTA,
    notes="alpha_t = c sqrt(t/d) [R]; sampling protocol (pi_t, pi_cal) [R]; the 0.9-quantile "
          "over runs is fitted (the theorem is read as high-probability [R])"))

register(Theorem(
    id="vpo.offline.subopt", paper=PAPER, arxiv=ARXIV,
    number="offline sub-optimality theorem [R number and statement]",
    statement="offline VPO (pessimism): J(r*,pi*) - J(r*,pi_hat) = O~(sqrt(C / N)) w.p. >= "
              "1 - delta, C a coverage coefficient of pi* (relative to pi_cal) under the data "
              "(shape only)",
    quantity=SUBOPT, sweep_variable="N", kind="upper", exponent=-0.5,
    regime="C < inf (pi* - pi_cal covered by the duel design)",
    tolerance=0.1, provenance="[V] abstract; [R] statement and coefficient",
    statistic="quantile", delta=DELTA,
    notes="alpha = c sqrt(N/d) [R]; at fixed beta the KL-regularized sub-optimality is "
          "quadratic in the estimation error, so slopes near -1 are expected [D]"))

register(Theorem(
    id="vpo.online.statics", paper=PAPER, arxiv=ARXIV,
    number="comparative statics of the value-regularized MLE [D]",
    statement="at global minimizers of l - alpha V_cal, V_cal(theta_alpha) is nondecreasing "
              "in alpha: (a2 - a1)(V2 - V1) >= -(eps1 + eps2) for eps-minimizers",
    quantity="1 if every pair of an alpha grid satisfies the eps-corrected inequality, with "
             "eps the branch-and-bound certified gaps, else 0",
    sweep_variable="N", kind="lower", exponent=None, bound=_one, statistic="fraction",
    provenance="[D] (adding the two optimality inequalities)",
    notes="must hold in every run; the certified gaps make the check honest about the "
          "nonconvex solver"))

register(Theorem(
    id="vpo.offline.statics", paper=PAPER, arxiv=ARXIV,
    number="comparative statics of the value-regularized MLE [D]",
    statement="at minimizers of l + alpha V_cal, V_cal(theta_alpha) is nonincreasing in alpha",
    quantity="1 if every pair of an alpha grid satisfies it (up to the certified Newton "
             "decrements), else 0",
    sweep_variable="N", kind="lower", exponent=None, bound=_one, statistic="fraction",
    provenance="[D]", notes="convex problem solved to 1e-10 with a certificate"))

register(Theorem(
    id="vpo.dpo.alpha0", paper=PAPER, arxiv=ARXIV,
    number="alpha = 0 reduces to DPO [V3 reviews; D]",
    statement="VPO with alpha = 0 returns DPO's optimum; for two responses per context its "
              "closed form pi(y1)/pi(y2) = pi_ref(y1)/pi_ref(y2) (W12/W21)^(1/beta)",
    quantity="1 if |log-ratio(VPO, alpha=0) - closed form| <= 1e-8 in every context, else 0",
    sweep_variable="N", kind="lower", exponent=None, bound=_one, statistic="fraction",
    provenance="[D] (Rafailov et al. 2023's reparametrization)"))

register(Theorem(
    id="vpo.offline.chosen_nll", paper=PAPER, arxiv=ARXIV,
    number="policy form, offline, chosen-response calibration [V3 reviews; D]",
    statement="offline VPO with pi_cal = empirical chosen responses = DPO + alpha beta "
              "mean-NLL(chosen) + const",
    quantity="1 if reward-form objective minus (DPO + alpha beta NLL) is constant over random "
             "theta (to 1e-9 relative), else 0",
    sweep_variable="N", kind="lower", exponent=None, bound=_one, statistic="fraction",
    provenance="[D]"))

register(Theorem(
    id="vpo.policy.identity", paper=PAPER, arxiv=ARXIV,
    number="policy form = reward form [V abstract: implicit reward; D: the identity]",
    statement="l(theta) - sign alpha V_cal(theta) = l_DPO(pi_theta) + sign alpha beta "
              "E_q log(pi_theta/pi_ref) for every theta",
    quantity="1 if the two objectives agree to 1e-9 relative at random theta, else 0",
    sweep_variable="N", kind="lower", exponent=None, bound=_one, statistic="fraction",
    provenance="[D]"))
