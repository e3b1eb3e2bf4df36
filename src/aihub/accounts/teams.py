"""Teams per challenge: create, invite, answer, leave, and the team of one made at first
submission for a member who formed none."""

from __future__ import annotations

from sqlalchemy import bindparam, exists, func, select, update
from sqlalchemy.orm import Session

from aihub.accounts.actor import Actor
from aihub.accounts.models import InviteStatus, Team, TeamInvite, TeamMember, User
from aihub.accounts.services import actor_for
from aihub.challenges import policy as challenge_policy
from aihub.challenges.models import Challenge
from aihub.challenges.services import is_invited
from aihub.db import utcnow
from aihub.errors import Conflict, Forbidden, InvalidInput, NotFound
from aihub.submissions.models import Submission

MAX_NAME = 100


# Built once: asked in every submit transaction and on every page of a challenge.
_TEAM_OF = (
    select(Team)
    .join(TeamMember, TeamMember.team_id == Team.id)
    .where(
        TeamMember.challenge_id == bindparam("challenge_id"),
        TeamMember.user_id == bindparam("user_id"),
    )
)


def team_of(session: Session, challenge: Challenge, user: User) -> Team | None:
    found = session.execute(_TEAM_OF, {"challenge_id": challenge.id, "user_id": user.id})
    return found.scalar()


def _count_teams(session: Session, challenge_id: int, delta: int) -> None:
    # In SQL, so that two teams made at once both count.
    session.execute(
        update(Challenge)
        .where(Challenge.id == challenge_id)
        .values(team_count=Challenge.team_count + delta)
    )


def member_count(session: Session, team: Team) -> int:
    count = select(func.count(TeamMember.id)).where(TeamMember.team_id == team.id)
    return session.scalar(count) or 0


def _has_submissions(session: Session, team: Team) -> bool:
    return bool(session.scalar(select(exists().where(Submission.team_id == team.id))))


def _free_name(session: Session, challenge: Challenge, wanted: str) -> str:
    name, n = wanted, 1
    while session.scalar(
        select(Team.id).where(Team.challenge_id == challenge.id, Team.name == name)
    ):
        n += 1
        name = f"{wanted}-{n}"
    return name


def create_team(session: Session, challenge: Challenge, actor: Actor, name: str) -> Team:
    user = actor.require_user()
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise InvalidInput(f"A team name needs 1 to {MAX_NAME} characters.")
    if team_of(session, challenge, user) is not None:
        raise Conflict("You are already in a team in this challenge; leave it first.")
    if session.scalar(select(Team.id).where(Team.challenge_id == challenge.id, Team.name == name)):
        raise Conflict(f"A team called {name!r} exists in this challenge; choose another name.")
    team = Team(challenge_id=challenge.id, name=name, created_by_id=user.id)
    session.add(team)
    session.flush()
    session.add(TeamMember(team_id=team.id, challenge_id=challenge.id, user_id=user.id))
    session.flush()
    _count_teams(session, challenge.id, +1)
    return team


def solo_team(session: Session, challenge: Challenge, user: User) -> Team:
    """The member's team, made on the spot (named after them) if they have none."""
    team = team_of(session, challenge, user)
    if team is not None:
        return team
    team = Team(
        challenge_id=challenge.id,
        name=_free_name(session, challenge, user.username),
        created_by_id=user.id,
    )
    session.add(team)
    session.flush()
    session.add(TeamMember(team_id=team.id, challenge_id=challenge.id, user_id=user.id))
    session.flush()
    _count_teams(session, challenge.id, +1)
    return team


def _may_see(session: Session, challenge: Challenge, user: User) -> bool:
    """Whether ``user`` may see ``challenge``, as the challenge's policy decides: a team
    is no way into an invite-only (or not yet approved) challenge."""
    someone = actor_for(session, user)
    return challenge_policy.can_view(
        someone, challenge, invited=is_invited(session, challenge, someone)
    )


def invite(
    session: Session, challenge: Challenge, actor: Actor, invitee: User
) -> TeamInvite:
    user = actor.require_user()
    team = team_of(session, challenge, user)
    if team is None:
        raise Conflict("Create a team first ('aihub teams create'), then invite.")
    if not _may_see(session, challenge, invitee):
        raise Conflict(
            f"{invitee.username} may not take part in this challenge: its hosts invite "
            "the participants of an invite-only challenge. Ask them to invite this person."
        )
    if team_of(session, challenge, invitee) == team:
        raise Conflict(f"{invitee.username} is already in your team.")
    if member_count(session, team) >= challenge.max_team_size:
        raise Conflict(f"Teams in this challenge have at most {challenge.max_team_size} members.")
    pending = session.scalar(
        select(TeamInvite).where(
            TeamInvite.team_id == team.id,
            TeamInvite.user_id == invitee.id,
            TeamInvite.status == InviteStatus.PENDING.value,
        )
    )
    if pending is not None:
        return pending
    invitation = TeamInvite(team_id=team.id, user_id=invitee.id, invited_by_id=user.id)
    session.add(invitation)
    session.flush()
    return invitation


def answer_invite(session: Session, actor: Actor, invite_id: int, *, accept: bool) -> Team:
    user = actor.require_user()
    invitation = session.get(TeamInvite, invite_id)
    if invitation is None or invitation.user_id != user.id:
        raise NotFound(f"You have no invitation with id {invite_id}.")
    if invitation.status != InviteStatus.PENDING.value:
        raise Conflict(f"This invitation was {invitation.status} already.")
    team = session.get(Team, invitation.team_id)
    assert team is not None
    invitation.answered_at = utcnow()
    if not accept:
        invitation.status = InviteStatus.DECLINED.value
        return team
    challenge = session.get(Challenge, team.challenge_id)
    assert challenge is not None
    if not _may_see(session, challenge, user):  # its visibility may have changed since
        raise NotFound(f"You have no invitation with id {invite_id}.")
    current = team_of(session, challenge, user)
    if current is not None:
        if _has_submissions(session, current) or member_count(session, current) > 1:
            raise Conflict(
                "You are in a team that has members or submissions; merging teams is not "
                "supported. Leave your team first, if it has no submissions."
            )
        _remove_member(session, current, user)
    if member_count(session, team) >= challenge.max_team_size:
        raise Conflict(f"Teams in this challenge have at most {challenge.max_team_size} members.")
    session.add(TeamMember(team_id=team.id, challenge_id=challenge.id, user_id=user.id))
    invitation.status = InviteStatus.ACCEPTED.value
    session.flush()
    return team


def leave_team(session: Session, challenge: Challenge, actor: Actor) -> None:
    user = actor.require_user()
    team = team_of(session, challenge, user)
    if team is None:
        raise NotFound("You are not in a team in this challenge.")
    if _has_submissions(session, team):
        raise Forbidden(
            "Your team has submissions, so its members are fixed: they are scored as a team."
        )
    _remove_member(session, team, user)


def _remove_member(session: Session, team: Team, user: User) -> None:
    member = session.scalar(
        select(TeamMember).where(TeamMember.team_id == team.id, TeamMember.user_id == user.id)
    )
    if member is not None:
        session.delete(member)
        session.flush()
    if member_count(session, team) == 0:
        session.delete(team)
        session.flush()
        _count_teams(session, team.challenge_id, -1)


def pending_invites(session: Session, user: User) -> list[TeamInvite]:
    return list(
        session.scalars(
            select(TeamInvite).where(
                TeamInvite.user_id == user.id, TeamInvite.status == InviteStatus.PENDING.value
            )
        )
    )
