"""MAP@K against a reference apk/mapk (Kaggle's ml_metrics) and NDCG@K against scikit-learn."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

from aihub.evaluation.metrics import MetricError, MetricParams, get_metric

Array = np.ndarray[Any, Any]


def reference_apk(actual: list[str], predicted: list[str], k: int) -> float:
    """ml_metrics.average_precision.apk, verbatim apart from names."""
    if len(predicted) > k:
        predicted = predicted[:k]
    score = 0.0
    num_hits = 0.0
    for i, p in enumerate(predicted):
        if p in actual and p not in predicted[:i]:
            num_hits += 1.0
            score += num_hits / (i + 1.0)
    if not actual:
        return 0.0
    return score / min(len(actual), k)


def reference_mapk(actual: list[list[str]], predicted: list[list[str]], k: int) -> float:
    return float(np.mean([reference_apk(a, p, k) for a, p in zip(actual, predicted, strict=True)]))


ids = st.sampled_from([f"item{i}" for i in range(12)])


@settings(max_examples=100, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.lists(ids, max_size=5, unique=True), st.lists(ids, max_size=15)),
        min_size=1,
        max_size=30,
    ),
    k=st.integers(1, 20),
)
def test_map_at_k_matches_reference(rows: list[tuple[list[str], list[str]]], k: int) -> None:
    actual = [a for a, _ in rows]
    predicted = [p for _, p in rows]
    true = np.array([" ".join(a) for a in actual])
    pred = np.array([" ".join(p) for p in predicted], dtype=object)
    ours = get_metric("map_at_k")(true, pred, MetricParams(k=k))
    assert ours == pytest.approx(reference_mapk(actual, predicted, k), rel=1e-12, abs=1e-15)


def test_map_at_k_conventions() -> None:
    metric, params = get_metric("map_at_k"), MetricParams(k=3)
    # A row without relevant ids scores 0 and counts (ml_metrics); k beyond the list is fine.
    assert metric(np.array(["", "a"]), np.array(["a b", "a"]), params) == 0.5
    # A repeated prediction takes a place but hits once; repeated relevant ids count once.
    assert metric(np.array(["a b"]), np.array(["a a b"]), params) == pytest.approx((1 + 2 / 3) / 2)
    assert metric(np.array(["a a"]), np.array(["a"]), params) == 1.0
    # Extra spaces are ignored; an empty prediction scores 0.
    assert metric(np.array(["a  b "]), np.array(["  b a"]), params) == 1.0
    assert metric(np.array(["a"]), np.array([""]), params) == 0.0


@pytest.mark.parametrize("name", ["map_at_k", "ndcg_at_k"])
@pytest.mark.parametrize("k", [None, 0])
def test_k_is_required(name: str, k: int | None) -> None:
    with pytest.raises(MetricError, match=r"metric_params\.k"):
        get_metric(name)(np.array(["a", "b"]), np.array(["a", "b"]), MetricParams(k=k))


def test_map_at_k_rejects_non_text() -> None:
    with pytest.raises(MetricError, match="text"):
        get_metric("map_at_k")(np.array(["a"]), np.array([None], dtype=object), MetricParams(k=1))


@st.composite
def relevance(draw: st.DrawFn) -> tuple[Array, Array]:
    """Graded or binary relevance; scores continuous or heavily tied."""
    rows = draw(st.integers(1, 40))
    items = draw(st.integers(2, 12))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    true = rng.integers(0, draw(st.integers(1, 5)), (rows, items)).astype(float)
    scores = true + rng.normal(0, draw(st.floats(0.1, 5)), (rows, items))
    if draw(st.booleans()):
        scores = np.round(scores)
    return true, scores


@settings(max_examples=100, deadline=None)
@given(data=relevance(), k=st.integers(1, 14))
def test_ndcg_at_k_matches_sklearn(data: tuple[Array, Array], k: int) -> None:
    true, scores = data
    expected = skm.ndcg_score(true, scores, k=k)
    ours = get_metric("ndcg_at_k")(true, scores, MetricParams(k=k))
    assert ours == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_ndcg_all_ties_and_no_relevant_rows() -> None:
    true = np.array([[0.0, 1.0, 2.0], [0.0, 0.0, 0.0]])
    scores = np.zeros((2, 3))
    for k in (1, 2, 5):
        expected = skm.ndcg_score(true, scores, k=k)
        assert get_metric("ndcg_at_k")(true, scores, MetricParams(k=k)) == pytest.approx(expected)


def test_ndcg_input_errors() -> None:
    metric, params = get_metric("ndcg_at_k"), MetricParams(k=2)
    with pytest.raises(MetricError, match="relevance must be 0 or more"):
        metric(np.array([[-1.0, 1.0]]), np.array([[0.1, 0.2]]), params)
    with pytest.raises(MetricError, match="more than one item"):
        metric(np.array([[1.0]]), np.array([[0.1]]), params)
    with pytest.raises(MetricError, match="one score column per item"):
        metric(np.ones((2, 3)), np.ones((2, 2)), params)
    with pytest.raises(MetricError, match="NaN"):
        metric(np.ones((1, 2)), np.array([[np.nan, 1.0]]), params)
