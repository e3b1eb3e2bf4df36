"""Submission API: submit a prediction file, follow its score, list, select finals."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated

import anyio
from fastapi import APIRouter, Form, Query, UploadFile, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile as Upload

from aihub.accounts.actor import Actor
from aihub.accounts.models import Team
from aihub.challenges.models import Challenge
from aihub.challenges.services import get_challenge_to_submit, get_visible_challenge, scoring_spec
from aihub.db import utcnow
from aihub.deps import ActorDep, BearerDep, HubDep, ReadSession, RowId, authenticate
from aihub.errors import InvalidInput, NotFound, PayloadTooLarge, Unavailable
from aihub.evaluation.code import check_code_upload
from aihub.evaluation.plans import CodeSpec, TaskKind
from aihub.evaluation.scoring import (
    Aligned,
    ScoringSpec,
    SubmissionError,
    Truth,
    check_submission,
)
from aihub.evaluation.status import Status
from aihub.evaluation.tasks import task_kind
from aihub.hub import Hub
from aihub.storage import Blob, TooLargeError
from aihub.submissions import services
from aihub.submissions.schemas import (
    SubmissionOut,
    SubmissionRowOut,
    UsageOut,
    build_submission_out,
    submission_out,
    submissions_out,
    usage_out,
)

router = APIRouter(prefix="/api/v1", tags=["submissions"])

WaitSeconds = Annotated[
    float, Query(ge=0, le=120, description="Wait up to this many seconds for the score.")
]
# Waiters re-read the database this often, for workers in other processes that cannot
# notify this one.
_RECHECK_SECONDS = 0.25
# Larger uploads are re-read by the worker rather than kept in memory between the two.
_PREPARED_MAX_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class _Checked:
    """An upload stored and checked against the challenge's solution."""

    blob: Blob
    filename: str
    spec: ScoringSpec
    truth: Truth
    aligned: Aligned


def _store(hub: Hub, upload: Upload, default_name: str) -> tuple[Blob, str]:
    filename = Path(upload.filename or default_name).name
    try:
        blob = hub.storage.put_file(upload.file, max_bytes=hub.settings.max_upload_bytes)
    except TooLargeError as exc:
        raise PayloadTooLarge(f"The file is {exc}; submit a smaller or compressed file.") from exc
    return blob, filename


def _refuse(
    hub: Hub, challenge: Challenge, actor: Actor, blob: Blob, filename: str, message: str,
    now: datetime, exc: SubmissionError,
) -> InvalidInput:
    with hub.db.transaction() as session:
        rejected = services.record_rejected(
            session, challenge, actor, blob,
            filename=filename, message=message, error=str(exc), now=now,
        )
    return InvalidInput(
        f"{exc} (submission {rejected.id} was recorded as failed and does not count "
        "against your limits)"
    )


def _store_and_check(
    hub: Hub, challenge: Challenge, actor: Actor, upload: Upload, message: str,
    now: datetime,
) -> _Checked:
    blob, filename = _store(hub, upload, "submission.csv")
    spec = scoring_spec(challenge)
    try:
        truth = hub.truths.get(
            hub.storage.path(challenge.solution_sha256), challenge.solution_sha256, spec
        )
        aligned = check_submission(
            hub.storage.path(blob.sha256), truth, spec,
            original_name=filename, max_bytes=hub.settings.max_upload_bytes,
        )
    except SubmissionError as exc:
        raise _refuse(hub, challenge, actor, blob, filename, message, now, exc) from exc
    return _Checked(blob, filename, spec, truth, aligned)


def _store_and_check_code(
    hub: Hub, challenge: Challenge, actor: Actor, upload: Upload, message: str,
    now: datetime,
) -> tuple[Blob, str]:
    """A zip of code (or a Codabench results zip): checked as a zip at once, run later."""
    blob, filename = _store(hub, upload, "submission.zip")
    code = CodeSpec.model_validate(challenge.code_spec) if challenge.code_spec else None
    try:
        check_code_upload(hub.storage.path(blob.sha256), code)
    except SubmissionError as exc:
        raise _refuse(hub, challenge, actor, blob, filename, message, now, exc) from exc
    return blob, filename


