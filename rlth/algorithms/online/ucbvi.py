r"""UCBVI (Azar, Osband, Munos 2017): optimistic value iteration with Hoeffding or Bernstein bonus.

Episode :math:`k` (``n`` = visits of :math:`(s, a)` before the episode, ``P_hat`` the empirical
kernel, rewards known, :math:`L = \ln(5 S A T / \delta)`, :math:`T = K H`):

.. math::
    Q_{k,h}(s,a) = \min\{Q_{k-1,h}(s,a),\; H,\; r_h(s,a) + \hat P V_{k,h+1}(s,a) + b_{k,h}(s,a)\}
    \quad (n > 0), \qquad Q_{k,h}(s,a) = H \quad (n = 0),

:math:`V_{k,h}(s) = \max_a Q_{k,h}(s,a)`, and the agent plays the greedy policy (ties -> lowest
action index).  Bonuses:

* CH (Chernoff-Hoeffding, "bonus_1"): :math:`b = 7 H L \sqrt{1/n}`;
* BF (Bernstein-Freedman, "bonus_2"):
  :math:`b = \sqrt{8 L\, \mathrm{Var}_{\hat P}(V_{k,h+1}) / n} + 14 H L / (3 n)
  + \sqrt{8 \sum_y \hat P(y|s,a) \min\{100^2 H^3 S^2 A L^2 / N'_{k,h+1}(y),\, H^2\} / n}`,
  with :math:`N'_{k,h+1}(y)` the visits of state ``y`` at step ``h+1``.

Fidelity
--------
* [V3] bonus constants 7 (CH); 8, 14/3, 100^2, H^2 (BF); L = ln(5 S A T / delta); the
  ``min`` with the previous episode's Q and with H; known rewards.  Checked against a
  third-party line-by-line implementation of the paper's Algorithms 1-4 (the paper's PDF
  itself was not reachable from this project's search tool).
* [D] ``clip="remaining"`` (default) caps ``Q_h`` at the remaining horizon ``H - h`` instead of
  the paper's ``H`` (``clip="H"``); see the parameter.
* [R] BF's third term is set to 0 at the last step (there is no step ``H + 1`` count; the
  next value is identically 0 there).
* [D] Stage-dependent models: Azar et al. assume stationary transitions and pool counts over
  steps; ``pooled=None`` does exactly that for a stationary model and keeps one empirical
  kernel per step for a stage-dependent one (the regret then scales as sqrt(H^3 S A K)).
* ``bonus_scale`` (default 1 = paper) multiplies the bonus: the paper's constants put
  the bonus above ``H`` (no information) until ``n > (7 L)^2`` visits, which exceeds the
  simulable K on most instances; scaled runs say so in their figures.

References
----------
M. G. Azar, I. Osband, R. Munos, "Minimax Regret Bounds for Reinforcement Learning", ICML 2017,
arXiv:1703.05449: Algorithm 1 (UCBVI), Algorithm 2 (UCB-Q-values), Algorithms 3-4 (bonus_1,
bonus_2).

Guarantee
---------
Theorem 1 (CH): with probability >= 1 - delta, Regret(K) = O~(H sqrt(S A T) + H^2 S^2 A);
Theorem 2 (BF): O~(sqrt(H S A T) + H^2 S^2 A + H sqrt(T)) (stationary transitions, T = K H).
Registered as ``ucbvi.ch.regret`` / ``ucbvi.bf.regret`` in :mod:`rlth.theory.stepmix`.
"""
from __future__ import annotations

import numpy as np

from ..._validation import check_delta, check_instance, check_positive_float, check_positive_int
from ...estimators.confidence import ucbvi_log_term
from ...models.mdp import FiniteHorizonMDP
from . import _kernels as _k
from .runner import Proposal

__all__ = ["UCBVI", "ucbvi_log_term"]

_BONUS = {"ch": _k.BONUS_CH, "bf": _k.BONUS_BF}


