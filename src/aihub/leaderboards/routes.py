"""Leaderboard API: the board, its history and its score distribution."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from aihub.accounts.actor import Actor
from aihub.challenges.services import get_phase, get_visible_challenge
from aihub.db import utcnow
from aihub.deps import ActorDep, HubDep, ReadSession
from aihub.hub import Hub
from aihub.leaderboards.cache import BoardView, board_view, cache_of
from aihub.leaderboards.columns import board_values, public_columns
from aihub.leaderboards.schemas import (
    DistributionOut,
    HistoryOut,
    LeaderboardOut,
    distribution_out,
    history_out,
    leaderboard_out,
)
from aihub.leaderboards.services import Split

router = APIRouter(prefix="/api/v1", tags=["leaderboards"])

SplitQuery = Annotated[Split, Query(description="public, or private once it opens")]
PhaseQuery = Annotated[str | None, Query(description="phase name; default: the current")]
LangQuery = Annotated[Literal["ko", "en"], Query(description="language of baseline names")]


def _view(
    session: Session, hub: Hub, actor: Actor, slug: str, split: Split, phase: str | None,
    lang: str,
) -> BoardView:
    challenge = get_visible_challenge(session, slug, actor)
    now = utcnow()
    return board_view(
        session, cache_of(hub.db), challenge, get_phase(challenge, phase, now), actor,
        split=split, now=now, lang=lang,
    )


@router.get("/challenges/{slug}/leaderboard", response_model=LeaderboardOut)
def leaderboard_route(
    slug: str, session: ReadSession, actor: ActorDep, hub: HubDep,
    split: SplitQuery = Split.PUBLIC, phase: PhaseQuery = None, lang: LangQuery = "ko",
) -> LeaderboardOut:
    """One row per team (and baseline); a program-scored board adds its columns and each
    row's values in them, as the leaderboard page shows them."""
    view = _view(session, hub, actor, slug, split, phase, lang)
    columns, primary = public_columns(view.challenge)
    return leaderboard_out(view, columns, primary, board_values(session, view, columns))


@router.get("/challenges/{slug}/leaderboard/history", response_model=HistoryOut)
def history_route(
    slug: str, session: ReadSession, actor: ActorDep, hub: HubDep,
    split: SplitQuery = Split.PUBLIC, phase: PhaseQuery = None, lang: LangQuery = "ko",
) -> HistoryOut:
    """The ten leading teams' best public score over time (step lines)."""
    return history_out(_view(session, hub, actor, slug, split, phase, lang))


@router.get("/challenges/{slug}/leaderboard/distribution", response_model=DistributionOut)
def distribution_route(
    slug: str, session: ReadSession, actor: ActorDep, hub: HubDep,
    split: SplitQuery = Split.PUBLIC, phase: PhaseQuery = None, lang: LangQuery = "ko",
) -> DistributionOut:
    """How the teams' scores on the board spread, in equal bins."""
    return distribution_out(_view(session, hub, actor, slug, split, phase, lang))