def _accept_code(
    hub: Hub, challenge: Challenge, actor: Actor, upload: Upload, message: str, now: datetime
) -> int:
    try:  # asked before storing anything: the job could not run here
        hub.check_can_run_code(reduced_allowed=challenge.sandbox_fallback_allowed)
    except InvalidInput as exc:
        raise Unavailable(f"This challenge cannot take code on this hub now; nothing was "
                          f"stored. Tell its host. ({exc.detail})") from exc
    blob, filename = _store_and_check_code(hub, challenge, actor, upload, message, now)
    with hub.db.transaction() as session:
        submission, job = services.submit_prediction(
            session, challenge, actor, blob,
            filename=filename, message=message, now=now, zone=hub.settings.zone,
            max_attempts=hub.settings.job_max_attempts,
        )
    # Code runs for minutes: never inline, always a worker (after the commit).
    hub.executor.dispatch([job.id])
    return submission.id


def accept_upload(
    hub: Hub, slug: str, identify: Callable[[Session], Actor], upload: Upload, message: str,
    *, inline: bool,
) -> tuple[int, Actor, SubmissionOut | None]:
    """Identify the sender (``identify``: by API token here, by session cookie on the web
    pages), store the upload, check it at once, write the submission and its job,
    and run the job here (``inline``, when the caller waits for the score) or hand it to the
    workers. Returns the submission's id, who sent it and, when it was scored here, what
    they see of it."""
    now = utcnow()
    # The API's token is looked up here rather than by a dependency, in the same read
    # transaction as the challenge and in the same worker thread as the rest.
    with hub.db.reading() as session:
        actor = identify(session)
        challenge, team = services.challenge_to_submit(session, slug, actor, now)
    if task_kind(challenge) is not TaskKind.PREDICTIONS:
        return _accept_code(hub, challenge, actor, upload, message, now), actor, None
    checked = _store_and_check(hub, challenge, actor, upload, message, now)
    with hub.db.transaction() as session:
        submission, job = services.submit_prediction(
            session, challenge, actor, checked.blob,
            filename=checked.filename, message=message, now=now, zone=hub.settings.zone,
            max_attempts=hub.settings.job_max_attempts,
        )
        if team is None or team.id != submission.team_id:  # a team made just now
            team = session.get(Team, submission.team_id)
        lease = hub.executor.claim_inline(session, job.id) if inline else None
    # After the commit: a worker must find the rows it is told about.
    if lease is None:
        if hub.executor.runs_here and checked.blob.size <= _PREPARED_MAX_BYTES:
            hub.evaluator.prepared.put(
                (checked.blob.sha256, challenge.solution_sha256, checked.spec.fingerprint()),
                checked.aligned,
            )
        hub.executor.dispatch([job.id])
        return submission.id, actor, None
    outcome = hub.evaluator.run_checked(
        lease, submission.id, checked.truth, checked.aligned, checked.spec
    )
    if outcome is None:  # the lease was lost: whoever has the job now writes its outcome
        return submission.id, actor, None
    # The request wrote the outcome itself, so it answers without reading it back.
    submission.status = outcome.status.value
    submission.public_score, submission.private_score = outcome.public, outcome.private
    submission.error, submission.host_error = outcome.error, outcome.host_error
    submission.scored_at = outcome.scored_at
    phase = next(p for p in challenge.phases if p.id == submission.phase_id)
    view = build_submission_out(
        submission, challenge, phase, team.name if team else None, actor, utcnow()
    )
    return submission.id, actor, view


# Uploads accepted at once per process; the others wait on the event loop. Accepting is
# mostly Python holding the GIL: with the 40 threads of the default pool, threads preempt
# one another (and the holder of the SQLite write lock) for nothing. A few in flight keep
# the core busy while one waits for disk or the write lock. Measured (bench_throughput, 2
# processes): 40 threads 144/s, p99 1.2 s; 3 threads 157/s, p99 0.5 s.
_ACCEPTING = 3
_LIMITER: list[anyio.CapacityLimiter] = []


def accepting() -> anyio.CapacityLimiter:
    # Made on first use, inside the server's event loop.
    if not _LIMITER:
        _LIMITER.append(anyio.CapacityLimiter(_ACCEPTING))
    return _LIMITER[0]


