r"""Nash-MD (Munos et al. 2023): the last-iterate rate of Theorem 1 and what it implies.

Registered theorems
-------------------
``nash_md.exact.upper``
    Theorem 1 [V]: exact feedback, :math:`\eta_t = 2/(\tau(t+2))`:
    :math:`\mathrm{KL}(\pi^*_\tau,\pi_T) \le 8/(\tau^2(T+1))` for every T.
``nash_md.exact.observed``
    [D] The exact run converges at :math:`T^{-2}`, faster than the bound's :math:`T^{-1}`.
    Derivation: near :math:`\pi^*_\tau` the logit error obeys
    :math:`e_{t+1} = (1-\eta_t\tau)(I + O(\eta_t))e_t + O(\eta_t^2)` (the per-step bias of a
    step of size :math:`\eta` is :math:`O(\eta^2)` in logits, see ``constant_step``), and with
    :math:`1-\eta_t\tau = t/(t+2)` this sums to :math:`e_T = O(1/T)`; KL is quadratic in the
    logit error, so :math:`O(T^{-2})`.  The :math:`2\eta_t^2` of the theorem is a worst-case
    bound on a term that is in fact quadratic in the error.
``nash_md.sampled.rate``
    [D] One opponent sample per step (unbiased feedback in [0, 1]): the noise does not vanish
    with the error, the :math:`\eta_t^2` term is real, and the mean KL decays at :math:`T^{-1}`.
    Not covered by Theorem 1.
``nash_md.sampled.tau_scaling``
    [D] With sampled feedback the mean KL at fixed T scales as :math:`\tau^{-2}`, the
    bound's dependence.
``nash_md.tau_scaling.upper``
    Theorem 1 read in :math:`1/\tau` at fixed T [V]: the bound grows as :math:`\tau^{-2}`.
``nash_md.constant_step.upper``
    [D] from Theorem 1's one-step inequality with a constant step :math:`\eta`
    (:math:`\eta\tau\le1`): :math:`\mathrm{KL}_T \le (1-\eta\tau)^T\mathrm{KL}_0 + 2\eta/\tau`,
    an :math:`O(\eta)` bias floor (:math:`\pi^*_\tau` is not a fixed point of constant-step
    Nash-MD).  With :math:`\pi_0` uniform, :math:`\mathrm{KL}_0 \le \log n`.
``nash_md.constant_step.bias``
    [D] The floor is in fact :math:`\Theta(\eta^2)`: the fixed point :math:`\pi_\eta` solves
    :math:`\pi_\eta = \mathrm{BR}_\tau(\pi^\mu_\eta)` with :math:`\pi^\mu_\eta` an
    :math:`O(\eta\tau)` perturbation of :math:`\pi_\eta`, so the logit error is :math:`O(\eta)`
    and the KL :math:`O(\eta^2)`.

Closed forms
------------
:func:`linear_preference_equilibrium` -- the regularized equilibrium of
:func:`rlth.instances.preference.linear_preference` (an exact reference for the solvers and
experiments); :func:`nash_md_bound`, :func:`tau_scaling_bound`, :func:`constant_step_bound` --
the registered bounds.

References
----------
R. Munos et al., "Nash Learning from Human Feedback", ICML 2024, arXiv:2312.00886, Theorem 1.
"""
from __future__ import annotations

import math

import numpy as np

from .._kernels.softmax import masked_softmax
from .._validation import as_float_array, check_distribution, check_positive_float
from ..instances.preference import linear_preference_scale, reward_table
from . import Theorem, register

__all__ = ["linear_preference_equilibrium", "nash_md_bound", "tau_scaling_bound",
           "constant_step_bound"]

_PAPER = ("Munos, Valko, Calandriello, Azar, Rowland, Guo, Tang, Geist, Mesnard, Fiegel, Michi, "
          "Selvi, Girgin, Momchev, Bachem, Mankowitz, Precup, Piot (2023)")
_ARXIV = "2312.00886"


