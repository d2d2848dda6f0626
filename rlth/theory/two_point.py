r"""Exact minimax regret of the symmetrised two-point two-armed Bernoulli bandit.

Setting [D]
-----------
Two arms; one has success probability ``1/2 + g``, the other ``1/2``, and which one is good is
unknown: the *pair* of instances is ``{P+, P-}`` (``P+``: arm 0 good, ``P-``: arm 1 good).  The
regret of a run of ``N`` pulls is ``g x (number of pulls of the worse arm)``; ``R(alg, P)`` is its
expectation.  The minimax regret of the pair is

.. math:: R^*(N, g) = \inf_{alg} \max(R(alg, P_+), R(alg, P_-)).

Minimax = Bayes [D] + [R].  For every algorithm ``max(R(alg, P+), R(alg, P-)) >=
(R(alg, P+) + R(alg, P-)) / 2``, the Bayes regret under the uniform prior, so ``R* >=`` the
Bayes-optimal regret.  By Feldman (1962) [R], for two arms known up to a permutation the *myopic*
posterior rule (pull the arm with the larger posterior probability of being the good one; tie ->
fair coin) is Bayes-optimal for every horizon.  That rule is invariant under swapping the arm
labels, so its regret is the same on both members: its max equals its Bayes regret, which is the
Bayes-optimal regret.  Hence ``R*(N, g)`` = Bayes regret of the myopic rule = its regret on
``P+`` alone; :func:`myopic_regret_samples` simulates it, :func:`myopic_regret_exact` computes it
exactly for small ``N``, and :func:`bayes_optimal_regret_dp` re-derives the Bayes optimum by
dynamic programming over *all* adaptive algorithms without using Feldman's theorem (the tests
check that both agree, i.e. Feldman's theorem numerically).

Posterior statistic.  With ``x = s0 - s1`` (successes of arm 0 minus of arm 1) and ``y = f0 - f1``
(failures), ``log P+(data) / P-(data) = z = x log(1 + 2g) + y log(1 - 2g)``, so arm 0 is favoured
iff ``z > 0``.  Under ``P+``, ``exp(-z_t)`` is a nonnegative martingale (the likelihood ratio
``dP-/dP+`` of the first ``t`` observations).  At ``g = 1/2`` the good arm never fails and
``log(1 - 2g) = -inf``: a failure of the arm that was the good candidate reveals the other arm
(``z = -sign(y) inf`` when ``y != 0``, ``z = x log 2`` when ``y = 0``; the product ``0 x (-inf)`` is
never formed).

Reduction used by the caller [D]
--------------------------------
On rlth's trap-free gap chain (:mod:`rlth.instances.episodic_minimax` with two actions: the next
label is good with probability ``1/2 + g`` under the optimal action and ``1/2`` under the other;
dynamics state-independent, mean rewards known to the agent, and the action at the last step
``h = H - 1`` irrelevant because every action ties there), take the pair of chains that differ by
which action is optimal, with the uniform prior.  At each step ``h <= H - 2`` an action is a pull
of a Bernoulli arm whose outcome is the next label (the next block is uniform and independent of
the action and the member: internal randomness), and ``V* - V^{pi_k} = g E[number of suboptimal
actions at steps h <= H - 2 in episode k]``.  Any episodic agent over ``K`` episodes (a Markov
policy chosen from the past episodes, executed on the observed states) decides each of these
``K (H - 1)`` actions from outcomes already observed, so it is a sequential algorithm for this
bandit with ``N = K (H - 1)`` pulls: a Markov policy can adapt only within the information a fully
sequential algorithm has.  Hence its prior-averaged pseudo-regret is ``>= R*(K (H - 1), g)``, and
so is its max over the two members.

Scale.  At ``N g^2 = c^2`` fixed the information about the good arm does not grow with ``N`` and
``R*(N, c / sqrt(N)) / sqrt(N)`` tends to a constant ``phi(c)`` (checked by the tests); the
explicit lower bound :func:`le_cam_two_point_bound` gives ``phi(c) >= (s - ln(1 + s)) / c`` with
``s = sqrt(1 - exp(-c^2))`` in this limit.

References
----------
Feldman, D. (1962). Contributions to the "two-armed bandit" problem. Ann. Math. Statist. 33(3),
847-856.  [R]: the Bayes-optimality of the myopic rule for two arms known up to a permutation.

Le Cam, L. (1973). Convergence of estimates under dimensionality restrictions. Ann. Statist. 1;
Tsybakov, A. (2009). Introduction to Nonparametric Estimation, Lemma 2.3 (``1 - TV >= BC^2 / 2``)
and Lemma 2.6 (Bretagnolle-Huber).  [R]: the inequalities; their use here is [D].
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from .._rng import as_generator
from .._validation import check_positive_int, check_real

__all__ = [
    "myopic_regret_samples",
    "two_point_minimax_regret",
    "myopic_regret_exact",
    "bayes_optimal_regret_dp",
    "le_cam_two_point_bound",
    "MAX_EXACT_PULLS",
    "MAX_DP_PULLS",
]

#: largest ``n_pulls`` of :func:`myopic_regret_exact` (cost ``O(N^3)``, about 4 s at 500)
MAX_EXACT_PULLS = 500
#: largest ``n_pulls`` of :func:`bayes_optimal_regret_dp` (``C(N + 4, 4)`` states, pure Python)
MAX_DP_PULLS = 60
#: largest ``n_pulls`` of the Monte Carlo (int64 counters)
_MAX_MC_PULLS = 2 ** 62


def _gap(gap) -> float:
    g = check_real("gap", gap)
    if not 0.0 < g <= 0.5:
        raise ValueError(f"gap: must lie in (0, 1/2], got {gap}")
    return g


def _pulls(n_pulls, limit: int) -> int:
    n = check_positive_int("n_pulls", n_pulls)
    if n > limit:
        raise ValueError(f"n_pulls: must be <= {limit} here, got {n}")
    return n


def _log_steps(g: float) -> tuple[float, float]:
    """``(log(1 + 2g), log(1 - 2g))``; the second is ``-inf`` at ``g = 1/2``."""
    b = -math.inf if g >= 0.5 else math.log1p(-2.0 * g)
    return math.log1p(2.0 * g), b


# --------------------------------------------------------------------------------------------
# Monte Carlo of the myopic rule
# --------------------------------------------------------------------------------------------
@njit(cache=True)
def _myopic_kernel(n_pulls, gap, a, b, rng, out):
    """Myopic rule under ``P+`` (arm 0 good); ``out[r] = gap * #pulls of arm 1`` in run ``r``."""
    p0 = 0.5 + gap
    for r in range(out.shape[0]):
        x = 0
        y = 0
        pulls1 = 0
        for _ in range(n_pulls):
            if y == 0:
                z = x * a
            else:
                z = x * a + y * b
            if z > 0.0:
                arm = 0
            elif z < 0.0:
                arm = 1
            elif rng.random() < 0.5:
                arm = 0
            else:
                arm = 1
            u = rng.random()
            if arm == 0:
                if u < p0:
                    x += 1
                else:
                    y += 1
            else:
                pulls1 += 1
                if u < 0.5:
                    x -= 1
                else:
                    y -= 1
        out[r] = gap * pulls1
    return out