def view_submission(hub: Hub, submission_id: int, actor: Actor) -> SubmissionOut:
    with hub.db.reading() as session:
        visible = services.get_visible_submission_with(session, submission_id, actor, logs=True)
        return submission_out(session, visible, actor, utcnow())


async def _wait_for_score(hub: Hub, submission_id: int, actor: Actor, wait: float) -> SubmissionOut:
    deadline = time.monotonic() + wait
    event = hub.completions.register(submission_id)
    try:
        while True:
            view = await run_in_threadpool(view_submission, hub, submission_id, actor)
            remaining = deadline - time.monotonic()
            if Status(view.status).is_final or remaining <= 0:
                return view
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), timeout=min(remaining, _RECHECK_SECONDS))
    finally:
        hub.completions.unregister(submission_id, event)


@router.post(
    "/challenges/{slug}/submissions",
    response_model=SubmissionOut,
    status_code=status.HTTP_201_CREATED,
)
async def submit_route(
    slug: str,
    file: UploadFile,
    token: BearerDep,
    hub: HubDep,
    message: Annotated[str, Form(max_length=500)] = "",
    wait: WaitSeconds = 0,
) -> SubmissionOut:
    """Submit a prediction file (CSV, CSV.gz, single-file zip or Parquet).

    A malformed file is answered at once with 422 and a message saying what to fix. With
    ``wait``, the answer comes when the score is known (or the wait runs out).
    """
    submission_id, actor, view = await anyio.to_thread.run_sync(
        functools.partial(
            accept_upload, hub, slug, functools.partial(authenticate, token=token), file,
            message, inline=wait > 0,
        ),
        limiter=accepting(),
    )
    if view is not None:
        return view
    return await _wait_for_score(hub, submission_id, actor, wait)


@router.get("/submissions/{submission_id}", response_model=SubmissionOut)
async def get_route(
    submission_id: RowId, actor: ActorDep, hub: HubDep, wait: WaitSeconds = 0
) -> SubmissionOut:
    return await _wait_for_score(hub, submission_id, actor, wait)


@router.get("/challenges/{slug}/submissions", response_model=list[SubmissionRowOut])
def list_route(
    slug: str, session: ReadSession, actor: ActorDep, everyone: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000, description="at most this many")] = 1000,
    offset: Annotated[int, Query(ge=0, description="skip the newest this many")] = 0,
) -> list[SubmissionRowOut]:
    """Your team's submissions, newest first; hosts may ask for everyone's, a page at a
    time (``limit``, ``offset``). Rows leave out what the programs printed (``log``,
    ``host_log``): ``GET /submissions/{id}`` gives it."""
    challenge, _ = get_challenge_to_submit(session, slug, actor)  # with its phases
    rows = services.list_team_submissions(session, challenge, actor, everyone=everyone,
                                          limit=limit, offset=offset)
    return submissions_out(session, rows, challenge, actor, utcnow())


@router.get("/challenges/{slug}/limits", response_model=UsageOut)
def limits_route(slug: str, session: ReadSession, actor: ActorDep, hub: HubDep) -> UsageOut:
    challenge = get_visible_challenge(session, slug, actor)
    usage = services.team_usage(session, challenge, actor, utcnow(), hub.settings.zone)
    assert usage is not None
    return usage_out(usage)


class SelectIn(BaseModel):
    selected: bool = True


@router.post("/submissions/{submission_id}/select", response_model=SubmissionOut)
def select_route(
    submission_id: RowId, body: SelectIn, actor: ActorDep, hub: HubDep
) -> SubmissionOut:
    """Pick (or unpick) a submission for the private leaderboard."""
    now = utcnow()
    with hub.db.transaction() as session:
        visible = services.select_final(
            session, submission_id, actor, selected=body.selected, now=now
        )
        return submission_out(session, visible, actor, now)


