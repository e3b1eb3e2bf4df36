"""Reading uploads as batches of string cells, streaming, with bounded memory.

Every reader turns bytes into valid UTF-8 first (``Utf8Reader``: CP949/EUC-KR and UTF-16
transcoded, a BOM dropped, undecodable bytes replaced and counted, a damaged compressed
stream ended with a note), then yields ``Batch`` objects: one PyArrow string array per
column and the 1-based row number of the first cell. Cells are not normalized here; the
analysis does that, only for the cells that need it.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.csv as pcsv  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from aihub.datasets.pii.detect import LEFT_CONTEXT, nfkc
from aihub.datasets.pii.patterns import header_hints

MiB = 1024 * 1024
SNIFF_BYTES = 64 * 1024
_STEP = 256 * 1024  # raw read size: what a damaged stream may lose
# Damaged compressed input: a truncated gzip, a bad CRC in a zip member, a broken stream.
STREAM_ERRORS = (EOFError, OSError, zlib.error, zipfile.BadZipFile, ValueError)


class RecordTooLong(Exception):  # noqa: N818 - a signal, not an error for the user
    """A CSV record does not fit in one block: the file is read again as text lines."""


@dataclass(frozen=True)
class Column:
    name: str | None  # None: lines of a text file
    hints: frozenset[str] = frozenset()


@dataclass
class Batch:
    arrays: list[pa.Array]  # one per column of the source
    first_row: int  # row (or line) number of the first cell, 1-based
    rows: list[int] | None = None  # explicit rows, when cells are not consecutive
    accept: list[tuple[int, int | None]] | None = None  # windows of a long line
    columns: list[Column] | None = None  # overrides the source's columns (malformed rows)


@dataclass
class SourceState:
    """What a reader learnt on the way: shown in the file's report."""

    encoding: str | None = None
    columns: list[Column] = field(default_factory=lambda: [Column(None)])
    rows: int = 0
    notes: list[str] = field(default_factory=list)


