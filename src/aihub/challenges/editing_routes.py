"""Hosts' and curators' challenge API beyond bundles: edit a challenge, the challenges a host
manages, and a curator's lists (awaiting approval, private boards still closed)."""

from __future__ import annotations

from fastapi import APIRouter

from aihub.challenges.editing import ChallengeEdit, edit_challenge
from aihub.challenges.hosting import Curation, HostedChallenge, curation, hosted_challenges
from aihub.challenges.schemas import ChallengeDetail, challenge_detail
from aihub.challenges.services import get_visible_challenge
from aihub.db import utcnow
from aihub.deps import ActorDep, HubDep, ReadSession

router = APIRouter(prefix="/api/v1", tags=["challenges"])


@router.patch("/challenges/{slug}", response_model=ChallengeDetail)
def edit_route(slug: str, body: ChallengeEdit, actor: ActorDep, hub: HubDep) -> ChallengeDetail:
    """Change a challenge's texts, visibility, team size and phases (hosts only). The
    evaluation (metric, columns) may change only while nobody has submitted."""
    with hub.db.transaction() as session:
        challenge = get_visible_challenge(session, slug, actor)
        edit_challenge(
            session, hub.storage, hub.truths, actor, challenge, body,
            max_file_bytes=hub.settings.max_upload_bytes,
        )
        return challenge_detail(session, challenge, actor, utcnow())


@router.get("/hosted-challenges", response_model=list[HostedChallenge])
def hosted_route(session: ReadSession, actor: ActorDep) -> list[HostedChallenge]:
    """The challenges you manage, with those still awaiting a curator's approval."""
    return hosted_challenges(session, actor, utcnow())


@router.get("/curation", response_model=Curation)
def curation_route(session: ReadSession, actor: ActorDep) -> Curation:
    """Challenges awaiting approval, and private leaderboards still closed (curators)."""
    return curation(session, actor, utcnow())