@router.post("/submissions/{submission_id}/rescore", response_model=SubmissionOut)
def rescore_route(submission_id: RowId, actor: ActorDep, hub: HubDep) -> SubmissionOut:
    """Score a submission again (hosts only), for example after fixing the solution."""
    with hub.db.transaction() as session:
        _, challenge = services.get_visible_submission(session, submission_id, actor)
        job = services.rescore(session, challenge, actor, submission_id)
        job_id = job.id
    hub.executor.dispatch([job_id])
    return view_submission(hub, submission_id, actor)


@router.post("/submissions/{submission_id}/cancel", response_model=SubmissionOut)
def cancel_route(submission_id: RowId, actor: ActorDep, hub: HubDep) -> SubmissionOut:
    """Cancel an evaluation: hosts and curators while it is queued or running, the
    submitting team while it is queued and has never started (a run whose worker died is
    queued again, and only hosts stop it). It never counts against the team's limits."""
    cancel_submission(hub, submission_id, actor)
    return view_submission(hub, submission_id, actor)


def cancel_submission(hub: Hub, submission_id: int, actor: Actor) -> None:
    """The service in its own transaction; a worker running the job stops at its next
    heartbeat (it finds the job no longer held), so nothing is sent to it."""
    with hub.db.transaction() as session:
        services.cancel_submission(session, submission_id, actor)


# An organizer's HTML, served from our origin: the sandbox directive gives it an origin of
# its own and runs no script, so it can neither read the reader's cookies nor call the API
# as them; nothing but inline styles and data: images loads.
DETAILED_RESULTS_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
                               "sandbox",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "private, no-store",
    "Referrer-Policy": "no-referrer",
}


def detailed_results_response(hub: Hub, submission_id: int, actor: Actor) -> FileResponse:
    """The scoring program's detailed_results.html of a submission, to those who may read
    it (the hosts; the team where the challenge enables them), under a strict
    Content-Security-Policy."""
    with hub.db.reading() as session:
        sha256 = services.detailed_results_sha256(session, submission_id, actor)
    # Asked before answering: FileResponse finds a missing file only while it sends, too
    # late for anything but a server error.
    if not hub.storage.exists(sha256):
        raise NotFound(
            f"The detailed results of submission {submission_id} are missing from the hub's "
            "store; ask the challenge's hosts to rescore it."
        )
    return FileResponse(
        hub.storage.path(sha256), media_type="text/html; charset=utf-8",
        headers=DETAILED_RESULTS_HEADERS,
    )


@router.get(
    "/submissions/{submission_id}/detailed-results",
    response_class=HTMLResponse,
    responses={200: {"content": {"text/html": {}}}},
)
def detailed_results_route(submission_id: RowId, actor: ActorDep, hub: HubDep) -> FileResponse:
    """The scoring program's detailed_results.html (Codabench challenges), as text/html
    that may show inline styles and data: images but runs no script: for the hosts, and for
    the team where the challenge's task enables detailed results."""
    return detailed_results_response(hub, submission_id, actor)


@router.post(
    "/challenges/{slug}/baselines",
    response_model=SubmissionOut,
    status_code=status.HTTP_201_CREATED,
)
def baseline_route(
    slug: str,
    file: UploadFile,
    actor: ActorDep,
    hub: HubDep,
    name_ko: Annotated[str, Form(min_length=1, max_length=200)],
    name_en: Annotated[str, Form(max_length=200)] = "",
) -> SubmissionOut:
    """Add a baseline row to the leaderboard (hosts only); it is scored like a submission."""
    now = utcnow()
    # Who may add one is asked before the file is stored: a refusal leaves nothing behind.
    with hub.db.reading() as session:
        services.check_may_add_baseline(get_visible_challenge(session, slug, actor), actor)
    try:
        blob = hub.storage.put_file(file.file, max_bytes=hub.settings.max_upload_bytes)
    except TooLargeError as exc:
        raise PayloadTooLarge(f"The file is {exc}.") from exc
    with hub.db.transaction() as session:
        challenge = get_visible_challenge(session, slug, actor)
        submission, job = services.add_baseline(
            session, challenge, actor, blob, name_ko=name_ko, name_en=name_en,
            filename=Path(file.filename or "baseline.csv").name, now=now,
        )
        job_id, submission_id = job.id, submission.id
    hub.executor.dispatch([job_id])
    return view_submission(hub, submission_id, actor)
