"""The hidden solution, checked once and prepared for fast alignment of many submissions.

Rows are reordered so that the public rows come first and the private rows after them: a
split is then a contiguous slice and scoring it copies nothing. Within a split rows keep
file order, except for binary probability metrics, where they are grouped by class.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import polars as pl

from aihub.evaluation.metrics import UnknownMetricError, get_metric
from aihub.evaluation.metrics.base import Metric, MetricParams, PredictionKind
from aihub.evaluation.scoring.errors import SolutionError, SubmissionError, plural
from aihub.evaluation.scoring.ids import IdIndex, IdMode, build_index
from aihub.evaluation.scoring.reading import open_table, read_raw
from aihub.evaluation.scoring.spec import DEFAULT_SPLIT_COLUMNS, SPLITS, ScoringSpec

LabelType = Literal["int", "str"]

# Solutions are host uploads; this bounds memory, not what hosts may reasonably send.
DEFAULT_SOLUTION_MAX_BYTES = 4 * 1024**3
_EXAMPLES = 5
_CLASSIFICATION = (
    PredictionKind.LABEL,
    PredictionKind.PROBABILITY,
    PredictionKind.CLASS_PROBABILITIES,
)
_SPLIT_CODES = {name: code for code, name in enumerate(SPLITS)}


@dataclass(frozen=True, eq=False)
class Truth:
    """A prepared solution: what ``check_submission`` and ``score`` need, nothing else.

    Rows are in *truth order*: public rows, then private rows. ``targets`` is what the
    metric receives as ``y_true`` (0/1 for binary probability metrics, class codes for class
    probabilities, labels for label metrics, floats for values); ``params`` is
    ``metric_params`` with the class order filled in the way ``targets`` needs it.
    """

    spec: ScoringSpec
    kind: PredictionKind
    params: MetricParams
    id_mode: IdMode
    ids: pl.Series
    index: IdIndex
    split_codes: npt.NDArray[np.int8]
    bounds: tuple[int, ...]
    targets: npt.NDArray[Any]
    # Class labels as text (the column names of class probabilities), sorted or as declared.
    classes: tuple[str, ...]
    label_type: LabelType | None
    # Whether ``classes`` are public (from metric_params.labels) and may appear in messages.
    classes_public: bool
    prediction_columns: tuple[str, ...]
    # Whether predictions must lie in [0, 1] (log loss, class probabilities).
    probability_range: bool

    @property
    def n_rows(self) -> int:
        return self.bounds[-1]

    @property
    def split_names(self) -> tuple[str, ...]:
        return SPLITS

    def split_slice(self, name: str) -> slice:
        code = _SPLIT_CODES[name]
        return slice(self.bounds[code], self.bounds[code + 1])

    @property
    def split_counts(self) -> dict[str, int]:
        """Rows per split (for the host and the logs; never shown to participants)."""
        return {name: self.bounds[i + 1] - self.bounds[i] for i, name in enumerate(SPLITS)}


def resolve_metric(spec: ScoringSpec) -> Metric:
    """The spec's metric, with the parameters it requires; raises ``SolutionError``."""
    try:
        metric = get_metric(spec.metric)
    except UnknownMetricError as error:
        raise SolutionError(str(error)) from None
    missing = [
        name for name in metric.required_params if getattr(spec.metric_params, name) in (None, ())
    ]
    if missing:
        raise SolutionError(
            f"Metric {metric.name!r} needs metric_params {', '.join(missing)} "
            "(for example { k: 10 })."
        )
    return metric


def _examples(values: pl.Series) -> str:
    return ", ".join(repr(v) for v in values.head(_EXAMPLES).to_list())


def _split_column(header: tuple[str, ...], spec: ScoringSpec) -> str:
    wanted = (spec.split_column,) if spec.split_column else DEFAULT_SPLIT_COLUMNS
    for name in wanted:
        if name in header:
            return name
    names = " or ".join(repr(n) for n in wanted)
    raise SolutionError(f"The solution has no split column {names}; columns found: {list(header)}.")


def _split_codes(column: pl.Series) -> npt.NDArray[np.int8]:
    text = column.cast(pl.String).str.strip_chars().str.to_lowercase()
    codes = text.replace_strict(_SPLIT_CODES, default=None, return_dtype=pl.Int8)
    bad = codes.is_null()
    if bad.any():
        values = column.filter(bad).unique(maintain_order=True)
        raise SolutionError(
            f"The split column {column.name!r} must hold 'public' or 'private' (any case), "
            f"not {_examples(values)} ({plural(int(bad.sum()), 'row')})."
        )
    result: npt.NDArray[np.int8] = codes.to_numpy()
    for name, code in _SPLIT_CODES.items():
        if not (result == code).any():
            raise SolutionError(f"The solution's {name} split is empty; both need rows.")
    return result


