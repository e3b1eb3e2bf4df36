"""Profile one file of an uploaded dataset version: what it is, and for a table its rows,
column types, missing values, ranges, distinct counts and first rows.

``profile_path`` is a pure function of the file. It masks nothing: the preview and the top
values are shown to curators before the personal-data review and to users after
publication, and the caller decides who sees them. Nothing here logs a cell value.

A file with something wrong in it (damaged, empty, ragged rows, undecodable bytes, a
binary file named .csv) gets a profile whose ``problems`` say what is wrong and how to fix
it; only an OS error reading the file raises.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa  # type: ignore[import-untyped]

from aihub.archives import ArchiveLimits, list_members
from aihub.datasets.formats import Sniffed, sniff
from aihub.datasets.profile_csv import BLOCK_BYTES, profile_csv
from aihub.datasets.profile_records import (
    JSON_ARRAY_MAX_BYTES,
    profile_json,
    profile_jsonl,
    profile_parquet,
)
from aihub.datasets.profile_table import (
    PREVIEW_CELL_CHARS,
    PREVIEW_ROWS,
    TableBuilder,
    TableResult,
    not_a_table,
)
from aihub.datasets.profile_types import (
    CROISSANT_TYPES,
    PROFILE_VERSION,
    ColumnProfile,
    FileProfile,
    LogicalType,
    MemberProfile,
    TopValue,
)
from aihub.errors import InvalidInput

__all__ = [
    "CROISSANT_TYPES",
    "PROFILE_VERSION",
    "ColumnProfile",
    "FileProfile",
    "LogicalType",
    "MemberProfile",
    "ProfileLimits",
    "TopValue",
    "profile_path",
]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProfileLimits:
    preview_rows: int = PREVIEW_ROWS
    preview_cell_chars: int = PREVIEW_CELL_CHARS
    # The longest line read as a table row (it is also the CSV reader's block size).
    line_bytes: int = BLOCK_BYTES
    # A JSON document is parsed whole; larger ones are better sent as JSON Lines.
    json_bytes: int = JSON_ARRAY_MAX_BYTES
    # A dataset zip may be far larger than a submission's, but not hold a bomb.
    archive: ArchiveLimits = field(
        default_factory=lambda: ArchiveLimits(max_members=100_000, max_bytes=2**50))


def profile_path(path: Path, *, filename: str,
                 limits: ProfileLimits | None = None) -> FileProfile:
    """The profile of the file at ``path``, uploaded under the name ``filename``."""
    limits = limits or ProfileLimits()
    size = path.stat().st_size
    sniffed = sniff(path, filename=filename)
    try:
        table, members, problems = _contents(path, size, sniffed, filename, limits)
    except MemoryError:
        raise
    except Exception as error:
        # A profile must not fail on what a file holds; reading it may (pyarrow's errors
        # about damaged files are OSErrors too, and are not reading errors).
        if isinstance(error, OSError) and not isinstance(error, pa.ArrowException):
            raise
        # The type only: messages of parsers can quote the data.
        _log.error("profiling %s failed: %s", filename, type(error).__name__)
        table, members = not_a_table(), ()
        problems = (f"The file could not be profiled ({type(error).__name__}). The hub's "
                    "staff can see this in the logs; the file itself is kept as uploaded.",)
    return FileProfile(
        filename=filename,
        size=size,
        format=sniffed.format,
        media_type=sniffed.media_type,
        encoding=table.encoding or sniffed.encoding,
        delimiter=sniffed.delimiter if table.row_count is not None else None,
        row_count=table.row_count,
        columns=table.columns,
        preview=table.preview,
        members=members,
        problems=(*sniffed.problems, *problems, *table.problems),
    )


def _contents(path: Path, size: int, sniffed: Sniffed, filename: str, limits: ProfileLimits
              ) -> tuple[TableResult, tuple[MemberProfile, ...], tuple[str, ...]]:
    if size == 0:
        return not_a_table(), (), (
            "The file is empty (0 bytes). Upload it again: the upload may have failed.",)
    fmt = sniffed.format
    if fmt == "zip":
        members, problems = _members(path, filename, limits.archive)
        return not_a_table(), members, problems
    if fmt == "excel":
        return not_a_table(), (), (
            "Excel workbooks are not profiled. Save each sheet as 'CSV UTF-8' and upload "
            "the CSV files (or add them next to the workbook).",)
    return _table(path, sniffed, limits), (), ()


def _table(path: Path, sniffed: Sniffed, limits: ProfileLimits) -> TableResult:
    builder = TableBuilder(limits.preview_rows, limits.preview_cell_chars)
    encoding = sniffed.encoding or "utf-8"
    if sniffed.format in ("csv", "tsv"):
        assert sniffed.delimiter is not None
        return profile_csv(path, encoding=encoding, delimiter=sniffed.delimiter,
                           builder=builder, line_limit=limits.line_bytes)
    if sniffed.format == "parquet":
        return profile_parquet(path, builder=builder)
    if sniffed.format == "jsonl":
        return profile_jsonl(path, encoding=encoding, builder=builder,
                             line_limit=limits.line_bytes)
    if sniffed.format == "json":
        return profile_json(path, encoding=encoding, builder=builder,
                            max_bytes=limits.json_bytes)
    return not_a_table()


def _members(path: Path, filename: str, limits: ArchiveLimits
             ) -> tuple[tuple[MemberProfile, ...], tuple[str, ...]]:
    """The zip's files from its central directory, checked as submissions' zips are."""
    try:
        found = list_members(path, limits, label=f"The zip {filename!r}")
    except InvalidInput as error:
        return (), (f"{error.detail} Its members are not listed.",)
    members = tuple(MemberProfile(member.name, member.size) for member in found)
    problems: tuple[str, ...] = ()
    if any(member.name == "xl/workbook.xml" for member in found):
        problems = ("This zip is an Excel workbook; save each sheet as 'CSV UTF-8' and "
                    "upload the CSV files.",)
    return members, problems