def myopic_regret_samples(n_pulls: int, gap: float, n_runs: int, rng=None) -> np.ndarray:
    """Regret of independent runs of the myopic posterior rule on the member "arm 0 good".

    Parameters
    ----------
    n_pulls : int >= 1
        Horizon ``N``.
    gap : float in (0, 1/2]
        ``g``: the good arm succeeds with probability ``1/2 + g``, the other with ``1/2``.
    n_runs : int >= 1
        Number of independent runs.
    rng : Generator, int, SeedSequence or None
        Randomness (:func:`rlth._rng.as_generator`); a Generator is advanced.

    Returns
    -------
    ndarray of shape (n_runs,)
        ``g x (number of pulls of arm 1)`` in each run.  At pull ``t`` the rule pulls arm 0 if
        ``z > 0``, arm 1 if ``z < 0`` and each with probability 1/2 if ``z = 0`` (module
        docstring); one uniform per pull decides the outcome.

    Guarantee
    ---------
    An unbiased sample of the regret of the myopic rule, whose mean is ``R*(n_pulls, gap)``
    (module docstring: Feldman 1962 [R] and the symmetry argument [D]).  The rule is computed
    from the integer counts ``(x, y)`` at every pull (no accumulated round-off) and is exactly
    antisymmetric under ``(x, y) -> (-x, -y)``.  Cost about ``8 ns`` per pull.

    Examples
    --------
    >>> r = myopic_regret_samples(1, 0.1, 4000, rng=0)
    >>> sorted(set(r.tolist()))            # one pull: a fair coin
    [0.0, 0.1]
    >>> bool(abs(r.mean() - 0.05) < 0.005)
    True
    >>> bool(np.array_equal(myopic_regret_samples(50, 0.1, 5, rng=1),
    ...                     myopic_regret_samples(50, 0.1, 5, rng=1)))
    True
    """
    n = _pulls(n_pulls, _MAX_MC_PULLS)
    g = _gap(gap)
    runs = check_positive_int("n_runs", n_runs)
    gen = as_generator(rng)
    a, b = _log_steps(g)
    return _myopic_kernel(n, g, a, b, gen, np.empty(runs))