def linear_preference_equilibrium(rewards, c: float | None, mu, tau: float) -> np.ndarray:
    r"""Closed-form :math:`\pi^*_\tau \propto \mu\, e^{r/(c\tau)}` of
    :func:`rlth.instances.preference.linear_preference` [D].

    Since :math:`P\pi = 1/2 + (r - \pi^\top r)/c`, the soft best response to any policy is
    :math:`\mu e^{r/(c\tau)}`, which is therefore the regularized equilibrium.
    ``c`` must be the value used to build the game (``None`` means the same default).
    """
    r = reward_table(rewards)
    if r.size == 0:
        raise ValueError(f"rewards: is empty (shape {r.shape})")
    c = linear_preference_scale(r, c)
    tau = check_positive_float("tau", tau)
    mu = as_float_array("mu", mu, ndim=(1, 2))
    if mu.shape[-1] != r.shape[1] or mu.ndim == 2 and mu.shape[0] not in (1, r.shape[0]):
        raise ValueError(f"mu: expected shape ({r.shape[1]},) or {r.shape}, got {mu.shape}")
    check_distribution("mu", mu)
    mu = np.broadcast_to(mu if mu.ndim == 2 else mu[None], r.shape)
    support = mu > 0
    return masked_softmax(np.log(np.where(support, mu, 1.0)) + r / (c * tau), support)


def nash_md_bound(x, tau, **_):
    r"""Theorem 1 at ``x = T``: :math:`8/(\tau^2(T+1))` [V]."""
    return 8.0 / (tau ** 2 * (x + 1.0))


def tau_scaling_bound(x, T, **_):
    r"""Theorem 1 at ``x = 1/tau``, fixed T: :math:`8 x^2/(T+1)` [V]."""
    return 8.0 * x ** 2 / (T + 1.0)


def constant_step_bound(x, tau, T, n_actions, **_):
    r"""At ``x = 1/eta``: :math:`(1-\eta\tau)^T \log n + 2\eta/\tau` [D] (Theorem 1's
    per-step inequality with a constant step; :math:`\pi_0` uniform so
    :math:`\mathrm{KL}_0\le\log n`)."""
    eta = 1.0 / x
    return (1.0 - eta * tau) ** T * math.log(n_actions) + 2.0 * eta / tau


EXACT = register(Theorem(
    id="nash_md.exact.upper",
    statistic="exact",
    paper=_PAPER, arxiv=_ARXIV, number="Theorem 1",
    statement="KL(pi*_tau, pi_T) <= 8 / (tau^2 (T+1)) for every T (exact feedback, "
              "eta_t = 2/(tau(t+2)))",
    quantity="KL_rho(pi*_tau, pi_T) of the last iterate, exact (pi*_tau by Newton to 1e-13)",
    sweep_variable="T", kind="upper", exponent=-1.0,
    regime="every T >= 0; exact preferences P(. > pi^mu_t)",
    bound=nash_md_bound, tolerance=0.1, provenance="[V]",
    notes="deterministic: the curve must lie under the bound at every T (no tolerance); the "
          "measured slope is about -2 (nash_md.exact.observed)",
))

EXACT_OBSERVED = register(Theorem(
    id="nash_md.exact.observed",
    statistic="exact",
    paper=_PAPER + " (rate derived by rlth)", arxiv=_ARXIV, number="Theorem 1 (sharper, [D])",
    statement="exact Nash-MD: KL(pi*_tau, pi_T) = Theta(T^-2), faster than the bound",
    quantity="KL_rho(pi*_tau, pi_T), exact feedback",
    sweep_variable="T", kind="rate", exponent=-2.0,
    regime="asymptotic: T >= 10/tau^2 (before it, a T^-4 transient)",
    bound=None, tolerance=0.1, provenance="[D]",
    notes="logit error O(1/T) because the O(eta_t^2) per-step bias is damped by "
          "prod (1 - eta_s tau) = O(1/T^2); KL is quadratic in the logit error. KL_T ~ A/T^4 + "
          "B/T^2, the A/T^4 transient being the initial logit error damped by prod(1 - eta_s tau) "
          "= 2/((T+1)(T+2)) and amplified by the rotation exp(sum_s eta_s^2 omega^2 / 2), large "
          "for small tau: at tau=0.01 it dominates up to T ~ 1e6 (measured)",
))

