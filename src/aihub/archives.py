"""Zip archives from people we do not trust: checked before, and while, they are unpacked.

Submissions of code, Codabench bundles and their program and data zips all come through
here. Refused, each with a message that names the member: absolute paths and ``..``,
symlinks and other special files, more members or more bytes than allowed, members that
unpack to more than their declared size, and compression ratios no real file has (zip
bombs). Nothing is written outside the destination folder.
"""

from __future__ import annotations

import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from aihub.errors import InvalidInput

CHUNK = 1024 * 1024
# A member this many times larger than its compressed bytes is refused; real data (CSV,
# text, code) compresses by 10-20x, zip bombs by 1000x or more.
MAX_RATIO = 200
# Below this, a member's ratio is not checked: tiny files of repeated bytes are common.
_RATIO_FLOOR = 1024 * 1024
_COMPRESSIONS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2,
                           zipfile.ZIP_LZMA})
# What zipfile and the decompressors raise on damaged, truncated or odd archives: a bad
# CRC, a wrong name encoding, an unknown version, a truncated stream.
_BROKEN = (zipfile.BadZipFile, zipfile.LargeZipFile, UnicodeDecodeError, NotImplementedError,
           RuntimeError, zlib.error, EOFError, ValueError)


@dataclass(frozen=True)
class ArchiveLimits:
    max_members: int = 10_000
    max_bytes: int = 1024 * 1024 * 1024


@dataclass(frozen=True)
class Member:
    name: str  # a normalized relative POSIX path
    size: int
    source: str  # the name as written in the zip, to read it back


def _member_name(info: zipfile.ZipInfo, label: str) -> str:
    raw = info.filename
    if "\x00" in raw or "\\" in raw:
        raise InvalidInput(f"{label}: the member {raw!r} has a NUL or a backslash in its name.")
    pure = PurePosixPath(raw)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts:
        raise InvalidInput(
            f"{label}: the member {raw!r} has an absolute path or '..'; zip the folder's "
            "contents with relative paths."
        )
    # Unix zips keep the file type in the high bits; zips from elsewhere leave it 0.
    kind_bits = stat.S_IFMT(info.external_attr >> 16)
    if kind_bits not in (0, stat.S_IFREG, stat.S_IFDIR):
        kind = "a symbolic link" if kind_bits == stat.S_IFLNK else "a special file"
        raise InvalidInput(f"{label}: the member {raw!r} is {kind}; only files are accepted.")
    return pure.as_posix().rstrip("/")


def list_members(path: Path, limits: ArchiveLimits, *, label: str = "the zip") -> list[Member]:
    """The files of the zip at ``path``, checked against ``limits`` without unpacking."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (*_BROKEN, OSError) as exc:
        raise InvalidInput(f"{label} is not a valid zip file ({exc}); make it with zip.") from exc
    if len(infos) > limits.max_members:
        raise InvalidInput(
            f"{label} holds {len(infos)} members, more than the {limits.max_members} allowed."
        )
    members: list[Member] = []
    total = 0
    for info in infos:
        name = _member_name(info, label)
        if info.is_dir():
            continue
        if info.flag_bits & 0x1:
            raise InvalidInput(f"{label}: the member {name!r} is encrypted; zip it without a "
                               "password.")
        if info.compress_type not in _COMPRESSIONS:
            raise InvalidInput(f"{label}: the member {name!r} uses a compression zip tools "
                               "rarely read; zip it again with the usual (deflate).")
        total += info.file_size
        ratio_cap = MAX_RATIO * max(info.compress_size, 1)
        if info.file_size > _RATIO_FLOOR and info.file_size > ratio_cap:
            raise InvalidInput(
                f"{label}: the member {name!r} unpacks to {info.file_size} bytes from "
                f"{info.compress_size}; an archive this compressed is refused (zip bomb)."
            )
        members.append(Member(name, info.file_size, info.filename))
    if total > limits.max_bytes:
        raise InvalidInput(
            f"{label} unpacks to {total} bytes, more than the {limits.max_bytes} allowed."
        )
    return members


def common_root(members: list[Member]) -> str:
    """The single top folder every member is in ("" when there is none): people zip the
    folder itself as often as its contents."""
    tops = {member.name.split("/", 1)[0] for member in members}
    if len(tops) == 1 and all("/" in member.name for member in members):
        return tops.pop()
    return ""


def unpack(
    path: Path, dest: Path, limits: ArchiveLimits, *, label: str = "the zip"
) -> list[Member]:
    """Unpack the zip at ``path`` into the existing folder ``dest``, checking as it goes:
    a member's declared size is not trusted, the running count is."""
    members = list_members(path, limits, label=label)
    try:
        _unpack_members(path, dest.resolve(), members, limits, label)
    except _BROKEN as exc:
        raise InvalidInput(f"{label} is damaged ({exc}); make it again with zip.") from exc
    return members


def _unpack_members(path: Path, root: Path, members: list[Member], limits: ArchiveLimits,
                    label: str) -> None:
    written_total = 0
    with zipfile.ZipFile(path) as archive:
        for member in members:
            target = (root / member.name).resolve()
            if not target.is_relative_to(root):
                raise InvalidInput(f"{label}: the member {member.name!r} points outside.")
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                out_file = target.open("xb")
            except (FileExistsError, NotADirectoryError) as exc:
                raise InvalidInput(
                    f"{label}: {member.name!r} appears twice, or as both a file and a folder."
                ) from exc
            with archive.open(member.source) as src, out_file as out:
                written = 0
                while chunk := src.read(CHUNK):
                    written += len(chunk)
                    written_total += len(chunk)
                    if written > member.size or written_total > limits.max_bytes:
                        raise InvalidInput(
                            f"{label}: the member {member.name!r} is larger than declared."
                        )
                    out.write(chunk)
