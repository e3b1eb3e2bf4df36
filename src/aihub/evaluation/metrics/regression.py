"""Regression metrics: one float column per target, ``y_true`` of the same shape.

With several targets (2-D arrays) each metric is computed per column and the columns are
averaged with equal weight, as scikit-learn's ``multioutput="uniform_average"``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from aihub.evaluation.metrics._common import AnyArray, FloatArray, check_lengths, define
from aihub.evaluation.metrics.base import (
    Direction,
    MetricError,
    MetricParams,
    PredictionKind,
)

# Rows per block in the streaming reductions: small enough for the temporaries to stay in
# cache, which is what makes these faster than the obvious full-array expressions. The
# reductions stay in NumPy: a BLAS dot per block starts its thread pool on every call, which
# costs more than it saves on a busy two-core machine.
_BLOCK = 1 << 17

ColumnReduction = Callable[[FloatArray, FloatArray, FloatArray], float]


def _pair(y_true: AnyArray, y_pred: AnyArray) -> tuple[FloatArray, FloatArray]:
    """Float arrays of the same 1-D or 2-D shape; non-finite predictions are caught later."""
    check_lengths(y_true, y_pred)
    true = np.asarray(y_true, dtype=np.float64)
    try:
        pred = np.asarray(y_pred, dtype=np.float64)
    except (TypeError, ValueError):
        raise MetricError("the predictions must be numbers") from None
    if pred.ndim == 2 and pred.shape[1] == 1 and true.ndim == 1:
        pred = pred[:, 0]
    if true.shape != pred.shape or true.ndim not in (1, 2):
        raise MetricError("the predictions must have one value per target column")
    return true, pred


def _check_predictions(pred: FloatArray) -> None:
    if not np.isfinite(pred).all():
        raise MetricError("the predictions contain NaN or infinite values")


def _sum_sq_diff(true: FloatArray, pred: FloatArray | float, buffer: FloatArray) -> float:
    """``sum((pred - true) ** 2)`` in cache-sized blocks; ``pred`` may be one number."""
    total = 0.0
    for start in range(0, true.shape[0], _BLOCK):
        block = buffer[: min(_BLOCK, true.shape[0] - start)]
        other = pred if isinstance(pred, float) else pred[start : start + _BLOCK]
        np.subtract(other, true[start : start + _BLOCK], out=block)
        np.multiply(block, block, out=block)
        total += float(block.sum())
    return total


def _sum_abs_diff(true: FloatArray, pred: FloatArray, buffer: FloatArray) -> float:
    total = 0.0
    for start in range(0, true.shape[0], _BLOCK):
        block = buffer[: min(_BLOCK, true.shape[0] - start)]
        np.subtract(pred[start : start + _BLOCK], true[start : start + _BLOCK], out=block)
        np.abs(block, out=block)
        total += float(block.sum())
    return total


def _per_column(y_true: AnyArray, y_pred: AnyArray, reduce: ColumnReduction) -> float:
    """Average of ``reduce(true_column, pred_column, scratch)`` over the target columns.

    A non-finite result is only possible with non-finite predictions or an overflow; the
    inputs are checked only then, so the common case reads each array once.
    """
    true, pred = _pair(y_true, y_pred)
    buffer = np.empty(min(_BLOCK, true.shape[0]), dtype=np.float64)
    if true.ndim == 1:
        score = reduce(true, pred, buffer)
    else:
        columns = [
            reduce(np.ascontiguousarray(true[:, j]), np.ascontiguousarray(pred[:, j]), buffer)
            for j in range(true.shape[1])
        ]
        score = float(np.mean(columns))
    if not np.isfinite(score):
        _check_predictions(pred)
    return score


def rmse(y_true: AnyArray, y_pred: AnyArray, params: MetricParams) -> float:
    """Root mean squared error, as scikit-learn's ``root_mean_squared_error``."""
    return _per_column(y_true, y_pred, lambda t, p, b: np.sqrt(_sum_sq_diff(t, p, b) / t.shape[0]))


def mae(y_true: AnyArray, y_pred: AnyArray, params: MetricParams) -> float:
    """Mean absolute error, as scikit-learn's ``mean_absolute_error``."""
    return _per_column(y_true, y_pred, lambda t, p, b: _sum_abs_diff(t, p, b) / t.shape[0])


