"""The quick check of a submission, and its alignment to the solution's rows.

``check_submission`` answers at once: it reads the file, checks the columns, the ids and the
values, and returns the predictions in truth order, or raises ``SubmissionError`` listing
every problem it found (one line each).

Decisions:

- Columns beyond the id and the prediction columns are ignored (a pandas index column or a
  leftover feature costs nothing to skip); ``Aligned.ignored_columns`` names them so the
  page can say so. Names are matched exactly; a near miss (case, spaces) gets a hint.
- Ids compare as integers when every solution id is an integer, else as exact text.
- Examples of missing ids are the smallest ones, never the first in solution order, which
  could reveal which ids are public.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from aihub.evaluation.metrics.base import PredictionKind
from aihub.evaluation.scoring import values as vals
from aihub.evaluation.scoring.errors import SolutionError, SubmissionError, plural
from aihub.evaluation.scoring.ids import lookup
from aihub.evaluation.scoring.reading import (
    RawTable,
    TypedParseError,
    blank_rows,
    open_table,
    parse,
    ragged_message,
)
from aihub.evaluation.scoring.spec import ScoringSpec
from aihub.evaluation.scoring.truth import Truth

DEFAULT_SUBMISSION_MAX_BYTES = 512 * 1024**2
_EXAMPLES = 5


@dataclass(frozen=True, eq=False)
class Aligned:
    """A checked submission: ``predictions`` row ``i`` is the prediction for truth row ``i``."""

    predictions: npt.NDArray[Any]
    columns: tuple[str, ...]
    ignored_columns: tuple[str, ...]
    n_rows: int


def _show(value: object) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def _shows(values: list[Any]) -> str:
    return ", ".join(_show(v) for v in values[:_EXAMPLES])


def _column_problems(raw: RawTable, truth: Truth) -> tuple[str, ...]:
    """Raise for missing or repeated columns; return the ignored ones."""
    id_column = truth.spec.id_column
    needed = (id_column, *truth.prediction_columns)
    header = raw.header
    missing = [name for name in needed if name not in header]
    repeated = sorted({name for name in needed if header.count(name) > 1})
    if repeated:
        raise SubmissionError(
            f"The header repeats column {', '.join(map(repr, repeated))}; each name once."
        )
    if missing:
        raise SubmissionError(_missing_columns(raw, truth, missing))
    return tuple(name for name in header if name not in needed)


def _missing_columns(raw: RawTable, truth: Truth, missing: list[str]) -> str:
    found = ", ".join(map(repr, raw.header))
    hidden = truth.kind is PredictionKind.CLASS_PROBABILITIES and not truth.classes_public
    if hidden:
        # The class columns are the solution's labels, which are not public here.
        missing = [name for name in missing if name == truth.spec.id_column]
        expected = (
            f"the id column {truth.spec.id_column!r} and one probability column per class, "
            "named exactly as in the sample submission"
        )
    else:
        expected = ", ".join(map(repr, (truth.spec.id_column, *truth.prediction_columns)))
    lines = [f"The file needs the columns {expected}; found {found}."]
    if missing:
        lines[0] = f"Missing column(s) {', '.join(map(repr, missing))}. " + lines[0]
    folded = {name.strip().lower(): name for name in raw.header}
    for name in missing:
        near = folded.get(name.strip().lower())
        if near is not None:
            lines.append(f"Column names are exact: rename {near!r} to {name!r}.")
    if len(raw.header) == 1 and any(sep in raw.header[0] for sep in ";\t|"):
        lines.append("Columns must be separated by commas (the header holds ';', tab or '|').")
    return " ".join(lines)


def _parse(raw: RawTable, truth: Truth) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """The columns typed for the metric, and (only if some value did not parse) as text.

    The typed read is the fast path; a value that does not parse sends the file through a
    second, text read so the message can quote it with its line.
    """
    id_type = pl.Int64 if truth.id_mode == "int" else pl.String
    value_type = pl.Float64 if vals.float_dtype(truth.kind) else pl.String
    dtypes: dict[str, type[pl.DataType]] = {
        truth.spec.id_column: id_type,
        **dict.fromkeys(truth.prediction_columns, value_type),
    }
    try:
        return parse(raw, dtypes), None
    except TypedParseError:
        pass
    as_text: dict[str, type[pl.DataType]] = dict.fromkeys(dtypes, pl.String)
    text = parse(raw, as_text, strict=False)
    typed = text.with_columns(
        pl.col(name).str.strip_chars().cast(dtype, strict=False)
        for name, dtype in dtypes.items()
        if dtype != pl.String
    )
    return typed, text


def _id_problems(ids: pl.Series, text: pl.Series | None, where: Callable[[int], str]) -> list[str]:
    problems = []
    null = ids.is_null()
    if text is not None:
        bad = null & text.is_not_null()
        if bad.any():
            i = int(bad.arg_true()[0])
            problems.append(
                f"The id column {ids.name!r} must hold whole numbers like the test ids: "
                f"{where(i)} has {text[i]!r} ({plural(int(bad.sum()), 'row')})."
            )
            null = null & ~bad
    if null.any():
        i = int(null.arg_true()[0])
        problems.append(
            f"Every row needs an id: {where(i)} has none ({plural(int(null.sum()), 'row')})."
        )
    return problems


def _alignment_problems(truth: Truth, ids: pl.Series, rows: npt.NDArray[np.int64]) -> list[str]:
    """Why ``rows`` is not a permutation of the truth rows: unknown, repeated, missing ids."""
    n = truth.n_rows
    problems = []
    if rows.size != n:
        problems.append(f"The file has {rows.size:,} rows; the test set has {n:,} ids.")
    unknown = rows < 0
    if unknown.any():
        examples = ids.filter(pl.Series(unknown)).head(_EXAMPLES).to_list()
        problems.append(
            f"Some ids are not in the test set ({plural(int(unknown.sum()), 'row')}), "
            f"e.g. {_shows(examples)}."
        )
    known = rows[~unknown]
    counts = np.bincount(known, minlength=n)
    repeated_rows = counts[known] > 1
    if repeated_rows.any():
        first = ids.filter(pl.Series(~unknown)).filter(pl.Series(repeated_rows))
        firsts = first.unique(maintain_order=True)
        times = np.take(counts, known[repeated_rows])
        by_id = dict(zip(first.to_list(), times.tolist(), strict=True))
        shown = ", ".join(
            f"{_show(v)} ({by_id[v]} times)" for v in firsts.head(_EXAMPLES).to_list()
        )
        problems.append(
            f"Some ids appear more than once ({plural(firsts.len(), 'id')}), e.g. {shown}; "
            "each id must appear once."
        )
    missing = counts == 0
    if missing.any():
        # The smallest missing ids: solution order might tell public rows from private.
        absent = truth.ids.filter(pl.Series(missing)).sort().head(_EXAMPLES).to_list()
        problems.append(
            f"Test ids are missing ({plural(int(missing.sum()), 'id')}), e.g. {_shows(absent)}."
        )
    return problems


def _to_truth_order(
    truth: Truth, rows: npt.NDArray[np.int64], values: npt.NDArray[Any]
) -> npt.NDArray[Any] | None:
    """Scatter ``values`` into truth order, or None if ``rows`` is not a permutation."""
    n = truth.n_rows
    if rows.size != n or (n and int(rows.min()) < 0):
        return None
    if values.dtype == np.float64:
        # The values are known finite, so NaN can mark the rows no id reached: the scatter
        # doubles as the "seen" bitmap, saving a second random pass at 10M rows.
        out = np.full(values.shape, np.nan)
        out[rows] = values
        filled = out if out.ndim == 1 else out[:, 0]
        return None if np.isnan(filled).any() else out
    seen = np.zeros(n, dtype=np.bool_)
    seen[rows] = True
    if not seen.all():
        return None
    out = np.empty_like(values)
    out[rows] = values
    return out


def _values(
    truth: Truth, typed: pl.DataFrame, text: pl.DataFrame | None, where: Callable[[int], str]
) -> vals.Values:
    if vals.float_dtype(truth.kind):
        return vals.float_columns(truth, typed, text, where)
    column = typed[truth.prediction_columns[0]]
    if truth.kind is PredictionKind.LABEL:
        return vals.label_column(truth, column, where)
    return vals.ranked_list_column(column)


@dataclass(frozen=True)
class _Rows:
    """The parsed rows, and how to point a participant at one of them."""

    raw: RawTable
    typed: pl.DataFrame
    # The same columns as written, kept only when some value did not parse.
    text: pl.DataFrame | None
    # The file row of each kept row; None while no blank row was dropped.
    lines: npt.NDArray[np.intp] | None
    id_column: str

    @classmethod
    def read(cls, raw: RawTable, truth: Truth) -> _Rows:
        typed, text = _parse(raw, truth)
        blank = blank_rows(text if text is not None else typed)
        if blank is None:
            return cls(raw, typed, text, None, truth.spec.id_column)
        keep = ~blank
        return cls(
            raw,
            typed.filter(keep),
            None if text is None else text.filter(keep),
            np.flatnonzero(keep.to_numpy()),
            truth.spec.id_column,
        )

    @property
    def ids(self) -> pl.Series:
        return self.typed[self.id_column]

    def where(self, i: int) -> str:
        """``line 7 (id 17)``: the row's place in the file and its id as written."""
        value = self.typed[self.id_column][i]
        if value is None and self.text is not None:
            value = self.text[self.id_column][i]
        shown = "no id" if value is None else f"id {_show(value)}"
        return f"{self.raw.position(i if self.lines is None else int(self.lines[i]))} ({shown})"


