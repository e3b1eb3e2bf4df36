"""A dataset version's manifest: its files with sizes and sha256, serialized canonically;
the sha256 of that text is the version's id (``rev``).

Pure functions, no database: the services, the CLI (to verify a download) and the
exports (Croissant, DCAT) compute the same bytes. The rules (reference §8): UTF-8, keys
sorted, no insignificant whitespace, ``ensure_ascii=False``; files sorted by path; parts
ordered by index and omitted for single-part files.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import mimetypes
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

MAX_PATH_CHARS = 512
MAX_SEGMENT_BYTES = 255  # what common file systems allow for one name
MAX_DEPTH = 32
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,62}/[a-z0-9][a-z0-9!#$&^_.+-]{0,62}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DRIVE = re.compile(r"^[A-Za-z]:")
DEFAULT_MEDIA_TYPE = "application/octet-stream"
# What mimetypes does not know, or knows differently on other machines.
_MEDIA_TYPES = {
    ".csv": "text/csv", ".tsv": "text/tab-separated-values", ".parquet":
    "application/vnd.apache.parquet", ".jsonl": "application/jsonl", ".json":
    "application/json", ".zip": "application/zip", ".gz": "application/gzip",
    ".md": "text/markdown", ".txt": "text/plain", ".geojson": "application/geo+json",
}


class PathError(ValueError):
    """A file path a version cannot hold; the message says why and what to do."""


def normalize_path(raw: str) -> str:
    """The path as stored: NFC, '/'-separated, relative, checked; ``PathError`` if it
    could escape a download folder or would not survive common file systems."""
    path = unicodedata.normalize("NFC", raw)
    if not path.strip():
        raise PathError("the path is empty; give the file's path inside the dataset, "
                        "e.g. data/train.csv.")
    if "\\" in path:
        raise PathError(f"{_show(path)} holds a backslash; separate folders with '/'.")
    if _CONTROL.search(path):
        raise PathError(f"{_show(path)} holds a control character; rename the file.")
    if path.startswith("/") or _DRIVE.match(path):
        raise PathError(f"{_show(path)} is absolute; give a path relative to the dataset, "
                        "e.g. data/train.csv.")
    if len(path) > MAX_PATH_CHARS:
        raise PathError(f"the path is {len(path)} characters long; the limit is "
                        f"{MAX_PATH_CHARS}.")
    segments = path.split("/")
    if len(segments) > MAX_DEPTH:
        raise PathError(f"{_show(path)} is {len(segments)} folders deep; the limit is "
                        f"{MAX_DEPTH}.")
    for segment in segments:
        _check_segment(path, segment)
    return path


def _check_segment(path: str, segment: str) -> None:
    if segment in ("", ".", ".."):
        raise PathError(f"{_show(path)} has an empty, '.' or '..' part; give a plain "
                        "relative path such as data/train.csv.")
    if segment != segment.strip():
        raise PathError(f"{_show(path)} has a name beginning or ending with a space.")
    if len(segment.encode()) > MAX_SEGMENT_BYTES:
        raise PathError(f"a name in {_show(path)} is longer than {MAX_SEGMENT_BYTES} bytes.")


def _show(path: str) -> str:
    return repr(path if len(path) <= 80 else path[:77] + "...")


def check_paths(paths: Iterable[str]) -> None:
    """Refuse paths that would collide once downloaded: the same path ignoring case (one
    file on Windows and macOS), or a file that is also a folder of another."""
    seen: dict[str, str] = {}
    for path in paths:
        key = path.casefold()
        if key in seen:
            raise PathError(f"{_show(path)} and {_show(seen[key])} differ only in case; "
                            "they would be one file on Windows and macOS. Rename one.")
        seen[key] = path
    for key, path in seen.items():
        parts = key.split("/")
        for depth in range(1, len(parts)):
            folder = "/".join(parts[:depth])
            if folder in seen:
                raise PathError(f"{_show(seen[folder])} is a file and also a folder of "
                                f"{_show(path)}; rename one.")


def guess_media_type(path: str) -> str:
    suffix = path[path.rfind("."):].lower() if "." in path.rsplit("/", 1)[-1] else ""
    if suffix in _MEDIA_TYPES:
        return _MEDIA_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(path, strict=False)
    return guessed or DEFAULT_MEDIA_TYPE


def check_media_type(value: str) -> str:
    media_type = value.strip().lower()
    if not _MEDIA_TYPE.match(media_type):
        raise ValueError(f"{value[:80]!r} is not a media type such as text/csv.")
    return media_type


@dataclass(frozen=True)
class Part:
    """One piece of a file shipped in parts, joined in ``index`` order."""

    index: int
    size: int
    sha256: str


@dataclass(frozen=True)
class ManifestFile:
    path: str
    size: int
    sha256: str
    media_type: str
    parts: tuple[Part, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"path": self.path, "size": self.size, "sha256": self.sha256,
                                 "media_type": self.media_type}
        if len(self.parts) > 1:
            entry["parts"] = [{"index": p.index, "size": p.size, "sha256": p.sha256}
                              for p in sorted(self.parts, key=lambda p: p.index)]
        return entry


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def metadata_digest(metadata: Mapping[str, Any]) -> str:
    """The sha256 of the dataset's metadata as it stood when the version was submitted."""
    return sha256_text(canonical_json(dict(metadata)))


def _checked_files(files: Iterable[ManifestFile]) -> list[ManifestFile]:
    ordered = sorted(files, key=lambda f: f.path)
    for previous, current in itertools.pairwise(ordered):
        if previous.path == current.path:
            raise ValueError(f"the manifest lists {current.path!r} twice")
    for item in ordered:
        if not _SHA256.match(item.sha256):
            raise ValueError(f"{item.path!r}: {item.sha256!r} is not a sha256 hex digest")
        if item.size < 0:
            raise ValueError(f"{item.path!r}: a size cannot be negative")
    return ordered


def manifest_dict(
    dataset: str, version: str, files: Iterable[ManifestFile],
    metadata: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    manifest: dict[str, Any] = {
        "dataset": dataset,
        "version": version,
        "files": [item.as_dict() for item in _checked_files(files)],
    }
    if metadata is not None:
        manifest["metadata_sha256"] = metadata_digest(metadata)
    return manifest


def build_manifest(
    dataset: str, version: str, files: Iterable[ManifestFile],
    metadata: Mapping[str, Any] | None = None,
) -> tuple[str, str]:
    """The canonical manifest text and its sha256 (the version's ``rev``)."""
    text = canonical_json(manifest_dict(dataset, version, files, metadata))
    return text, sha256_text(text)


def content_digest(files: Iterable[ManifestFile]) -> str:
    """The sha256 of the files alone (paths, sizes, hashes, types): two versions with the
    same digest hold the same data, whatever their labels."""
    return sha256_text(canonical_json([item.as_dict() for item in _checked_files(files)]))
