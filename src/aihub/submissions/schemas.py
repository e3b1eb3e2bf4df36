"""API shapes of submissions, and the data function that decides what each viewer sees."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from aihub.accounts.actor import Actor
from aihub.challenges import policy
from aihub.challenges.models import Challenge, Phase
from aihub.evaluation import queue
from aihub.evaluation.models import Job
from aihub.evaluation.plans import BoardColumns
from aihub.evaluation.status import Status
from aihub.leaderboards.columns import board_columns, shown_values, visible_columns
from aihub.schemas import Text
from aihub.submissions import policy as submission_policy
from aihub.submissions.limits import Usage
from aihub.submissions.lists import queue_places, team_names
from aihub.submissions.models import Submission
from aihub.submissions.services import Visible, latest_job


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


class SubmissionRowOut(BaseModel):
    """A submission as lists give it: all but what its programs printed (megabytes a row,
    in ``SubmissionOut``, the answer about one submission)."""

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
    # Program scoring: every leaderboard column's value (hidden columns: hosts only), and
    # the same with the columns' titles, in the leaderboard's order.
    scores: dict[str, float] | None = None
    columns: list[ColumnOut] | None = None
    # The scoring program's detailed_results.html, when it wrote one and the viewer may
    # read it (the hosts; the team where the challenge enables them).
    detailed_results_url: str | None = None
    # Whether the viewer may cancel it now (POST /submissions/{id}/cancel).
    can_cancel: bool = False


class SubmissionOut(SubmissionRowOut):
    """One submission, with what its programs printed."""

    # Code runs: what the program wrote (capped; empty when the hosts hide it).
    log: str = ""
    # Hosts only: everything the programs wrote, the scoring program's too.
    host_log: str | None = None


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
    session: Session, visible: Visible, actor: Actor, now: datetime
) -> SubmissionOut:
    """What ``actor``, who may see the submission (``services.get_visible_submission_with``,
    with its logs), sees of it: with the full estimate while it waits."""
    submission, challenge = visible.submission, visible.challenge
    job: Job | None = None
    if _unfinished(submission) or policy.can_manage(actor, challenge):
        job = latest_job(session, submission.id)
    estimate = None
    if job is not None and _unfinished(submission):
        estimate = _estimate(job, queue.queue_estimate(session, job, now=now), now)
    return build_submission_out(
        submission, challenge, visible.phase, visible.team.name if visible.team else None,
        actor, now, job=job, estimate=estimate,
    )


def _estimate(job: Job, estimate: queue.Estimate, now: datetime) -> EstimateOut:
    if job.status == Status.RUNNING.value:
        return EstimateOut(started_at=job.started_at, attempt=job.attempts)
    eta = estimate.eta_seconds
    return EstimateOut(
        position=estimate.position, eta_seconds=eta,
        starts_at=now + timedelta(seconds=eta) if eta is not None else None,
    )


def _latest_jobs(session: Session, rows: list[Submission]) -> dict[int, Job]:
    """Each row's newest job (a rescore adds one), by submission id, in one statement."""
    jobs: dict[int, Job] = {}
    if rows:
        for found in session.scalars(
            select(Job).where(Job.submission_id.in_([row.id for row in rows])).order_by(Job.id)
        ):
            if found.submission_id is not None:
                jobs[found.submission_id] = found  # the newest wins
    return jobs


