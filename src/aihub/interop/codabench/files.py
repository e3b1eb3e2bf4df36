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
from aihub.interop.codabench.model import Page
from aihub.interop.codabench.programs import (
    ProgramKind,
    command_argv,
    program_metadata,
    unknown_placeholders,
)
from aihub.interop.codabench.report import Findings, Where

_PAGE_MAX_BYTES = 1024 * 1024


class ItemKind(StrEnum):
    FILE = "file"  # a logo, a page
    FOLDER_OR_ZIP = "folder or zip"  # programs, data, solutions
    ANY = "file or folder"  # a starting kit or public data


class BundleFiles:
    def __init__(self, root: Path, findings: Findings, *, check_files: bool = True) -> None:
        self.root = root
        self.findings = findings
        self.check_files = check_files

    def missing(self, where: Where, message: str) -> None:
        if self.check_files:
            self.findings.problem(where, message)
        else:
            self.findings.warn(where, message + " (not checked)")

    def item(self, value: object, where: Where, *, what: str, kind: ItemKind) -> str | None:
        """The normalized relative path of a named item, or None after a problem."""
        if not isinstance(value, str) or not value.strip():
            self.findings.problem(where, f"the {what} must be a path in the bundle, not "
                                  f"{value!r}")
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
        if kind is ItemKind.FILE and not path.is_file():
            self.findings.problem(where, f"the {what} {relative!r} must be a file")
        elif kind is ItemKind.FOLDER_OR_ZIP and path.is_file() and not zipfile.is_zipfile(path):
            self.findings.problem(where, f"the {what} {relative!r} must be a folder or a .zip "
                                  "file")
        return relative

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
