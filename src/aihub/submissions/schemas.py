"""API shapes of submissions, and the data function that decides what each viewer sees."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from aihub.accounts.actor import Actor
from aihub.accounts.models import Team
from aihub.challenges import policy
from aihub.challenges.models import Challenge, Phase
from aihub.evaluation import queue
from aihub.evaluation.models import Job
from aihub.evaluation.status import Status
from aihub.schemas import Text
from aihub.submissions.limits import Usage
from aihub.submissions.models import Submission


class SubmissionOut(BaseModel):
    id: int
    challenge: str
    phase: str
    team: str | None
    status: str
    public_score: float | None
    # None until the private leaderboard opens, except for hosts.
    private_score: float | None
    error: str
    filename: str
    size: int
    sha256: str
    message: str
    selected: bool
    is_baseline: bool
    # A baseline's name in both languages (baselines belong to no team).
    baseline: Text | None = None
    created_at: datetime
    scored_at: datetime | None
    queue_position: int | None
    # Hosts only: the full reason of a failure.
    host_error: str | None = None
    # Code runs: what the program wrote (capped; empty when the hosts hide it).
    log: str = ""
    # Hosts only: everything the programs wrote, the scoring program's too.
    host_log: str | None = None
    # Program scoring: every leaderboard column's value.
    scores: dict[str, float] | None = None


class UsageOut(BaseModel):
    today: int
    total: int
    daily_limit: int
    total_limit: int | None
    remaining_today: int
    resets_at: datetime


def usage_out(usage: Usage) -> UsageOut:
    return UsageOut(
        today=usage.today,
        total=usage.total,
        daily_limit=usage.daily_limit,
        total_limit=usage.total_limit,
        remaining_today=usage.remaining_today,
        resets_at=usage.resets_at,
    )


def submission_out(
    session: Session, submission: Submission, challenge: Challenge, actor: Actor, now: datetime
) -> SubmissionOut:
    # Identity-map hits, no query, after ``services.get_visible_submission``.
    phase = session.get(Phase, submission.phase_id)
    assert phase is not None
    team = session.get(Team, submission.team_id) if submission.team_id else None
    position = None
    if submission.status == Status.QUEUED.value:
        job = session.scalar(
            select(Job)
            .where(Job.submission_id == submission.id)
            .order_by(Job.id.desc())
            .limit(1)
        )
        position = queue.position_in_queue(session, job) if job else None
    return build_submission_out(
        submission, challenge, phase, team.name if team else None, actor, now,
        queue_position=position,
    )


def submissions_out(
    session: Session, rows: list[Submission], challenge: Challenge, actor: Actor, now: datetime
) -> list[SubmissionOut]:
    """``submission_out`` of many rows of one challenge (phases loaded with it), their teams
    read in one statement rather than one each."""
    team_ids = {row.team_id for row in rows if row.team_id is not None}
    if team_ids:
        list(session.scalars(select(Team).where(Team.id.in_(team_ids))))  # to the identity map
    return [submission_out(session, row, challenge, actor, now) for row in rows]


def build_submission_out(
    submission: Submission,
    challenge: Challenge,
    phase: Phase,
    team: str | None,
    actor: Actor,
    now: datetime,
    *,
    queue_position: int | None = None,
) -> SubmissionOut:
    """What ``actor`` may see of a submission whose rows the caller has in hand."""
    host = policy.can_manage(actor, challenge)
    return SubmissionOut(
        id=submission.id,
        challenge=challenge.slug,
        phase=phase.name,
        team=team,
        status=submission.status,
        public_score=submission.public_score,
        private_score=(
            submission.private_score
            if policy.can_see_private(actor, challenge, phase, now)
            else None
        ),
        error=submission.error,
        filename=submission.filename,
        size=submission.size,
        sha256=submission.sha256,
        message=submission.message,
        selected=submission.selected,
        is_baseline=submission.is_baseline,
        baseline=Text(ko=submission.baseline_name_ko, en=submission.baseline_name_en)
        if submission.is_baseline else None,
        created_at=submission.created_at,
        scored_at=submission.scored_at,
        queue_position=queue_position,
        host_error=submission.host_error if host else None,
        log=submission.log,
        host_log=submission.host_log if host else None,
        scores=submission.scores,
    )
