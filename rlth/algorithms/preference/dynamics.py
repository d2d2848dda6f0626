r"""Baseline dynamics for preference games, next to Nash-MD (:mod:`rlth.algorithms.preference.nash_md`).

All act per context on the logits :math:`l = \log\pi` (exact feedback
:math:`g = \mathcal P(\cdot\succ q) = P_x q` for an opponent :math:`q`; ``feedback="sampled"``
replaces it by the mean over ``n_samples`` draws :math:`y'\sim q`, as for Nash-MD):

:func:`omd`
    :math:`l_{t+1} = (1-\eta\tau) l_t + \eta\tau\log\mu + \eta P\pi_t`:
    KL centre the geometric mixture, opponent :math:`\pi_t` (Munos et al.
    2023, eqs. 7-8, "OMD" [V]; the same update as INPO, Zhang et al. 2025
    [R], and MTPO [R])
:func:`mmd`
    :math:`l_{t+1} = (l_t + \eta\tau\log\mu + \eta P\pi_t)/(1+\eta\tau)`
    (magnetic mirror descent, Sokota et al. 2023 [R]; linear rate for
    :math:`\eta \le \tau`)
:func:`extragradient`
    OMD half step to :math:`\pi_{t+1/2}`, then the OMD step from
    :math:`\pi_t` against :math:`\pi_{t+1/2}` (EGPO, Zhou, Fazel, Du 2025,
    in policy space [C]: its public code; constants of its Table 1 [R])
:func:`mwu_self_play`
    :math:`\tau = 0`: :math:`l_{t+1} = l_t + \eta P\pi_t` (multiplicative
    weights self-play; last iterate and average iterate)
:func:`soft_best_response_iteration`
    :math:`\pi_{t+1} = \mathrm{BR}_\tau(\pi_t)\propto\mu e^{P\pi_t/\tau}`
    (converges on RPS with uniform :math:`\mu` iff :math:`\tau>\sqrt3/6`
    [D]: the Jacobian at the equilibrium has eigenvalues
    :math:`\pm i\sqrt3/(6\tau)`)
:func:`fictitious_play`
    :math:`\bar\pi_{t+1} = \bar\pi_t + (b_t - \bar\pi_t)/(t+2)`, :math:`b_t`
    the best response to :math:`\bar\pi_t` (``tau=0``: a pure best response,
    lowest index on ties; ``tau>0``: the soft best response, i.e. smooth
    fictitious play) [D: textbook]

The numbers :math:`\eta, \tau` are the paper's symbols (TRL: ``beta`` ~ :math:`\tau`; INPO's
implementation uses ``eta`` for :math:`1/\eta`).  None of these is covered by Theorem 1 of
Munos et al.; their behaviour is measured in ``experiments/nash_md.py``.

References
----------
- R. Munos et al., "Nash Learning from Human Feedback", arXiv:2312.00886, eqs. (7)-(8).
- S. Sokota et al., "A Unified Approach to Reinforcement Learning, Quantal Response Equilibria,
  and Two-Player Zero-Sum Games", arXiv:2206.05825.
- R. Zhou, M. Fazel, S. S. Du, "Extragradient Preference Optimization (EGPO)", arXiv:2503.08942.
- Y. Zhang et al., "Iterative Nash Policy Optimization (INPO)", ICLR 2025, arXiv:2407.00617.
- G. W. Brown, "Iterative solution of games by fictitious play", 1951.
"""
from __future__ import annotations

import numpy as np

from ..._validation import check_nonnegative_int, check_positive_float
from ...models.preference import PreferenceGame
from ...solvers.preference import soft_best_response
from .nash_md import (MODE_EG, MODE_MMD, MODE_OMD, MODE_SBR, PreferenceDynamicsResult,
                      _check_feedback, _check_game, _checkpoints, _initial_logits, _run,
                      step_sizes)

__all__ = ["omd", "mmd", "extragradient", "mwu_self_play", "soft_best_response_iteration",
           "fictitious_play"]


def _dynamics(mode, name, game, tau, eta, n_iter, pi0, feedback, n_samples, checkpoints, rng,
              max_weight=1.0, tau_zero=False):
    _check_game(game)
    tau = 0.0 if tau_zero else check_positive_float("tau", tau)
    n_iter = check_nonnegative_int("n_iter", n_iter)
    n_samples = _check_feedback(feedback, n_samples)
    eta = step_sizes(eta if eta is not None else 1.0, max(tau, 1.0) if tau_zero else tau,
                     n_iter, max_weight=None if tau_zero else max_weight)
    if tau_zero:   # the reference plays no role: full support
        game = PreferenceGame(game.pref, np.full(game.mu.shape, 1.0 / game.n_actions),
                              game.context_probs)
    lpi0 = _initial_logits(game, pi0)
    ckpt, out, out_avg = _run(mode, game, tau, eta, lpi0, feedback, n_samples, checkpoints, rng)
    return PreferenceDynamicsResult(checkpoints=ckpt, log_iterates=out, eta=eta, tau=tau,
                                    feedback=feedback, n_samples=n_samples, method=name,
                                    log_averages=out_avg)


