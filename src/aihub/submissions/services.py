"""Named verbs for submissions: submit, record a failed check, add a baseline, select finals.

``submit_prediction`` writes the submission and its evaluation job in the caller's
transaction; the caller hands the job to an executor only after the commit, so a worker
never looks for a row that is not there yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, bindparam, exists, func, select
from sqlalchemy.orm import Session

from aihub.accounts import teams
from aihub.accounts.actor import Actor
from aihub.accounts.models import Team, TeamMember
from aihub.challenges import policy
from aihub.challenges.models import Challenge, Phase
from aihub.challenges.services import current_phase, get_challenge_to_submit, has_accepted_rules
from aihub.db import insert_row
from aihub.errors import Conflict, Forbidden, InvalidInput, LimitReached, NotFound
from aihub.evaluation import queue
from aihub.evaluation.jobs import ScoreSubmission
from aihub.evaluation.models import Job
from aihub.evaluation.status import COUNTED, Status
from aihub.leaderboards.services import Row, Split
from aihub.leaderboards.versions import touch_board
from aihub.storage import Blob
from aihub.submissions import policy as submission_policy
from aihub.submissions.limits import Usage, usage
from aihub.submissions.models import Submission

MAX_MESSAGE = 500
# What the team reads when one of its members cancelled (queue.CANCELLED: the hosts did).
CANCELLED_BY_TEAM = "Cancelled by your team; it does not count against your limits."


def _open_phase(challenge: Challenge, now: datetime) -> Phase:
    phase = current_phase(challenge, now)
    if not phase.is_open(now):
        when = "opens" if phase.starts_at > now else "closed"
        at = phase.starts_at if phase.starts_at > now else phase.ends_at
        raise Conflict(
            f"No phase of {challenge.slug!r} is open for submissions: phase {phase.name!r} "
            f"{when} at {at.isoformat(timespec='minutes')}."
        )
    return phase


def check_may_submit(session: Session, challenge: Challenge, actor: Actor) -> None:
    user = actor.require_user()
    _require_rules(challenge, actor, accepted=has_accepted_rules(session, challenge, user))


def _require_rules(challenge: Challenge, actor: Actor, *, accepted: bool) -> None:
    if not policy.can_submit(actor, challenge, accepted_rules=accepted):
        raise Forbidden(
            f"Accept the rules of {challenge.slug!r} first: 'aihub challenges join "
            f"{challenge.slug}'."
        )


def challenge_to_submit(
    session: Session, slug: str, actor: Actor, now: datetime
) -> tuple[Challenge, Team | None]:
    """The challenge (phases loaded) if the actor may see it and submit to it now, and the
    actor's team in it so far: the check an upload passes before it is stored, so that a
    refused upload leaves nothing behind. ``submit_prediction`` checks again, and decides
    the team, when it writes."""
    user = actor.require_user()
    challenge, accepted = get_challenge_to_submit(session, slug, actor)
    _require_rules(challenge, actor, accepted=accepted)
    _open_phase(challenge, now)
    return challenge, teams.team_of(session, challenge, user)


def _lock_team(session: Session, team: Team) -> None:
    # Two uploads of one team racing past the limit check: on PostgreSQL the team row lock
    # orders them; on SQLite every write transaction already holds the database write lock.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(Team.id).where(Team.id == team.id).with_for_update())


def team_usage(
    session: Session, challenge: Challenge, actor: Actor, now: datetime, zone: ZoneInfo
) -> Usage | None:
    user = actor.require_user()
    team = teams.team_of(session, challenge, user)
    phase = current_phase(challenge, now)
    if team is None:
        return usage(session, phase, -1, now, zone)
    return usage(session, phase, team.id, now, zone)


def _new_submission(
    challenge: Challenge, phase: Phase, user_id: int, blob: Blob, filename: str, now: datetime
) -> dict[str, object]:
    """Every column of a queued submission (``db.insert_row``), to be completed."""
    return {
        "challenge_id": challenge.id, "phase_id": phase.id, "team_id": None,
        "user_id": user_id, "filename": filename[:255], "sha256": blob.sha256,
        "size": blob.size, "message": "", "status": Status.QUEUED.value,
        "public_score": None, "private_score": None, "error": "", "host_error": "",
        "selected": False, "limit_exempt": False, "is_baseline": False, "baseline_name_ko": "",
        "baseline_name_en": "", "created_at": now, "scored_at": None, "scores": None,
        "log": "", "host_log": "", "detailed_results_sha256": "",
    }


def submit_prediction(
    session: Session,
    challenge: Challenge,
    actor: Actor,
    blob: Blob,
    *,
    filename: str,
    message: str,
    now: datetime,
    zone: ZoneInfo,
    max_attempts: int = 3,
) -> tuple[Submission, Job]:
    check_may_submit(session, challenge, actor)
    user = actor.require_user()
    phase = _open_phase(challenge, now)
    team = teams.team_of(session, challenge, user) or teams.solo_team(session, challenge, user)
    _lock_team(session, team)
    refusal = usage(session, phase, team.id, now, zone).refusal()
    if refusal:
        raise LimitReached(refusal)
    submission = insert_row(
        session,
        Submission,
        _new_submission(challenge, phase, user.id, blob, filename, now)
        | {"team_id": team.id, "message": message[:MAX_MESSAGE]},
    )
    job = queue.enqueue(
        session,
        ScoreSubmission(submission_id=submission.id),
        max_attempts=max_attempts,
        submission_id=submission.id,
        queue=challenge.queue,
    )
    return submission, job


def record_rejected(
    session: Session,
    challenge: Challenge,
    actor: Actor,
    blob: Blob,
    *,
    filename: str,
    message: str,
    error: str,
    now: datetime,
) -> Submission:
    """Keep a submission that failed the quick check, so it shows in the team's history.
    Failed submissions never count against limits."""
    user = actor.require_user()
    phase = current_phase(challenge, now)
    team = teams.solo_team(session, challenge, user)
    submission = Submission(
        challenge_id=challenge.id,
        phase_id=phase.id,
        team_id=team.id,
        user_id=user.id,
        filename=filename[:255],
        sha256=blob.sha256,
        size=blob.size,
        message=message[:MAX_MESSAGE],
        status=Status.FAILED.value,
        error=error,
        created_at=now,
        scored_at=now,
    )
    session.add(submission)
    session.flush()
    return submission


def check_may_add_baseline(challenge: Challenge, actor: Actor) -> None:
    actor.require_user()  # a visitor is told to log in, not that hosts only may
    if not submission_policy.can_add_baseline(actor, challenge):
        raise Forbidden("Only the challenge's hosts can add baselines.")


def add_baseline(
    session: Session,
    challenge: Challenge,
    actor: Actor,
    blob: Blob,
    *,
    name_ko: str,
    name_en: str,
    filename: str,
    now: datetime,
    phase: Phase | None = None,
) -> tuple[Submission, Job]:
    check_may_add_baseline(challenge, actor)
    user = actor.require_user()
    name_ko, name_en = name_ko.strip(), name_en.strip()
    if not name_ko:
        raise InvalidInput("A baseline needs a name.")
    phase = phase or current_phase(challenge, now)
    submission = Submission(
        challenge_id=challenge.id,
        phase_id=phase.id,
        team_id=None,
        user_id=user.id,
        filename=filename[:255],
        sha256=blob.sha256,
        size=blob.size,
        status=Status.QUEUED.value,
        is_baseline=True,
        baseline_name_ko=name_ko[:200],
        baseline_name_en=(name_en or name_ko)[:200],
        created_at=now,
    )
    session.add(submission)
    session.flush()
    job = queue.enqueue(
        session, ScoreSubmission(submission_id=submission.id), submission_id=submission.id,
        queue=challenge.queue,
    )
    return submission, job


def is_team_member(session: Session, submission: Submission, actor: Actor) -> bool:
    if actor.user is None or submission.team_id is None:
        return False
    return bool(
        session.scalar(
            select(TeamMember.id).where(
                TeamMember.team_id == submission.team_id, TeamMember.user_id == actor.user.id
            )
        )
    )


# One statement, built once, for the submission, its challenge, phase and team.
_VISIBLE_SUBMISSION = (
    select(
        Submission,
        Challenge,
        Phase,
        Team,
        exists().where(
            TeamMember.team_id == Submission.team_id,
            TeamMember.user_id == bindparam("user_id"),
        ),
    )
    .join(Challenge, Challenge.id == Submission.challenge_id)
    .join(Phase, Phase.id == Submission.phase_id)
    .outerjoin(Team, Team.id == Submission.team_id)
    .where(Submission.id == bindparam("submission_id"))
)


def get_visible_submission(
    session: Session, submission_id: int, actor: Actor
) -> tuple[Submission, Challenge]:
    submission, challenge, _, _ = get_visible_submission_with(session, submission_id, actor)
    return submission, challenge


def get_visible_submission_with(
    session: Session, submission_id: int, actor: Actor
) -> tuple[Submission, Challenge, Phase, Team | None]:
    """``get_visible_submission`` with the submission's phase and team. While the caller
    holds them, the session finds them by id without a query (``schemas.submission_out``);
    the session keeps only weak references to the objects it loaded."""
    row = session.execute(
        _VISIBLE_SUBMISSION,
        {
            "submission_id": submission_id,
            "user_id": actor.user_id if actor.user_id is not None else -1,
        },
    ).first()
    if row is None or not submission_policy.can_view(actor, row[1], in_team=bool(row[4])):
        # The same answer as a missing one: ids of other teams' submissions reveal nothing.
        raise NotFound(f"No submission {submission_id} is yours to see.")
    return row[0], row[1], row[2], row[3]


def _submissions_query(
    session: Session, challenge: Challenge, actor: Actor, *, everyone: bool, status: str | None
) -> Select[Submission] | None:
    """Submissions ``actor`` may list: the own team's, or (hosts) everyone's; None when the
    actor has no team yet."""
    user = actor.require_user()
    query = select(Submission).where(Submission.challenge_id == challenge.id)
    if everyone:
        if not submission_policy.can_list_everyone(actor, challenge):
            raise Forbidden("Only the challenge's hosts can list every team's submissions.")
    else:
        team = teams.team_of(session, challenge, user)
        if team is None:
            return None
        query = query.where(Submission.team_id == team.id)
    if status is not None:
        query = query.where(Submission.status == status)
    return query


def list_team_submissions(
    session: Session, challenge: Challenge, actor: Actor, *, everyone: bool = False,
    status: str | None = None, limit: int | None = None, offset: int = 0,
) -> list[Submission]:
    """Newest first; ``limit`` and ``offset`` page through in the database, so a host's view
    of 100,000 submissions loads one page of them."""
    query = _submissions_query(session, challenge, actor, everyone=everyone, status=status)
    if query is None:
        return []
    query = query.order_by(Submission.id.desc()).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def count_team_submissions(
    session: Session, challenge: Challenge, actor: Actor, *, everyone: bool = False,
    status: str | None = None,
) -> int:
    query = _submissions_query(session, challenge, actor, everyone=everyone, status=status)
    if query is None:
        return 0
    return session.scalar(select(func.count()).select_from(query.subquery())) or 0


def select_final(
    session: Session, submission_id: int, actor: Actor, *, selected: bool, now: datetime
) -> Submission:
    submission, _ = get_visible_submission(session, submission_id, actor)
    if not submission_policy.can_select_final(
        actor, in_team=is_team_member(session, submission, actor)
    ):
        raise Forbidden("Only the team's members choose its final submissions.")
    phase = session.get(Phase, submission.phase_id)
    assert phase is not None
    if now >= phase.ends_at:
        raise Conflict("The phase has ended; final selections are frozen.")
    if selected and submission.status != Status.FINISHED.value:
        raise Conflict("Only scored submissions can be selected.")
    if selected and not submission.selected:
        count = session.scalar(
            select(func.count(Submission.id)).where(
                Submission.phase_id == phase.id,
                Submission.team_id == submission.team_id,
                Submission.selected.is_(True),
            )
        ) or 0
        if count >= phase.final_selections:
            raise Conflict(
                f"Your team has selected {count} of {phase.final_selections} final "
                "submissions; unselect one first."
            )
    submission.selected = selected
    touch_board(session, phase.id)
    return submission


def rescore(session: Session, challenge: Challenge, actor: Actor, submission_id: int) -> Job:
    if not submission_policy.can_rescore(actor, challenge):
        raise Forbidden("Only the challenge's hosts can rescore.")
    submission = session.get(Submission, submission_id)
    if submission is None or submission.challenge_id != challenge.id:
        raise NotFound(f"Challenge {challenge.slug!r} has no submission {submission_id}.")
    if submission.status in (Status.QUEUED.value, Status.RUNNING.value):
        raise Conflict("This submission is being scored already.")
    if Status(submission.status) not in COUNTED:
        submission.limit_exempt = True
    submission.status = Status.QUEUED.value
    submission.public_score = submission.private_score = None
    submission.error = submission.host_error = ""
    # A re-run's output and columns replace the last run's; none show while it waits.
    submission.scores = None
    submission.log = submission.host_log = submission.detailed_results_sha256 = ""
    touch_board(session, submission.phase_id)
    return queue.enqueue(
        session, ScoreSubmission(submission_id=submission.id), submission_id=submission.id,
        queue=challenge.queue,
    )


def latest_job(session: Session, submission_id: int, *, lock: bool = False) -> Job | None:
    """The submission's newest evaluation job (a rescore adds one); ``lock``: held for the
    rest of the transaction on PostgreSQL, so no worker claims or finishes it meanwhile (on
    SQLite the write transaction holds the whole database already)."""
    query = (
        select(Job).where(Job.submission_id == submission_id).order_by(Job.id.desc()).limit(1)
    )
    if lock and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return session.scalar(query)


def cancel_submission(session: Session, submission_id: int, actor: Actor) -> Submission:
    """Stop a queued or running evaluation (``policy.can_cancel`` says who may). The
    submission ends ``cancelled`` and never counts against the team's limits; a worker
    running it stops at its next heartbeat and writes nothing."""
    submission, challenge = get_visible_submission(session, submission_id, actor)
    job = latest_job(session, submission.id, lock=True)
    # The job, read under its lock, is the truth; the submission row follows it.
    status = Status(job.status) if job is not None else Status(submission.status)
    if job is None or status.is_final:
        raise Conflict(
            f"Submission {submission_id} has already ended ({status.value}): there is "
            "nothing to cancel."
        )
    in_team = is_team_member(session, submission, actor)
    if not submission_policy.can_cancel(actor, challenge, in_team=in_team, status=status):
        if in_team:  # the team may cancel, but not in this state
            raise Conflict(
                f"Submission {submission_id} is already running; only the challenge's hosts "
                "can stop it now."
            )
        raise Forbidden("Only the challenge's hosts and the submitting team can cancel it.")
    host = policy.can_manage(actor, challenge)
    queue.cancel(session, job, reason=queue.CANCELLED if host else CANCELLED_BY_TEAM)
    return submission


def detailed_results_sha256(session: Session, submission_id: int, actor: Actor) -> str:
    """The stored detailed_results.html of a submission its viewer may see (the team and
    the hosts, as the submission itself); NotFound when the scoring program wrote none."""
    submission, _ = get_visible_submission(session, submission_id, actor)
    if not submission.detailed_results_sha256:
        raise NotFound(
            f"Submission {submission_id} has no detailed results: the challenge's scoring "
            "program wrote no detailed_results.html for it."
        )
    return submission.detailed_results_sha256


def ranked_scores(
    session: Session, phase: Phase, split: Split, rows: Sequence[Row]
) -> list[dict[str, Any] | None]:
    """Each board row's column values (``Submission.scores`` of the submission it ranks
    by), read in one statement for all the rows."""
    ids = [row.submission_id for row in rows if row.submission_id is not None]
    if not ids:
        return [None] * len(rows)
    read = session.execute(
        select(Submission.id, Submission.scores)
        .where(Submission.id.in_(ids), Submission.phase_id == phase.id)
    )
    found: dict[int, dict[str, Any] | None] = {row.id: row.scores for row in read}
    return [found.get(row.submission_id) if row.submission_id is not None else None
            for row in rows]
