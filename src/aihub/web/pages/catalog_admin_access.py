"""Hosts' page of a dataset's access requests (approval tier): the oldest due first,
accept, reject with a reason, revoke. The same ``datasets.access`` verbs and
``access_request_outs`` rows as the API.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from aihub.datasets import access, services
from aihub.datasets.models import AccessRequest
from aihub.datasets.schemas import access_request_outs, dataset_detail
from aihub.deps import RowId
from aihub.errors import Conflict, InvalidInput, NotFound
from aihub.web.context import Page, PageDep
from aihub.web.pages.catalog_admin_common import require_host
from aihub.web.pages.catalog_admin_messages import say_error

router = APIRouter()

# No max_length on form fields: the services check every length and the form comes back
# saying which field is too long; FastAPI's check would answer a bare error page instead.
# Starlette keeps a field to 1 MiB.
Reason = Annotated[str, Form()]
DONE = {"accepted", "rejected", "revoked"}


def requests_url(slug: str) -> str:
    return f"/host/datasets/{slug}/access-requests"


def _render(page: Page, slug: str, *, message: str = "", failed: int | None = None,
            reason: str = "", status: int = 200) -> HTMLResponse:
    with page.hub.db.reading() as session:
        dataset = services.get_editable_dataset(session, slug, page.actor)
        rows = access_request_outs(
            session, [(request, slug) for request in
                      access.list_access_requests(session, dataset, page.actor)], page.now)
        detail = dataset_detail(session, dataset, page.actor)
    done = page.request.query_params.get("done", "")
    pending = [row for row in rows if row.status == "pending"]
    others = [row for row in rows if row.status != "pending"]
    return page.render("catalog_admin/access_requests.html", {
        "dataset": detail, "pending": pending, "others": others, "message": message,
        "failed": failed, "reason": reason, "done": done if done in DONE else "",
        "max_reason": access.MAX_REASON,
    }, status=status)


@router.get("/host/datasets/{slug}/access-requests", response_class=HTMLResponse)
def access_requests(slug: str, page: PageDep) -> HTMLResponse:
    require_host(page)
    return _render(page, slug)


@router.post("/host/datasets/{slug}/access-requests/{request_id}/decision")
def decide(slug: str, request_id: RowId, page: PageDep,
           accept: Annotated[str, Form()] = "", reason: Reason = "") -> Response:
    require_host(page)
    accepted = accept in {"1", "true", "yes", "on"}
    try:
        with page.hub.db.transaction() as session:
            request = _request_of(session, slug, request_id, page)
            access.decide_access_request(session, request, page.actor, accept=accepted,
                                         reason=reason)
    except (InvalidInput, Conflict) as exc:
        return _render(page, slug, message=say_error(page, exc), failed=request_id, reason=reason,
                       status=exc.status_code)
    return page.redirect(f"{requests_url(slug)}?done={'accepted' if accepted else 'rejected'}")


@router.post("/host/datasets/{slug}/access-requests/{request_id}/revoke")
def revoke(slug: str, request_id: RowId, page: PageDep, reason: Reason = "") -> Response:
    require_host(page)
    try:
        with page.hub.db.transaction() as session:
            request = _request_of(session, slug, request_id, page)
            access.revoke_access(session, request, page.actor, reason=reason)
    except (InvalidInput, Conflict) as exc:
        return _render(page, slug, message=say_error(page, exc), failed=request_id, reason=reason,
                       status=exc.status_code)
    return page.redirect(f"{requests_url(slug)}?done=revoked")


def _request_of(session: Session, slug: str, request_id: int, page: Page) -> AccessRequest:
    """The request, if it is one of this dataset's; 'not found' otherwise."""
    dataset = services.get_editable_dataset(session, slug, page.actor)
    request = access.get_access_request(session, request_id, page.actor)
    if request.dataset_id != dataset.id:
        raise NotFound(f"{slug!r} has no access request {request_id}.")
    return request
