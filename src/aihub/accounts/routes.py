"""Account API: who am I, tokens, teams and invitations."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, status
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from aihub.accounts import services, teams
from aihub.accounts.models import Organization, Team, TeamInvite, TeamMember, User
from aihub.challenges.models import Challenge
from aihub.challenges.services import get_visible_challenge
from aihub.deps import ActorDep, HubDep, ReadSession, RowId

router = APIRouter(prefix="/api/v1", tags=["accounts"])


class MeOut(BaseModel):
    username: str
    display_name: str
    is_curator: bool
    organizations: list[str]
    hosting: list[str]


@router.get("/me", response_model=MeOut)
def me_route(session: ReadSession, actor: ActorDep) -> MeOut:
    user = actor.require_user()
    # Rows, not the Result: a Result has keys(), so dict() would take it for a mapping.
    slugs = dict(
        session.execute(
            select(Organization.id, Organization.slug).where(
                Organization.id.in_(actor.org_ids)
            )
        ).all()
    )
    return MeOut(
        username=user.username,
        display_name=user.display_name,
        is_curator=user.is_curator,
        organizations=sorted(slugs.values()),
        hosting=sorted(slugs[i] for i in actor.hosting_org_ids),
    )


class TokenIn(BaseModel):
    name: str = "api"


class TokenOut(BaseModel):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class NewTokenOut(TokenOut):
    token: str


@router.get("/tokens", response_model=list[TokenOut])
def tokens_route(session: ReadSession, actor: ActorDep) -> list[TokenOut]:
    return [
        TokenOut.model_validate(t, from_attributes=True)
        for t in services.list_tokens(session, actor.require_user())
    ]


@router.post("/tokens", response_model=NewTokenOut, status_code=status.HTTP_201_CREATED)
def create_token_route(body: TokenIn, actor: ActorDep, hub: HubDep) -> NewTokenOut:
    """Create a token. It is shown only in this answer: store it now."""
    with hub.db.transaction() as session:
        token, plain = services.create_token(session, actor.require_user(), name=body.name)
        return NewTokenOut(
            **TokenOut.model_validate(token, from_attributes=True).model_dump(), token=plain
        )


@router.delete("/tokens/{token_id}", response_model=TokenOut)
def revoke_token_route(token_id: RowId, actor: ActorDep, hub: HubDep) -> TokenOut:
    with hub.db.transaction() as session:
        actor.require_user()
        token = services.revoke_token(session, actor, token_id)
        return TokenOut.model_validate(token, from_attributes=True)


class TeamIn(BaseModel):
    name: str


class TeamOut(BaseModel):
    challenge: str
    name: str
    members: list[str]


def _team_out(session: Session, slug: str, team: Team) -> TeamOut:
    members = session.scalars(
        select(User.username)
        .join(TeamMember, TeamMember.user_id == User.id)
        .where(TeamMember.team_id == team.id)
        .order_by(User.username)
    ).all()
    return TeamOut(challenge=slug, name=team.name, members=list(members))


@router.get("/challenges/{slug}/team", response_model=TeamOut | None)
def my_team_route(slug: str, session: ReadSession, actor: ActorDep) -> TeamOut | None:
    challenge = get_visible_challenge(session, slug, actor)
    team = teams.team_of(session, challenge, actor.require_user())
    return _team_out(session, slug, team) if team else None


@router.post(
    "/challenges/{slug}/teams", response_model=TeamOut, status_code=status.HTTP_201_CREATED
)
def create_team_route(slug: str, body: TeamIn, actor: ActorDep, hub: HubDep) -> TeamOut:
    with hub.db.transaction() as session:
        challenge = get_visible_challenge(session, slug, actor)
        team = teams.create_team(session, challenge, actor, body.name)
        return _team_out(session, slug, team)


class InviteIn(BaseModel):
    username: str


class InviteOut(BaseModel):
    id: int
    challenge: str
    team: str
    invited_by: str
    status: str
    created_at: datetime


def _invite_out(session: Session, invite_id: int) -> InviteOut:
    invitation = session.get(TeamInvite, invite_id)
    assert invitation is not None
    team = session.get(Team, invitation.team_id)
    inviter = session.get(User, invitation.invited_by_id)
    assert team is not None and inviter is not None
    challenge = session.get(Challenge, team.challenge_id)
    assert challenge is not None
    return InviteOut(
        id=invitation.id,
        challenge=challenge.slug,
        team=team.name,
        invited_by=inviter.username,
        status=invitation.status,
        created_at=invitation.created_at,
    )


@router.post(
    "/challenges/{slug}/team/invites",
    response_model=InviteOut,
    status_code=status.HTTP_201_CREATED,
)
def invite_route(slug: str, body: InviteIn, actor: ActorDep, hub: HubDep) -> InviteOut:
    """Invite a member to your team in this challenge."""
    with hub.db.transaction() as session:
        challenge = get_visible_challenge(session, slug, actor)
        invitation = teams.invite(
            session, challenge, actor, services.get_user(session, body.username)
        )
        return _invite_out(session, invitation.id)


@router.get("/invites", response_model=list[InviteOut])
def invites_route(session: ReadSession, actor: ActorDep) -> list[InviteOut]:
    """Your pending team invitations."""
    return [
        _invite_out(session, i.id)
        for i in teams.pending_invites(session, actor.require_user())
    ]


class AnswerIn(BaseModel):
    accept: bool


@router.post("/invites/{invite_id}", response_model=TeamOut)
def answer_route(invite_id: RowId, body: AnswerIn, actor: ActorDep, hub: HubDep) -> TeamOut:
    with hub.db.transaction() as session:
        team = teams.answer_invite(session, actor, invite_id, accept=body.accept)
        challenge = session.get(Challenge, team.challenge_id)
        assert challenge is not None
        return _team_out(session, challenge.slug, team)


@router.delete("/challenges/{slug}/team", status_code=status.HTTP_204_NO_CONTENT)
def leave_route(slug: str, actor: ActorDep, hub: HubDep) -> None:
    with hub.db.transaction() as session:
        challenge = get_visible_challenge(session, slug, actor)
        teams.leave_team(session, challenge, actor)
