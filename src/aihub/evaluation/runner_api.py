"""The HTTP pull API for machines an organizer owns (``aihub worker --remote``).

A runner authenticates with its runner token (``Authorization: Bearer aihub_rn_…``) and
holds no database or broker credentials. It claims a job of its token's queues (a long
poll), downloads exactly the files of that job (``EvaluationTask.blobs``, only while it
holds the job under that attempt), heartbeats, and completes with an ``EvaluationResult``,
written fenced by ``runner.record_result``: a runner whose lease ran out, or whose job was
cancelled, gets 409 and writes nothing. The hub reaps expired leases while runners poll,
so a killed runner's job goes back to the queue even where no other worker runs.

Also here: the routes with which hosts and curators create, list and revoke runner tokens.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timedelta
from typing import Annotated
from weakref import WeakKeyDictionary

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from aihub.accounts import services as accounts
from aihub.db import utcnow
from aihub.deps import ActorDep, BearerDep, HubDep, RowId
from aihub.errors import Conflict, InvalidInput, NotAuthenticated, NotFound, PayloadTooLarge
from aihub.evaluation import queue, runners
from aihub.evaluation.execute import INTERNAL_FAILURE, failed
from aihub.evaluation.models import Runner
from aihub.evaluation.plans import BlobRef, ErrorKind, EvaluationResult, EvaluationTask
from aihub.evaluation.queue import Lease
from aihub.evaluation.runner import record_result
from aihub.evaluation.status import Status
from aihub.evaluation.tasks import blobs_of_job, task_for_job
from aihub.evaluation.worker import Reaper, claim_job
from aihub.hub import Hub
from aihub.storage import TooLargeError

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1", tags=["runners"])

# A claim waits at most this long for a job: under the usual 30 s proxy and NAT timeouts.
MAX_WAIT_SECONDS = 25.0
# A result is sent as a file part (form fields stop at 1 MiB): its logs may reach the
# 10 MiB a host allows (``code.limits.log_kb``), twice (the participant's and the hosts').
MAX_RESULT_BYTES = 64 * 1024 * 1024
_NOT_YOURS = (
    "This job is not held by this runner under that attempt (its lease ran out, it was "
    "cancelled, or it went to another runner): stop it and discard its result."
)


# ---------------------------------------------------------------- authentication


def current_runner(hub: HubDep, token: BearerDep) -> Runner:
    """The runner behind the request; 401 for a missing, unknown or revoked token. Looked
    up on every request, so a revocation counts from the next one."""
    if token is None:
        raise NotAuthenticated(
            "Send 'Authorization: Bearer <runner token>'; a curator or the challenge's host "
            "creates one with 'aihub runners create' or POST /api/v1/runners."
        )
    with hub.db.reading() as session:
        runner = runners.runner_for_token(session, token)
    if runner is None:
        raise NotAuthenticated("This runner token is unknown or revoked; ask for a new one.")
    now = utcnow()
    if runners.needs_seen(runner, now):
        with hub.db.transaction() as session:
            runners.mark_seen(session, runner.id, now)
    return runner


RunnerDep = Annotated[Runner, Depends(current_runner)]


# ---------------------------------------------------------------- claim


class ClaimIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # A subset of the token's queues; empty means all of them.
    queues: list[str] = Field(default_factory=list, max_length=runners.MAX_QUEUES)
    wait_seconds: float = Field(
        MAX_WAIT_SECONDS, ge=0, le=MAX_WAIT_SECONDS,
        description="Wait up to this long for a job before answering 204.",
    )


class BlobLink(BaseModel):
    sha256: str
    size: int
    name: str
    # A path, relative to the hub's address (``/api/v1/runner/jobs/…``).
    url: str


class ClaimOut(BaseModel):
    job_id: int
    attempt: int
    lease_expires_at: datetime
    lease_seconds: float
    # Heartbeat at least this often; a 409 answer means stop and discard.
    heartbeat_seconds: float
    task: EvaluationTask
    blobs: list[BlobLink]


# The reaping done on runners' behalf, per hub (one per process in production).
_reapers: WeakKeyDictionary[Hub, Reaper] = WeakKeyDictionary()


def _reap(hub: Hub) -> None:
    reaper = _reapers.get(hub)
    if reaper is None:
        reaper = _reapers.setdefault(hub, Reaper(hub.db, every=hub.settings.job_lease_seconds / 2))
    # Jobs put back go to the hub's executor too: Celery workers may serve these queues.
    reaper.maybe(hub.executor.dispatch)


class _Unavailable(Exception):  # noqa: N818 - reads as the answer it becomes
    """The hub cannot hand out jobs right now (its store is unreachable): answer 503."""


_UNAVAILABLE = (
    "The hub cannot prepare a job right now (its files are unavailable); the job is back "
    "in the queue. Try again shortly."
)


def _record(hub: Hub, lease: Lease, result: EvaluationResult) -> Status | None:
    """``record_result``, and the executor told of a job put back in the queue."""
    written = record_result(hub.db, lease, lease.submission_id or 0, result)
    if written is Status.QUEUED:
        hub.executor.dispatch([lease.job_id])
    return written


def _try_claim(
    hub: Hub, runner: Runner, queues: tuple[str, ...]
) -> tuple[Lease, EvaluationTask] | None:
    _reap(hub)
    while True:
        lease = claim_job(
            hub.db, owner=runners.lease_owner(runner), queues=queues, job_id=None,
            lease_seconds=hub.settings.job_lease_seconds,
            organization_id=runner.organization_id,
        )
        if lease is None:
            return None
        try:
            with hub.db.reading() as session:
                task = task_for_job(session, hub.storage, lease.job_id, lease.attempt)
        except Exception as exc:
            # A missing file or a broken payload: ours, and perhaps brief (the store is
            # being remounted). The job goes back (or, out of tries, fails with the reason)
            # and the runner is told to wait: claiming the next would fail it the same way.
            log.exception("job %s cannot be turned into a task", lease.job_id)
            _record(hub, lease, failed(INTERNAL_FAILURE, ErrorKind.INFRASTRUCTURE,
                                       f"the job cannot be handed to a runner: {exc!r}"))
            raise _Unavailable(_UNAVAILABLE) from exc
        if task is not None:
            return lease, task
        # Nothing to retry: the job ends here, and the next one is tried.
        _record(hub, lease, EvaluationResult(
            status="failed", error=INTERNAL_FAILURE,
            host_error="the submission or its challenge is gone"))


def _claim_out(request: Request, hub: Hub, lease: Lease, task: EvaluationTask) -> ClaimOut:
    lease_seconds = hub.settings.job_lease_seconds
    # Links are paths under the hub's address, which the runner already has: it sends its
    # token to that address only, whatever a link would name.
    links = [
        BlobLink(
            sha256=ref.sha256, size=ref.size, name=ref.name,
            url=request.app.url_path_for("runner_blob", job_id=lease.job_id, sha256=ref.sha256)
            + f"?attempt={lease.attempt}",
        )
        for ref in task.blobs()
    ]
    return ClaimOut(
        job_id=lease.job_id, attempt=lease.attempt,
        lease_expires_at=utcnow() + timedelta(seconds=lease_seconds),
        lease_seconds=lease_seconds, heartbeat_seconds=lease_seconds / 3,
        task=task, blobs=links,
    )


# No queue can have this name (names start with a letter or digit): a claim on it finds
# nothing, as a runner whose only queue was the reserved intake queue should.
_NO_QUEUE = "-"


def _claim_queues(runner: Runner, asked: list[str]) -> tuple[str, ...]:
    if not asked:
        # Never the intake queue, even for a token made before it was reserved.
        return tuple(q for q in runner.queues if q != runners.INTAKE_QUEUE) or (_NO_QUEUE,)
    outside = sorted(set(asked) - set(runner.queues))
    if outside:
        raise InvalidInput(
            f"This runner's token does not serve the queue(s) {', '.join(outside)}; it "
            f"serves {', '.join(runner.queues)}."
        )
    return tuple(q for q in dict.fromkeys(asked) if q != runners.INTAKE_QUEUE) or (_NO_QUEUE,)


@router.post(
    "/runner/claim",
    response_model=ClaimOut,
    responses={204: {"description": "No job came within wait_seconds."},
               503: {"description": "The hub cannot prepare jobs now: retry later."}},
)
async def claim_route(body: ClaimIn, request: Request, hub: HubDep, runner: RunnerDep) -> Response:
    """Take the oldest queued job of this runner's queues, waiting up to ``wait_seconds``:
    the task, its lease, and a download link (a path on this hub) for each file it needs."""
    queues = _claim_queues(runner, body.queues)
    deadline = time.monotonic() + body.wait_seconds
    while True:
        try:
            claimed = await run_in_threadpool(_try_claim, hub, runner, queues)
        except _Unavailable as exc:
            return _unavailable(str(exc))
        if claimed is not None:
            out = _claim_out(request, hub, *claimed)
            return JSONResponse(out.model_dump(mode="json"))
        left = deadline - time.monotonic()
        if left <= 0 or await request.is_disconnected():
            return Response(status_code=status.HTTP_204_NO_CONTENT)
        await asyncio.sleep(min(left, hub.settings.worker_poll_seconds))


# ---------------------------------------------------------------- the held job


AttemptQuery = Annotated[int, Query(ge=1, le=1000, description="The attempt claimed.")]


def _lease(runner: Runner, job_id: int, attempt: int) -> Lease:
    return Lease(job_id=job_id, owner=runners.lease_owner(runner), attempt=attempt)


def _unavailable(detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
                        headers={"Retry-After": "5"})


@router.get("/runner/jobs/{job_id}/blobs/{sha256}", name="runner_blob",
            response_class=FileResponse,
            responses={503: {"description": "The file is missing from the hub's store."}})
def blob_route(
    job_id: RowId,
    sha256: str,
    attempt: AttemptQuery,
    hub: HubDep,
    runner: RunnerDep,
) -> Response:
    """A file of the job this runner holds under this attempt, streamed. Any other file,
    or a job no longer held, is a 404: a runner cannot fetch blobs by guessing hashes."""
    lease = _lease(runner, job_id, attempt)
    with hub.db.reading() as session:
        # Which files the job names, read without the store: one missing file must not
        # hide the others.
        named = blobs_of_job(session, job_id) if queue.holds(session, lease, lock=False) \
            else frozenset[str]()
    if sha256 not in named:
        raise NotFound(f"Job {job_id} (attempt {attempt}) held by this runner has no file "
                       f"{sha256[:64]}.")
    path = hub.storage.path(sha256)
    if not path.is_file():
        log.error("job %s: blob %s is missing from the store", job_id, sha256)
        return _unavailable(f"The file {sha256} of job {job_id} is missing from the hub's "
                            "store; the hub's operators have been told. Try again later.")
    return FileResponse(path, media_type="application/octet-stream")


class HeartbeatIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    attempt: int = Field(ge=1, le=1000)


class HeartbeatOut(BaseModel):
    lease_expires_at: datetime


@router.post("/runner/jobs/{job_id}/heartbeat", response_model=HeartbeatOut,
             responses={409: {"description": "The lease is lost: stop and discard."}})
def heartbeat_route(job_id: RowId, body: HeartbeatIn, hub: HubDep,
                    runner: RunnerDep) -> HeartbeatOut:
    """Keep the job's lease; 409 when it is lost (reaped, cancelled): stop and discard."""
    seconds = hub.settings.job_lease_seconds
    with hub.db.transaction() as session:
        held = queue.heartbeat(session, _lease(runner, job_id, body.attempt),
                               lease_seconds=seconds)
    if not held:
        raise Conflict(_NOT_YOURS)
    return HeartbeatOut(lease_expires_at=utcnow() + timedelta(seconds=seconds))


