"""Zips in and out: a bundle or one of its items unpacked safely, a folder packed stably.

Unpacking refuses absolute names, ``..``, links and NUL bytes, and counts bytes as they are
written (a zip's declared sizes can lie). Packing gives the same bytes for the same files
(sorted names, fixed times), so a re-imported bundle yields the same sha256 blobs.
"""

from __future__ import annotations

import shutil
import stat
import zipfile
from pathlib import Path, PurePosixPath

from aihub.errors import InvalidInput

DEFAULT_MAX_BYTES = 4 * 1024**3
DEFAULT_MAX_FILES = 100_000
COMPETITION_YAML = "competition.yaml"
_CHUNK = 1024 * 1024
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_IGNORED_TOP = frozenset({"__MACOSX"})  # macOS Finder adds it next to the real folder


def _member_target(dest: Path, info: zipfile.ZipInfo) -> Path:
    name = info.filename
    pure = PurePosixPath(name)
    if "\x00" in name or pure.is_absolute() or ".." in pure.parts or name.startswith("\\"):
        raise InvalidInput(f"The zip holds {name!r}: names must be relative, without '..'.")
    if stat.S_ISLNK(info.external_attr >> 16):
        raise InvalidInput(f"The zip holds a symbolic link, {name!r}; zips may hold only "
                           "files and folders.")
    return dest.joinpath(*pure.parts)


def unpack_zip(archive: Path, dest: Path, *, max_bytes: int = DEFAULT_MAX_BYTES,
               max_files: int = DEFAULT_MAX_FILES, label: str = "The zip") -> None:
    """Unpack ``archive`` into the folder ``dest`` (created), refusing unsafe members."""
    dest.mkdir(parents=True, exist_ok=True)
    try:
        with zipfile.ZipFile(archive) as zf:
            infos = zf.infolist()
            if len(infos) > max_files:
                raise InvalidInput(f"{label} holds {len(infos)} entries, more than the limit "
                                   f"of {max_files}.")
            written = 0
            for info in infos:
                target = _member_target(dest, info)
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, target.open("wb") as out:
                    while chunk := src.read(_CHUNK):
                        written += len(chunk)
                        if written > max_bytes:
                            raise InvalidInput(f"{label} unpacks to more than {max_bytes} "
                                               "bytes, the limit.")
                        out.write(chunk)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError) as exc:
        raise InvalidInput(f"Bad zip file uploaded: {label} does not open ({exc}).") from exc


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
        if path.is_symlink():
            raise InvalidInput(f"{path.relative_to(folder)} is a symbolic link; bundles may "
                               "hold only files and folders.")
        found.append(path)
    return found


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
