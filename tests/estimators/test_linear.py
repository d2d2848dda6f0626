"""rlth.estimators.linear: Gram matrices, (weighted) ridge and elliptical norms from counts.

Every count-based quantity is compared with a naive per-sample implementation on the expanded
raw samples (explicit loops, ``np.linalg.solve`` / ``inv``) to 1e-10, and pinned to the closed
forms of one-hot (tabular) features, where the weighted ridge decouples per pair [D].
"""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rlth.estimators.linear import (elliptical_norms, gram_matrix, ridge_from_counts,
                                    target_sums_from_counts)


def _samples(rng, S, A, n):
    """Raw tuples (s, a, r, s'); a third of the cells are never logged."""
    logged = np.argwhere(rng.random((S, A)) < 0.67)
    if len(logged) == 0:
        logged = np.array([[0, 0]])
    pick = logged[rng.integers(len(logged), size=n)]
    return pick[:, 0], pick[:, 1], rng.random(n), rng.integers(S, size=n)


def _counts(s, a, r, s2, S, A):
    counts = np.zeros((S, A), dtype=np.int64)
    sums = np.zeros((S, A))
    nxt = np.zeros((S, A, S), dtype=np.int64)
    np.add.at(counts, (s, a), 1)
    np.add.at(sums, (s, a), r)
    np.add.at(nxt, (s, a, s2), 1)
    return counts, sums, nxt


