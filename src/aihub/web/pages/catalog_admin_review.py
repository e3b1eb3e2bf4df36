"""Curators' review of submitted dataset versions: the queue, each finding in context, the
decisions, publish, reject, and running the intake again.

Publication is offered only when ``versions.publish_version`` would accept it: the page
asks the same ``findings.publication_blockers`` and shows its sentences when it would not.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from starlette.responses import Response

from aihub.datasets import intake, services, versions
from aihub.datasets.findings import latest_decisions, publication_blockers
from aihub.datasets.models import Dataset, DatasetVersion
from aihub.datasets.schemas import dataset_summary, version_detail, version_summary
from aihub.datasets.status import VersionStatus
from aihub.errors import Conflict, InvalidInput, NotFound
from aihub.web.context import Page, PageDep
from aihub.web.pages.catalog_admin_common import require_curator
from aihub.web.pages.catalog_admin_findings import findings_with_examples
from aihub.web.pages.catalog_admin_messages import say, say_error

router = APIRouter()

# No max_length on form fields: the services check every length and the form comes back
# saying which field is too long; FastAPI's check would answer a bare error page instead.
# Starlette keeps a field to 1 MiB.
Reason = Annotated[str, Form()]
Field = Annotated[str, Form()]
# What the queue lists: waiting for a curator, being scanned, or blocked for good.
QUEUED = (VersionStatus.REVIEW.value, VersionStatus.QUARANTINE.value,
          VersionStatus.BLOCKED.value)
DONE = {"decided", "restarted", "published", "rejected"}


def review_url(slug: str, ref: str) -> str:
    return f"/curator/datasets/{slug}/versions/{ref}/review"


@router.get("/curator/datasets", response_class=HTMLResponse)
def review_queue(page: PageDep) -> HTMLResponse:
    """Versions awaiting review, being scanned, or blocked; the oldest submitted first."""
    require_curator(page)
    with page.hub.db.reading() as session:
        rows = session.execute(
            select(DatasetVersion, Dataset).join(Dataset, Dataset.id == DatasetVersion.dataset_id)
            .where(DatasetVersion.status.in_(QUEUED))
            .order_by(DatasetVersion.submitted_at, DatasetVersion.id))
        items = [{"dataset": dataset_summary(dataset, None), "version": version_summary(v)}
                 for v, dataset in rows]
    done = page.request.query_params.get("done", "")
    return page.render("catalog_admin/review_queue.html",
                       {"items": items, "done": done if done in DONE else ""})


def _review_context(page: Page, slug: str, ref: str) -> dict[str, Any]:
    with page.hub.db.reading() as session:
        dataset = services.get_visible_dataset(session, slug, page.actor)
        version = versions.get_version(session, dataset, ref, page.actor)
        detail = version_detail(session, dataset, version, page.actor)
        blockers: list[str] = []
        if version.status == VersionStatus.REVIEW.value:
            blockers = publication_blockers(versions.version_files(session, version),
                                            latest_decisions(session, version.id))
        summary = dataset_summary(dataset, None)
    done = page.request.query_params.get("done", "")
    return {
        "dataset": summary, "version": detail, "findings": findings_with_examples(detail),
        "blockers": [say(page, problem) for problem in blockers],
        "can_publish": detail.status == VersionStatus.REVIEW.value and not blockers,
        "message": "", "done": done if done in DONE else "", "reject_reason": "",
    }


def _render(page: Page, slug: str, ref: str, *, message: str = "", status: int = 200,
            reject_reason: str = "") -> HTMLResponse:
    context = _review_context(page, slug, ref) | {"message": message,
                                                 "reject_reason": reject_reason}
    return page.render("catalog_admin/review.html", context, status=status)


@router.get("/curator/datasets/{slug}/versions/{ref}/review", response_class=HTMLResponse)
def review_page(slug: str, ref: str, page: PageDep) -> HTMLResponse:
    require_curator(page)
    return _render(page, slug, ref)


@router.post("/curator/datasets/{slug}/versions/{ref}/findings")
def decide_finding(slug: str, ref: str, page: PageDep, path: Field = "", column: Field = "",
                   pattern_id: Annotated[str, Form()] = "",
                   decision: Annotated[str, Form()] = "",
                   reason: Reason = "") -> Response:
    require_curator(page)
    try:
        with page.hub.db.transaction() as session:
            dataset = services.get_visible_dataset(session, slug, page.actor)
            version = versions.get_version(session, dataset, ref, page.actor)
            versions.decide_finding(session, version, page.actor, path=path, column=column,
                                    pattern_id=pattern_id, decision=decision, reason=reason)
    except (InvalidInput, Conflict) as exc:
        return _render(page, slug, ref, message=say_error(page, exc), status=exc.status_code)
    except NotFound as exc:  # a finding that is not in the report (the version exists)
        return _render(page, slug, ref, message=say_error(page, exc), status=404)
    return page.redirect(f"{review_url(slug, ref)}?done=decided#findings")


@router.post("/curator/datasets/{slug}/versions/{ref}/publish")
def publish(slug: str, ref: str, page: PageDep) -> Response:
    require_curator(page)
    try:
        with page.hub.db.transaction() as session:
            dataset = services.get_visible_dataset(session, slug, page.actor)
            version = versions.get_version(session, dataset, ref, page.actor)
            versions.publish_version(session, version, page.actor)
    except Conflict as exc:
        return _render(page, slug, ref, message=say_error(page, exc), status=exc.status_code)
    return page.redirect("/curator/datasets?done=published")


@router.post("/curator/datasets/{slug}/versions/{ref}/reject")
def reject(slug: str, ref: str, page: PageDep, reason: Reason = "") -> Response:
    require_curator(page)
    try:
        with page.hub.db.transaction() as session:
            dataset = services.get_visible_dataset(session, slug, page.actor)
            version = versions.get_version(session, dataset, ref, page.actor)
            versions.reject_version(session, version, page.actor, reason)
    except (InvalidInput, Conflict) as exc:
        return _render(page, slug, ref, message=say_error(page, exc), status=exc.status_code,
                       reject_reason=reason)
    return page.redirect("/curator/datasets?done=rejected")


@router.post("/curator/datasets/{slug}/versions/{ref}/intake")
def restart_intake(slug: str, ref: str, page: PageDep) -> Response:
    require_curator(page)
    hub = page.hub
    try:
        with hub.db.transaction() as session:
            dataset = services.get_visible_dataset(session, slug, page.actor)
            version = versions.get_version(session, dataset, ref, page.actor)
            job_ids = intake.restart_for_intake(session, version, page.actor,
                                                max_attempts=hub.settings.job_max_attempts)
    except Conflict as exc:
        return _render(page, slug, ref, message=say_error(page, exc), status=exc.status_code)
    hub.executor.dispatch(job_ids)  # after the commit: the jobs exist for the workers
    return page.redirect(f"{review_url(slug, ref)}?done=restarted")
