"""Running one Codabench task for one submission: the directory protocol of reference §5-6,
as §6.3 says aihub runs it.

* results submission (no ingestion program, no command in the submission): one scoring
  box; ``/app/input/res`` is the submission plus a synthetic ``metadata``;
* code submission: the ingestion box (the submission at ``/app/ingested_program``) and,
  when the submission's metadata has a command, the submission's own box alongside, both
  writing ``/app/output``; the worker's ``metadata`` is added, the output is copied out
  with the sandbox's hygiene checks, and it is scored as above;
* ``ingestion_only_during_scoring``: the scoring box and the ingestion box run at once,
  each with its own ``/app/shared`` that the worker keeps alike (``shared.py``: nothing
  the ingestion box plants there is ever followed or opened by the scorer); the ingestion
  box never gets ``/app/input/ref``.

The caller's program and data folders are mounted read-only as they are, so they must be
reachable by the sandbox's uids (unpack them into ``make_job_folder()`` folders). The
submission is copied into the run's own job folder first, unless the caller hands it over
(``owned=True``). Boxes that run together are taken together (``boxes.open_boxes``).
"""

from __future__ import annotations

import os
import shutil
import threading
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from aihub.errors import InvalidInput
from aihub.evaluation.plans import ErrorKind
from aihub.evaluation.sandbox import (
    Limits,
    Mount,
    RunResult,
    Runtime,
    Sandbox,
    SharedArea,
    UnsafeOutput,
    copy_outputs,
    make_job_folder,
)
from aihub.interop.codabench.archive import copy_folder, link_folder, materialize, open_up
from aihub.interop.codabench.boxes import (
    BoxLog,
    Failure,
    Program,
    Role,
    Started,
    Step,
    open_boxes,
    participant_failure,
    scoring_failure,
    start,
    step_limits,
    wait_all,
)
from aihub.interop.codabench.fields import shown
from aihub.interop.codabench.model import Leaderboard, Phase
from aihub.interop.codabench.programs import command_argv, folder_metadata
from aihub.interop.codabench.reader import ImportedBundle
from aihub.interop.codabench.scores import (
    METADATA,
    ScoresError,
    detailed_results,
    metadata_text,
    read_scores,
)
from aihub.interop.codabench.shared import SharedMirror, Side

OUTPUT_MAX_FILES = 1000
# A run stopped from outside (a cancelled job, a worker shutting down) is not the
# participant's doing: infrastructure, retried or dropped by the caller.
CANCELLED = Failure(ErrorKind.INFRASTRUCTURE, "The run was stopped before it finished.",
                    "stopped from outside (stop event set)")
_RESERVED = ("Error, the output directory already contains a metadata file. This file is "
             "used to store exitCode and other data, do not write to this file manually.")


@dataclass(frozen=True)
class ProgramTask:
    """A task's programs and data as host folders (unpacked), and how it is scored."""

    scoring_program: Path
    leaderboard: Leaderboard
    ingestion_program: Path | None = None
    input_data: Path | None = None
    reference_data: Path | None = None
    ingestion_only_during_scoring: bool = False
    time_limit: float = 600.0  # seconds, for each step
    hide_output: bool = False  # a failure tells the participant its reason, not its output
    detailed_results: bool = False  # keep detailed_results.html (enable_detailed_results)


@dataclass(frozen=True)
class TaskResult:
    scores: dict[str, float]  # column key → value (computed columns included); {} on failure
    failure: Failure | None
    logs: tuple[BoxLog, ...]
    detailed_results: bytes | None = None  # detailed_results.html (or v1.5's first *.html)
    dropped_keys: tuple[str, ...] = ()  # keys of scores.json that are not columns
    missing_columns: tuple[str, ...] = ()  # columns without a score (ranked last)
    notes: tuple[str, ...] = ()  # for the host: what was not passed between boxes, and why

    @property
    def ok(self) -> bool:
        return self.failure is None


@dataclass
class _Run:
    task: ProgramTask
    submission: Path  # the run's copy
    res: Path  # what the scorer sees at /app/input/res
    outputs: Path | None
    stop: threading.Event | None
    logs: list[BoxLog] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def failed(self, failure: Failure, detailed: bytes | None = None) -> TaskResult:
        return TaskResult({}, failure, tuple(self.logs), detailed, notes=tuple(self.notes))


