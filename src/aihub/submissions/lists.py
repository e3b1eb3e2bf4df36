"""What a table of submissions reads besides its rows, in one statement for a whole page
whatever its number of rows: the teams' names, the places in the queue, the end of each
program's output. A list that asked once per row would read 100 statements for a page of
100 (and a polled page every few seconds)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from aihub.accounts.models import Team
from aihub.evaluation.models import Job
from aihub.evaluation.status import Status
from aihub.submissions.models import Submission


def queue_places(session: Session, jobs: Iterable[Job]) -> dict[int, int]:
    """How many queued jobs of the same queue are ahead of each queued one of ``jobs``
    (0 = next), by job id: ``queue.position_in_queue`` for a whole page of rows, in one
    statement. Jobs queued after the last of them are ahead of none: not read."""
    waiting = [job for job in jobs if job.status == Status.QUEUED.value]
    if not waiting:
        return {}
    ahead = func.row_number().over(partition_by=Job.queue, order_by=Job.id) - 1
    placed = (
        select(Job.id, ahead.label("ahead"))
        .where(Job.status == Status.QUEUED.value,
               Job.queue.in_(sorted({job.queue for job in waiting})),
               Job.id <= max(job.id for job in waiting))
        .subquery("placed")
    )
    found = session.execute(
        select(placed.c.id, placed.c.ahead).where(placed.c.id.in_([job.id for job in waiting]))
    )
    return {job_id: int(place) for job_id, place in found}


def team_names(session: Session, team_ids: Iterable[int | None]) -> dict[int, str]:
    """The names of these teams, by id, in one statement."""
    wanted = {team_id for team_id in team_ids if team_id is not None}
    if not wanted:
        return {}
    found = session.execute(select(Team.id, Team.name).where(Team.id.in_(wanted)))
    return dict(found.all())  # rows, not the result: dict() would take it for a mapping


class LogTail(NamedTuple):
    # The last characters of everything the programs printed (``Submission.host_log``).
    text: str
    # Whether there was more before them.
    cut: bool


def host_log_tails(
    session: Session, submission_ids: Sequence[int], chars: int
) -> dict[int, LogTail]:
    """The last ``chars`` characters of each submission's whole output, cut in the database
    (the outputs run to megabytes), for those with any: a host's table of submissions."""
    if not submission_ids:
        return {}
    length = func.length(Submission.host_log)
    cut = length > chars
    found = session.execute(
        select(Submission.id, func.substr(Submission.host_log,
                                          case((cut, length - chars + 1), else_=1)), cut)
        .where(Submission.id.in_(submission_ids), length > 0)
    )
    return {submission_id: LogTail(text, bool(was_cut))
            for submission_id, text, was_cut in found}
