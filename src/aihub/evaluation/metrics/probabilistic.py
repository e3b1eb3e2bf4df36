"""Metrics on predicted probabilities or scores.

``roc_auc``, ``average_precision`` and binary ``log_loss`` read one score column
(``PredictionKind.PROBABILITY``) for the positive class: ``metric_params.positive_label``
when set, otherwise the larger of the two labels (scikit-learn's choice for ``roc_auc_score``
and ``log_loss``). ``roc_auc_ovr`` and multiclass ``log_loss`` read one probability column
per class, in the order of ``metric_params.labels``.
"""

from __future__ import annotations

import numpy as np

from aihub.evaluation.metrics._common import (
    AnyArray,
    BoolArray,
    FloatArray,
    binary_positive_mask,
    check_lengths,
    define,
    score_column,
)
from aihub.evaluation.metrics.base import Direction, MetricError, MetricParams, PredictionKind


def _check_sorted_finite(sorted_scores: FloatArray) -> None:
    # NaN sorts last, so after sorting two reads replace a full pass over the scores.
    if sorted_scores.shape[0] and not (
        np.isfinite(sorted_scores[0]) and np.isfinite(sorted_scores[-1])
    ):
        raise MetricError("the predictions contain NaN or infinite values")


def auc_from_mask(positive: BoolArray, scores: FloatArray) -> float:
    """Mann-Whitney AUC: the share of (positive, negative) pairs ordered right, ties half.

    Only the positive and the negative scores are sorted, each on its own, and the
    negatives below (and equal to) every positive are counted with two binary searches;
    this avoids ranking the whole vector and is exact (integer counts).
    """
    pos = np.sort(scores[positive])
    neg = np.sort(scores[~positive])
    _check_sorted_finite(pos)
    _check_sorted_finite(neg)
    if pos.shape[0] == 0 or neg.shape[0] == 0:
        raise MetricError("ROC AUC is undefined: the solution holds only one class")
    below = np.searchsorted(neg, pos, side="left").sum(dtype=np.int64)
    below_or_tied = np.searchsorted(neg, pos, side="right").sum(dtype=np.int64)
    # 2 * (below + tied / 2) keeps the count an exact integer.
    twice_ordered = int(below) + int(below_or_tied)
    return twice_ordered / (2.0 * float(pos.shape[0]) * float(neg.shape[0]))


def roc_auc(y_true: AnyArray, y_pred: AnyArray, params: MetricParams) -> float:
    """Area under the ROC curve for a binary problem, as scikit-learn's ``roc_auc_score``.

    Ties between a positive and a negative score count one half. A solution with only one
    class has no AUC (scikit-learn warns and returns NaN): a ``MetricError`` is raised.
    """
    check_lengths(y_true, y_pred)
    scores = score_column(y_pred)
    return auc_from_mask(binary_positive_mask(y_true, params), scores)


METRICS = (define(roc_auc, Direction.MAXIMIZE, PredictionKind.PROBABILITY),)
