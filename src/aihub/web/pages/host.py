"""Hosts' pages: create and edit challenges, all submissions, baselines, rescore.

Every page asks the same services and data functions as the API (``challenges.editing``,
``challenges.hosting``, ``submissions.services``); the policy checks are theirs.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from aihub.challenges import policy
from aihub.challenges.editing import (
    SolutionCheck,
    check_solution,
    create_challenge,
    edit_challenge,
    field_errors,
    has_submissions,
    parse_edit,
    spec_from_fields,
)
from aihub.challenges.hosting import (
    creatable_organizations,
    hosted_challenges,
)
from aihub.challenges.models import Challenge
from aihub.challenges.schemas import challenge_detail
from aihub.challenges.services import get_visible_challenge
from aihub.deps import RowId
from aihub.errors import Conflict, Forbidden, InvalidInput, NotFound
from aihub.evaluation.metrics import all_metrics
from aihub.evaluation.status import Status
from aihub.storage import TooLargeError
from aihub.submissions import services as submissions
from aihub.submissions.lists import host_log_tails
from aihub.submissions.schemas import submissions_out
from aihub.web.context import Page, PageDep, csrf_protect
from aihub.web.pages import host_form as forms
from aihub.web.pages.host_form import UploadError
from aihub.web.templating import localized

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

PER_PAGE = 100
# The manage table shows the end of each program's output, where failures are; the
# submission's own page has all of it.
LOG_TAIL = 2000
NEW_DEFAULTS = {
    "visibility": "public", "max_team_size": "1", "evaluation.id_column": "id",
    "phases.0.name": "main", "phases.0.daily_limit": "5", "phases.0.final_selections": "2",
}


def _require_host(page: Page) -> None:
    page.actor.require_user()
    if not policy.may_host(page.actor):
        raise Forbidden(page.gettext("Only hosts (members of an organization) and curators "
                                     "have these pages."))


def _require_creator(page: Page) -> None:
    page.actor.require_user()
    if not policy.may_create(page.actor):
        raise Forbidden(page.gettext("Your organization is not allowed to host challenges "
                                     "yet; a curator can allow it."))


def _managed(session: Session, slug: str, page: Page) -> Challenge:
    page.actor.require_user()
    challenge = get_visible_challenge(session, slug, page.actor)
    if not policy.can_manage(page.actor, challenge):
        raise Forbidden(page.gettext("Only the challenge's hosts manage it."))
    return challenge


def _metric_options() -> list[tuple[str, str]]:
    return [(name, f"{name} ({metric.direction.value})")
            for name, metric in sorted(all_metrics().items())]


# --- The host's challenges --------------------------------------------------------------


@router.get("/host", response_class=HTMLResponse)
def host_index(page: PageDep) -> HTMLResponse:
    _require_host(page)
    with page.hub.db.reading() as session:
        hosted = hosted_challenges(session, page.actor, page.now)
    return page.render(
        "host/index.html", {"hosted": hosted, "can_create": policy.may_create(page.actor)}
    )


# --- Creating a challenge ---------------------------------------------------------------


def _render_new(
    page: Page, values: dict[str, str], errors: dict[str, str], *, status: int = 200,
    check: SolutionCheck | None = None, files_lost: bool = False,
) -> HTMLResponse:
    with page.hub.db.reading() as session:
        organizations = creatable_organizations(session, page.actor)
    placed = forms.place_errors(errors, forms.form_fields(forms.NEW_PHASE_ROWS, new=True))
    return page.render("host/new.html", {
        "values": values, "errors": placed,
        "organizations": [(org.slug, f"{localized(org.name, page.locale)} ({org.slug})")
                          for org in organizations],
        "metrics": _metric_options(), "phase_rows": forms.NEW_PHASE_ROWS,
        "check": check, "files_lost": files_lost,
    }, status=status)


@router.get("/host/new", response_class=HTMLResponse)
def new_form(page: PageDep) -> HTMLResponse:
    _require_creator(page)
    return _render_new(page, dict(NEW_DEFAULTS), {})


@router.post("/host/new")
async def create(request: Request, page: PageDep) -> Response:
    async with request.form() as form:  # closed after: its files are spooled
        return await run_in_threadpool(_create, page, form)


def _create(page: Page, form: FormData) -> Response:
    _require_creator(page)
    values = forms.text_fields(form)
    settings, hub = page.hub.settings, page.hub
    with tempfile.TemporaryDirectory(prefix="aihub-form-") as tmp:
        root = Path(tmp)
        try:
            uploaded = forms.spool_challenge_files(form, root, settings.max_upload_bytes)
            spec = spec_from_fields(forms.new_challenge_fields(values, uploaded, settings.zone))
            with hub.db.transaction() as session:
                challenge = create_challenge(
                    session, hub.storage, hub.truths, page.actor, spec, root,
                    max_file_bytes=settings.max_upload_bytes,
                )
                slug = challenge.slug
        except UploadError as exc:
            errors = {exc.field: exc.detail}
        except InvalidInput as exc:
            errors = field_errors(exc)
        else:
            return page.redirect(f"/host/challenges/{slug}?created=1")
    files_lost = any(forms.chosen_files(form, name)
                     for name in ("files", "sample_submission", "evaluation.solution"))
    return _render_new(page, values, errors, status=422, files_lost=files_lost)


@router.post("/host/solution-check")
async def solution_check(request: Request, page: PageDep) -> Response:
    """The solution read as the scorer will read it: a fragment for htmx, or the whole form
    again for a browser without JavaScript. Nothing is kept."""
    async with request.form() as form:  # closed after: its files are spooled
        return await run_in_threadpool(_solution_check, page, form)


def _solution_check(page: Page, form: FormData) -> Response:
    _require_creator(page)
    values = forms.text_fields(form)
    uploads = forms.chosen_files(form, "evaluation.solution")
    check = None
    max_bytes = page.hub.settings.max_upload_bytes
    if uploads:
        name = forms.safe_name(uploads[0].filename or "")
        with tempfile.TemporaryDirectory(prefix="aihub-check-") as tmp:
            try:
                path = forms.spool(uploads[0], Path(tmp) / name, "evaluation.solution", max_bytes)
                check = check_solution(path, forms.evaluation(values), max_bytes=max_bytes)
            except UploadError as exc:
                check = SolutionCheck(filename=name, columns=[], field=exc.field,
                                      error=exc.detail)
    if page.is_htmx:
        return page.render("host/_solution_check.html", {"check": check})
    return _render_new(page, values, {}, check=check, files_lost=bool(uploads))


# --- Managing a challenge ---------------------------------------------------------------


def _manage_context(
    page: Page, slug: str, *, status_filter: str | None = None, number: int = 1
) -> dict[str, Any]:
    with page.hub.db.reading() as session:
        challenge = _managed(session, slug, page)
        detail = challenge_detail(session, challenge, page.actor, page.now)
        total = submissions.count_team_submissions(session, challenge, page.actor,
                                                   everyone=True, status=status_filter)
        pages = max(1, -(-total // PER_PAGE))
        number = min(max(number, 1), pages)
        shown_rows = submissions.list_team_submissions(
            session, challenge, page.actor, everyone=True, status=status_filter,
            limit=PER_PAGE, offset=(number - 1) * PER_PAGE,
        )
        shown = submissions_out(session, shown_rows, challenge, page.actor, page.now)
        # The rows carry no output (megabytes each): the end of each is cut in the database.
        tails = host_log_tails(session, [row.id for row in shown_rows], LOG_TAIL)
    return {
        "detail": detail, "submissions": shown, "total": total, "pages": pages,
        "number": number, "status_filter": status_filter or "",
        "statuses": [status.value for status in Status],
        "baseline_values": {}, "baseline_errors": {}, "message": "", "log_tails": tails,
        "log_tail": LOG_TAIL,
    }


@router.get("/host/challenges/{slug}", response_class=HTMLResponse)
def manage(
    slug: str, page: PageDep,
    status: Annotated[str | None, Query()] = None,
    number: Annotated[int, Query(alias="page", ge=1)] = 1,
) -> HTMLResponse:
    status_filter = status if status in {s.value for s in Status} else None
    context = _manage_context(page, slug, status_filter=status_filter, number=number)
    return page.render("host/manage.html", context)


@router.post("/host/challenges/{slug}/submissions/{submission_id}/rescore")
def rescore(slug: str, submission_id: RowId, page: PageDep) -> Response:
    """Score a submission again: the API's ``rescore_route``, answered with a page."""
    page.actor.require_user()
    try:
        with page.hub.db.transaction() as session:
            _, challenge = submissions.get_visible_submission(session, submission_id, page.actor)
            if challenge.slug != slug:
                raise NotFound(f"Challenge {slug!r} has no submission {submission_id}.")
            job_id = submissions.rescore(session, challenge, page.actor, submission_id).id
    except Conflict as exc:
        context = _manage_context(page, slug) | {"message": exc.detail}
        return page.render("host/manage.html", context, status=exc.status_code)
    page.hub.executor.dispatch([job_id])
    return page.redirect(f"/host/challenges/{slug}?rescored={submission_id}")


