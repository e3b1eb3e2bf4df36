"""A program-scored board's columns: which of them a viewer sees, and each ranked row's
values in them.

The one rule for the leaderboard page, the leaderboard API and a submission's own columns
(``submissions.schemas``): the board's columns in their order, the hidden ones for the
challenge's hosts alone, the primary one always (it is the board's score, public anyway).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aihub.challenges.models import Challenge, EvaluationKind, Phase
from aihub.evaluation.plans import BoardColumn, BoardColumns
from aihub.leaderboards.cache import BoardView
from aihub.leaderboards.services import Row
from aihub.submissions.models import Submission

# Ids read per statement: a board of 10,000 teams would otherwise bind 10,000 parameters,
# past what some SQLite builds accept in one statement.
_IDS_PER_READ = 500

# Each row's values in the shown columns, None for a row without any.
Values = list[dict[str, float] | None]


def board_columns(challenge: Challenge) -> BoardColumns | None:
    """The columns of a challenge ranked by its scoring program; None for one ranked by a
    built-in metric."""
    if challenge.evaluation_kind != EvaluationKind.PROGRAM.value or not challenge.board_columns:
        return None
    return BoardColumns.model_validate(challenge.board_columns)


def visible_columns(columns: BoardColumns, *, host: bool) -> tuple[BoardColumn, ...]:
    """The columns a viewer sees, in the board's order: hidden ones only for hosts."""
    return tuple(
        column for column in sorted(columns.columns, key=lambda c: c.index)
        if host or not column.hidden or column.key == columns.primary
    )


def public_columns(challenge: Challenge) -> tuple[tuple[BoardColumn, ...], str]:
    """The leaderboard's columns (the same for every reader of the board, hosts too) and
    the ranking one's key; ``()`` and ``""`` for a board ranked by a built-in metric."""
    columns = board_columns(challenge)
    if columns is None:
        return (), ""
    return visible_columns(columns, host=False), columns.primary


def shown_values(columns: Sequence[BoardColumn], scores: dict[str, Any]) -> dict[str, float]:
    """The numeric values of ``columns`` in a submission's scores (a column the program
    gave no number for is left out)."""
    return {column.key: float(scores[column.key]) for column in columns
            if isinstance(scores.get(column.key), int | float)}


def ranked_scores(
    session: Session, phase: Phase, rows: Sequence[Row]
) -> list[dict[str, Any] | None]:
    """Each board row's ``Submission.scores`` (of the submission it ranks by), in the rows'
    order, read a few hundred rows to a statement."""
    ids = [row.submission_id for row in rows if row.submission_id is not None]
    found: dict[int, dict[str, Any] | None] = {}
    for start in range(0, len(ids), _IDS_PER_READ):
        read = session.execute(
            select(Submission.id, Submission.scores).where(
                Submission.id.in_(ids[start:start + _IDS_PER_READ]),
                Submission.phase_id == phase.id,
            )
        )
        found.update((row.id, row.scores) for row in read)
    return [found.get(row.submission_id) if row.submission_id is not None else None
            for row in rows]


def row_values(
    session: Session, phase: Phase, columns: Sequence[BoardColumn], rows: Sequence[Row]
) -> Values:
    """What the board shows of ``rows`` in ``columns``: the page reads it for the rows it
    draws, the API for every row (``board_values``)."""
    return [shown_values(columns, scores) if scores is not None else None
            for scores in ranked_scores(session, phase, rows)]


def board_values(session: Session, view: BoardView, columns: Sequence[BoardColumn]) -> Values:
    """``row_values`` of every row of the board, read once per board version (every
    change to a submission's scores moves the version) and kept with the board."""
    if not columns:
        return [None] * len(view.board.rows)
    key = ("column-values", tuple(column.key for column in columns))
    kept = view.board.memo.get(key)
    if isinstance(kept, list):
        return kept
    values = row_values(session, view.phase, columns, view.board.rows)
    view.board.memo[key] = values
    return values
