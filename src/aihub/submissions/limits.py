"""The submission-limit rule, in one place: what counts, per team, per day in the hub's zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from aihub.challenges.models import Phase
from aihub.evaluation.status import COUNTED
from aihub.submissions.models import Submission


def day_bounds(now: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The start and end of the calendar day that holds ``now`` in the hub's time zone."""
    local = now.astimezone(zone)
    start = datetime.combine(local.date(), time.min, tzinfo=zone)
    end = datetime.combine(local.date() + timedelta(days=1), time.min, tzinfo=zone)
    return start, end


@dataclass(frozen=True)
class Usage:
    today: int
    total: int
    daily_limit: int
    total_limit: int | None
    resets_at: datetime

    @property
    def remaining_today(self) -> int:
        left = self.daily_limit - self.today
        if self.total_limit is not None:
            left = min(left, self.total_limit - self.total)
        return max(left, 0)

    def refusal(self) -> str | None:
        """Why another submission is refused now, or None when it is allowed."""
        if self.total_limit is not None and self.total >= self.total_limit:
            return (
                f"Your team has used all {self.total_limit} submissions of this phase. "
                "Failed submissions do not count."
            )
        if self.today >= self.daily_limit:
            return (
                f"Your team has made {self.today} of {self.daily_limit} submissions allowed "
                f"today; the count resets at {self.resets_at.isoformat(timespec='minutes')}. "
                "Failed submissions do not count."
            )
        return None


# Both counts in one statement, built once: the phase's total and, filtered, today's.
_COUNTS = select(
    func.count(Submission.id),
    func.count(Submission.id).filter(
        Submission.created_at >= bindparam("start"), Submission.created_at < bindparam("end")
    ),
).where(
    Submission.phase_id == bindparam("phase_id"),
    Submission.team_id == bindparam("team_id"),
    Submission.status.in_([status.value for status in COUNTED]),
    Submission.limit_exempt.is_(False),
)


def usage(session: Session, phase: Phase, team_id: int, now: datetime, zone: ZoneInfo) -> Usage:
    start, end = day_bounds(now, zone)
    total, today = session.connection().execute(
        _COUNTS, {"start": start, "end": end, "phase_id": phase.id, "team_id": team_id}
    ).one()
    return Usage(
        today=today or 0,
        total=total or 0,
        daily_limit=phase.daily_limit,
        total_limit=phase.total_limit,
        resets_at=end,
    )