def omd(game: PreferenceGame, tau: float, eta, n_iter: int, *, pi0=None, feedback="exact",
        n_samples=1, checkpoints=None, rng=None) -> PreferenceDynamicsResult:
    r"""Online mirror descent against the current policy (OMD / INPO / MTPO update).

    :math:`\log\pi_{t+1} = (1-\eta\tau)\log\pi_t + \eta\tau\log\mu + \eta\,\mathcal P(\cdot\succ
    \pi_t) + c` (Munos et al. 2023, eqs. 7-8 [V]).  Observed: linear convergence for constant
    :math:`\eta\tau` in [0.01, 0.5] on random games; fails for large :math:`\eta/\tau` [D].

    Parameters
    ----------
    game : PreferenceGame
    tau : float > 0
    eta : float, callable or array_like
        Step size(s) (constant by default), :math:`\eta\tau \le 1` where a mixture weight.
    n_iter : int
    pi0 : array_like, optional
        Initial policy (default ``mu``).
    feedback : {"exact", "sampled"}
    n_samples : int
    checkpoints : array_like of int, optional
    rng : Generator, int or SeedSequence (sampled feedback)

    Returns
    -------
    PreferenceDynamicsResult
        With ``log_averages`` (the average iterate) as well.
    """
    return _dynamics(MODE_OMD, "omd", game, tau, eta, n_iter, pi0, feedback, n_samples,
                     checkpoints, rng)


def mmd(game: PreferenceGame, tau: float, eta, n_iter: int, *, pi0=None, feedback="exact",
        n_samples=1, checkpoints=None, rng=None) -> PreferenceDynamicsResult:
    r"""Magnetic mirror descent with magnet :math:`\mu` (Sokota et al. 2023).

    :math:`\log\pi_{t+1} = (\log\pi_t + \eta\tau\log\mu + \eta\,\mathcal P(\cdot\succ\pi_t))/
    (1+\eta\tau) + c`; its fixed point is exactly :math:`\pi^*_\tau`; linear convergence for
    :math:`\eta\le\tau` [R] (the step-size condition of the paper's Theorem 3.4, not re-checked).

    Parameters
    ----------
    game : PreferenceGame
    tau : float > 0
    eta : float, callable or array_like
        Step size(s) (constant by default), :math:`\eta\tau \le 1` where a mixture weight.
    n_iter : int
    pi0 : array_like, optional
        Initial policy (default ``mu``).
    feedback : {"exact", "sampled"}
    n_samples : int
    checkpoints : array_like of int, optional
    rng : Generator, int or SeedSequence (sampled feedback)

    Returns
    -------
    PreferenceDynamicsResult
        With ``log_averages`` (the average iterate) as well.
    """
    return _dynamics(MODE_MMD, "mmd", game, tau, eta, n_iter, pi0, feedback, n_samples,
                     checkpoints, rng, max_weight=None)


def extragradient(game: PreferenceGame, tau: float, eta, n_iter: int, *, pi0=None,
                  feedback="exact", n_samples=1, checkpoints=None,
                  rng=None) -> PreferenceDynamicsResult:
    r"""Extragradient in policy space (EGPO, Zhou, Fazel, Du 2025 [C]).

    :math:`\pi_{t+1/2} \propto \pi_t^{1-\eta\tau}\mu^{\eta\tau}e^{\eta P\pi_t}`,
    :math:`\pi_{t+1} \propto \pi_t^{1-\eta\tau}\mu^{\eta\tau}e^{\eta P\pi_{t+1/2}}`
    (two preference queries per step).  Last-iterate linear convergence to :math:`\pi^*_\tau`
    is claimed by the EGPO paper [R].

    Parameters
    ----------
    game : PreferenceGame
    tau : float > 0
    eta : float, callable or array_like
        Step size(s) (constant by default), :math:`\eta\tau \le 1` where a mixture weight.
    n_iter : int
    pi0 : array_like, optional
        Initial policy (default ``mu``).
    feedback : {"exact", "sampled"}
    n_samples : int
    checkpoints : array_like of int, optional
    rng : Generator, int or SeedSequence (sampled feedback)

    Returns
    -------
    PreferenceDynamicsResult
        With ``log_averages`` (the average iterate) as well.
    """
    return _dynamics(MODE_EG, "extragradient", game, tau, eta, n_iter, pi0, feedback,
                     n_samples, checkpoints, rng)