def check_submission(
    path: Path,
    truth: Truth,
    spec: ScoringSpec,
    *,
    original_name: str | None = None,
    max_bytes: int = DEFAULT_SUBMISSION_MAX_BYTES,
) -> Aligned:
    """Check the file at ``path`` against ``truth`` and return its predictions in truth order."""
    if spec.fingerprint() != truth.spec.fingerprint():
        raise SolutionError("The prepared solution was built for other evaluation settings.")
    raw = open_table(path, original_name=original_name or path.name, max_bytes=max_bytes)
    ignored = _column_problems(raw, truth)
    table = _Rows.read(raw, truth)
    if table.typed.height == 0:
        raise SubmissionError(
            f"The file has a header but no rows; it needs one row for each of the "
            f"{truth.n_rows:,} test ids."
        )
    text_ids = None if table.text is None else table.text[spec.id_column]
    id_problems = _id_problems(table.ids, text_ids, table.where)
    # A short line reads as empty cells; say so rather than report the empty cells.
    if (id_problems or _has_nulls(table.typed)) and (ragged := ragged_message(raw)):
        raise SubmissionError(ragged)
    parsed = _values(truth, table.typed, table.text, table.where)
    problems = id_problems + parsed.problems
    if not id_problems:
        rows = lookup(truth.index, table.ids, truth.id_mode)
        if parsed.array is not None:
            out = _to_truth_order(truth, rows, parsed.array)
            if out is not None:
                return Aligned(out, truth.prediction_columns, ignored, truth.n_rows)
        problems += _alignment_problems(truth, table.ids, rows)
    raise SubmissionError(problems)


def _has_nulls(frame: pl.DataFrame) -> bool:
    return any(frame[name].null_count() for name in frame.columns)
