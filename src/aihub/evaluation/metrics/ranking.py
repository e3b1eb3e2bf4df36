"""Ranking metrics: ``map_at_k`` on ranked id lists and ``ndcg_at_k`` on relevance scores."""

from __future__ import annotations

import numpy as np

from aihub.evaluation.metrics._common import (
    AnyArray,
    FloatArray,
    as_float,
    check_lengths,
    define,
    require_k,
)
from aihub.evaluation.metrics.base import Direction, MetricError, MetricParams, PredictionKind


def _id_lists(values: AnyArray, what: str) -> list[list[str]]:
    if np.ndim(values) != 1:
        raise MetricError(f"the {what} must be one text column of space-separated ids")
    rows: list[list[str]] = []
    for value in np.asarray(values).tolist():
        if not isinstance(value, str):
            raise MetricError(f"the {what} must be text: space-separated ids")
        rows.append(value.split())
    return rows


def average_precision_at_k(relevant: set[str], predicted: list[str], k: int) -> float:
    """Kaggle's ``apk``: precision at each new hit within the first ``k``, over min(|rel|, k).

    A repeated prediction still takes its place in the list but cannot hit twice.
    """
    if not relevant:
        return 0.0
    seen: set[str] = set()
    hits = 0
    total = 0.0
    for position, item in enumerate(predicted[:k], start=1):
        if item in relevant and item not in seen:
            hits += 1
            total += hits / position
        seen.add(item)
    return total / min(len(relevant), k)


def map_at_k(y_true: AnyArray, y_pred: AnyArray, params: MetricParams) -> float:
    """Mean average precision at ``metric_params.k`` (Kaggle's ``mapk`` from ml_metrics).

    ``y_true`` holds each row's relevant ids and ``y_pred`` its predicted ids, best first,
    both space-separated. Relevant ids are taken as a set (a repeated relevant id counts
    once). A row with no relevant id scores 0 and still counts in the mean, the ml_metrics
    convention (``if not actual: return 0.0``); hosts who want such rows ignored should
    drop them from the solution. An empty prediction scores 0.
    """
    k = require_k(params)
    check_lengths(y_true, y_pred)
    relevant = _id_lists(y_true, "solution lists")
    predicted = _id_lists(y_pred, "predictions")
    scores = [
        average_precision_at_k(set(r), p, k) for r, p in zip(relevant, predicted, strict=True)
    ]
    return float(np.mean(scores))


def _tie_averaged_dcg(gains: FloatArray, scores: FloatArray, discount: FloatArray) -> FloatArray:
    """DCG per row where tied scores share the mean of their positions' discounts.

    This is scikit-learn's ``_tie_averaged_dcg`` (its ``ignore_ties=False`` default),
    vectorised over rows: each item gets the average discount of its tie group.
    """
    n_rows, width = scores.shape
    order = np.argsort(-scores, axis=1, kind="stable")
    ranked = np.take_along_axis(scores, order, axis=1)
    ranked_gains = np.take_along_axis(gains, order, axis=1)
    positions = np.broadcast_to(np.arange(width), (n_rows, width))
    starts_group = np.ones((n_rows, width), dtype=bool)
    starts_group[:, 1:] = ranked[:, 1:] != ranked[:, :-1]
    ends_group = np.ones((n_rows, width), dtype=bool)
    ends_group[:, :-1] = starts_group[:, 1:]
    start = np.maximum.accumulate(np.where(starts_group, positions, 0), axis=1)
    end = np.minimum.accumulate(np.where(ends_group, positions, width)[:, ::-1], axis=1)[:, ::-1]
    cumulative = np.concatenate([[0.0], np.cumsum(discount)])
    mean_discount = (cumulative[end + 1] - cumulative[start]) / (end - start + 1)
    dcg: FloatArray = np.einsum("ij,ij->i", ranked_gains, mean_discount)
    return dcg


def ndcg_at_k(y_true: AnyArray, y_pred: AnyArray, params: MetricParams) -> float:
    """Normalised discounted cumulative gain at ``metric_params.k``, as ``ndcg_score``.

    One row per query and one column per item: ``y_true`` the graded relevance (linear
    gain), ``y_pred`` the predicted scores. Tied scores share their positions' discounts
    (scikit-learn's default ``ignore_ties=False``). A row without any relevant item scores
    0, as scikit-learn. Negative relevance or a single item column raise ``MetricError``
    (scikit-learn raises a ``ValueError`` too).
    """
    k = require_k(params)
    check_lengths(y_true, y_pred)
    gains = np.asarray(y_true, dtype=np.float64)
    scores = as_float(y_pred, ndim=2)
    if gains.shape != scores.shape:
        raise MetricError("the predictions need one score column per item of the solution")
    if scores.shape[1] < 2:
        raise MetricError("ndcg_at_k needs more than one item column")
    if (gains < 0).any():
        raise MetricError("ndcg_at_k cannot score this solution: relevance must be 0 or more")
    discount = 1.0 / np.log2(np.arange(scores.shape[1]) + 2.0)
    discount[k:] = 0.0
    ideal = np.sort(gains, axis=1)[:, ::-1] @ discount
    dcg = _tie_averaged_dcg(gains, scores, discount)
    relevant = ideal > 0
    ndcg = np.zeros_like(ideal)
    ndcg[relevant] = dcg[relevant] / ideal[relevant]
    return float(np.mean(ndcg))


METRICS = (
    define(map_at_k, Direction.MAXIMIZE, PredictionKind.RANKED_LIST, required_params=("k",)),
    define(ndcg_at_k, Direction.MAXIMIZE, PredictionKind.RELEVANCE_SCORES, required_params=("k",)),
)
