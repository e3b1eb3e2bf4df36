"""What a dataset file is: its format and media type from its first bytes and its name, the
encoding of text, and the delimiter of a table.

The first bytes decide where they can (people rename files: a Parquet file called
``data.csv`` is still Parquet); the name decides between text formats, and the content
where the name says nothing. Text is UTF-8 (with or without a byte-order mark), CP949 (the
superset of EUC-KR that Korean Excel and public data portals write), or UTF-16 with a
byte-order mark (Excel's "Unicode text"). Media types are those Croissant's
``encodingFormat`` uses (mlcroissant's ``EncodingFormat``) where it names one.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import BinaryIO

SNIFF_BYTES = 64 * 1024
CHUNK = 1024 * 1024

MEDIA_TYPES = {
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "parquet": "application/x-parquet",
    "json": "application/json",
    "jsonl": "application/jsonlines",
    "zip": "application/zip",
    "gzip": "application/gzip",
    "tar": "application/x-tar",
    "pdf": "application/pdf",
    "excel": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "text": "text/plain",
    "binary": "application/octet-stream",
}
TABLE_FORMATS = frozenset({"csv", "tsv", "parquet", "json", "jsonl"})
_KINDS = {"parquet": "a Parquet file", "zip": "a zip archive", "gzip": "a gzip file",
          "tar": "a tar archive", "pdf": "a PDF document", "image": "an image",
          "excel": "an Excel workbook"}

_MAGIC: tuple[tuple[bytes, str, str], ...] = (
    (b"PAR1", "parquet", MEDIA_TYPES["parquet"]),
    (b"PK\x03\x04", "zip", MEDIA_TYPES["zip"]),
    (b"PK\x05\x06", "zip", MEDIA_TYPES["zip"]),  # an empty zip
    (b"\x1f\x8b", "gzip", MEDIA_TYPES["gzip"]),
    (b"%PDF-", "pdf", MEDIA_TYPES["pdf"]),
    (b"\x89PNG\r\n\x1a\n", "image", "image/png"),
    (b"\xff\xd8\xff", "image", "image/jpeg"),
    (b"GIF87a", "image", "image/gif"),
    (b"GIF89a", "image", "image/gif"),
    (b"II*\x00", "image", "image/tiff"),
    (b"MM\x00*", "image", "image/tiff"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "excel", "application/vnd.ms-excel"),
)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# The codec that reads each encoding we report, dropping its byte-order mark.
CODECS = {"utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "cp949": "cp949",
          "utf-16-le": "utf-16", "utf-16-be": "utf-16"}
_EXTENSIONS = {
    ".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".parquet": "parquet", ".pq": "parquet",
    ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".zip": "zip", ".gz": "gzip",
    ".tar": "tar", ".pdf": "pdf", ".xlsx": "excel", ".xls": "excel",
}
DELIMITERS = (",", "\t", ";", "|")
# Text files that are often tables in disguise (Korean portals publish tab-separated .txt).
_TABLE_TEXT_SUFFIXES = frozenset({".txt", ".dat", ""})
# Bytes no text file holds (controls other than tab, newlines, form feed and escape).
_CONTROL = bytes(set(range(32)) - {9, 10, 12, 13, 27})


@dataclass(frozen=True)
class Sniffed:
    format: str
    media_type: str
    # For text: utf-8, utf-8-sig, cp949, utf-16-le or utf-16-be (as judged from the start).
    encoding: str | None = None
    delimiter: str | None = None
    problems: tuple[str, ...] = ()


def sniff(path: Path, *, filename: str) -> Sniffed:
    """Format, media type, encoding and delimiter of the file at ``path``, uploaded as
    ``filename``, from its first 64 KiB."""
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
        complete = not handle.read(1)
    named = named_format(filename)
    if not head:
        return Sniffed(named or "text", MEDIA_TYPES.get(named or "text", MEDIA_TYPES["text"]))
    magic = _by_magic(head, len(head) if complete else None)
    if magic is not None:
        return _with_name_check(magic, named, filename)
    encoding = detect_encoding(head, complete=complete)
    if encoding is None:
        problems: tuple[str, ...] = ()
        if named in TABLE_FORMATS:
            problems = (f"The file is named {filename!r} but holds binary data, not text; "
                        "upload the table itself (CSV, TSV, JSON Lines or Parquet).",)
        return Sniffed("binary", MEDIA_TYPES["binary"], problems=problems)
    text = decode_head(head, encoding, complete=complete)
    fmt = _text_format(named, PurePath(filename).suffix.lower(), text)
    delimiter = None
    if fmt in ("csv", "tsv"):
        delimiter = sniff_delimiter(text, preferred="\t" if fmt == "tsv" else ",")
        fmt = "tsv" if delimiter == "\t" else "csv"
    return Sniffed(fmt, MEDIA_TYPES[fmt], encoding, delimiter)


def named_format(filename: str) -> str | None:
    """The format a file's name claims (``.csv.gz`` claims gzip), or None."""
    return _EXTENSIONS.get(PurePath(filename).suffix.lower())


def _by_magic(head: bytes, size: int | None) -> Sniffed | None:
    for signature, fmt, media_type in _MAGIC:
        if head.startswith(signature):
            return Sniffed(fmt, media_type)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Sniffed("image", "image/webp")
    if head[257:262] == b"ustar":
        return Sniffed("tar", MEDIA_TYPES["tar"])
    # "BM" starts many a CSV header too: a bitmap also says its own size next.
    if head.startswith(b"BM") and size is not None and int.from_bytes(head[2:6], "little") == size:
        return Sniffed("image", "image/bmp")
    return None