@router.post("/host/challenges/{slug}/submissions/{submission_id}/cancel")
def cancel(slug: str, submission_id: RowId, page: PageDep) -> Response:
    """Stop a queued or running evaluation: the API's ``cancel_route``, answered with a
    page. Only the hosts use this address (a team cancels from its submission's page)."""
    try:
        with page.hub.db.transaction() as session:
            challenge = _managed(session, slug, page)  # Forbidden to all but the hosts
            submissions.cancel_submission(session, submission_id, page.actor,
                                          challenge=challenge)
    except Conflict as exc:  # it ended meanwhile
        context = _manage_context(page, slug) | {"message": exc.detail}
        return page.render("host/manage.html", context, status=exc.status_code)
    return page.redirect(f"/host/challenges/{slug}?cancelled={submission_id}")


@router.post("/host/challenges/{slug}/baselines")
async def add_baseline(slug: str, request: Request, page: PageDep) -> Response:
    async with request.form() as form:  # closed after: its files are spooled
        return await run_in_threadpool(_add_baseline, page, slug, form)


def _add_baseline(page: Page, slug: str, form: FormData) -> Response:
    _ = page.gettext
    with page.hub.db.reading() as session:
        _managed(session, slug, page)  # who may, before anything is stored
    values = forms.text_fields(form)
    uploads = forms.chosen_files(form, "file")
    errors: dict[str, str] = {}
    if not uploads:
        errors["file"] = _("Choose the baseline's prediction file.")
    else:
        errors = _store_baseline(page, slug, values, uploads[0])
    if not errors:
        return page.redirect(f"/host/challenges/{slug}?baseline=1")
    context = _manage_context(page, slug) | {"baseline_values": values, "baseline_errors": errors}
    return page.render("host/manage.html", context, status=422)


