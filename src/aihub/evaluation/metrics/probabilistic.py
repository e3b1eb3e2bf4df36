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
    IntArray,
    as_float,
    as_labels,
    binary_positive_mask,
    check_lengths,
    coerce_label,
    define,
    score_column,
)
from aihub.evaluation.metrics.base import Direction, MetricError, MetricParams, PredictionKind

# How far a row of class probabilities may sum from 1. It accepts probabilities written
# with six decimals for up to about 20 classes, and bounds what a participant can gain by
# scaling rows up (at most about this much log loss).
ROW_SUM_TOLERANCE = 1e-5
_EPS = float(np.finfo(np.float64).eps)


def _check_sorted_finite(sorted_scores: FloatArray) -> None:
    # NaN sorts last, so after sorting two reads replace a full pass over the scores.
    if sorted_scores.shape[0] and not (
        np.isfinite(sorted_scores[0]) and np.isfinite(sorted_scores[-1])
    ):
        raise MetricError("the predictions contain NaN or infinite values")


def _sorted_groups(positive: BoolArray, scores: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The positive rows' scores and the negative rows' scores, each sorted on its own."""
    pos = scores[positive]
    neg = scores[~positive]
    pos.sort()
    neg.sort()
    _check_sorted_finite(pos)
    _check_sorted_finite(neg)
    return pos, neg


def auc_from_mask(positive: BoolArray, scores: FloatArray) -> float:
    """Mann-Whitney AUC: the share of (positive, negative) pairs ordered right, ties half.

    Only the positive and the negative scores are sorted, each on its own, and the
    negatives below (and equal to) every positive are counted with two binary searches;
    this avoids ranking the whole vector and is exact (integer counts).
    """
    pos, neg = _sorted_groups(positive, scores)
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


def _class_columns(y_true: AnyArray, n_columns: int, params: MetricParams) -> IntArray:
    """For each row, the column of its true class in a ``class_probabilities`` matrix.

    Columns follow ``metric_params.labels``; without it, the sorted labels of the solution.
    """
    labels = as_labels(y_true)
    if params.labels:
        order = np.asarray([coerce_label(label, labels) for label in params.labels])
    else:
        order = np.unique(labels)
    if order.shape[0] != n_columns:
        raise MetricError(
            "the predictions need one probability column per class of metric_params.labels"
        )
    if order.shape[0] != np.unique(order).shape[0]:
        raise MetricError("metric_params.labels must not repeat a label")
    sorter = np.argsort(order, kind="stable")
    index = np.minimum(np.searchsorted(order[sorter], labels), n_columns - 1)
    if not np.array_equal(order[sorter][index], labels):
        raise MetricError("the solution holds a label that is not in metric_params.labels")
    return sorter[index].astype(np.intp, copy=False)


def _probability_matrix(y_pred: AnyArray) -> FloatArray:
    """A finite 2-D probability matrix whose rows each sum to 1 within ``ROW_SUM_TOLERANCE``."""
    matrix = as_float(y_pred, ndim=2)
    if matrix.shape[1] < 2:
        raise MetricError("the predictions need one probability column per class")
    if matrix.min() < 0.0 or matrix.max() > 1.0:
        raise MetricError("the probabilities must lie between 0 and 1")
    if (np.abs(matrix.sum(axis=1) - 1.0) > ROW_SUM_TOLERANCE).any():
        raise MetricError(
            "each row of class probabilities must sum to 1 (write at least six decimals, "
            "or divide each row by its sum)"
        )
    return matrix


def roc_auc_ovr(y_true: AnyArray, y_pred: AnyArray, params: MetricParams) -> float:
    """Macro average of one-vs-rest ROC AUCs over the probability columns.

    As ``roc_auc_score(multi_class="ovr", average="macro")``, which also requires rows that
    sum to 1 (here within ``ROW_SUM_TOLERANCE``). A class of ``metric_params.labels`` with
    no row in the solution makes its AUC undefined (scikit-learn: NaN): ``MetricError``.
    """
    check_lengths(y_true, y_pred)
    matrix = _probability_matrix(y_pred)
    columns = _class_columns(y_true, matrix.shape[1], params)
    aucs = [
        auc_from_mask(columns == j, np.ascontiguousarray(matrix[:, j]))
        for j in range(matrix.shape[1])
    ]
    return float(np.mean(aucs))


def average_precision(y_true: AnyArray, y_pred: AnyArray, params: MetricParams) -> float:
    """Area under the step-wise precision-recall curve, as ``average_precision_score``.

    ``sum_n (R_n - R_{n-1}) P_n`` over the distinct score thresholds, so tied scores enter
    together. Recall only moves at thresholds equal to a positive row's score, so the sum
    runs over the distinct positive scores ``u``: ``(#pos == u / #pos) * #pos >= u /
    (#pos >= u + #neg >= u)``, counted on the two groups sorted separately as for
    ``roc_auc``. Without any positive row the score is 0.0, scikit-learn's value.
    """
    check_lengths(y_true, y_pred)
    pos, neg = _sorted_groups(binary_positive_mask(y_true, params), score_column(y_pred))
    n_pos = int(pos.shape[0])
    if n_pos == 0:
        return 0.0
    firsts = np.flatnonzero(np.diff(pos, prepend=-np.inf))
    tied_positives = np.diff(firsts, append=n_pos)
    positives_above = n_pos - firsts
    negatives_above = neg.shape[0] - np.searchsorted(neg, pos[firsts], side="left")
    precision = positives_above / (positives_above + negatives_above)
    return float(np.dot(tied_positives, precision)) / n_pos


def _binary_log_loss(y_true: AnyArray, scores: FloatArray, params: MetricParams) -> float:
    low, high = float(scores.min()), float(scores.max())
    if not (np.isfinite(low) and np.isfinite(high)):
        raise MetricError("the predictions contain NaN or infinite values")
    if low < 0.0 or high > 1.0:
        raise MetricError("the probabilities must lie between 0 and 1")
    positive = binary_positive_mask(y_true, params)
    # Clip the probability given to the true class, as scikit-learn clips both columns.
    chosen = np.where(positive, scores, 1.0 - scores)
    np.clip(chosen, _EPS, 1.0 - _EPS, out=chosen)
    np.log(chosen, out=chosen)
    return -float(np.mean(chosen))


def log_loss(y_true: AnyArray, y_pred: AnyArray, params: MetricParams) -> float:
    """Mean negative log-likelihood of the true class, as scikit-learn 1.9's ``log_loss``.

    One column: the probability of the positive class (``metric_params.positive_label``,
    else the larger label; a one-class numeric solution takes 1 as positive). Several
    columns: one per class in ``metric_params.labels`` order. Probabilities are clipped to
    ``[eps, 1 - eps]`` (float64 machine epsilon) and rows are not renormalised, exactly as
    scikit-learn. Rows that do not sum to 1 within ``ROW_SUM_TOLERANCE`` raise
    ``MetricError`` (scikit-learn only warns): otherwise inflating every column would
    lower the loss. Probabilities outside [0, 1] raise, as in scikit-learn.
    """
    check_lengths(y_true, y_pred)
    if np.ndim(y_pred) == 1 or (np.ndim(y_pred) == 2 and np.shape(y_pred)[1] == 1):
        return _binary_log_loss(y_true, score_column(y_pred), params)
    matrix = _probability_matrix(y_pred)
    columns = _class_columns(y_true, matrix.shape[1], params)
    chosen = matrix[np.arange(matrix.shape[0]), columns]
    np.clip(chosen, _EPS, 1.0 - _EPS, out=chosen)
    np.log(chosen, out=chosen)
    return -float(np.mean(chosen))


METRICS = (
    define(roc_auc, Direction.MAXIMIZE, PredictionKind.PROBABILITY),
    define(roc_auc_ovr, Direction.MAXIMIZE, PredictionKind.CLASS_PROBABILITIES),
    define(average_precision, Direction.MAXIMIZE, PredictionKind.PROBABILITY),
    # One column per class serves binary and multiclass challenges alike; the function also
    # takes a single positive-class column for callers that hold one.
    define(log_loss, Direction.MINIMIZE, PredictionKind.CLASS_PROBABILITIES),
)
