"""The job table as a queue: enqueue, claim with a lease, heartbeat, finish, reap.

Every executor goes through these functions, so the rules (who holds a job, when it goes
back to the queue, when it is given up) are the same on one machine and on many. A job is
claimed by a conditional UPDATE, so two workers can never both hold it; each write of a
result checks that the writer still holds the lease (a fencing check), so a worker that lost
its lease cannot write over the work of the one that took over.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import Select, bindparam, func, select, update
from sqlalchemy.orm import Session

from aihub.challenges.models import Challenge
from aihub.db import insert_row, utcnow
from aihub.evaluation.jobs import JobPayload, dump_payload
from aihub.evaluation.models import Job
from aihub.evaluation.plans import ErrorKind
from aihub.evaluation.status import Status, check_transition
from aihub.submissions.models import Submission

# The job's reason when the reaper gives up (hosts and curators read it; the participant
# reads runner.INTERNAL_FAILURE, which says it does not count against their limits).
GAVE_UP = (
    "gave up after {tries} tries: the worker running it stopped (killed, out of memory, or "
    "lost) each time"
)


def enqueue(
    session: Session,
    payload: JobPayload,
    *,
    queue: str = "default",
    max_attempts: int = 3,
    submission_id: int | None = None,
) -> Job:
    return insert_row(
        session,
        Job,
        {
            "kind": payload.kind,
            "queue": queue,
            "payload": dump_payload(payload),
            "status": Status.QUEUED.value,
            "submission_id": submission_id,
            "attempts": 0,
            "max_attempts": max_attempts,
            "lease_owner": None,
            "lease_expires_at": None,
            "heartbeat_at": None,
            "created_at": utcnow(),
            "started_at": None,
            "finished_at": None,
            "error": "",
            "error_kind": "",
        },
    )


@dataclass(frozen=True)
class Lease:
    job_id: int
    owner: str
    attempt: int
    submission_id: int | None = None


# The statements of the submit path are built once: building one costs more than running
# it. They run on the session's connection, skipping the ORM's bookkeeping of objects
# (callers hold no Job objects they read back in the same session).
_CLAIM = (
    update(Job)
    .where(
        Job.id == bindparam("job_id"), Job.status == Status.QUEUED.value,
        # A job is only ever taken from the claimer's queues, even when named by id: a
        # hub's own workers must not take a job meant for an organizer's machines.
        Job.queue.in_(bindparam("queues", expanding=True)),
    )
    .values(
        status=Status.RUNNING.value,
        lease_owner=bindparam("owner"),
        lease_expires_at=bindparam("expires"),
        heartbeat_at=bindparam("now"),
        started_at=bindparam("now"),
        attempts=Job.attempts + 1,
    )
    .returning(Job.attempts, Job.submission_id)
)
# The fencing check: the job is still running under this owner and attempt. Every write of
# a held job's outcome has it in its WHERE clause, so a runner that lost its lease writes
# nothing.
_FENCE = (
    Job.id == bindparam("job_id"),
    Job.status == Status.RUNNING.value,
    Job.lease_owner == bindparam("owner"),
    Job.attempts == bindparam("attempt"),
)
_FINISH_HELD = (
    update(Job)
    .where(*_FENCE)
    .values(
        status=bindparam("new_status"),
        finished_at=bindparam("now"),
        lease_owner=None,
        lease_expires_at=None,
        error=bindparam("reason"),
        error_kind=bindparam("error_kind"),
    )
)


def claim(
    session: Session,
    *,
    owner: str,
    lease_seconds: float,
    job_id: int | None = None,
    queues: tuple[str, ...] = ("default",),
    now: datetime | None = None,
    min_age: float = 0.0,
    organization_id: int | None = None,
) -> Lease | None:
    """Take a queued job of the given queues: the one named, or the oldest that has waited
    at least ``min_age`` seconds (and, with ``organization_id``, belongs to a challenge of
    that organization: an organizer's runner never takes another's job, even if a queue
    name were shared)."""
    now = now or utcnow()
    if job_id is None:
        query = (
            select(Job.id)
            .where(Job.status == Status.QUEUED.value, Job.queue.in_(queues))
            .order_by(Job.id)
            .limit(1)
        )
        if min_age > 0:
            query = query.where(Job.created_at <= now - timedelta(seconds=min_age))
        if organization_id is not None:
            query = query.where(Job.submission_id.in_(_submissions_of(organization_id)))
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        job_id = session.scalar(query)
        if job_id is None:
            return None
    row = session.connection().execute(
        _CLAIM,
        {
            "job_id": job_id, "owner": owner, "now": now, "queues": list(queues),
            "expires": now + timedelta(seconds=lease_seconds),
        },
    ).first()
    if row is None:
        return None
    return Lease(job_id=job_id, owner=owner, attempt=row[0], submission_id=row[1])


def _submissions_of(organization_id: int) -> Select[int]:
    return (
        select(Submission.id)
        .join(Challenge, Challenge.id == Submission.challenge_id)
        .where(Challenge.organization_id == organization_id)
    )


def holds(session: Session, lease: Lease, *, lock: bool = True) -> Job | None:
    """The job if this lease still holds it, locked for the rest of the transaction (unless
    ``lock`` is False: a check before work that a fenced write guards anyway)."""
    query = select(Job).where(
        Job.id == lease.job_id,
        Job.status == Status.RUNNING.value,
        Job.lease_owner == lease.owner,
        Job.attempts == lease.attempt,
    )
    if lock and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return session.scalar(query)


def heartbeat(session: Session, lease: Lease, *, lease_seconds: float) -> bool:
    now = utcnow()
    result = session.execute(
        update(Job)
        .where(
            Job.id == lease.job_id,
            Job.status == Status.RUNNING.value,
            Job.lease_owner == lease.owner,
            Job.attempts == lease.attempt,
        )
        .values(heartbeat_at=now, lease_expires_at=now + timedelta(seconds=lease_seconds))
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def finish_held(
    session: Session, lease: Lease, status: Status, *, error: str = "", error_kind: str = ""
) -> bool:
    """End the leased job in one fenced UPDATE; False (nothing written) if the lease is lost.

    The WHERE clause is the fencing check of ``holds``: the row changes only while it is
    still ``running`` under this owner and attempt, so the transition checked here is the
    one the row really makes. On PostgreSQL the UPDATE locks the row as ``holds`` would.
    """
    check_transition(Status.RUNNING, status)
    result = session.connection().execute(
        _FINISH_HELD,
        {
            "job_id": lease.job_id, "owner": lease.owner, "attempt": lease.attempt,
            "new_status": status.value, "now": utcnow(), "reason": error,
            "error_kind": error_kind,
        },
    )
    return bool(result.rowcount)


_RETRY_HELD = (
    update(Job)
    .where(*_FENCE, Job.attempts < Job.max_attempts)
    .values(
        status=Status.QUEUED.value,
        lease_owner=None,
        lease_expires_at=None,
        finished_at=None,
        error=bindparam("reason"),
        error_kind=bindparam("error_kind"),
    )
)


def retry_held(session: Session, lease: Lease, *, error: str, error_kind: str) -> bool:
    """Put the leased job back in the queue if it has tries left, in one fenced UPDATE;
    False (nothing written) if the lease is lost or every try is used.

    The reason stays on the job (hosts and curators see why it is waiting again) until the
    next try writes its own. The attempt count is not touched: each claim raises it, so a
    job that fails on our side every time ends after ``max_attempts`` claims.
    """
    check_transition(Status.RUNNING, Status.QUEUED)
    result = session.connection().execute(
        _RETRY_HELD,
        {
            "job_id": lease.job_id, "owner": lease.owner, "attempt": lease.attempt,
            "reason": error, "error_kind": error_kind,
        },
    )
    return bool(result.rowcount)


def finish(job: Job, status: Status, *, error: str = "", error_kind: str = "") -> None:
    check_transition(Status(job.status), status)
    job.status = status.value
    job.finished_at = utcnow()
    job.lease_owner = None
    job.lease_expires_at = None
    job.error = error
    job.error_kind = error_kind


def requeue(job: Job) -> None:
    """Put a job back in the queue: a rescore, or the reaper after a worker died."""
    check_transition(Status(job.status), Status.QUEUED)
    job.status = Status.QUEUED.value
    job.lease_owner = None
    job.lease_expires_at = None
    job.finished_at = None


@dataclass(frozen=True)
class Reaped:
    requeued: list[Job]
    given_up: list[Job]


def reap(session: Session, *, now: datetime | None = None) -> Reaped:
    """Hand back the jobs whose lease ran out; give up those that used all their tries."""
    now = now or utcnow()
    query = select(Job).where(Job.status == Status.RUNNING.value, Job.lease_expires_at < now)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    requeued: list[Job] = []
    given_up: list[Job] = []
    for job in session.scalars(query):
        if job.attempts >= job.max_attempts:
            finish(
                job, Status.FAILED, error=GAVE_UP.format(tries=job.attempts),
                error_kind=ErrorKind.INFRASTRUCTURE.value,
            )
            given_up.append(job)
        else:
            requeue(job)
            requeued.append(job)
    return Reaped(requeued=requeued, given_up=given_up)


def position_in_queue(session: Session, job: Job) -> int | None:
    """How many queued jobs of the same queue are ahead of this one (0 = next)."""
    if job.status != Status.QUEUED.value:
        return None
    ahead = session.scalar(
        select(func.count(Job.id)).where(
            Job.status == Status.QUEUED.value, Job.queue == job.queue, Job.id < job.id
        )
    )
    return int(ahead or 0)


CANCELLED = "Cancelled by the challenge's hosts; it does not count against your limits."


def cancel(session: Session, job: Job, *, reason: str = CANCELLED) -> bool:
    """Move a queued or running job, and its submission, to ``cancelled``; False if the job
    had already ended.

    A worker running it is not told directly: its next heartbeat (every third of the lease)
    finds no row it holds, sets the run's ``stop`` event, which kills the sandbox, and its
    fenced write finds nothing to write to. Cancelled submissions never count against limits.
    Callers check who may cancel (``submissions.policy.can_cancel``) and own the
    transaction.
    """
    if Status(job.status) not in (Status.QUEUED, Status.RUNNING):
        return False
    finish(job, Status.CANCELLED, error=reason)
    if job.submission_id is not None:
        session.execute(
            update(Submission)
            .where(Submission.id == job.submission_id)
            .values(status=Status.CANCELLED.value, error=reason, scored_at=job.finished_at)
        )
    return True


class Estimate(NamedTuple):
    # Queued jobs of the same queue ahead of this one (0 = next); None once it has started.
    position: int | None
    # Seconds until it should start, from the queue's recent history; None when there is
    # none to go by (a new queue) or the job is no longer waiting.
    eta_seconds: float | None


# How far back a queue's finished jobs count towards its typical duration.
_HISTORY = 50


def _typical_seconds(session: Session, queue_name: str) -> float | None:
    rows = session.execute(
        select(Job.started_at, Job.finished_at)
        .where(
            Job.queue == queue_name, Job.status == Status.FINISHED.value,
            Job.started_at.is_not(None), Job.finished_at.is_not(None),
        )
        .order_by(Job.finished_at.desc())
        .limit(_HISTORY)
    ).all()
    durations = [(end - start).total_seconds() for start, end in rows if start and end]
    return statistics.median(durations) if durations else None


def _busy_workers(session: Session, queue_name: str, now: datetime) -> int:
    """Workers running a job of this queue that heartbeated within a lease period (an idle
    worker leaves no trace in the table, so this undercounts, and estimates err long)."""
    count = session.scalar(
        select(func.count(func.distinct(Job.lease_owner))).where(
            Job.queue == queue_name, Job.status == Status.RUNNING.value,
            Job.lease_expires_at >= now,
        )
    )
    return int(count or 0)


def queue_estimate(session: Session, job: Job, *, now: datetime | None = None) -> Estimate:
    """Where a job stands in its queue and roughly when it will start.

    The estimate is the queue's median run time (its last finished jobs) times the jobs
    ahead, shared among the workers seen running this queue's jobs, plus half a run when
    every one of them is busy. It is a guide for people waiting, not a promise.
    """
    position = position_in_queue(session, job)
    if position is None:
        return Estimate(None, None)
    typical = _typical_seconds(session, job.queue)
    if typical is None:
        return Estimate(position, None)
    busy = _busy_workers(session, job.queue, now or utcnow())
    workers = max(busy, 1)
    eta = typical * position / workers + (typical / 2 if busy else 0.0)
    return Estimate(position, round(eta, 1))
