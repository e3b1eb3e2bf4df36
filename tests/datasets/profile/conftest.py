"""Fixtures for the profiler's tests (helpers live in profile_helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from profile_helpers import WriteFile


@pytest.fixture
def write(tmp_path: Path) -> WriteFile:
    """write(name, text_or_bytes, encoding="utf-8") -> path in a fresh folder."""

    def _write(name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
        return path

    return _write
