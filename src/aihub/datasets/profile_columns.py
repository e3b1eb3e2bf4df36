"""Profile a table's columns batch by batch, in memory that does not grow with the file.

Each batch is a Polars frame. The usual missing-value markers become null, and every type
a column could still be is tried on the batch at once, in one Polars query for all columns:
a column stays a candidate type (integer, a date format, ...) only while every value so far
parses as it. Distinct values are counted exactly, by their 64-bit hashes, up to
``EXACT_DISTINCT_LIMIT``; past that a HyperLogLog sketch estimates them. Value counts are
kept only while a column has few distinct short values.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from aihub.datasets.profile_sketch import HyperLogLog
from aihub.datasets.profile_types import Bound, ColumnProfile, LogicalType, TopValue

# Written in data for "no value": by spreadsheets (#N/A), R (NA), pandas (NaN, None),
# databases (NULL) and Korean public data ("-").
MISSING_MARKERS = ("", "NA", "N/A", "n/a", "na", "null", "NULL", "Null", "None", "none",
                   "NaN", "nan", "#N/A", "-")
_LONGEST_MARKER = max(len(marker.encode()) for marker in MISSING_MARKERS)
BOOLEAN_WORDS = ("true", "false", "yes", "no")
# Matching the usual spellings is several times faster than lowercasing every value.
_BOOLEAN_SPELLINGS = tuple(f(word) for word in BOOLEAN_WORDS
                           for f in (str.lower, str.title, str.upper))
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d")
# %.f takes an optional fraction and %#z an offset or Z.
DATETIME_FORMATS = (
    "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S%.f%#z", "%Y-%m-%d %H:%M:%S%.f%#z", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S", "%Y.%m.%d %H:%M:%S",
)
# Candidates that fit whatever a narrower one fits: in a batch where the narrower fits, the
# wider is not parsed at all (parsing %.f is four times slower than whole seconds).
_SUPERSETS = {
    "integer": "float",
    **{f"datetime:{plain}": f"datetime:{plain}%.f"
       for plain in ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S")},
}
EXACT_DISTINCT_LIMIT = 100_000
TOP_VALUES_MAX_DISTINCT = 100
TOP_VALUES = 5
# A value longer than this is not a category: the column's value counts stop there.
TOP_VALUE_MAX_CHARS = 200
# Candidate types are tried on this many values first; most columns fail there cheaply.
_SAMPLE = 1000

_TEXT_CANDIDATES = ("integer", "float", "boolean",
                    *(f"date:{f}" for f in DATE_FORMATS),
                    *(f"datetime:{f}" for f in DATETIME_FORMATS))
# Most specific first: the profile's type is the first candidate every value fits.
_PRECEDENCE: tuple[LogicalType, ...] = ("boolean", "integer", "float", "date", "datetime")


@dataclass
class _Range:
    low: Any = None
    high: Any = None

    def merge(self, low: Any, high: Any) -> None:
        if low is not None and (self.low is None or low < self.low):
            self.low = low
        if high is not None and (self.high is None or high > self.high):
            self.high = high


@dataclass
class ColumnState:
    """The running profile of one column."""

    name: str
    missing: int = 0
    # None until a value is seen: then every type is still possible.
    candidates: dict[str, _Range] | None = None
    # The distinct hashes seen, until there are too many to keep.
    exact: pl.Series | None = field(default_factory=lambda: pl.Series(dtype=pl.UInt64))
    sketch: HyperLogLog | None = None
    counts: dict[str, int] | None = field(default_factory=dict)

    def result(self) -> ColumnProfile:
        kind, key = self._kind()
        distinct = len(self.exact) if self.exact is not None else self._estimate()
        top: tuple[TopValue, ...] = ()
        if kind in ("text", "boolean") and self.counts is not None and self.exact is not None:
            ranked = sorted(self.counts.items(), key=lambda item: (-item[1], item[0]))
            # When no value repeats there is nothing frequent to show.
            if ranked and ranked[0][1] > 1:
                top = tuple(TopValue(value, count) for value, count in ranked[:TOP_VALUES])
        bounds = self.candidates[key] if key and self.candidates else _Range()
        if kind == "float":
            # Bounds of batches that were whole numbers then are ints: a float column's are floats.
            bounds = _Range(_float(bounds.low), _float(bounds.high))
        fmt = key.partition(":")[2] or None
        return ColumnProfile(
            name=self.name, type=kind, missing=self.missing, distinct=distinct,
            distinct_approximate=self.exact is None,
            minimum=_bound(bounds.low), maximum=_bound(bounds.high),
            top_values=top, format=fmt,
        )

    def _estimate(self) -> int:
        assert self.sketch is not None
        return self.sketch.estimate()

    def _kind(self) -> tuple[LogicalType, str]:
        for kind in _PRECEDENCE:
            for key in self.candidates or {}:
                if key == kind or key.startswith(f"{kind}:"):
                    return kind, key
        return "text", ""


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _bound(value: Any) -> Bound:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, int | float):
        return value
    return None


def normalise(frame: pl.DataFrame) -> pl.DataFrame:
    """Missing markers and NaN as null; spaces around text trimmed; values otherwise as
    written.

    Only the text columns that have markers, or spaces around values in their first rows
    ("a, b" CSV files), are rewritten: rewriting copies every value, and costs more than
    all the type checks together.
    """
    text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    padded: set[str] = set()
    marked: set[str] = set()
    if text:
        head = frame.head(_SAMPLE)
        padded = {name for name in text
                  if (head[name].str.starts_with(" ") | head[name].str.ends_with(" ")).any()}
        # Markers are short: the set lookup runs on short values only.
        flags = frame.select(
            pl.col(name).filter(pl.col(name).str.len_bytes() <= _LONGEST_MARKER)
            .is_in(MISSING_MARKERS).any().alias(name)
            for name in text
        ).row(0)
        marked = {name for name, flag in zip(text, flags, strict=True) if flag}
    exprs = []
    for name, dtype in frame.schema.items():
        column = pl.col(name)
        if name in padded or name in marked:
            value = column.str.strip_chars(" ") if name in padded else column
            exprs.append(pl.when(value.is_in(MISSING_MARKERS)).then(None)
                         .otherwise(value).alias(name))
        elif dtype.is_float():
            exprs.append(column.fill_nan(None))
        else:
            exprs.append(column)
    return frame.select(exprs)


def update(states: list[ColumnState], frame: pl.DataFrame) -> None:
    """Fold one batch (columns in the order of ``states``) into the running profiles."""
    frame = normalise(frame)
    names = frame.columns
    missing = frame.null_count().row(0)
    for state, nulls in zip(states, missing, strict=True):
        state.missing += nulls
    wanted = {name: _batch_candidates(state, frame.schema[name])
              for state, name in zip(states, names, strict=True)}
    found = _try_candidates(frame, wanted)
    filled = [(state, name) for state, name, nulls in zip(states, names, missing, strict=True)
              if frame.height > nulls]
    for state, name in filled:
        _narrow(state, found[name])
    _count_distinct(filled, frame)


def _batch_candidates(state: ColumnState, dtype: pl.DataType) -> list[str]:
    """The types to try on this batch: those still alive that the batch's type allows.

    Typed values (Parquet, JSON numbers) share the keys of text that parses as the same
    type, so a JSON Lines column of numbers and numeric strings is still a number.
    """
    if dtype == pl.String:
        allowed: tuple[str, ...] = _TEXT_CANDIDATES
    elif dtype == pl.Boolean:
        allowed = ("boolean",)
    elif dtype.is_integer():
        allowed = ("integer", "float")
    elif dtype.is_float() or dtype.is_decimal():
        allowed = ("float",)
    elif dtype == pl.Date:
        allowed = ("date",)
    elif dtype == pl.Datetime:
        allowed = ("datetime",)
    else:
        allowed = ()
    if state.candidates is None:
        return list(allowed)
    return [key for key in allowed if key in state.candidates]


def _family(key: str) -> str:
    return key.partition(":")[0]


def _narrow(state: ColumnState, found: dict[str, tuple[Any, Any]]) -> None:
    if state.candidates is None:
        state.candidates = {key: _Range(low, high) for key, (low, high) in found.items()}
        return
    survivors: dict[str, _Range] = {}
    for key, (low, high) in found.items():
        bounds = state.candidates[key]
        bounds.merge(low, high)
        survivors[key] = bounds
    state.candidates = survivors


def _parsed(column: pl.Expr, key: str, dtype: pl.DataType) -> pl.Expr:
    family, _, fmt = key.partition(":")
    if dtype != pl.String:
        return column.cast(pl.Float64) if family == "float" else column
    if family == "integer":
        return column.cast(pl.Int64, strict=False)
    if family == "float":
        return column.cast(pl.Float64, strict=False)
    if family == "boolean":
        return column.is_in(_BOOLEAN_SPELLINGS).replace(False, None)
    if family == "date":
        # The cache pays off only for few distinct values; most date columns have many.
        return column.str.to_date(fmt, strict=False, cache=False)
    return column.str.to_datetime(fmt, strict=False, time_unit="us", cache=False)


def _try_candidates(frame: pl.DataFrame, wanted: dict[str, list[str]]
                    ) -> dict[str, dict[str, tuple[Any, Any]]]:
    """For each column, the candidates every non-null value parses as, with min and max."""
    sample = frame.head(_SAMPLE)
    alive = {name: _fitting(sample, name, keys) for name, keys in wanted.items()}
    deferred = {(name, _SUPERSETS[key]) for name, keys in alive.items() for key in keys
                if _SUPERSETS.get(key) in keys}
    first = [(name, key) for name, keys in alive.items() for key in keys
             if (name, key) not in deferred]
    found: dict[str, dict[str, tuple[Any, Any]]] = {name: {} for name in alive}
    _check(frame, first, found)
    plain = {superset: key for key, superset in _SUPERSETS.items()}
    for name, key in deferred:
        if plain[key] in found[name]:
            found[name][key] = found[name][plain[key]]
    _check(frame, [(name, key) for name, key in deferred if key not in found[name]], found)
    return found


def _check(frame: pl.DataFrame, pairs: list[tuple[str, str]],
           found: dict[str, dict[str, tuple[Any, Any]]]) -> None:
    if not pairs:
        return
    # Tags cannot clash with a column's name: names come from text, which has no NUL here.
    tags = {pair: f"\x00{index}" for index, pair in enumerate(pairs)}
    # Parse once, then aggregate: an eager select would parse again for each aggregate.
    parsed = frame.select([
        _parsed(pl.col(name), key, frame.schema[name]).alias(tag)
        for (name, key), tag in tags.items()
    ])
    exprs = [expr for (name, key), tag in tags.items() for expr in _check_exprs(key, tag)]
    numeric = {name for name, key in pairs
               if _family(key) in ("integer", "float") and frame.schema[name] == pl.String}
    # "007" is an identifier or a code: read as a number it would lose its zeros.
    exprs.extend(_leading_zero(pl.col(name)).any().alias(f"\x00z{name}") for name in numeric)
    row = pl.concat([parsed, frame], how="horizontal").select(exprs).row(0, named=True)
    for (name, key), tag in tags.items():
        if row[f"{tag}n"] == frame[name].null_count() and not row.get(f"\x00z{name}"):
            found[name][key] = (row[f"{tag}lo"], row[f"{tag}hi"])


def _fitting(sample: pl.DataFrame, name: str, keys: list[str]) -> list[str]:
    if not keys:
        return []
    nulls = sample[name].null_count()
    dtype = sample.schema[name]
    exprs = [_parsed(pl.col(name), key, dtype).null_count().alias(key) for key in keys]
    counts = sample.select(exprs).row(0)
    return [key for key, count in zip(keys, counts, strict=True) if count == nulls]


def _check_exprs(key: str, tag: str) -> list[pl.Expr]:
    parsed = pl.col(tag)
    if _family(key) == "float":
        parsed = parsed.filter(parsed.is_finite())
    if _family(key) == "boolean":
        bounds = [pl.lit(None).alias(f"{tag}lo"), pl.lit(None).alias(f"{tag}hi")]
    else:
        bounds = [parsed.min().alias(f"{tag}lo"), parsed.max().alias(f"{tag}hi")]
    return [*bounds, pl.col(tag).null_count().alias(f"{tag}n")]


def _leading_zero(text: pl.Expr) -> pl.Expr:
    """A zero followed by a digit, after an optional sign.

    The regular expression runs only on values starting with 0 or a sign, usually few:
    fifteen times cheaper than on every value.
    """
    suspects = text.filter(text.str.starts_with("0") | text.str.starts_with("-")
                           | text.str.starts_with("+"))
    return suspects.str.contains(r"^[+-]?0[0-9]")


def _count_distinct(columns: list[tuple[ColumnState, str]], frame: pl.DataFrame) -> None:
    """Distinct values and value counts of every column, in one Polars query (columns in
    parallel): value counts while a column may be a category, distinct hashes while it is
    counted exactly, every hash once it is estimated."""
    exprs = []
    for index, (state, name) in enumerate(columns):
        values = pl.col(name).drop_nulls()
        if state.exact is None:
            expr = values.hash()
        elif state.counts is not None and frame.schema[name] in (pl.String, pl.Boolean):
            expr = values.value_counts(name="\x00n")
        else:
            expr = values.hash().unique()
        exprs.append(expr.implode().alias(f"\x00{index}"))
    if not exprs:
        return
    found = frame.select(exprs)
    for (state, _), result in zip(columns, found.iter_columns(), strict=True):
        _fold_distinct(state, result[0])


def _fold_distinct(state: ColumnState, found: pl.Series) -> None:
    if state.exact is None:
        assert state.sketch is not None
        state.sketch.add(found.to_numpy())
        return
    if isinstance(found.dtype, pl.Struct):
        # Counting values also finds the distinct ones: hash those few, not every value.
        counted = found.struct.unnest()
        distinct = counted.to_series(0)
        _count_values(state, distinct, counted.to_series(1))
        found = distinct.hash()
    # A Polars series of hashes: its unique() is several times faster than a Python set.
    state.exact = pl.concat([state.exact, found]).unique()
    if len(state.exact) > EXACT_DISTINCT_LIMIT:
        state.sketch = HyperLogLog()
        state.sketch.add(state.exact.to_numpy())
        state.exact = None
        state.counts = None


def _count_values(state: ColumnState, distinct: pl.Series, counts: pl.Series) -> None:
    """Add a batch's value counts, or stop counting when the column is no category."""
    assert state.counts is not None
    if distinct.dtype == pl.Boolean:
        distinct = distinct.cast(pl.String).str.to_lowercase()
    if len(distinct) > TOP_VALUES_MAX_DISTINCT or _longest(distinct) > TOP_VALUE_MAX_CHARS:
        state.counts = None
        return
    for value, count in zip(distinct.to_list(), counts.to_list(), strict=True):
        state.counts[value] = state.counts.get(value, 0) + count
    if len(state.counts) > TOP_VALUES_MAX_DISTINCT:
        state.counts = None


def _longest(values: pl.Series) -> int:
    longest = values.str.len_chars().max()
    return longest if isinstance(longest, int) else 0
