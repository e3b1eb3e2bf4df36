from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from aihub.settings import Settings


def test_environment_prefix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AIHUB_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("AIHUB_TIMEZONE", "UTC")
    settings = Settings()
    assert settings.data_dir == tmp_path
    assert settings.resolved_database_url == f"sqlite:///{tmp_path.resolve() / 'aihub.sqlite3'}"
    assert settings.zone.key == "UTC"


def test_default_time_zone_is_seoul() -> None:
    assert Settings().timezone == "Asia/Seoul"


def test_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ValidationError, match="unknown time zone"):
        Settings(timezone="Mars/Olympus")


def test_every_field_has_help() -> None:
    for name, field in Settings.model_fields.items():
        assert field.description, f"setting {name} has no help text"
