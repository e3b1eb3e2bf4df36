"""API shapes of submissions, and the data function that decides what each viewer sees."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from aihub.accounts.actor import Actor
from aihub.accounts.models import Team
from aihub.challenges import policy
from aihub.challenges.models import Challenge, EvaluationKind, Phase
from aihub.evaluation import queue
from aihub.evaluation.models import Job
from aihub.evaluation.plans import BoardColumns
from aihub.evaluation.status import Status
from aihub.schemas import Text
from aihub.submissions import policy as submission_policy
from aihub.submissions.limits import Usage
from aihub.submissions.models import Submission
from aihub.submissions.services import latest_job


class EstimateOut(BaseModel):
    """Where an unfinished evaluation stands: a guide for the people waiting, not a promise.

    Queued: ``position``, the jobs ahead in the challenge's queue (0 = next), and, when the
    queue has finished jobs to go by, ``eta_seconds`` and ``starts_at`` (given in the answer
    about one submission, not in lists). Running: ``started_at`` and which ``attempt``
    (a worker that died hands the job back; it is tried again)."""

    position: int | None = None
    eta_seconds: float | None = None
    starts_at: datetime | None = None
    started_at: datetime | None = None
    attempt: int | None = None


class ColumnOut(BaseModel):
    """One leaderboard column of a program-scored challenge with this submission's value."""

    key: str
    title: str
    value: float | None
    precision: int
    # The column the leaderboard ranks by (its value is public_score).
    primary: bool
    # Hidden from the leaderboard; only hosts get hidden columns.
    hidden: bool


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
    # Queued or running: place in the queue, expected start, or when the run started.
    estimate: EstimateOut | None = None
    # Hosts only: the full reason of a failure, and whose fault it was (participant, host,
    # infrastructure).
    host_error: str | None = None
    error_kind: str | None = None
    # Code runs: what the program wrote (capped; empty when the hosts hide it).
    log: str = ""
    # Hosts only: everything the programs wrote, the scoring program's too.
    host_log: str | None = None
    # Program scoring: every leaderboard column's value (hidden columns: hosts only), and
    # the same with the columns' titles, in the leaderboard's order.
    scores: dict[str, float] | None = None
    columns: list[ColumnOut] | None = None
    # The scoring program's detailed_results.html, when it wrote one.
    detailed_results_url: str | None = None
    # Whether the viewer may cancel it now (POST /submissions/{id}/cancel).
    can_cancel: bool = False


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


def _unfinished(submission: Submission) -> bool:
    return submission.status in (Status.QUEUED.value, Status.RUNNING.value)


def submission_out(
    session: Session, submission: Submission, challenge: Challenge, actor: Actor, now: datetime
) -> SubmissionOut:
    """What ``actor``, who may see the submission (``services.get_visible_submission``),
    sees of it: with the full estimate while it waits."""
    # Identity-map hits, no query, after ``services.get_visible_submission``.
    phase = session.get(Phase, submission.phase_id)
    assert phase is not None
    team = session.get(Team, submission.team_id) if submission.team_id else None
    job: Job | None = None
    if _unfinished(submission) or policy.can_manage(actor, challenge):
        job = latest_job(session, submission.id)
    estimate = None
    if job is not None and _unfinished(submission):
        estimate = _estimate(job, queue.queue_estimate(session, job, now=now), now)
    return build_submission_out(
        submission, challenge, phase, team.name if team else None, actor, now,
        job=job, estimate=estimate,
    )


def _estimate(job: Job, estimate: queue.Estimate, now: datetime) -> EstimateOut:
    if job.status == Status.RUNNING.value:
        return EstimateOut(started_at=job.started_at, attempt=job.attempts)
    eta = estimate.eta_seconds
    return EstimateOut(
        position=estimate.position, eta_seconds=eta,
        starts_at=now + timedelta(seconds=eta) if eta is not None else None,
    )


def submissions_out(
    session: Session, rows: list[Submission], challenge: Challenge, actor: Actor, now: datetime
) -> list[SubmissionOut]:
    """``submission_out`` of many rows of one challenge (phases loaded with it): teams and
    jobs read in one statement each rather than one per row. Queued rows carry their place
    in the queue without the expected start, which would read the queue's history again
    for every row."""
    team_ids = {row.team_id for row in rows if row.team_id is not None}
    if team_ids:
        list(session.scalars(select(Team).where(Team.id.in_(team_ids))))  # to the identity map
    jobs: dict[int, Job] = {}
    if rows:
        for found in session.scalars(
            select(Job).where(Job.submission_id.in_([row.id for row in rows])).order_by(Job.id)
        ):
            if found.submission_id is not None:
                jobs[found.submission_id] = found  # the newest wins
    columns = _board_columns(challenge)
    shown = []
    for row in rows:
        phase = session.get(Phase, row.phase_id)
        assert phase is not None
        team = session.get(Team, row.team_id) if row.team_id else None
        job = jobs.get(row.id)
        estimate = None
        if job is not None and _unfinished(row):
            position = queue.position_in_queue(session, job)
            estimate = _estimate(job, queue.Estimate(position, None), now)
        shown.append(build_submission_out(
            row, challenge, phase, team.name if team else None, actor, now,
            job=job, estimate=estimate, columns=columns,
        ))
    return shown


def _board_columns(challenge: Challenge) -> BoardColumns | None:
    if challenge.evaluation_kind != EvaluationKind.PROGRAM.value or not challenge.board_columns:
        return None
    return BoardColumns.model_validate(challenge.board_columns)


def _columns_out(
    scores: dict[str, Any] | None, columns: BoardColumns, *, host: bool
) -> tuple[dict[str, float] | None, list[ColumnOut]]:
    """The values the viewer may read: hidden columns are the hosts' (the primary one is
    public anyway: it is the leaderboard's score)."""
    shown = [column for column in sorted(columns.columns, key=lambda c: c.index)
             if host or not column.hidden or column.key == columns.primary]
    values = scores or {}
    kept = {column.key: float(values[column.key]) for column in shown
            if isinstance(values.get(column.key), int | float)}
    out = [
        ColumnOut(key=column.key, title=column.title, value=kept.get(column.key),
                  precision=column.precision, primary=column.key == columns.primary,
                  hidden=column.hidden)
        for column in shown
    ]
    return (kept if scores is not None else None), out


def build_submission_out(
    submission: Submission,
    challenge: Challenge,
    phase: Phase,
    team: str | None,
    actor: Actor,
    now: datetime,
    *,
    job: Job | None = None,
    estimate: EstimateOut | None = None,
    columns: BoardColumns | None = None,
) -> SubmissionOut:
    """What ``actor`` may see of a submission whose rows the caller has in hand. The actor
    may see it, so one who is not a host is in its team."""
    host = policy.can_manage(actor, challenge)
    scores, shown_columns = submission.scores, None
    columns = columns or _board_columns(challenge)
    if columns is not None:
        scores, shown_columns = _columns_out(submission.scores, columns, host=host)
    detailed = (f"/api/v1/submissions/{submission.id}/detailed-results"
                if submission.detailed_results_sha256 else None)
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
        queue_position=estimate.position if estimate else None,
        estimate=estimate,
        host_error=submission.host_error if host else None,
        error_kind=(job.error_kind or None) if host and job is not None else None,
        log=submission.log,
        host_log=submission.host_log if host else None,
        scores=scores,
        columns=shown_columns,
        detailed_results_url=detailed,
        can_cancel=submission_policy.can_cancel(
            actor, challenge, in_team=not submission.is_baseline,
            status=Status(submission.status),
        ),
    )
