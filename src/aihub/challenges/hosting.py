"""The lists hosts and curators work from: the challenges a host manages (approved or not),
the challenges waiting for a curator, and the private boards a curator may open early.

Each is one data function shared by a page and a JSON route.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from aihub.accounts.actor import Actor
from aihub.accounts.models import Organization
from aihub.challenges import policy
from aihub.challenges.models import Challenge
from aihub.challenges.schemas import ChallengeSummary, OrganizationOut, challenge_summary
from aihub.challenges.services import SUMMARY_LOADS, current_phase
from aihub.errors import Forbidden
from aihub.evaluation.status import Status
from aihub.schemas import Text
from aihub.submissions.models import Submission


def creatable_organizations(session: Session, actor: Actor) -> list[OrganizationOut]:
    """The organizations ``actor`` may create a challenge for, by slug."""
    orgs = session.scalars(select(Organization).order_by(Organization.slug))
    return [
        OrganizationOut(slug=org.slug, name=Text(ko=org.name_ko, en=org.name_en or org.name_ko))
        for org in orgs if policy.can_create_in(actor, org.id)
    ]


class SubmissionCounts(BaseModel):
    total: int = 0
    waiting: int = 0
    failed: int = 0


class HostedChallenge(BaseModel):
    challenge: ChallengeSummary
    created_at: datetime
    submissions: SubmissionCounts


def _counts(session: Session, ids: list[int]) -> dict[int, SubmissionCounts]:
    waiting = (Status.QUEUED.value, Status.RUNNING.value)
    rows = session.execute(
        select(
            Submission.challenge_id,
            func.count(Submission.id),
            func.sum(case((Submission.status.in_(waiting), 1), else_=0)),
            func.sum(case((Submission.status == Status.FAILED.value, 1), else_=0)),
        )
        .where(Submission.challenge_id.in_(ids))
        .group_by(Submission.challenge_id)
    )
    return {
        challenge_id: SubmissionCounts(total=total, waiting=int(w or 0), failed=int(f or 0))
        for challenge_id, total, w, f in rows
    }


def hosted_challenges(session: Session, actor: Actor, now: datetime) -> list[HostedChallenge]:
    """The challenges ``actor`` manages, newest first, with those awaiting approval; a
    curator manages every challenge."""
    actor.require_user()
    if not policy.may_host(actor):
        raise Forbidden("Only hosts (members of an organization) and curators host challenges.")
    query = select(Challenge).options(*SUMMARY_LOADS).order_by(
        Challenge.created_at.desc(), Challenge.id.desc()
    )
    if not actor.is_curator:
        query = query.where(Challenge.organization_id.in_(actor.org_ids))
    challenges = [c for c in session.scalars(query).unique() if policy.can_manage(actor, c)]
    counts = _counts(session, [c.id for c in challenges])
    return [
        HostedChallenge(
            challenge=challenge_summary(session, c, now), created_at=c.created_at,
            submissions=counts.get(c.id, SubmissionCounts()),
        )
        for c in challenges
    ]


class CuratorChallenge(BaseModel):
    challenge: ChallengeSummary
    created_at: datetime
    # When the private board of the current phase opens by itself (the phase's end).
    private_opens_at: datetime
    # Its code (or its host's scoring program) runs in a sandbox, and where it may run.
    runs_code: bool = False
    reduced_sandbox_allowed: bool = False


class Curation(BaseModel):
    awaiting_approval: list[CuratorChallenge]
    # Approved challenges whose private board is still closed: a curator may open one early.
    private_closed: list[CuratorChallenge]
    # Challenges that run code: a curator chooses whether the reduced sandbox may run it.
    running_code: list[CuratorChallenge] = []


def curation(session: Session, actor: Actor, now: datetime) -> Curation:
    actor.require_user()
    if not (policy.can_approve(actor) and policy.can_reveal(actor)):
        raise Forbidden("Only curators approve challenges and open private leaderboards.")
    waiting: list[CuratorChallenge] = []
    closed: list[CuratorChallenge] = []
    running: list[CuratorChallenge] = []
    ordered = select(Challenge).options(*SUMMARY_LOADS).order_by(Challenge.created_at)
    for challenge in session.scalars(ordered).unique():
        phase = current_phase(challenge, now)
        item = CuratorChallenge(
            challenge=challenge_summary(session, challenge, now),
            created_at=challenge.created_at, private_opens_at=phase.ends_at,
            runs_code=challenge.runs_code,
            reduced_sandbox_allowed=challenge.sandbox_fallback_allowed,
        )
        if item.runs_code:
            running.append(item)
        if challenge.approved_at is None:
            waiting.append(item)
        elif not policy.private_board_open(challenge, phase, now):
            closed.append(item)
    return Curation(awaiting_approval=waiting, private_closed=closed, running_code=running)