SAMPLED = register(Theorem(
    id="nash_md.sampled.rate",
    paper=_PAPER + " (sampled feedback: rlth)", arxiv=_ARXIV, number="beyond Theorem 1 ([D])",
    statement="Nash-MD with one opponent sample y' ~ pi^mu_t per step: E KL(pi*_tau, pi_T) = "
              "Theta(1/T)",
    quantity="mean over seeds of KL_rho(pi*_tau, pi_T), one sample per step and context",
    sweep_variable="T", kind="rate", exponent=-1.0,
    regime="T >> 1/tau", bound=None, tolerance=0.15, provenance="[D]",
    notes="not covered by the paper; the variance of the feedback keeps the 2 eta_t^2 term of "
          "the per-step inequality, so the bound's T^-1 is attained",
))

TAU_SCALING = register(Theorem(
    id="nash_md.tau_scaling.upper",
    paper=_PAPER, arxiv=_ARXIV, number="Theorem 1 (in 1/tau)",
    statement="at fixed T, KL(pi*_tau, pi_T) <= 8 (1/tau)^2 / (T+1)",
    quantity="KL_rho(pi*_tau, pi_T) at fixed T, against 1/tau",
    sweep_variable="1/tau", kind="upper", exponent=2.0,
    regime="fixed T", bound=tau_scaling_bound, tolerance=0.1, provenance="[V]",
    notes="the measured tau-exponent of the constant is reported next to the bound's 2",
))

CONSTANT_STEP = register(Theorem(
    id="nash_md.constant_step.upper",
    statistic="exact",
    paper=_PAPER + " (corollary: rlth)", arxiv=_ARXIV,
    number="Theorem 1, per-step inequality with constant eta ([D])",
    statement="constant step eta, eta*tau <= 1: KL_T <= (1 - eta tau)^T KL_0 + 2 eta / tau",
    quantity="KL_rho(pi*_tau, pi_T) after T = ceil(40/(eta tau)) steps (the plateau)",
    sweep_variable="1/eta", kind="upper", exponent=-1.0,
    regime="T >> 1/(eta tau) (transient gone)", bound=constant_step_bound, tolerance=0.1,
    provenance="[D]",
    notes="O(eta) bias floor: pi*_tau is not a fixed point of constant-step Nash-MD",
))

CONSTANT_STEP_BIAS = register(Theorem(
    id="nash_md.constant_step.bias",
    statistic="exact",
    paper=_PAPER + " (rlth)", arxiv=_ARXIV, number="constant-step fixed point ([D])",
    statement="the constant-step plateau is Theta(eta^2) in KL",
    quantity="KL_rho(pi*_tau, pi_T) at the plateau",
    sweep_variable="1/eta", kind="rate", exponent=-2.0,
    regime="eta tau << 1", bound=None, tolerance=0.1, provenance="[D]",
    notes="the fixed point pi_eta = BR_tau(mixture of pi_eta and mu with weight eta tau) is "
          "O(eta) from pi*_tau in logits",
))

SAMPLED_TAU = register(Theorem(
    id="nash_md.sampled.tau_scaling",
    paper=_PAPER + " (sampled feedback: rlth)", arxiv=_ARXIV, number="beyond Theorem 1 ([D])",
    statement="sampled Nash-MD at fixed T: E KL(pi*_tau, pi_T) = Theta(tau^-2 / T)",
    quantity="mean KL_rho(pi*_tau, pi_T) at fixed T, against 1/tau",
    sweep_variable="1/tau", kind="rate", exponent=2.0,
    regime="T >> 1/tau", bound=None, tolerance=0.15, provenance="[D]",
    notes="in expectation the per-step recursion is E KL_{t+1} ~ (1 - eta_t tau) E KL_t + "
          "c eta_t^2 with c the feedback variance, whose solution is ~ 4c / (tau^2 T): the "
          "bound's tau^-2 is attained with sampled feedback",
))