def submissions_out(
    session: Session, rows: list[Submission], challenge: Challenge, actor: Actor, now: datetime
) -> list[SubmissionRowOut]:
    """What ``actor`` sees of many rows of one challenge (phases loaded with it), without
    their programs' output. Teams, jobs and places in the queue are read in one statement
    each, however many rows. Queued rows carry their place in the queue without the
    expected start, which would read the queue's history again for every row."""
    phases = {phase.id: phase for phase in challenge.phases}
    names = team_names(session, (row.team_id for row in rows))
    jobs = _latest_jobs(session, rows)
    places = queue_places(session, jobs.values())
    columns = board_columns(challenge)
    shown = []
    for row in rows:
        job = jobs.get(row.id)
        estimate = None
        if job is not None and _unfinished(row):
            estimate = _estimate(job, queue.Estimate(places.get(job.id), None), now)
        team = names.get(row.team_id) if row.team_id is not None else None
        shown.append(SubmissionRowOut(**_row_fields(
            row, challenge, phases[row.phase_id], team, actor, now,
            job=job, estimate=estimate, columns=columns,
        )))
    return shown


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
) -> SubmissionOut:
    """What ``actor`` may see of a submission whose rows the caller has in hand, its
    programs' output included. The actor may see it, so one who is not a host is in its
    team."""
    fields = _row_fields(submission, challenge, phase, team, actor, now, job=job,
                         estimate=estimate, columns=board_columns(challenge))
    host = policy.can_manage(actor, challenge)
    return SubmissionOut(**fields, log=submission.log,
                         host_log=submission.host_log if host else None)


def _row_fields(
    submission: Submission, challenge: Challenge, phase: Phase, team: str | None,
    actor: Actor, now: datetime, *, job: Job | None, estimate: EstimateOut | None,
    columns: BoardColumns | None,
) -> dict[str, Any]:
    """``SubmissionRowOut``'s fields as ``actor`` may read them."""
    host = policy.can_manage(actor, challenge)
    scores, shown_columns = _scores_out(submission.scores, columns, host=host)
    return {
        "id": submission.id, "challenge": challenge.slug, "phase": phase.name, "team": team,
        "status": submission.status, "public_score": submission.public_score,
        "private_score": submission.private_score
        if policy.can_see_private(actor, challenge, phase, now) else None,
        "error": submission.error, "filename": submission.filename, "size": submission.size,
        "sha256": submission.sha256, "message": submission.message,
        "selected": submission.selected, "is_baseline": submission.is_baseline,
        "baseline": Text(ko=submission.baseline_name_ko, en=submission.baseline_name_en)
        if submission.is_baseline else None,
        "created_at": submission.created_at, "scored_at": submission.scored_at,
        "queue_position": estimate.position if estimate else None, "estimate": estimate,
        "host_error": submission.host_error if host else None,
        "error_kind": (job.error_kind or None) if host and job is not None else None,
        "scores": scores, "columns": shown_columns,
        "detailed_results_url": _detailed_results_url(submission, challenge, phase, actor),
        "can_cancel": _can_cancel(submission, challenge, actor, job),
    }


def _scores_out(
    scores: dict[str, Any] | None, columns: BoardColumns | None, *, host: bool
) -> tuple[dict[str, Any] | None, list[ColumnOut] | None]:
    """A program-scored submission's values in the columns the viewer may see
    (``leaderboards.columns.visible_columns``: hidden ones are the hosts'), with the
    columns' titles; other submissions' scores as they are."""
    if columns is None:
        return scores, None
    shown = visible_columns(columns, host=host)
    kept = shown_values(shown, scores or {})
    out = [
        ColumnOut(key=column.key, title=column.title, value=kept.get(column.key),
                  precision=column.precision, primary=column.key == columns.primary,
                  hidden=column.hidden)
        for column in shown
    ]
    return (kept if scores is not None else None), out


def _detailed_results_url(
    submission: Submission, challenge: Challenge, phase: Phase, actor: Actor
) -> str | None:
    readable = submission_policy.can_read_detailed_results(
        actor, challenge, phase, in_team=not submission.is_baseline
    )
    if not submission.detailed_results_sha256 or not readable:
        return None
    return f"/api/v1/submissions/{submission.id}/detailed-results"


def _can_cancel(
    submission: Submission, challenge: Challenge, actor: Actor, job: Job | None
) -> bool:
    # Without its job (a submission scored while its sender waited) nothing says that it
    # never started: the team may not, as the service would refuse it.
    started = job is None or job.attempts > 0
    return submission_policy.can_cancel(
        actor, challenge, in_team=not submission.is_baseline,
        status=Status(submission.status), started=started,
    )
