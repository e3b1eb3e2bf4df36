"""Reading what a sandboxed program wrote, safely, on the host (sandbox.md §7).

The host process is root and the files are the program's: a symlink to /etc/shadow or a
hard link to a host file would make the host read or copy something the program could
not. Every file is opened relative to its folder's descriptor with O_NOFOLLOW (so no path
component is followed either), checked on the open descriptor (a regular file with one
link), and counted against a cap on files and bytes. Judge0's 2024 escapes and
compiler-explorer #6026 came from host-side handling of files written in the box.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

from aihub.evaluation.sandbox.errors import UnsafeOutput
from aihub.evaluation.sandbox.limits import MIB

DEFAULT_MAX_FILES = 1000
DEFAULT_MAX_BYTES = 256 * MIB
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC  # no FIFO waits


def read_outputs(root: Path, *, max_files: int = DEFAULT_MAX_FILES,
                 max_bytes: int = DEFAULT_MAX_BYTES) -> dict[str, bytes]:
    """Every file under ``root`` as {relative posix path: content}, refusing links,
    special files and more than ``max_files`` files or ``max_bytes`` bytes in all."""
    return {name: _read_all(fd, name, max_bytes)
            for name, fd in _walk_files(root, max_files, max_bytes)}


def copy_outputs(root: Path, dest: Path, *, max_files: int = DEFAULT_MAX_FILES,
                 max_bytes: int = DEFAULT_MAX_BYTES) -> list[str]:
    """Copy every file under ``root`` into ``dest`` (made if missing) with the same checks
    as ``read_outputs``, streaming; returns the relative paths copied."""
    copied: list[str] = []
    dest.mkdir(parents=True, exist_ok=True)
    for name, fd in _walk_files(root, max_files, max_bytes):
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        with os.fdopen(fd, "rb", closefd=False) as source, target.open("xb") as out:
            while chunk := source.read(1024 * 1024):
                out.write(chunk)
        copied.append(name)
    return copied


def _read_all(fd: int, name: str, max_bytes: int) -> bytes:
    with os.fdopen(fd, "rb", closefd=False) as source:
        data = source.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise UnsafeOutput(f"Output file {name} grew past {max_bytes} bytes while being read.")
    return data


def _walk_files(root: Path, max_files: int, max_bytes: int) -> Iterator[tuple[str, int]]:
    """(relative path, open descriptor) of each regular file; the descriptor is closed
    when the consumer asks for the next one."""
    try:
        top = os.open(root, _DIR_FLAGS)
    except OSError as exc:
        raise UnsafeOutput(f"The output folder {root} cannot be opened as a folder: "
                           f"{exc.strerror}.") from exc
    counts = [0, 0]  # files, bytes
    try:
        yield from _walk_folder(top, "", counts, max_files, max_bytes)
    finally:
        os.close(top)


def _walk_folder(dir_fd: int, prefix: str, counts: list[int], max_files: int,
                 max_bytes: int) -> Iterator[tuple[str, int]]:
    for entry in sorted(os.listdir(dir_fd)):
        name = f"{prefix}{entry}"
        counts[0] += 1  # folders count too, so nesting cannot run away
        if counts[0] > max_files:
            raise UnsafeOutput(f"The program wrote more than {max_files} output files and "
                               f"folders (at {name}); write fewer, larger files.")
        fd = _open_entry(dir_fd, entry, name)
        try:
            info = os.fstat(fd)
            if stat.S_ISDIR(info.st_mode):
                yield from _walk_folder(fd, f"{name}/", counts, max_files, max_bytes)
                continue
            _check_file(info, name)
            counts[1] += info.st_size
            if counts[1] > max_bytes:
                raise UnsafeOutput(f"The output files exceed {max_bytes} bytes in all "
                                   f"(at {name}, {info.st_size} bytes).")
            yield name, fd
        finally:
            os.close(fd)


def _open_entry(dir_fd: int, entry: str, name: str) -> int:
    try:
        info = os.stat(entry, dir_fd=dir_fd, follow_symlinks=False)
    except OSError as exc:
        raise UnsafeOutput(f"Output file {name} cannot be read: {exc.strerror}.") from exc
    if stat.S_ISLNK(info.st_mode):
        raise UnsafeOutput(f"Output file {name} is a symbolic link; write a regular file "
                           f"instead (links are never followed).")
    if not stat.S_ISDIR(info.st_mode):
        _check_file(info, name)  # before opening: opening a device or pipe can act
    flags = _DIR_FLAGS if stat.S_ISDIR(info.st_mode) else _FILE_FLAGS
    try:
        return os.open(entry, flags, dir_fd=dir_fd)
    except OSError as exc:
        # Swapped for a link between the stat and the open: O_NOFOLLOW gives ELOOP.
        raise UnsafeOutput(f"Output file {name} cannot be opened safely: {exc.strerror}.") \
            from exc


def _check_file(info: os.stat_result, name: str) -> None:
    if not stat.S_ISREG(info.st_mode):
        kind = ("a named pipe" if stat.S_ISFIFO(info.st_mode) else
                "a socket" if stat.S_ISSOCK(info.st_mode) else "a device")
        raise UnsafeOutput(f"Output file {name} is {kind}, not a regular file.")
    if info.st_nlink > 1:
        raise UnsafeOutput(f"Output file {name} is a hard link ({info.st_nlink} names for one "
                           f"file); write each output as its own file.")