def materialize_task(bundle: ImportedBundle, phase: Phase, dest: Path) -> ProgramTask:
    """The task of ``phase`` with its programs and data unpacked (or copied) into ``dest``,
    a folder the sandbox's uids can reach (e.g. one from ``make_job_folder()``): for running
    an imported bundle's solutions, or a worker that has the bundle at hand."""
    competition = bundle.competition
    task = competition.phase_task(phase)

    def unpacked(relative: str | None, name: str) -> Path | None:
        if relative is None:
            return None
        folder = materialize(bundle.path(relative), dest / name)
        open_up(folder)
        return folder

    scoring = unpacked(task.scoring_program, "scoring_program")
    assert scoring is not None  # every task has one (checked at import)
    return ProgramTask(
        scoring_program=scoring, leaderboard=competition.leaderboard,
        ingestion_program=unpacked(task.ingestion_program, "ingestion_program"),
        input_data=unpacked(task.input_data, "input_data"),
        reference_data=unpacked(task.reference_data, "reference_data"),
        ingestion_only_during_scoring=task.ingestion_only_during_scoring,
        time_limit=float(phase.execution_time_limit), hide_output=phase.hide_output,
        detailed_results=(competition.enable_detailed_results
                          and competition.show_detailed_results_in_submission_panel),
    )


def _host_problem(message: str) -> Failure:
    return Failure(ErrorKind.HOST, "The challenge's programs could not be run; the host has "
                   "been told.", message)


def _command(folder: Path, what: str) -> str | Failure:
    metadata = folder_metadata(folder)
    if metadata.file is None:
        return _host_problem(f"the {what}: Program directory missing 'metadata.yaml/metadata'")
    if metadata.command is None:
        reason = metadata.error or "Program directory missing 'command' in metadata"
        return _host_problem(f"the {what}: {reason}")
    try:
        command_argv(metadata.command)
    except ValueError as exc:
        return _host_problem(f"the {what}'s command {shown(metadata.command)} cannot be split "
                             f"into arguments: {exc}")
    return metadata.command


def _own_command_problem(command: str) -> Failure | None:
    """Why the submission's own metadata command cannot run (its own doing), or None."""
    try:
        command_argv(command)
    except ValueError as exc:
        return Failure(ErrorKind.PARTICIPANT, (
            f"The command in your submission's metadata cannot be run: {exc}. Write it as you "
            "would in a shell, with balanced quotes, e.g. 'command: python3 main.py'."),
            f"the submission's command {shown(command)}: {exc}")
    return None


def _no_slots(exc: TimeoutError) -> Failure:
    return Failure(ErrorKind.INFRASTRUCTURE, "No sandbox came free in time to run this "
                   "submission; it will be run again.", f"sandbox slots: {exc}")


def _write_metadata(folder: Path, text: str) -> None:
    path = folder / METADATA
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)  # a results submission's own folder of that name
    path.unlink(missing_ok=True)
    path.write_text(text)
    path.chmod(0o644)


