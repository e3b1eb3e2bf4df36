"""Opening a bundle (zip or folder) and reading its ``competition.yaml``, either version.

``open_bundle`` is the entry point: it unpacks a zip safely to a temporary folder (removed
when the ``with`` block ends), finds ``competition.yaml``, dispatches on ``version`` exactly
as Codabench does, and raises one ``BundleInvalid`` listing every problem, or yields the
``ImportedBundle``: the checked ``Competition`` (with its import report) and the folder its
paths are relative to.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from aihub.challenges.bundle import safe_member
from aihub.errors import InvalidInput
from aihub.interop.codabench.archive import (
    COMPETITION_YAML,
    DEFAULT_MAX_BYTES,
    find_bundle_root,
    pack_folder,
    unpack_zip,
)
from aihub.interop.codabench.fields import shown
from aihub.interop.codabench.files import BundleFiles
from aihub.interop.codabench.model import Competition
from aihub.interop.codabench.report import Findings, Where
from aihub.interop.codabench.v2 import read_v2
from aihub.interop.codabench.v15 import read_v15
from aihub.interop.codabench.yamlmarks import MarkedDict, load

_YAML_MAX_BYTES = 1024 * 1024
_NO_VERSION = ("A suitable version could not be found for this competition. Make sure one is "
               "supplied in the yaml. (version: 2 for Codabench, 1.5 for CodaLab; {found} "
               "was given)")


@dataclass(frozen=True)
class ImportedBundle:
    """A read bundle: its competition, and the folder its relative paths start from."""

    root: Path
    competition: Competition

    def path(self, relative: str) -> Path:
        return safe_member(self.root, relative)

    def pack(self, relative: str, folder: Path) -> Path:
        """An item as a zip file: a zip item as it is, a folder zipped into ``folder``
        with stable bytes (same files, same sha256)."""
        path = self.path(relative)
        if path.is_file():
            return path
        name = relative.replace("/", "__") or "bundle"
        return pack_folder(path, folder / f"{name}.zip")


def _load_yaml(path: Path) -> MarkedDict:
    if path.stat().st_size > _YAML_MAX_BYTES:
        raise InvalidInput("competition.yaml is larger than 1 MB.")
    try:
        data = load(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise InvalidInput("competition.yaml is not UTF-8 text; save it as UTF-8.") from exc
    except yaml.YAMLError as exc:
        raise InvalidInput(f"competition.yaml is not valid YAML: {exc}") from exc
    if not isinstance(data, MarkedDict):
        raise InvalidInput("competition.yaml must be a mapping of keys (title, phases, ...).")
    return data


def read_competition(root: Path, *, extra_images: Mapping[str, str] | None = None,
                     check_files: bool = True, notes: tuple[str, ...] = ()) -> Competition:
    """Read and check the bundle in folder ``root``. ``notes`` are warnings found before the
    YAML (e.g. where it sat in the zip). ``check_files=False`` reads upstream fixtures whose
    files were left out; an import always checks."""
    data = _load_yaml(root / COMPETITION_YAML)
    findings = Findings()
    for note in notes:
        findings.warn(Where(""), note)
    raw_version = data.get("version", "1")
    version = str(raw_version) if isinstance(raw_version, str | int | float) else "?"
    files = BundleFiles(root, findings, check_files=check_files)
    if version in {"1", "1.5"}:
        competition = read_v15(data, files, findings, extra_images)
    elif version == "2":
        competition = read_v2(data, files, findings, extra_images)
    else:
        where = Where("version", data.line_of("version"))
        raise InvalidInput(f"{where}: " + _NO_VERSION.format(found=shown(data.get("version"))))
    files.check_exposure()
    findings.raise_if_any()
    assert competition is not None  # a reader returns None only with problems
    return replace(competition, report=findings.report())


@contextmanager
def open_bundle(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES,
                extra_images: Mapping[str, str] | None = None,
                check_files: bool = True) -> Iterator[ImportedBundle]:
    """Read a bundle folder or zip. ``extra_images`` maps more docker images (exact names or
    patterns) to worker runtimes."""
    if path.is_dir():
        root, note = find_bundle_root(path)
        notes = (note,) if note else ()
        yield ImportedBundle(root, read_competition(root, extra_images=extra_images,
                                                    check_files=check_files, notes=notes))
        return
    if not path.is_file():
        raise InvalidInput(f"{path} is neither a folder nor a zip file.")
    tmp = Path(tempfile.mkdtemp(prefix="aihub-codabench-"))
    try:
        unpack_zip(path, tmp, max_bytes=max_bytes, label="The bundle")
        root, note = find_bundle_root(tmp)
        notes = (note,) if note else ()
        yield ImportedBundle(root, read_competition(root, extra_images=extra_images,
                                                    check_files=check_files, notes=notes))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
