"""Small files for the profiler's tests, and a shortcut to profile them."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from aihub.datasets.profile import ProfileLimits, profile_path
from aihub.datasets.profile_types import ColumnProfile, FileProfile


class WriteFile(Protocol):
    def __call__(self, name: str, content: str | bytes, encoding: str = "utf-8") -> Path: ...


def profile(path: Path, *, limits: ProfileLimits | None = None) -> FileProfile:
    return profile_path(path, filename=path.name, limits=limits)


def column(result: FileProfile, name: str) -> ColumnProfile:
    matches = [found for found in result.columns if found.name == name]
    assert len(matches) == 1, [found.name for found in result.columns]
    return matches[0]


def problems(result: FileProfile) -> str:
    """All problems as one text, to match against."""
    return "\n".join(result.problems)


def lines(*rows: str) -> str:
    return "".join(f"{row}\n" for row in rows)
