"""Turn an uploaded file into a table: CSV, ``.csv.gz``, a one-file ``.zip``, or Parquet.

The format is found from the first bytes, not the name: participants rename files, and a
Parquet file called ``submission.csv`` should still be read. Text is accepted as UTF-8
(with or without a byte-order mark) or CP949/EUC-KR, which Korean Excel writes; CP949 is
transcoded to UTF-8 because Polars reads UTF-8 only.

Every problem raises ``SubmissionError`` with a message written for the person who made the
file. The loader of the solution re-raises them as ``SolutionError``.
"""

from __future__ import annotations

import csv
import gzip
import io
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
import polars as pl
from polars.exceptions import ComputeError, NoDataError, PolarsError

from aihub.evaluation.scoring.errors import SubmissionError

ENCODINGS_ACCEPTED = "UTF-8 (with or without BOM) or CP949/EUC-KR"

_PARQUET_MAGIC = b"PAR1"
_ZIP_MAGIC = b"PK\x03\x04"
_EMPTY_ZIP_MAGIC = b"PK\x05\x06"
_GZIP_MAGIC = b"\x1f\x8b"
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# Files a zip tool adds next to the real one; ignoring them spares Mac users an error.
_ZIP_JUNK_PREFIXES = ("__MACOSX/",)
_SNIFF_BYTES = 1 << 16

Format = Literal["csv", "parquet"]
# Polars accepts data type classes (pl.Int64) and instances (pl.List(pl.Int64)) alike.
DataTypes = Mapping[str, pl.DataType | type[pl.DataType]]


@dataclass(frozen=True)
class RawTable:
    """An uploaded table before parsing: its format, header, and where its bytes are.

    ``data`` holds UTF-8 CSV bytes or Parquet bytes. A large plain CSV whose start is UTF-8
    is not read into Python at all: ``data`` is None and Polars reads ``path`` itself,
    which saves a copy of the whole file (about 150 ms at 10M rows). ``load()`` reads and
    decodes it when the slow paths need the text.
    """

    format: Format
    header: tuple[str, ...]
    name: str
    # As detected from the start of the file.
    encoding: str
    data: bytes | None = None
    path: Path | None = None

    def position(self, row: int) -> str:
        """Where data row ``row`` (0-based) is, in words a participant can find in an editor.

        For CSV this is the line number assuming no quoted field spans lines, which
        prediction files do not do.
        """
        return f"line {row + 2}" if self.format == "csv" else f"row {row + 1}"

    def load(self) -> RawTable:
        """This table with its decoded bytes in memory."""
        if self.data is not None:
            return self
        assert self.path is not None
        data, encoding = _decode(self.path.read_bytes())
        return replace(self, data=data, encoding=encoding, path=None)

    def bytes(self) -> bytes:
        data = self.load().data
        assert data is not None
        return data


class TypedParseError(Exception):
    """A column did not parse as the type asked for; the caller re-reads it as text."""


def _mb(size: int) -> str:
    return f"{size / 1_000_000:,.1f} MB"


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def _read_capped(stream: _Readable, cap: int, what: str) -> bytes:
    # Read one byte past the cap so an oversized stream is detected without inflating it all
    # (a zip bomb stops here, whatever its header claims).
    data = stream.read(cap + 1)
    if len(data) > cap:
        raise SubmissionError(
            f"{what} expands to more than the size limit of {_mb(cap)}; "
            "upload a smaller file (only the prediction columns are needed)."
        )
    return data


def _unzip(data: bytes, name: str, max_bytes: int) -> bytes:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError):
        raise SubmissionError(f"{name!r} is not a valid zip file (it may be cut short).") from None
    with archive:
        entries = [
            info
            for info in archive.infolist()
            if not info.is_dir()
            and not info.filename.startswith(_ZIP_JUNK_PREFIXES)
            and not Path(info.filename).name.startswith(".")
        ]
        names = [info.filename for info in entries]
        if "xl/workbook.xml" in names or "[Content_Types].xml" in names:
            raise SubmissionError(
                f"{name!r} is an Excel workbook; save it as 'CSV UTF-8' and upload the CSV."
            )
        if len(entries) != 1:
            found = ", ".join(repr(n) for n in names[:10]) or "nothing"
            raise SubmissionError(
                f"The zip file must hold exactly one CSV or Parquet file; it holds "
                f"{len(entries)}: {found}."
            )
        info = entries[0]
        if info.flag_bits & 0x1:
            raise SubmissionError(
                "The zip file is password-protected; upload it without a password."
            )
        try:
            with archive.open(info) as member:
                return _read_capped(member, max_bytes, f"{info.filename!r} in the zip file")
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError):
            raise SubmissionError(
                f"{info.filename!r} in the zip file cannot be extracted (damaged, or an "
                "unsupported compression method); zip it again with standard settings."
            ) from None