def two_point_minimax_regret(n_pulls: int, gap: float, *, n_runs: int = 400,
                             rng=None) -> tuple[float, float]:
    """Monte Carlo estimate of the minimax regret ``R*(n_pulls, gap)`` of the two-point pair.

    Parameters
    ----------
    n_pulls : int >= 1
    gap : float in (0, 1/2]
    n_runs : int >= 2
        Number of runs of :func:`myopic_regret_samples`.
    rng : Generator, int, SeedSequence or None

    Returns
    -------
    mean : float
        Mean regret of the runs.
    stderr : float
        Its standard error, ``std(ddof=1) / sqrt(n_runs)``.

    Guarantee
    ---------
    ``mean`` is unbiased for ``R*(n_pulls, gap)`` = inf over algorithms of the max regret over
    the two members = Bayes-optimal regret under the uniform prior (module docstring).

    Examples
    --------
    >>> m, se = two_point_minimax_regret(40, 0.2, n_runs=2000, rng=0)
    >>> bool(abs(m - myopic_regret_exact(40, 0.2)) < 5 * se)
    True
    """
    runs = check_positive_int("n_runs", n_runs)
    if runs < 2:
        raise ValueError(f"n_runs: must be >= 2 (a standard error needs two runs), got {runs}")
    r = myopic_regret_samples(n_pulls, gap, runs, rng=rng)
    return float(r.mean()), float(r.std(ddof=1) / math.sqrt(runs))