def _store_baseline(page: Page, slug: str, values: dict[str, str], upload: Any) -> dict[str, str]:
    hub = page.hub
    try:
        blob = hub.storage.put_file(upload.file, max_bytes=hub.settings.max_upload_bytes)
    except TooLargeError as exc:
        return {"file": f"The file is {exc}."}
    try:
        with hub.db.transaction() as session:
            challenge = _managed(session, slug, page)
            _, job = submissions.add_baseline(
                session, challenge, page.actor, blob,
                name_ko=values.get("name_ko", "").strip(),
                name_en=values.get("name_en", "").strip(),
                filename=forms.safe_name(upload.filename or "baseline.csv"), now=page.now,
            )
            job_id = job.id
    except InvalidInput as exc:  # the one rule of the form's fields: a baseline has a name
        return {"name_ko": exc.detail}
    hub.executor.dispatch([job_id])
    return {}


# --- Editing a challenge ----------------------------------------------------------------


def _render_edit(
    page: Page, slug: str, values: dict[str, str] | None, errors: dict[str, str],
    *, status: int = 200,
) -> HTMLResponse:
    with page.hub.db.reading() as session:
        challenge = _managed(session, slug, page)
        detail = challenge_detail(session, challenge, page.actor, page.now)
        locked = has_submissions(session, challenge)
        if values is None:
            values = forms.challenge_values(challenge, page.hub.settings.zone)
        phase_names = [phase.name for phase in challenge.phases]
    known = forms.form_fields(len(phase_names), new=False)
    return page.render("host/edit.html", {
        "detail": detail, "values": values, "errors": forms.place_errors(errors, known),
        "locked": locked, "phase_names": phase_names, "metrics": _metric_options(),
    }, status=status)


@router.get("/host/challenges/{slug}/edit", response_class=HTMLResponse)
def edit_form(slug: str, page: PageDep) -> HTMLResponse:
    return _render_edit(page, slug, None, {})


@router.post("/host/challenges/{slug}/edit")
async def edit(slug: str, request: Request, page: PageDep) -> Response:
    async with request.form() as form:  # closed after: its files are spooled
        return await run_in_threadpool(_edit, page, slug, form)


def _edit(page: Page, slug: str, form: FormData) -> Response:
    hub, settings = page.hub, page.hub.settings
    with hub.db.reading() as session:
        locked = has_submissions(session, _managed(session, slug, page))
    values = forms.text_fields(form)
    uploads = forms.chosen_files(form, "evaluation.solution")
    with tempfile.TemporaryDirectory(prefix="aihub-edit-") as tmp:
        try:
            # The new solution is copied before the write transaction, which must not hold
            # the database's write lock while a large file is copied (edit_challenge checks
            # again that nobody has submitted in between).
            solution = forms.spool(
                uploads[0], Path(tmp) / forms.safe_name(uploads[0].filename or ""),
                "evaluation.solution", settings.max_upload_bytes,
            ) if uploads and not locked else None
            with hub.db.transaction() as session:
                challenge = _managed(session, slug, page)
                changes = parse_edit(forms.edit_fields(values, challenge, settings.zone,
                                                       with_evaluation=not locked))
                edit_challenge(session, hub.storage, hub.truths, page.actor, challenge, changes,
                               solution=solution, max_file_bytes=settings.max_upload_bytes)
        except UploadError as exc:
            errors = {exc.field: exc.detail}
        except InvalidInput as exc:
            errors = field_errors(exc)
        else:
            return page.redirect(f"/host/challenges/{slug}?saved=1")
    return _render_edit(page, slug, values, errors, status=422)
