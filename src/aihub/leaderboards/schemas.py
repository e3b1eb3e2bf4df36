"""API shape of a leaderboard, built by the one data function pages share."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from aihub.leaderboards.services import Board


class RowOut(BaseModel):
    rank: int | None
    team: str
    score: float
    submitted_at: datetime
    entries: int
    is_baseline: bool


class LeaderboardOut(BaseModel):
    challenge: str
    phase: str
    split: str
    metric: str
    direction: str
    private_open: bool
    rows: list[RowOut]


def leaderboard_out(board: Board) -> LeaderboardOut:
    return LeaderboardOut(
        challenge=board.challenge.slug,
        phase=board.phase.name,
        split=board.split.value,
        metric=board.challenge.metric,
        direction=board.direction.value,
        private_open=board.private_open,
        rows=[
            RowOut(
                rank=row.rank,
                team=row.name,
                score=row.score,
                submitted_at=row.submitted_at,
                entries=row.entries,
                is_baseline=row.is_baseline,
            )
            for row in board.rows
        ],
    )