def mwu_self_play(game: PreferenceGame, eta, n_iter: int, *, pi0=None, feedback="exact",
                  n_samples=1, checkpoints=None, rng=None) -> PreferenceDynamicsResult:
    r"""Multiplicative-weights self-play on the unregularized game (tau = 0).

    :math:`\pi_{t+1}\propto\pi_t e^{\eta P\pi_t}`, the reference ignored (full support; ``pi0``
    defaults to uniform).  On rock-paper-scissors the last iterate spirals towards the boundary
    while the average iterate (``log_averages``) converges to the uniform equilibrium [D].

    Parameters
    ----------
    game : PreferenceGame
    eta : float, callable or array_like
    n_iter : int
    pi0, feedback, n_samples, checkpoints, rng
        As for :func:`omd`.
    """
    return _dynamics(MODE_OMD, "mwu_self_play", game, 0.0, eta, n_iter, pi0, feedback,
                     n_samples, checkpoints, rng, tau_zero=True)


def soft_best_response_iteration(game: PreferenceGame, tau: float, n_iter: int, *, pi0=None,
                                 feedback="exact", n_samples=1, checkpoints=None,
                                 rng=None) -> PreferenceDynamicsResult:
    r"""Iterate the soft best response
    :math:`\pi_{t+1} = \mathrm{BR}_\tau(\pi_t) \propto \mu e^{P\pi_t/\tau}`.

    Its fixed point is :math:`\pi^*_\tau`, but it is stable only for large enough
    :math:`\tau`: on RPS with uniform :math:`\mu` the Jacobian at the (uniform) equilibrium is
    :math:`A/(3\tau)` restricted to the simplex, with eigenvalues :math:`\pm i\sqrt3/(6\tau)`, so
    the iteration converges locally iff :math:`\tau > \sqrt3/6 \approx 0.289` [D].

    Parameters
    ----------
    game : PreferenceGame
    tau : float > 0
    n_iter : int
    pi0, feedback, n_samples, checkpoints, rng
        As for :func:`omd`.
    """
    return _dynamics(MODE_SBR, "soft_best_response", game, tau, 1.0, n_iter, pi0, feedback,
                     n_samples, checkpoints, rng, max_weight=None)


def fictitious_play(game: PreferenceGame, n_iter: int, *, tau: float = 0.0, pi0=None,
                    checkpoints=None) -> PreferenceDynamicsResult:
    r"""Fictitious play (Brown 1951): the belief :math:`\bar\pi` averages best responses.

    :math:`\bar\pi_{t+1} = \bar\pi_t + (b_t - \bar\pi_t)/(t+2)` with :math:`b_t` the best
    response to :math:`\bar\pi_t` (``tau == 0``: pure, lowest index on ties, the reference
    ignored; ``tau > 0``: :math:`\mathrm{BR}_\tau`, smooth fictitious play, whose rest point is
    :math:`\pi^*_\tau`).  Exact feedback; plain numpy.

    Parameters
    ----------
    game : PreferenceGame
    n_iter : int
    tau : float >= 0
    pi0 : array_like, optional
        Initial belief (default ``mu``; uniform when ``tau == 0``).
    checkpoints : array_like of int, optional

    Returns
    -------
    PreferenceDynamicsResult
        ``log_iterates`` holds the belief :math:`\bar\pi_T` (the FP output), ``log_averages``
        the same.
    """
    _check_game(game)
    tau = check_positive_float("tau", tau, allow_zero=True)
    n_iter = check_nonnegative_int("n_iter", n_iter)
    ckpt = _checkpoints(checkpoints, n_iter)
    if tau == 0:
        game = PreferenceGame(game.pref, np.full(game.mu.shape, 1.0 / game.n_actions),
                              game.context_probs)
    belief = game.mu.copy() if pi0 is None else game.check_policy(pi0, "pi0").copy()
    out = np.empty((ckpt.size,) + belief.shape)
    k = 0
    X = game.n_contexts
    for t in range(n_iter + 1):
        while k < ckpt.size and ckpt[k] == t:
            with np.errstate(divide="ignore"):
                out[k] = np.log(belief)
            k += 1
        if t == n_iter:
            break
        if tau == 0:
            g = np.einsum("xab,xb->xa", game.pref, belief)
            b = np.zeros_like(belief)
            b[np.arange(X), np.argmax(g, axis=1)] = 1.0
        else:
            b = soft_best_response(game, belief, tau)
        belief = belief + (b - belief) / (t + 2)
    return PreferenceDynamicsResult(checkpoints=ckpt, log_iterates=out,
                                    eta=1.0 / (np.arange(n_iter) + 2.0), tau=tau,
                                    feedback="exact", n_samples=1, method="fictitious_play",
                                    log_averages=out.copy())