def _with_name_check(found: Sniffed, named: str | None, filename: str) -> Sniffed:
    if found.format == "zip" and named == "excel":
        return Sniffed("excel", MEDIA_TYPES["excel"])
    if named in TABLE_FORMATS and named != found.format:
        problem = (f"The file is named {filename!r} but is {_KINDS[found.format]} "
                   f"({found.media_type}); rename it so that tools open it correctly.")
        return Sniffed(found.format, found.media_type, problems=(problem,))
    return found


def detect_encoding(head: bytes, *, complete: bool) -> str | None:
    """The text encoding the start of a file is in, or None for binary data (NUL bytes or
    control characters).

    ``complete`` says the file ends within ``head``; otherwise ``head`` may end inside a
    character. Valid UTF-8 is almost never valid CP949 by chance, so UTF-8 is tried first;
    text that is pure ASCII at the start is called UTF-8 (a later byte may still disagree:
    the profile finds that out when it reads the whole file).
    """
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    if b"\x00" in head or _looks_binary(head):
        return None
    for name in ("utf-8", "cp949"):
        try:
            codecs.getincrementaldecoder(name)().decode(head, final=complete)
        except UnicodeDecodeError:
            continue
        return name
    # Text with some bad bytes: the encoding that makes the most sense of it, whose bad
    # bytes the profile then reports.
    damage = {name: codecs.decode(head, name, errors="replace").count("\ufffd")
              for name in ("utf-8", "cp949")}
    return min(damage, key=lambda name: damage[name])


def _looks_binary(head: bytes) -> bool:
    # Binary data without NUL bytes is rare (in 64 KiB of compressed data a NUL is all but
    # certain), but a short one can be: text has few control characters, binary many.
    controls = len(head) - len(head.translate(None, _CONTROL))
    return controls * 10 > len(head)


def decode_head(head: bytes, encoding: str, *, complete: bool) -> str:
    """The text of ``head``, up to its last whole line when the file goes on."""
    decoder = codecs.getincrementaldecoder(CODECS[encoding])(errors="replace")
    text = decoder.decode(head, final=complete)
    if not complete and "\n" in text:
        text = text[: text.rindex("\n") + 1]
    return text


def _text_format(named: str | None, suffix: str, text: str) -> str:
    if named in ("csv", "tsv", "jsonl"):
        return named
    stripped = text.lstrip()
    if named == "json" or (named is None and stripped[:1] in ("{", "[")):
        return "jsonl" if _is_json_lines(stripped) else "json"
    if named is None and suffix in _TABLE_TEXT_SUFFIXES:
        width = _consistent_width(text, sniff_delimiter(text, preferred=","))
        if width > 1:
            return "csv"
    return "text"


def _is_json_lines(text: str) -> bool:
    lines = [line for line in text.splitlines()[:3] if line.strip()]
    if len(lines) < 2 or not lines[0].lstrip().startswith("{"):
        return False
    try:
        return all(isinstance(json.loads(line), dict) for line in lines[:2])
    except ValueError:
        return False


def sniff_delimiter(text: str, *, preferred: str) -> str:
    """The delimiter of the table in ``text``: ``preferred`` (what the name says) when it
    splits the first lines into the same number of fields, more than one; otherwise the
    delimiter that does so into the most fields; ``preferred`` if none does."""
    if _consistent_width(text, preferred) > 1:
        return preferred
    best, best_width = preferred, 1
    for delimiter in DELIMITERS:
        width = _consistent_width(text, delimiter)
        if width > best_width:
            best, best_width = delimiter, width
    return best


def _consistent_width(text: str, delimiter: str) -> int:
    """The number of fields every one of the first lines has with ``delimiter``, or 0.

    The last record is left out when there are others: the sample may end inside it.
    """
    sample = "\n".join(text.split("\n")[:50])
    try:
        rows = [row for row in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
                if row]
    except csv.Error:
        return 0
    widths = {len(row) for row in (rows[:-1] if len(rows) > 2 else rows)}
    return widths.pop() if len(widths) == 1 else 0


class Utf8Reader(io.RawIOBase):
    """Reads a text file in another encoding as UTF-8, one chunk at a time.

    Bytes that are not valid in ``encoding`` become U+FFFD; the first such place is kept in
    ``first_error`` as (line, byte offset) so the profile can say where the file is damaged.
    """

    def __init__(self, raw: BinaryIO, encoding: str) -> None:
        super().__init__()
        self._raw = raw
        self._strict = codecs.getincrementaldecoder(CODECS[encoding])()
        self._encoding = CODECS[encoding]
        self._pending = b""
        self._offset = 0
        self._lines = 0
        self.first_error: tuple[int, int] | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while len(self._pending) < len(buffer):
            chunk = self._raw.read(CHUNK)
            self._pending += self._decode(chunk)
            if not chunk:
                break
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size

    def _decode(self, chunk: bytes) -> bytes:
        final = not chunk
        state = self._strict.getstate()
        try:
            text = self._strict.decode(chunk, final=final)
        except UnicodeDecodeError as error:
            if self.first_error is None:
                start = max(error.start - len(state[0]), 0)
                line = self._lines + chunk.count(b"\n", 0, start) + 1
                self.first_error = (line, self._offset + start)
            self._strict.setstate(state)
            text = self._replacing(state, chunk, final)
        self._offset += len(chunk)
        self._lines += chunk.count(b"\n")
        return text.encode("utf-8")

    def _replacing(self, state: tuple[bytes, int], chunk: bytes, final: bool) -> str:
        lenient = codecs.getincrementaldecoder(self._encoding)(errors="replace")
        lenient.setstate(state)
        text = lenient.decode(chunk, final=final)
        # Carry on strictly from where the lenient decoder stopped, so that a later error
        # is still noticed (only the first is reported, but each is replaced).
        self._strict.setstate(lenient.getstate())
        return text
