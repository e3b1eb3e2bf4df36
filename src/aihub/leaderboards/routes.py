"""Leaderboard API."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from aihub.challenges.services import get_phase, get_visible_challenge
from aihub.db import utcnow
from aihub.deps import ActorDep, ReadSession
from aihub.leaderboards.schemas import LeaderboardOut, leaderboard_out
from aihub.leaderboards.services import Split, leaderboard

router = APIRouter(prefix="/api/v1", tags=["leaderboards"])


@router.get("/challenges/{slug}/leaderboard", response_model=LeaderboardOut)
def leaderboard_route(
    slug: str,
    session: ReadSession,
    actor: ActorDep,
    split: Annotated[Split, Query(description="public, or private once it opens")] = Split.PUBLIC,
    phase: Annotated[str | None, Query(description="phase name; default: the current")] = None,
    lang: Literal["ko", "en"] = "ko",
) -> LeaderboardOut:
    challenge = get_visible_challenge(session, slug, actor)
    now = utcnow()
    board = leaderboard(
        session, challenge, get_phase(challenge, phase, now), actor, split=split, now=now,
        lang=lang,
    )
    return leaderboard_out(board)