# --------------------------------------------------------------------------------------------
# exact regret of the myopic rule (probability propagation over the lattice (x, y))
# --------------------------------------------------------------------------------------------
def myopic_regret_exact(n_pulls: int, gap: float) -> float:
    """Exact expected regret of the myopic rule (= ``R*(n_pulls, gap)``), small ``n_pulls``.

    Propagates the law of the lattice state ``(x, y)`` under ``P+`` pull by pull on a dense
    array (no sampling, shares no code with the Monte Carlo kernel): at each pull the regret
    grows by ``g x P(pull arm 1)``.

    Parameters
    ----------
    n_pulls : int in [1, MAX_EXACT_PULLS]
        Cost ``O(n_pulls^3)`` floating-point operations.
    gap : float in (0, 1/2]

    Returns
    -------
    float
        ``g x E+[number of pulls of arm 1]`` under the myopic rule with fair-coin ties.

    Guarantee
    ---------
    Exact up to round-off (a sum of ``O(n_pulls^2)`` nonnegative terms per pull).  Equal to the
    Bayes regret of the rule, since the rule is exactly label-symmetric (module docstring).

    Examples
    --------
    >>> myopic_regret_exact(1, 0.1)        # the first pull is a fair coin
    0.05
    >>> round(myopic_regret_exact(2, 0.25), 12)   # g (2 - g) / 2: follow the first outcome
    0.21875
    >>> bool(myopic_regret_exact(30, 0.1) <= 0.1 * 30 / 2)
    True
    """
    n = _pulls(n_pulls, MAX_EXACT_PULLS)
    g = _gap(gap)
    a, b = _log_steps(g)
    off = n + 1                               # index of x = 0 (and y = 0); margin of one cell
    size = 2 * n + 3
    coords = np.arange(size, dtype=np.float64) - off
    X, Y = np.meshgrid(coords, coords, indexing="ij")
    z = X * a
    nz = Y != 0
    z[nz] += Y[nz] * b                        # never 0 * (-inf)
    w0 = np.where(z > 0, 1.0, np.where(z < 0, 0.0, 0.5))     # P(pull arm 0 | x, y)
    p0, q0 = 0.5 + g, 0.5 - g
    P = np.zeros((size, size))
    P[off, off] = 1.0
    regret = 0.0
    for t in range(n):
        lo, hi = off - t, off + t + 1           # support: |x| + |y| <= t
        sub = P[lo:hi, lo:hi]
        m0 = sub * w0[lo:hi, lo:hi]
        m1 = sub - m0
        regret += g * float(m1.sum())
        w = hi - lo
        new = np.zeros((w + 2, w + 2))          # covers [lo - 1, hi + 1) in x and y
        new[2:, 1:-1] += p0 * m0                # arm 0 success: x + 1
        new[1:-1, 2:] += q0 * m0                # arm 0 failure: y + 1
        new[:-2, 1:-1] += 0.5 * m1              # arm 1 success: x - 1
        new[1:-1, :-2] += 0.5 * m1              # arm 1 failure: y - 1
        P[lo - 1:hi + 1, lo - 1:hi + 1] = new
    return regret


# --------------------------------------------------------------------------------------------
# Bayes-optimal regret over all adaptive algorithms (backward induction on the counts)
# --------------------------------------------------------------------------------------------
def bayes_optimal_regret_dp(n_pulls: int, gap: float) -> float:
    """Exact Bayes-optimal regret (uniform prior on the two members) over *all* algorithms.

    Backward induction over the count vectors ``sigma = (s0, f0, s1, f1)`` with ``s0 + f0 + s1 +
    f1 <= N``, minimising over both arms at every state.  With the joint weights ``w_+(sigma) =
    (1/2) (1/2 + g)^s0 (1/2 - g)^f0 (1/2)^(s1 + f1)`` and ``w_-(sigma)`` (roles of the arms
    swapped) -- the prior times the probability of any history with these counts --

    ``J(sigma) = min( g w_-(sigma) + J(sigma + s0) + J(sigma + f0),
    g w_+(sigma) + J(sigma + s1) + J(sigma + f1) )``, ``J = 0`` at depth ``N``,

    and ``J(0) = (R(alg, P+) + R(alg, P-)) / 2`` minimised over all history-dependent, randomised
    algorithms (the weights of a history depend on its counts only, so the optimal value from a
    history does too).  It uses neither the posterior statistic ``z`` nor Feldman's theorem.

    Parameters
    ----------
    n_pulls : int in [1, MAX_DP_PULLS]
        ``C(N + 4, 4)`` states (about 24 000 at ``N = 25``).
    gap : float in (0, 1/2]

    Returns
    -------
    float
        The Bayes-optimal prior-averaged regret, equal to ``R*(n_pulls, gap)``.

    Guarantee
    ---------
    Exact up to round-off: backward induction on a finite tree of counts (Puterman 1994,
    Thm 4.5.1 applied to the belief MDP).

    Examples
    --------
    >>> bayes_optimal_regret_dp(1, 0.3)
    0.15
    >>> abs(bayes_optimal_regret_dp(12, 0.1) - myopic_regret_exact(12, 0.1)) < 1e-12
    True
    """
    n = _pulls(n_pulls, MAX_DP_PULLS)
    g = _gap(gap)
    p, q, h = 0.5 + g, 0.5 - g, 0.5
    pw = [p ** k for k in range(n + 1)]      # 0.0 ** 0 == 1.0 (g = 1/2: q = 0)
    qw = [q ** k for k in range(n + 1)]
    hw = [h ** k for k in range(n + 1)]

    def states(t):
        for s0 in range(t + 1):
            for f0 in range(t - s0 + 1):
                for s1 in range(t - s0 - f0 + 1):
                    yield s0, f0, s1, t - s0 - f0 - s1

    nxt: dict = {}                            # J at depth t + 1 (depth N: zero)
    for t in range(n - 1, -1, -1):
        cur = {}
        last = t == n - 1
        for s0, f0, s1, f1 in states(t):
            w_plus = 0.5 * pw[s0] * qw[f0] * hw[s1 + f1]
            w_minus = 0.5 * hw[s0 + f0] * pw[s1] * qw[f1]
            if last:
                v0, v1 = g * w_minus, g * w_plus
            else:
                v0 = g * w_minus + nxt[(s0 + 1, f0, s1, f1)] + nxt[(s0, f0 + 1, s1, f1)]
                v1 = g * w_plus + nxt[(s0, f0, s1 + 1, f1)] + nxt[(s0, f0, s1, f1 + 1)]
            cur[(s0, f0, s1, f1)] = min(v0, v1)
        nxt = cur
    return float(nxt[(0, 0, 0, 0)])