def _ids(column: pl.Series) -> tuple[pl.Series, IdMode]:
    """The ids as Int64 when every one is a distinct integer, else as exact text."""
    if column.null_count():
        raise SolutionError(
            f"The id column {column.name!r} has {column.null_count()} empty values."
        )
    if column.dtype.is_integer():
        ints = column.cast(pl.Int64)
    elif column.dtype == pl.String:
        ints = column.str.strip_chars().cast(pl.Int64, strict=False)
    else:
        ints = pl.Series([None], dtype=pl.Int64)
    if ints.null_count() == 0 and ints.n_unique() == ints.len():
        return ints.alias(column.name), "int"
    text = column.cast(pl.String)
    duplicated = text.filter(text.is_duplicated()).unique(maintain_order=True)
    if duplicated.len():
        raise SolutionError(
            f"The solution repeats {duplicated.len()} ids, e.g. {_examples(duplicated)}; "
            "each id must appear once."
        )
    return text, "str"


def _labels(column: pl.Series) -> tuple[pl.Series, LabelType]:
    """Class labels as integers when they all are (``1.0`` counts as 1), else as text."""
    if column.dtype.is_integer() or column.dtype == pl.Boolean:
        return column.cast(pl.Int64), "int"
    if column.dtype == pl.String:
        stripped = column.str.strip_chars()
        ints = stripped.cast(pl.Int64, strict=False)
        if ints.null_count() == 0:
            return ints, "int"
        floats = stripped.cast(pl.Float64, strict=False)
    else:
        floats = column.cast(pl.Float64, strict=False)
    if floats.null_count() == 0 and bool((floats.round(0) == floats).all()):
        return floats.cast(pl.Int64), "int"
    return column.cast(pl.String), "str"


def _floats(column: pl.Series, ids: pl.Series) -> npt.NDArray[np.float64]:
    values = (
        column.str.strip_chars().cast(pl.Float64, strict=False)
        if column.dtype == pl.String
        else column.cast(pl.Float64, strict=False)
    )
    bad = values.is_null() | ~values.is_finite()
    if bad.any():
        first = int(bad.arg_true()[0])
        raise SolutionError(
            f"Target column {column.name!r} must hold finite numbers: id {ids[first]!r} has "
            f"{column[first]!r} ({plural(int(bad.sum()), 'row')} like this)."
        )
    return np.ascontiguousarray(values.to_numpy(), dtype=np.float64)


@dataclass(frozen=True)
class Targets:
    kind: PredictionKind
    params: MetricParams
    values: npt.NDArray[Any]
    classes: tuple[str, ...] = ()
    label_type: LabelType | None = None
    classes_public: bool = False
    columns: tuple[str, ...] = ()


def _declared_classes(params: MetricParams) -> tuple[str, ...]:
    declared = tuple(str(label) for label in params.labels)
    if len(set(declared)) != len(declared):
        raise SolutionError("metric_params.labels repeats a label.")
    return declared


def _classification(
    metric: Metric, spec: ScoringSpec, column: pl.Series, codes: npt.NDArray[np.int8]
) -> Targets:
    params = spec.metric_params
    labels, label_type = _labels(column)
    text = labels.cast(pl.String)
    found = tuple(str(v) for v in labels.unique().sort().to_list())
    declared = _declared_classes(params)
    if declared and (stray := sorted(set(found) - set(declared))):
        raise SolutionError(
            f"The solution holds labels missing from metric_params.labels: {stray[:_EXAMPLES]}."
        )
    classes = declared or found
    kind = metric.kind
    # docs/challenge-format.md: log_loss is binary (one probability column) when the
    # solution has two classes and metric_params has no labels.
    if metric.name == "log_loss" and len(found) == 2 and not declared:
        kind = PredictionKind.PROBABILITY
    target = spec.target_columns[0]
    if kind is PredictionKind.PROBABILITY:
        return _binary(spec, labels, found, codes)
    if kind is PredictionKind.CLASS_PROBABILITIES:
        if len(classes) < 2:
            raise SolutionError("Class probabilities need at least two classes.")
        code_of = {label: code for code, label in enumerate(classes)}
        values = text.replace_strict(code_of, return_dtype=pl.Int64).to_numpy()
        return Targets(
            kind,
            replace(params, labels=tuple(range(len(classes)))),
            values,
            classes,
            label_type,
            bool(declared),
            classes,
        )
    values = labels.to_numpy() if label_type == "int" else np.asarray(text.to_list(), dtype=np.str_)
    return Targets(kind, params, values, classes, label_type, bool(declared), (target,))


