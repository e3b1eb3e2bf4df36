"""The files a ``competition.yaml`` names: checked to exist, stay inside, and be usable.

``check_files=False`` turns a missing file into a report line instead of a problem: for
reading the YAML of upstream fixtures whose data or code was left out. Imports always
check.
"""

from __future__ import annotations

import zipfile
from enum import StrEnum
from pathlib import Path, PurePosixPath

from aihub.challenges.bundle import safe_member
from aihub.errors import InvalidInput
from aihub.interop.codabench.archive import item_problem
from aihub.interop.codabench.fields import shown
from aihub.interop.codabench.model import Page
from aihub.interop.codabench.programs import (
    ProgramKind,
    command_argv,
    program_metadata,
    unknown_placeholders,
)
from aihub.interop.codabench.report import Findings, Where

_PAGE_MAX_BYTES = 1024 * 1024
# What only the scoring step may see: never inside what participants download.
SECRET_ITEMS = frozenset({"scoring program", "reference data"})


class ItemKind(StrEnum):
    FILE = "file"  # a logo, a page
    FOLDER_OR_ZIP = "folder or zip"  # programs, data, solutions
    ANY = "file or folder"  # a starting kit or public data


class BundleFiles:
    def __init__(self, root: Path, findings: Findings, *, check_files: bool = True) -> None:
        self.root = root
        self.findings = findings
        self.check_files = check_files
        self._contents: dict[str, str | None] = {}  # relative path → its problem, checked once
        self._secret: dict[Path, tuple[str, str]] = {}  # resolved path → (relative, what)
        self._public: list[tuple[Path, str, Where, str]] = []  # (path, relative, where, what)

    def missing(self, where: Where, message: str) -> None:
        if self.check_files:
            self.findings.problem(where, message)
        else:
            self.findings.warn(where, message + " (not checked)")

    def item(self, value: object, where: Where, *, what: str, kind: ItemKind) -> str | None:
        """The normalized relative path of a named item, or None after a problem."""
        if not isinstance(value, str) or not value.strip():
            self.findings.problem(where, f"the {what} must be a path in the bundle, not "
                                  f"{shown(value)}")
            return None
        relative = PurePosixPath(value.strip()).as_posix()
        try:
            path = safe_member(self.root, relative)
        except InvalidInput as exc:
            self.findings.problem(where, exc.detail)
            return None
        if not path.exists():
            self.missing(where, f"Unable to find {what}: {relative}")
            return relative
        if what in SECRET_ITEMS:
            self._secret.setdefault(path, (relative, what))
        elif kind is ItemKind.ANY:
            self._public.append((path, relative, where, what))
        if kind is ItemKind.FILE and not path.is_file():
            self.findings.problem(where, f"the {what} {relative!r} must be a file")
        elif kind is ItemKind.FOLDER_OR_ZIP and path.is_file() and not zipfile.is_zipfile(path):
            self.findings.problem(where, f"the {what} {relative!r} must be a folder or a .zip "
                                  "file")
        elif kind is not ItemKind.FILE:
            self._check_contents(path, relative, where, what)
        return relative

    def check_exposure(self) -> None:
        """Refuse a starting kit or public data that is, holds or lies inside a task's
        reference data or scoring program (``public_data: dev``, ``starting_kit: .``):
        participants download those items. Paths are compared resolved."""
        for path, relative, where, what in self._public:
            for secret, (secret_relative, secret_what) in self._secret.items():
                relation = ("is" if path == secret else "holds" if secret.is_relative_to(path)
                            else "is inside" if path.is_relative_to(secret) else None)
                if relation is not None:
                    self.findings.problem(where, (
                        f"the {what} {relative!r} {relation} the {secret_what} "
                        f"{secret_relative!r}; participants download the {what}, and must "
                        f"never get the {secret_what}: give the {what} a folder of its own"))
                    break

    def _check_contents(self, path: Path, relative: str, where: Where, what: str) -> None:
        """A zip is unpacked and a folder walked now, as each job will: a bad inner zip is a
        problem of the import, not a failure of every submission."""
        if relative not in self._contents:
            self._contents[relative] = item_problem(path, f"the {what} {relative!r}")
        problem = self._contents[relative]
        if problem is not None:
            self.findings.problem(where, problem)

    def page(self, value: object, where: Where, *, title: str, what: str = "page") -> Page | None:
        relative = self.item(value, where, what=what, kind=ItemKind.FILE)
        if relative is None:
            return None
        path = self.root / relative
        if not path.is_file():
            return Page(title, relative, "")
        if path.stat().st_size > _PAGE_MAX_BYTES:
            self.findings.problem(where, f"the {what} {relative!r} is larger than 1 MB")
            return None
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            self.findings.problem(where, f"the {what} {relative!r} is not UTF-8 text; save it "
                                  "as UTF-8")
            return None
        if not text.strip():
            self.findings.problem(where, f"the {what} {relative!r} is empty, it must contain "
                                  "content.")
        return Page(title, relative, text)

    def command(self, relative: str | None, where: Where, *, kind: ProgramKind) -> str | None:
        """The command of a scoring or ingestion program, checked as the worker would."""
        if relative is None or not (self.root / relative).exists():
            return None
        if self._contents.get(relative) is not None:
            return None  # a broken zip or folder: its problem is said already
        what = "ingestion program" if kind is ProgramKind.INGESTION else "scoring program"
        metadata = program_metadata(self.root / relative)
        if metadata.error is not None:
            self.findings.problem(where, f"the {what} {relative!r}: {metadata.error}")
        elif metadata.file is None:
            self.findings.problem(where, f"the {what} {relative!r}: Program directory missing "
                                  "'metadata.yaml/metadata' (it must be at the top of the "
                                  "folder or zip and hold the 'command' to run)")
        elif metadata.command is None:
            self.findings.problem(where, f"the {what} {relative!r}: Program directory missing "
                                  f"'command' in metadata ({metadata.file})")
        if metadata.command is None:
            return None
        try:
            command_argv(metadata.command)
        except ValueError as exc:
            self.findings.problem(where, f"the {what}'s command {metadata.command!r} cannot be "
                                  f"split into arguments: {exc}")
        for word in unknown_placeholders(metadata.command):
            self.findings.warn(where, f"the {what}'s command has {word}, which is not a "
                               "placeholder Codabench replaces; it is passed on as written "
                               "(or partly replaced: replacement is plain text)")
        return metadata.command
