"""The rules that keep a Croissant document loadable, on profiles as the intake stores
them: which tables get a RecordSet, which CSV columns may say sc:Boolean, and @ids that
mlcroissant accepts and that stay distinct."""

from __future__ import annotations

from typing import Any

import pytest

from aihub.datasets.models import DatasetFile
from aihub.interop.croissant import Ids, data_type, personal_data_statement, record_set


def _file(path: str, profile: dict[str, Any] | None, report: dict[str, Any] | None = None
          ) -> DatasetFile:
    return DatasetFile(id=1, path=path, sha256="a" * 64, size=10, media_type="text/csv",
                       profile=profile, pii_report=report)


def _table(**overrides: Any) -> dict[str, Any]:
    profile: dict[str, Any] = {
        "format": "csv", "media_type": "text/csv", "encoding": "utf-8", "delimiter": ",",
        "row_count": 2, "columns": [{"name": "지점 이름", "type": "text"},
                                    {"name": "a/b#c", "type": "integer"}]}
    profile.update(overrides)
    return profile


def test_a_utf8_comma_table_gets_fields_with_safe_ids() -> None:
    rows = record_set(_file("data/측정 값.csv", _table()), "files/x", Ids())
    assert rows is not None
    assert rows["@id"] == "data/측정%20값.csv"
    assert [f["@id"] for f in rows["field"]] == ["data/측정%20값.csv/지점%20이름",
                                                  "data/측정%20값.csv/a%2Fb%23c"]
    assert [f["source"]["extract"]["column"] for f in rows["field"]] == ["지점 이름", "a/b#c"]


@pytest.mark.parametrize("profile", [
    _table(encoding="cp949"),  # mlcroissant reads UTF-8 only
    _table(encoding="utf-16-le"),
    _table(delimiter=";"),  # ... and CSV with commas only
    _table(format="tsv", delimiter=","),
    _table(row_count=None),  # not read as a table
    _table(columns=[]),
    _table(columns=[{"name": "a", "type": "text"}, {"name": "a", "type": "text"}]),
    _table(columns=[{"name": "", "type": "text"}]),
    _table(format="zip"),
    _table(format="json"),  # a JSON array would need jsonPath fields
    {},
])
def test_tables_mlcroissant_cannot_read_get_no_record_set(profile: dict[str, Any]) -> None:
    assert record_set(_file("a.csv", profile), "files/a.csv", Ids()) is None


def test_no_profile_no_record_set() -> None:
    assert record_set(_file("a.csv", None), "files/a.csv", Ids()) is None


@pytest.mark.parametrize(("column", "fmt", "expected"), [
    ({"type": "boolean", "missing": 0, "distinct": 2,
      "top_values": [["true", 2], ["false", 1]]}, "csv", "sc:Boolean"),
    # pandas would read "no" as the text "no", and bool("no") is True.
    ({"type": "boolean", "missing": 0, "distinct": 2,
      "top_values": [["yes", 2], ["no", 1]]}, "csv", "sc:Text"),
    # A missing value may be written "-", which bool() also reads as True.
    ({"type": "boolean", "missing": 1, "distinct": 2,
      "top_values": [["true", 2], ["false", 1]]}, "csv", "sc:Text"),
    # Not every value is known (no value repeats, so the profile lists none).
    ({"type": "boolean", "missing": 0, "distinct": 2, "top_values": []}, "tsv", "sc:Text"),
    # JSON Lines may hold the words too; Parquet holds real booleans.
    ({"type": "boolean", "missing": 0, "distinct": 2,
      "top_values": [["yes", 2], ["no", 1]]}, "jsonl", "sc:Text"),
    ({"type": "boolean", "missing": 3, "distinct": 2, "top_values": []}, "parquet",
     "sc:Boolean"),
    ({"type": "integer"}, "csv", "sc:Integer"),
    ({"type": "float"}, "csv", "sc:Float"),
    ({"type": "date"}, "csv", "sc:Date"),
    ({"type": "datetime"}, "csv", "sc:DateTime"),
    ({"type": "text"}, "csv", "sc:Text"),
    ({"type": "a type from a later release"}, "csv", "sc:Text"),
    ({}, "csv", "sc:Text"),
])
def test_data_types(column: dict[str, Any], fmt: str, expected: str) -> None:
    assert data_type(column, fmt) == expected


def test_ids_stay_distinct() -> None:
    ids = Ids()
    assert [ids.take("a"), ids.take("a"), ids.take("a")] == ["a", "a~2", "a~3"]


def test_the_personal_data_statement_counts_and_names_the_table() -> None:
    clean = _file("a.csv", None, {"table_version": "abc123", "files": []})
    assert personal_data_statement([clean], {}) == (
        "Screened for Korean personal data at intake (pattern table abc123); nothing "
        "was found.")
    unrecorded = _file("a.csv", None, {"findings": []})
    assert "pattern table not recorded" in personal_data_statement([unrecorded], {})
