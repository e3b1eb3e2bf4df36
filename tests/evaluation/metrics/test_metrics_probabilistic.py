"""Score and probability metrics against scikit-learn, plus the edge cases we decided."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

from aihub.evaluation.metrics import MetricError, MetricParams, get_metric
from aihub.evaluation.metrics.probabilistic import ROW_SUM_TOLERANCE

Array = np.ndarray[Any, Any]


@st.composite
def binary_scores(draw: st.DrawFn) -> tuple[Array, Array]:
    """Both classes present; scores continuous, heavily tied, or exactly 0 and 1."""
    n = draw(st.integers(2, 400))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    true = (rng.random(n) < draw(st.floats(0.05, 0.95))).astype(int)
    true[:2] = [0, 1]
    rng.shuffle(true)
    scores = rng.random(n) + draw(st.floats(0, 2)) * true
    ties = draw(st.sampled_from(["none", "rounded", "extremes"]))
    if ties == "rounded":
        scores = np.round(scores, 1)
    elif ties == "extremes":
        scores = np.clip(np.round(scores * 3) / 3, 0.0, 1.0)
    return true, np.clip(scores / max(float(scores.max()), 1.0), 0.0, 1.0)


@settings(max_examples=80, deadline=None)
@given(data=binary_scores(), text=st.booleans())
def test_roc_auc_matches_sklearn(data: tuple[Array, Array], text: bool) -> None:
    true, scores = data
    labels = np.array(["neg", "pos"])[true] if text else true
    expected = skm.roc_auc_score(labels, scores)
    assert get_metric("roc_auc")(labels, scores) == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_roc_auc_positive_label_picks_the_other_class() -> None:
    true, scores = np.array([1, 2, 2, 1, 2]), np.array([0.1, 0.4, 0.35, 0.8, 0.9])
    ours = get_metric("roc_auc")(true, scores, MetricParams(positive_label=1))
    assert ours == pytest.approx(skm.roc_auc_score(true == 1, scores))


def test_roc_auc_all_ties_is_half() -> None:
    assert get_metric("roc_auc")(np.array([0, 1, 0, 1]), np.full(4, 0.3)) == 0.5


def test_roc_auc_one_class_is_error() -> None:
    with pytest.raises(MetricError, match="only one class"):
        get_metric("roc_auc")(np.ones(5, dtype=int), np.linspace(0, 1, 5))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("name", ["roc_auc", "average_precision", "log_loss"])
def test_non_finite_score_is_error(name: str, bad: float) -> None:
    scores = np.array([0.1, 0.5, bad, 0.2])
    with pytest.raises(MetricError, match="NaN or infinite"):
        get_metric(name)(np.array([0, 1, 1, 0]), scores)


@pytest.mark.parametrize("name", ["roc_auc", "average_precision", "log_loss"])
def test_binary_metrics_reject_three_classes(name: str) -> None:
    with pytest.raises(MetricError, match="binary"):
        get_metric(name)(np.array([0, 1, 2]), np.array([0.1, 0.5, 0.9]))


@settings(max_examples=80, deadline=None)
@given(data=binary_scores())
def test_average_precision_matches_sklearn(data: tuple[Array, Array]) -> None:
    true, scores = data
    expected = skm.average_precision_score(true, scores)
    ours = get_metric("average_precision")(true, scores)
    assert ours == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_average_precision_without_positives_matches_sklearn() -> None:
    true, scores = np.zeros(4, dtype=int), np.array([0.1, 0.9, 0.9, 0.3])
    with pytest.warns(UserWarning, match="No positive class"):
        expected = skm.average_precision_score(true, scores)
    assert get_metric("average_precision")(true, scores) == expected == 0.0
    assert get_metric("average_precision")(np.ones(4, dtype=int), scores) == 1.0


@settings(max_examples=80, deadline=None)
@given(data=binary_scores(), text=st.booleans())
def test_binary_log_loss_matches_sklearn(data: tuple[Array, Array], text: bool) -> None:
    true, probabilities = data
    labels = np.array(["ham", "spam"])[true] if text else true
    expected = skm.log_loss(labels, probabilities)
    ours = get_metric("log_loss")(labels, probabilities)
    assert ours == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_binary_log_loss_one_class_takes_1_as_positive() -> None:
    true, probabilities = np.zeros(3, dtype=int), np.array([0.0, 0.2, 1.0])
    expected = skm.log_loss(true, probabilities, labels=[0, 1])
    assert get_metric("log_loss")(true, probabilities) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("bad", [-0.01, 1.01])
def test_log_loss_probability_outside_unit_interval_is_error(bad: float) -> None:
    with pytest.raises(MetricError, match="between 0 and 1"):
        get_metric("log_loss")(np.array([0, 1]), np.array([0.5, bad]))


@st.composite
def class_probabilities(draw: st.DrawFn) -> tuple[Array, Array, list[str]]:
    """Text labels, rows normalised to 1; some rows put exactly 1 on one class."""
    k = draw(st.integers(3, 6))
    n = draw(st.integers(k, 300))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    true = rng.integers(0, k, n)
    true[:k] = np.arange(k)
    rng.shuffle(true)
    raw = rng.random((n, k)) ** draw(st.floats(0.2, 4)) + np.eye(k)[true] * draw(st.floats(0, 3))
    raw = np.where(rng.random((n, 1)) < 0.1, np.eye(k)[rng.integers(0, k, n)], raw)
    if draw(st.booleans()):
        raw = np.round(raw, 1) + 1e-3
    probabilities = raw / raw.sum(axis=1, keepdims=True)
    names = sorted(f"class {i}" for i in range(k))
    return np.array(names)[true], probabilities, names


@settings(max_examples=60, deadline=None)
@given(data=class_probabilities(), seed=st.integers(0, 1000))
def test_multiclass_log_loss_matches_sklearn(
    data: tuple[Array, Array, list[str]], seed: int
) -> None:
    true, probabilities, names = data
    expected = skm.log_loss(true, probabilities, labels=names)
    # Our columns follow metric_params.labels, in any order.
    order = np.random.default_rng(seed).permutation(len(names))
    params = MetricParams(labels=tuple(names[i] for i in order))
    ours = get_metric("log_loss")(true, probabilities[:, order], params)
    assert ours == pytest.approx(expected, rel=1e-9, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(data=class_probabilities(), seed=st.integers(0, 1000))
def test_roc_auc_ovr_matches_sklearn(data: tuple[Array, Array, list[str]], seed: int) -> None:
    true, probabilities, names = data
    expected = skm.roc_auc_score(true, probabilities, multi_class="ovr", labels=names)
    order = np.random.default_rng(seed).permutation(len(names))
    params = MetricParams(labels=tuple(names[i] for i in order))
    ours = get_metric("roc_auc_ovr")(true, probabilities[:, order], params)
    assert ours == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_class_probabilities_default_to_sorted_solution_labels() -> None:
    true = np.array([2, 0, 1, 1])
    probabilities = np.array([[0.1, 0.2, 0.7], [0.8, 0.1, 0.1], [0.3, 0.4, 0.3], [0.2, 0.2, 0.6]])
    assert get_metric("log_loss")(true, probabilities) == pytest.approx(
        skm.log_loss(true, probabilities)
    )
    assert get_metric("roc_auc_ovr")(true, probabilities) == pytest.approx(
        skm.roc_auc_score(true, probabilities, multi_class="ovr")
    )


def test_log_loss_rows_within_tolerance_match_sklearn_without_renormalising() -> None:
    true = np.array([0, 1, 2])
    probabilities = np.array([[0.5, 0.3, 0.2], [0.2, 0.6, 0.2], [0.1, 0.1, 0.8]])
    probabilities[:, 0] += 0.5 * ROW_SUM_TOLERANCE
    with pytest.warns(UserWarning, match="do not sum to one"):
        expected = skm.log_loss(true, probabilities)
    assert get_metric("log_loss")(true, probabilities) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("name", ["log_loss", "roc_auc_ovr"])
def test_rows_not_summing_to_one_are_error(name: str) -> None:
    """Otherwise predicting 1 for every class would score a perfect log loss."""
    with pytest.raises(MetricError, match="sum to 1"):
        get_metric(name)(np.array([0, 1, 2]), np.ones((3, 3)))


@pytest.mark.parametrize("name", ["log_loss", "roc_auc_ovr"])
def test_class_probabilities_column_and_label_checks(name: str) -> None:
    probabilities = np.full((3, 3), 1 / 3)
    with pytest.raises(MetricError, match="one probability column per class"):
        get_metric(name)(np.array([0, 1, 2]), probabilities, MetricParams(labels=(0, 1)))
    with pytest.raises(MetricError, match=r"not in metric_params\.labels"):
        get_metric(name)(np.array([0, 1, 7]), probabilities, MetricParams(labels=(0, 1, 2)))
    with pytest.raises(MetricError, match="NaN"):
        get_metric(name)(np.array([0, 1, 2]), np.full((3, 3), np.nan))


def test_roc_auc_ovr_class_without_rows_is_error() -> None:
    probabilities = np.full((3, 3), 1 / 3)
    with pytest.raises(MetricError, match="only one class"):
        get_metric("roc_auc_ovr")(
            np.array([0, 1, 1]), probabilities, MetricParams(labels=(0, 1, 2))
        )


def test_log_loss_exact_zero_and_one_are_clipped_like_sklearn() -> None:
    true, probabilities = np.array([0, 1, 1, 0]), np.array([0.0, 1.0, 0.0, 1.0])
    expected = skm.log_loss(true, probabilities)
    assert get_metric("log_loss")(true, probabilities) == pytest.approx(expected, rel=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isfinite(get_metric("log_loss")(true, probabilities))


def test_binary_log_loss_from_one_or_two_columns_agree() -> None:
    true = np.array(["no", "yes", "yes", "no"])
    positive = np.array([0.2, 0.7, 0.9, 0.4])
    two_columns = np.column_stack([1 - positive, positive])
    metric = get_metric("log_loss")
    one = metric(true, positive)
    assert metric(true, positive[:, None]) == one
    assert metric(true, two_columns, MetricParams(labels=("no", "yes"))) == pytest.approx(one)