def _binary(
    spec: ScoringSpec, labels: pl.Series, found: tuple[str, ...], codes: npt.NDArray[np.int8]
) -> Targets:
    params = spec.metric_params
    if len(found) != 2:
        raise SolutionError(
            f"Metric {spec.metric!r} needs exactly two classes in the target; the solution "
            f"has {len(found)}: {list(found[:_EXAMPLES])}."
        )
    ordered = sorted(labels.unique().to_list())
    positive = ordered[1]
    if params.positive_label is not None:
        if str(params.positive_label) not in found:
            raise SolutionError(
                f"metric_params.positive_label {params.positive_label!r} is not a solution "
                f"label ({list(found)})."
            )
        positive = next(v for v in ordered if str(v) == str(params.positive_label))
    values = (labels == positive).to_numpy().astype(np.uint8)
    for name, code in _SPLIT_CODES.items():
        part = values[codes == code]
        if part.min() == part.max():
            raise SolutionError(
                f"The {name} split holds only one class; {spec.metric} needs both classes "
                "in each split."
            )
    # The metric sees 0/1 with 1 positive: its default (the larger label) is then right.
    binary_params = replace(params, positive_label=None, labels=())
    return Targets(
        PredictionKind.PROBABILITY,
        binary_params,
        values,
        found,
        None,
        False,
        (spec.target_columns[0],),
    )


def _targets(
    metric: Metric, spec: ScoringSpec, frame: pl.DataFrame, codes: npt.NDArray[np.int8]
) -> Targets:
    columns = spec.target_columns
    ids = frame[spec.id_column]
    for name in columns:
        missing = frame[name].is_null()
        if missing.any() and metric.kind is not PredictionKind.RANKED_LIST:
            raise SolutionError(
                f"Target column {name!r} is empty in {plural(int(missing.sum()), 'row')}, e.g. ids "
                f"{_examples(ids.filter(missing))}; every row needs a target."
            )
    if metric.kind in _CLASSIFICATION:
        if len(columns) != 1:
            raise SolutionError(f"Metric {spec.metric!r} takes one target column.")
        return _classification(metric, spec, frame[columns[0]], codes)
    if metric.kind is PredictionKind.RANKED_LIST:
        if len(columns) != 1:
            raise SolutionError(f"Metric {spec.metric!r} takes one target column.")
        # A row with no relevant item is allowed: it is an empty list, not a missing target.
        text = frame[columns[0]].cast(pl.String).fill_null("")
        return Targets(metric.kind, spec.metric_params, text.to_numpy(), columns=columns)
    floats = [_floats(frame[name], ids) for name in columns]
    two_d = len(columns) > 1 or metric.kind is PredictionKind.RELEVANCE_SCORES
    values = np.column_stack(floats) if two_d else floats[0]
    return Targets(metric.kind, spec.metric_params, values, columns=columns)


def load_truth(
    path: Path, spec: ScoringSpec, *, max_bytes: int = DEFAULT_SOLUTION_MAX_BYTES
) -> Truth:
    """Read and check the solution file; raises ``SolutionError`` with details for the host."""
    metric = resolve_metric(spec)
    try:
        raw = open_table(path, original_name=path.name, max_bytes=max_bytes)
        split_column = _split_column(raw.header, spec)
        wanted = [spec.id_column, split_column, *spec.target_columns]
        missing = [name for name in wanted if name not in raw.header]
        if missing:
            raise SolutionError(
                f"The solution lacks column(s) {missing}; columns found: {list(raw.header)}."
            )
        frame = read_raw(raw, wanted)
    except SubmissionError as error:
        raise SolutionError(f"Solution file: {error}") from None
    if frame.height == 0:
        raise SolutionError("The solution has a header but no rows.")
    codes = _split_codes(frame[split_column])
    # Public rows first, then private, each in file order (a stable sort on the code).
    order = np.argsort(codes, kind="stable")
    frame = frame[order]
    codes = codes[order]
    ids, id_mode = _ids(frame[spec.id_column])
    frame = frame.with_columns(ids)
    targets = _targets(metric, spec, frame, codes)
    if targets.kind is PredictionKind.PROBABILITY:
        # Negatives then positives within each split: the metric's masks then select long
        # runs, which NumPy compresses several times faster than a random mask.
        regroup = np.argsort(codes.astype(np.int16) * 2 + targets.values, kind="stable")
        ids, codes = ids.gather(regroup), codes[regroup]
        targets = replace(targets, values=targets.values[regroup])
    return assemble(spec, ids, id_mode, codes, targets, metric, build_index(ids, id_mode))


def assemble(
    spec: ScoringSpec,
    ids: pl.Series,
    id_mode: IdMode,
    codes: npt.NDArray[np.int8],
    targets: Targets,
    metric: Metric,
    index: IdIndex,
) -> Truth:
    """Freeze the prepared parts into a ``Truth`` (also used by the disk cache)."""
    bounds = (0, *(int(np.searchsorted(codes, code, side="right")) for code in range(len(SPLITS))))
    values = targets.values
    codes.setflags(write=False)
    values.setflags(write=False)
    probability_range = targets.kind is PredictionKind.CLASS_PROBABILITIES or (
        metric.name == "log_loss"
    )
    return Truth(
        spec=spec,
        kind=targets.kind,
        params=targets.params,
        id_mode=id_mode,
        ids=ids,
        index=index,
        split_codes=codes,
        bounds=bounds,
        targets=values,
        classes=targets.classes,
        label_type=targets.label_type,
        classes_public=targets.classes_public,
        prediction_columns=targets.columns,
        probability_range=probability_range,
    )
