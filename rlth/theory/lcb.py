r"""Theorems of Rashidinejad, Zhu, Ma, Jiao, Russell (2021), "Bridging Offline Reinforcement
Learning and Imitation Learning: A Tale of Pessimism" (arXiv 2103.12021), as data.

Quantity throughout: the expected sub-optimality ``E_D[J(pi*) - J(pi_hat)]`` of the returned
policy, computed exactly from the model for every dataset (``J`` unnormalized: in ``[0, 1]`` for
bandits, ``[0, 1/(1-gamma)]`` for MDPs).  ``N`` is the number of i.i.d. samples, ``C*`` the
single-policy concentrability of the data distribution.

Provenance.  [V]: the statement is in the paper text we could check (the contextual-bandit
Theorems 4-5 and the abstract's 1/N claims, via ``docs/explanation/theory_notes.md``).  [R]: the paper's
statement as restated by the theory notes and later papers; its theorem number / exponent could not be
checked against the paper text here.  [D]: our own derivation (Chernoff / Gaussian heuristics).

The rates hide polylog factors (``delta = 1/N`` puts ``log N`` inside the penalty); the checks say
which normalization they use.

Closed forms on the hard instances of :mod:`rlth.instances.offline_pessimism`, used as exact
references by ``experiments/lcb.py`` and the tests: :func:`mpa_error_probability`,
:func:`cb_expert_closed_form`, :func:`mab_kl_rate`, :func:`nonadaptive_exponent`.
"""
from __future__ import annotations

import math

from .._validation import check_positive_float, check_positive_int, check_real
from . import Theorem, register


def _probability(name, x):
    x = check_real(name, x)
    if not 0.0 <= x <= 1.0:
        raise ValueError(f"{name}: must lie in [0, 1], got {x}")
    return x


def _c_star(c_star, strict):
    c_star = check_real("c_star", c_star)
    if c_star < 1.0 or (strict and c_star == 1.0):
        raise ValueError(f"c_star: must be {'>' if strict else '>='} 1, got {c_star}")
    return c_star

PAPER = "Rashidinejad, Zhu, Ma, Jiao, Russell (2021)"
ARXIV = "2103.12021"
SUBOPT = "expected sub-optimality E[J(pi*) - J(pi_hat)] of the output policy (exact J)"

__all__ = ["mpa_error_probability", "cb_expert_closed_form", "mab_kl_rate", "nonadaptive_exponent"]


