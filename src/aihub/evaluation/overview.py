"""The job queue at a glance, for curators: what waits, what runs where, what failed.

One data function (``job_overview``) serves the curator page and ``GET
/api/v1/jobs/overview``. Workers are known only by the jobs they hold: an idle worker
leaves no row, so the list shows the workers that are running something now.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aihub.accounts.actor import Actor
from aihub.challenges.models import Challenge
from aihub.errors import Forbidden
from aihub.evaluation import policy
from aihub.evaluation.models import Job
from aihub.evaluation.status import Status
from aihub.submissions.models import Submission

RECENT = timedelta(hours=24)
FAILURES_SHOWN = 20




class QueueCount(BaseModel):
    queue: str
    waiting: int
    running: int


class WorkerOut(BaseModel):
    name: str
    running: int
    last_heartbeat: datetime | None
    # The soonest lease of this worker to run out: past it, the reaper takes the job back.
    lease_expires_at: datetime | None


class FailureOut(BaseModel):
    job_id: int
    kind: str
    queue: str
    attempts: int
    finished_at: datetime | None
    error: str
    submission_id: int | None
    challenge: str | None
    # What the participant was told; ``error`` and ``host_error`` are for hosts and staff.
    participant_error: str | None
    host_error: str | None


class JobOverview(BaseModel):
    at: datetime
    waiting: int
    running: int
    failed_recent: int
    finished_recent: int
    recent_hours: int
    oldest_waiting_at: datetime | None
    oldest_waiting_seconds: float | None
    queues: list[QueueCount]
    workers: list[WorkerOut]
    failures: list[FailureOut]


def _count(session: Session, *where: object) -> int:
    return session.scalar(select(func.count(Job.id)).where(*where)) or 0  # type: ignore[arg-type]


def _queues(session: Session) -> list[QueueCount]:
    counts: dict[str, dict[str, int]] = {}
    for queue, status, count in session.execute(
        select(Job.queue, Job.status, func.count(Job.id))
        .where(Job.status.in_((Status.QUEUED.value, Status.RUNNING.value)))
        .group_by(Job.queue, Job.status)
    ):
        counts.setdefault(queue, {})[status] = count
    return [
        QueueCount(
            queue=name, waiting=values.get(Status.QUEUED.value, 0),
            running=values.get(Status.RUNNING.value, 0),
        )
        for name, values in sorted(counts.items())
    ]


def _workers(session: Session) -> list[WorkerOut]:
    rows = session.execute(
        select(
            Job.lease_owner, func.count(Job.id), func.max(Job.heartbeat_at),
            func.min(Job.lease_expires_at),
        )
        .where(Job.status == Status.RUNNING.value, Job.lease_owner.is_not(None))
        .group_by(Job.lease_owner)
        .order_by(Job.lease_owner)
    )
    return [
        WorkerOut(name=name, running=count, last_heartbeat=beat, lease_expires_at=expires)
        for name, count, beat, expires in rows
    ]


def _failures(session: Session, since: datetime) -> list[FailureOut]:
    rows = session.execute(
        select(Job, Submission.error, Submission.host_error, Challenge.slug)
        .outerjoin(Submission, Submission.id == Job.submission_id)
        .outerjoin(Challenge, Challenge.id == Submission.challenge_id)
        .where(Job.status == Status.FAILED.value, Job.finished_at >= since)
        .order_by(Job.finished_at.desc(), Job.id.desc())
        .limit(FAILURES_SHOWN)
    )
    return [
        FailureOut(
            job_id=job.id, kind=job.kind, queue=job.queue, attempts=job.attempts,
            finished_at=job.finished_at, error=job.error, submission_id=job.submission_id,
            challenge=slug, participant_error=error, host_error=host_error,
        )
        for job, error, host_error, slug in rows
    ]


def job_overview(session: Session, actor: Actor, now: datetime) -> JobOverview:
    actor.require_user()
    if not policy.can_see_queue(actor):
        raise Forbidden("Only curators see the job queue.")
    since = now - RECENT
    oldest = session.scalar(
        select(func.min(Job.created_at)).where(Job.status == Status.QUEUED.value)
    )
    return JobOverview(
        at=now,
        waiting=_count(session, Job.status == Status.QUEUED.value),
        running=_count(session, Job.status == Status.RUNNING.value),
        failed_recent=_count(
            session, Job.status == Status.FAILED.value, Job.finished_at >= since
        ),
        finished_recent=_count(
            session, Job.status == Status.FINISHED.value, Job.finished_at >= since
        ),
        recent_hours=int(RECENT.total_seconds() // 3600),
        oldest_waiting_at=oldest,
        oldest_waiting_seconds=(now - oldest).total_seconds() if oldest else None,
        queues=_queues(session),
        workers=_workers(session),
        failures=_failures(session, since),
    )
