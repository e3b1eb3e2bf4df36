"""Profile a CSV or TSV file of any size in bounded memory.

Read with pyarrow's streaming CSV reader, every column as text, in blocks of
``BLOCK_BYTES``, one block ahead in a thread; the blocks are gathered into batches of about
``BATCH_BYTES`` for ``profile_columns``.

Why pyarrow and not Polars' lazy scan, on 2 cores (bench/bench_profile.py --readers, 1 GiB):
both readers spend the same CPU (3.5 s against 3.6 s); Polars finishes sooner on an idle
machine because it parses chunks on both cores, where pyarrow's streaming reader parses one
block at a time. In the profile the column statistics keep the second core busy (10.6 CPU
seconds in all), and end to end a prototype of each was level within the noise of the
shared machine (300 MB: 3.0-3.8 s with Polars, 3.3-4.9 s with pyarrow). Only pyarrow reports rows
with too few fields (Polars pads them with nulls silently, and stops at the first row with
too many), reads from a Python stream (CP949 and UTF-16 are transcoded on the way, with no
temporary copy) and bounds a line by its block size (a 600 MB line costs 4 MB and a clear
message, not 600 MB).
"""

from __future__ import annotations

import codecs
import csv
import io
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from queue import Full, Queue
from typing import Any

import polars as pl
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.csv as pacsv  # type: ignore[import-untyped]

from aihub.datasets.formats import CHUNK, Utf8Reader
from aihub.datasets.profile_table import (
    MAX_COLUMNS,
    TableBuilder,
    TableResult,
    not_a_table,
    size_text,
    unique_names,
)

BLOCK_BYTES = 4 * 1024 * 1024
BATCH_BYTES = 16 * 1024 * 1024


class _NotUtf8Error(Exception):
    """Bytes past the sniffed start are not UTF-8: the file is read again, decoded."""


@dataclass
class _Ragged:
    """Counts rows whose number of fields differs from the header's (pyarrow skips them)."""

    count: int = 0
    first_row: int | None = None
    first_fields: int = 0

    def __call__(self, row: Any) -> str:
        self.count += 1
        if self.count == 1:
            self.first_row, self.first_fields = row.number, row.actual_columns
        return "skip"

    def problem(self, width: int) -> str | None:
        if not self.count:
            return None
        where = f"row {self.first_row} of the file" if self.first_row else "one of them"
        plural = "s have" if self.count > 1 else " has"
        return (
            f"{self.count:,} row{plural} a different number of fields from the header's "
            f"{width} and {'are' if self.count > 1 else 'is'} left out of the profile (the "
            f"first is {where}, counting the header as row 1, with {self.first_fields} "
            f"field{'s' * (self.first_fields != 1)}). Give every row one value per column, "
            "and quote values that contain the delimiter."
        )


def profile_csv(path: Path, *, encoding: str, delimiter: str,
                builder: TableBuilder, line_limit: int = BLOCK_BYTES) -> TableResult:
    header = read_header(path, encoding, delimiter, line_limit)
    if isinstance(header, str):
        return not_a_table(header)
    names, problems = unique_names(header)
    builder.problems.extend(problems)
    builder.declare(names)
    try:
        return _read(path, encoding, delimiter, names, builder, line_limit, lenient=False)
    except _NotUtf8Error:
        pass
    # Rare: the start was UTF-8 (often plain ASCII) and a later byte is not.
    fresh = TableBuilder(builder.preview_rows, builder.preview_cell_chars)
    fresh.problems.extend(problems)
    fresh.declare(names)
    if encoding == "utf-8" and _decodes(path, "cp949"):
        return _read(path, "cp949", delimiter, names, fresh, line_limit, lenient=True)
    return _read(path, encoding, delimiter, names, fresh, line_limit, lenient=True)


def _read(path: Path, encoding: str, delimiter: str, names: list[str],
          builder: TableBuilder, line_limit: int, *, lenient: bool) -> TableResult:
    ragged = _Ragged()
    with ExitStack() as stack:
        source: str | Utf8Reader
        if encoding in ("utf-8", "utf-8-sig") and not lenient:
            # pyarrow reads and checks UTF-8 itself, natively: the fast path.
            source = str(path)
        else:
            source = Utf8Reader(stack.enter_context(path.open("rb")), encoding)
        problem = _stream(source, delimiter, names, builder, ragged, line_limit)
    if problem:
        builder.problems.append(problem)
    if isinstance(source, Utf8Reader) and source.first_error is not None:
        line, offset = source.first_error
        builder.problems.append(
            f"Line {line} (byte {offset:,}) holds bytes that are not valid {_label(encoding)}; "
            "they are shown as '\ufffd'. Save the file again as 'CSV UTF-8'."
        )
    if (message := ragged.problem(len(names))) is not None:
        builder.problems.append(message)
    if builder.rows == 0 and not problem:
        builder.problems.append("The file has a header but no rows of data.")
    return builder.result(encoding=encoding)


