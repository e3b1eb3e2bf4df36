"""Codabench's date rule (``unpackers/utils.py : get_datetime``), replicated.

Codabench hands strings to ``dateutil.parser.parse`` with its defaults (month first:
``1-2-2026`` is 2 January) and then *replaces* the time zone with UTC: an offset written in
the bundle is dropped and the wall-clock time is read as UTC. Existing bundles were tested
against that, so we read dates the same way, and say so in the import report whenever a
non-zero offset is dropped. dateutil is not a dependency of aihub; the forms below are the
ones bundles use (ISO dates and times, month-first dates, English month names).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from aihub.interop.codabench.fields import shown
from aihub.interop.codabench.report import Findings, Where

_TIME = (
    r"(?:(?:T|\s+)(?P<hour>\d{1,2}):(?P<minute>\d{2})"
    r"(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d{1,6})\d*)?)?\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?)?"
)
_ZONE = r"\s*(?P<zone>Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?\s*$"
_YEAR_FIRST = re.compile(
    r"^\s*(?P<year>\d{4})[-/.](?P<a>\d{1,2})[-/.](?P<b>\d{1,2})" + _TIME + _ZONE
)
_MONTH_FIRST = re.compile(
    r"^\s*(?P<a>\d{1,2})[-/.](?P<b>\d{1,2})[-/.](?P<year>\d{4}|\d{2})" + _TIME + _ZONE
)
_DAY_NAME_YEAR = re.compile(
    r"^\s*(?P<b>\d{1,2})\s+(?P<name>[A-Za-z]{3,9})\.?,?\s+(?P<year>\d{4})" + _TIME + _ZONE
)
_NAME_DAY_YEAR = re.compile(
    r"^\s*(?P<name>[A-Za-z]{3,9})\.?\s+(?P<b>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>\d{4})"
    + _TIME + _ZONE
)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_FORMS = "YYYY-MM-DD, MM-DD-YYYY (month first) or '1 January 2026', optionally with HH:MM"


def _two_digit_year(year: int) -> int:
    # dateutil's rule: the century that puts the year within 50 years of today.
    this_year = datetime.now(UTC).year
    year += this_year // 100 * 100
    if year >= this_year + 50:
        year -= 100
    elif year < this_year - 50:
        year += 100
    return year


def _month_day(match: re.Match[str]) -> tuple[int, int]:
    name = match.groupdict().get("name")
    if name is not None:
        month = next((i + 1 for i, m in enumerate(_MONTHS) if name.lower().startswith(m)), 0)
        if month == 0:
            raise ValueError(f"{name!r} is not a month name")
        return month, int(match["b"])
    month, day = int(match["a"]), int(match["b"])
    if match.re is _MONTH_FIRST and month > 12 >= day:
        month, day = day, month  # dateutil reads '31-12-2026' day first: no 31st month
    return month, day


def _hour(match: re.Match[str]) -> int:
    hour = int(match["hour"] or 0)
    ampm = (match["ampm"] or "").lower().replace(".", "")
    if ampm == "pm" and hour < 12:
        hour += 12
    elif ampm == "am" and hour == 12:
        hour = 0
    return hour


def _offset(zone: str | None) -> timedelta:
    if zone is None or zone in {"Z", "UTC", "GMT"}:
        return timedelta(0)
    digits = zone[1:].replace(":", "")
    minutes = int(digits[:2]) * 60 + int(digits[2:] or 0)
    return timedelta(minutes=minutes if zone[0] == "+" else -minutes)


def parse_string(text: str) -> tuple[datetime, timedelta]:
    """A naive datetime and the offset the string carried; ``ValueError`` if unreadable."""
    for pattern in (_YEAR_FIRST, _MONTH_FIRST, _DAY_NAME_YEAR, _NAME_DAY_YEAR):
        match = pattern.match(text)
        if match is None:
            continue
        year = int(match["year"])
        if len(match["year"]) == 2:
            year = _two_digit_year(year)
        month, day = _month_day(match)
        fraction = (match["fraction"] or "").ljust(6, "0")
        try:
            value = datetime(year, month, day, _hour(match), int(match["minute"] or 0),
                             int(match["second"] or 0), int(fraction))
        except ValueError as exc:
            raise ValueError(f"cannot read {text!r} as a date: {exc}") from exc
        return value, _offset(match["zone"])
    raise ValueError(f"cannot read {text!r} as a date; write it as {_FORMS}")


def read_datetime(value: object, where: Where, findings: Findings) -> datetime | None:
    """A bundle date as a UTC instant, by Codabench's rule; ``None`` if empty or unreadable
    (unreadable ones are recorded as problems)."""
    offset = timedelta(0)
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        offset = value.utcoffset() or timedelta(0)
        naive = value.replace(tzinfo=None)
    elif isinstance(value, date):
        naive = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            naive, offset = parse_string(value)
        except ValueError as exc:
            findings.problem(where, str(exc))
            return None
    else:
        findings.problem(where, f"{shown(value)} is not a date; write it as {_FORMS}")
        return None
    result = naive.replace(tzinfo=UTC)
    if offset:
        findings.warn(where, f"the time zone offset of {value} is dropped, as Codabench does: "
                      f"the time is read as {result:%Y-%m-%d %H:%M} UTC")
    return result
