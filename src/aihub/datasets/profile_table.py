"""Fold a table's batches into its profile: rows, columns, the preview, what went wrong.

Every reader (CSV, Parquet, JSON Lines, JSON arrays) turns its file into Polars frames and
hands them to a ``TableBuilder``; columns that appear only in later batches (JSON records
need not share their keys) are added as they come, missing in the rows before.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from aihub.datasets.profile_columns import ColumnState, update
from aihub.datasets.profile_types import Cell, ColumnProfile

PREVIEW_ROWS = 20
PREVIEW_CELL_CHARS = 200
MAX_COLUMNS = 1000


@dataclass(frozen=True)
class TableResult:
    row_count: int | None
    columns: tuple[ColumnProfile, ...] = ()
    preview: tuple[tuple[Cell, ...], ...] = ()
    problems: tuple[str, ...] = ()
    encoding: str | None = None


def size_text(size: int) -> str:
    """A limit in words: "4 MB", "64 KB" (binary units, as the limits are set)."""
    return f"{size // 2**20} MB" if size >= 2**20 else f"{max(size // 1024, 1)} KB"


def not_a_table(*problems: str) -> TableResult:
    return TableResult(None, problems=problems)


@dataclass
class TableBuilder:
    preview_rows: int = PREVIEW_ROWS
    preview_cell_chars: int = PREVIEW_CELL_CHARS
    rows: int = 0
    states: dict[str, ColumnState] = field(default_factory=dict)
    preview: list[dict[str, Cell]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # More columns than MAX_COLUMNS were seen; the others are not profiled.
    too_wide: bool = False

    def declare(self, names: list[str]) -> None:
        """Columns known before any row (a CSV header): a file without rows still has them."""
        for name in names:
            if name not in self.states and len(self.states) >= MAX_COLUMNS:
                self.too_wide = True
                continue
            self.states.setdefault(name, ColumnState(name))

    def add(self, frame: pl.DataFrame) -> None:
        """Fold in one batch of rows."""
        frame = self._known_columns(frame)
        if len(self.preview) < self.preview_rows:
            self.preview.extend(self._cells(frame.head(self.preview_rows - len(self.preview))))
        absent = [name for name in self.states if name not in frame.columns]
        for name in absent:
            self.states[name].missing += frame.height
        present = [self.states[name] for name in frame.columns]
        if frame.width:
            update(present, frame)
        self.rows += frame.height

    def _known_columns(self, frame: pl.DataFrame) -> pl.DataFrame:
        for name in frame.columns:
            if name in self.states:
                continue
            if len(self.states) >= MAX_COLUMNS:
                self.too_wide = True
                continue
            state = ColumnState(name)
            # A column first seen now was missing from every earlier row.
            state.missing = self.rows
            self.states[name] = state
        return frame.select([name for name in frame.columns if name in self.states])

    def _cells(self, frame: pl.DataFrame) -> list[dict[str, Cell]]:
        return [{name: _cell(value, self.preview_cell_chars) for name, value in row.items()}
                for row in frame.iter_rows(named=True)]

    def result(self, *, encoding: str | None = None) -> TableResult:
        problems = list(self.problems)
        if self.too_wide:
            problems.append(
                f"The table has more than {MAX_COLUMNS} columns; only the first {MAX_COLUMNS} "
                "are profiled. Split it into narrower tables if the others matter."
            )
        names = list(self.states)
        preview = tuple(tuple(row.get(name) for name in names) for row in self.preview)
        return TableResult(
            row_count=self.rows,
            columns=tuple(state.result() for state in self.states.values()),
            preview=preview,
            problems=tuple(problems),
            encoding=encoding,
        )


def _cell(value: Any, limit: int) -> Cell:
    if value is None:
        return None
    text = _text(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def flatten_nested(frame: pl.DataFrame) -> pl.DataFrame:
    """Nested values (JSON objects and arrays) as their JSON text, so they profile as text."""
    exprs = []
    for name, dtype in frame.schema.items():
        if isinstance(dtype, pl.Struct | pl.List | pl.Array):
            # json_encode works on structs only: wrap the value and cut the wrapper off.
            encoded = (pl.struct(name).struct.json_encode()
                       .str.replace(r'^\{"(?:[^"\\]|\\.)*":', "").str.head(-1))
            exprs.append(pl.when(pl.col(name).is_null()).then(None).otherwise(encoded)
                         .alias(name))
        elif isinstance(dtype, pl.Categorical | pl.Enum):
            exprs.append(pl.col(name).cast(pl.String))
        else:
            exprs.append(pl.col(name))
    return frame.select(exprs)


def unique_names(header: list[str]) -> tuple[list[str], list[str]]:
    """Column names made unique and non-empty, and the problems that needed it (a CSV
    header, or a Parquet schema written by a tool that allows repeats)."""
    names: list[str] = []
    seen: set[str] = set()
    for index, written in enumerate(header, start=1):
        base = written if written.strip() else f"column_{index}"
        name, copy = base, 2
        while name in seen:
            name, copy = f"{base}_{copy}", copy + 1
        seen.add(name)
        names.append(name)
    problems = []
    blank = [str(index) for index, name in enumerate(header, start=1) if not name.strip()]
    if blank:
        many = len(blank) > 1
        problems.append(
            f"Column{'s' * many} {', '.join(blank)} of the header {'have' if many else 'has'} "
            f"no name and {'are' if many else 'is'} profiled as column_N; name every column."
        )
    repeated = sorted({name for name in header if name.strip() and header.count(name) > 1})
    if repeated:
        listed = ", ".join(repr(name) for name in repeated)
        problems.append(
            f"The header repeats the column name{'s' * (len(repeated) > 1)} {listed}; the "
            "repeats are profiled as name_2, name_3, .... Give every column a unique name "
            "(Croissant and most tools need one)."
        )
    return names, problems
