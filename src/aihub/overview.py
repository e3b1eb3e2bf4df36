"""The hub at a glance: its open challenges and a few figures. The home page and
``GET /api/v1/overview`` share this one data function."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aihub.accounts.actor import Actor
from aihub.challenges.listing import Filters, PhaseStatus, filtered_challenges
from aihub.challenges.models import Challenge, Phase, Visibility
from aihub.challenges.schemas import ChallengeSummary
from aihub.db import utcnow
from aihub.deps import ActorDep, ReadSession
from aihub.evaluation.status import Status
from aihub.submissions.models import Submission

router = APIRouter(prefix="/api/v1", tags=["hub"])


class Figures(BaseModel):
    """Counted over the challenges anyone may find (approved and public), so the figures are
    the same for every reader and say nothing of unlisted or invite-only ones."""

    challenges: int
    teams: int
    submissions_scored: int
    organizations: int


class OverviewOut(BaseModel):
    open_challenges: list[ChallengeSummary]
    figures: Figures


_PUBLIC = select(Challenge.id).where(
    Challenge.approved_at.is_not(None), Challenge.visibility == Visibility.PUBLIC.value
)


def figures(session: Session) -> Figures:
    challenges, organizations, teams = session.execute(
        select(func.count(Challenge.id), func.count(func.distinct(Challenge.organization_id)),
               func.sum(Challenge.team_count))
        .where(Challenge.id.in_(_PUBLIC))
    ).one()
    # By phase and status, as the index on submissions is: counted from the index alone,
    # without reading 100,000 rows. Baselines count too: they are scored submissions.
    scored = session.scalar(
        select(func.count()).select_from(Submission).where(
            Submission.phase_id.in_(select(Phase.id).where(Phase.challenge_id.in_(_PUBLIC))),
            Submission.status == Status.FINISHED.value,
        )
    )
    return Figures(
        challenges=challenges, teams=teams or 0, submissions_scored=scored or 0,
        organizations=organizations,
    )


def overview(session: Session, actor: Actor, now: datetime) -> OverviewOut:
    listing = filtered_challenges(session, actor, Filters(status=PhaseStatus.OPEN), now)
    # The soonest to close first: those are the ones a visitor could still miss.
    ordered = sorted(listing.challenges, key=lambda summary: summary.phase.ends_at)
    return OverviewOut(open_challenges=ordered, figures=figures(session))


@router.get("/overview", response_model=OverviewOut)
def overview_route(session: ReadSession, actor: ActorDep) -> OverviewOut:
    """Open challenges (as the reader may list them) and the hub's public figures."""
    return overview(session, actor, utcnow())
