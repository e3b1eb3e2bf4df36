"""The leaderboard version of a phase: a number raised in the same transaction as every
change to its scores or final selections, so a computed board can be kept until it moves.

A counter rather than a look at the submissions themselves: finding "has anything changed"
in 100,000 submissions costs nearly as much as ranking them again.
"""

from __future__ import annotations

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from aihub.challenges.models import Phase
from aihub.submissions.models import Submission

# Built once: building the statement costs more than running it.
_TOUCH_OF_SUBMISSION = (
    update(Phase)
    .where(
        Phase.id
        == select(Submission.phase_id)
        .where(Submission.id == bindparam("submission_id"))
        .scalar_subquery()
    )
    .values(board_version=Phase.board_version + 1)
)
_VERSION = select(Phase.board_version).where(Phase.id == bindparam("phase_id"))


def touch_board(session: Session, phase_id: int) -> None:
    session.execute(
        update(Phase).where(Phase.id == phase_id).values(board_version=Phase.board_version + 1)
    )


def touch_board_of(session: Session, submission_id: int) -> None:
    """Raise the version of the phase ``submission_id`` belongs to."""
    session.connection().execute(_TOUCH_OF_SUBMISSION, {"submission_id": submission_id})


def board_version(session: Session, phase_id: int) -> int:
    return session.execute(_VERSION, {"phase_id": phase_id}).scalar_one()
