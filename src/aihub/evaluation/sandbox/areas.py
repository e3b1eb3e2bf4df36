"""Writable areas: host folders a sandboxed program writes into, which the caller reads
after the program exits.

As root each area is its own size-limited tmpfs mounted on the host (nosuid, nodev,
noexec), so a program cannot write more than the area's size, cannot hard-link host files
into it (another filesystem), and the files stay readable from the host until the area is
removed. Without root no tmpfs can be mounted where the host sees it (a tmpfs made inside
bubblewrap's namespace vanishes with it), so an area is a plain folder: each file is capped
by RLIMIT_FSIZE and the total is checked after the run (``grew_past_size``).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from aihub.evaluation.sandbox.errors import SandboxError

_MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 2, 4, 8
_MNT_DETACH = 2


@functools.cache
def libc() -> ctypes.CDLL:
    """The C library, loaded once: ``find_library`` runs ``ldconfig -p`` every time."""
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def mount_tmpfs(target: Path, *, size_bytes: int, mode: int, uid: int, gid: int) -> None:
    options = f"size={size_bytes},mode={mode:04o},uid={uid},gid={gid}".encode()
    flags = _MS_NOSUID | _MS_NODEV | _MS_NOEXEC
    if libc().mount(b"tmpfs", os.fsencode(target), b"tmpfs", flags, options) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"mounting a tmpfs on {target}: {os.strerror(errno)}")


def unmount(target: Path) -> None:
    # Detach: a process still holding a file open (none should) does not keep the area.
    if libc().umount2(os.fsencode(target), _MNT_DETACH) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"unmounting {target}: {os.strerror(errno)}")


def can_mount_tmpfs(folder: Path) -> bool:
    """Whether this process can mount a tmpfs on the host (root, outside a locked-down
    container): tried on a throw-away folder."""
    if os.geteuid() != 0:
        return False
    probe = folder / f".aihub-mount-probe-{os.getpid()}-{time.monotonic_ns()}"
    try:
        probe.mkdir(parents=True)
        mount_tmpfs(probe, size_bytes=4096, mode=0o700, uid=0, gid=0)
    except OSError:
        return False
    else:
        unmount(probe)
        return True
    finally:
        with contextlib.suppress(OSError):
            probe.rmdir()


@dataclass
class WritableArea:
    """One writable folder: ``path`` on the host, ``target`` inside the sandbox."""

    target: str
    path: Path
    size_bytes: int
    mounted: bool  # a tmpfs of its own (else a plain folder checked after each run)

    @classmethod
    def create(cls, target: str, path: Path, *, size_bytes: int, uid: int, gid: int,
               mode: int, use_tmpfs: bool) -> WritableArea:
        path.mkdir(mode=0o700)
        if use_tmpfs:
            try:
                mount_tmpfs(path, size_bytes=size_bytes, mode=mode, uid=uid, gid=gid)
            except OSError:
                path.rmdir()
                raise
        else:
            if os.geteuid() == 0:
                os.chown(path, uid, gid)
            path.chmod(mode)
        return cls(target, path, size_bytes, use_tmpfs)

    def used_bytes(self) -> int:
        """Bytes in the area's files, counted without following links."""
        total = 0
        for folder, dirs, files in os.walk(self.path):
            for name in (*dirs, *files):
                with contextlib.suppress(OSError):
                    total += (Path(folder) / name).lstat().st_blocks * 512
        return total

    def usage(self) -> int | None:
        """Bytes used, for an area without its own tmpfs (None for a tmpfs: it cannot grow
        past its size)."""
        return None if self.mounted else self.used_bytes()

    def grew_past_size(self, before: int | None) -> bool:
        """Whether a run took the area past its size (``before``: ``usage()`` at its start);
        an area already over it stays the fault of the run that filled it."""
        after = self.usage()
        return after is not None and after > self.size_bytes and after > (before or 0)

    def remove(self) -> None:
        if self.mounted:
            unmount(self.path)
            self.mounted = False
        shutil.rmtree(self.path, ignore_errors=True)
        if self.path.exists():
            raise SandboxError(f"Could not remove the sandbox area {self.path}.")


class SharedArea:
    """A writable area that boxes of different slots use at once (Codabench's ingestion and
    scoring programs talk through /app/shared): mode 1777, so each slot may create files
    there and read the others' (written with the usual umask 022) but not delete them.

    Use it as a context manager, or call ``close``; ``box.writable(target, area=shared)``
    mounts it in a box."""

    def __init__(self, folder: Path, *, size_bytes: int, use_tmpfs: bool) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        name = f"shared-{os.getpid()}-{time.monotonic_ns()}"
        self.area = WritableArea.create("", folder / name, size_bytes=size_bytes, uid=0,
                                        gid=0, mode=0o1777, use_tmpfs=use_tmpfs)

    @property
    def path(self) -> Path:
        return self.area.path

    def close(self) -> None:
        self.area.remove()

    def __enter__(self) -> SharedArea:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
