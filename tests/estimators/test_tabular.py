"""rlth.estimators.tabular: counts, empirical means, the empirical MDP, the tie-breaking argmax.

Pinned to hand computations and to naive per-sample estimates on expanded raw samples.
"""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rlth.algorithms.offline import baselines
from rlth.estimators.tabular import argmax_rows, check_counts, empirical_mdp, empirical_means


# ------------------------------------------------------------------------------ check_counts
def test_check_counts_accepts_integer_valued_input_and_returns_int64():
    out = check_counts([[1.0, 0.0], [2.0, 5.0]], ndim=2)
    assert out.dtype == np.int64 and out.flags.c_contiguous
    np.testing.assert_array_equal(out, [[1, 0], [2, 5]])
    assert check_counts(np.array([3], dtype=np.uint8)).dtype == np.int64
    assert check_counts(np.zeros((2, 3, 4), dtype=int)).shape == (2, 3, 4)    # any ndim


@pytest.mark.parametrize("counts, kwargs, msg", [
    ([[1.5, 2.0]], {}, "must be integers"),
    ([[1, -1]], {}, "must be >= 0"),
    (np.zeros((0, 2)), {}, "is empty"),
    ([1, 2], {"ndim": 2}, "expected 2 dimensions"),
    ([[np.nan, 1.0]], {}, "NaN or infinite"),
    ([["a", "b"]], {}, "cannot be converted"),
])
def test_check_counts_errors_name_the_argument(counts, kwargs, msg):
    with pytest.raises(ValueError, match=f"^counts: .*{msg}"):
        check_counts(counts, **kwargs)
    with pytest.raises(ValueError, match="^next_counts:"):
        check_counts(counts, name="next_counts", **kwargs)


# ------------------------------------------------------------------------------ empirical means
def test_empirical_means_by_hand():
    counts, r_hat, visited = empirical_means([[4, 0, 2]], [[3.0, 0.0, 2.0]])
    np.testing.assert_array_equal(counts, [[4, 0, 2]])
    np.testing.assert_array_equal(r_hat, [[0.75, 0.0, 1.0]])
    np.testing.assert_array_equal(visited, [[True, False, True]])


def test_empirical_means_errors():
    with pytest.raises(ValueError, match="^reward_sums: expected shape"):
        empirical_means([[1, 2]], [[1.0, 2.0, 3.0]])
    with pytest.raises(ValueError, match="^reward_sums: contains NaN"):
        empirical_means([[1, 2]], [[1.0, np.inf]])
    with pytest.raises(ValueError, match="^counts: expected 2 dimensions"):
        empirical_means([1, 2], [1.0, 2.0])
    _, r_hat, _ = empirical_means([[[2]]], [[[1.0]]], ndim=None)    # any shape on request
    assert r_hat[0, 0, 0] == 0.5


def _raw_samples(rng, S, A, n, p_unvisited=0.3):
    """Raw tuples (s, a, r, s') with some cells never logged."""
    keep = rng.random((S, A)) > p_unvisited
    cells = np.argwhere(keep)
    if len(cells) == 0:
        cells = np.array([[0, 0]])
    pick = cells[rng.integers(len(cells), size=n)]
    r = rng.random(n)
    s2 = rng.integers(S, size=n)
    return pick[:, 0], pick[:, 1], r, s2


def _stats(s, a, r, s2, S, A):
    counts = np.zeros((S, A), dtype=np.int64)
    sums = np.zeros((S, A))
    nxt = np.zeros((S, A, S), dtype=np.int64)
    for i in range(len(s)):
        counts[s[i], a[i]] += 1
        sums[s[i], a[i]] += r[i]
        nxt[s[i], a[i], s2[i]] += 1
    return counts, sums, nxt


@given(st.integers(1, 5), st.integers(1, 4), st.integers(0, 60), st.integers(0, 2**31))
def test_empirical_mdp_equals_naive_per_sample_estimates(S, A, n, seed):
    rng = np.random.default_rng(seed)
    s, a, r, s2 = _raw_samples(rng, S, A, n)
    counts, sums, nxt = _stats(s, a, r, s2, S, A)
    P, r_hat = empirical_mdp(counts, sums, nxt)
    assert P.shape == (S, A, S) and r_hat.shape == (S, A)
    np.testing.assert_allclose(P.sum(axis=-1), 1.0, rtol=0, atol=1e-12)
    for x in range(S):
        for y in range(A):
            idx = (s == x) & (a == y)
            if idx.any():
                assert r_hat[x, y] == pytest.approx(np.mean(r[idx]), abs=1e-12)
                freq = np.bincount(s2[idx], minlength=S) / idx.sum()
                np.testing.assert_allclose(P[x, y], freq, rtol=0, atol=1e-12)
            else:                                      # unvisited: reward 0 and a self-loop
                assert r_hat[x, y] == 0.0
                np.testing.assert_array_equal(P[x, y], np.eye(S)[x])


def test_empirical_mdp_errors_and_reexport():
    with pytest.raises(ValueError, match="^next_counts: expected shape"):
        empirical_mdp([[1, 1]], [[0.0, 0.0]], np.zeros((1, 2, 2)))
    with pytest.raises(ValueError, match="^counts: must be >= 0"):
        empirical_mdp([[-1, 1]], [[0.0, 0.0]], np.zeros((1, 2, 1)))
    assert baselines.empirical_mdp is empirical_mdp           # the baselines module re-exports it


# ------------------------------------------------------------------------------ argmax_rows
def test_argmax_rows_ties_and_preference():
    score = np.array([[1.0, 3.0, 3.0], [-np.inf, -np.inf, 0.5], [2.0, 2.0, 2.0]])
    np.testing.assert_array_equal(argmax_rows(score), [1, 2, 0])
    prefer = np.array([[False, False, True], [True, False, False], [False, True, True]])
    np.testing.assert_array_equal(argmax_rows(score, prefer=prefer), [2, 2, 1])
    assert argmax_rows(score).dtype == np.int64


@given(st.lists(st.lists(st.sampled_from([0.0, 1.0, 2.0, -np.inf]), min_size=3, max_size=3),
                min_size=1, max_size=6),
       st.lists(st.booleans(), min_size=18, max_size=18))
def test_argmax_rows_matches_naive_rule(rows, flags):
    score = np.array(rows)
    prefer = np.array(flags[:score.size]).reshape(score.shape)
    for s, row in enumerate(score):
        best = [a for a in range(3) if row[a] == row.max()]
        assert argmax_rows(score)[s] == best[0]                 # lowest index
        preferred = [a for a in best if prefer[s, a]]
        assert argmax_rows(score, prefer)[s] == (preferred or best)[0]


def test_argmax_rows_errors():
    with pytest.raises(ValueError, match="^score: expected 2 dimensions"):
        argmax_rows(np.ones(3))
    with pytest.raises(ValueError, match="^prefer: expected shape"):
        argmax_rows(np.ones((2, 3)), prefer=np.ones((3, 2), dtype=bool))
