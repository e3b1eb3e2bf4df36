"""Prediction values: parse each column as the metric needs it and say precisely what is wrong.

Every message names the column, the line and the row's id, and quotes the participant's
own value. None may quote the solution: labels are listed only when the host published
them in ``metric_params.labels`` (``Truth.classes_public``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from aihub.evaluation.metrics.base import PredictionKind
from aihub.evaluation.scoring.errors import plural
from aihub.evaluation.scoring.truth import Truth

# A row of class probabilities may sum this far from 1 (absolute, after parsing): six
# written decimals over a dozen classes stay well inside it. Accepted rows are divided by
# their sum before scoring, so nothing is gained by inflating them.
ROW_SUM_TOLERANCE = 1e-4

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
# Says where row i is, e.g. "line 5 (id 17)".
Where = Callable[[int], str]


@dataclass
class Values:
    """Parsed predictions in file order, or the problems found."""

    array: npt.NDArray[Any] | None
    problems: list[str]


def float_dtype(kind: PredictionKind) -> bool:
    return kind not in (PredictionKind.LABEL, PredictionKind.RANKED_LIST)


def _first(mask: BoolArray) -> int:
    return int(np.argmax(mask))


def _number_problems(
    name: str, text: pl.Series | None, values: FloatArray, null: BoolArray, where: Where
) -> list[str]:
    """Empty, non-numeric, NaN and infinite values of one float column."""
    problems = []
    missing = null
    if text is not None:
        # Text that did not parse shows up as a null where the text was not empty.
        bad = null & text.is_not_null().to_numpy()
        if bad.any():
            i = _first(bad)
            problems.append(
                f"Column {name!r} must hold numbers: {where(i)} has {text[i]!r} "
                f"({plural(int(bad.sum()), 'row')} not numbers)."
            )
            null = null & ~bad
    if null.any():
        problems.append(
            f"Column {name!r} has {plural(int(null.sum()), 'empty value')}, e.g. "
            f"{where(_first(null))}; every row needs a prediction."
        )
    # Nulls (empty or unparsable) also read as NaN; only a written "nan" counts here.
    nan = np.isnan(values) & ~missing
    if nan.any():
        problems.append(
            f"Column {name!r} has {plural(int(nan.sum()), 'NaN value')}, e.g. "
            f"{where(_first(nan))}; every row needs a number."
        )
    infinite = np.isinf(values)
    if infinite.any():
        i = _first(infinite)
        problems.append(
            f"Column {name!r} has {plural(int(infinite.sum()), 'infinite value')}, e.g. "
            f"{where(i)} has {values[i]}."
        )
    return problems


def _range_problem(name: str, values: FloatArray, where: Where) -> str | None:
    # min and max are two fast passes; the mask is built only when something is outside.
    if values.min() >= 0.0 and values.max() <= 1.0:
        return None
    outside = (values < 0.0) | (values > 1.0)
    i = _first(outside)
    return (
        f"Column {name!r} must hold probabilities between 0 and 1: {where(i)} has "
        f"{values[i]} ({plural(int(outside.sum()), 'row')} outside)."
    )


def float_columns(
    truth: Truth, frame: pl.DataFrame, text: pl.DataFrame | None, where: Where
) -> Values:
    """The prediction columns as one float array (2-D for several columns).

    ``frame`` holds them parsed as Float64 (unparsable values null); ``text`` holds the
    original text when some value did not parse, to quote it.
    """
    problems: list[str] = []
    arrays = []
    for name in truth.prediction_columns:
        column = frame[name]
        values = np.ascontiguousarray(column.to_numpy(), dtype=np.float64)
        # Fast path: no null and every value finite, which is one C pass over the column.
        if column.null_count() or not np.isfinite(values).all():
            null = column.is_null().to_numpy()
            problems += _number_problems(
                name, None if text is None else text[name], values, null, where
            )
        elif truth.probability_range and (problem := _range_problem(name, values, where)):
            problems.append(problem)
        arrays.append(values)
    if problems:
        return Values(None, problems)
    array = np.column_stack(arrays) if len(arrays) > 1 or truth.kind in _TWO_D else arrays[0]
    if truth.kind is PredictionKind.CLASS_PROBABILITIES:
        sums = array.sum(axis=1)
        off = np.abs(sums - 1.0) > ROW_SUM_TOLERANCE
        if off.any():
            i = _first(off)
            return Values(
                None,
                [
                    f"Each row's class probabilities must sum to 1 (within {ROW_SUM_TOLERANCE}): "
                    f"{where(i)} sums to {sums[i]:.6g} ({plural(int(off.sum()), 'row')}); "
                    "write more decimals or divide each row by its sum."
                ],
            )
        array /= sums[:, None]
    return Values(array, [])


_TWO_D = (PredictionKind.CLASS_PROBABILITIES, PredictionKind.RELEVANCE_SCORES)


def _int_labels(text: pl.Series) -> pl.Series:
    """Whole-number labels; ``2.0`` counts as 2 (pandas writes labels so after a NaN)."""
    stripped = text.str.strip_chars()
    ints = stripped.cast(pl.Int64, strict=False)
    if ints.null_count() == text.null_count():
        return ints
    floats = stripped.cast(pl.Float64, strict=False)
    whole = floats.is_finite() & (floats.round(0) == floats) & (floats.abs() < 2.0**53)
    return ints.fill_null(pl.when(whole).then(floats).otherwise(None).cast(pl.Int64))


def label_column(truth: Truth, text: pl.Series, where: Where) -> Values:
    """One column of class labels, each one of the challenge's classes."""
    name = text.name
    null = text.is_null()
    if null.any():
        mask = null.to_numpy()
        return Values(
            None,
            [
                f"Column {name!r} has {plural(int(mask.sum()), 'empty label')}, e.g. "
                f"{where(_first(mask))}; every row needs a label."
            ],
        )
    labels = _int_labels(text) if truth.label_type == "int" else text
    unknown = labels.is_null() | ~labels.cast(pl.String).is_in(list(truth.classes))
    if unknown.any():
        mask = unknown.to_numpy()
        i = _first(mask)
        known = (
            f" The classes are: {', '.join(truth.classes)}."
            if truth.classes_public
            else " Use the labels exactly as written in the training data."
        )
        return Values(
            None,
            [
                f"Column {name!r} has an unknown label {text[i]!r} on {where(i)} "
                f"({plural(int(mask.sum()), 'row')} with labels that are not classes of this "
                f"challenge).{known}"
            ],
        )
    if truth.label_type == "int":
        return Values(labels.to_numpy(), [])
    return Values(np.asarray(labels.to_list(), dtype=np.str_), [])


def ranked_list_column(text: pl.Series) -> Values:
    """Space-separated item ids; an empty cell is an empty list (it scores nothing)."""
    return Values(text.fill_null("").to_numpy(), [])
