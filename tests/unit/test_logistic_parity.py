"""The one logistic fit, Platt, fusion and isotonic calibration against scikit-learn; stable sigmoid/softmax."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from entailkit._numeric import fit_logistic, sigmoid, softmax
from entailkit.scorers import heads
from entailkit.tasks import _calibration_fit
from entailkit.tasks._calibration_fit import fit_isotonic, fit_platt, platt_targets
from entailkit.tasks.calibration import fit_calibrator
from entailkit.train.fusion import fit_fusion

sklearn_linear = pytest.importorskip("sklearn.linear_model")
sklearn_isotonic = pytest.importorskip("sklearn.isotonic")

TOL = 1e-4


def _sklearn_logistic(x: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """scikit-learn's unpenalised fit (C=inf: ``penalty=None`` is deprecated in 1.8+), tight tolerance."""
    model = sklearn_linear.LogisticRegression(C=np.inf, solver="newton-cg", tol=1e-12, max_iter=10_000)
    model.fit(x, y, sample_weight=w)
    return model.coef_.ravel(), float(model.intercept_[0])


def _noisy(seed: int, n: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    """Features and labels drawn from a logistic model: overlapping classes, so a finite optimum."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d))
    true = rng.normal(size=d)
    y = (rng.random(n) < sigmoid(x @ true - 0.3)).astype(np.float64)
    return x, y


@pytest.mark.parametrize(("seed", "n", "d"), [(0, 200, 1), (1, 80, 1), (2, 300, 3), (3, 500, 5)])
def test_fit_logistic_matches_sklearn(seed: int, n: int, d: int) -> None:
    x, y = _noisy(seed, n, d)
    weights, intercept = fit_logistic(x, y)
    ref_w, ref_b = _sklearn_logistic(x, y)
    assert np.max(np.abs(weights - ref_w)) < TOL
    assert abs(intercept - ref_b) < TOL
    assert np.max(np.abs(sigmoid(x @ weights + intercept) - sigmoid(x @ ref_w + ref_b))) < TOL


def test_fit_logistic_matches_sklearn_with_sample_weights() -> None:
    x, y = _noisy(4, 150, 2)
    w = np.random.default_rng(5).uniform(0.1, 3.0, size=y.size)
    weights, intercept = fit_logistic(x, y, sample_weight=w)
    ref_w, ref_b = _sklearn_logistic(x, y, w)
    assert np.max(np.abs(weights - ref_w)) < TOL and abs(intercept - ref_b) < TOL


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_platt_matches_sklearn_on_platts_targets(seed: int) -> None:
    """Platt's soft targets t are sklearn's hard labels doubled: a positive of weight t, a negative of 1 - t."""
    z, y = _noisy(seed + 10, 120, 1)
    z = z.ravel() * 2.0
    t = platt_targets(y)
    slope, intercept = fit_platt(z, y)
    ref_w, ref_b = _sklearn_logistic(
        np.concatenate([z, z])[:, None], np.concatenate([np.ones_like(t), np.zeros_like(t)]), np.concatenate([t, 1 - t])
    )
    assert abs(slope - ref_w[0]) < TOL and abs(intercept - ref_b) < TOL
    assert np.max(np.abs(sigmoid(slope * z + intercept) - sigmoid(ref_w[0] * z + ref_b))) < TOL


def test_platt_is_finite_on_separable_scores() -> None:
    """Platt's targets are never 0 or 1, so even perfectly separated scores have a finite fit."""
    z = np.array([-3.0, -2.0, -1.0, 1.0, 2.0, 3.0])
    slope, intercept = fit_platt(z, np.array([0.0, 0, 0, 1, 1, 1]))
    assert np.isfinite([slope, intercept]).all() and slope > 0


@pytest.mark.parametrize("seed", [0, 1])
def test_fusion_without_ridge_matches_sklearn(seed: int) -> None:
    x, y = _noisy(seed + 20, 250, 1)
    fusion = fit_fusion(x.ravel(), y, ridge=0.0)
    ref_w, ref_b = _sklearn_logistic(x, y)
    assert abs(fusion.scale - ref_w[0]) < TOL and abs(fusion.bias - ref_b) < TOL


def test_fit_logistic_on_separable_data_is_finite_and_deterministic() -> None:
    x = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    y = np.array([0.0, 0.0, 1.0, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        first = fit_logistic(x, y, max_iter=50)
    second = fit_logistic(x, y, max_iter=50)
    assert np.isfinite(first[0]).all() and first[0][0] > 5.0
    assert np.array_equal(first[0], second[0]) and first[1] == second[1]
    ridged, _ = fit_logistic(x, y, ridge=1e-2)
    assert 0 < ridged[0] < first[0][0]


def _isotonic_cases() -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(7)
    cases = []
    for n in (30, 200):
        x = rng.random(n)
        cases.append((x, (rng.random(n) < x).astype(np.float64)))
    tied = np.round(rng.random(150), 1)  # heavy ties in x
    cases.append((tied, (rng.random(150) < tied).astype(np.float64)))
    cases.append((np.array([0.2, 0.2, 0.5, 0.5, 0.5, 0.9]), np.array([1.0, 0.0, 0.0, 1.0, 0.0, 1.0])))
    return cases


@pytest.mark.parametrize(("x", "y"), _isotonic_cases())
def test_isotonic_matches_sklearn(x: np.ndarray, y: np.ndarray) -> None:
    reference = sklearn_isotonic.IsotonicRegression(out_of_bounds="clip").fit(x, y)
    knots_x, knots_y = fit_isotonic(x, y)
    fitted = np.interp(x, knots_x, knots_y)
    assert np.max(np.abs(fitted - reference.predict(x))) < TOL
    grid = np.linspace(-0.1, 1.1, 301)  # between, on and beyond the knots
    assert np.max(np.abs(np.interp(grid, knots_x, knots_y) - reference.predict(grid))) < TOL


def test_isotonic_calibrator_predicts_as_sklearn() -> None:
    x, y = _isotonic_cases()[2]
    calibrator = fit_calibrator(x.tolist(), y.astype(int).tolist(), method="isotonic")
    reference = sklearn_isotonic.IsotonicRegression(out_of_bounds="clip").fit(x, y)
    grid = np.linspace(0.0, 1.0, 101)
    assert np.max(np.abs(np.array(calibrator.transform(grid.tolist())) - reference.predict(grid))) < TOL


def test_sigmoid_is_stable_and_exact_at_the_limits() -> None:
    z = np.array([-1e308, -1000.0, -745.0, -40.0, 0.0, 40.0, 1000.0, 1e308])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = sigmoid(z)
    assert p[0] == 0.0 and p[1] == 0.0 and p[-1] == 1.0 and p[-2] == 1.0 and p[4] == 0.5
    assert np.all(np.diff(p) >= 0)
    assert sigmoid(np.float32(3.0)).dtype == np.float64


def test_softmax_is_stable_and_rows_sum_to_one() -> None:
    logits = np.array([[1e308, 0.0, -1e308], [1000.0, 1000.0, 1000.0], [-1000.0, 0.0, 1000.0], [1.0, 2.0, 3.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = softmax(logits)
    assert np.allclose(p.sum(axis=1), 1.0, atol=1e-15)
    assert p[0].tolist() == [1.0, 0.0, 0.0] and np.allclose(p[1], 1 / 3)
    assert np.allclose(softmax(logits, axis=0).sum(axis=0), 1.0)


def test_one_definition_of_sigmoid_and_softmax() -> None:
    assert heads.sigmoid is sigmoid and heads.softmax is softmax
    assert _calibration_fit.sigmoid is sigmoid
