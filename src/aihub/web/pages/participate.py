"""Taking part: accept the rules, download data, submit, my submissions, final selections.
Teams and invitations are in ``team.py``, included here.

Each page shows what the API answers the same member: ``challenge_detail``, the submission
list route's ``SubmissionOut`` rows, ``usage_out``; the upload goes through the API's own
``accept_upload`` (stored while hashed, checked at once, scored by the same job).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Form
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse
from starlette.datastructures import UploadFile
from starlette.responses import Response

from aihub.challenges import policy
from aihub.challenges.schemas import challenge_detail
from aihub.challenges.services import (
    accept_rules,
    get_file,
    get_visible_challenge,
    has_accepted_rules,
)
from aihub.deps import RowId
from aihub.errors import (
    AihubError,
    Conflict,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PayloadTooLarge,
)
from aihub.evaluation.status import Status
from aihub.submissions import routes as submission_api
from aihub.submissions import services as submissions
from aihub.submissions.schemas import SubmissionOut, usage_out
from aihub.web.context import Page, PageDep, csrf_protect
from aihub.web.pages import team
from aihub.web.pages.language import local_path
from aihub.web.runs import run_facts

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
router.include_router(team.router)

# Joining and data -------------------------------------------------------------------------

@router.post("/challenges/{slug}/join")
def join(
    slug: str, page: PageDep, accept: Annotated[str, Form()] = "",
    next_path: Annotated[str, Form(alias="next")] = "",
) -> Response:
    """Accept the rules (the form is on the challenge's rules tab)."""
    page.actor.require_user()
    if not accept:
        with page.hub.db.reading() as session:
            challenge = get_visible_challenge(session, slug, page.actor)
            detail = challenge_detail(session, challenge, page.actor, page.now)
        return page.render("participate/join.html", {
            "detail": detail,
            "error": page.gettext("Tick the box to accept the rules, then join."),
        }, status=422)
    with page.hub.db.transaction() as session:
        accept_rules(session, get_visible_challenge(session, slug, page.actor), page.actor)
    return page.redirect(local_path(next_path, f"/challenges/{slug}/data"))


@router.get("/challenges/{slug}/files/{name:path}", response_model=None)
def download(slug: str, name: str, page: PageDep) -> FileResponse:
    """A challenge file, to the same people as the API's download (never the solution: it
    is not one of the files)."""
    with page.hub.db.reading() as session:
        challenge = get_visible_challenge(session, slug, page.actor)
        item = get_file(challenge, name)
        accepted = has_accepted_rules(session, challenge, page.actor.user)
    if not policy.can_download_files(page.actor, challenge, accepted_rules=accepted):
        if page.actor.user is None:
            raise NotAuthenticated("Log in to download the challenge's files.")
        raise Forbidden(page.gettext(
            "Accept the rules of this challenge on its Rules tab before downloading its files."
        ))
    return FileResponse(
        page.hub.storage.path(item.sha256), filename=Path(item.name).name,
        headers={"ETag": f'"{item.sha256}"', "Cache-Control": "private, no-store"},
    )


# Submitting -------------------------------------------------------------------------------

def _submit_context(page: Page, slug: str) -> dict[str, Any]:
    with page.hub.db.reading() as session:
        challenge = get_visible_challenge(session, slug, page.actor)
        detail = challenge_detail(session, challenge, page.actor, page.now)
        usage = submissions.team_usage(
            session, challenge, page.actor, page.now, page.hub.settings.zone
        )
        runs = run_facts(challenge)
    assert usage is not None  # a member's usage, zero when the member has no team
    return {
        "detail": detail, "usage": usage_out(usage), "runs": runs,
        "max_bytes": page.hub.settings.max_upload_bytes,
        "can_submit": detail.accepted_rules and detail.phase.status == "open",
        "values": {"message": ""}, "errors": {},
    }


@router.get("/challenges/{slug}/submit")
def submit_form(slug: str, page: PageDep) -> HTMLResponse:
    page.actor.require_user()
    return page.render("participate/submit.html", _submit_context(page, slug))


def _upload_problems(page: Page, upload: object, message: str) -> dict[str, str]:
    problems = {}
    if not isinstance(upload, UploadFile) or not upload.filename:
        problems["file"] = page.gettext("Choose the file to submit.")
    if len(message) > submissions.MAX_MESSAGE:
        problems["message"] = page.gettext(
            "A message has at most %(max)s characters.", max=submissions.MAX_MESSAGE
        )
    return problems


async def _accept(page: Page, slug: str, upload: UploadFile, message: str) -> int:
    # Without JavaScript the browser waits for the next page anyway: score here, as the
    # API does for ``wait``; with it, the workers score while the page polls.
    submission_id, _, _ = await anyio.to_thread.run_sync(
        functools.partial(
            submission_api.accept_upload, page.hub, slug, lambda _session: page.actor, upload,
            message, inline=not page.is_htmx,
        ),
        limiter=submission_api.accepting(),
    )
    return submission_id


@router.post("/challenges/{slug}/submit")
async def submit(slug: str, page: PageDep, message: Annotated[str, Form()] = "") -> Response:
    """A plain multipart form without JavaScript (answered by the submission's page); with
    it, aihub.js sends the same form by XMLHttpRequest and shows the status fragment.

    ``message`` is a parameter so that FastAPI reads the form, and closes its spooled
    file, even when the CSRF check refuses it. The file is taken from that form by hand:
    a form sent without one is a message next to the field, not a validation error page."""
    page.actor.require_user()
    upload = (await page.request.form()).get("file")
    errors = _upload_problems(page, upload, message)
    status = 422
    if not errors and isinstance(upload, UploadFile):
        try:
            submission_id = await _accept(page, slug, upload, message)
        except (NotFound, NotAuthenticated):
            raise
        except AihubError as exc:
            # A bad file is the file's fault; rules, phase and limits are the form's.
            field = "file" if isinstance(exc, InvalidInput | PayloadTooLarge) else "form"
            errors, status = {field: exc.detail}, exc.status_code
        else:
            if not page.is_htmx:
                return page.redirect(f"/submissions/{submission_id}")
            view = await run_in_threadpool(
                submission_api.view_submission, page.hub, submission_id, page.actor
            )
            return page.render("participate/_status.html", _status_context(view), status=201)
    if page.is_htmx:
        return page.render("participate/_upload_error.html", {"errors": errors}, status=status)
    context = await run_in_threadpool(_submit_context, page, slug)
    context.update(values={"message": message}, errors=errors)
    return page.render("participate/submit.html", context, status=status)


def _status_context(view: SubmissionOut, error: str = "") -> dict[str, Any]:
    final = Status(view.status).is_final
    # Waiting behind others, a job moves at the pace of whole runs: asking every second
    # would only re-read the queue's history for nothing.
    behind = view.estimate is not None and bool(view.estimate.position)
    return {"s": view, "final": final, "every": "5s" if behind else "1s", "error": error}


@router.get("/submissions/{submission_id}")
def submission_status(submission_id: RowId, page: PageDep) -> Response:
    """A submission's status and score: a fragment that htmx polls (every second, every
    five while others are ahead of it in the queue) until the score or the failure is
    known, or the submission's page."""
    page.actor.require_user()
    # Another team's submission is "not found", as in the API.
    view = submission_api.view_submission(page.hub, submission_id, page.actor)
    template = "participate/_status.html" if page.is_htmx else "participate/submission.html"
    return page.render(template, _status_context(view))


@router.post("/submissions/{submission_id}/cancel")
def cancel(submission_id: RowId, page: PageDep) -> Response:
    """Cancel a submission's evaluation (the API's ``cancel_route``): htmx swaps the status
    fragment, a plain form comes back to the submission's page."""
    page.actor.require_user()
    error, status = "", 200
    try:
        submission_api.cancel_submission(page.hub, submission_id, page.actor)
    except (Conflict, Forbidden) as exc:  # ended or started meanwhile
        error, status = exc.detail, exc.status_code
    if not error and not page.is_htmx:
        return page.redirect(f"/submissions/{submission_id}")
    view = submission_api.view_submission(page.hub, submission_id, page.actor)
    template = "participate/_status.html" if page.is_htmx else "participate/submission.html"
    return page.render(template, _status_context(view, error), status=status)


@router.get("/submissions/{submission_id}/detailed-results", response_model=None)
def detailed_results(submission_id: RowId, page: PageDep) -> FileResponse:
    """The scoring program's detailed_results.html, as the API serves it (the same
    Content-Security-Policy), to the team and the hosts."""
    page.actor.require_user()
    return submission_api.detailed_results_response(page.hub, submission_id, page.actor)


# My submissions and final selections ------------------------------------------------------

def _submissions_context(page: Page, slug: str, error: str = "") -> dict[str, Any]:
    with page.hub.db.reading() as session:
        # The API's list route is this page's data function: the same rows, the same
        # private scores (none before the private board opens), no host-only reasons.
        rows = submission_api.list_route(slug, session, page.actor)
        challenge = get_visible_challenge(session, slug, page.actor)
        detail = challenge_detail(session, challenge, page.actor, page.now)
    phases = {p.name: p for p in detail.phases}
    selected = {name: sum(1 for r in rows if r.selected and r.phase == name) for name in phases}
    return {
        "detail": detail, "rows": rows, "phases": phases, "selected": selected,
        "show_private": detail.private_leaderboard_open
        or any(r.private_score is not None for r in rows),
        "error": error,
    }


@router.get("/challenges/{slug}/submissions")
def my_submissions(slug: str, page: PageDep) -> HTMLResponse:
    """The page, or (for htmx, polling while a submission is scored) just its table."""
    page.actor.require_user()
    template = "participate/_table.html" if page.is_htmx else "participate/submissions.html"
    return page.render(template, _submissions_context(page, slug))


@router.post("/submissions/{submission_id}/select")
def select(
    submission_id: RowId, page: PageDep, selected: Annotated[str, Form()] = "1"
) -> Response:
    """Pick or unpick a final submission: htmx swaps the table, a plain form comes back to
    the list."""
    page.actor.require_user()
    slug = submission_api.view_submission(page.hub, submission_id, page.actor).challenge
    error, status = "", 200
    try:
        with page.hub.db.transaction() as session:
            submissions.select_final(
                session, submission_id, page.actor, selected=selected == "1", now=page.now
            )
    except AihubError as exc:
        error, status = exc.detail, exc.status_code
    if not error and not page.is_htmx:
        return page.redirect(f"/challenges/{slug}/submissions")
    template = "participate/_table.html" if page.is_htmx else "participate/submissions.html"
    return page.render(template, _submissions_context(page, slug, error), status=status)
