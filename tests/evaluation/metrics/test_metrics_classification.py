"""Label metrics against scikit-learn on random inputs, plus the edge cases we decided."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm
from sklearn.exceptions import UndefinedMetricWarning

from aihub.evaluation.metrics import MetricError, MetricParams, get_metric

Array = np.ndarray[Any, Any]


def sklearn_value(function: Callable[..., float], *args: Any, **kwargs: Any) -> float:
    """scikit-learn's value, with the warnings it emits on zero divisions silenced.

    UndefinedMetricWarning (a class never predicted), balanced_accuracy's "y_pred contains
    classes not in y_true" and confusion_matrix's "A single label was found" are cases
    where we return the same value silently.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        warnings.filterwarnings("ignore", "y_pred contains classes not in y_true")
        warnings.filterwarnings("ignore", "A single label was found")
        return float(function(*args, **kwargs))


@st.composite
def label_pairs(draw: st.DrawFn) -> tuple[Array, Array]:
    """Random (y_true, y_pred) label arrays: ints, large ints, negative ints or text."""
    n = draw(st.integers(1, 300))
    n_classes = draw(st.integers(1, 7))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    true = rng.integers(0, n_classes, n)
    # Predictions: often right, sometimes a class the solution does not have.
    noise = rng.integers(0, n_classes + draw(st.integers(0, 2)), n)
    pred = np.where(rng.random(n) < draw(st.floats(0, 1)), true, noise)
    encoding = draw(st.sampled_from(["small", "large", "negative", "text", "object"]))
    if encoding == "large":
        return true * 1_000_003, pred * 1_000_003
    if encoding == "negative":
        return true - 3, pred - 3
    if encoding == "text":
        return np.char.add("class-", true.astype(str)), np.char.add("class-", pred.astype(str))
    if encoding == "object":
        names = np.array([f"c{i}" for i in range(n_classes + 2)], dtype=object)
        return names[true], names[pred]
    return true, pred


SKLEARN_MULTICLASS: dict[str, Callable[[Array, Array], float]] = {
    "accuracy": skm.accuracy_score,
    "balanced_accuracy": skm.balanced_accuracy_score,
    "f1_macro": lambda t, p: skm.f1_score(t, p, average="macro"),
    "f1_micro": lambda t, p: skm.f1_score(t, p, average="micro"),
    "f1_weighted": lambda t, p: skm.f1_score(t, p, average="weighted"),
    "mcc": skm.matthews_corrcoef,
    "quadratic_weighted_kappa": lambda t, p: skm.cohen_kappa_score(
        t, p, weights="quadratic", replace_undefined_by=0.0
    ),
}


@pytest.mark.parametrize("name", sorted(SKLEARN_MULTICLASS))
@settings(max_examples=60, deadline=None)
@given(pair=label_pairs())
def test_multiclass_metric_matches_sklearn(name: str, pair: tuple[Array, Array]) -> None:
    true, pred = pair
    expected = sklearn_value(SKLEARN_MULTICLASS[name], true, pred)
    np.testing.assert_allclose(get_metric(name)(true, pred), expected, rtol=1e-9, atol=1e-12)


SKLEARN_BINARY = {"f1": skm.f1_score, "precision": skm.precision_score, "recall": skm.recall_score}


@st.composite
def binary_labels(draw: st.DrawFn) -> tuple[Array, Array, str | int]:
    """Random binary (y_true, y_pred) and a positive label, numbers or text."""
    n = draw(st.integers(1, 200))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    labels = draw(st.sampled_from([(0, 1), (1, 2), ("no", "yes"), ("a", "1")]))
    values = np.array(labels)
    true = values[(rng.random(n) < draw(st.floats(0, 1))).astype(int)]
    pred = values[(rng.random(n) < draw(st.floats(0, 1))).astype(int)]
    return true, pred, draw(st.sampled_from(labels))


