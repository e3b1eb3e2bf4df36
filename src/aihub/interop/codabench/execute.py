"""The ``KindRunner`` of program tasks: a Codabench phase's programs run for one submission.

The task's blobs (scoring and ingestion programs, input and reference data, each a zip) are
unpacked into a job folder the sandbox's uids can reach; ``TaskRunner`` runs the directory
protocol; its scores and logs become an ``EvaluationResult``. The scoring box saw the
reference data, so its output goes to the hosts only.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from aihub.archives import ArchiveLimits, unpack
from aihub.errors import InvalidInput
from aihub.evaluation.execute import HOST_FAILURE, INTERNAL_FAILURE, RunKit, failed
from aihub.evaluation.plans import (
    BlobRef,
    BoardColumns,
    ErrorKind,
    EvaluationResult,
    EvaluationTask,
)
from aihub.evaluation.sandbox import (
    MIB,
    Isolation,
    Limits,
    Sandbox,
    SandboxError,
    get_runtime,
    make_job_folder,
)
from aihub.interop.codabench.archive import open_up
from aihub.interop.codabench.boxes import BoxLog
from aihub.interop.codabench.model import (
    Column,
    Computation,
    Leaderboard,
    Sorting,
    SubmissionRule,
)
from aihub.interop.codabench.runner import ProgramTask, TaskResult, TaskRunner

# What one box of a bundle may use besides its phase's time limit.
BOX_LIMITS = Limits(memory_bytes=4096 * MIB, processes=256, open_files=1024,
                    file_size_bytes=1024 * MIB, workspace_bytes=1024 * MIB,
                    output_bytes=1024 * MIB)
_UNPACKED = ArchiveLimits(max_members=50_000, max_bytes=4 * 1024**3)


def leaderboard_of(columns: BoardColumns) -> Leaderboard:
    cols = tuple(
        Column(key=c.key, title=c.title, index=c.index, sorting=Sorting(c.sorting),
               precision=c.precision, hidden=c.hidden,
               computation=Computation(c.computation) if c.computation else None,
               computation_indexes=c.computation_indexes)
        for c in columns.columns
    )
    primary = next(c.index for c in cols if c.key == columns.primary)
    return Leaderboard(title="", key="", rule=SubmissionRule(columns.rule), columns=cols,
                       primary_index=primary)


def _log_text(logs: tuple[BoxLog, ...], *, participant: bool) -> str:
    parts = []
    for log in logs:
        if participant and not log.participant_visible:
            continue
        body = "\n".join(part for part in (log.stdout, log.stderr) if part)
        parts.append(f"== {log.role.value} ({log.step.value}): {log.command}\n{body}".rstrip())
    return "\n\n".join(parts)


@dataclass
class ProgramRunner:
    make_sandbox: Callable[[], Sandbox]
    runtimes_dir: Path
    work_dir: Path

    def __call__(
        self, task: EvaluationTask, kit: RunKit, stop: threading.Event
    ) -> EvaluationResult:
        assert task.task is not None and task.columns is not None
        try:
            sandbox = self.make_sandbox()
            runtime = get_runtime(self.runtimes_dir, task.runtime)
        except SandboxError as exc:  # unavailable, unreachable, no such runtime
            return failed(INTERNAL_FAILURE, ErrorKind.INFRASTRUCTURE, str(exc))
        if sandbox.isolation is not Isolation.FULL and not task.allow_fallback:
            return failed(
                INTERNAL_FAILURE, ErrorKind.INFRASTRUCTURE,
                f"this worker's sandbox ({sandbox.name}) has reduced isolation and no "
                "curator allowed it for this challenge",
            )
        folder = make_job_folder(self.work_dir / "jobs", prefix=f"job-{task.job_id}-")
        try:
            program = self._program_task(task, kit, folder)
            if isinstance(program, EvaluationResult):
                return program
            try:
                submission = self._unpack(kit, task.submission, folder / "submission")
            except InvalidInput as exc:
                return failed(str(exc), ErrorKind.PARTICIPANT)
            runner = TaskRunner(sandbox, runtime, BOX_LIMITS, work_base=folder)
            result = runner.run(program, submission, stop=stop, owned=True)
            return self._result(task, kit, result)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def _program_task(self, task: EvaluationTask, kit: RunKit,
                      folder: Path) -> ProgramTask | EvaluationResult:
        """The phase's programs and data unpacked; a zip that cannot be is the bundle's
        fault (the host's), not the submission's and not ours."""
        phase, columns = task.task, task.columns
        assert phase is not None and columns is not None
        try:
            unpacked = {
                name: self._unpack(kit, ref, folder / name) if ref else None
                for name, ref in (("scoring_program", phase.scoring_program),
                                  ("ingestion_program", phase.ingestion_program),
                                  ("input_data", phase.input_data),
                                  ("reference_data", phase.reference_data))
            }
        except InvalidInput as exc:
            return failed(HOST_FAILURE, ErrorKind.HOST,
                          f"the challenge's programs or data could not be unpacked: {exc}")
        scoring = unpacked["scoring_program"]
        assert scoring is not None
        return ProgramTask(
            scoring_program=scoring, leaderboard=leaderboard_of(columns),
            ingestion_program=unpacked["ingestion_program"],
            input_data=unpacked["input_data"], reference_data=unpacked["reference_data"],
            ingestion_only_during_scoring=phase.ingestion_only_during_scoring,
            time_limit=float(phase.time_limit_seconds), hide_output=phase.hide_output,
            detailed_results=(phase.enable_detailed_results
                              and phase.show_detailed_results_in_submission_panel),
        )

    def _unpack(self, kit: RunKit, ref: BlobRef, dest: Path) -> Path:
        dest.mkdir()
        unpack(kit.files.local_path(ref), dest, _UNPACKED, label=ref.name)
        open_up(dest)
        return dest

    def _result(self, task: EvaluationTask, kit: RunKit, result: TaskResult) -> EvaluationResult:
        assert task.task is not None and task.columns is not None
        host_log = _log_text(result.logs, participant=False)
        if result.notes:
            host_log += "\n\n== aihub\n" + "\n".join(result.notes)
        log = "" if task.task.hide_output else _log_text(result.logs, participant=True)
        detailed = self._keep_detailed(kit, result.detailed_results)
        if result.failure is not None:
            failure = result.failure
            return failed(failure.participant, failure.kind, failure.host, log=log,
                          host_log=host_log).model_copy(update={"detailed_results": detailed})
        primary = result.scores.get(task.columns.primary)
        if primary is None:
            return failed(HOST_FAILURE, ErrorKind.HOST,
                          f"the scoring program wrote no value for the primary column "
                          f"{task.columns.primary!r}", log=log, host_log=host_log)
        return EvaluationResult(status="finished", public=primary, scores=dict(result.scores),
                                log=log, host_log=host_log, detailed_results=detailed)

    def _keep_detailed(self, kit: RunKit, content: bytes | None) -> BlobRef | None:
        if content is None:
            return None
        with tempfile.TemporaryDirectory(prefix="aihub-detailed-") as scratch:
            path = Path(scratch) / "detailed_results.html"
            path.write_bytes(content)
            return kit.keep(path, "detailed_results.html")
