"""``/app/shared`` of ingestion during scoring: one folder per box, kept alike by the worker.

Codabench mounts one folder in both containers. Mounted in two boxes, that folder lets the
participant's side plant what the scorer's side then opens in *its* namespace, where
``/app/input/ref`` exists: a symbolic link ``prediction -> /app/input/ref/test_labels``
scores 1.0 (``fs.protected_symlinks`` would stop it only where it is set, and bubblewrap
has no ``nosymfollow``), a FIFO hangs the scorer, and in a sticky folder a name taken
first (``chunk_0``) makes the scorer's rename fail.

So each box gets a private ``/app/shared`` (its own area: only its uid writes there), and
while the boxes run the worker copies every regular file written on one side to the
other, with the sandbox's ``read_outputs`` rules: each path opened relative to its folder
with ``O_NOFOLLOW``, checked on the descriptor (a regular file with one link), capped.
Links, pipes, sockets and devices are never copied (the host's log names them). A copy is
written under a temporary name (``.aihub-sync-*``) and renamed, so the other side sees the
whole file or nothing; it belongs to the receiving box's uid, which may overwrite or
delete it. A file is copied once it has been left alone a moment (5 ms, and 5 ms a MiB
for a large one), so a file being written is not copied whole at each write. A file
deleted on one side is deleted on the other; a file changed on both sides since the last
copy keeps the scorer's version. Folders are made on the other side as files need
them (an empty folder too), and never removed.
"""

from __future__ import annotations

import contextlib
import os
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

MAX_ENTRIES = 1000  # files and folders on one side
MAX_DEPTH = 16
MAX_NOTES = 20
_TEMPORARY = ".aihub-sync-"
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_CHUNK = 1024 * 1024
# Polling: quick while files move, slower when nothing changes.
FAST_PAUSE, SLOW_PAUSE = 0.01, 0.1
# A file is copied once unchanged this long, and a large one longer (5 ms a MiB): about
# the time copying it takes, so a file written in pieces is not copied at each piece.
QUIET_SECONDS = 0.005
QUIET_BYTES_PER_SECOND = 200 * 1024 * 1024

Signature = tuple[int, int, int, int]  # inode, size, mtime and ctime (ns)


@dataclass(frozen=True)
class Side:
    name: str  # "scoring" or "ingestion", for the notes
    path: Path  # the box's own /app/shared on the host
    uid: int  # who owns it, and the copies written into it
    gid: int

    @classmethod
    def of(cls, name: str, path: Path) -> Side:
        info = path.stat()
        return cls(name, path, info.st_uid, info.st_gid)


@dataclass
class _Scan:
    files: dict[str, Signature] = field(default_factory=dict)
    folders: set[str] = field(default_factory=set)


