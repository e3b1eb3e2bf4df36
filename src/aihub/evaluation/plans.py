"""What one evaluation needs and what it gives back, without the database.

A job is turned into an ``EvaluationTask`` on the hub side (``tasks.task_for_job``); the
task names every file it needs by sha256, so any runner can execute it: a worker thread in
``aihub serve``, a Celery worker on another machine, or an organizer's machine that pulls
work over HTTPS and downloads the files it is given links to. Whatever runs it returns an
``EvaluationResult``, which the hub records in one fenced transaction. Both are versioned
JSON: a runner that meets a version it does not know fails the job with a clear reason.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

_SHA256 = r"^[0-9a-f]{64}$"
# File names given to programs: one path component, no surprises for shells or zips.
_NAME = r"^[A-Za-z0-9._-][A-Za-z0-9._ -]{0,199}$"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class BlobRef(_Frozen):
    """A stored file, by content, and the name the program sees it under."""

    sha256: Annotated[str, Field(pattern=_SHA256)]
    size: Annotated[int, Field(ge=0)]
    name: Annotated[str, Field(pattern=_NAME)]


class LimitsSpec(_Frozen):
    """A code run's limits, as a host writes them in ``challenge.yaml`` (``code.limits``)."""

    time_seconds: Annotated[int, Field(ge=1, le=24 * 3600)] = 600
    memory_mb: Annotated[int, Field(ge=64, le=256 * 1024)] = 2048
    processes: Annotated[int, Field(ge=4, le=4096)] = 64
    open_files: Annotated[int, Field(ge=16, le=65536)] = 256
    disk_mb: Annotated[int, Field(ge=1, le=1024 * 1024)] = 1024
    log_kb: Annotated[int, Field(ge=1, le=10 * 1024)] = 64


class CodeFormat(StrEnum):
    # A zip with model.py defining Model with fit(X, y) and predict(X): Codabench's habit.
    MODEL = "model"
    # A zip with main.py that reads /data and writes /predictions: DrivenData's habit.
    MAIN = "main"


class CodeSpec(_Frozen):
    """How participants' code runs (``challenge.yaml`` ``code:``)."""

    format: CodeFormat
    runtime: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")] = "default"
    # The packages (name → version) the host fixed for the challenge, from what the worker's
    # runtime holds; a worker whose runtime differs refuses the job rather than score it
    # with other versions.
    packages: dict[str, str] = Field(default_factory=dict)
    limits: LimitsSpec = Field(default_factory=LimitsSpec)
    # What the program writes in /predictions; scored like an uploaded prediction file.
    prediction_file: Annotated[str, Field(pattern=_NAME)] = "predictions.csv"
    # model format: the files of /data the harness reads, and the target column of train.
    train_file: Annotated[str, Field(pattern=_NAME)] = "train.csv"
    test_file: Annotated[str, Field(pattern=_NAME)] = "test.csv"
    # Participants read their program's output (capped); hosts always do.
    show_log: bool = True


class PhaseTask(_Frozen):
    """A Codabench task of one phase: programs and data as zip blobs, unpacked per run."""

    name: str = ""
    scoring_program: BlobRef
    ingestion_program: BlobRef | None = None
    input_data: BlobRef | None = None
    reference_data: BlobRef | None = None
    ingestion_only_during_scoring: bool = False
    time_limit_seconds: Annotated[int, Field(ge=1, le=24 * 3600)] = 600
    hide_output: bool = False
    # The scoring program's detailed_results.html is kept (and shown to the team and the
    # hosts) only when the bundle enables it and lets the submission panel show it.
    enable_detailed_results: bool = False
    show_detailed_results_in_submission_panel: bool = True


class BoardColumn(_Frozen):
    key: str
    title: str
    index: int
    sorting: Literal["asc", "desc"] = "desc"
    precision: Annotated[int, Field(ge=0, le=10)] = 2
    hidden: bool = False
    computation: Literal["sum", "avg", "min", "max"] | None = None
    computation_indexes: tuple[int, ...] = ()


class BoardColumns(_Frozen):
    """Program scoring's leaderboard: its columns, and the key that ranks."""

    columns: tuple[BoardColumn, ...]
    primary: str
    rule: str = "Force_Best"


class TaskKind(StrEnum):
    PREDICTIONS = "predictions"  # a prediction file scored by a built-in metric
    CODE = "code"  # participant code run in the sandbox, its predictions scored by the metric
    PROGRAM = "program"  # a Codabench task: ingestion and scoring programs in sandboxes


class EvaluationTask(_Frozen):
    version: Literal[1] = 1
    job_id: int
    attempt: int
    submission_id: int
    challenge: str
    kind: TaskKind
    submission: BlobRef
    queue: str = "default"
    # predictions and code: the built-in metric and the hidden solution.
    scoring: dict[str, Any] | None = None
    solution: BlobRef | None = None
    # code: how to run it and the files it sees at /data (never the solution).
    code: CodeSpec | None = None
    data: tuple[BlobRef, ...] = ()
    # program: the phase's task and the board's columns.
    task: PhaseTask | None = None
    columns: BoardColumns | None = None
    runtime: str = "default"
    allow_fallback: bool = False

    def blobs(self) -> list[BlobRef]:
        """Every file the task needs: what a remote runner is allowed to download."""
        found = [self.submission, *self.data]
        if self.solution is not None:
            found.append(self.solution)
        if self.task is not None:
            found.extend(
                ref
                for ref in (self.task.scoring_program, self.task.ingestion_program,
                            self.task.input_data, self.task.reference_data)
                if ref is not None
            )
        return found


class ErrorKind(StrEnum):
    PARTICIPANT = "participant"  # their file or program: counts, they are told why
    HOST = "host"  # the scoring program or data: the host is told, the participant is not blamed
    INFRASTRUCTURE = "infrastructure"  # ours: retried, never counted


class EvaluationResult(_Frozen):
    version: Literal[1] = 1
    status: Literal["finished", "failed"]
    public: float | None = None
    private: float | None = None
    scores: dict[str, float] | None = None
    # Shown to the participant: never derived from hidden labels.
    error: str = ""
    # Shown to hosts only: may hold tracebacks and the scoring program's output.
    host_error: str = ""
    error_kind: ErrorKind | None = None
    log: str = ""
    host_log: str = ""
    detailed_results: BlobRef | None = None
