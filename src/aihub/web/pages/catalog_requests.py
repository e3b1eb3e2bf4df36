"""Data requests: members ask for data the catalog lacks and add their support; curators
and the hosts a request is addressed to answer, extend or fulfil it with a dataset.

The pages read the API's data function (``data_request_out``, the rows of the list route)
and the forms call the same services as ``datasets.request_routes``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from aihub.accounts.actor import Actor
from aihub.datasets import policy, requests, services, versions
from aihub.datasets.models import DataRequest
from aihub.datasets.request_routes import list_route
from aihub.datasets.schemas import data_request_out
from aihub.datasets.status import DataRequestStatus
from aihub.deps import RowId
from aihub.errors import AihubError, FieldErrors, NotAuthenticated, NotFound
from aihub.web.context import Page, PageDep, csrf_protect
from aihub.web.pages.catalog_admin_messages import say_error, say_fields

# Included in ``catalog.router``, whose dependencies (CSRF, refusals in the reader's words)
# apply here too.
router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

PER_PAGE = 20
# Form fields have no max_length: the services check every length and the form comes back
# saying which field is too long (FastAPI's check would answer a bare error page instead).
STATUSES = tuple(status.value for status in DataRequestStatus)


def status_labels(page: Page) -> dict[str, str]:
    _ = page.gettext
    return {"received": _("Received"), "under_review": _("Under review"),
            "accepted": _("Accepted"), "fulfilled": _("Fulfilled"), "rejected": _("Rejected")}


@router.get("/data-requests")
def request_list(page: PageDep, status: Annotated[str, Query(max_length=20)] = "",
                 number: Annotated[str, Query(alias="page", max_length=20)] = "1"
                 ) -> HTMLResponse:
    """Requests for data, the most supported first; ``?status=`` keeps one kind."""
    errors = {}
    if status and status not in STATUSES:
        errors["status"] = page.gettext("Choose a status from the list.")
        status = ""
    wanted = int(number) if number.isascii() and number.isdecimal() and 0 < len(number) < 6 \
        else 1
    with page.hub.db.reading() as session:
        listing = list_route(session, page.actor, status or None, max(wanted, 1), PER_PAGE)
    return page.render("catalog/requests.html", {
        "listing": listing, "status": status, "errors": errors,
        "labels": status_labels(page), "pages": max(1, -(-listing.count // PER_PAGE)),
    }, status=422 if errors else 200)


@router.get("/data-requests/new")
def new_request(page: PageDep) -> HTMLResponse:
    page.actor.require_user()
    return page.render("catalog/request_new.html", {"values": {}, "errors": {}})


@router.post("/data-requests/new", response_model=None)
def create_request(
    page: PageDep, title: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    organization: Annotated[str, Form()] = "",
    addressed_to: Annotated[str, Form()] = "",
) -> Response:
    """Ask for data; then the request's own page."""
    page.actor.require_user()
    values = {"title": title, "description": description, "organization": organization,
              "addressed_to": addressed_to}
    try:
        with page.hub.db.transaction() as session:
            request = requests.create_data_request(
                session, page.actor, title=title, description=description,
                organization=organization, addressed_to=addressed_to.strip() or None,
                due_days=page.hub.settings.data_request_days)
            request_id = request.id
    except AihubError as exc:
        fields = (say_fields(page, exc.fields) if isinstance(exc, FieldErrors)
                  else {"form": say_error(page, exc)})
        return page.render("catalog/request_new.html", {"values": values, "errors": fields},
                           status=exc.status_code)
    return page.redirect(f"/data-requests/{request_id}")


def _detail_context(page: Page, request_id: int) -> dict[str, Any]:
    with page.hub.db.reading() as session:
        request = requests.get_data_request(session, request_id)
        out = data_request_out(session, request, page.actor, page.now)
        may_answer = policy.can_answer_data_request(page.actor, request)
        is_open = policy.is_open_request(request)
        own = request.requester_id == page.actor.user_id
    return {
        "r": out, "labels": status_labels(page), "may_answer": may_answer and is_open,
        "may_support": page.actor.user is not None and is_open and not own,
        "errors": {}, "values": {},
    }


@router.get("/data-requests/{request_id}")
def request_view(request_id: RowId, page: PageDep) -> HTMLResponse:
    return page.render("catalog/request.html", _detail_context(page, request_id))


def _change(page: Page, request_id: int, verb: Callable[..., object],
            values: dict[str, str], **kw: object) -> Response:
    """Run one service on the request; back to its page, or the page with the service's
    message next to the form that failed."""
    page.actor.require_user()
    try:
        with page.hub.db.transaction() as session:
            request = requests.get_data_request(session, request_id)
            verb(session, request, page.actor, **kw)
    except (NotFound, NotAuthenticated):
        raise
    except AihubError as exc:
        context = _detail_context(page, request_id)
        # The message shows above the form that was sent, which keeps what was typed.
        context.update(values=values, errors={values["form"]: say_error(page, exc)})
        return page.render("catalog/request.html", context, status=exc.status_code)
    return page.redirect(f"/data-requests/{request_id}")


@router.post("/data-requests/{request_id}/support", response_model=None)
def support(request_id: RowId, page: PageDep,
            support: Annotated[str, Form()] = "1") -> Response:
    """The "me too" toggle: ``support=1`` adds it, ``0`` takes it back."""
    verb = requests.support_data_request if support == "1" else requests.withdraw_support
    return _change(page, request_id, verb, {"form": "support"})


@router.post("/data-requests/{request_id}/answer", response_model=None)
def answer(request_id: RowId, page: PageDep,
           status: Annotated[str, Form()] = "",
           answer: Annotated[str, Form()] = "",
           legal_ground: Annotated[str, Form()] = "") -> Response:
    return _change(page, request_id, requests.answer_data_request,
                   {"form": "answer", "status": status, "answer": answer,
                    "legal_ground": legal_ground},
                   status=status, answer=answer, legal_ground=legal_ground)


@router.post("/data-requests/{request_id}/extend", response_model=None)
def extend(request_id: RowId, page: PageDep,
           reason: Annotated[str, Form()] = "") -> Response:
    return _change(page, request_id, requests.extend_data_request,
                   {"form": "extend", "reason": reason},
                   reason=reason, days=page.hub.settings.data_request_days)


@router.post("/data-requests/{request_id}/fulfil", response_model=None)
def fulfil(request_id: RowId, page: PageDep,
           dataset: Annotated[str, Form()] = "",
           version: Annotated[str, Form()] = "",
           answer: Annotated[str, Form()] = "") -> Response:
    """Answer with a published dataset (and version) the answerer hosts."""
    def link(session: Session, request: DataRequest, actor: Actor) -> None:
        if not dataset.strip():
            raise FieldErrors({"dataset": page.gettext(
                "Name the dataset that answers the request.")})
        found = services.get_visible_dataset(session, dataset.strip(), actor)
        chosen = versions.get_version(session, found, version.strip(), actor) \
            if version.strip() else None
        requests.fulfil_data_request(session, request, actor, found, version=chosen,
                                     answer=answer)

    return _change(page, request_id, _not_found_is_input(link),
                   {"form": "fulfil", "dataset": dataset, "version": version,
                    "answer": answer})


def _not_found_is_input(verb: Callable[..., None]) -> Callable[..., None]:
    # A dataset or version that is not found is a wrong field of the form, not a 404 page.
    def run(*args: Any) -> None:
        try:
            verb(*args)
        except NotFound as exc:
            raise FieldErrors({"dataset": exc.detail}) from None
    return run