def _gunzip(data: bytes, name: str, max_bytes: int) -> bytes:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            return _read_capped(stream, max_bytes, f"{name!r}")
    except (OSError, EOFError, zlib.error):
        raise SubmissionError(f"{name!r} is not a valid gzip file (it may be cut short).") from None


def _unpack(data: bytes, name: str, max_bytes: int) -> tuple[Format, bytes]:
    """Undo one layer of compression and return the table bytes with their format."""
    if data.startswith(_ZIP_MAGIC):
        data = _unzip(data, name, max_bytes)
        if data.startswith((_ZIP_MAGIC, _GZIP_MAGIC)):
            raise SubmissionError("The zip file must hold a CSV or Parquet file, not an archive.")
    elif data.startswith(_EMPTY_ZIP_MAGIC):
        raise SubmissionError("The zip file is empty; it must hold one CSV or Parquet file.")
    elif data.startswith(_GZIP_MAGIC):
        data = _gunzip(data, name, max_bytes)
    if data.startswith(_PARQUET_MAGIC):
        return "parquet", data
    return "csv", data


def _decode(data: bytes) -> tuple[bytes, str]:
    """Return UTF-8 bytes without BOM and the encoding the file was in."""
    if data.startswith(_UTF8_BOM):
        data, encoding = data[len(_UTF8_BOM) :], "utf-8-sig"
    else:
        encoding = "utf-8"
    if data.startswith(_UTF16_BOMS):
        raise SubmissionError(
            f"The file is UTF-16 text; save it as CSV in {ENCODINGS_ACCEPTED} "
            "(in Excel: 'CSV UTF-8')."
        )
    # Text files have no NUL bytes; looking at the start is enough to catch binary files
    # (and UTF-16 without a BOM) without a second pass over a large upload.
    if b"\x00" in data[:_SNIFF_BYTES]:
        raise SubmissionError(
            "The file holds binary data, not CSV text; upload a CSV, .csv.gz, .zip or Parquet file."
        )
    # isascii is a fast C scan; most prediction files are pure ASCII and skip decoding.
    if data.isascii():
        return data, encoding
    try:
        data.decode("utf-8")
        return data, encoding
    except UnicodeDecodeError as utf8_error:
        bad_line = data.count(b"\n", 0, utf8_error.start) + 1
    try:
        # Korean Excel writes CP949 (a superset of EUC-KR); valid UTF-8 almost never is CP949.
        return data.decode("cp949").encode("utf-8"), "cp949"
    except UnicodeDecodeError:
        raise SubmissionError(
            f"Line {bad_line} is not valid text in {ENCODINGS_ACCEPTED}; "
            "save the file as 'CSV UTF-8'."
        ) from None


def _csv_header(data: bytes) -> tuple[str, ...]:
    """The column names from the first line; raises if there are none."""
    data = data.removeprefix(_UTF8_BOM)
    end = data.find(b"\n")
    first = (data if end < 0 else data[:end]).decode("utf-8").rstrip("\r")
    fields = tuple(next(csv.reader([first]), []))
    if not any(name.strip() for name in fields):
        raise SubmissionError("The file is empty (no header line with column names).")
    return fields


def _parquet_header(data: bytes, name: str) -> tuple[str, ...]:
    try:
        return tuple(pl.read_parquet_schema(io.BytesIO(data)))
    except (PolarsError, OSError, ValueError):
        raise SubmissionError(
            f"{name!r} starts like a Parquet file but cannot be read (it may be cut short)."
        ) from None


