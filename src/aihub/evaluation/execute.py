"""The runner's side of a job: execute an ``EvaluationTask`` and return its result.

No database here: the same function runs in a worker thread of ``aihub serve``, in a Celery
worker and on an organizer's machine pulling work over HTTPS. Files arrive through a
``FileSource`` (the local blob store, or downloads checked against their sha256); the hub
records the result (``runner.record_result``).
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from aihub.challenges.services import metric_params
from aihub.evaluation.plans import (
    BlobRef,
    ErrorKind,
    EvaluationResult,
    EvaluationTask,
    TaskKind,
)
from aihub.evaluation.scoring import (
    ScoringSpec,
    SubmissionError,
    TruthCache,
    check_submission,
    score,
)
from aihub.evaluation.scoring.errors import SolutionError

log = logging.getLogger(__name__)

INTERNAL_FAILURE = (
    "Scoring failed on the hub's side, not because of your file; the hosts have been told. "
    "This submission does not count against your limits."
)
HOST_FAILURE = (
    "The challenge's scoring failed on the host's side, not because of your submission; the "
    "hosts have been told. This submission does not count against your limits."
)


class FileSource(Protocol):
    def local_path(self, ref: BlobRef) -> Path:
        """A readable local file holding exactly the bytes of ``ref``."""


class KindRunner(Protocol):
    """Runs the tasks of one kind that need more than the built-in scorer (code, programs)."""

    def __call__(
        self, task: EvaluationTask, kit: RunKit, stop: threading.Event
    ) -> EvaluationResult: ...


@dataclass
class RunKit:
    """What a runner brings to every task: files, caches, and the runners of each kind."""

    files: FileSource
    truths: TruthCache
    max_bytes: int
    # Keeps a file a run produced (a scoring program's detailed results) and names it.
    keep: Callable[[Path, str], BlobRef]
    runners: dict[TaskKind, KindRunner] = field(default_factory=dict)


def spec_of(task: EvaluationTask) -> ScoringSpec:
    scoring = task.scoring or {}
    targets = scoring.get("target_columns") or ["target"]
    return ScoringSpec(
        metric=str(scoring.get("metric", "")),
        metric_params=metric_params(dict(scoring.get("metric_params") or {})),
        id_column=str(scoring.get("id_column", "id")),
        target_columns=tuple(str(column) for column in targets),
        split_column=scoring.get("split_column") or None,
    )


def failed(error: str, kind: ErrorKind, host_error: str = "", **extra: str) -> EvaluationResult:
    return EvaluationResult(
        status="failed", error=error, host_error=host_error or error, error_kind=kind, **extra
    )


def score_predictions(kit: RunKit, task: EvaluationTask, predictions: Path,
                      original_name: str) -> EvaluationResult:
    """Score a prediction file against the task's solution with its built-in metric."""
    assert task.solution is not None
    spec = spec_of(task)
    try:
        truth = kit.truths.get(kit.files.local_path(task.solution), task.solution.sha256, spec)
    except SolutionError as exc:
        return failed(HOST_FAILURE, ErrorKind.HOST, f"the solution cannot be read: {exc}")
    try:
        aligned = check_submission(
            predictions, truth, spec, original_name=original_name, max_bytes=kit.max_bytes
        )
    except SubmissionError as exc:
        return failed(str(exc), ErrorKind.PARTICIPANT)
    result = score(truth, aligned, spec)
    return EvaluationResult(status="finished", public=result["public"], private=result["private"])


def execute(
    task: EvaluationTask, kit: RunKit, stop: threading.Event | None = None
) -> EvaluationResult:
    """The result of one task. Never raises: a failure of ours becomes an infrastructure
    failure with the traceback for the hosts."""
    try:
        if task.kind is TaskKind.PREDICTIONS:
            return score_predictions(
                kit, task, kit.files.local_path(task.submission), task.submission.name
            )
        runner = kit.runners.get(task.kind)
        if runner is None:
            return failed(
                INTERNAL_FAILURE, ErrorKind.INFRASTRUCTURE,
                f"this runner cannot run {task.kind.value} tasks (no sandbox configured)",
            )
        return runner(task, kit, stop or threading.Event())
    except Exception:  # any failure here is ours, not the participant's
        log.exception("job %s (submission %s) failed", task.job_id, task.submission_id)
        return failed(INTERNAL_FAILURE, ErrorKind.INFRASTRUCTURE, traceback.format_exc())