# --------------------------------------------------------------------------------------------
# explicit lower bound
# --------------------------------------------------------------------------------------------
def _s_minus_log1p(s: float) -> float:
    """``s - ln(1 + s)`` without cancellation for small ``s >= 0``."""
    if s < 1e-3:
        return s * s * (0.5 - s * (1.0 / 3.0 - s * (0.25 - s / 5.0)))
    return s - math.log1p(s)


def _log_r(g: float) -> float:
    """``ln r`` with ``r = BC^2 = (1 + sqrt(1 - 4 g^2)) / 2`` (stable for small ``g``)."""
    d = -2.0 * g * g / (1.0 + math.sqrt(max(0.0, 1.0 - 4.0 * g * g)))   # r - 1
    return math.log1p(d)


def _bretagnolle_huber_bound(n: int, g: float) -> float:
    """``g sum_{t=1}^N (1/4) exp(-(t - 1) k_max)`` in closed form (module docstring) [D]."""
    k1 = (0.5 + g) * math.log1p(2.0 * g) + (
        0.0 if g >= 0.5 else (0.5 - g) * math.log1p(-2.0 * g))     # kl(1/2+g || 1/2)
    k2 = math.inf if g >= 0.5 else -0.5 * math.log1p(-4.0 * g * g)  # kl(1/2 || 1/2+g)
    k = max(k1, k2)
    if math.isinf(k):
        return g / 4.0
    return g / 4.0 * (-math.expm1(-n * k)) / (-math.expm1(-k))