def _mape_column(true: FloatArray, pred: FloatArray, _: FloatArray) -> float:
    scale = np.maximum(np.abs(true), np.finfo(np.float64).eps)
    return float(np.mean(np.abs(pred - true) / scale))


def mape(y_true: AnyArray, y_pred: AnyArray, params: MetricParams) -> float:
    """Mean absolute percentage error as a fraction (0.1 means 10%), as scikit-learn's.

    Where the true value is 0 the denominator is machine epsilon, exactly as scikit-learn's
    ``mean_absolute_percentage_error``: the score is then huge (about 4.5e15 times the
    absolute error) unless the prediction is also exactly 0. Hosts whose targets can be 0
    should choose ``smape`` or ``mae`` instead.
    """
    return _per_column(y_true, y_pred, _mape_column)


def _smape_column(true: FloatArray, pred: FloatArray, _: FloatArray) -> float:
    denominator = (np.abs(true) + np.abs(pred)) / 2.0
    difference = np.abs(pred - true)
    ratio = np.divide(difference, denominator, out=np.zeros_like(difference), where=denominator > 0)
    return float(np.mean(ratio))


def smape(y_true: AnyArray, y_pred: AnyArray, params: MetricParams) -> float:
    """Symmetric mean absolute percentage error as a fraction in ``[0, 2]``.

    ``mean(|p - t| / ((|t| + |p|) / 2))``, the Kaggle definition divided by 100 so that it
    is on the same scale as ``mape``. A row where both values are 0 contributes 0.
    scikit-learn has no SMAPE; the tests compare with a direct implementation.
    """
    # Checked first: the zero-denominator guard would otherwise hide a NaN prediction.
    true, pred = _pair(y_true, y_pred)
    _check_predictions(pred)
    return _per_column(true, pred, _smape_column)


def _r2_column(true: FloatArray, pred: FloatArray, buffer: FloatArray) -> float:
    residual = _sum_sq_diff(true, pred, buffer)
    total = _sum_sq_diff(true, float(true.mean()), buffer)
    if total == 0.0:
        # scikit-learn's force_finite=True: a perfect fit scores 1, anything else 0.
        return 1.0 if residual == 0.0 else 0.0
    return 1.0 - residual / total


def r2(y_true: AnyArray, y_pred: AnyArray, params: MetricParams) -> float:
    """Coefficient of determination, as scikit-learn's ``r2_score``.

    A constant ``y_true`` column gives 1.0 for an exact prediction and 0.0 otherwise
    (scikit-learn's default ``force_finite=True``). With fewer than two rows R² is undefined
    (scikit-learn returns NaN) and a ``MetricError`` is raised.
    """
    if np.shape(y_true)[0] == 1:
        raise MetricError("R² needs at least two rows")
    return _per_column(y_true, y_pred, _r2_column)


def _rmsle_column(true: FloatArray, pred: FloatArray, buffer: FloatArray) -> float:
    if (pred <= -1).any():
        raise MetricError("rmsle needs predictions greater than -1 (normally 0 or more)")
    if (true <= -1).any():
        raise MetricError("rmsle cannot score this solution: its targets must be greater than -1")
    return float(np.sqrt(_sum_sq_diff(np.log1p(true), np.log1p(pred), buffer) / true.shape[0]))


def rmsle(y_true: AnyArray, y_pred: AnyArray, params: MetricParams) -> float:
    """Root mean squared logarithmic error, as scikit-learn's ``root_mean_squared_log_error``.

    ``log1p`` is defined above -1, and so is the metric: like scikit-learn 1.9 (which raises
    a ``ValueError`` only for values <= -1), predictions in (-1, 0) are scored, and
    predictions of -1 or less raise a ``MetricError``.
    """
    true, pred = _pair(y_true, y_pred)
    _check_predictions(pred)
    return _per_column(true, pred, _rmsle_column)


METRICS = (
    define(rmse, Direction.MINIMIZE, PredictionKind.VALUE),
    define(mae, Direction.MINIMIZE, PredictionKind.VALUE),
    define(mape, Direction.MINIMIZE, PredictionKind.VALUE),
    define(smape, Direction.MINIMIZE, PredictionKind.VALUE),
    define(r2, Direction.MAXIMIZE, PredictionKind.VALUE),
    define(rmsle, Direction.MINIMIZE, PredictionKind.VALUE),
)