def _stream(source: str | Utf8Reader, delimiter: str, names: list[str],
            builder: TableBuilder, ragged: _Ragged, line_limit: int) -> str | None:
    """Feed the file's rows to ``builder``; a problem that stopped the reading, or None."""
    pending: list[pa.RecordBatch] = []
    size = 0
    try:
        reader = pacsv.open_csv(
            source,
            read_options=pacsv.ReadOptions(
                column_names=names, skip_rows=1, block_size=line_limit,
                # Threads number nothing: without them pyarrow says which row is ragged.
                use_threads=False,
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, newlines_in_values=True, invalid_row_handler=ragged,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()), null_values=[""],
                strings_can_be_null=True, include_columns=names[:MAX_COLUMNS],
            ),
        )
        for batch in _ahead(reader):
            pending.append(batch)
            size += batch.nbytes
            if size >= BATCH_BYTES:
                builder.add(_frame(pending))
                pending, size = [], 0
    except pa.ArrowInvalid as error:
        rows = builder.rows + sum(batch.num_rows for batch in pending)
        problem = _arrow_problem(str(error), rows, line_limit, raw=isinstance(source, str))
    else:
        problem = None
    if pending:
        builder.add(_frame(pending))
    return problem


def _ahead(reader: Any) -> Iterator[pa.RecordBatch]:
    """The reader's batches, each read in a thread while the one before is profiled.

    pyarrow parses without the GIL, and so do the Polars statistics of the batch before:
    on two cores they overlap. The queue holds two batches, so memory stays bounded.
    """
    queue: Queue[pa.RecordBatch | BaseException | None] = Queue(maxsize=2)
    stop = threading.Event()

    def put(item: pa.RecordBatch | BaseException | None) -> bool:
        while not stop.is_set():
            try:
                queue.put(item, timeout=0.05)
            except Full:
                continue
            return True
        return False

    def produce() -> None:
        try:
            for batch in reader:
                if not put(batch):
                    return
            put(None)
        except BaseException as error:  # handed over: the consumer raises it
            put(error)

    thread = threading.Thread(target=produce, name="profile-csv-reader", daemon=True)
    thread.start()
    try:
        while (item := queue.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()


def _frame(batches: list[pa.RecordBatch]) -> pl.DataFrame:
    frame = pl.from_arrow(pa.Table.from_batches(batches))
    assert isinstance(frame, pl.DataFrame)
    return frame


def _arrow_problem(message: str, rows: int, line_limit: int, *, raw: bool) -> str | None:
    """The problem to report for pyarrow's error ``message``; raises ``_NotUtf8Error`` when
    the raw file (not yet decoded by us) holds bytes that are not UTF-8."""
    # pyarrow decodes a ragged row as UTF-8 to hand it to the row handler; when it cannot,
    # the handler is not called ("Exception ignored" on stderr) and the row is an error.
    handler_failed = "CSV parse error" in message and "Expected" in message
    if raw and ("invalid UTF8" in message or handler_failed):
        raise _NotUtf8Error
    if "Could not skip initial" in message:
        return None  # the header without a line break after it: no rows
    if "straddling" in message:
        return (
            f"A line after data row {rows:,} is longer than {size_text(line_limit)}; the rows "
            "from there on are not profiled. Lines this long are not table rows: check the "
            "delimiter and that every quote is closed."
        )
    # pyarrow's messages can quote the row; say where, not what.
    return (f"The file cannot be read as CSV after data row {rows:,} "
            f"({message.split(':', 1)[0]}); check the delimiter and quotes.")


def _label(encoding: str) -> str:
    return {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "cp949": "CP949 (EUC-KR)"}.get(
        encoding, encoding.upper()) + (" or CP949" if encoding == "utf-8" else "")


def _decodes(path: Path, encoding: str) -> bool:
    """Whether the whole file decodes as ``encoding`` (read in chunks, stopping early)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    with path.open("rb") as raw:
        try:
            while chunk := raw.read(CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def read_header(path: Path, encoding: str, delimiter: str, limit: int) -> list[str] | str:
    """The column names on the first line, or a problem when there are none.

    The line is read a chunk at a time up to ``limit`` bytes, so a file that is one huge
    line is not held in memory.
    """
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    text = ""
    with path.open("rb") as raw:
        stream = Utf8Reader(raw, encoding)
        while True:
            chunk = stream.read(CHUNK)
            text += decoder.decode(chunk, final=not chunk)
            fields = _first_record(text, delimiter, complete=not chunk)
            if fields is not None:
                break
            if len(text.encode()) > limit:
                return (f"Line 1 is longer than {size_text(limit)}; not profiled as a table. "
                        "A table's first line holds the column names: check that this is "
                        "a CSV file with line breaks.")
    if not any(name.strip() for name in fields):
        return "Line 1 is empty; the first line of a CSV file must hold the column names."
    return fields


def _first_record(text: str, delimiter: str, *, complete: bool) -> list[str] | None:
    """The first record of ``text``, or None if more text could still belong to it."""
    stream = io.StringIO(text, newline="")
    try:
        fields = next(csv.reader(stream, delimiter=delimiter), [])
    except csv.Error:
        fields = []
    if complete or stream.tell() < len(text):
        return fields
    return None