class SharedMirror:
    """Keeps the private ``/app/shared`` folders of ``sides`` alike; the first side (the
    scorer's) wins a conflict. Call ``tick`` while the boxes run: it syncs once and
    returns how long to wait before the next call."""

    def __init__(self, sides: list[Side]) -> None:
        assert len(sides) == 2
        self.sides = sides
        # relative path → what each side held when it was last copied (None: nothing)
        self._known: dict[str, list[Signature | None]] = {}
        self._previous: list[dict[str, Signature]] = [{}, {}]  # each side at the last pass
        self._changed_at: dict[tuple[int, str], float] = {}  # (side, path) → monotonic time
        self._noted: set[tuple[int, str]] = set()
        self.notes: list[str] = []
        self._pause = FAST_PAUSE

    def tick(self) -> float:
        changed = self.sync()
        self._pause = FAST_PAUSE if changed else min(self._pause * 1.5, SLOW_PAUSE)
        return self._pause

    def sync(self) -> bool:
        """One pass; whether anything was copied or deleted."""
        scans = [self._scan(index) for index in range(2)]
        now = time.monotonic()
        for index, scan in enumerate(scans):
            for relative, signature in scan.files.items():
                if self._previous[index].get(relative) != signature:
                    self._changed_at[(index, relative)] = now
        changed = False
        for index, scan in enumerate(scans):
            for folder in sorted(scan.folders - scans[1 - index].folders):
                changed = self._write(1 - index, folder, None) is not None or changed
        for relative in sorted(set(scans[0].files) | set(scans[1].files) | set(self._known)):
            changed = self._sync_file(relative, scans) or changed
        self._previous = [scan.files for scan in scans]
        self._changed_at = {key: at for key, at in self._changed_at.items()
                            if key[1] in scans[key[0]].files}
        return changed

    def _sync_file(self, relative: str, scans: list[_Scan]) -> bool:
        now = [scans[0].files.get(relative), scans[1].files.get(relative)]
        known = self._known.get(relative, [None, None])
        moved = [now[i] != known[i] for i in range(2)]
        if not any(moved):
            return False
        winner = 0 if moved[0] else 1
        if now[winner] is not None:
            return self._copy_settled(winner, relative, now[winner])
        loser = 1 - winner
        if moved[loser] and now[loser] is not None:
            # Deleted here, changed there: it lives on.
            return self._copy_settled(loser, relative, now[loser])
        self._known.pop(relative, None)
        if now[loser] is not None:
            self._delete(loser, relative)
        return True

    def _copy_settled(self, source: int, relative: str, signature: Signature | None) -> bool:
        """Copy once the file has been left alone a moment (``QUIET_SECONDS``, longer for a
        large file): a file being written is not copied whole again and again. True while
        a copy is due, or when it was made."""
        size = signature[1] if signature is not None else 0
        quiet = time.monotonic() - self._changed_at.get((source, relative), 0.0)
        if quiet < max(QUIET_SECONDS, size / QUIET_BYTES_PER_SECOND):
            return True
        return self._copy(source, relative)

    def _note(self, index: int, relative: str, what: str) -> None:
        if (index, relative) in self._noted or len(self.notes) >= MAX_NOTES:
            return
        self._noted.add((index, relative))
        self.notes.append(f"/app/shared/{relative} of the {self.sides[index].name} box "
                          f"{what}; it was not copied to the other box")

    # Reading a side: nothing followed, nothing but regular files and folders.

    def _scan(self, index: int) -> _Scan:
        scan = _Scan()
        try:
            top = os.open(self.sides[index].path, _DIR_FLAGS)
        except OSError:
            return scan
        try:
            self._walk(index, top, "", scan, 0)
        finally:
            os.close(top)
        return scan

    def _walk(self, index: int, dir_fd: int, prefix: str, scan: _Scan, depth: int) -> None:
        for entry in sorted(os.listdir(dir_fd)):
            relative = f"{prefix}{entry}"
            if entry.startswith(_TEMPORARY):
                continue
            if len(scan.files) + len(scan.folders) >= MAX_ENTRIES:
                self._note(index, relative, f"is past the first {MAX_ENTRIES} entries")
                return
            try:
                info = os.stat(entry, dir_fd=dir_fd, follow_symlinks=False)
            except OSError:
                continue  # gone since the listing
            if stat.S_ISDIR(info.st_mode) and depth < MAX_DEPTH:
                scan.folders.add(relative)
                with _opened(entry, _DIR_FLAGS, dir_fd) as child:
                    if child is not None:
                        self._walk(index, child, relative + "/", scan, depth + 1)
            elif _problem(info) is not None:
                self._note(index, relative, str(_problem(info)))
            else:
                scan.files[relative] = _signature(info)

    def _copy(self, source: int, relative: str) -> bool:
        """Copy one file from side ``source`` to the other; whether it was copied."""
        parent, name = _split(relative)
        with _folder(self.sides[source].path, parent, make=None) as dir_fd, \
                _opened(name, _READ_FLAGS, dir_fd) as fd:
            info = os.fstat(fd) if fd is not None else None
            if info is None or _problem(info) is not None:
                return False  # gone, or swapped for something else: the next pass sees it
            written = self._write(1 - source, relative, fd)
        if not isinstance(written, tuple):
            return False
        known: list[Signature | None] = [written, written]
        known[source] = _signature(info)
        self._known[relative] = known
        return True

    # Writing a side: as its uid, through folders opened without following anything.

    def _write(self, target: int, relative: str,
               source_fd: int | None) -> Signature | bool | None:
        """Write the file read from ``source_fd`` at ``relative`` on side ``target`` (or
        make the folder ``relative`` when it is None): the copy's signature (True for a
        folder), or None when it could not be written."""
        side = self.sides[target]
        parent, name = _split(relative)
        try:
            with _folder(side.path, parent, make=side) as dir_fd:
                if dir_fd is None:
                    raise NotADirectoryError(parent)
                if source_fd is None:
                    _make_folder(name, dir_fd, side)
                    return True
                return _replace(name, dir_fd, side, source_fd)
        except OSError as exc:
            self._note(target, relative, f"could not be written there ({exc.strerror or exc})")
            return None

    def _delete(self, target: int, relative: str) -> None:
        parent, name = _split(relative)
        with _folder(self.sides[target].path, parent, make=None) as dir_fd, \
                contextlib.suppress(OSError):
            if dir_fd is not None:
                os.unlink(name, dir_fd=dir_fd)


