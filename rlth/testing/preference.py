"""Hypothesis strategies for preference games, and an equilibrium assertion.

Use them to property-test your own regularized-Nash solver or preference-game dynamics::

    from hypothesis import given, strategies as st
    from rlth.testing.preference import preference_games, assert_regularized_nash

    @given(preference_games(), st.sampled_from([1.0, 0.1]))
    def test_my_solver(game, tau):
        assert_regularized_nash(game, my_solver(game, tau), tau, tol=1e-10)

``my_solver`` may return a plain policy array ``pi[X, Y]`` (or ``pi[Y]`` with one context), a
result object with a ``pi`` (rlth's ``RegularizedNashSolution``), a ``(V, Q, pi)`` tuple or a
dict with a ``"pi"`` key.

Preference matrices include the structured cases: exact ties (entries 1/2), deterministic
preferences (entries 0 / 1, e.g. rock-paper-scissors), near-deterministic ones and transitive
(Bradley-Terry) ones.  Reference policies are weights drawn from ``[min_mass, 1]`` and
normalized (default ``min_mass=1e-3``; pass a smaller one for tiny masses), with exact zeros
(restricted support) only when ``allow_zeros=True`` (default ``False``).
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from ..models.preference import PreferenceGame
from ..solvers.preference import regularized_exploitability
from .mdp import _read_result

__all__ = ["PREFERENCE_KINDS", "preference_matrices", "reference_policies", "preference_games",
           "policies_for", "assert_regularized_nash"]

#: Families drawn by :func:`preference_matrices`.
PREFERENCE_KINDS = ("uniform", "deterministic", "ties", "bradley_terry", "extreme")


def _unit(draw, size, low=0.0, high=1.0):
    return np.array(draw(st.lists(st.floats(low, high, allow_nan=False, allow_subnormal=False),
                                  min_size=size, max_size=size)), dtype=np.float64)


@st.composite
def preference_matrices(draw, *, min_actions: int = 2, max_actions: int = 6, n_contexts=1,
                        kinds=PREFERENCE_KINDS) -> np.ndarray:
    """Preference tensors ``pref[X, Y, Y]`` with ``pref + pref^T == 1`` exactly.

    Parameters
    ----------
    min_actions, max_actions : int
    n_contexts : int or hypothesis strategy of int
    kinds : sequence of str
        Subset of :data:`PREFERENCE_KINDS`: ``"uniform"`` lower triangle U[0, 1];
        ``"deterministic"`` entries in {0, 1} (tournaments); ``"ties"`` entries in
        {0, 1/4, 1/2, 3/4, 1}; ``"bradley_terry"`` :math:`\\sigma(r_i - r_j)`;
        ``"extreme"`` entries within 1e-6 of 0 or 1.
    """
    n = draw(st.integers(min_actions, max_actions))
    X = n_contexts if isinstance(n_contexts, int) else draw(n_contexts)
    kind = draw(st.sampled_from(list(kinds)))
    low = np.tril_indices(n, -1)
    m = len(low[0])
    pref = np.full((X, n, n), 0.5)
    for x in range(X):
        if kind == "uniform":
            v = _unit(draw, m)
        elif kind == "deterministic":
            v = np.array(draw(st.lists(st.sampled_from([0.0, 1.0]), min_size=m, max_size=m)))
        elif kind == "ties":
            v = np.array(draw(st.lists(st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0]),
                                       min_size=m, max_size=m)))
        elif kind == "bradley_terry":
            r = _unit(draw, n, -3.0, 3.0)
            v = 1.0 / (1.0 + np.exp(-(r[low[0]] - r[low[1]])))
        else:
            v = np.array(draw(st.lists(st.sampled_from([1e-6, 1.0 - 1e-6]), min_size=m,
                                       max_size=m)))
        pref[x][low] = v
        pref[x][low[1], low[0]] = 1.0 - v
    return pref


@st.composite
def reference_policies(draw, n_actions: int, n_contexts: int = 1, *,
                       allow_zeros: bool = False, min_mass: float = 1e-3) -> np.ndarray:
    """Reference policies ``mu[X, Y]``: entries in ``[min_mass, 1]`` normalized, optionally with
    zeros (every row keeps at least one positive entry)."""
    rows = []
    for _ in range(n_contexts):
        w = _unit(draw, n_actions, min_mass, 1.0)
        if allow_zeros and n_actions > 1:
            zero = np.array(draw(st.lists(st.booleans(), min_size=n_actions,
                                          max_size=n_actions)))
            if zero.all():
                zero[draw(st.integers(0, n_actions - 1))] = False
            w = np.where(zero, 0.0, w)
        rows.append(w / w.sum())
    return np.array(rows)


@st.composite
def preference_games(draw, *, min_actions: int = 2, max_actions: int = 6, max_contexts: int = 1,
                     kinds=PREFERENCE_KINDS, allow_zeros: bool = False,
                     min_mass: float = 1e-3) -> PreferenceGame:
    """:class:`PreferenceGame` instances (matrices from :func:`preference_matrices`, references
    from :func:`reference_policies`, context distribution uniform or random)."""
    X = draw(st.integers(1, max_contexts))
    pref = draw(preference_matrices(min_actions=min_actions, max_actions=max_actions,
                                    n_contexts=X, kinds=kinds))
    mu = draw(reference_policies(pref.shape[1], X, allow_zeros=allow_zeros, min_mass=min_mass))
    rho = None
    if X > 1 and draw(st.booleans()):
        w = _unit(draw, X, 0.05, 1.0)
        rho = w / w.sum()
    return PreferenceGame(pref, mu, rho)


@st.composite
def policies_for(draw, game: PreferenceGame, *, min_mass: float = 1e-4) -> np.ndarray:
    """Policies ``pi[X, Y]`` positive exactly on the support of ``game.mu``."""
    rows = []
    for x in range(game.n_contexts):
        w = _unit(draw, game.n_actions, min_mass, 1.0) * game.support[x]
        rows.append(w / w.sum())
    return np.array(rows)


def assert_regularized_nash(game: PreferenceGame, pi, tau: float, tol: float = 1e-10) -> float:
    r"""Assert that ``pi`` is the regularized equilibrium: exploitability
    :math:`\tau\,\mathrm{KL}_\rho(\pi\|\mathrm{BR}_\tau(\pi)) \le` ``tol``.

    Parameters
    ----------
    game : PreferenceGame
    pi : array_like, result object, tuple or dict
        What the solver under test returned: a policy array of shape ``(X, Y)`` (or ``(Y,)``
        when ``X = 1``), a result object with a ``pi`` attribute (rlth's
        :class:`~rlth.solvers.preference.RegularizedNashSolution`), a ``(V, Q, pi)`` tuple
        (``V`` and ``Q`` are not used and may be ``None``) or a dict with a ``"pi"`` key (and
        optionally ``"V"``, ``"Q"``, ignored).  A preference game has no value array to derive
        ``pi`` from, so ``pi`` is required.
    tau : float
        Regularization strength (``>= 0``).
    tol : float

    Returns
    -------
    float
        The exploitability, so a test can report it.

    Raises
    ------
    AssertionError
        With the exploitability and the form of ``pi`` it got.
    ValueError
        If ``pi`` is missing or has a shape other than ``(X, Y)`` / ``(Y,)``.

    Examples
    --------
    With a symmetric preference matrix every policy wins half the time, so the regularized
    equilibrium is the reference policy itself:

    >>> import numpy as np
    >>> from rlth.models.preference import PreferenceGame
    >>> game = PreferenceGame(np.full((1, 3, 3), 0.5), np.array([[0.2, 0.3, 0.5]]))
    >>> assert_regularized_nash(game, np.array([[0.2, 0.3, 0.5]]), tau=0.1)
    0.0
    >>> assert_regularized_nash(game, np.array([1/3, 1/3, 1/3]), tau=0.1)
    Traceback (most recent call last):
    ...
    AssertionError: exploitability 0.00... > 1e-10 at tau=0.1; got a pi array of shape (3,)
    """
    parts, form = _read_result(pi, "pi", ("V", "Q", "pi"), "pi")
    if parts["pi"] is None:
        raise ValueError(f"pi: {form} has no pi")
    arr = np.asarray(parts["pi"], dtype=float)
    X, Y = game.mu.shape
    if arr.shape != (X, Y) and not (X == 1 and arr.shape == (Y,)):
        raise ValueError(f"pi: expected a policy of shape (X, Y) = {(X, Y)}"
                         f"{f' or (Y,) = {(Y,)}' if X == 1 else ''}, got shape {arr.shape} "
                         f"({form})")
    e = regularized_exploitability(game, arr, tau)
    assert e <= tol, f"exploitability {e:.3g} > {tol:g} at tau={tau}; got {form}"
    return e
