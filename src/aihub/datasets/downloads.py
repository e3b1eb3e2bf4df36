"""A stored blob as an HTTP answer: streamed, resumable (Range), named, cache-validated.

Starlette's ``FileResponse`` (1.x) already streams a file in chunks, answers ``HEAD``, and
serves ``Range`` (206, several ranges as multipart/byteranges) and ``If-Range``; it is
reused. This module adds what a catalog needs on top: the sha256 as ETag (so ``If-Range``
and ``If-None-Match`` hold across servers and copies), a Content-Disposition that keeps
Korean file names (RFC 6266 / RFC 5987, with an ASCII fallback), refusals in the house's
JSON instead of plain text, and the Range rules of RFC 9110 where Starlette's parser differs
(another unit is ignored, ranges past the end are left out while another is satisfiable,
If-Range holds for the ETag only).
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path, PurePath
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from starlette.responses import FileResponse, MalformedRangeHeader, RangeNotSatisfiable

from aihub.errors import NotFound
from aihub.storage import Storage

_UNSAFE_ASCII = re.compile(r'[^A-Za-z0-9._ ()\[\]+-]')


class BlobFileResponse(FileResponse):
    # Larger than Starlette's 64 KiB: a 2 GB file in 2,000 sends, not 32,000.
    chunk_size = 1024 * 1024

    def _should_use_range(self, http_if_range: str) -> bool:
        # Only the sha256 ETag, a strong validator, vouches for the bytes (RFC 9110 §13.1.5);
        # a store's mtime does not, so an If-Range date gets the whole file.
        return http_if_range == self.headers["etag"]

    @classmethod
    def _parse_range_header(cls, http_range: str, file_size: int) -> list[tuple[int, int]]:
        ranges = byte_ranges(http_range, file_size, cls.max_ranges)
        return [] if ranges is None else ranges  # [] sends the whole file


_BYTE_RANGE = re.compile(r"^([0-9]*)-([0-9]*)$")


def byte_ranges(http_range: str, size: int, max_ranges: int = 100
                ) -> list[tuple[int, int]] | None:
    """The ``Range`` header's byte ranges as merged ``[start, end)`` pairs (RFC 9110 §14.1),
    or None when it is to be ignored: another unit than bytes (§14.2 requires that), or
    more ranges than ``max_ranges``. Ranges that start past the end are left out while
    another is satisfiable (§14.1.1); ``RangeNotSatisfiable`` when none is,
    ``MalformedRangeHeader`` when a range is not one (``5-2``, ``abc``)."""
    unit, equals, specs = http_range.partition("=")
    if not equals:
        raise MalformedRangeHeader()
    if unit.strip().lower() != "bytes":
        return None
    parts = [part.strip() for part in specs.split(",") if part.strip()]
    if len(parts) > max_ranges:
        return None
    if not parts:
        raise MalformedRangeHeader("Range header: range must be requested")
    ranges = [found for found in (_byte_range(part, size) for part in parts) if found]
    if not ranges:
        raise RangeNotSatisfiable(size)
    return _merged(ranges)


def _byte_range(part: str, size: int) -> tuple[int, int] | None:
    """One ``first-last``, ``first-`` or ``-suffix`` as ``[start, end)``; None when it
    lies outside the file."""
    found = _BYTE_RANGE.match(part)
    if found is None or not (found[1] or found[2]):
        raise MalformedRangeHeader(f"Range header: {part[:40]!r} is not a byte range")
    try:
        first = int(found[1]) if found[1] else None
        last = int(found[2]) if found[2] else None
    except ValueError:  # more digits than Python converts: no file is that long
        raise MalformedRangeHeader("Range header: a position is too long") from None
    if first is None:  # the last N bytes; none of an empty file
        return (max(size - last, 0), size) if last and size else None
    if last is not None and last < first:
        raise MalformedRangeHeader("Range header: the last byte is before the first")
    if first >= size:
        return None
    return first, size if last is None else min(last + 1, size)


def _merged(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    ranges = sorted(ranges)
    merged = [ranges[0]]
    for start, end in ranges[1:]:
        if start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def content_disposition(filename: str, disposition: str = "attachment") -> str:
    """``attachment; filename="ascii"; filename*=UTF-8''percent-encoded`` (RFC 6266):
    browsers and curl -J use the UTF-8 name, old clients the ASCII one."""
    name = PurePath(filename)
    stem, suffix = name.stem, name.suffix
    stem = _ascii(stem).strip(" ._") or "download"
    return (f"{disposition}; filename=\"{stem}{_ascii(suffix)}\"; "
            f"filename*=UTF-8''{quote(filename, safe='')}")


def _ascii(text: str) -> str:
    return _UNSAFE_ASCII.sub("_", unicodedata.normalize("NFKD", text).encode(
        "ascii", "ignore").decode())


def _etag(sha256: str) -> str:
    return f'"{sha256}"'


def _range_refusal(request: Request, etag: str, size: int) -> Response | None:
    """A JSON refusal for a Range header FileResponse would refuse, else None."""
    http_range = request.headers.get("range")
    if http_range is None or request.method not in ("GET", "HEAD"):
        return None
    if_range = request.headers.get("if-range")
    if if_range is not None and if_range != etag:
        return None  # the client's copy is another file: FileResponse sends it whole
    try:
        # The response's own parser, so the two never disagree on what is satisfiable.
        byte_ranges(http_range, size, BlobFileResponse.max_ranges)
    except MalformedRangeHeader:
        return JSONResponse(
            {"detail": f"The Range header {http_range[:80]!r} is not understood: send "
                       "'bytes=START-END', 'bytes=START-' or 'bytes=-LAST_N_BYTES'."},
            status_code=400,
        )
    except RangeNotSatisfiable:
        return JSONResponse(
            {"detail": f"The range {http_range[:80]!r} lies outside the file, which is "
                       f"{size} bytes long."},
            status_code=416, headers={"Content-Range": f"bytes */{size}"},
        )
    return None


def file_response(
    request: Request, path: Path, *, sha256: str, filename: str,
    media_type: str | None = None, headers: Mapping[str, str] | None = None,
) -> Response:
    """``path``, whose content hashes to ``sha256``, as a download named ``filename``."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise NotFound(
            f"The file {filename!r} is missing from the hub's store; tell the hub's operators."
        ) from None
    etag = _etag(sha256)
    base = {
        "ETag": etag,
        "Content-Disposition": content_disposition(filename),
        # Files may be access-restricted: no shared cache keeps them.
        "Cache-Control": "private, no-cache",
        **(headers or {}),
    }
    if _none_match(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=base)
    refusal = _range_refusal(request, etag, stat.st_size)
    if refusal is not None:
        return refusal
    return BlobFileResponse(
        os.fspath(path), headers=base, media_type=media_type or "application/octet-stream",
        stat_result=stat,
    )


def blob_response(
    request: Request, storage: Storage, sha256: str, *, filename: str,
    media_type: str | None = None, headers: Mapping[str, str] | None = None,
) -> Response:
    """A blob of the store as a download (GET and HEAD, Range, ETag = its sha256)."""
    return file_response(request, storage.path(sha256), sha256=sha256, filename=filename,
                         media_type=media_type, headers=headers)


def _listed(header: str | None) -> set[str]:
    if not header:
        return set()
    return {tag.strip().removeprefix("W/") for tag in header.split(",")}


def _none_match(header: str | None, etag: str) -> bool:
    """``If-None-Match`` holds the file's ETag, or ``*``: any file at all (RFC 9110 §13.1.2)."""
    tags = _listed(header)
    return etag in tags or "*" in tags
