"""API shapes of a leaderboard, its history and its score distribution, built from the one
data function pages share (``leaderboards.cache.board_view``, and for a program-scored
board ``leaderboards.columns``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel

from aihub.evaluation.plans import BoardColumn
from aihub.leaderboards.cache import BoardView
from aihub.leaderboards.columns import Values


class RowOut(BaseModel):
    rank: int | None
    team: str
    score: float
    submitted_at: datetime
    entries: int
    is_baseline: bool
    # Program-scored boards: the row's value in each of the board's columns (of the
    # submission it ranks by; a column the program gave no number for is left out).
    scores: dict[str, float] | None = None


class BoardColumnOut(BaseModel):
    """A column of a program-scored board, as the leaderboard page heads it."""

    key: str
    title: str
    precision: int
    # The column the board ranks by (its value is the row's score).
    primary: bool


class LeaderboardOut(BaseModel):
    challenge: str
    phase: str
    split: str
    metric: str
    direction: str
    private_open: bool
    # Program-scored boards: the columns the page shows, in its order (never the hidden
    # ones); None for a board ranked by a built-in metric.
    columns: list[BoardColumnOut] | None = None
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


def leaderboard_out(
    view: BoardView, columns: Sequence[BoardColumn] = (), primary: str = "",
    values: Values | None = None,
) -> LeaderboardOut:
    """The board; a program board's ``columns`` (``columns.public_columns``) with each
    row's ``values`` (``columns.board_values``), as the page shows them."""
    values = values or [None] * len(view.board.rows)
    return LeaderboardOut(
        **_head(view),
        private_open=view.private_open,
        columns=[
            BoardColumnOut(key=column.key, title=column.title, precision=column.precision,
                           primary=column.key == primary)
            for column in columns
        ] if columns else None,
        rows=[
            RowOut(
                rank=row.rank,
                team=row.name,
                score=row.score,
                submitted_at=row.submitted_at,
                entries=row.entries,
                is_baseline=row.is_baseline,
                scores=row_values,
            )
            for row, row_values in zip(view.board.rows, values, strict=True)
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
