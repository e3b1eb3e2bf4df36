"""The tus 1.0.0 protocol's headers: parsing, validation and the errors it answers with.

Only the wire format lives here; the upload store (``uploads.py``) keeps the bytes and the
router (``upload_routes.py``) ties the two together. Reference: tus.io/protocols/
resumable-upload (core, creation, creation-with-upload, checksum, termination, expiration).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aihub.errors import AihubError, Conflict, PayloadTooLarge

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,creation-with-upload,checksum,termination,expiration"
CHECKSUM_ALGORITHMS = ("sha1", "sha256")
OFFSET_CONTENT_TYPE = "application/offset+octet-stream"

# Bounds on what a client may put in headers, so that a hostile header costs nothing.
MAX_METADATA_CHARS = 16 * 1024
MAX_METADATA_PAIRS = 32
MAX_FILENAME_CHARS = 255
_KEY = re.compile(r"^[A-Za-z0-9._~!#$%&'*+^`|-]{1,64}$")
_INTEGER = re.compile(r"^[0-9]{1,19}$")
_SHA256_HEX = re.compile(r"^[0-9a-fA-F]{64}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class TusError(AihubError):
    """A request the tus protocol refuses (400): a header missing or malformed."""


class VersionMismatch(AihubError):  # noqa: N818 - reads as the answer it is
    status_code = 412


class UnsupportedMediaType(AihubError):  # noqa: N818
    status_code = 415


class OffsetMismatch(Conflict):
    """The client's Upload-Offset is not where the upload stands (409)."""


class UploadBusy(AihubError):  # noqa: N818
    """Another request is writing to the same upload right now (423 Locked)."""

    status_code = 423


class ChecksumMismatch(AihubError):  # noqa: N818
    """The chunk's bytes do not match its Upload-Checksum (tus: 460)."""

    status_code = 460


class InsufficientStorage(AihubError):  # noqa: N818
    status_code = 507


class UploadGone(AihubError):  # noqa: N818
    """The upload failed for good (a declared sha256 differed); start a new one (410)."""

    status_code = 410


TooLarge = PayloadTooLarge


def tus_headers() -> dict[str, str]:
    """Headers on every response of the tus endpoint."""
    return {"Tus-Resumable": TUS_VERSION}


def options_headers(max_size: int) -> dict[str, str]:
    return {
        **tus_headers(),
        "Tus-Version": TUS_VERSION,
        "Tus-Extension": TUS_EXTENSIONS,
        "Tus-Max-Size": str(max_size),
        "Tus-Checksum-Algorithm": ",".join(CHECKSUM_ALGORITHMS),
    }


def check_version(headers: Mapping[str, str]) -> None:
    sent = headers.get("tus-resumable")
    if sent != TUS_VERSION:
        raise VersionMismatch(
            f"This hub speaks tus {TUS_VERSION}; the request's Tus-Resumable header is "
            f"{sent!r}. Send 'Tus-Resumable: {TUS_VERSION}' (any tus 1.0 client does)."
        )


def parse_integer(headers: Mapping[str, str], name: str) -> int:
    """A required non-negative decimal header such as Upload-Length or Upload-Offset."""
    value = headers.get(name.lower())
    if value is None:
        raise TusError(f"The {name} header is missing; send it as a number of bytes.")
    if not _INTEGER.match(value.strip()):
        raise TusError(f"{name} must be a non-negative whole number of bytes, not {value!r}.")
    return int(value.strip())


def parse_upload_length(headers: Mapping[str, str], max_size: int) -> int:
    if "upload-defer-length" in headers:
        raise TusError(
            "Upload-Defer-Length is not supported: send Upload-Length, the file's size in "
            "bytes, when creating the upload."
        )
    length = parse_integer(headers, "Upload-Length")
    if length > max_size:
        raise TooLarge(
            f"The file is {length} bytes; this hub takes files of at most {max_size} bytes. "
            "Split it into parts (Parquet or WebDataset shards of a few GB each)."
        )
    return length


def parse_content_length(headers: Mapping[str, str]) -> int | None:
    """The body's announced size, or None when it is sent chunked."""
    value = headers.get("content-length")
    if value is None:
        return None
    if not _INTEGER.match(value.strip()):
        raise TusError(f"Content-Length must be a whole number of bytes, not {value!r}.")
    return int(value.strip())