class UCBVI:
    """UCBVI agent (unconstrained optimistic base of StepMix / EpsMix).

    Parameters
    ----------
    bonus : {"ch", "bf"}
        Chernoff-Hoeffding (``bonus_1``) or Bernstein-Freedman (``bonus_2``) bonus.
    delta : float
        Confidence level of the optimism event (paper's ``delta``).
    bonus_scale : float
        Multiplies the bonus; 1 is the paper ([V3] constants), anything else is a named
        scaled mode.
    pooled : bool or None
        Pool transition counts over steps (the paper's stationary setting).  ``None``: pool
        iff the MDP is stationary.
    clip : {"remaining", "H"}
        Cap of the optimistic Q at step ``h`` (0-based): ``H - h`` (default, [D]) or the
        paper's ``H`` ([V3]).  Both are upper bounds on ``Q*_h``, so optimism is unchanged;
        with ``H`` and the deterministic lowest-index tie-break, saturated values
        (``Q = H`` for every action) stop exploration on long-horizon instances.

    Attributes
    ----------
    threshold : None
        UCBVI has no constraint (the runner can score it against another agent's threshold).

    Examples
    --------
    >>> from rlth.instances import riverswim
    >>> from rlth.algorithms.online.runner import run_online
    >>> r = run_online(riverswim(4, horizon=5), UCBVI(bonus_scale=0.1), 100, rng=1)
    >>> bool((r.optimistic_values >= r.optimal_value - 1e-12).all())
    True
    """

    threshold = None
    _algo = _k.ALGO_UCBVI

    def __init__(self, bonus: str = "ch", delta: float = 0.1, bonus_scale: float = 1.0,
                 pooled: bool | None = None, clip: str = "remaining"):
        if bonus not in _BONUS:
            raise ValueError(f"bonus: expected 'ch' or 'bf', got {bonus!r}")
        self.bonus = bonus
        self.delta = check_delta(delta)
        self.bonus_scale = check_positive_float("bonus_scale", bonus_scale, allow_zero=True)
        if pooled not in (None, True, False):
            raise ValueError(f"pooled: expected None, True or False, got {pooled!r}")
        self.pooled = pooled
        if clip not in ("H", "remaining"):
            raise ValueError(f"clip: expected 'H' or 'remaining', got {clip!r}")
        self.clip = clip
        self._mdp = None

    # ------------------------------------------------------------------ state
    def reset(self, mdp: FiniteHorizonMDP, n_episodes: int) -> None:
        check_instance("mdp", mdp, FiniteHorizonMDP)
        R = mdp.R_stages
        if R.size and (R.min() < 0.0 or R.max() > 1.0):
            raise ValueError(f"mdp: {type(self).__name__} needs mean rewards in [0, 1] (its "
                             f"initial optimism Q = H, bonuses and clipping assume it), got range "
                             f"[{R.min():.6g}, {R.max():.6g}] (declared reward_range "
                             f"{mdp.reward_range}); rescale the rewards to [0, 1]")
        n_episodes = check_positive_int("n_episodes", n_episodes)
        S, A, H = mdp.n_states, mdp.n_actions, mdp.horizon
        pooled = mdp.is_stationary if self.pooled is None else self.pooled
        Hc = 1 if pooled else H
        self._mdp = mdp
        self._K = int(n_episodes)
        self._R = mdp.R_stages  # known mean rewards [V3]
        self._rho = mdp.rho
        self.n_sa = np.zeros((Hc, S, A), dtype=np.int64)
        self.n_sas = np.zeros((Hc, S, A, S), dtype=np.int64)
        self.n_hs = np.zeros((H + 1, S), dtype=np.int64)
        self.Q = np.full((H, S, A), float(H))
        self.L = ucbvi_log_term(S, A, self._K, H, self.delta)
        self._Vbar = np.zeros((H + 1, S))
        self._pibar = np.zeros((H, S), dtype=np.int64)

    def _optimistic(self):
        """One UCB-Q-values pass: updates ``self.Q``, returns (Vbar[H+1,S], pibar[H,S])."""
        H = self._mdp.horizon
        _k.optimistic_q(self._R, self.n_sa, self.n_sas, self.n_hs, self.Q, H,
                        _BONUS[self.bonus], self.bonus_scale, self.L, self._Vbar, self._pibar,
                        self.clip == "remaining")
        return self._Vbar, self._pibar

    def optimistic_policy(self) -> np.ndarray:
        """Greedy optimistic policy as one-hot ``[H, S, A]`` (runs one optimistic DP pass)."""
        _, pibar = self._optimistic()
        return _onehot(pibar, self._mdp.n_actions)

    # ------------------------------------------------------------------ protocol
    def propose(self, k: int) -> Proposal:
        Vbar, pibar = self._optimistic()
        v_opt = 0.0
        for r, v in zip(self._rho, Vbar[0]):     # same summation order as the compiled loop
            v_opt += float(r) * float(v)
        return Proposal(policies=(_onehot(pibar, self._mdp.n_actions),), probs=np.ones(1),
                        weight=1.0, optimistic_value=v_opt)

    def observe(self, states, actions) -> None:
        _k.record_episode(np.asarray(states, dtype=np.int64),
                          np.asarray(actions, dtype=np.int64), self._mdp.horizon,
                          self.n_sa, self.n_sas, self.n_hs)

    # ------------------------------------------------------------------ compiled loop
    def _baseline_for_kernel(self):
        S, A, H = self._mdp.n_states, self._mdp.n_actions, self._mdp.horizon
        return np.full((H, S, A), 1.0 / A), 0.0, -np.inf

    def _kernel_args(self):
        pi_b, v_b, thr = self._baseline_for_kernel()
        return (self._algo, _BONUS[self.bonus], self.bonus_scale, self.L,
                self.clip == "remaining", getattr(self, "_w_conf", 0.0),
                getattr(self, "pess_scale", 1.0), pi_b, v_b, thr, getattr(self, "n_grid", 16),
                getattr(self, "n_bisect", 30), self._v_couple(), self.n_sa, self.n_sas,
                self.n_hs, self.Q)

    def _v_couple(self) -> float:
        return 0.0

    def _after_kernel(self) -> None:
        """Hook run after the compiled loop (statistics were updated in place)."""

    def __repr__(self) -> str:
        return (f"UCBVI(bonus={self.bonus!r}, delta={self.delta}, "
                f"bonus_scale={self.bonus_scale}, clip={self.clip!r})")


def _onehot(pibar: np.ndarray, n_actions: int) -> np.ndarray:
    out = np.zeros(pibar.shape + (n_actions,))
    np.put_along_axis(out, pibar[..., None], 1.0, axis=-1)
    return out
