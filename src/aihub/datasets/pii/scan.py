"""Scan an uploaded file (or each member of a zip) for Korean personal data.

``scan_path`` streams: files are read in blocks and never held whole, a gzip or zip member
is decompressed as a stream (never extracted to disk), and a line longer than a block is
read in overlapping windows. Whatever is not checked (binary content, nested archives,
encrypted or suspiciously compressed members, damaged data) is listed in the report with
the reason, because the curator must know what the scan did not see.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gzip
import zipfile
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

import pyarrow as pa  # type: ignore[import-untyped]

from aihub.archives import MAX_RATIO
from aihub.datasets.pii.analyse import analyse
from aihub.datasets.pii.detect import LONGEST_MATCH
from aihub.datasets.pii.report import FileReport, Findings, ScanReport
from aihub.datasets.pii.sources import (
    SNIFF_BYTES,
    STREAM_ERRORS,
    Batch,
    MiB,
    RecordTooLong,
    SourceState,
    Utf8Reader,
    csv_batches,
    detect_encoding,
    parquet_batches,
    text_batches,
)

Opener = Callable[[], contextlib.AbstractContextManager[BinaryIO]]

TABULAR = (".csv", ".tsv", ".tab")
ARCHIVES = (".zip", ".gz", ".tgz", ".tar", ".7z", ".rar", ".bz2", ".xz", ".zst", ".jar")
# Content that no pattern can read: reported as not scanned, by what it is.
MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"), (b"RIFF", "RIFF media (WAV, AVI or WebP)"),
    (b"ID3", "MP3 audio"), (b"OggS", "Ogg media"), (b"fLaC", "FLAC audio"),
    (b"II*\x00", "a TIFF image"), (b"MM\x00*", "a TIFF image"),
    (b"SQLite format 3\x00", "an SQLite database"), (b"\x89HDF", "an HDF5 file"),
    (b"\x93NUMPY", "a NumPy array"), (b"7z\xbc\xaf", "a 7z archive"), (b"Rar!", "a RAR archive"),
    (b"BZh", "a bzip2 stream"), (b"\xfd7zXZ", "an xz stream"),
    (b"(\xb5/\xfd", "a zstd stream"),
)
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_RATIO_FLOOR = MiB  # below this a member's ratio is not checked (as in aihub.archives)


@dataclass(frozen=True)
class ScanLimits:
    block_bytes: int = 16 * MiB  # analysed at a time; also the longest line read whole
    # Arrow's CSV block: its reader keeps dozens ahead, so it stays small. A record longer
    # than this is read again with block_bytes, and beyond that as text lines.
    read_bytes: int = 2 * MiB
    overlap: int = LONGEST_MATCH  # characters shared by windows of a long line
    max_ratio: int = MAX_RATIO  # a zip member unpacking to more than this many times its size
    max_members: int = 10_000


_CONTAINERS = ((b"PAR1", "parquet"), (b"PK\x03\x04", "zip"), (b"PK\x05\x06", "zip"),
               (b"\x1f\x8b", "gzip"))


def _binary_kind(head: bytes) -> str | None:
    """What binary content ``head`` starts, or None for text."""
    if len(head) > 8 and head[4:8] == b"ftyp":
        return "MP4/MOV media"
    what = next((what for magic, what in MAGIC if head.startswith(magic)), None)
    if what is None and b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        what = "binary content (NUL bytes)"
    return what


def _kind(name: str, head: bytes) -> tuple[str, str | None]:
    """(format, reason not scanned) from the file name and its first bytes."""
    container = next((fmt for magic, fmt in _CONTAINERS if head.startswith(magic)), None)
    if container is not None:
        return container, None
    suffix = PurePosixPath(name.lower()).suffix
    binary = _binary_kind(head)
    if binary is None and suffix == ".parquet":
        binary = "a damaged Parquet file (no PAR1 header)"
    if binary is not None:
        return "unknown", binary
    return ("tsv" if suffix in (".tsv", ".tab") else "csv") if suffix in TABULAR else "text", None


def _not_scanned(name: str, fmt: str, size: int, reason: str) -> FileReport:
    return FileReport(name, fmt, size, scanned=False,
                      notes=[f"Not scanned: {reason}. Check this file by hand."])


def _run(batches: Iterator[Batch], state: SourceState, workers: int) -> Findings:
    """Analyse batches, ``workers`` at a time, merged in file order (deterministic)."""
    findings = Findings()
    if workers <= 1:
        for batch in batches:
            findings.merge(analyse(batch, state.columns))
        return findings
    with ThreadPoolExecutor(workers, thread_name_prefix="pii") as pool:
        pending: deque[Future[Findings]] = deque()
        for batch in batches:
            pending.append(pool.submit(analyse, batch, state.columns))
            while len(pending) > workers:  # bounded: at most workers + 1 batches in memory
                findings.merge(pending.popleft().result())
        while pending:
            findings.merge(pending.popleft().result())
    return findings


def _scan_text_like(opener: Opener, report: FileReport, head: bytes, workers: int,
                    limits: ScanLimits) -> None:
    """CSV/TSV by columns (or, if a record outgrows a block, as lines) and text by lines."""
    state = SourceState(encoding=detect_encoding(head))
    try:
        with opener() as raw:
            stream = Utf8Reader(raw, state.encoding or "utf-8", state.notes)
            if report.format in ("csv", "tsv"):
                batches = csv_batches(stream, state, report.name, limits.block_bytes,
                                      limits.read_bytes)
            else:
                batches = text_batches(stream, state, limits.block_bytes, limits.overlap)
            findings = _run(batches, state, workers)
    except RecordTooLong:
        if limits.read_bytes < limits.block_bytes:  # a long record: once more, larger blocks
            larger = dataclasses.replace(limits, read_bytes=limits.block_bytes)
            _scan_text_like(opener, report, head, workers, larger)
            return
        report.notes.append("A record is longer than a read block or the file is not valid "
                            "CSV; it was scanned as text lines (column hints not applied).")
        report.format = "text"
        _scan_text_like(opener, report, head, workers, limits)
        return
    if stream.replaced:
        state.notes.append(f"{stream.replaced} undecodable byte sequences were replaced "
                           f"(read as {state.encoding}); save the file as UTF-8.")
    _fill(report, state, findings)


def _fill(report: FileReport, state: SourceState, findings: Findings) -> None:
    report.encoding = state.encoding
    report.rows = state.rows
    named = [c for c in state.columns if c.name is not None]
    report.columns = [str(c.name) for c in named]
    report.hinted_columns = {str(c.name): sorted(c.hints) for c in named if c.hints}
    report.notes += state.notes
    report.findings = findings.finish()


def _scan_parquet(opener: Opener, report: FileReport, workers: int,
                  limits: ScanLimits) -> None:
    state = SourceState(encoding=None)
    try:
        with opener() as raw:
            findings = _run(parquet_batches(raw, state, limits.block_bytes), state, workers)
    except (pa.ArrowException, OSError) as exc:
        report.scanned = False
        report.notes.append(f"Not scanned: not a readable Parquet file ({type(exc).__name__})."
                            " Check this file by hand.")
        return
    _fill(report, state, findings)


def _sniff(opener: Opener) -> bytes:
    """The first bytes, read in small steps so that a damaged stream still gives what it
    has (the full read notes the damage)."""
    head = b""
    with opener() as raw:
        read = getattr(raw, "read1", raw.read)
        while len(head) < SNIFF_BYTES:
            try:
                piece = read(4096)
            except STREAM_ERRORS:
                break
            if not piece:
                break
            head += piece
    return head


def _scan_one(opener: Opener, name: str, size: int, workers: int, limits: ScanLimits,
              *, nested: bool) -> list[FileReport]:
    """One file (or a zip member, ``nested``): its reports (a zip gives one per member)."""
    head = _sniff(opener)
    fmt, reason = _kind(name, head)
    if reason is not None:
        return [_not_scanned(name, fmt, size, reason)]
    if fmt in ("zip", "gzip") and nested:
        return [_not_scanned(name, fmt, size, "an archive inside an archive; upload its "
                             "files directly")]
    if fmt == "gzip":
        return _scan_gzip(opener, name, size, workers, limits)
    report = FileReport(name, fmt, size)
    if fmt == "parquet":
        _scan_parquet(opener, report, workers, limits)
    else:
        _scan_text_like(opener, report, head, workers, limits)
    return [report]


def _scan_gzip(opener: Opener, name: str, size: int, workers: int,
               limits: ScanLimits) -> list[FileReport]:
    @contextlib.contextmanager
    def inner() -> Iterator[BinaryIO]:
        with opener() as raw, gzip.GzipFile(fileobj=raw, mode="rb") as unpacked:
            yield unpacked  # type: ignore[misc]

    inner_name = name[:-3] if name.lower().endswith(".gz") else name
    head = _sniff(inner)
    if not head:
        return [_not_scanned(name, "gzip", size, "a damaged or empty gzip stream")]
    fmt, reason = _kind(inner_name, head)
    if reason is not None or fmt in ("zip", "gzip"):
        why = reason or "an archive inside an archive; upload its files directly"
        return [_not_scanned(name, "gzip", size, why)]
    report = FileReport(name, fmt, size)
    if fmt == "parquet":
        report.scanned = False
        report.notes.append("Not scanned: Parquet inside gzip; upload the .parquet file.")
    else:
        _scan_text_like(inner, report, head, workers, limits)
    return [report]


def _member_refusal(info: zipfile.ZipInfo, limits: ScanLimits) -> str | None:
    if info.flag_bits & 0x1:
        return "an encrypted zip member"
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED,
                                  zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA):
        return f"a zip member compressed with an unsupported method ({info.compress_type})"
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > _RATIO_FLOOR and ratio > limits.max_ratio:
        return (f"a compression ratio of {ratio:.0f}:1, more than the {limits.max_ratio}:1 "
                "allowed (a possible zip bomb)")
    if PurePosixPath(info.filename.lower()).suffix in ARCHIVES:
        return "an archive inside an archive; upload its files directly"
    return None


def _member_scan(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, workers: int,
                 limits: ScanLimits) -> Callable[[], list[FileReport]]:
    def opener() -> contextlib.AbstractContextManager[BinaryIO]:
        return archive.open(info)  # type: ignore[return-value]  # ZipExtFile reads bytes

    return lambda: _scan_one(opener, name, info.file_size, workers, limits, nested=True)


def _scan_zip(path: Path, name: str, size: int, workers: int,
              limits: ScanLimits) -> list[FileReport]:
    archive_report = FileReport(name, "zip", size)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        return [_not_scanned(name, "zip", size, f"not a readable zip archive ({exc})")]
    reports = [archive_report]
    with archive:
        members = [info for info in archive.infolist() if not info.is_dir()]
        if len(members) > limits.max_members:
            archive_report.notes.append(f"Only the first {limits.max_members} of "
                                        f"{len(members)} members were scanned.")
        for info in members[: limits.max_members]:
            member_name = f"{name}/{info.filename}"
            refusal = _member_refusal(info, limits)
            if refusal is not None:
                reports.append(_not_scanned(member_name, "unknown", info.file_size, refusal))
                continue

            reports += _guarded(_member_scan(archive, info, member_name, workers, limits),
                                member_name, info.file_size)
    archive_report.rows = len(members)
    return reports


def _guarded(scan: Callable[[], list[FileReport]], name: str, size: int) -> list[FileReport]:
    """A file the scanner cannot read is reported as not scanned, never a crash. The error's
    text is left out: it could quote the file's content."""
    try:
        return scan()
    except Exception as exc:  # the curator must see it, and the job must go on
        return [_not_scanned(name, "unknown", size,
                             f"the scanner could not read it ({type(exc).__name__})")]


def scan_path(path: Path | str, *, filename: str | None = None, workers: int = 1,
              limits: ScanLimits | None = None) -> ScanReport:
    """Scan the file at ``path``, uploaded as ``filename`` (which decides its format along
    with its first bytes). ``workers`` threads analyse blocks in parallel; the report is the
    same for any number of workers."""
    path = Path(path)
    name = filename or path.name
    limits = limits or ScanLimits()
    try:
        size = path.stat().st_size
        with path.open("rb") as raw:
            head = raw.read(SNIFF_BYTES)
    except OSError as exc:
        return ScanReport(files=[_not_scanned(name, "unknown", 0,
                                              f"it could not be opened ({exc.strerror})")])
    if head.startswith(_ZIP_MAGIC):
        return ScanReport(files=_scan_zip(path, name, size, workers, limits))

    def opener() -> contextlib.AbstractContextManager[BinaryIO]:
        return path.open("rb")

    return ScanReport(files=_guarded(
        lambda: _scan_one(opener, name, size, workers, limits, nested=False), name, size))
