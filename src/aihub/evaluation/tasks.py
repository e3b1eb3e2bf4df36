"""The hub's side of a job: the ``EvaluationTask`` a runner needs, read from the database.

This is the only place that decides what a run may see. The participant's program gets the
challenge files meant for the sandbox and never the solution or a phase's reference data,
which only the scoring step receives (``execute``); a remote runner may download exactly
the blobs the task names (``EvaluationTask.blobs``).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from aihub.challenges.models import (
    Challenge,
    EvaluationKind,
    FileAudience,
    Phase,
    SubmissionKind,
)
from aihub.evaluation.jobs import ScoreSubmission, parse_payload
from aihub.evaluation.models import Job
from aihub.evaluation.plans import (
    BlobRef,
    BoardColumns,
    CodeSpec,
    EvaluationTask,
    PhaseTask,
    TaskKind,
)
from aihub.storage import LocalStorage
from aihub.submissions.models import Submission

_SANDBOX_AUDIENCES = frozenset({FileAudience.SANDBOX.value, FileAudience.BOTH.value})


def task_kind(challenge: Challenge) -> TaskKind:
    if challenge.evaluation_kind == EvaluationKind.PROGRAM.value:
        return TaskKind.PROGRAM
    if challenge.submission_kind == SubmissionKind.CODE.value:
        return TaskKind.CODE
    return TaskKind.PREDICTIONS


# Makes the BlobRef of a stored file (sha256, the name the program sees).
_RefMaker = Callable[[str, str], BlobRef]


def _scoring(challenge: Challenge) -> dict[str, object]:
    return {
        "metric": challenge.metric,
        "metric_params": dict(challenge.metric_params or {}),
        "id_column": challenge.id_column,
        "target_columns": list(challenge.target_columns),
        "split_column": challenge.split_column or None,
    }


def task_for_job(
    session: Session, storage: LocalStorage, job_id: int, attempt: int
) -> EvaluationTask | None:
    """The task of a job, or None when its submission or challenge is gone. Each file's
    size is read from the store (FileNotFoundError when one is missing)."""

    def ref(sha256: str, name: str) -> BlobRef:
        return BlobRef(sha256=sha256, size=storage.path(sha256).stat().st_size, name=name)

    return _task(session, job_id, attempt, ref)


def blobs_of_job(session: Session, job_id: int) -> frozenset[str]:
    """The sha256 of every file the job's task names (what a runner holding it may
    download), read from the database alone: a file missing from the store hides no other."""

    def ref(sha256: str, name: str) -> BlobRef:
        return BlobRef(sha256=sha256, size=0, name=name)

    task = _task(session, job_id, 0, ref)
    return frozenset(blob.sha256 for blob in task.blobs()) if task is not None else frozenset()


def _task(session: Session, job_id: int, attempt: int, ref: _RefMaker) -> EvaluationTask | None:
    job = session.get(Job, job_id)
    if job is None:
        return None
    payload = parse_payload(job.payload)
    if not isinstance(payload, ScoreSubmission):
        return None  # not a submission's job (a dataset's intake): never a runner's task
    submission = session.get(Submission, payload.submission_id)
    if submission is None:
        return None
    challenge = session.get(Challenge, submission.challenge_id)
    phase = session.get(Phase, submission.phase_id)
    if challenge is None or phase is None:
        return None
    kind = task_kind(challenge)
    fields: dict[str, object] = {
        "job_id": job.id,
        "attempt": attempt,
        "submission_id": submission.id,
        "challenge": challenge.slug,
        "kind": kind,
        "queue": job.queue,
        "submission": ref(submission.sha256, _upload_name(submission.filename)),
        "runtime": challenge.runtime or "default",
        "allow_fallback": challenge.sandbox_fallback_allowed,
    }
    if kind is not TaskKind.PROGRAM:
        fields["scoring"] = _scoring(challenge)
        fields["solution"] = ref(challenge.solution_sha256, "solution.csv")
    if kind is TaskKind.CODE:
        fields["code"] = CodeSpec.model_validate(challenge.code_spec or {})
        fields["data"] = tuple(
            ref(item.sha256, item.name)
            for item in challenge.files
            if item.audience in _SANDBOX_AUDIENCES
        )
    if kind is TaskKind.PROGRAM:
        fields["task"] = PhaseTask.model_validate(phase.task or {})
        fields["columns"] = BoardColumns.model_validate(challenge.board_columns or {})
    return EvaluationTask.model_validate(fields)


def _upload_name(filename: str) -> str:
    """The participant's file name, made safe to hand to a program (one plain component)."""
    safe = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "._-") else "_"
                   for ch in filename.rsplit("/", 1)[-1])
    safe = safe.lstrip(".") or "submission"
    return safe[:200]
