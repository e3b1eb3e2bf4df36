"""Curators' pages: approve challenges, users and organizations, reveal, job queue.

Each page calls the data function its JSON route calls (``challenges.hosting.curation``,
``accounts.admin``, ``evaluation.overview.job_overview``); the services check that a
curator asks, and so does every page first, for one clear answer to everybody else.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query
from fastapi.responses import HTMLResponse
from starlette.responses import Response

from aihub.accounts import admin
from aihub.accounts import policy as accounts_policy
from aihub.accounts.actor import Actor
from aihub.challenges import policy as challenge_policy
from aihub.challenges.bundle import SLUG_PATTERN
from aihub.challenges.editing import field_errors
from aihub.challenges.hosting import curation
from aihub.challenges.schemas import challenge_detail
from aihub.challenges.services import (
    allow_reduced_sandbox,
    approve,
    get_visible_challenge,
    reveal_private,
)
from aihub.errors import Conflict, Forbidden, InvalidInput, NotFound
from aihub.evaluation import policy as evaluation_policy
from aihub.evaluation.overview import job_overview
from aihub.evaluation.runner_api import RunnerOut
from aihub.evaluation.runners import SEEN_EVERY, list_runners
from aihub.web.context import Page, PageDep, csrf_protect

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

Flag = Annotated[str, Form()]


def _require(page: Page, allowed: Callable[[Actor], bool]) -> None:
    """Refuse the page at once, before any work, unless the domain's policy ``allowed``
    it (the services ask again when they act)."""
    page.actor.require_user()
    if not allowed(page.actor):
        raise Forbidden(page.gettext("Only curators have these pages."))


def _yes(value: str) -> bool:
    return value in {"1", "true", "on", "yes"}


# --- Challenges: approval and early reveal ----------------------------------------------


@router.get("/curator", response_class=HTMLResponse)
def curator_index(page: PageDep) -> HTMLResponse:
    _require(page, challenge_policy.can_approve)
    with page.hub.db.reading() as session:
        lists = curation(session, page.actor, page.now)
    # Said back only when it is a challenge's name: the address must not put words on the page.
    done = {key: value for key in ("approved", "revealed", "sandbox")
            if re.fullmatch(SLUG_PATTERN, value := page.request.query_params.get(key, ""))}
    return page.render("curator/index.html", {"curation": lists, "done": done})


@router.post("/curator/challenges/{slug}/approve")
def approve_challenge(slug: str, page: PageDep) -> Response:
    _require(page, challenge_policy.can_approve)
    with page.hub.db.transaction() as session:
        challenge = get_visible_challenge(session, slug, page.actor)
        approve(session, challenge, page.actor, page.now)
    return page.redirect(f"/curator?approved={slug}")


@router.post("/curator/challenges/{slug}/sandbox")
def choose_sandbox(slug: str, page: PageDep,
                   reduced_allowed: Annotated[str, Form(max_length=8)] = "") -> Response:
    _require(page, challenge_policy.can_allow_reduced_sandbox)
    with page.hub.db.transaction() as session:
        challenge = get_visible_challenge(session, slug, page.actor)
        allow_reduced_sandbox(challenge, page.actor, _yes(reduced_allowed))
    return page.redirect(f"/curator?sandbox={slug}")


@router.get("/curator/challenges/{slug}/reveal", response_class=HTMLResponse)
def reveal_form(slug: str, page: PageDep) -> HTMLResponse:
    """The confirm step: opening a private board cannot be undone."""
    _require(page, challenge_policy.can_reveal)
    with page.hub.db.reading() as session:
        challenge = get_visible_challenge(session, slug, page.actor)
        detail = challenge_detail(session, challenge, page.actor, page.now)
    return page.render("curator/reveal.html", {"detail": detail})


@router.post("/curator/challenges/{slug}/reveal")
def reveal(slug: str, page: PageDep) -> Response:
    _require(page, challenge_policy.can_reveal)
    with page.hub.db.transaction() as session:
        challenge = get_visible_challenge(session, slug, page.actor)
        reveal_private(session, challenge, page.actor)
    return page.redirect(f"/curator?revealed={slug}")


# --- People -----------------------------------------------------------------------------


def _users_page(
    page: Page, query: str, number: int, *, message: str = "", status: int = 200
) -> HTMLResponse:
    with page.hub.db.reading() as session:
        found = admin.search_users(session, page.actor, query, page=number)
    return page.render("curator/users.html", {"found": found, "message": message},
                       status=status)


@router.get("/curator/users", response_class=HTMLResponse)
def users(
    page: PageDep,
    q: Annotated[str, Query(max_length=100)] = "",
    number: Annotated[int, Query(alias="page", ge=1)] = 1,
) -> HTMLResponse:
    _require(page, accounts_policy.can_administer)
    return _users_page(page, q, number)


def _back_to_users(q: str, number: int) -> str:
    return "/curator/users?" + urlencode({"q": q, "page": number})


@router.post("/curator/users/{username}/active")
def set_active(
    username: str, page: PageDep, active: Flag, q: Flag = "", number: Annotated[int, Form()] = 1,
) -> Response:
    _require(page, accounts_policy.can_administer)
    try:
        with page.hub.db.transaction() as session:
            admin.set_active(session, page.actor, username, active=_yes(active))
    except Conflict as exc:
        return _users_page(page, q, number, message=exc.detail, status=exc.status_code)
    return page.redirect(_back_to_users(q, number))


@router.post("/curator/users/{username}/curator")
def set_curator(
    username: str, page: PageDep, curator: Flag, q: Flag = "",
    number: Annotated[int, Form()] = 1,
) -> Response:
    _require(page, accounts_policy.can_administer)
    try:
        with page.hub.db.transaction() as session:
            admin.set_curator(session, page.actor, username, curator=_yes(curator))
    except Conflict as exc:
        return _users_page(page, q, number, message=exc.detail, status=exc.status_code)
    return page.redirect(_back_to_users(q, number))


# --- Organizations ----------------------------------------------------------------------


def _organizations_page(
    page: Page, *, new: dict[str, str] | None = None, new_errors: dict[str, str] | None = None,
    member_for: str = "", member: dict[str, str] | None = None,
    member_errors: dict[str, str] | None = None, status: int = 200,
) -> HTMLResponse:
    with page.hub.db.reading() as session:
        organizations = admin.list_organizations(session, page.actor)
    context: dict[str, Any] = {
        "organizations": organizations, "new": new or {}, "new_errors": new_errors or {},
        "member_for": member_for, "member": member or {}, "member_errors": member_errors or {},
    }
    return page.render("curator/organizations.html", context, status=status)


@router.get("/curator/organizations", response_class=HTMLResponse)
def organizations(page: PageDep) -> HTMLResponse:
    _require(page, accounts_policy.can_administer)
    return _organizations_page(page)


@router.post("/curator/organizations")
def create_organization(
    page: PageDep, slug: Flag = "", name_ko: Flag = "", name_en: Flag = "",
    can_host: Flag = "",
) -> Response:
    _require(page, accounts_policy.can_administer)
    try:
        with page.hub.db.transaction() as session:
            admin.create_organization(session, page.actor, slug=slug, name_ko=name_ko,
                                      name_en=name_en, can_host=_yes(can_host))
    except (InvalidInput, Conflict) as exc:
        typed = {"slug": slug, "name_ko": name_ko, "name_en": name_en, "can_host": can_host}
        return _organizations_page(page, new=typed, new_errors=field_errors(exc), status=422)
    return page.redirect(f"/curator/organizations#org-{slug.strip()}")


@router.post("/curator/organizations/{slug}/hosting")
def set_hosting(slug: str, page: PageDep, can_host: Flag) -> Response:
    _require(page, accounts_policy.can_administer)
    with page.hub.db.transaction() as session:
        admin.set_hosting(session, page.actor, slug, can_host=_yes(can_host))
    return page.redirect(f"/curator/organizations#org-{slug}")


@router.post("/curator/organizations/{slug}/members")
def add_member(
    slug: str, page: PageDep, username: Flag = "", role: Flag = "member"
) -> Response:
    _require(page, accounts_policy.can_administer)
    try:
        with page.hub.db.transaction() as session:
            admin.add_member(session, page.actor, slug, username, role=role)
    except InvalidInput as exc:
        return _organizations_page(
            page, member_for=slug, member={"username": username, "role": role},
            member_errors=field_errors(exc), status=422,
        )
    return page.redirect(f"/curator/organizations#org-{slug}")


@router.post("/curator/organizations/{slug}/members/{username}/remove")
def remove_member(slug: str, username: str, page: PageDep) -> Response:
    _require(page, accounts_policy.can_administer)
    try:
        with page.hub.db.transaction() as session:
            admin.remove_member(session, page.actor, slug, username)
    except NotFound:
        pass  # removed already, by another curator or an earlier click: the same outcome
    return page.redirect(f"/curator/organizations#org-{slug}")


# --- The job queue ----------------------------------------------------------------------


@router.get("/curator/jobs", response_class=HTMLResponse)
def jobs(page: PageDep) -> HTMLResponse:
    _require(page, evaluation_policy.can_see_queue)
    with page.hub.db.reading() as session:
        overview = job_overview(session, page.actor, page.now)
        # The API's GET /runners rows: organizers' machines that pull jobs over HTTPS.
        machines = [RunnerOut.of(runner) for runner in list_runners(session, page.actor)]
    template = "curator/_jobs.html" if page.is_htmx else "curator/jobs.html"
    return page.render(template, {"overview": overview, "runners": machines,
                                  "seen_within": SEEN_EVERY * 4})
