"""Teams: a member's team in a challenge (create, invite, leave) and the invitations waiting
for the member. Included by ``participate.router``.

The team and the invitations shown are the API's answers (``my_team_route``,
``invites_route``); the changes call the verbs of ``accounts.teams``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from aihub.accounts import routes as account_api
from aihub.accounts import services as accounts
from aihub.accounts import teams
from aihub.accounts.profile import invites_sent
from aihub.challenges.models import Challenge
from aihub.challenges.schemas import challenge_detail
from aihub.challenges.services import get_visible_challenge
from aihub.deps import RowId
from aihub.errors import AihubError, NotFound
from aihub.web.context import Page, PageDep, csrf_protect
from aihub.web.pages.language import local_path

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

Field = Annotated[str, Form()]


def _team_context(page: Page, slug: str) -> dict[str, Any]:
    user = page.actor.require_user()
    with page.hub.db.reading() as session:
        challenge = get_visible_challenge(session, slug, page.actor)
        detail = challenge_detail(session, challenge, page.actor, page.now)
        mine = account_api.my_team_route(slug, session, page.actor)
        own = teams.team_of(session, challenge, user)
        sent = invites_sent(session, own) if own else []
        received = [i for i in account_api.invites_route(session, page.actor)
                    if i.challenge == slug]
    return {
        "detail": detail, "team": mine, "sent": sent, "received": received,
        "values": {"name": "", "username": ""}, "errors": {},
    }


def _team_page(page: Page, slug: str, status: int = 200, *, values: dict[str, str] | None = None,
               errors: dict[str, str] | None = None) -> HTMLResponse:
    context = _team_context(page, slug)
    context["values"].update(values or {})
    context["errors"] = errors or {}
    return page.render("participate/team.html", context, status=status)


def _change(page: Page, slug: str, field: str, value: str,
            change: Callable[[Session, Challenge], object]) -> Response:
    """Run ``change(session, challenge)`` in a transaction; a refusal (rolled back) comes
    back as the team page with the reason next to ``field`` and ``value`` kept."""
    with page.hub.db.reading() as session:
        get_visible_challenge(session, slug, page.actor)  # not found: the error page
    try:
        with page.hub.db.transaction() as session:
            change(session, get_visible_challenge(session, slug, page.actor))
    except AihubError as exc:
        # An unknown username is a wrong field, not a missing page.
        status = 422 if isinstance(exc, NotFound) else exc.status_code
        return _team_page(page, slug, status, values={field: value},
                          errors={field: exc.detail})
    return page.redirect(f"/challenges/{slug}/team")


@router.get("/challenges/{slug}/team")
def team_page(slug: str, page: PageDep) -> HTMLResponse:
    return _team_page(page, slug)


@router.post("/challenges/{slug}/team")
def team_create(slug: str, page: PageDep, name: Field = "") -> Response:
    page.actor.require_user()
    return _change(page, slug, "name", name,
                   lambda session, challenge: teams.create_team(session, challenge, page.actor,
                                                                name))


@router.post("/challenges/{slug}/team/invite")
def team_invite(slug: str, page: PageDep, username: Field = "") -> Response:
    page.actor.require_user()

    def invite(session: Session, challenge: Challenge) -> None:
        teams.invite(session, challenge, page.actor, accounts.get_user(session, username.strip()))

    return _change(page, slug, "username", username, invite)


@router.post("/challenges/{slug}/team/leave")
def team_leave(slug: str, page: PageDep) -> Response:
    page.actor.require_user()
    return _change(page, slug, "leave", "",
                   lambda session, challenge: teams.leave_team(session, challenge, page.actor))


# Invitations ------------------------------------------------------------------------------

def _invites_page(page: Page, status: int = 200, error: str = "") -> HTMLResponse:
    with page.hub.db.reading() as session:
        invites = account_api.invites_route(session, page.actor)
    return page.render("participate/invites.html", {"invites": invites, "error": error},
                       status=status)


@router.get("/me/invites")
def invites(page: PageDep) -> HTMLResponse:
    page.actor.require_user()
    return _invites_page(page)


@router.post("/me/invites/{invite_id}")
def invite_answer(
    invite_id: RowId, page: PageDep, answer: Field = "",
    next_path: Annotated[str, Form(alias="next")] = "",
) -> Response:
    page.actor.require_user()
    if answer not in ("accept", "decline"):
        return _invites_page(page, 422, page.gettext("Choose to accept or to decline."))
    try:
        with page.hub.db.transaction() as session:
            joined = teams.answer_invite(session, page.actor, invite_id, accept=answer == "accept")
            challenge = session.get(Challenge, joined.challenge_id)
            assert challenge is not None  # a team's challenge outlives it
            slug = challenge.slug
    except AihubError as exc:
        if exc.status_code == 404:
            raise
        return _invites_page(page, exc.status_code, exc.detail)
    default = f"/challenges/{slug}/team" if answer == "accept" else "/me/invites"
    return page.redirect(local_path(next_path, default))