class TaskRunner:
    """Runs tasks in ``sandbox`` with ``runtime`` (the competition's mapped runtime) and the
    sandbox ``limits``, each step limited to the task's time limit."""

    def __init__(self, sandbox: Sandbox, runtime: Runtime | None, limits: Limits, *,
                 work_base: Path | None = None, slot_timeout: float = 600.0) -> None:
        self.sandbox = sandbox
        self.runtime = runtime
        self.limits = limits
        self.work_base = work_base
        # How long a step may wait for its boxes in all (two at once for ingestion with
        # the scorer, or with the submission's own command): then the hub's failure.
        self.slot_timeout = slot_timeout

    def run(self, task: ProgramTask, submission: Path, *, outputs: Path | None = None,
            stop: threading.Event | None = None, owned: bool = False) -> TaskResult:
        """Score the unpacked ``submission`` folder. ``outputs``, when given, receives the
        prediction output (``prediction/``) and scoring output (``scoring/``) to keep.
        ``owned``: the folder is handed over, readable by the slot uids (``open_up``), and
        used in place (a ``metadata`` file may be written into it), not copied."""
        job = make_job_folder(self.work_base, prefix="codabench-")
        try:
            run = _Run(task, job / "submission", job / "res", outputs, stop)
            if owned:
                run.submission = submission
            else:
                copy_folder(submission, run.submission)
                open_up(run.submission)
            # During scoring the submission is only imported by the ingestion program.
            own = (None if task.ingestion_only_during_scoring
                   else folder_metadata(run.submission).command)
            problem = _own_command_problem(own) if own is not None else None
            if problem is not None:
                return run.failed(problem)
            try:
                return self._run(run, own)
            except TimeoutError as exc:
                return run.failed(_no_slots(exc))
        finally:
            shutil.rmtree(job, ignore_errors=True)

    def _run(self, run: _Run, own: str | None) -> TaskResult:
        task = run.task
        if task.ingestion_only_during_scoring or (task.ingestion_program is None
                                                  and own is None):
            # Nothing runs before scoring: the submission's files are the predictions.
            if task.ingestion_only_during_scoring:
                link_folder(run.submission, run.res)  # also the ingested program
            else:
                run.res = run.submission  # nothing else reads it
            _write_metadata(run.res, metadata_text())
        else:
            failure = self._predict(run, own)
            if failure is not None:
                return run.failed(failure)
        return self._score(run)

    def _start_all(self, stack: ExitStack, programs: list[Program],
                   seconds: float) -> list[Started]:
        """Boxes for ``programs``, taken together, and the programs started in them."""
        limits = step_limits(self.limits, seconds)
        boxes = open_boxes(stack, self.sandbox, self.runtime, limits, len(programs),
                           timeout=self.slot_timeout)
        return [start(box, program) for box, program in zip(boxes, programs, strict=True)]

    def _prediction_programs(self, run: _Run, own: str | None,
                             shared: SharedArea | None) -> list[Program] | Failure:
        task = run.task
        data = (Mount(task.input_data, "/app/input_data"),) if task.input_data else ()
        programs = []
        if own is not None:
            programs.append(Program(Role.SUBMISSION, Step.PREDICTION, own,
                                    (Mount(run.submission, "/app/program"), *data),
                                    (("/app/output", shared),)))
        if task.ingestion_program is not None:
            command = _command(task.ingestion_program, "ingestion program")
            if isinstance(command, Failure):
                return command
            programs.append(Program(Role.INGESTION, Step.PREDICTION, command, (
                Mount(task.ingestion_program, "/app/program"),
                Mount(run.submission, "/app/ingested_program"), *data,
            ), (("/app/output", shared),)))
        return programs

    def _predict(self, run: _Run, own: str | None) -> Failure | None:
        together = own is not None and run.task.ingestion_program is not None
        with ExitStack() as stack:
            shared = (stack.enter_context(self.sandbox.shared_area(self.limits.output_bytes))
                      if together else None)
            programs = self._prediction_programs(run, own, shared)
            if isinstance(programs, Failure):
                return programs
            started = self._start_all(stack, programs, run.task.time_limit)
            results = wait_all(started, run.stop)
            logs = [one.log(result) for one, result in zip(started, results, strict=True)]
            run.logs.extend(logs)
            if run.stop is not None and run.stop.is_set():
                return CANCELLED
            # The submission's own box first: its crash explains the ingestion's.
            for log, result in zip(logs, results, strict=True):
                if not result.ok:
                    return participant_failure(log, result, run.task.time_limit,
                                               show_tail=not run.task.hide_output)
            return self._collect_prediction(run, started[0].areas["/app/output"])

    def _collect_prediction(self, run: _Run, output: Path) -> Failure | None:
        if os.path.lexists(output / METADATA):
            return Failure(ErrorKind.PARTICIPANT, "The prediction step wrote a file named "
                           "'metadata' into /app/output; that name is reserved.", _RESERVED)
        try:
            copy_outputs(output, run.res, max_files=OUTPUT_MAX_FILES,
                         max_bytes=self.limits.output_bytes)
        except UnsafeOutput as exc:
            return Failure(ErrorKind.PARTICIPANT, exc.detail, exc.detail)
        own = next((log for log in run.logs if log.role is Role.SUBMISSION), None)
        ingestion = next((log for log in run.logs if log.role is Role.INGESTION), None)
        first = own or ingestion
        _write_metadata(run.res, metadata_text(
            elapsed=first.wall_seconds if first else None,
            exit_code=own.exit_code if own else None,
            ingestion_elapsed=ingestion.wall_seconds if ingestion else None,
            ingestion_exit_code=ingestion.exit_code if ingestion else None,
        ))
        open_up(run.res)
        if run.outputs is not None:
            copy_folder(run.res, run.outputs / "prediction")
        return None

    def _scoring_programs(self, run: _Run) -> list[Program] | Failure:
        task = run.task
        command = _command(task.scoring_program, "scoring program")
        if isinstance(command, Failure):
            return command
        mounts = [Mount(task.scoring_program, "/app/program"), Mount(run.res, "/app/input/res")]
        if task.reference_data is not None:
            mounts.append(Mount(task.reference_data, "/app/input/ref"))
        writable: tuple[tuple[str, SharedArea | None], ...] = (("/app/output", None),)
        if not task.ingestion_only_during_scoring:
            return [Program(Role.SCORING, Step.SCORING, command, tuple(mounts), writable)]
        # Each box its own /app/shared, kept alike by a SharedMirror: never one folder.
        writable = (*writable, ("/app/shared", None))
        data = (Mount(task.input_data, "/app/input_data"),) if task.input_data else ()
        assert task.ingestion_program is not None  # checked at import
        ingestion = _command(task.ingestion_program, "ingestion program")
        if isinstance(ingestion, Failure):
            return ingestion
        return [
            Program(Role.SCORING, Step.SCORING, command, (*mounts, *data), writable),
            # Participant code: no /app/input/ref here, ever (upstream mounts it: a leak).
            Program(Role.INGESTION, Step.SCORING, ingestion, (
                Mount(task.ingestion_program, "/app/program"),
                Mount(run.submission, "/app/ingested_program"), *data,
            ), writable),
        ]

    def _score(self, run: _Run) -> TaskResult:
        task = run.task
        with ExitStack() as stack:
            programs = self._scoring_programs(run)
            if isinstance(programs, Failure):
                return run.failed(programs)
            started = self._start_all(stack, programs, task.time_limit)
            mirror = SharedMirror([Side.of(one.program.role.value, one.areas["/app/shared"])
                                   for one in started]) if len(started) > 1 else None
            results = wait_all(started, run.stop, mirror.tick if mirror else None)
            logs = [one.log(result) for one, result in zip(started, results, strict=True)]
            run.logs.extend(logs)
            run.notes.extend(mirror.notes if mirror else ())
            if run.stop is not None and run.stop.is_set():
                return run.failed(CANCELLED)
            output = started[0].areas["/app/output"]
            detailed = detailed_results(output) if task.detailed_results else None
            failure = _scoring_step_failure(logs, results, task)
            if failure is not None:
                return run.failed(failure, detailed)
            return self._read(run, output, task.leaderboard, detailed)

    def _read(self, run: _Run, output: Path, leaderboard: Leaderboard,
              detailed: bytes | None) -> TaskResult:
        try:
            scores = read_scores(output, leaderboard)
        except ScoresError as exc:
            return run.failed(Failure(ErrorKind.HOST, exc.participant, exc.detail), detailed)
        if run.outputs is not None:
            try:
                copy_outputs(output, run.outputs / "scoring", max_files=OUTPUT_MAX_FILES,
                             max_bytes=self.limits.output_bytes)
            except InvalidInput as exc:
                return run.failed(Failure(ErrorKind.HOST, "The scoring program's output "
                                          "could not be kept; the host has been told.",
                                          exc.detail), detailed)
        return TaskResult(scores.values, None, tuple(run.logs), detailed, scores.dropped,
                          scores.missing, tuple(run.notes))


def _scoring_step_failure(logs: list[BoxLog], results: list[RunResult],
                          task: ProgramTask) -> Failure | None:
    """Who failed the scoring step. The scorer first: when it failed, whatever the
    ingestion box beside it did, the run is the host's to look at (with both boxes'
    details); an ingestion box that failed beside a scorer that did not is the
    participant's."""
    show = not task.hide_output
    beside = (participant_failure(logs[1], results[1], task.time_limit, show_tail=show)
              if len(results) > 1 and not results[1].ok else None)
    if not results[0].ok:
        failure = scoring_failure(logs[0], results[0], task.time_limit)
        if len(results) > 1:
            ingestion = (beside.host if beside is not None else
                         f"ended well [{results[1].outcome}, exit {results[1].exit_code}]")
            failure = Failure(ErrorKind.HOST, failure.participant + (
                f"\n{beside.participant}" if beside is not None else ""),
                f"{failure.host}\n\nThe ingestion box beside it: {ingestion}")
        return failure
    return beside