@pytest.mark.parametrize("name", sorted(SKLEARN_BINARY))
@settings(max_examples=60, deadline=None)
@given(case=binary_labels())
def test_binary_metric_matches_sklearn(name: str, case: tuple[Array, Array, str | int]) -> None:
    true, pred, positive = case
    expected = sklearn_value(SKLEARN_BINARY[name], true, pred, pos_label=positive)
    ours = get_metric(name)(true, pred, MetricParams(positive_label=positive))
    np.testing.assert_allclose(ours, expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", ["f1", "precision", "recall"])
def test_binary_default_positive_label_is_1(name: str) -> None:
    true = np.array([0, 1, 1, 0, 1])
    pred = np.array([0, 1, 0, 1, 1])
    expected = sklearn_value(SKLEARN_BINARY[name], true, pred)
    assert get_metric(name)(true, pred) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("name", ["f1", "precision", "recall"])
def test_binary_text_labels_need_positive_label(name: str) -> None:
    with pytest.raises(MetricError, match="positive_label"):
        get_metric(name)(np.array(["no", "yes"]), np.array(["yes", "yes"]))


def test_binary_positive_label_from_yaml_text_matches_int_labels() -> None:
    true, pred = np.array([0, 1, 1, 0]), np.array([1, 1, 0, 0])
    assert get_metric("f1")(true, pred, MetricParams(positive_label="1")) == 0.5


def test_binary_positive_label_absent_from_two_labels_is_error() -> None:
    with pytest.raises(MetricError, match="positive_label"):
        get_metric("recall")(np.array([0, 2]), np.array([2, 0]))


@pytest.mark.parametrize("name", ["f1", "precision", "recall"])
def test_binary_positive_label_absent_from_single_label_scores_zero(name: str) -> None:
    # scikit-learn: 0 / 0 with zero_division="warn" gives 0.
    true = pred = np.zeros(5, dtype=int)
    assert get_metric(name)(true, pred) == sklearn_value(SKLEARN_BINARY[name], true, pred) == 0


def test_binary_metric_rejects_three_labels() -> None:
    with pytest.raises(MetricError, match="binary"):
        get_metric("f1")(np.array([0, 1, 2]), np.array([0, 1, 1]))


@pytest.mark.parametrize("name", sorted(SKLEARN_MULTICLASS))
def test_one_class_only(name: str) -> None:
    true = np.array(["x"] * 6)
    for pred in (true, np.array(["x", "y", "x", "x", "z", "x"])):
        expected = sklearn_value(SKLEARN_MULTICLASS[name], true, pred)
        assert get_metric(name)(true, pred) == pytest.approx(expected, abs=1e-12)


def test_kappa_is_zero_for_every_constant_prediction() -> None:
    """The undefined case must look like any other constant prediction (no label leak)."""
    true = np.array([2, 2, 2, 2])
    kappa = get_metric("quadratic_weighted_kappa")
    assert kappa(true, np.full(4, 2)) == kappa(true, np.full(4, 1)) == 0.0


def test_kappa_weights_use_positions_of_present_labels() -> None:
    true, pred = np.array([1, 5, 9, 9]), np.array([1, 9, 5, 9])
    expected = skm.cohen_kappa_score(true, pred, weights="quadratic")
    assert get_metric("quadratic_weighted_kappa")(true, pred) == pytest.approx(expected)


def test_kappa_with_many_classes_matches_sklearn() -> None:
    rng = np.random.default_rng(7)
    true = rng.integers(0, 400, 3000)
    pred = np.clip(true + rng.integers(-5, 6, 3000), 0, 420)
    expected = skm.cohen_kappa_score(true, pred, weights="quadratic")
    assert get_metric("quadratic_weighted_kappa")(true, pred) == pytest.approx(expected, rel=1e-9)


def test_variable_width_text_labels() -> None:
    text = np.dtypes.StringDType()
    true, pred = np.array(["a", "b", "b"], dtype=text), np.array(["a", "a", "b"], dtype=text)
    assert get_metric("f1_macro")(true, pred) == pytest.approx(
        skm.f1_score(true.astype(object), pred.astype(object), average="macro")
    )


def test_bool_labels() -> None:
    true, pred = np.array([True, False, True]), np.array([True, True, True])
    assert get_metric("f1_macro")(true, pred) == pytest.approx(
        skm.f1_score(true, pred, average="macro")
    )


@pytest.mark.parametrize("name", [*sorted(SKLEARN_MULTICLASS), "f1"])
def test_text_against_number_labels_is_error(name: str) -> None:
    with pytest.raises(MetricError, match="same type"):
        get_metric(name)(np.array(["0", "1"]), np.array([0, 1]))


@pytest.mark.parametrize("name", [*sorted(SKLEARN_MULTICLASS), "f1"])
def test_empty_and_mismatched_inputs(name: str) -> None:
    with pytest.raises(MetricError, match="no rows"):
        get_metric(name)(np.array([], dtype=int), np.array([], dtype=int))
    with pytest.raises(MetricError, match="one row per solution row"):
        get_metric(name)(np.array([0, 1]), np.array([0]))


def test_nan_predicted_label_is_error() -> None:
    with pytest.raises(MetricError, match="NaN"):
        get_metric("accuracy")(np.array([0.0, 1.0]), np.array([0.0, np.nan]))


def test_error_messages_reveal_no_label() -> None:
    secret = np.array(["SECRET-A", "SECRET-B", "SECRET-C"])
    calls: list[tuple[str, Array, MetricParams]] = [
        ("f1", secret, MetricParams(positive_label="SECRET-A")),
        ("f1", secret[:2], MetricParams()),
        ("f1", secret[:2], MetricParams(positive_label="zzz")),
    ]
    for name, true, params in calls:
        with pytest.raises(MetricError) as caught:
            get_metric(name)(true, np.array(["SECRET-A"] * true.shape[0]), params)
        assert "SECRET" not in str(caught.value)
