"""Paths into and out of the sandbox: what may be mounted where, and whether the slot's uid
can reach it.

bubblewrap opens bind sources as the slot's uid, so every folder above a source needs
search (x) permission for that uid. pytest's ``tmp_path`` and anything under ``/root`` sit
below 0700 folders: the check below says so before the run, naming the folder, instead of
letting bubblewrap fail with "Can't find source path".
"""

from __future__ import annotations

import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from aihub.evaluation.sandbox.errors import SandboxError, UnreachablePath

# The default base for job folders: world-searchable on every Debian-like system, unlike
# /tmp/pytest-of-<user> or a home folder.
DEFAULT_JOB_BASE = Path("/var/tmp/aihub-sandbox")  # noqa: S108

# Paths the sandbox itself provides; a mount may not replace or hide them.
RESERVED_TARGETS = ("/usr", "/lib", "/lib64", "/bin", "/sbin", "/proc", "/dev", "/tmp")  # noqa: S108


@dataclass(frozen=True)
class Mount:
    """A host folder or file shown read-only to the sandboxed program at ``target``."""

    source: Path
    target: str


def check_target(target: str, *, taken: tuple[str, ...] = ()) -> str:
    """``target`` as a clean absolute path inside the sandbox, or a clear error."""
    path = PurePosixPath(target)
    if not path.is_absolute() or ".." in path.parts or str(path) == "/":
        raise SandboxError(
            f"Sandbox path {target!r} must be an absolute folder other than '/', without '..'."
        )
    clean = str(path)
    for reserved in (*RESERVED_TARGETS, *taken):
        if clean == reserved or clean.startswith(reserved.rstrip("/") + "/"):
            raise SandboxError(
                f"Sandbox path {clean} is inside {reserved}, which the sandbox provides "
                f"itself; choose another path (e.g. /data, /submission, /predictions)."
            )
    return clean


def check_reachable(path: Path, uid: int, gid: int, *, enter_only: bool = False) -> None:
    """Raise ``UnreachablePath`` unless ``uid``/``gid`` can enter every folder above ``path``
    and read ``path`` itself (and search it, for a folder; only search it if
    ``enter_only``)."""
    path = path.resolve()
    if not path.exists():
        raise UnreachablePath(f"{path} does not exist, so it cannot be mounted in the sandbox.")
    for folder in reversed(path.parents):
        if not _allows(folder, uid, gid, stat.S_IXUSR):
            raise UnreachablePath(_unreachable_message(path, folder, uid))
    need = (0 if enter_only else stat.S_IRUSR) | (stat.S_IXUSR if path.is_dir() else 0)
    if not _allows(path, uid, gid, need):
        raise UnreachablePath(
            f"The sandbox (uid {uid}) cannot read {path} (mode {_mode(path)}): make it "
            f"readable by all (chmod a+rX) or copy it into a job folder (make_job_folder)."
        )


def _unreachable_message(path: Path, folder: Path, uid: int) -> str:
    return (
        f"The sandbox (uid {uid}) cannot reach {path}: the folder {folder} has mode "
        f"{_mode(folder)}, which lets other users not enter it. Put the job's files in a "
        f"folder under {DEFAULT_JOB_BASE.parent} (make_job_folder does this; set the sandbox "
        f"work folder there), or run 'chmod o+x {folder}'."
    )


def _mode(path: Path) -> str:
    return f"{stat.S_IMODE(path.stat().st_mode):04o}"


def _allows(path: Path, uid: int, gid: int, owner_bits: int) -> bool:
    """Whether the owner-relative permission bits ``owner_bits`` are granted to uid/gid,
    following the kernel's owner → group → other order (no capabilities: slots have none)."""
    if uid == os.geteuid():
        mode = (os.R_OK if owner_bits & stat.S_IRUSR else 0) | (
            os.X_OK if owner_bits & stat.S_IXUSR else 0)
        return os.access(path, mode)
    info = path.stat()
    if info.st_uid == uid:
        shift = 0
    elif info.st_gid == gid:
        shift = 3
    else:
        shift = 6
    wanted = owner_bits >> shift
    return info.st_mode & wanted == wanted


def make_job_folder(base: Path | None = None, prefix: str = "job-") -> Path:
    """A fresh folder for one job's files that every slot uid can enter (mode 0755), under
    ``base`` (default /var/tmp/aihub-sandbox), whose parents are checked the same way."""
    base = base or DEFAULT_JOB_BASE
    if not base.exists():
        base.mkdir(parents=True, exist_ok=True)
        base.chmod(0o711)  # others may enter a job folder they are given, not list them
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=base))
    folder.chmod(0o755)
    check_world_reachable(folder)
    return folder


def check_world_reachable(path: Path, *, enter_only: bool = False) -> None:
    """Raise ``UnreachablePath`` unless a uid with no relation to the owners (a slot uid)
    can enter every folder above ``path`` and read (or only enter) ``path``."""
    nobody = 2**31 - 2  # no file belongs to this uid or gid
    check_reachable(path, nobody, nobody, enter_only=enter_only)
