"""What a member's own pages show beyond the API's answers: the challenges they take part
in, and the invitations their team has sent. Both are the member's own data only."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from aihub.accounts.actor import Actor
from aihub.accounts.models import InviteStatus, Team, TeamInvite, TeamMember, User
from aihub.challenges import policy
from aihub.challenges.models import Challenge, RulesAcceptance
from aihub.challenges.services import is_invited
from aihub.schemas import Text


@dataclass(frozen=True)
class Taking:
    """A challenge the member joined (accepted its rules) or is in a team of."""

    slug: str
    title: Text
    team: str | None
    accepted_rules: bool


def my_challenges(session: Session, actor: Actor) -> list[Taking]:
    """Newest first; challenges the member may no longer see (an invitation withdrawn, a
    challenge taken back for approval) are left out."""
    user = actor.require_user()
    accepted = set(session.scalars(
        select(RulesAcceptance.challenge_id).where(RulesAcceptance.user_id == user.id)
    ))
    team_names = dict(session.execute(
        select(TeamMember.challenge_id, Team.name)
        .join(Team, Team.id == TeamMember.team_id)
        .where(TeamMember.user_id == user.id)
    ).all())
    ids = accepted | set(team_names)
    if not ids:
        return []
    challenges = session.scalars(
        select(Challenge).where(Challenge.id.in_(ids)).order_by(Challenge.created_at.desc())
    )
    return [
        Taking(
            slug=c.slug, title=Text(ko=c.title_ko, en=c.title_en),
            team=team_names.get(c.id), accepted_rules=c.id in accepted,
        )
        for c in challenges
        if policy.can_view(actor, c, invited=is_invited(session, c, actor))
    ]


def invites_sent(session: Session, team: Team) -> list[str]:
    """Usernames the team has invited and who have not answered yet."""
    return list(session.scalars(
        select(User.username)
        .join(TeamInvite, TeamInvite.user_id == User.id)
        .where(TeamInvite.team_id == team.id, TeamInvite.status == InviteStatus.PENDING.value)
        .order_by(User.username)
    ))