def open_table(path: Path, *, original_name: str, max_bytes: int) -> RawTable:
    """Check, unpack and decode the file at ``path`` and parse its header; no rows yet."""
    size = path.stat().st_size
    if size == 0:
        raise SubmissionError("The file is empty.")
    if size > max_bytes:
        raise SubmissionError(f"The file is {_mb(size)}; the limit is {_mb(max_bytes)}.")
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
        if size > _SNIFF_BYTES and _plain_utf8(head):
            return RawTable("csv", _csv_header(head), original_name, _encoding(head), path=path)
        data = head + handle.read()
    fmt, data = _unpack(data, original_name, max_bytes)
    if fmt == "parquet":
        header = _parquet_header(data, original_name)
        return RawTable("parquet", header, original_name, "", data=data)
    data, encoding = _decode(data)
    return RawTable("csv", _csv_header(data), original_name, encoding, data=data)


def _plain_utf8(head: bytes) -> bool:
    """Whether the file's start is uncompressed CSV text in UTF-8 (Polars reads it directly).

    Later bytes that are not UTF-8 (a CP949 file whose first 64 KiB are ASCII) make Polars
    fail, and ``parse`` then falls back to decoding the whole file.
    """
    if head.startswith((_ZIP_MAGIC, _EMPTY_ZIP_MAGIC, _GZIP_MAGIC, _PARQUET_MAGIC, *_UTF16_BOMS)):
        return False
    if b"\x00" in head:
        return False
    body = head.removeprefix(_UTF8_BOM)
    # The sniffed block may end inside a multi-byte character: judge whole lines only.
    body = body[: body.rfind(b"\n") + 1]
    if not body:
        return False
    if body.isascii():
        return True
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _encoding(head: bytes) -> str:
    return "utf-8-sig" if head.startswith(_UTF8_BOM) else "utf-8"


def find_ragged_line(raw: RawTable) -> tuple[int, int] | None:
    """The first line whose field count differs from the header's, with that count.

    Polars pads short rows with nulls instead of failing, so this runs only when something
    already looks wrong. Blank lines and lines of empty fields are skipped, as the reader
    drops them.
    """
    if raw.format != "csv":
        return None
    data = raw.bytes()
    if b'"' in data:
        return _ragged_by_csv(data, len(raw.header))
    return _ragged_by_counting(data, len(raw.header))


def _ragged_by_counting(data: bytes, width: int) -> tuple[int, int] | None:
    # Without quotes every comma separates fields: count them per line with NumPy, which
    # takes a fraction of a second at 10M lines where the csv module takes many seconds.
    buffer = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(buffer == ord("\n"))
    commas = np.flatnonzero(buffer == ord(","))
    fields = np.bincount(np.searchsorted(newlines, commas), minlength=newlines.size + 1) + 1
    starts = np.concatenate(([0], newlines + 1))
    ends = np.concatenate((newlines, [buffer.size]))
    carriage = (ends > starts) & (buffer[np.maximum(ends - 1, 0)] == ord("\r"))
    lengths = ends - starts - carriage
    # A line of nothing but (not too many) commas is an empty row, which the reader drops.
    blank = (lengths == fields - 1) & (fields <= width)
    bad = (fields != width) & ~blank
    bad[0] = False
    if not bad.any():
        return None
    line = int(np.argmax(bad))
    return line + 1, int(fields[line])


def _ragged_by_csv(data: bytes, width: int) -> tuple[int, int] | None:
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
    next(reader, None)
    for fields in reader:
        if fields and any(fields) and len(fields) != width:
            return reader.line_num, len(fields)
    return None


def ragged_message(raw: RawTable) -> str | None:
    """The message for the first line with the wrong number of fields, if there is one."""
    found = find_ragged_line(raw)
    if found is None:
        return None
    line, count = found
    return (
        f"Line {line} has {count} field{'s' * (count != 1)} but the header has "
        f"{len(raw.header)}; every line needs one value per column (quote values that "
        "contain commas)."
    )


