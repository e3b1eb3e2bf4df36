"""Classification metrics on one column of predicted labels (``PredictionKind.LABEL``).

Labels may be numbers or text; both arrays are encoded jointly. Multiclass averages run over
the union of the labels in the solution and in the predictions, as scikit-learn does. Where
scikit-learn's ``zero_division="warn"`` default gives 0 (a class never predicted, or never
present), these metrics give 0 as well, without a warning.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from aihub.evaluation.metrics._common import (
    AnyArray,
    as_label_pair,
    check_lengths,
    coerce_label,
    define,
    encode_pair,
)
from aihub.evaluation.metrics.base import Direction, MetricError, MetricParams, PredictionKind

Counts = npt.NDArray[np.int64]


def _class_counts(y_true: AnyArray, y_pred: AnyArray) -> tuple[Counts, Counts, Counts]:
    """Per class code: correct predictions, true rows, predicted rows (codes may be empty)."""
    check_lengths(y_true, y_pred)
    true, pred, n_codes, _ = encode_pair(y_true, y_pred)
    hits = np.bincount(true[true == pred], minlength=n_codes).astype(np.int64)
    support = np.bincount(true, minlength=n_codes).astype(np.int64)
    predicted = np.bincount(pred, minlength=n_codes).astype(np.int64)
    return hits, support, predicted


def _per_class_f1(hits: Counts, support: Counts, predicted: Counts) -> npt.NDArray[np.float64]:
    """F1 of each class occurring in the solution or the predictions: 2tp / (2tp + fp + fn)."""
    present = (support + predicted) > 0
    return 2.0 * hits[present] / (support[present] + predicted[present])


def accuracy(y_true: AnyArray, y_pred: AnyArray, params: MetricParams) -> float:
    """Share of rows whose predicted label equals the true label."""
    n = check_lengths(y_true, y_pred)
    true, pred = as_label_pair(y_true, y_pred)
    return float(np.count_nonzero(true == pred)) / n


def balanced_accuracy(y_true: AnyArray, y_pred: AnyArray, params: MetricParams) -> float:
    """Mean recall over the classes of the solution, as ``balanced_accuracy_score``.

    Classes that occur only in the predictions are left out of the mean (scikit-learn warns
    "y_pred contains classes not in y_true" and does the same).
    """
    hits, support, _ = _class_counts(y_true, y_pred)
    present = support > 0
    return float(np.mean(hits[present] / support[present]))


def f1_macro(y_true: AnyArray, y_pred: AnyArray, params: MetricParams) -> float:
    """Unweighted mean of the per-class F1 scores, as ``f1_score(average="macro")``."""
    return float(np.mean(_per_class_f1(*_class_counts(y_true, y_pred))))


def f1_micro(y_true: AnyArray, y_pred: AnyArray, params: MetricParams) -> float:
    """F1 from the counts pooled over classes; for single-label data this is the accuracy."""
    return accuracy(y_true, y_pred, params)


def f1_weighted(y_true: AnyArray, y_pred: AnyArray, params: MetricParams) -> float:
    """Per-class F1 averaged with the classes' true row counts as weights."""
    hits, support, predicted = _class_counts(y_true, y_pred)
    present = (support + predicted) > 0
    return float(np.average(_per_class_f1(hits, support, predicted), weights=support[present]))


def _positive_code(classes: AnyArray | None, n_codes: int, positive: str | int | float) -> int:
    """The code of the positive label, or -1 when it occurs in neither array."""
    if classes is None:
        code = int(positive)
        return code if code == positive and 0 <= code < n_codes else -1
    index = int(np.searchsorted(classes, positive))
    return index if index < classes.shape[0] and classes[index] == positive else -1


def _binary_counts(
    y_true: AnyArray, y_pred: AnyArray, params: MetricParams
) -> tuple[int, int, int]:
    """True positives, positive rows and positive predictions for ``params.positive_label``.

    The labels must be binary (scikit-learn's ``average="binary"``): more than two distinct
    labels between the solution and the predictions is an error, as in scikit-learn.
    """
    check_lengths(y_true, y_pred)
    true, pred, n_codes, classes = encode_pair(y_true, y_pred)
    support = np.bincount(true, minlength=n_codes)
    predicted = np.bincount(pred, minlength=n_codes)
    n_present = int(np.count_nonzero((support + predicted) > 0))
    if n_present > 2:
        raise MetricError(
            "this metric is binary: the solution and the predictions together must hold at "
            "most two labels (use f1_macro for multiclass)"
        )
    text = classes is not None and classes.dtype.kind == "U"
    if params.positive_label is None and text:
        positive: str | int | float = "1"
    else:
        like = classes if classes is not None else np.zeros(0, dtype=np.int64)
        positive = coerce_label(1 if params.positive_label is None else params.positive_label, like)
    code = _positive_code(classes, n_codes, positive)
    if code < 0 or support[code] + predicted[code] == 0:
        if params.positive_label is None and text:
            raise MetricError("set metric_params.positive_label: the labels are text")
        if n_present == 2:
            raise MetricError("metric_params.positive_label is not one of the labels")
        return 0, 0, 0
    hits = int(np.count_nonzero((true == code) & (pred == code)))
    return hits, int(support[code]), int(predicted[code])


