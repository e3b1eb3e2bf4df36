"""Codabench's date rule: month first, dates are midnight, offsets dropped (with a line)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from aihub.interop.codabench.dates import parse_string, read_datetime
from aihub.interop.codabench.report import Findings, Where


@pytest.mark.parametrize(("text", "expected"), [
    ("1-2-2026", datetime(2026, 1, 2)),  # month first: 2 January
    ("12-31-2026", datetime(2026, 12, 31)),
    ("8/7/2019", datetime(2019, 8, 7)),
    ("31-12-2026", datetime(2026, 12, 31)),  # no 31st month: read day first, as dateutil
    ("2026-01-02", datetime(2026, 1, 2)),
    ("2026-01-02T10:11:12.5", datetime(2026, 1, 2, 10, 11, 12, 500000)),
    ("1/2/26 5:30 PM", datetime(2026, 1, 2, 17, 30)),
    ("1 January 2026", datetime(2026, 1, 1)),
    ("Jan 2, 2026 10:00", datetime(2026, 1, 2, 10)),
])
def test_strings(text: str, expected: datetime) -> None:
    assert parse_string(text)[0] == expected


def test_offsets_are_dropped_and_reported() -> None:
    findings = Findings()
    value = read_datetime("2026-03-01 09:00+09:00", Where("phases[0].start", 4), findings)
    assert value == datetime(2026, 3, 1, 9, tzinfo=UTC)
    (line,) = findings.lines
    assert "offset" in line.message and line.where.line == 4
    aware = datetime(2026, 3, 1, 9, tzinfo=timezone(timedelta(hours=-5)))
    assert read_datetime(aware, Where("x"), findings) == datetime(2026, 3, 1, 9, tzinfo=UTC)
    assert len(findings.lines) == 2
    quiet = Findings()
    read_datetime("2026-03-01T09:00Z", Where("x"), quiet)
    read_datetime(datetime(2026, 3, 1, tzinfo=UTC), Where("x"), quiet)
    assert quiet.lines == []


def test_dates_empty_and_wrong() -> None:
    findings = Findings()
    assert read_datetime(date(2026, 5, 1), Where("x"), findings) == datetime(2026, 5, 1,
                                                                             tzinfo=UTC)
    assert read_datetime(None, Where("x"), findings) is None
    assert read_datetime("", Where("x"), findings) is None
    assert read_datetime(2026, Where("x"), findings) is None
    assert read_datetime("soon", Where("x"), findings) is None
    assert [message for _, message in findings.problems] == [
        "2026 is not a date; write it as YYYY-MM-DD, MM-DD-YYYY (month first) or "
        "'1 January 2026', optionally with HH:MM",
        "cannot read 'soon' as a date; write it as YYYY-MM-DD, MM-DD-YYYY (month first) or "
        "'1 January 2026', optionally with HH:MM"]
