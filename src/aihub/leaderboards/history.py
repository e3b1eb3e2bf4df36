"""A leaderboard over time and across teams: the leading teams' best public score through the
phase (drawn as step lines) and how all teams' scores spread (a histogram).

History plots public scores only, on either board. On the private board the lines are those
of the private leaders, but their values stay public: a team's private scores other than the
one its final selections earn are never shown to other teams, not even after the board opens.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from aihub.evaluation.metrics.base import Direction
from aihub.evaluation.status import Status
from aihub.leaderboards.services import Row
from aihub.submissions.models import Submission

HISTORY_TEAMS = 10
MAX_BINS = 20
# With many teams a few broken submissions (an RMSE of a million) would squeeze everyone
# else into one bar; past this many teams the outer 1% on each side share the end bars.
CLIP_FROM = 100
CLIP_QUANTILE = 0.01


@dataclass(frozen=True)
class Point:
    at: datetime
    score: float


@dataclass(frozen=True)
class Series:
    """One team's best public score, each time it improved."""

    team_id: int
    team: str
    rank: int
    points: tuple[Point, ...]


@dataclass(frozen=True)
class Bin:
    low: float
    high: float
    count: int


@dataclass(frozen=True)
class Baseline:
    name: str
    score: float


@dataclass(frozen=True)
class Distribution:
    """Teams' board scores in equal-width bins. ``open_low``: the first bin also holds every
    score below its ``low``; ``open_high``: the last also holds every score above its
    ``high``."""

    bins: tuple[Bin, ...]
    teams: int
    open_low: bool
    open_high: bool
    baselines: tuple[Baseline, ...]


# Built once: the statement is the same on every board computed.
_TEAM_SUBMISSIONS = (
    select(Submission.team_id, Submission.public_score, Submission.created_at)
    .where(
        Submission.phase_id == bindparam("phase_id"),
        Submission.team_id.in_(bindparam("team_ids", expanding=True)),
        Submission.status == Status.FINISHED.value,
        Submission.public_score.is_not(None),
    )
    .order_by(Submission.created_at, Submission.id)
)


def _better(direction: Direction, new: float, old: float) -> bool:
    return new > old if direction is Direction.MAXIMIZE else new < old


def score_history(
    session: Session, phase_id: int, rows: Sequence[Row], direction: Direction
) -> tuple[Series, ...]:
    """The best public score over time of the first ``HISTORY_TEAMS`` ranked teams of
    ``rows``, in their board order; a point each time a team's best improved."""
    leaders = [row for row in rows if row.rank is not None and row.team_id is not None]
    leaders = leaders[:HISTORY_TEAMS]
    if not leaders:
        return ()
    points: dict[int, list[Point]] = {row.team_id: [] for row in leaders if row.team_id}
    best: dict[int, float] = {}
    found = session.execute(
        _TEAM_SUBMISSIONS, {"phase_id": phase_id, "team_ids": list(points)}
    )
    for team_id, score, at in found:
        if score is None or team_id is None:
            continue
        if team_id not in best or _better(direction, score, best[team_id]):
            best[team_id] = score
            points[team_id].append(Point(at=at, score=float(score)))
    return tuple(
        Series(team_id=row.team_id, team=row.name, rank=row.rank, points=tuple(points[row.team_id]))
        for row in leaders
        if row.team_id is not None and row.rank is not None
    )


def _quantile(ordered: Sequence[float], q: float) -> float:
    position = q * (len(ordered) - 1)
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


def score_distribution(rows: Sequence[Row]) -> Distribution:
    """The teams' scores on this board (baselines apart) in at most ``MAX_BINS`` bins."""
    values = sorted(row.score for row in rows if not row.is_baseline and math.isfinite(row.score))
    baselines = tuple(Baseline(row.name, row.score) for row in rows if row.is_baseline)
    if not values:
        return Distribution((), 0, open_low=False, open_high=False, baselines=baselines)
    low, high = values[0], values[-1]
    if len(values) >= CLIP_FROM:
        low = _quantile(values, CLIP_QUANTILE)
        high = _quantile(values, 1 - CLIP_QUANTILE)
    open_low, open_high = values[0] < low, values[-1] > high
    if high <= low:
        return Distribution((Bin(low, high, len(values)),), len(values), open_low=open_low,
                            open_high=open_high, baselines=baselines)
    count = min(MAX_BINS, max(5, math.ceil(math.sqrt(len(values)))))
    width = (high - low) / count
    counts = [0] * count
    for value in values:
        counts[min(count - 1, max(0, int((value - low) / width)))] += 1
    bins = tuple(
        Bin(low + i * width, high if i == count - 1 else low + (i + 1) * width, counts[i])
        for i in range(count)
    )
    return Distribution(bins, len(values), open_low=open_low, open_high=open_high,
                        baselines=baselines)