def _naive(phi, s, a, y, lam, sigma2=None):
    """Per-sample weighted ridge: Lambda, w, and ||phi||_{Lambda^-1} via an explicit inverse."""
    d = phi.shape[-1]
    G = lam * np.eye(d)
    b = np.zeros(d)
    for i in range(len(s)):
        x = phi[s[i], a[i]]
        wt = 1.0 if sigma2 is None else 1.0 / sigma2[s[i], a[i]]
        G += wt * np.outer(x, x)
        b += wt * x * y[i]
    w = np.linalg.solve(G, b)
    Ginv = np.linalg.inv(G)
    norms = np.sqrt(np.einsum("sad,de,sae->sa", phi, Ginv, phi))
    return G, w, norms


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("seed", range(5))
def test_count_based_ridge_equals_per_sample_ridge(weighted, seed):
    rng = np.random.default_rng(seed)
    S, A, d, n, lam = 5, 3, 4, 300, 0.7
    phi = rng.normal(size=(S, A, d))
    s, a, r, s2 = _samples(rng, S, A, n)
    V = rng.uniform(0, 3, size=S)
    sigma2 = rng.uniform(0.5, 4.0, size=(S, A)) if weighted else None
    counts, sums, nxt = _counts(s, a, r, s2, S, A)
    Y = target_sums_from_counts(nxt, V, sums)
    y = r + V[s2]                                        # per-sample Bellman target
    G_ref, w_ref, norms_ref = _naive(phi, s, a, y, lam, sigma2)
    np.testing.assert_allclose(gram_matrix(phi, counts, lam=lam, sigma2=sigma2), G_ref,
                               rtol=1e-10, atol=1e-10)
    est = ridge_from_counts(phi, counts, Y, lam=lam, sigma2=sigma2)
    np.testing.assert_allclose(est.w, w_ref, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(est.gram, G_ref, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(elliptical_norms(phi, est.gram), norms_ref, rtol=1e-10,
                               atol=1e-10)
    assert est.normal_residual < 1e-12


def test_per_stage_inputs_equal_stagewise_fits():
    rng = np.random.default_rng(7)
    H, S, A, d = 3, 4, 2, 3
    phi_h = rng.normal(size=(H, S, A, d))
    counts = rng.integers(0, 20, size=(H, S, A))
    nxt = np.stack([[[rng.multinomial(counts[h, x, y], np.ones(S) / S) for y in range(A)]
                     for x in range(S)] for h in range(H)])
    V_next = rng.random((H, S))
    sums = rng.random((H, S, A)) * counts
    Y = target_sums_from_counts(nxt, V_next, sums)
    sigma2 = rng.uniform(1, 2, size=(S, A))              # stationary weights, staged features
    est = ridge_from_counts(phi_h, counts, Y, lam=0.5, sigma2=sigma2)
    G = gram_matrix(phi_h, counts, lam=0.5, sigma2=sigma2)
    norms = elliptical_norms(phi_h, est.gram)
    assert est.w.shape == (H, d) and G.shape == (H, d, d) and norms.shape == (H, S, A)
    for h in range(H):
        Yh = target_sums_from_counts(nxt[h], V_next[h], sums[h])
        np.testing.assert_array_equal(Yh, Y[h])
        one = ridge_from_counts(phi_h[h], counts[h], Yh, lam=0.5, sigma2=sigma2)
        np.testing.assert_allclose(est.w[h], one.w, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(G[h], one.gram, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(norms[h], elliptical_norms(phi_h[h], one.gram), rtol=1e-12)
    # stationary features with per-stage counts broadcast the features
    phi = phi_h[0]
    G2 = gram_matrix(phi, counts, lam=0.5)
    for h in range(H):
        np.testing.assert_allclose(G2[h], gram_matrix(phi, counts[h], lam=0.5), rtol=1e-12)
    # second-moment targets: no rewards, V**2
    np.testing.assert_allclose(target_sums_from_counts(nxt, V_next ** 2),
                               np.einsum("hsat,ht->hsa", nxt, V_next ** 2), rtol=1e-12)


@given(st.integers(1, 4), st.integers(1, 3), st.floats(0.01, 10), st.integers(0, 2**31))
def test_one_hot_features_give_the_tabular_closed_forms(S, A, lam, seed):
    """phi = e_{sa}: ||e||_{Sigma^-1} = sqrt(v / (n + lam v)), w = Y / (n + lam v) [D]."""
    rng = np.random.default_rng(seed)
    phi = np.eye(S * A).reshape(S, A, S * A)
    counts = rng.integers(0, 50, size=(S, A))
    v = rng.uniform(0.5, 5.0, size=(S, A))
    Y = rng.random((S, A)) * counts
    est = ridge_from_counts(phi, counts, Y, lam=lam, sigma2=v)
    np.testing.assert_allclose(est.w.reshape(S, A), Y / (counts + lam * v), rtol=1e-12)
    np.testing.assert_allclose(elliptical_norms(phi, est.gram),
                               np.sqrt(v / (counts + lam * v)), rtol=1e-12)


@given(st.integers(1, 4), st.integers(1, 3), st.integers(1, 4), st.floats(0.05, 5),
       st.integers(0, 2**31))
def test_norm_properties(S, A, d, lam, seed):
    """Lambda >= lam I gives ||phi||_{Lambda^-1} <= ||phi|| / sqrt(lam); more data, smaller
    norms; Lambda symmetric positive definite; normal equations solved."""
    rng = np.random.default_rng(seed)
    phi = rng.normal(size=(S, A, d))
    counts = rng.integers(0, 30, size=(S, A))
    more = counts + rng.integers(0, 5, size=(S, A))
    G = gram_matrix(phi, counts, lam=lam)
    np.testing.assert_array_equal(G, G.T)
    assert np.linalg.eigvalsh(G)[0] >= lam * (1 - 1e-9)
    n1 = elliptical_norms(phi, G)
    assert np.all(n1 <= np.linalg.norm(phi, axis=-1) / np.sqrt(lam) * (1 + 1e-12))
    assert np.all(elliptical_norms(phi, gram_matrix(phi, more, lam=lam)) <= n1 * (1 + 1e-12))
    Y = rng.normal(size=(S, A)) * counts
    est = ridge_from_counts(phi, counts, Y, lam=lam)
    assert est.normal_residual < 1e-10


def test_degenerate_cases():
    rng = np.random.default_rng(3)
    phi = rng.normal(size=(3, 2, 4))
    zero = np.zeros((3, 2), dtype=int)
    # no data: Lambda = lam I, w = 0, norms = ||phi|| / sqrt(lam)
    est = ridge_from_counts(phi, zero, np.zeros((3, 2)), lam=2.0)
    np.testing.assert_array_equal(est.gram, 2.0 * np.eye(4))
    np.testing.assert_array_equal(est.w, np.zeros(4))
    np.testing.assert_allclose(elliptical_norms(phi, est.gram),
                               np.linalg.norm(phi, axis=-1) / np.sqrt(2.0), rtol=1e-14)
    # d = 1: scalar ridge w = sum phi Y / (lam + sum n phi^2)
    phi1 = np.array([[[1.0], [2.0]]])
    est = ridge_from_counts(phi1, [[3, 1]], [[1.5, 0.5]], lam=1.0)
    assert est.w[0] == pytest.approx((1.5 + 2 * 0.5) / (1 + 3 + 4), rel=1e-15)
    assert elliptical_norms(phi1, est.gram)[0, 1] == pytest.approx(2 / np.sqrt(8), rel=1e-15)
    # lam = 0 is fine when the visited features span R^d (ordinary least squares) ...
    est = ridge_from_counts(np.eye(2).reshape(1, 2, 2), [[2, 4]], [[1.0, 3.0]], lam=0.0)
    np.testing.assert_allclose(est.w, [0.5, 0.75], rtol=1e-15)
    # ... and ill-posed otherwise; lam > 0 makes it well-posed
    with pytest.raises(ValueError, match="^gram: not positive definite"):
        ridge_from_counts(np.eye(2).reshape(1, 2, 2), [[2, 0]], [[1.0, 0.0]], lam=0.0)
    est = ridge_from_counts(np.eye(2).reshape(1, 2, 2), [[2, 0]], [[1.0, 0.0]], lam=1e-3)
    np.testing.assert_allclose(est.w, [1.0 / 2.001, 0.0], rtol=1e-14)


@pytest.mark.parametrize("call, name", [
    (lambda: gram_matrix(np.ones((2, 2)), [[1, 1]]), "phi"),
    (lambda: gram_matrix(np.ones((1, 2, 0)), [[1, 1]]), "phi"),
    (lambda: gram_matrix(np.ones((1, 2, 3)), [[1, 1, 1]]), "counts"),
    (lambda: gram_matrix(np.ones((1, 2, 3)), [[1, -1]]), "counts"),
    (lambda: gram_matrix(np.ones((1, 2, 3)), [[1, 1.5]]), "counts"),
    (lambda: gram_matrix(np.ones((1, 2, 3)), [[1, 1]], lam=-1.0), "lam"),
    (lambda: gram_matrix(np.ones((1, 2, 3)), [[1, 1]], sigma2=[[1.0, 0.0]]), "sigma2"),
    (lambda: gram_matrix(np.ones((1, 2, 3)), [[1, 1]], sigma2=[[1.0, np.nan]]), "sigma2"),
    (lambda: gram_matrix(np.ones((2, 1, 2, 3)), np.ones((3, 1, 2), dtype=int)), "counts"),
    (lambda: ridge_from_counts(np.ones((1, 2, 3)), [[1, 0]], [[1.0, 2.0]]), "target_sums"),
    (lambda: ridge_from_counts(np.ones((1, 2, 3)), [[1, 0]], [[1.0]]), "target_sums"),
    (lambda: target_sums_from_counts(np.ones((1, 2, 2), dtype=int), np.ones(1)), "next_counts"),
    (lambda: target_sums_from_counts(np.ones((2, 1, 2), dtype=int), np.ones(3)), "V_next"),
    (lambda: target_sums_from_counts(np.ones((3, 2, 1, 2), dtype=int), np.ones((2, 2))),
     "V_next"),
    (lambda: target_sums_from_counts(np.ones((2, 1, 2), dtype=int), np.ones(2),
                                     np.ones((1, 2))), "reward_sums"),
    (lambda: elliptical_norms(np.ones((1, 1, 2)), np.eye(3)), "gram"),
    (lambda: elliptical_norms(np.ones((1, 1, 2)), [[1.0, 0.5], [0.0, 1.0]]), "gram"),
    (lambda: elliptical_norms(np.ones((1, 1, 2)), [[1.0, 0.0], [0.0, -1.0]]), "gram"),
    (lambda: elliptical_norms(np.ones((2, 1, 1, 2)), np.stack([np.eye(2)] * 3)), "gram"),
])
def test_bad_input_names_the_argument(call, name):
    with pytest.raises(ValueError, match=f"^{name}:"):
        call()


# ------------------------------------------------------------------ PNLSVI / PEVI additions
from rlth.estimators.linear import (coverage_kappa, feature_covariance,  # noqa: E402
                                    second_moment_sums_from_counts)


@pytest.mark.parametrize("seed", range(4))
def test_second_moment_sums_equal_per_sample_sums(seed):
    """Deterministic reward per cell: sum_k (r + V(s'_k))^2 from counts == per-sample sum."""
    rng = np.random.default_rng(seed)
    S, A, n = 4, 3, 200
    s, a, _, s2 = _samples(rng, S, A, n)
    rbar = rng.random((S, A))
    V = rng.uniform(0, 3, size=S)
    counts, _, nxt = _counts(s, a, rbar[s, a], s2, S, A)
    ref = np.zeros((S, A))
    np.add.at(ref, (s, a), (rbar[s, a] + V[s2]) ** 2)
    np.testing.assert_allclose(second_moment_sums_from_counts(nxt, V, rbar), ref, rtol=1e-12)
    ref0 = np.zeros((S, A))
    np.add.at(ref0, (s, a), V[s2] ** 2)
    np.testing.assert_allclose(second_moment_sums_from_counts(nxt, V), ref0, rtol=1e-12)
    # staged inputs equal the stagewise calls
    H = 2
    nxt_h = np.stack([nxt, nxt[::-1]])
    V_h = np.stack([V, V[::-1]])
    out = second_moment_sums_from_counts(nxt_h, V_h, np.stack([rbar, rbar]))
    for h in range(H):
        np.testing.assert_allclose(out[h], second_moment_sums_from_counts(nxt_h[h], V_h[h], rbar))


@given(st.integers(1, 4), st.integers(1, 3), st.integers(1, 4), st.floats(0.05, 5),
       st.floats(0.1, 20), st.integers(0, 2**31))
def test_constant_weights_equal_unweighted_ridge(S, A, d, lam, c, seed):
    """sigma2 = c everywhere: the weighted ridge with lam equals the unweighted one with lam * c
    (the objective is the unweighted one divided by c) [D]."""
    rng = np.random.default_rng(seed)
    phi = rng.normal(size=(S, A, d))
    counts = rng.integers(0, 30, size=(S, A))
    Y = rng.normal(size=(S, A)) * counts
    w1 = ridge_from_counts(phi, counts, Y, lam=lam, sigma2=np.full((S, A), c))
    w0 = ridge_from_counts(phi, counts, Y, lam=lam * c)
    np.testing.assert_allclose(w1.w, w0.w, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(w1.gram * c, w0.gram, rtol=1e-10, atol=1e-10)
    if c == 1.0:
        np.testing.assert_array_equal(w1.w, ridge_from_counts(phi, counts, Y, lam=lam).w)


def test_feature_covariance_and_kappa():
    rng = np.random.default_rng(1)
    S, A = 3, 2
    occ = rng.dirichlet(np.ones(S * A), size=2).reshape(2, S, A)
    onehot = np.eye(S * A).reshape(S, A, S * A)
    # one-hot: diagonal covariance, kappa = min occupancy
    C = feature_covariance(onehot, occ)
    np.testing.assert_allclose(C[1], np.diag(occ[1].reshape(-1)), atol=1e-15)
    assert coverage_kappa(onehot, occ) == pytest.approx(occ.min(), rel=1e-12)
    # a feature direction never logged: kappa = 0
    occ0 = occ.copy()
    occ0[0, 0, 0] = 0.0
    assert coverage_kappa(onehot, occ0) == pytest.approx(0.0, abs=1e-15)
    phi = rng.normal(size=(S, A, 2))
    ref = sum(occ[0, s, a] * np.outer(phi[s, a], phi[s, a]) for s in range(S) for a in range(A))
    np.testing.assert_allclose(feature_covariance(phi, occ[0]), ref, rtol=1e-12)


@pytest.mark.parametrize("call, name", [
    (lambda: second_moment_sums_from_counts(np.ones((2, 1, 3), dtype=int), np.ones(2)),
     "next_counts"),
    (lambda: second_moment_sums_from_counts(np.ones((2, 1, 2), dtype=int), np.ones(3)),
     "V_next"),
    (lambda: second_moment_sums_from_counts(np.ones((2, 1, 2), dtype=int), np.ones(2),
                                            np.ones((2, 2))), "reward_means"),
    (lambda: second_moment_sums_from_counts(np.ones((2, 1, 2), dtype=int), [np.nan, 1.0]),
     "V_next"),
    (lambda: feature_covariance(np.ones((2, 1, 2)), -np.ones((2, 1))), "occupancy"),
    (lambda: feature_covariance(np.ones((2, 1, 2)), np.ones((3, 1))), "occupancy"),
])
def test_pnlsvi_helpers_bad_input(call, name):
    with pytest.raises(ValueError, match=f"^{name}:"):
        call()
