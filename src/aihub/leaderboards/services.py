"""Ranking. One row per team; baselines are shown among them but hold no rank.

Public board: each team's best public score in the phase, the metric's direction respected,
ties broken by the earlier submission. Private board: each team's final selections (or, with
none picked, its best public ones, as many as the phase allows), ranked by the best private
score among them, ties again to the earlier submission.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Subquery,
    UnaryExpression,
    and_,
    bindparam,
    case,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from aihub.accounts.actor import Actor
from aihub.accounts.models import Team
from aihub.challenges import policy
from aihub.challenges.models import Challenge, Phase
from aihub.challenges.services import board_metric
from aihub.errors import Forbidden
from aihub.evaluation.metrics.base import Direction
from aihub.evaluation.status import Status
from aihub.submissions.models import Submission


class Split(StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"


@dataclass(frozen=True)
class Row:
    rank: int | None
    team_id: int | None
    name: str
    score: float
    submitted_at: datetime
    entries: int
    is_baseline: bool
    # The submission the row ranks by (its columns, for program-scored challenges).
    submission_id: int | None = None


@dataclass(frozen=True)
class Board:
    challenge: Challenge
    phase: Phase
    split: Split
    direction: Direction
    rows: list[Row]
    private_open: bool


@dataclass(frozen=True)
class _Entry:
    submission_id: int
    team_id: int | None
    created_at: datetime
    is_baseline: bool
    name: str


def _sort_key(direction: Direction, score: float, entry: _Entry) -> tuple[float, datetime, int]:
    signed = -score if direction is Direction.MAXIMIZE else score
    return (signed, entry.created_at, entry.submission_id)


def _ordered(
    column: ColumnElement[Any] | InstrumentedAttribute[Any], direction: Direction
) -> UnaryExpression[Any]:
    return column.desc() if direction is Direction.MAXIMIZE else column.asc()


# Each baseline is a row of its own; team submissions group by team.
_ROW_KEY = case((Submission.is_baseline, -Submission.id), else_=Submission.team_id)


def _ranked_within_rows(direction: Direction) -> Subquery:
    """Each submission of the phase with both scores, with its place among its row's (by
    public score, then time, then id), whether its row has final selections, and how many
    the row has. The database ranks; Python sees one line per team, not every submission."""
    scored = (
        Submission.phase_id == bindparam("phase_id"),
        Submission.status == Status.FINISHED.value,
        Submission.public_score.is_not(None),
        Submission.private_score.is_not(None),
    )
    return (
        select(
            Submission.id, Submission.team_id, Submission.public_score,
            Submission.private_score, Submission.created_at, Submission.selected,
            Submission.is_baseline, Submission.baseline_name_ko, Submission.baseline_name_en,
            func.row_number().over(
                partition_by=_ROW_KEY,
                order_by=(_ordered(Submission.public_score, direction), Submission.created_at,
                          Submission.id),
            ).label("public_place"),
            func.max(case((Submission.selected, 1), else_=0)).over(partition_by=_ROW_KEY)
            .label("row_selected"),
            func.count().over(partition_by=_ROW_KEY).label("entries"),
        )
        .where(*scored)
        .subquery("ranked")
    )


def _best_private(direction: Direction) -> Select[Any]:
    """One submission per row: the best private one among the row's final selections (its
    best public ones if none), ranked with window functions over every submission. The
    private board is ranked rarely (its scores stop moving when it opens), unlike the
    public board (``_best_public``)."""
    ranked = _ranked_within_rows(direction)
    chosen = (
        select(ranked)
        .where(
            or_(
                and_(ranked.c.row_selected == 1, ranked.c.selected.is_(True)),
                and_(ranked.c.row_selected == 0,
                     ranked.c.public_place <= bindparam("selections")),
            )
        )
        .subquery("chosen")
    )
    key = case((chosen.c.is_baseline, -chosen.c.id), else_=chosen.c.team_id)
    placed = select(
        chosen,
        func.row_number().over(
            partition_by=key,
            order_by=(_ordered(chosen.c.private_score, direction), chosen.c.created_at,
                      chosen.c.id),
        ).label("private_place"),
    ).subquery("placed")
    best = select(placed).where(placed.c.private_place == 1).subquery("best")
    return select(best, Team.name).outerjoin(Team, Team.id == best.c.team_id)


def _best_public(direction: Direction) -> Select[Any]:
    """The public board's rows, ranked by aggregates the database reads from one index
    (``ix_submissions_board``): each team's best score and count, then, per team, the
    earliest submission with that score (one index seek each), then the baselines. Some ten
    times faster than ranking every submission with window functions, which matters because
    the public board is ranked again after every new score."""
    scored = (
        Submission.phase_id == bindparam("phase_id"),
        Submission.status == Status.FINISHED.value,
        Submission.public_score.is_not(None),
    )
    top = func.max if direction is Direction.MAXIMIZE else func.min
    best = (
        select(Submission.team_id, top(Submission.public_score).label("score"),
               func.count().label("entries"))
        .where(*scored, Submission.team_id.is_not(None))
        .group_by(Submission.team_id)
        .cte("best")
    )
    earliest = aliased(Submission)
    first = (
        select(
            best.c.team_id, best.c.entries,
            select(earliest.id)
            .where(earliest.phase_id == bindparam("phase_id"),
                   earliest.status == Status.FINISHED.value,
                   earliest.team_id == best.c.team_id,
                   earliest.public_score == best.c.score)
            .order_by(earliest.created_at, earliest.id)
            .limit(1)
            .scalar_subquery()
            .label("submission_id"),
        )
        .cte("first")
    )
    columns = (Submission.id, Submission.team_id, Submission.public_score,
               Submission.private_score, Submission.created_at, Submission.selected,
               Submission.is_baseline, Submission.baseline_name_ko, Submission.baseline_name_en)
    teams = (
        select(*columns, first.c.entries, Team.name)
        .join(first, first.c.submission_id == Submission.id)
        .outerjoin(Team, Team.id == Submission.team_id)
    )
    baselines = select(*columns, literal(1).label("entries"), literal(None).label("name")) \
        .where(*scored, Submission.team_id.is_(None), Submission.is_baseline.is_(True))
    return teams.union_all(baselines)  # type: ignore[return-value]


def _scored_rows(
    session: Session, phase: Phase, direction: Direction, split: Split, lang: str
) -> list[tuple[_Entry, float, int]]:
    query = _best_public(direction) if split is Split.PUBLIC else _best_private(direction)
    found = session.execute(
        query, {"phase_id": phase.id, "selections": phase.final_selections}
    ).mappings()
    result = []
    for row in found:
        baseline = bool(row["is_baseline"])
        if baseline:
            name = row["baseline_name_en"] if lang == "en" and row["baseline_name_en"] \
                else row["baseline_name_ko"]
        else:
            name = row["name"] or ""
        entry = _Entry(
            submission_id=row["id"], team_id=row["team_id"], created_at=row["created_at"],
            is_baseline=baseline, name=name,
        )
        score = float(row["public_score" if split is Split.PUBLIC else "private_score"])
        result.append((entry, score, int(row["entries"])))
    return result


def check_split(actor: Actor, challenge: Challenge, phase: Phase, split: Split,
                now: datetime) -> None:
    """Refuse the private board to those who may not see it yet. Asked on every request,
    also when the board comes from a cache (``leaderboards.cache``)."""
    if split is Split.PRIVATE and not policy.can_see_private(actor, challenge, phase, now):
        raise Forbidden(
            "The private leaderboard opens when the phase ends "
            f"({phase.ends_at.isoformat(timespec='minutes')}) or a curator reveals it."
        )


def leaderboard(
    session: Session,
    challenge: Challenge,
    phase: Phase,
    actor: Actor,
    *,
    split: Split,
    now: datetime,
    lang: str = "ko",
) -> Board:
    private_open = policy.private_board_open(challenge, phase, now)
    check_split(actor, challenge, phase, split, now)
    direction = board_metric(challenge).direction
    scored = _scored_rows(session, phase, direction, split, lang)
    scored.sort(key=lambda item: _sort_key(direction, item[1], item[0]))
    rows: list[Row] = []
    rank = 0
    for entry, value, count in scored:
        if not entry.is_baseline:
            rank += 1
        rows.append(
            Row(
                rank=None if entry.is_baseline else rank,
                team_id=entry.team_id,
                name=entry.name,
                score=value,
                submitted_at=entry.created_at,
                entries=count,
                is_baseline=entry.is_baseline,
                submission_id=entry.submission_id,
            )
        )
    return Board(challenge, phase, split, direction, rows, private_open)
