"""Hosts' version pages: a new version, its files (a tus upload with a progress bar, or a
plain multipart form), removing a file, submitting, and the intake's progress.

Each action calls what the API's route calls (``datasets.versions``, ``datasets.intake``,
``datasets.uploads``) and answers with a redirect (POST-redirect-GET), or the page again
with the service's message.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData, UploadFile
from starlette.responses import Response

from aihub.challenges.editing import field_errors
from aihub.datasets import intake, services, versions
from aihub.datasets.schemas import dataset_detail, version_detail
from aihub.datasets.status import VersionStatus
from aihub.datasets.upload_routes import PREFIX as TUS_ENDPOINT
from aihub.datasets.uploads import forget_upload, get_completed_upload
from aihub.errors import Conflict, InvalidInput, NotFound
from aihub.storage import TooLargeError
from aihub.web.context import Page, PageDep
from aihub.web.pages.catalog_admin_common import require_host
from aihub.web.pages.catalog_admin_findings import findings_with_examples
from aihub.web.pages.catalog_admin_messages import say_error, say_fields

router = APIRouter()

# No max_length on form fields: the services check every length and the form comes back
# saying which field is too long; FastAPI's check would answer a bare error page instead.
# Starlette keeps a field to 1 MiB.
Short = Annotated[str, Form()]
# How often the version page asks whether the intake is done (htmx), in seconds.
POLL_SECONDS = 3


def version_url(slug: str, ref: str) -> str:
    return f"/host/datasets/{slug}/versions/{ref}"


# --- A new version ----------------------------------------------------------------------


def _render_new(page: Page, slug: str, values: dict[str, str], errors: dict[str, str],
                *, status: int = 200) -> HTMLResponse:
    with page.hub.db.reading() as session:
        dataset = services.get_editable_dataset(session, slug, page.actor)
        detail = dataset_detail(session, dataset, page.actor)
    placed = {key if key in ("label", "message") else "": text for key, text in errors.items()}
    return page.render("catalog_admin/version_new.html",
                       {"dataset": detail, "values": values, "errors": placed,
                        "created": page.request.query_params.get("created") == "1"},
                       status=status)


@router.get("/host/datasets/{slug}/versions/new", response_class=HTMLResponse)
def new_version_form(slug: str, page: PageDep) -> HTMLResponse:
    require_host(page)
    return _render_new(page, slug, {}, {})


@router.post("/host/datasets/{slug}/versions/new")
def create_version(slug: str, page: PageDep, label: Annotated[str, Form()] = "",
                   message: Annotated[str, Form()] = "") -> Response:
    require_host(page)
    try:
        with page.hub.db.transaction() as session:
            dataset = services.get_editable_dataset(session, slug, page.actor)
            version = versions.create_version(session, dataset, page.actor,
                                              label=label.strip(), message=message)
            ref = version.label
    except (InvalidInput, Conflict) as exc:
        return _render_new(page, slug, {"label": label, "message": message},
                           say_fields(page, field_errors(exc)), status=422)
    return page.redirect(version_url(slug, ref))


# --- The version page ---------------------------------------------------------------------


def _version_context(page: Page, slug: str, ref: str) -> dict[str, Any]:
    with page.hub.db.reading() as session:
        dataset = services.get_editable_dataset(session, slug, page.actor)
        version = versions.get_version(session, dataset, ref, page.actor)
        detail = version_detail(session, dataset, version, page.actor)
        summary = dataset_detail(session, dataset, page.actor)
    return {
        "dataset": summary, "version": detail,
        "findings": findings_with_examples(detail),
        "tus_endpoint": TUS_ENDPOINT + "/",
        "max_bytes": page.hub.settings.max_dataset_file_bytes,
        "poll_seconds": POLL_SECONDS, "message": "", "done": _done(page),
    }


def _done(page: Page) -> str:
    """Which action just succeeded (a known word only: the address must not put words on
    the page)."""
    done = page.request.query_params.get("done", "")
    return done if done in {"attached", "removed", "submitted", "created"} else ""


def render_version(page: Page, slug: str, ref: str, *, message: str = "",
                   status: int = 200) -> HTMLResponse:
    context = _version_context(page, slug, ref) | {"message": message}
    return page.render("catalog_admin/version.html", context, status=status)


@router.get("/host/datasets/{slug}/versions/{ref}", response_class=HTMLResponse)
def version_page(slug: str, ref: str, page: PageDep) -> HTMLResponse:
    require_host(page)
    return render_version(page, slug, ref)


@router.get("/host/datasets/{slug}/versions/{ref}/intake", response_class=HTMLResponse)
def intake_status(slug: str, ref: str, page: PageDep) -> HTMLResponse:
    """The intake's state, which htmx polls while the version is in quarantine; once the
    state changes the whole page is loaded again (``HX-Refresh``)."""
    require_host(page)
    context = _version_context(page, slug, ref)
    response = page.render("catalog_admin/_intake.html", context)
    if context["version"].status != VersionStatus.QUARANTINE.value and page.is_htmx:
        response.headers["HX-Refresh"] = "true"
    return response


def _acted(page: Page, slug: str, ref: str, done: str) -> Response:
    return page.redirect(f"{version_url(slug, ref)}?done={done}")


# --- Files ------------------------------------------------------------------------------


@router.post("/host/datasets/{slug}/versions/{ref}/files")
async def attach_file(slug: str, ref: str, request: Request, page: PageDep) -> Response:
    """The plain multipart upload (without JavaScript, or small files)."""
    require_host(page)
    async with request.form() as form:  # closed after: its files are spooled
        return await run_in_threadpool(_attach_multipart, page, slug, ref, form)


def _attach_multipart(page: Page, slug: str, ref: str, form: FormData) -> Response:
    hub, _ = page.hub, page.gettext
    upload = form.get("file")
    path = form.get("path")
    path = path.strip() if isinstance(path, str) else ""
    if not isinstance(upload, UploadFile) or not upload.filename:
        return render_version(page, slug, ref, message=_("Choose a file to upload."),
                              status=422)
    try:
        with hub.db.reading() as session:  # refuse before storing a byte
            dataset = services.get_editable_dataset(session, slug, page.actor)
            versions.check_attachable(versions.get_version(session, dataset, ref, page.actor),
                                      page.actor)
        blob = hub.storage.put_file(upload.file, max_bytes=hub.settings.max_dataset_file_bytes)
        with hub.db.transaction() as session:
            dataset = services.get_editable_dataset(session, slug, page.actor)
            version = versions.get_version(session, dataset, ref, page.actor)
            versions.attach_file(session, hub.storage, version, page.actor,
                                 path=path or upload.filename, sha256=blob.sha256,
                                 size=blob.size)
    except TooLargeError as exc:
        return render_version(page, slug, ref, status=413, message=_(
            "The file is too large for this form (%(detail)s); use the resumable upload.",
            detail=str(exc)))
    except (InvalidInput, Conflict) as exc:
        return render_version(page, slug, ref, message=say_error(page, exc),
                              status=exc.status_code)
    return _acted(page, slug, ref, "attached")


@router.post("/host/datasets/{slug}/versions/{ref}/uploads")
def attach_upload(slug: str, ref: str, page: PageDep,
                  upload_id: Annotated[str, Form()] = "",
                  path: Short = "") -> Response:
    """Attach a finished tus upload (the page's script posts its id here)."""
    require_host(page)
    user, hub, upload_id = page.actor.require_user(), page.hub, upload_id.strip()
    try:
        with hub.db.reading() as session:  # the version's refusal first, then the upload's
            dataset = services.get_editable_dataset(session, slug, page.actor)
            versions.check_attachable(versions.get_version(session, dataset, ref, page.actor),
                                      page.actor)
        try:
            upload = get_completed_upload(hub.settings, upload_id, user.id, page.now)
        except NotFound as exc:  # not this person's upload, or expired
            raise InvalidInput(exc.detail) from None
        with hub.db.transaction() as session:
            dataset = services.get_editable_dataset(session, slug, page.actor)
            version = versions.get_version(session, dataset, ref, page.actor)
            versions.attach_file(session, hub.storage, version, page.actor,
                                 path=path.strip() or upload.filename,
                                 sha256=upload.blob.sha256, size=upload.blob.size)
    except (InvalidInput, Conflict) as exc:
        return render_version(page, slug, ref, message=say_error(page, exc),
                              status=exc.status_code)
    # After the commit: the upload cannot be attached twice; its blob stays.
    forget_upload(hub.settings, upload_id, user.id, page.now)
    return _acted(page, slug, ref, "attached")


@router.post("/host/datasets/{slug}/versions/{ref}/files/remove")
def remove_file(slug: str, ref: str, page: PageDep, path: Short = "") -> Response:
    require_host(page)
    try:
        with page.hub.db.transaction() as session:
            dataset = services.get_editable_dataset(session, slug, page.actor)
            version = versions.get_version(session, dataset, ref, page.actor)
            # Removed already (another tab, a second click): the same outcome.
            if versions.find_file(session, version, path) is not None:
                versions.remove_file(session, version, page.actor, path)
    except Conflict as exc:
        return render_version(page, slug, ref, message=say_error(page, exc),
                              status=exc.status_code)
    return _acted(page, slug, ref, "removed")


@router.post("/host/datasets/{slug}/versions/{ref}/submit")
def submit(slug: str, ref: str, page: PageDep) -> Response:
    """Draft → quarantine; the intake jobs are handed to the workers after the commit."""
    require_host(page)
    hub = page.hub
    try:
        with hub.db.transaction() as session:
            dataset = services.get_editable_dataset(session, slug, page.actor)
            version = versions.get_version(session, dataset, ref, page.actor)
            job_ids = intake.submit_for_intake(session, version, page.actor,
                                               max_attempts=hub.settings.job_max_attempts)
    except (InvalidInput, Conflict) as exc:
        return render_version(page, slug, ref, message=say_error(page, exc),
                              status=exc.status_code)
    hub.executor.dispatch(job_ids)
    return _acted(page, slug, ref, "submitted")
