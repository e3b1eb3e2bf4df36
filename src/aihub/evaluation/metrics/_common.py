"""Input checks and label encoding shared by the metric modules.

Every message raised here is shown to participants, so none of them quotes a value, a count
or a label taken from the hidden solution.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from aihub.evaluation.metrics.base import (
    Direction,
    Metric,
    MetricError,
    MetricFunction,
    MetricParams,
    PredictionKind,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
AnyArray = npt.NDArray[Any]
BoolArray = npt.NDArray[np.bool_]

# Above this many classes the bincount fast path would allocate more than it saves.
_MAX_DIRECT_CODE = 1 << 16


def check_lengths(y_true: AnyArray, y_pred: AnyArray) -> int:
    """Return the row count after checking both sides have the same, non-zero length."""
    if y_true.shape[0] != y_pred.shape[0]:
        raise MetricError("the predictions do not have one row per solution row")
    if y_true.shape[0] == 0:
        raise MetricError("there are no rows to score")
    return int(y_true.shape[0])


def as_float(values: AnyArray, *, what: str = "predictions", ndim: int | None = 1) -> FloatArray:
    """Convert to float64, requiring finite values (and ``ndim`` dimensions when given)."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise MetricError(f"the {what} must be numbers") from None
    if ndim is not None and array.ndim != ndim:
        raise MetricError(f"the {what} must be a {ndim}-dimensional array of numbers")
    if not np.isfinite(array).all():
        raise MetricError(f"the {what} contain NaN or infinite values")
    return array


def score_column(y_pred: AnyArray) -> FloatArray:
    """One column of float scores (a 2-D array with one column is accepted).

    Finiteness is not checked here: callers check cheaply after sorting or on the result.
    """
    try:
        scores = np.asarray(y_pred, dtype=np.float64)
    except (TypeError, ValueError):
        raise MetricError("the predictions must be numbers") from None
    if scores.ndim == 2 and scores.shape[1] == 1:
        scores = scores[:, 0]
    if scores.ndim != 1:
        raise MetricError("the predictions must be one column of scores")
    return scores


def _label_kind(values: AnyArray) -> str:
    """``"n"`` for numeric (bool, int, float) labels, ``"s"`` for text."""
    kind = values.dtype.kind
    if kind in "biuf":
        return "n"
    if kind in "US":
        return "s"
    if kind == "O":
        if all(isinstance(v, str) for v in values.ravel().tolist()):
            return "s"
        if all(isinstance(v, (int, float, np.number)) for v in values.ravel().tolist()):
            return "n"
    raise MetricError("labels must be all numbers or all text")


def as_labels(values: AnyArray) -> AnyArray:
    """A 1-D label array with a sortable dtype (numbers stay numbers, text becomes ``str``)."""
    array = np.asarray(values)
    if array.ndim != 1:
        raise MetricError("labels must be one column")
    if array.dtype.kind == "T":
        # NumPy's variable-width StringDType cannot be cast to a fixed width directly.
        array = array.astype(object)
    kind = _label_kind(array)
    if kind == "s":
        return array.astype(np.str_, copy=False)
    if array.dtype.kind == "O":
        whole = all(isinstance(v, (int, np.integer)) for v in array.tolist())
        array = array.astype(np.int64 if whole else np.float64)
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        raise MetricError("the labels contain NaN or infinite values")
    return array


def as_label_pair(y_true: AnyArray, y_pred: AnyArray) -> tuple[AnyArray, AnyArray]:
    """Both label arrays, required to be both text or both numbers."""
    true = as_labels(y_true)
    pred = as_labels(y_pred)
    if (true.dtype.kind == "U") != (pred.dtype.kind == "U"):
        raise MetricError(
            "the predicted labels must be of the same type (text or numbers) as the solution's"
        )
    return true, pred


def _small_ints(array: AnyArray) -> bool:
    return array.dtype.kind in "biu"


def encode_pair(
    y_true: AnyArray, y_pred: AnyArray
) -> tuple[IntArray, IntArray, int, AnyArray | None]:
    """Encode both label arrays jointly into codes ``0..n_codes-1``.

    Small non-negative integer labels are used as their own codes (a code that occurs in
    neither array is simply an empty class); the last element is then ``None``. Otherwise the
    sorted union of labels is returned as the last element.
    """
    true, pred = as_label_pair(y_true, y_pred)
    if _small_ints(true) and _small_ints(pred):
        low = min(int(true.min()), int(pred.min()))
        high = max(int(true.max()), int(pred.max()))
        if low >= 0 and high < _MAX_DIRECT_CODE:
            return (
                true.astype(np.intp, copy=False),
                pred.astype(np.intp, copy=False),
                high + 1,
                None,
            )
    classes, codes = np.unique(np.concatenate([true, pred]), return_inverse=True)
    codes = codes.astype(np.intp, copy=False)
    n = true.shape[0]
    return codes[:n], codes[n:], int(classes.shape[0]), classes


def coerce_label(label: str | int, like: AnyArray) -> str | int | float:
    """Convert a host-configured label (YAML may give ``"1"`` or ``1``) to the labels' type."""
    if like.dtype.kind == "U":
        return str(label)
    try:
        return float(label) if like.dtype.kind == "f" else int(label)
    except ValueError:
        raise MetricError(
            "metric_params.positive_label must be a number for numeric labels"
        ) from None


def _two_classes(labels: AnyArray) -> list[tuple[Any, BoolArray]]:
    """The distinct labels (at most two, sorted) with a mask of the rows holding each.

    Two comparisons with the first label and the first other label replace ``np.unique``,
    which would sort the whole column.
    """
    first = labels == labels[0]
    other = int(np.argmin(first))
    if first[other]:
        return [(labels[0], first)]
    second = labels == labels[other]
    if not (first | second).all():
        raise MetricError(
            "this metric needs binary labels; the solution holds more than two classes"
        )
    pairs = [(labels[0], first), (labels[other], second)]
    return sorted(pairs, key=lambda pair: pair[0])


def binary_positive_mask(y_true: AnyArray, params: MetricParams) -> BoolArray:
    """True where ``y_true`` is the positive class of a binary problem.

    The positive class is ``params.positive_label`` when set, otherwise the larger of the two
    labels (scikit-learn's choice for ``roc_auc_score`` and ``log_loss``). A solution with a
    single class keeps the numeric default of ``1``; with text labels it needs the setting.
    """
    labels = as_labels(y_true)
    classes = _two_classes(labels)
    if params.positive_label is not None:
        positive = coerce_label(params.positive_label, labels)
    elif len(classes) == 2:
        return classes[1][1]
    elif labels.dtype.kind == "U":
        raise MetricError("set metric_params.positive_label: the labels are text")
    else:
        positive = 1
    for label, mask in classes:
        if label == positive:
            return mask
    if len(classes) == 2:
        raise MetricError("metric_params.positive_label is not one of the solution's labels")
    return np.zeros(labels.shape[0], dtype=bool)


def require_k(params: MetricParams) -> int:
    if params.k is None or params.k < 1:
        raise MetricError("this metric needs metric_params.k, a positive whole number")
    return int(params.k)


def define(
    function: MetricFunction,
    direction: Direction,
    kind: PredictionKind,
    *,
    required_params: tuple[str, ...] = (),
) -> Metric:
    """A ``Metric`` named after its function, described by the docstring's first line."""
    return Metric(
        name=function.__name__,
        direction=direction,
        kind=kind,
        function=function,
        description=(function.__doc__ or "").strip().split("\n", 1)[0],
        required_params=required_params,
    )