def detect_encoding(head: bytes) -> str:
    """utf-8-sig, utf-16, utf-8 or cp949 (a superset of EUC-KR), from the first bytes."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for encoding in ("utf-8", "cp949"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
        return encoding
    return "utf-8"  # neither fits: read as UTF-8, undecodable bytes replaced and counted


class Utf8Reader(io.RawIOBase):
    """A binary stream of valid UTF-8 read from ``raw`` in ``encoding``."""

    def __init__(self, raw: BinaryIO, encoding: str, notes: list[str]) -> None:
        super().__init__()
        self._raw = raw
        self._encoding = encoding
        # Only other encodings need a decoder: UTF-8 is checked and passed through as is.
        self._decoder = codecs.getincrementaldecoder(
            "utf-8" if encoding.startswith("utf-8") else encoding)(errors="replace")
        self._notes = notes
        self._first = True
        self._done = False
        self._pending = b""
        self._broken = False
        self.replaced = 0
        self.raw_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def _raw_read(self, size: int) -> bytes:
        """Up to ``size`` bytes, in steps, so that a damaged stream still gives what it
        decompressed before the damage (at most one step is lost)."""
        chunks: list[bytes] = []
        total = 0
        # read1 gives back what one step decompressed; read() would drop it all on an error.
        read = getattr(self._raw, "read1", self._raw.read)
        while total < size and not self._broken:
            try:
                piece = read(min(_STEP, size - total))
            except STREAM_ERRORS as exc:
                self._broken = True
                self._notes.append(f"The compressed data is damaged or ends early ({exc}); "
                                   "the file was scanned up to that point only.")
                break
            if not piece:
                break
            chunks.append(piece)
            total += len(piece)
        data = b"".join(chunks)
        self.raw_bytes += len(data)
        return data

    def read(self, size: int | None = -1) -> bytes:
        size = 4 * MiB if size is None or size < 0 else max(size, 4)
        out = b""
        while not out and not self._done:  # an empty answer would mean the end
            data = self._raw_read(size)
            self._done = not data
            if self._first and data:
                self._first = False
                if self._encoding == "utf-8-sig" and data.startswith(codecs.BOM_UTF8):
                    data = data[3:]
            out = self._convert(data, final=self._done)
        return out

    def _convert(self, data: bytes, final: bool) -> bytes:
        if self._encoding not in ("utf-8", "utf-8-sig"):
            text = self._decoder.decode(data, final=final)
            self.replaced += text.count("\ufffd")
            return text.encode("utf-8")
        # UTF-8 passes through untouched when valid (the common, fast case).
        data = self._pending + data
        cut = len(data) if final else _char_boundary(data)
        head, self._pending = data[:cut], data[cut:]
        if _valid_utf8(head):
            return head
        text = head.decode("utf-8", "replace")
        self.replaced += text.count("\ufffd") - head.count("\ufffd".encode())
        return text.encode("utf-8")


def _valid_utf8(data: bytes) -> bool:
    """Checked in C++ by Arrow: no Python string of the whole block is built."""
    offsets = pa.py_buffer(np.array([0, len(data)], np.int64).tobytes())
    try:
        pa.LargeStringArray.from_buffers(1, offsets, pa.py_buffer(data)).validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


class PrefixReader(io.RawIOBase):
    """``head`` then the rest of ``stream``: bytes already read to sniff, given back."""

    def __init__(self, head: bytes, stream: io.RawIOBase) -> None:
        super().__init__()
        self._head = head
        self._stream = stream

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if self._head:
            n = len(self._head) if size is None or size < 0 else size
            out, self._head = self._head[:n], self._head[n:]
            return out
        return self._stream.read(-1 if size is None else size) or b""


def _delimiter(first_line: str, filename: str) -> str:
    if filename.lower().endswith((".tsv", ".tab")):
        return "\t"
    counts = {d: first_line.count(d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def csv_batches(stream: io.RawIOBase, state: SourceState, filename: str, unit_bytes: int,
                read_bytes: int) -> Iterator[Batch]:
    """Data rows of a CSV/TSV with a header, quoted newlines allowed, as string columns.

    Arrow parses blocks of ``read_bytes`` (its streaming reader keeps dozens of blocks
    ahead, so they stay small); its batches are joined into units of about ``unit_bytes``
    for the analysis, whose per-call cost (compiling the RE2 pattern) wants large arrays."""
    head = stream.read(min(read_bytes, MiB)) or b""
    text = head.decode("utf-8", "ignore")
    if not text.strip():
        return
    delimiter = _delimiter(text.splitlines()[0], filename)
    header = _unique(next(csv.reader(io.StringIO(text), delimiter=delimiter)))
    state.columns = [Column(name, header_hints(name)) for name in header]
    malformed: list[tuple[int, str]] = []

    def on_invalid(row: pcsv.InvalidRow) -> str:
        malformed.append((max(1, (row.number or 2) - 1), row.text))
        return "skip"

    names = [f"c{i}" for i in range(len(header))]
    try:
        reader = _open_csv(PrefixReader(head, stream), names, delimiter, read_bytes, on_invalid)
    except pa.ArrowInvalid as exc:  # its text may quote a row: never shown
        raise RecordTooLong from exc
    pending: list[pa.RecordBatch] = []
    for batch in _record_batches(reader):
        pending.append(batch)
        if sum(b.nbytes for b in pending) >= unit_bytes or malformed:
            yield _unit(pending, state)
            pending = []
        if malformed:
            yield _malformed_batch(malformed, state)
            malformed = []
    if pending:
        yield _unit(pending, state)
    if malformed:
        yield _malformed_batch(malformed, state)


def _record_batches(reader: pcsv.CSVStreamingReader) -> Iterator[pa.RecordBatch]:
    while True:
        try:
            yield reader.read_next_batch()
        except StopIteration:
            return
        except pa.ArrowInvalid as exc:  # its text may quote a row: never shown
            raise RecordTooLong from exc


def _unit(batches: list[pa.RecordBatch], state: SourceState) -> Batch:
    columns = [pa.concat_arrays([b.column(i) for b in batches])
               for i in range(batches[0].num_columns)]
    unit = Batch(columns, state.rows + 1)
    state.rows += sum(b.num_rows for b in batches)
    return unit


def _open_csv(source: io.RawIOBase, names: list[str], delimiter: str, block_bytes: int,
              on_invalid: Callable[[pcsv.InvalidRow], str]) -> pcsv.CSVStreamingReader:
    # Single-threaded parsing keeps the line numbers of malformed rows; the analysis, not
    # the parsing, is where the time goes, and it has its own threads.
    return pcsv.open_csv(
        source,
        read_options=pcsv.ReadOptions(use_threads=False, block_size=block_bytes, skip_rows=1,
                                      column_names=names),
        parse_options=pcsv.ParseOptions(delimiter=delimiter, newlines_in_values=True,
                                        invalid_row_handler=on_invalid),
        convert_options=pcsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()),
                                            strings_can_be_null=False,
                                            quoted_strings_can_be_null=False),
    )


def _unique(header: list[str]) -> list[str]:
    """Column names as shown: empty ones numbered, repeated ones told apart."""
    names: list[str] = []
    for i, raw in enumerate(header, start=1):
        name = raw.strip() or f"column {i}"
        names.append(name if name not in names else f"{name} ({i})")
    return names


def _malformed_batch(rows: list[tuple[int, str]], state: SourceState) -> Batch:
    """Rows with the wrong number of fields, scanned as text lines (not lost)."""
    state.notes.append(f"{len(rows)} rows with the wrong number of fields were scanned as "
                       "whole lines (column hints not applied), first at row "
                       f"{rows[0][0]}.")
    return Batch([pa.array([text for _, text in rows], pa.string())], rows[0][0],
                 rows=[row for row, _ in rows], columns=[Column(None)])


@dataclass
class _LongLine:
    """Windows of a line longer than a block: overlapping so no match is cut."""

    overlap: int
    left: int = LEFT_CONTEXT
    prefix: str = ""

    def window(self, text: str, row: int, last: bool) -> Batch:
        text = nfkc(text)  # before windowing, so the accepted range stays in place
        whole = self.prefix + text
        low = self.left if self.prefix else 0
        high = None if last else max(low, len(whole) - self.overlap)
        self.prefix = "" if last else whole[len(whole) - self.overlap - self.left :]
        return Batch([pa.array([whole], pa.string())], row, rows=[row], accept=[(low, high)])


def _char_boundary(data: bytes) -> int:
    """Length of the longest prefix of ``data`` that ends on a UTF-8 character boundary."""
    end = len(data)
    for back in range(1, min(4, end) + 1):
        byte = data[end - back]
        if byte & 0xC0 != 0x80:  # ASCII or the lead byte of the last character
            need = 1 if byte < 0x80 else 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return end if back >= need else end - back
    return end


def text_batches(stream: io.RawIOBase, state: SourceState, block_bytes: int,
                 overlap: int) -> Iterator[Batch]:
    """Lines of a text file; a line longer than ``block_bytes`` comes in windows."""
    carry = b""
    long_line: _LongLine | None = None
    while True:
        data = stream.read(block_bytes) or b""
        buf, final = carry + data, not data
        cut = len(buf) if final else buf.rfind(b"\n") + 1
        if long_line is not None and (cut or final):  # the long line ends here
            end = buf.find(b"\n") + 1 or len(buf)
            yield long_line.window(buf[:end].decode("utf-8"), state.rows + 1, last=True)
            state.rows += 1
            long_line, buf, cut = None, buf[end:], max(0, cut - end)
        elif cut == 0 and len(buf) >= block_bytes:  # no newline in a whole block
            long_line = long_line or _LongLine(overlap)
            at = _char_boundary(buf)
            yield long_line.window(buf[:at].decode("utf-8"), state.rows + 1, last=False)
            carry = buf[at:]
            continue
        if cut:
            yield _lines_batch(buf[:cut], state)
        carry = buf[cut:]
        if final:
            return


def _lines_batch(part: bytes, state: SourceState) -> Batch:
    """Complete lines as one string array, built on the bytes without copying lines."""
    ends = np.flatnonzero(np.frombuffer(part, np.uint8) == 10) + 1
    if not len(ends) or ends[-1] != len(part):
        ends = np.append(ends, len(part))
    offsets = np.concatenate(([0], ends)).astype(np.int64)
    array = pa.LargeStringArray.from_buffers(len(ends), pa.py_buffer(offsets.tobytes()),
                                             pa.py_buffer(part))
    batch = Batch([array], state.rows + 1)
    state.rows += len(ends)
    return batch


_CASTABLE = ("int", "uint", "float", "double", "decimal", "string", "large_string")


def parquet_batches(source: BinaryIO, state: SourceState, block_bytes: int) -> Iterator[Batch]:
    """Parquet row groups in record batches; numbers and text cast to strings."""
    parquet = pq.ParquetFile(pa.PythonFile(source, mode="r"))
    schema = parquet.schema_arrow
    meta = parquet.metadata
    row_bytes = max(1, sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
                    // max(1, meta.num_rows))
    kept: list[str] = []
    skipped: list[str] = []
    for f in schema:
        kind = f.type.value_type if pa.types.is_dictionary(f.type) else f.type
        usable = str(kind).startswith(_CASTABLE) or pa.types.is_binary(kind)
        (kept if usable else skipped).append(f.name)
    if skipped:
        state.notes.append("Columns not scanned (types the patterns cannot match): "
                           + ", ".join(f"{n} ({schema.field(n).type})" for n in skipped) + ".")
    state.columns = [Column(name, header_hints(name)) for name in kept]
    if not kept:
        return
    batch_rows = max(1024, block_bytes // row_bytes)
    for batch in parquet.iter_batches(batch_size=batch_rows, columns=kept):
        arrays: list[pa.Array] = []
        for column in batch.columns:
            arrays.append(_as_strings(column, state))
        yield Batch(arrays, state.rows + 1)
        state.rows += batch.num_rows


def _as_strings(column: pa.Array, state: SourceState) -> pa.Array:
    if pa.types.is_dictionary(column.type):
        column = column.dictionary_decode()
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        return column
    try:
        return column.cast(pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        note = "A binary column holds bytes that are not UTF-8 text; its cells were not scanned."
        if note not in state.notes:
            state.notes.append(note)
        return pa.nulls(len(column), pa.string())


Opener = Callable[[], BinaryIO]