def parse(raw: RawTable, dtypes: DataTypes, *, strict: bool = True) -> pl.DataFrame:
    """Parse only the columns in ``dtypes``, as those types.

    With ``strict``, a value that does not parse raises ``TypedParseError`` (the caller then
    re-reads the column as text to say exactly which row is wrong). Blank lines stay as
    all-null rows so that row ``i`` is still on line ``i + 2``; see ``blank_rows``.
    """
    columns = list(dtypes)
    try:
        if raw.format == "parquet":
            frame = pl.read_parquet(io.BytesIO(raw.bytes()), columns=columns)
            frame = _cast_parquet(frame, dtypes, strict=strict)
        else:
            source: bytes | Path | None = raw.data if raw.data is not None else raw.path
            assert source is not None
            frame = pl.read_csv(
                source,
                # Selecting columns costs Polars a Python-side check; skip it when not needed.
                columns=None if list(raw.header) == columns else columns,
                schema_overrides=dict(dtypes),
                infer_schema=False,
            )
    except NoDataError:
        raise SubmissionError("The file is empty.") from None
    except ComputeError as error:
        message = str(error)
        if "invalid utf-8" in message and raw.data is None:
            # Read straight from disk on the strength of its first 64 KiB; decode it all now.
            return parse(raw.load(), dtypes, strict=strict)
        if "more fields" in message:
            raise SubmissionError(
                ragged_message(raw)
                or "A line has more fields than the header; quote values that contain commas."
            ) from None
        if "could not parse" in message and strict:
            raise TypedParseError(message) from None
        raise SubmissionError(
            f"The file cannot be read as CSV: {message.splitlines()[0]}"
        ) from None
    except PolarsError as error:
        raise SubmissionError(f"The file cannot be read: {str(error).splitlines()[0]}") from None
    return frame


def _cast_parquet(frame: pl.DataFrame, dtypes: DataTypes, *, strict: bool) -> pl.DataFrame:
    casts = []
    for name, dtype in dtypes.items():
        column = frame[name]
        if column.dtype == dtype:
            continue
        if dtype == pl.String or column.dtype != pl.String:
            casts.append(pl.col(name).cast(dtype, strict=False))
            continue
        casts.append(pl.col(name).str.strip_chars().cast(dtype, strict=strict))
    if not casts:
        return frame
    try:
        return frame.with_columns(casts)
    except (ComputeError, pl.exceptions.InvalidOperationError) as error:
        raise TypedParseError(str(error)) from None


def blank_rows(frame: pl.DataFrame) -> pl.Series | None:
    """Rows empty in every column (blank lines, the ``,,,`` rows Excel leaves at the end).

    None when there are none; ``null_count`` is O(1), so files without gaps pay nothing.
    """
    if not frame.width or not any(frame[name].null_count() for name in frame.columns):
        return None
    blank = frame.select(pl.all_horizontal(pl.all().is_null())).to_series()
    return blank if blank.any() else None


def _drop_blank_rows(frame: pl.DataFrame) -> pl.DataFrame:
    blank = blank_rows(frame)
    return frame if blank is None else frame.filter(~blank)


def read_table(path: Path, *, original_name: str, max_bytes: int) -> pl.DataFrame:
    """The whole table, CSV columns as text (so ``007`` stays ``007``), Parquet as stored."""
    raw = open_table(path, original_name=original_name, max_bytes=max_bytes)
    return read_raw(raw)


def read_raw(raw: RawTable, columns: Sequence[str] | None = None) -> pl.DataFrame:
    """Columns of an opened table (all when ``columns`` is None), CSV values as text."""
    names = list(raw.header if columns is None else columns)
    duplicated = sorted({n for n in names if raw.header.count(n) > 1})
    if duplicated:
        listed = ", ".join(repr(n) for n in duplicated)
        raise SubmissionError(f"The header repeats column name(s) {listed}; names must be unique.")
    if raw.format == "parquet":
        try:
            frame = pl.read_parquet(io.BytesIO(raw.bytes()), columns=names)
        except (PolarsError, OSError) as error:
            raise SubmissionError(f"The Parquet file cannot be read: {error}") from None
        return _drop_blank_rows(frame)
    as_text: dict[str, type[pl.DataType]] = dict.fromkeys(names, pl.String)
    return _drop_blank_rows(parse(raw, as_text, strict=False))
