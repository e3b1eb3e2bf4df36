"""Ranking. One row per team; baselines are shown among them but hold no rank.

Public board: each team's best public score in the phase, the metric's direction respected,
ties broken by the earlier submission. Private board: each team's final selections (or, with
none picked, its best public ones, as many as the phase allows), ranked by the best private
score among them, ties again to the earlier submission.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from aihub.accounts.actor import Actor
from aihub.accounts.models import Team
from aihub.challenges import policy
from aihub.challenges.models import Challenge, Phase
from aihub.errors import Forbidden
from aihub.evaluation.metrics import get_metric
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
    public: float
    private: float | None
    created_at: datetime
    selected: bool
    is_baseline: bool
    name: str


def _sort_key(direction: Direction, score: float, entry: _Entry) -> tuple[float, datetime, int]:
    signed = -score if direction is Direction.MAXIMIZE else score
    return (signed, entry.created_at, entry.submission_id)


def _entries(session: Session, phase: Phase, lang: str) -> list[_Entry]:
    rows = session.execute(
        select(
            Submission.id,
            Submission.team_id,
            Submission.public_score,
            Submission.private_score,
            Submission.created_at,
            Submission.selected,
            Submission.is_baseline,
            Submission.baseline_name_ko,
            Submission.baseline_name_en,
            Team.name,
        )
        .outerjoin(Team, Team.id == Submission.team_id)
        .where(
            Submission.phase_id == phase.id,
            Submission.status == Status.FINISHED.value,
            Submission.public_score.is_not(None),
        )
    ).all()
    return [
        _Entry(
            submission_id=row[0],
            team_id=row[1],
            public=float(row[2] or 0.0),  # the query keeps only scored rows
            private=row[3],
            created_at=row[4],
            selected=row[5],
            is_baseline=row[6],
            name=(row[8] if lang == "en" and row[8] else row[7]) if row[6] else (row[9] or ""),
        )
        for row in rows
    ]


def _row_key(entry: _Entry) -> object:
    # Each baseline is a row of its own; team submissions group by team.
    return ("baseline", entry.submission_id) if entry.is_baseline else entry.team_id


def _public_rows(entries: list[_Entry], direction: Direction) -> list[tuple[_Entry, float, int]]:
    best: dict[object, _Entry] = {}
    counts: dict[object, int] = defaultdict(int)
    for entry in entries:
        key = _row_key(entry)
        counts[key] += 1
        current = best.get(key)
        if current is None or _sort_key(direction, entry.public, entry) < _sort_key(
            direction, current.public, current
        ):
            best[key] = entry
    return [(entry, entry.public, counts[key]) for key, entry in best.items()]


def _private_rows(
    entries: list[_Entry], direction: Direction, selections: int
) -> list[tuple[_Entry, float, int]]:
    by_team: dict[object, list[_Entry]] = defaultdict(list)
    for entry in entries:
        if entry.private is None:
            continue
        by_team[_row_key(entry)].append(entry)
    result: list[tuple[_Entry, float, int]] = []
    for team_entries in by_team.values():
        chosen = [entry for entry in team_entries if entry.selected]
        if not chosen:
            chosen = sorted(team_entries, key=lambda e: _sort_key(direction, e.public, e))
            chosen = chosen[:selections]
        best = min(chosen, key=lambda e: _sort_key(direction, e.private or 0.0, e))
        result.append((best, best.private or 0.0, len(team_entries)))
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
    direction = get_metric(challenge.metric).direction
    entries = _entries(session, phase, lang)
    scored = (
        _public_rows(entries, direction)
        if split is Split.PUBLIC
        else _private_rows(entries, direction, phase.final_selections)
    )
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
            )
        )
    return Board(challenge, phase, split, direction, rows, private_open)
