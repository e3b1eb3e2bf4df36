"""Profile a table's columns batch by batch, in memory that does not grow with the file.

Each batch is a Polars frame. The usual missing-value markers become null, and every type
a column could still be is tried on the batch at once, in one Polars query for all columns:
a column stays a candidate type (integer, a date format, ...) only while every value so far
parses as it. Distinct values and top values are ``profile_distinct``'s.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from aihub.datasets.profile_distinct import DistinctCounter
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
TOP_VALUES = 5
# Candidate types are tried on this many values first: most columns fail there cheaply.
# Few, because the first batch tries all 17 on every column (a thousand columns: 17,000
# parses of each sampled value).
_SAMPLE = 100
# Spaces around values are looked for in this many values of each batch.
_PADDED_SAMPLE = 1000

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
    distinct: DistinctCounter = field(default_factory=DistinctCounter)

    def result(self) -> ColumnProfile:
        kind, key = self._kind()
        counts = self.distinct.counts
        top: tuple[TopValue, ...] = ()
        if kind in ("text", "boolean") and counts is not None:
            ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
            # When no value repeats there is nothing frequent to show.
            if ranked and ranked[0][1] > 1:
                top = tuple(TopValue(value, count) for value, count in ranked[:TOP_VALUES])
        bounds = self.candidates[key] if key and self.candidates else _Range()
        if kind == "float":
            # Bounds of batches that were whole numbers then are ints: a float column's are floats.
            bounds = _Range(_float(bounds.low), _float(bounds.high))
        fmt = key.partition(":")[2] or None
        return ColumnProfile(
            name=self.name, type=kind, missing=self.missing, distinct=self.distinct.count(),
            distinct_approximate=self.distinct.approximate,
            minimum=_bound(bounds.low), maximum=_bound(bounds.high),
            top_values=top, format=fmt,
        )

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
    schema = frame.schema
    text = [name for name, dtype in schema.items() if dtype == pl.String]
    padded: set[str] = set()
    marked: set[str] = set()
    if text:
        spaces = frame.head(_PADDED_SAMPLE).select(
            (pl.col(name).str.starts_with(" ") | pl.col(name).str.ends_with(" ")).any()
            for name in text
        ).row(0)
        padded = {name for name, flag in zip(text, spaces, strict=True) if flag}
        # Markers are short: the set lookup runs on short values only.
        markers = frame.select(
            pl.col(name).filter(pl.col(name).str.len_bytes() <= _LONGEST_MARKER)
            .is_in(MISSING_MARKERS).any()
            for name in text
        ).row(0)
        marked = {name for name, flag in zip(text, markers, strict=True) if flag}
    exprs = []
    for name, dtype in schema.items():
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
    # Read once: a frame's schema is rebuilt at each access, which wide tables pay per column.
    schema = dict(frame.schema)
    batch = _Batch(frame, schema, dict(zip(frame.columns, frame.null_count().row(0), strict=True)),
                   frozenset(name for name, dtype in schema.items() if dtype == pl.String))
    for state, name in zip(states, frame.columns, strict=True):
        state.missing += batch.nulls[name]
    wanted = {name: _batch_candidates(state, batch.schema[name])
              for state, name in zip(states, frame.columns, strict=True)}
    found = _try_candidates(batch, wanted)
    filled = [(state, name) for state, name in zip(states, frame.columns, strict=True)
              if frame.height > batch.nulls[name]]
    for state, name in filled:
        _narrow(state, found[name])
    _count_distinct(filled, batch)


@dataclass(frozen=True)
class _Batch:
    frame: pl.DataFrame
    schema: dict[str, pl.DataType]
    nulls: dict[str, int]
    # The text columns (comparing Polars data types is slow enough to matter per column).
    text: frozenset[str]


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


def _parsed(column: pl.Expr, key: str, *, text: bool) -> pl.Expr:
    family, _, fmt = key.partition(":")
    if not text:
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


def _try_candidates(batch: _Batch, wanted: dict[str, list[str]]
                    ) -> dict[str, dict[str, tuple[Any, Any]]]:
    """For each column, the candidates every non-null value parses as, with min and max."""
    alive = _fitting(batch, wanted)
    deferred = {(name, _SUPERSETS[key]) for name, keys in alive.items() for key in keys
                if _SUPERSETS.get(key) in keys}
    first = [(name, key) for name, keys in alive.items() for key in keys
             if (name, key) not in deferred]
    found: dict[str, dict[str, tuple[Any, Any]]] = {name: {} for name in alive}
    _check(batch, first, found)
    plain = {superset: key for key, superset in _SUPERSETS.items()}
    for name, key in deferred:
        if plain[key] in found[name]:
            found[name][key] = found[name][plain[key]]
    _check(batch, [(name, key) for name, key in deferred if key not in found[name]], found)
    return found


def _check(batch: _Batch, pairs: list[tuple[str, str]],
           found: dict[str, dict[str, tuple[Any, Any]]]) -> None:
    if not pairs:
        return
    # Tags cannot clash with a column's name: names come from text, which has no NUL here.
    tags = {pair: f"\x00{index}" for index, pair in enumerate(pairs)}
    # Parse once, then aggregate: an eager select would parse again for each aggregate.
    parsed = batch.frame.select([
        _parsed(pl.col(name), key, text=name in batch.text).alias(tag)
        for (name, key), tag in tags.items()
    ])
    exprs = [expr for (name, key), tag in tags.items() for expr in _check_exprs(key, tag)]
    numeric = {name for name, key in pairs
               if _family(key) in ("integer", "float") and name in batch.text}
    # "007" is an identifier or a code: read as a number it would lose its zeros.
    exprs.extend(_leading_zero(pl.col(name)).any().alias(f"\x00z{name}") for name in numeric)
    row = pl.concat([parsed, batch.frame], how="horizontal").select(exprs).row(0, named=True)
    for (name, key), tag in tags.items():
        if row[f"{tag}n"] == batch.nulls[name] and not row.get(f"\x00z{name}"):
            found[name][key] = (row[f"{tag}lo"], row[f"{tag}hi"])


def _fitting(batch: _Batch, wanted: dict[str, list[str]]) -> dict[str, list[str]]:
    """The candidates that fit the batch's first rows: a cheap first cut.

    Text is probed by family first (a number? a boolean? starts like a date?), so that a
    column of names costs three expressions rather than seventeen: expressions, not values,
    are what a wide table's first batch pays for.
    """
    sample = batch.frame.head(_SAMPLE)
    probes = {(name, _probe_of(key)) for name, keys in wanted.items() for key in keys
              if name in batch.text}
    passed = set(_fits(sample, batch.text, sorted(probes)))
    pairs = [(name, key) for name, keys in wanted.items() for key in keys
             if name not in batch.text or (name, _probe_of(key)) in passed]
    alive: dict[str, list[str]] = {name: [] for name in wanted}
    for name, key in _fits(sample, batch.text, pairs):
        alive[name].append(key)
    return alive


def _probe_of(key: str) -> str:
    family = _family(key)
    return {"integer": "float", "date": "temporal", "datetime": "temporal"}.get(family, family)


def _fits(sample: pl.DataFrame, text: frozenset[str],
          pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The (column, candidate or probe) pairs every non-null value of ``sample`` fits."""
    if not pairs:
        return []
    exprs = [_probe(pl.col(name), key, text=name in text).null_count().alias(f"\x00{index}")
             for index, (name, key) in enumerate(pairs)]
    exprs.extend(pl.col(name).null_count().alias(f"\x00n{name}")
                 for name in {name for name, _ in pairs})
    row = sample.select(exprs).row(0, named=True)
    return [(name, key) for index, (name, key) in enumerate(pairs)
            if row[f"\x00{index}"] == row[f"\x00n{name}"]]


def _probe(column: pl.Expr, key: str, *, text: bool) -> pl.Expr:
    if key == "temporal":
        return column.str.contains(r"^[0-9]{4}[-/.][0-9]").replace(False, None)
    return _parsed(column, key, text=text)


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


def _count_distinct(columns: list[tuple[ColumnState, str]], batch: _Batch) -> None:
    """Every column's distinct values in one Polars query (columns in parallel)."""
    exprs = [state.distinct.expression(name, batch.schema[name]).implode().alias(f"\x00{index}")
             for index, (state, name) in enumerate(columns)]
    if not exprs:
        return
    found = batch.frame.select(exprs)
    for (state, _), result in zip(columns, found.iter_columns(), strict=True):
        state.distinct.add(result[0])