def mpa_error_probability(n_samples: int, mu_star: float) -> float:
    """Exact ``Pr(N(a*) <= N/2)`` for ``N(a*) ~ Bin(N, mu_star)``: the error probability of the
    most-played arm on a two-arm instance with ties to the other arm (index 0) [D]."""
    n_samples = check_positive_int("n_samples", n_samples)
    mu_star = _probability("mu_star", mu_star)
    from scipy.stats import binom
    return float(binom.cdf(n_samples // 2, n_samples, mu_star))


def cb_expert_closed_form(n_contexts: int, n_samples: int) -> float:
    """``(S - 1)/N (1 - 1/N)^N``: expected loss of an LCB that is right on every logged context."""
    S = check_positive_int("n_contexts", n_contexts)
    N = check_positive_int("n_samples", n_samples)
    return (S - 1) / N * math.exp(N * math.log1p(-1.0 / N))


def mab_kl_rate(c_star: float) -> float:
    """``KL(Bern(1/2) || Bern(1/C*))``: exponential rate of ``Pr(Bin(N, 1/C*) <= N/2)`` [D]."""
    p = 1.0 / _c_star(c_star, strict=True)
    return 0.5 * math.log(0.5 / p) + 0.5 * math.log(0.5 / (1.0 - p))


def nonadaptive_exponent(c_star: float, c: float) -> float:
    """Gaussian heuristic [D] for LCB's slope on the two-arm instance with a frequent optimal arm:
    ``-1/2 - kappa`` with ``kappa = 2 c (1 - sqrt(C* - 1))^2 / C*`` (docs/explanation/theory_notes.md, LCB section 3)."""
    c_star = _c_star(c_star, strict=False)
    c = check_positive_float("c", c, allow_zero=True)
    return -0.5 - 2.0 * c * (1.0 - math.sqrt(c_star - 1.0)) ** 2 / c_star


def _bandit_max(x, **_):
    return 1.0


def _mdp_max(x, gamma=None, **_):
    return 1.0 / (1.0 - gamma) if gamma is not None else math.inf


# --------------------------------------------------------------------------- multi-armed bandits
register(Theorem(
    id="lcb.mab.upper", paper=PAPER, arxiv=ARXIV, number="Theorem 1 (MAB) [R number]",
    statement="LCB: E[r(a*) - r(a_hat)] <~ min(1, sqrt(C* log(2N) / N))",
    quantity=SUBOPT, sweep_variable="N", kind="upper", exponent=-0.5,
    regime="any C*; checked on the two-arm instance with a rare optimal arm (C* >= 2)",
    tolerance=0.1, provenance="[R] statement and constant of Algorithm 1",
    notes="delta = 1/N: the fit divides by sqrt(log(4N)) where the penalty gap carries the log",
    trivial_max=_bandit_max))

register(Theorem(
    id="lcb.mab.lower", paper=PAPER, arxiv=ARXIV, number="Theorem 2 (MAB, C* >= 2) [R number]",
    statement="inf_alg sup_{C*-class} E[subopt] >~ min(1, sqrt(C*/N)) for C* >= 2",
    quantity=SUBOPT + " of LCB on the least-favourable two-arm instance", sweep_variable="N",
    kind="lower", exponent=-0.5, regime="C* >= 2", tolerance=0.1, provenance="[R]",
    notes="any algorithm's worst case is >= this; measured on LCB's least-favourable gap",
    in_regime=lambda x, C=None, **_: C is None or C >= 2, trivial_max=_bandit_max))

register(Theorem(
    id="lcb.mab.imitation", paper=PAPER, arxiv=ARXIV,
    number="Section 3 discussion (C* in (1,2)) [R]; Chernoff rate [D]",
    statement="most-played arm errs w.p. Pr(Bin(N,1/C*) <= N/2) = exp(-N KL(1/2 || 1/C*) + o(N))",
    quantity="probability that the most-played arm is not the optimal arm",
    sweep_variable="exp(N KL(1/2 || 1/C*))", kind="rate", exponent=-1.0,
    regime="C* in (1, 2)", tolerance=0.1, provenance="[D] (exact binomial tail as reference)",
    notes="log-linear in N: slope -1 against exp(N KL) after dividing by the Bahadur-Rao "
          "prefactor N^-1/2 (without it the slope over N <= 80 is about -1.2)",
    reference=lambda x, N=None, C=None, **_: _mpa_tail(int(N), float(C))))

register(Theorem(
    id="lcb.mab.nonadaptive", paper=PAPER, arxiv=ARXIV,
    number="Section 3 (LCB not adaptive in MAB for C* in (1,2)) [R]; exponent [D]",
    statement="on a C* in (1,2) instance LCB's sub-optimality decays only polynomially, "
              "~ N^(-1/2 - kappa), kappa = 2c(1 - sqrt(C*-1))^2 / C* (Gaussian heuristic)",
    quantity=SUBOPT + " of LCB, least-favourable gap", sweep_variable="N", kind="rate",
    exponent=round(nonadaptive_exponent(1.5, 0.5), 3), regime="C* = 1.5, c = 1/2",
    tolerance=0.1, provenance="[R] claim, [D] exponent",
    notes="the imitation rule (most-played arm) is exponential on the same instances",
    trivial_max=_bandit_max))


def _mpa_tail(N: int, c_star: float) -> float:
    from scipy.stats import binom
    return float(binom.cdf(N // 2, N, 1.0 / c_star))


# --------------------------------------------------------------------------- contextual bandits
register(Theorem(
    id="lcb.cb.upper", paper=PAPER, arxiv=ARXIV, number="Theorem 4",
    statement="LCB (c = 2000, delta = 1/N): E[subopt] <~ sqrt(S (C*-1) log(N) / N) + S log(N) / N",
    quantity=SUBOPT, sweep_variable="N", kind="upper", exponent=-0.5,
    regime="S >= 2, any C* >= 1 (C* > 1 for the 1/sqrt(N) term)", tolerance=0.1,
    provenance="[V]", trivial_max=_bandit_max))

register(Theorem(
    id="lcb.cb.lower", paper=PAPER, arxiv=ARXIV, number="Theorem 5",
    statement="minimax: >~ sqrt(S (C*-1) / N) + S/N for C* in (1, 2)",
    quantity=SUBOPT + " of LCB on the ambiguous-context instance", sweep_variable="N",
    kind="lower", exponent=-0.5, regime="C* in (1, 2]", tolerance=0.1,
    provenance="[V] statement, [R] exact form of the C* >= 2 branch", trivial_max=_bandit_max))

register(Theorem(
    id="lcb.cb.cstar", paper=PAPER, arxiv=ARXIV, number="Theorems 4-5 (C* dependence)",
    statement="at fixed N, sub-optimality ~ sqrt(C* - 1) for C* in (1, 2]",
    quantity=SUBOPT, sweep_variable="C* - 1", kind="rate", exponent=0.5,
    regime="C* in (1, 2], N >> S / (C*-1)", tolerance=0.1, provenance="[V]",
    notes="the instance also carries a sqrt(C*) factor (+0.05 over the swept range)"))

register(Theorem(
    id="lcb.cb.expert", paper=PAPER, arxiv=ARXIV, number="Theorem 4 at C* = 1; abstract",
    statement="expert data (C* = 1): E[subopt] <~ S log(N) / N",
    quantity=SUBOPT, sweep_variable="N", kind="rate", exponent=-1.0,
    regime="C* = 1 (or C* - 1 = O(1/N))", tolerance=0.1, provenance="[V]"))

register(Theorem(
    id="lcb.cb.expert_exact", paper=PAPER, arxiv=ARXIV,
    number="missing-mass term of the Theorem 4 proof [V]; closed form [D]",
    statement="LCB right on every logged context: E = (S-1)/N (1 - 1/N)^N on the expert instance",
    quantity=SUBOPT, sweep_variable="N", kind="rate", exponent=-1.0,
    regime="expert instance #3", tolerance=0.1, provenance="[D]",
    reference=lambda x, N=None, S=None, **_: (int(S) - 1) / int(N) * math.exp(
        int(N) * math.log1p(-1.0 / int(N)))))

# --------------------------------------------------------------------------- MDPs
register(Theorem(
    id="lcb.mdp.upper", paper=PAPER, arxiv=ARXIV, number="Theorem 6 (VI-LCB) [R number]",
    statement="VI-LCB: E[subopt] <~ sqrt(S C* / ((1-gamma)^5 N)) (up to logs)",
    quantity=SUBOPT, sweep_variable="N", kind="upper", exponent=-0.5, regime="any C*",
    tolerance=0.1, provenance="[R] (widely restated as S C* / ((1-gamma)^5 eps^2))",
    trivial_max=_mdp_max))

register(Theorem(
    id="lcb.mdp.lower", paper=PAPER, arxiv=ARXIV, number="Theorem 7 (MDP lower bound) [R number]",
    statement="minimax: >~ sqrt(S C* / ((1-gamma)^3 N)) for C* >= 2",
    quantity=SUBOPT + " on the replica instance", sweep_variable="N", kind="lower",
    exponent=-0.5, regime="C* >= 2", tolerance=0.1, provenance="[R]", trivial_max=_mdp_max))

register(Theorem(
    id="lcb.mdp.horizon", paper=PAPER, arxiv=ARXIV,
    number="Theorems 6-7: (1-gamma) exponents [R]",
    statement="at fixed N, sub-optimality ~ (1-gamma)^-k with k between 3/2 (lower bound) and "
              "5/2 (VI-LCB upper bound)",
    quantity=SUBOPT, sweep_variable="1/(1-gamma)", kind="rate", exponent=2.0,
    regime="replica instance, fixed N", tolerance=0.5, provenance="[R]",
    notes="unnormalized J; normalizing by (1-gamma) shifts every exponent by 1"))

register(Theorem(
    id="lcb.mdp.expert", paper=PAPER, arxiv=ARXIV, number="Theorem 6, nearly-expert case [R]",
    statement="C* <= 1 + O(1/N): E[subopt] <~ S / ((1-gamma)^4 N) (up to logs)",
    quantity=SUBOPT, sweep_variable="N", kind="rate", exponent=-1.0, regime="C* = 1",
    tolerance=0.1, provenance="[R] (exponent of 1-gamma unverified)"))
