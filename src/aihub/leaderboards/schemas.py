"""API shapes of a leaderboard, its history and its score distribution, built from the one
data function pages share (``leaderboards.cache.board_view``)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from aihub.leaderboards.cache import BoardView


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


class PointOut(BaseModel):
    at: datetime
    score: float


class SeriesOut(BaseModel):
    rank: int
    team: str
    points: list[PointOut]


class HistoryOut(BaseModel):
    """The leading teams' best public score each time it improved (public scores only, on
    the private board too)."""

    challenge: str
    phase: str
    split: str
    metric: str
    direction: str
    series: list[SeriesOut]


class BinOut(BaseModel):
    low: float
    high: float
    count: int


class BaselineOut(BaseModel):
    name: str
    score: float


class DistributionOut(BaseModel):
    """The teams' scores on the board in equal bins; ``open_low``/``open_high``: the first
    (last) bin also holds the few scores beyond its edge."""

    challenge: str
    phase: str
    split: str
    metric: str
    direction: str
    teams: int
    bins: list[BinOut]
    open_low: bool
    open_high: bool
    baselines: list[BaselineOut]


def _head(view: BoardView) -> dict[str, str]:
    return {
        "challenge": view.challenge.slug,
        "phase": view.phase.name,
        "split": view.split.value,
        "metric": view.challenge.metric,
        "direction": view.board.direction.value,
    }


def leaderboard_out(view: BoardView) -> LeaderboardOut:
    return LeaderboardOut(
        **_head(view),
        private_open=view.private_open,
        rows=[
            RowOut(
                rank=row.rank,
                team=row.name,
                score=row.score,
                submitted_at=row.submitted_at,
                entries=row.entries,
                is_baseline=row.is_baseline,
            )
            for row in view.board.rows
        ],
    )


def history_out(view: BoardView) -> HistoryOut:
    return HistoryOut(
        **_head(view),
        series=[
            SeriesOut(
                rank=series.rank,
                team=series.team,
                points=[PointOut(at=p.at, score=p.score) for p in series.points],
            )
            for series in view.board.history
        ],
    )


def distribution_out(view: BoardView) -> DistributionOut:
    spread = view.board.distribution
    return DistributionOut(
        **_head(view),
        teams=spread.teams,
        bins=[BinOut(low=b.low, high=b.high, count=b.count) for b in spread.bins],
        open_low=spread.open_low,
        open_high=spread.open_high,
        baselines=[BaselineOut(name=b.name, score=b.score) for b in spread.baselines],
    )
