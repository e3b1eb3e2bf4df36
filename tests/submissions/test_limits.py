from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from aihub.submissions.limits import Usage, day_bounds

SEOUL = ZoneInfo("Asia/Seoul")


def test_day_is_the_hub_time_zones_calendar_day() -> None:
    # 15:30 UTC is 00:30 the next day in Seoul: a new day has begun there.
    start, end = day_bounds(datetime(2026, 11, 21, 15, 30, tzinfo=UTC), SEOUL)
    assert start == datetime(2026, 11, 22, 0, 0, tzinfo=SEOUL)
    assert end == datetime(2026, 11, 23, 0, 0, tzinfo=SEOUL)
    start, _ = day_bounds(datetime(2026, 11, 21, 14, 59, tzinfo=UTC), SEOUL)
    assert start == datetime(2026, 11, 21, 0, 0, tzinfo=SEOUL)


def test_utc_day_when_configured() -> None:
    start, end = day_bounds(datetime(2026, 11, 21, 15, 30, tzinfo=UTC), ZoneInfo("UTC"))
    assert start == datetime(2026, 11, 21, tzinfo=UTC)
    assert end == datetime(2026, 11, 22, tzinfo=UTC)


def test_refusals_name_the_limit() -> None:
    resets = datetime(2026, 11, 22, tzinfo=SEOUL)
    assert Usage(4, 4, 5, None, resets).refusal() is None
    assert "5 of 5" in (Usage(5, 5, 5, None, resets).refusal() or "")
    assert "all 10" in (Usage(1, 10, 5, 10, resets).refusal() or "")
    assert Usage(1, 9, 5, 10, resets).remaining_today == 1