def has_body(headers: Mapping[str, str]) -> bool:
    length = parse_content_length(headers)
    return bool(length) or "chunked" in headers.get("transfer-encoding", "").lower()


def check_content_type(headers: Mapping[str, str]) -> None:
    sent = headers.get("content-type", "")
    if sent.split(";", 1)[0].strip().lower() != OFFSET_CONTENT_TYPE:
        raise UnsupportedMediaType(
            f"Upload bytes must be sent with 'Content-Type: {OFFSET_CONTENT_TYPE}', "
            f"not {sent or 'no Content-Type'!r}."
        )


def parse_metadata(value: str | None) -> dict[str, str]:
    """``Upload-Metadata``: comma-separated ``key base64(value)`` pairs, values UTF-8."""
    if not value or not value.strip():
        return {}
    if len(value) > MAX_METADATA_CHARS:
        raise TusError(f"Upload-Metadata is longer than {MAX_METADATA_CHARS} characters.")
    pairs = value.split(",")
    if len(pairs) > MAX_METADATA_PAIRS:
        raise TusError(f"Upload-Metadata holds more than {MAX_METADATA_PAIRS} pairs.")
    result: dict[str, str] = {}
    for pair in pairs:
        key, _, encoded = pair.strip().partition(" ")
        if not _KEY.match(key) or " " in encoded.strip():
            raise TusError(
                f"Upload-Metadata pair {pair.strip()[:40]!r} is not 'key base64value' "
                "(keys are ASCII without spaces or commas)."
            )
        if key in result:
            raise TusError(f"Upload-Metadata names {key!r} twice.")
        result[key] = _decode_value(key, encoded.strip())
    return result


def _decode_value(key: str, encoded: str) -> str:
    try:
        return base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise TusError(
            f"Upload-Metadata value of {key!r} is not base64 of UTF-8 text."
        ) from None


def encode_metadata(metadata: Mapping[str, str]) -> str:
    return ",".join(
        f"{key} {base64.b64encode(value.encode()).decode('ascii')}"
        for key, value in metadata.items()
    )


def check_upload_metadata(metadata: dict[str, str]) -> dict[str, str]:
    """The keys aihub reads: ``filename`` (required), ``sha256`` (hex, optional),
    ``filetype``; others are kept as sent. Returns the metadata with sha256 lowercased."""
    filename = metadata.get("filename", "")
    if not filename.strip():
        raise TusError(
            "Upload-Metadata must carry 'filename', the file's name (base64 of UTF-8), "
            "e.g. 'filename ZGF0YS5jc3Y='."
        )
    if len(filename) > MAX_FILENAME_CHARS or _CONTROL.search(filename) \
            or "/" in filename or "\\" in filename or filename in {".", ".."}:
        raise TusError(
            f"The filename {filename[:80]!r} is not a plain file name: send the name "
            f"alone (no folders, no control characters, at most {MAX_FILENAME_CHARS} "
            "characters)."
        )
    declared = metadata.get("sha256")
    if declared is not None:
        if not _SHA256_HEX.match(declared):
            raise TusError(
                "Upload-Metadata 'sha256' must be the file's sha256 as 64 hexadecimal "
                "characters (as printed by sha256sum)."
            )
        metadata = {**metadata, "sha256": declared.lower()}
    return metadata


@dataclass(frozen=True)
class Checksum:
    """One PATCH's Upload-Checksum: the algorithm and the digest the client expects."""

    algorithm: str
    digest: bytes

    def new(self) -> Any:
        return hashlib.new(self.algorithm)

    def matches(self, computed: bytes) -> bool:
        return hmac.compare_digest(computed, self.digest)


def parse_checksum(value: str | None) -> Checksum | None:
    if value is None:
        return None
    algorithm, _, encoded = value.strip().partition(" ")
    algorithm = algorithm.lower()
    if algorithm not in CHECKSUM_ALGORITHMS:
        raise TusError(
            f"Upload-Checksum algorithm {algorithm!r} is not supported; use one of "
            f"{', '.join(CHECKSUM_ALGORITHMS)}."
        )
    try:
        digest = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        digest = b""
    if len(digest) != hashlib.new(algorithm).digest_size:
        raise TusError(
            f"Upload-Checksum must be '{algorithm} <base64 of the {algorithm} digest>'."
        )
    return Checksum(algorithm, digest)