def le_cam_two_point_bound(n_pulls: int, gap: float) -> float:
    r"""Explicit lower bound on ``R*(n_pulls, gap)`` (Le Cam two-point method, Hellinger form) [D].

    Derivation [D].  Fix any algorithm (internal randomness ``U`` included, with the same law
    under both members) and a pull ``t``.  The action ``A_t`` is a function of ``U`` and the
    first ``t - 1`` actions and outcomes, whose laws under ``P+`` and ``P-`` we call ``P+^{t-1}``,
    ``P-^{t-1}``.  The prior-averaged regret is

    ``(R(P+) + R(P-)) / 2 = (g / 2) sum_{t=1}^N [P+(A_t = 1) + P-(A_t = 0)]``
    ``>= (g / 2) sum_t (1 - TV(P+^{t-1}, P-^{t-1}))``  (Le Cam: ``P(E) + Q(E^c) >= 1 - TV``).

    Bhattacharyya coefficient ``BC = sum_h sqrt(p(h) q(h))``.  In ``p(h) q(h)`` the algorithm's
    kernels appear squared, so summing the last outcome first gives the factor
    ``rho_a = BC(Ber(1/2 + g), Ber(1/2)) = (sqrt(1 + 2g) + sqrt(1 - 2g)) / 2``, the *same* for both
    arms, and then summing the last action gives 1; by induction ``BC(P+^{t-1}, P-^{t-1}) =
    rho^{t-1}`` for every algorithm.  By Cauchy-Schwarz, ``TV <= sqrt(1 - BC^2)``.  With
    ``r = rho^2 = (1 + sqrt(1 - 4 g^2)) / 2`` and ``f(u) = 1 - sqrt(1 - r^u)`` (decreasing),

    ``R* >= (g / 2) sum_{k=0}^{N-1} f(k) >= (g / 2) [1 + int_1^N f(u) du]``.

    Substituting ``s = sqrt(1 - r^u)``, ``du = 2 s ds / ((1 - s^2) ln(1/r))`` and
    ``f = 1 - s``, ``int f du = 2 (s - ln(1 + s)) / ln(1/r)``, so (closed form)

    ``R*(N, g) >= (g / 2) [1 + 2 (phi(s_N) - phi(s_1)) / ln(1/r)]``,
    ``s_n = sqrt(1 - r^n)``, ``phi(s) = s - ln(1 + s)``.

    It is exact at ``N = 1`` (``g / 2``).  It dominates the Bretagnolle-Huber bound of the
    brief, ``g sum_t (1/4) exp(-(t - 1) k_max) = (g / 4) (1 - e^{-N k_max}) / (1 - e^{-k_max})``
    with ``k_max = max(kl(1/2 + g || 1/2), kl(1/2 || 1/2 + g))`` (``KL(P+^{t-1}, P-^{t-1}) <=
    (t - 1) k_max`` by the chain rule; ``P(E) + Q(E^c) >= exp(-KL) / 2``), termwise before the
    integral step because ``ln(1/r) = -2 ln BC <= kl`` (Jensen) and ``1 - sqrt(1 - x) >= x / 2``;
    its exponent is ``~ 2 g^2`` per pull against ``~ g^2`` here, and it degenerates to ``g / 4`` at
    ``g = 1/2`` (``k_max = inf``).  The maximum of the two closed forms is returned (both valid).
    At ``g = c / sqrt(N)``, ``N -> inf``: ``R* / sqrt(N) >= (s - ln(1 + s)) / c``,
    ``s = sqrt(1 - e^{-c^2})`` (about 0.21 at ``c = 1``).

    Parameters
    ----------
    n_pulls : int >= 1
    gap : float in (0, 1/2]

    Returns
    -------
    float
        A lower bound on ``R*(n_pulls, gap)``, hence on the max over the two members of the
        regret of every algorithm.

    Guarantee
    ---------
    Valid for every ``N >= 1`` and ``g in (0, 1/2]`` (derivation above, all steps [D] from the
    cited inequalities); closed form, ``O(1)`` cost.

    References
    ----------
    Tsybakov (2009), Lemma 2.3 and Lemma 2.6; Le Cam (1973).

    Examples
    --------
    >>> le_cam_two_point_bound(1, 0.2)     # exact at one pull
    0.1
    >>> bool(le_cam_two_point_bound(20, 0.1) <= bayes_optimal_regret_dp(20, 0.1))
    True
    """
    n = check_positive_int("n_pulls", n_pulls)
    g = _gap(gap)
    ln_inv_r = -_log_r(g)

    def s_of(k):
        return math.sqrt(-math.expm1(-k * ln_inv_r))

    hell = 0.5 * g * (1.0 + 2.0 * (_s_minus_log1p(s_of(n)) - _s_minus_log1p(s_of(1))) / ln_inv_r)
    return max(hell, _bretagnolle_huber_bound(n, g))