class CompleteOut(BaseModel):
    status: Status


def _parse_result(upload: UploadFile) -> EvaluationResult:
    text = upload.file.read(MAX_RESULT_BYTES + 1)
    if len(text) > MAX_RESULT_BYTES:
        raise PayloadTooLarge(f"The result is over {MAX_RESULT_BYTES // 2**20} MiB: shorten "
                              "its logs.")
    try:
        return EvaluationResult.model_validate_json(text)
    except ValidationError as exc:
        raise InvalidInput(f"The result is not an EvaluationResult (version 1): {exc}") from exc


def _store_detailed(hub: Hub, upload: UploadFile, named: BlobRef | None) -> BlobRef:
    try:
        blob = hub.storage.put_file(upload.file, max_bytes=hub.settings.max_upload_bytes)
    except TooLargeError as exc:
        raise PayloadTooLarge(f"The detailed results file is {exc}.") from exc
    name = named.name if named is not None else "detailed_results.html"
    return BlobRef(sha256=blob.sha256, size=blob.size, name=name)


@router.post("/runner/jobs/{job_id}/complete", response_model=CompleteOut,
             responses={409: {"description": "Fenced out: nothing was written."}})
def complete_route(
    job_id: RowId,
    hub: HubDep,
    runner: RunnerDep,
    attempt: Annotated[int, Form(ge=1, le=1000)],
    result: Annotated[UploadFile, File(description="The EvaluationResult, as a JSON file.")],
    detailed_results: Annotated[UploadFile | None, File()] = None,
) -> CompleteOut:
    """Record the job's result (an ``EvaluationResult``, sent as a JSON file part) and,
    optionally, the scoring program's detailed results file; 409, writing nothing, if
    fenced out. A failure on the runner's side (``error_kind`` infrastructure) puts the job
    back in the queue while it has tries left: the answer's status is then ``queued``."""
    parsed = _parse_result(result)
    lease = _lease(runner, job_id, attempt)
    with hub.db.reading() as session:
        job = queue.holds(session, lease, lock=False)
        submission_id = job.submission_id if job is not None else None
    if job is None:
        raise Conflict(_NOT_YOURS)
    # A result may only name a detailed results file uploaded with it: never a blob the
    # hub already has (another challenge's solution, shown to participants).
    detailed = _store_detailed(hub, detailed_results, parsed.detailed_results) \
        if detailed_results is not None else None
    parsed = parsed.model_copy(update={"detailed_results": detailed})
    written = _record(hub, Lease(lease.job_id, lease.owner, attempt, submission_id), parsed)
    if written is None:
        raise Conflict(_NOT_YOURS)
    if submission_id is not None and written.is_final:
        hub.completions.notify(submission_id)
    return CompleteOut(status=written)


