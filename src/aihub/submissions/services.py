"""Named verbs for submissions: submit, record a failed check, add a baseline, select finals.

``submit_prediction`` writes the submission and its evaluation job in the caller's
transaction; the caller hands the job to an executor only after the commit, so a worker
never looks for a row that is not there yet.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import Select, bindparam, exists, func, select
from sqlalchemy.orm import Load, Session

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
from aihub.leaderboards.versions import touch_board
from aihub.storage import Blob
from aihub.submissions import policy as submission_policy
from aihub.submissions.limits import Usage, usage
from aihub.submissions.models import LOGS, Submission

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


# One statement, built once, for the submission, its challenge, phase and team, and
# whether the reader is in the team; the second also reads the program's output.
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
_VISIBLE_WITH_LOGS = _VISIBLE_SUBMISSION.options(Load(Submission).undefer_group(LOGS))


class Visible(NamedTuple):
    """A submission its reader may see, with its challenge, phase and team (None for a
    baseline), and whether the reader is in that team."""

    submission: Submission
    challenge: Challenge
    phase: Phase
    team: Team | None
    in_team: bool


def get_visible_submission(
    session: Session, submission_id: int, actor: Actor
) -> tuple[Submission, Challenge]:
    visible = get_visible_submission_with(session, submission_id, actor)
    return visible.submission, visible.challenge


def get_visible_submission_with(
    session: Session, submission_id: int, actor: Actor, *, logs: bool = False
) -> Visible:
    """``get_visible_submission`` with the submission's phase and team and whether the
    reader is in it, in one statement; ``logs``: the program's output too (megabytes,
    which only the answer about one submission shows)."""
    row = session.execute(
        _VISIBLE_WITH_LOGS if logs else _VISIBLE_SUBMISSION,
        {
            "submission_id": submission_id,
            "user_id": actor.user_id if actor.user_id is not None else -1,
        },
    ).first()
    if row is None or not submission_policy.can_view(actor, row[1], in_team=bool(row[4])):
        # The same answer as a missing one: ids of other teams' submissions reveal nothing.
        raise NotFound(f"No submission {submission_id} is yours to see.")
    return Visible(row[0], row[1], row[2], row[3], bool(row[4]))


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
    # Counted from the rows' ids: a subquery of whole rows would name every column.
    return session.scalar(query.with_only_columns(func.count(Submission.id))) or 0


def select_final(
    session: Session, submission_id: int, actor: Actor, *, selected: bool, now: datetime
) -> Visible:
    visible = get_visible_submission_with(session, submission_id, actor)
    submission, phase = visible.submission, visible.phase
    if not submission_policy.can_select_final(actor, in_team=visible.in_team):
        raise Forbidden("Only the team's members choose its final submissions.")
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
    return visible


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


def cancel_submission(
    session: Session, submission_id: int, actor: Actor, *, challenge: Challenge | None = None
) -> Submission:
    """Stop a queued or running evaluation (``policy.can_cancel`` says who may); with
    ``challenge``, only one of that challenge's submissions (the hosts' page of it). The
    submission ends ``cancelled`` and never counts against the team's limits; a worker
    running it stops at its next heartbeat and writes nothing."""
    visible = get_visible_submission_with(session, submission_id, actor)
    if challenge is not None and visible.challenge.id != challenge.id:
        raise NotFound(f"Challenge {challenge.slug!r} has no submission {submission_id}.")
    job = latest_job(session, submission_id, lock=True)
    # The job, read under its lock, is the truth; the submission row follows it.
    status = Status(job.status) if job is not None else Status(visible.submission.status)
    if job is None or status.is_final:
        raise Conflict(
            f"Submission {submission_id} has already ended ({status.value}): there is "
            "nothing to cancel."
        )
    started = job.attempts > 0
    if not submission_policy.can_cancel(actor, visible.challenge, in_team=visible.in_team,
                                        status=status, started=started):
        if visible.in_team:  # the team may cancel, but not in this state
            raise Conflict(_too_late(submission_id, status))
        raise Forbidden("Only the challenge's hosts and the submitting team can cancel it.")
    host = policy.can_manage(actor, visible.challenge)
    queue.cancel(session, job, reason=queue.CANCELLED if host else CANCELLED_BY_TEAM)
    return visible.submission


def _too_late(submission_id: int, status: Status) -> str:
    if status is Status.RUNNING:
        what = "is already running"
    else:  # queued again after the worker running it stopped
        what = "has started once already (its worker stopped, and it waits to run again)"
    return f"Submission {submission_id} {what}; only the challenge's hosts can stop it now."


def detailed_results_sha256(session: Session, submission_id: int, actor: Actor) -> str:
    """The stored detailed_results.html of a submission, for those who may read it
    (``policy.can_read_detailed_results``: the hosts, and the team where the challenge
    enables them); NotFound when the scoring program wrote none."""
    visible = get_visible_submission_with(session, submission_id, actor)
    if not submission_policy.can_read_detailed_results(
        actor, visible.challenge, visible.phase, in_team=visible.in_team
    ):
        raise NotFound(
            f"Submission {submission_id} has no detailed results for participants: the "
            "challenge's scoring program has them not enabled (only its hosts read them)."
        )
    if not visible.submission.detailed_results_sha256:
        raise NotFound(
            f"Submission {submission_id} has no detailed results: the challenge's scoring "
            "program wrote no detailed_results.html for it."
        )
    return visible.submission.detailed_results_sha256
