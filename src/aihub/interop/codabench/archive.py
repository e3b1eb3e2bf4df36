"""Zips in and out: a bundle or one of its items unpacked safely, a folder packed stably.

Unpacking is the hub's one checked unpacking (``aihub.archives``). Packing gives the same
bytes for the same files (sorted names, fixed times), so a re-imported bundle yields the
same sha256 blobs.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import zipfile
import zlib
from pathlib import Path

from aihub.archives import ArchiveLimits, unpack
from aihub.errors import InvalidInput

DEFAULT_MAX_BYTES = 4 * 1024**3
DEFAULT_MAX_FILES = 50_000
COMPETITION_YAML = "competition.yaml"
_CHUNK = 1024 * 1024
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_IGNORED_TOP = frozenset({"__MACOSX"})  # macOS Finder adds it next to the real folder
# What zipfile raises on a damaged or odd zip (bad CRC, a name that is not UTF-8, an
# unknown version or compression, encryption), besides BadZipFile.
BROKEN_ZIP = (zipfile.BadZipFile, zipfile.LargeZipFile, UnicodeDecodeError,
              NotImplementedError, RuntimeError, zlib.error, EOFError, ValueError, OSError)


def unpack_zip(archive: Path, dest: Path, *, max_bytes: int = DEFAULT_MAX_BYTES,
               max_files: int = DEFAULT_MAX_FILES, label: str = "The zip") -> None:
    """Unpack ``archive`` into the folder ``dest`` (created) with the hub's checked
    unpacking (``aihub.archives``: no absolute names, ``..``, links or zip bombs)."""
    dest.mkdir(parents=True, exist_ok=True)
    unpack(archive, dest, ArchiveLimits(max_members=max_files, max_bytes=max_bytes),
           label=label)


def find_bundle_root(folder: Path) -> tuple[Path, str | None]:
    """The folder holding ``competition.yaml``: ``folder`` itself or its one top folder,
    with a warning for the latter (Codabench accepts only the first)."""
    if (folder / COMPETITION_YAML).is_file():
        return folder, None
    tops = [child for child in folder.iterdir()
            if child.is_dir() and not child.is_symlink() and child.name not in _IGNORED_TOP]
    if len(tops) == 1 and (tops[0] / COMPETITION_YAML).is_file():
        return tops[0], (f"competition.yaml is in the folder {tops[0].name!r}, not at the top "
                         "of the zip (Codabench would refuse it); that folder is read as the "
                         "bundle")
    raise InvalidInput("competition.yaml is missing from zip, check your folder structure to "
                       "make sure it is in the root directory.")


def _files_of(folder: Path) -> list[Path]:
    found = []
    for path in sorted(folder.rglob("*")):
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode):
            raise InvalidInput(f"{path.relative_to(folder)} is a symbolic link; bundles may "
                               "hold only files and folders.")
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            # A FIFO would hang the packing (and the program that reads it).
            raise InvalidInput(f"{path.relative_to(folder)} is a special file (a pipe, socket "
                               "or device); bundles may hold only files and folders.")
        found.append(path)
    return found


def item_problem(item: Path, label: str) -> str | None:
    """What is wrong with a bundle item a program or participant will get, or None: a zip
    is listed and unpacked into a scratch folder with the hub's checks (as every job will
    unpack it), a folder is walked for links and special files."""
    try:
        if item.is_dir():
            _files_of(item)
        elif zipfile.is_zipfile(item):
            with tempfile.TemporaryDirectory(prefix="aihub-item-check-") as scratch:
                unpack(item, Path(scratch), ArchiveLimits(max_members=DEFAULT_MAX_FILES,
                                                          max_bytes=DEFAULT_MAX_BYTES),
                       label=label)
    except InvalidInput as exc:
        return exc.detail
    return None


def pack_folder(folder: Path, archive: Path) -> Path:
    """Zip ``folder``'s contents (at the zip's top) with stable bytes; returns ``archive``."""
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in _files_of(folder):
            name = path.relative_to(folder).as_posix()
            info = zipfile.ZipInfo(name + "/" if path.is_dir() else name, _FIXED_TIME)
            if path.is_dir():
                info.external_attr = (stat.S_IFDIR | 0o755) << 16
                zf.writestr(info, b"")
                continue
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with path.open("rb") as src, zf.open(info, "w") as out:
                shutil.copyfileobj(src, out, _CHUNK)
    return archive


def open_up(folder: Path) -> None:
    """Make a folder the host wrote readable by every slot uid (its mounts are read-only):
    folders 0755, files 0644, or 0755 when they were executable (a program's script)."""
    folder.chmod(0o755)
    for path in folder.rglob("*"):
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode):
            continue  # refused wherever a folder is used; never chmod through one
        path.chmod(0o755 if stat.S_ISDIR(mode) or mode & 0o111 else 0o644)


def link_folder(source: Path, dest: Path) -> None:
    """``dest`` as a copy of the folder ``source`` made of hard links (copies across file
    systems): the same files, read-only in both places, without copying their bytes."""
    def link(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    _files_of(source)
    shutil.copytree(source, dest, symlinks=True, copy_function=link)


def copy_folder(source: Path, dest: Path) -> None:
    """Copy a folder of plain files (links refused), e.g. a program into a run's area."""
    _files_of(source)
    shutil.copytree(source, dest, symlinks=True, dirs_exist_ok=True)


def materialize(item: Path, dest: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Path:
    """A bundle item (folder or zip) as a folder at ``dest``: copied or safely unpacked."""
    if item.is_dir():
        copy_folder(item, dest)
    else:
        unpack_zip(item, dest, max_bytes=max_bytes, label=repr(item.name))
    return dest