def precision(y_true: AnyArray, y_pred: AnyArray, params: MetricParams) -> float:
    """Share of positive predictions that are right; 0 when nothing is predicted positive.

    The positive class is ``metric_params.positive_label`` (default ``1``; text labels must
    set it). 0 without positive predictions is scikit-learn's ``zero_division`` default.
    """
    hits, _, predicted = _binary_counts(y_true, y_pred, params)
    return hits / predicted if predicted else 0.0


def recall(y_true: AnyArray, y_pred: AnyArray, params: MetricParams) -> float:
    """Share of positive rows predicted positive; 0 when the solution has no positive row.

    The positive class is chosen as for ``precision``.
    """
    hits, support, _ = _binary_counts(y_true, y_pred, params)
    return hits / support if support else 0.0


def f1(y_true: AnyArray, y_pred: AnyArray, params: MetricParams) -> float:
    """F1 of the positive class, ``2tp / (2tp + fp + fn)``; 0 when it is 0 / 0.

    The positive class is chosen as for ``precision``.
    """
    hits, support, predicted = _binary_counts(y_true, y_pred, params)
    return 2.0 * hits / (support + predicted) if support + predicted else 0.0


def mcc(y_true: AnyArray, y_pred: AnyArray, params: MetricParams) -> float:
    """Matthews correlation coefficient (multiclass), as ``matthews_corrcoef``.

    0 when either the solution or the predictions hold a single class, as scikit-learn.
    """
    hits, support, predicted = _class_counts(y_true, y_pred)
    t_sum = support.astype(np.float64)
    p_sum = predicted.astype(np.float64)
    n = float(t_sum.sum())
    cov_ytyp = float(hits.sum()) * n - float(np.dot(t_sum, p_sum))
    cov_ypyp = n * n - float(np.dot(p_sum, p_sum))
    cov_ytyt = n * n - float(np.dot(t_sum, t_sum))
    if cov_ypyp * cov_ytyt == 0:
        return 0.0
    return cov_ytyp / float(np.sqrt(cov_ypyp * cov_ytyt))


def quadratic_weighted_kappa(y_true: AnyArray, y_pred: AnyArray, params: MetricParams) -> float:
    """Cohen's kappa with quadratic weights, as ``cohen_kappa_score(weights="quadratic")``.

    The weight of a disagreement is the squared distance between the two labels' positions
    in the sorted union of the labels that occur (scikit-learn's rule; not the label values).
    When kappa is undefined, which happens only when the solution and the predictions are
    one and the same single class, the score is 0.0 (scikit-learn's
    ``replace_undefined_by=0.0``; its default is NaN). Raising an error instead would tell a
    participant who predicted one constant that every solution row has that label, and 0.0
    is what any other constant prediction scores.
    """
    check_lengths(y_true, y_pred)
    true, pred, n_codes, _ = encode_pair(y_true, y_pred)
    support = np.bincount(true, minlength=n_codes)
    predicted = np.bincount(pred, minlength=n_codes)
    present = (support + predicted) > 0
    position = np.cumsum(present) - 1
    gap = (position[true] - position[pred]).astype(np.float64)
    observed = float(np.dot(gap, gap))
    # sum_ij (i - j)^2 a_i b_j expanded into moments, in exact integer arithmetic: the
    # expansion cancels when both sides sit mostly on one class.
    rows_true = support[present].tolist()
    rows_pred = predicted[present].tolist()
    moments_true = [sum(c * i**power for i, c in enumerate(rows_true)) for power in range(3)]
    moments_pred = [sum(c * i**power for i, c in enumerate(rows_pred)) for power in range(3)]
    chance = (
        moments_pred[2] * moments_true[0]
        + moments_pred[0] * moments_true[2]
        - 2 * moments_pred[1] * moments_true[1]
    )
    if chance == 0:
        return 0.0
    return 1.0 - observed * float(moments_true[0]) / float(chance)


_LABEL, _MAX = PredictionKind.LABEL, Direction.MAXIMIZE

METRICS = tuple(
    define(function, _MAX, _LABEL)
    for function in (
        accuracy,
        balanced_accuracy,
        f1_macro,
        f1_micro,
        f1_weighted,
        f1,
        precision,
        recall,
        mcc,
        quadratic_weighted_kappa,
    )
)
