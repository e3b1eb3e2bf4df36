"""Profile Parquet files, JSON Lines and JSON arrays of records, in bounded memory.

Parquet is read a row group's batch at a time (its footer gives the row count). JSON Lines
is cut into pieces of whole lines, each parsed by Polars; a piece that does not parse is
parsed again line by line to skip, count and locate the bad lines. A JSON array must be
parsed whole, so only one up to ``JSON_ARRAY_MAX_BYTES`` is profiled.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
from polars.exceptions import PolarsError

from aihub.datasets.formats import CODECS, Utf8Reader
from aihub.datasets.profile_table import (
    TableBuilder,
    TableResult,
    flatten_nested,
    not_a_table,
    size_text,
    unique_names,
)

PARQUET_BATCH_ROWS = 64 * 1024
JSON_PIECE_BYTES = 16 * 1024 * 1024
JSON_ARRAY_MAX_BYTES = 64 * 1024 * 1024
JSON_BATCH_RECORDS = 50_000
# Parsing errors of JSON text, by Polars and by the json module.
_JSON_ERRORS = (PolarsError, ValueError)


def profile_parquet(path: Path, *, builder: TableBuilder) -> TableResult:
    try:
        parquet = pq.ParquetFile(path)
        names, problems = unique_names(list(parquet.schema_arrow.names))
        builder.problems.extend(problems)
        builder.declare(names)
        for batch in parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS):
            frame = pl.from_arrow(batch.rename_columns(names))
            assert isinstance(frame, pl.DataFrame)
            builder.add(flatten_nested(frame))
    except (pa.ArrowException, OSError, ValueError, PolarsError) as error:
        # pyarrow raises OSError for damaged files too (the file itself was readable: the
        # profile sniffed it first), and UnicodeDecodeError for damaged names.
        if builder.rows == 0:
            return not_a_table(
                f"The Parquet file cannot be read ({_first_words(error)}); it is damaged or "
                "cut short. Upload it again, or write it again from its source."
            )
        builder.problems.append(
            f"The Parquet file is damaged after row {builder.rows:,} "
            f"({_first_words(error)}); only the rows before are profiled. Upload it again."
        )
    if builder.rows == 0:
        builder.problems.append("The Parquet file has columns but no rows.")
    return builder.result()


def _first_words(error: Exception) -> str:
    # Enough to tell a curator what broke, without quoting data.
    return str(error).split("\n", 1)[0][:120]


def profile_jsonl(path: Path, *, encoding: str, builder: TableBuilder,
                  line_limit: int) -> TableResult:
    bad = _BadLines()
    line = 1
    with path.open("rb") as raw:
        stream = Utf8Reader(raw, encoding)
        for piece in _pieces(stream, line_limit):
            if piece is None:
                builder.problems.append(_long_line(line, line_limit))
                break
            frame, count, where = _parse_piece(piece)
            bad.add(count, None if where is None else line + where)
            if frame is not None:
                builder.add(frame)
            line += piece.count(b"\n")
        _encoding_problem(stream, encoding, builder)
    if bad.count:
        builder.problems.append(bad.problem())
    if builder.rows == 0 and not builder.states:
        if bad.count or builder.problems:
            return TableResult(None, problems=tuple(builder.problems))
        builder.problems.append("The file holds no records.")
    return builder.result(encoding=encoding)


@dataclass
class _BadLines:
    count: int = 0
    first: int | None = None

    def add(self, count: int, where: int | None) -> None:
        self.count += count
        if self.first is None:
            self.first = where

    def problem(self) -> str:
        many = self.count > 1
        return (
            f"{self.count:,} line{'s are' if many else ' is'} not a JSON object and "
            f"{'are' if many else 'is'} left out (the first is line {self.first}). "
            "JSON Lines holds one JSON object per line."
        )


def _long_line(line: int, line_limit: int) -> str:
    tail = ("not profiled as a table." if line == 1
            else "the lines from there on are not profiled.")
    return (f"Line {line:,} is longer than {size_text(line_limit)}; {tail} "
            "JSON Lines holds one record per line.")


def _pieces(stream: Utf8Reader, line_limit: int) -> Iterator[bytes | None]:
    """Whole lines, about ``JSON_PIECE_BYTES`` at a time; None for a line over the limit."""
    rest = b""
    while True:
        chunk = stream.read(JSON_PIECE_BYTES)
        data = rest + chunk
        if not chunk:
            if data.strip():
                yield data
            return
        end = data.rfind(b"\n")
        if end < 0:
            if len(data) > line_limit:
                yield None
                return
            rest = data
            continue
        yield data[: end + 1]
        rest = data[end + 1 :]


def _parse_piece(piece: bytes) -> tuple[pl.DataFrame | None, int, int | None]:
    """The records of ``piece``, the number of bad lines, and where the first is (0-based)."""
    try:
        frame = pl.read_ndjson(piece, infer_schema_length=None)
        return flatten_nested(frame), 0, None
    except _JSON_ERRORS:
        pass
    records: list[dict[str, Any]] = []
    bad, first = 0, None
    for index, text in enumerate(piece.split(b"\n")):
        if not text.strip():
            continue
        try:
            value = json.loads(text)
        except ValueError:
            value = None
        if isinstance(value, dict):
            records.append(value)
        else:
            bad += 1
            first = index if first is None else first
    return _records_frame(records), bad, first


def _records_frame(records: list[dict[str, Any]]) -> pl.DataFrame | None:
    if not records:
        return None
    try:
        frame = pl.from_dicts(records, infer_schema_length=None)
    except _JSON_ERRORS:
        # Values of clashing types in one key (an object here, a list there): as JSON text.
        frame = pl.from_dicts(
            [{key: _json_text(value) for key, value in record.items()} for record in records],
            infer_schema_length=None,
        )
    return flatten_nested(frame)


def _json_text(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value if value is None or isinstance(value, str) else json.dumps(value)


def profile_json(path: Path, *, encoding: str, builder: TableBuilder,
                 max_bytes: int = JSON_ARRAY_MAX_BYTES) -> TableResult:
    if path.stat().st_size > max_bytes:
        return not_a_table(
            f"JSON files over {size_text(max_bytes)} are not profiled: a JSON "
            "document must be read whole. Save the records as JSON Lines (one object per "
            "line) or Parquet."
        )
    with path.open("rb") as raw:
        text = _decode_all(raw.read(), encoding, builder)
    if not text.lstrip().startswith("["):
        return not_a_table(_NOT_RECORDS)
    frames = _json_frames(text)
    if isinstance(frames, str):
        return not_a_table(frames)
    for frame in frames:
        builder.add(frame)
    if builder.rows == 0:
        builder.problems.append("The file holds no records (an empty list).")
    return builder.result(encoding=encoding)


_NOT_RECORDS = ("The JSON file is not a list of records (objects); only a list such as "
                '[{"id": 1, ...}, ...] is profiled as a table.')


def _json_frames(text: str) -> list[pl.DataFrame] | str:
    """The array's records in batches, or the problem with it."""
    try:
        # Polars parses in Rust, in a fraction of the json module's memory.
        frame = pl.read_json(text.encode(), infer_schema_length=None)
        return [flatten_nested(frame.slice(start, JSON_BATCH_RECORDS))
                for start in range(0, frame.height, JSON_BATCH_RECORDS)]
    except _JSON_ERRORS:
        pass
    try:
        value = json.loads(text)
    except ValueError as error:
        return f"The file is not valid JSON ({error}); check it with a JSON tool."
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        return _NOT_RECORDS
    batches = (_records_frame(value[start : start + JSON_BATCH_RECORDS])
               for start in range(0, len(value), JSON_BATCH_RECORDS))
    return [frame for frame in batches if frame is not None]


def _decode_all(data: bytes, encoding: str, builder: TableBuilder) -> str:
    try:
        return codecs.decode(data, CODECS[encoding])
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        builder.problems.append(_bad_bytes(line, error.start, encoding))
    return codecs.decode(data, CODECS[encoding], errors="replace")


def _encoding_problem(stream: Utf8Reader, encoding: str, builder: TableBuilder) -> None:
    if stream.first_error is not None:
        builder.problems.append(_bad_bytes(*stream.first_error, encoding))


def _bad_bytes(line: int, offset: int, encoding: str) -> str:
    return (f"Line {line} (byte {offset:,}) holds bytes that are not valid {encoding.upper()}; "
            "they are shown as '\ufffd'. Save the file again as UTF-8.")