# ---------------------------------------------------------------- managing runner tokens


class RunnerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    queues: list[str] = Field(min_length=1, max_length=runners.MAX_QUEUES)
    # Curators only: tie the runner to one organization's jobs (a host's always is). By
    # default a curator's runner belongs to the one organization whose challenges use its
    # queues; queues of none or of several need ``hub_wide`` (it then takes anyone's jobs).
    organization: str | None = None
    hub_wide: bool = False


class RunnerOut(BaseModel):
    id: int
    name: str
    prefix: str
    queues: list[str]
    organization_id: int | None
    created_at: datetime
    last_seen_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, runner: Runner) -> RunnerOut:
        return cls(
            id=runner.id, name=runner.name, prefix=runner.prefix, queues=list(runner.queues),
            organization_id=runner.organization_id, created_at=runner.created_at,
            last_seen_at=runner.last_seen_at, revoked_at=runner.revoked_at,
        )


class RunnerCreatedOut(RunnerOut):
    # Shown this once: the hub keeps only its sha256.
    token: str


@router.post("/runners", response_model=RunnerCreatedOut, status_code=status.HTTP_201_CREATED)
def create_runner_route(body: RunnerIn, hub: HubDep, actor: ActorDep) -> RunnerCreatedOut:
    """Create a runner token for queues (curators: any; hosts: their own challenges').
    It takes the jobs of one organization's challenges only, unless a curator makes it
    hub-wide (``hub_wide``)."""
    with hub.db.transaction() as session:
        organization_id = None
        if body.organization:
            organization_id = accounts.get_organization(session, body.organization).id
        runner, plain = runners.create_runner(
            session, actor, name=body.name, queues=body.queues,
            organization_id=organization_id, hub_wide=body.hub_wide,
        )
        return RunnerCreatedOut(**RunnerOut.of(runner).model_dump(), token=plain)


@router.get("/runners", response_model=list[RunnerOut])
def list_runners_route(hub: HubDep, actor: ActorDep) -> list[RunnerOut]:
    """The runners you manage: all for curators, your organizations' for hosts."""
    actor.require_user()
    with hub.db.reading() as session:
        return [RunnerOut.of(runner) for runner in runners.list_runners(session, actor)]


@router.delete("/runners/{runner_id}", response_model=RunnerOut)
def revoke_runner_route(runner_id: RowId, hub: HubDep, actor: ActorDep) -> RunnerOut:
    """Revoke a runner token: its next request gets 401."""
    actor.require_user()
    with hub.db.transaction() as session:
        return RunnerOut.of(runners.revoke_runner(session, actor, runner_id))
