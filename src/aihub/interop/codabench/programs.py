"""Program folders: the ``metadata.yaml`` / ``metadata`` file and its ``command``.

Codabench runs a program folder's ``command`` with working directory ``/app/program``.
CodaLab 1.5 commands hold ``$placeholders`` that Codabench's worker rewrites by plain,
sequential string replacement in a fixed order (``replace_legacy_metadata_command``);
existing bundles were tested against exactly that, quirks included (it is not
word-bounded), so it is replicated here and checked against the upstream golden cases.
The command line is split like Docker splits a string command (``shlex``), not given to a
shell.
"""

from __future__ import annotations

import re
import shlex
import zipfile
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import yaml

from aihub.interop.codabench.archive import BROKEN_ZIP
from aihub.interop.codabench.yamlmarks import safe_load

METADATA_NAMES = ("metadata.yaml", "metadata")  # the worker looks for metadata.yaml first
_METADATA_MAX_BYTES = 64 * 1024
_PLACEHOLDER = re.compile(r"\$[A-Za-z_]+")


class ProgramKind(StrEnum):
    INGESTION = "ingestion"
    PROGRAM = "program"  # the scoring program, or a participant's self-running submission


@dataclass(frozen=True)
class ProgramMetadata:
    """What a program folder's metadata file says: which file, and its command."""

    file: str | None  # None: the folder has no metadata file
    command: str | None
    error: str | None = None  # why the file could not be read (then command is None)


def parse_metadata(name: str, raw: bytes) -> ProgramMetadata:
    """Read a metadata file's bytes; an unreadable file gives no command, as upstream."""
    if len(raw) > _METADATA_MAX_BYTES:
        return ProgramMetadata(name, None, f"{name} is larger than 64 KB")
    try:
        data = safe_load(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        return ProgramMetadata(name, None, f"{name} is not valid YAML: {exc}")
    command = data.get("command") if isinstance(data, dict) else None
    if command is not None and not isinstance(command, str):
        return ProgramMetadata(name, None, f"'command' in {name} must be a text")
    return ProgramMetadata(name, command or None)


def folder_metadata(folder: Path) -> ProgramMetadata:
    """The metadata of a program folder on disk (regular files only, never a link)."""
    for name in METADATA_NAMES:
        path = folder / name
        if path.is_symlink():
            return ProgramMetadata(name, None, f"{name} is a symbolic link")
        if path.is_file():
            with path.open("rb") as handle:
                return parse_metadata(name, handle.read(_METADATA_MAX_BYTES + 1))
    return ProgramMetadata(None, None)


def zip_metadata(archive: Path) -> ProgramMetadata:
    """The metadata at the top of a program zip (where the worker unpacks it to)."""
    try:
        with zipfile.ZipFile(archive) as zf:
            names = set(zf.namelist())
            for name in METADATA_NAMES:
                if name in names:
                    info = zf.getinfo(name)
                    if info.file_size > _METADATA_MAX_BYTES:
                        return ProgramMetadata(name, None, f"{name} is larger than 64 KB")
                    return parse_metadata(name, zf.read(info))
    except BROKEN_ZIP as exc:
        return ProgramMetadata(None, None, f"the zip cannot be read ({exc})")
    return ProgramMetadata(None, None)


def program_metadata(path: Path) -> ProgramMetadata:
    return zip_metadata(path) if path.is_file() else folder_metadata(path)


def legacy_replacements(kind: ProgramKind, *, is_scoring: bool) -> tuple[tuple[str, str], ...]:
    """Codabench's placeholder table, in the order it is applied."""
    return (
        ("$input", "/app/input_data" if kind is ProgramKind.INGESTION else "/app/input"),
        ("$output", "/app/output"),
        # aihub always mounts the running program at /app/program, so this is never the
        # /app/ingestion_program an older worker used during ingestion-during-scoring.
        ("$program", "/app/program"),
        ("$ingestion_program", "/app/program"),
        ("$hidden", "/app/input/ref"),
        ("$shared", "/app/shared"),
        ("$submission_program", "/app/ingested_program"),
        ("$tmp", "/app/output"),  # CodaLab 1.8
        ("$predictions", "/app/input/res" if is_scoring else "/app/output"),
    )


def rewrite_legacy_command(command: str, kind: ProgramKind, *, is_scoring: bool) -> str:
    """``command`` with its ``$placeholders`` replaced exactly as Codabench's worker does."""
    for placeholder, replacement in legacy_replacements(kind, is_scoring=is_scoring):
        command = command.replace(placeholder, replacement)
    return command


_KNOWN = frozenset(p for p, _ in legacy_replacements(ProgramKind.PROGRAM, is_scoring=False))


def unknown_placeholders(command: str) -> list[str]:
    """``$words`` the rewriting leaves alone (or mangles, e.g. ``$input_data``)."""
    return sorted({word for word in _PLACEHOLDER.findall(command) if word not in _KNOWN})


def command_argv(command: str) -> list[str]:
    """The argument list of a command; ``ValueError`` for unbalanced quotes or nothing."""
    argv = shlex.split(command)
    if not argv:
        raise ValueError("the command is empty")
    return argv