def _problem(info: os.stat_result) -> str | None:
    if stat.S_ISLNK(info.st_mode):
        return "is a symbolic link (links are never followed)"
    if not stat.S_ISREG(info.st_mode):
        return "is not a regular file (a pipe, socket or device)"
    if info.st_nlink > 1:
        return "is a hard link"
    return None


def _signature(info: os.stat_result) -> Signature:
    return (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def _split(relative: str) -> tuple[list[str], str]:
    parts = relative.split("/")
    return parts[:-1], parts[-1]


@contextlib.contextmanager
def _opened(name: str, flags: int, dir_fd: int | None) -> Iterator[int | None]:
    """``name`` opened relative to ``dir_fd`` (None when it cannot be: gone, a link...)."""
    fd = None
    if dir_fd is not None:
        with contextlib.suppress(OSError):
            fd = os.open(name, flags, dir_fd=dir_fd)
    try:
        yield fd
    finally:
        if fd is not None:
            os.close(fd)


@contextlib.contextmanager
def _folder(root: Path, parts: list[str], *, make: Side | None) -> Iterator[int | None]:
    """The folder ``root/parts`` opened one component at a time with ``O_NOFOLLOW`` (made
    for ``make``'s uid when missing), or None."""
    fds: list[int] = []
    try:
        with contextlib.suppress(OSError):
            fds.append(os.open(root, _DIR_FLAGS))
            for part in parts:
                if make is not None:
                    _make_folder(part, fds[-1], make)
                fds.append(os.open(part, _DIR_FLAGS, dir_fd=fds[-1]))
        yield fds[-1] if len(fds) == len(parts) + 1 else None
    finally:
        for fd in fds:
            os.close(fd)


def _make_folder(name: str, dir_fd: int, side: Side) -> None:
    try:
        os.mkdir(name, 0o755, dir_fd=dir_fd)
    except FileExistsError:
        return
    os.chown(name, side.uid, side.gid, dir_fd=dir_fd, follow_symlinks=False)


def _replace(name: str, dir_fd: int, side: Side, source_fd: int) -> Signature:
    """Write ``source_fd``'s bytes under a temporary name, give it to the side's uid and
    rename it over ``name``: the side sees the whole file or the old one."""
    temporary = f"{_TEMPORARY}{os.getpid()}"
    fd = os.open(temporary, _WRITE_FLAGS, 0o644, dir_fd=dir_fd)
    try:
        with os.fdopen(fd, "wb", closefd=False) as out:
            os.lseek(source_fd, 0, os.SEEK_SET)
            while chunk := os.read(source_fd, _CHUNK):
                out.write(chunk)
        os.fchown(fd, side.uid, side.gid)
        os.fchmod(fd, 0o644)
        os.rename(temporary, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        info = os.fstat(fd)  # after the rename, which may touch the ctime
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary, dir_fd=dir_fd)
        raise
    finally:
        os.close(fd)
    return _signature(info)
