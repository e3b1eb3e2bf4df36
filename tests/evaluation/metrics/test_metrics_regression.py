"""Regression metrics against scikit-learn (SMAPE against a direct formula)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

from aihub.evaluation.metrics import MetricError, get_metric

Array = np.ndarray[Any, Any]


def reference_smape(true: Array, pred: Array) -> float:
    """Kaggle's SMAPE / 100, 0/0 counted as 0, averaged over target columns."""
    true, pred = np.atleast_2d(true.T).T, np.atleast_2d(pred.T).T
    columns = []
    for j in range(true.shape[1]):
        terms = [
            abs(p - t) / ((abs(t) + abs(p)) / 2) if abs(t) + abs(p) > 0 else 0.0
            for t, p in zip(true[:, j], pred[:, j], strict=True)
        ]
        columns.append(sum(terms) / len(terms))
    return sum(columns) / len(columns)


REFERENCE: dict[str, Callable[[Array, Array], float]] = {
    "rmse": skm.root_mean_squared_error,
    "mae": skm.mean_absolute_error,
    "mape": skm.mean_absolute_percentage_error,
    "r2": skm.r2_score,
    "rmsle": skm.root_mean_squared_log_error,
    "smape": reference_smape,
}


@st.composite
def targets(draw: st.DrawFn) -> tuple[Array, Array]:
    """Non-negative targets (so RMSLE applies), 1-D or 2-D, sometimes long or with zeros."""
    n = draw(st.sampled_from([2, 3, 17, 1000, 70_000]))
    columns = draw(st.sampled_from([0, 1, 3]))
    shape = (n,) if columns == 0 else (n, columns)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    scale = draw(st.sampled_from([1e-3, 1.0, 1e6]))
    true = rng.gamma(2.0, scale, shape)
    pred = true * rng.lognormal(0, draw(st.floats(0, 1)), shape)
    if draw(st.booleans()):
        true[rng.random(shape) < 0.1] = 0.0
        pred[rng.random(shape) < 0.1] = 0.0
    return true, pred


@pytest.mark.parametrize("name", sorted(REFERENCE))
@settings(max_examples=25, deadline=None)
@given(data=targets())
def test_matches_reference(name: str, data: tuple[Array, Array]) -> None:
    true, pred = data
    if name == "smape" and true.shape[0] > 1000:
        true, pred = true[:1000], pred[:1000]  # the reference is a Python loop
    np.testing.assert_allclose(get_metric(name)(true, pred), REFERENCE[name](true, pred), rtol=1e-9)


def test_r2_constant_truth_follows_force_finite() -> None:
    true = np.full(4, 3.0)
    assert get_metric("r2")(true, true.copy()) == skm.r2_score(true, true) == 1.0
    pred = np.array([3.0, 3.0, 3.0, 4.0])
    assert get_metric("r2")(true, pred) == skm.r2_score(true, pred) == 0.0


def test_r2_one_row_is_error() -> None:
    with pytest.raises(MetricError, match="two rows"):
        get_metric("r2")(np.array([1.0]), np.array([1.0]))


def test_mape_zero_truth_uses_epsilon_like_sklearn() -> None:
    true, pred = np.array([0.0, 1.0]), np.array([0.5, 1.0])
    ours = get_metric("mape")(true, pred)
    assert ours == skm.mean_absolute_percentage_error(true, pred)
    assert ours > 1e14


def test_rmsle_values_between_minus_one_and_zero_match_sklearn() -> None:
    true, pred = np.array([0.5, 2.0]), np.array([-0.5, 1.0])
    assert get_metric("rmsle")(true, pred) == pytest.approx(
        skm.root_mean_squared_log_error(true, pred), rel=1e-12
    )


def test_rmsle_minus_one_or_less_is_error() -> None:
    with pytest.raises(MetricError, match="greater than -1"):
        get_metric("rmsle")(np.array([0.5, 2.0]), np.array([-1.0, 1.0]))
    with pytest.raises(MetricError, match="cannot score this solution"):
        get_metric("rmsle")(np.array([-2.0, 2.0]), np.array([1.0, 1.0]))


def test_smape_both_zero_counts_zero() -> None:
    assert get_metric("smape")(np.array([0.0, 2.0]), np.array([0.0, 2.0])) == 0.0
    assert get_metric("smape")(np.array([0.0]), np.array([5.0])) == 2.0


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_non_finite_prediction_is_error(name: str, bad: float) -> None:
    with pytest.raises(MetricError, match="NaN or infinite"):
        get_metric(name)(np.array([1.0, 2.0, 3.0]), np.array([1.0, bad, 3.0]))


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_shape_and_type_errors(name: str) -> None:
    with pytest.raises(MetricError, match="no rows"):
        get_metric(name)(np.array([]), np.array([]))
    with pytest.raises(MetricError, match="one value per target"):
        get_metric(name)(np.ones((3, 2)), np.ones((3, 3)))
    with pytest.raises(MetricError, match="numbers"):
        get_metric(name)(np.ones(2), np.array(["a", "b"]))


def test_single_column_matrix_prediction_is_accepted() -> None:
    true, pred = np.array([1.0, 2.0]), np.array([[1.0], [4.0]])
    assert get_metric("rmse")(true, pred) == pytest.approx(np.sqrt(2.0))
