"""Classification metrics on one column of predicted labels (``PredictionKind.LABEL``).

Labels may be numbers or text; both arrays are encoded jointly. Multiclass averages run over
the union of the labels in the solution and in the predictions, as scikit-learn does. Where
scikit-learn's ``zero_division="warn"`` default gives 0 (a class never predicted, or never
present), these metrics give 0 as well, without a warning.
"""

from __future__ import annotations

import numpy as np

from aihub.evaluation.metrics._common import (
    AnyArray,
    as_labels,
    check_lengths,
    define,
    encode_pair,
)
from aihub.evaluation.metrics.base import Direction, MetricParams, PredictionKind


def accuracy(y_true: AnyArray, y_pred: AnyArray, params: MetricParams) -> float:
    """Share of rows whose predicted label equals the true label."""
    n = check_lengths(y_true, y_pred)
    true, pred = as_labels(y_true), as_labels(y_pred)
    if (true.dtype.kind == "U") != (pred.dtype.kind == "U"):
        encode_pair(true, pred)  # raises the type-mismatch MetricError
    return float(np.count_nonzero(true == pred)) / n


METRICS = (define(accuracy, Direction.MAXIMIZE, PredictionKind.LABEL),)
