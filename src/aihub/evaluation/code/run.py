"""Running a code task: the participant's program in one sandbox, then the scoring.

The program sees the runtime, its own files (read-only, at /submission), the challenge's
sandbox files (read-only, at /data) and one writable folder, /predictions. The solution is
never mounted: the runner reads the predictions back with the host-side checks of
``copy_outputs`` (no links, no special files, a size cap) and scores them itself.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from aihub.archives import common_root, unpack
from aihub.errors import InvalidInput
from aihub.evaluation.code.check import archive_limits
from aihub.evaluation.code.inputs import InputCache
from aihub.evaluation.code.reasons import participant_log, plain_failure
from aihub.evaluation.execute import INTERNAL_FAILURE, RunKit, failed, score_predictions, spec_of
from aihub.evaluation.plans import (
    CodeFormat,
    CodeSpec,
    ErrorKind,
    EvaluationResult,
    EvaluationTask,
)
from aihub.evaluation.sandbox import (
    MIB,
    Isolation,
    Limits,
    Mount,
    RunHandle,
    RunResult,
    Runtime,
    Sandbox,
    SandboxError,
    UnsafeOutput,
    copy_outputs,
    get_runtime,
    make_job_folder,
)

# How often a running program is checked for a stop request (lease lost, cancelled).
_POLL_SECONDS = 0.2
# A challenge that hides programs' output also hides what the scorer quotes of it.
_NOT_QUOTED = ("This challenge does not show programs' output, so the reason is not quoted "
               "here; the hosts can read it.")


def sandbox_limits(code: CodeSpec) -> Limits:
    spec = code.limits
    disk = spec.disk_mb * MIB
    return Limits(
        wall_seconds=float(spec.time_seconds),
        cpu_seconds=spec.time_seconds,
        memory_bytes=spec.memory_mb * MIB,
        processes=spec.processes,
        open_files=spec.open_files,
        file_size_bytes=disk,
        workspace_bytes=disk,
        output_bytes=disk,
        stdout_bytes=spec.log_kb * 1024,
        stderr_bytes=spec.log_kb * 1024,
    )


@dataclass
class CodeRunner:
    """The ``KindRunner`` of code tasks on a worker with a sandbox and runtimes.

    ``make_sandbox`` gives the worker's sandbox (the hub makes it on first use): one that
    cannot sandbox says why in the job's failure instead of at start-up."""

    make_sandbox: Callable[[], Sandbox]
    runtimes_dir: Path
    work_dir: Path

    def __post_init__(self) -> None:
        self.inputs = InputCache(self.work_dir / "inputs")

    def __call__(
        self, task: EvaluationTask, kit: RunKit, stop: threading.Event
    ) -> EvaluationResult:
        assert task.code is not None
        try:
            sandbox = self.make_sandbox()
            runtime = get_runtime(self.runtimes_dir, task.code.runtime)
        except SandboxError as exc:  # unavailable, unreachable, no such runtime
            return failed(INTERNAL_FAILURE, ErrorKind.INFRASTRUCTURE, str(exc))
        if sandbox.isolation is not Isolation.FULL and not task.allow_fallback:
            return failed(
                INTERNAL_FAILURE, ErrorKind.INFRASTRUCTURE,
                f"this worker's sandbox ({sandbox.name}) has reduced isolation and no "
                "curator allowed it for this challenge",
            )
        differs = {name: runtime.packages.get(name) for name, version in
                   task.code.packages.items() if runtime.packages.get(name) != version}
        if differs:
            return failed(
                INTERNAL_FAILURE, ErrorKind.INFRASTRUCTURE,
                f"runtime {runtime.name!r} on this worker has other versions than the "
                f"challenge fixed: {differs} (wanted {task.code.packages})",
            )
        folder = make_job_folder(self.work_dir / "jobs", prefix=f"job-{task.job_id}-")
        try:
            return self._run(task, kit, stop, folder, runtime)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def _run(self, task: EvaluationTask, kit: RunKit, stop: threading.Event, folder: Path,
             runtime: Runtime) -> EvaluationResult:
        code = task.code
        assert code is not None
        submission = self._unpack(task, kit, folder, code)
        if isinstance(submission, EvaluationResult):
            return submission
        data = folder / "data"
        data.mkdir()
        for ref in task.data:
            self.inputs.link(kit.files.local_path(ref), ref, data / ref.name)
        mounts = [Mount(submission, "/submission"), Mount(data, "/data")]
        argv, env = self._command(task, code, folder, mounts)
        with self.make_sandbox().open(runtime, sandbox_limits(code)) as box:
            predictions = box.writable("/predictions")
            handle = box.start(argv, mounts=mounts, workdir="/submission", env=env)
            result = _wait(handle, stop)
            if result is None:
                return failed(INTERNAL_FAILURE, ErrorKind.INFRASTRUCTURE,
                              "stopped: the job was cancelled or its lease was lost")
            return self._score(task, kit, code, result, predictions, folder)

    def _unpack(self, task: EvaluationTask, kit: RunKit, folder: Path,
                code: CodeSpec) -> Path | EvaluationResult:
        target = folder / "submission"
        target.mkdir()
        try:
            members = unpack(kit.files.local_path(task.submission), target,
                             archive_limits(code), label="Your zip")
        except InvalidInput as exc:
            return failed(str(exc), ErrorKind.PARTICIPANT)
        root = common_root(members)
        return target / root if root else target

    def _command(self, task: EvaluationTask, code: CodeSpec, folder: Path,
                 mounts: list[Mount]) -> tuple[list[str], dict[str, str]]:
        if code.format is CodeFormat.MAIN:
            return ["python3", "main.py"], {"AIHUB_PREDICTIONS": "/predictions/"
                                            + code.prediction_file}
        harness = folder / "harness"
        harness.mkdir()
        source = resources.files("aihub.evaluation.code").joinpath("model_harness.py")
        (harness / "run_model.py").write_text(source.read_text(encoding="utf-8"))
        mounts.append(Mount(harness, "/harness"))
        spec = spec_of(task)
        config = {
            "train": code.train_file, "test": code.test_file, "output": code.prediction_file,
            "id_column": spec.id_column, "targets": list(spec.target_columns),
        }
        return ["python3", "/harness/run_model.py"], {"AIHUB_MODEL_HARNESS": json.dumps(config)}

    def _score(self, task: EvaluationTask, kit: RunKit, code: CodeSpec, result: RunResult,
               predictions: Path, folder: Path) -> EvaluationResult:
        host_log = participant_log(result)
        log = host_log if code.show_log else ""
        if not result.ok:
            # The end of the program's error output could quote the files it read: with
            # its output hidden, the participant reads the reason alone.
            told = plain_failure(result) if code.show_log else (
                f"{result.reason} This challenge does not show programs' output.")
            return failed(told, ErrorKind.PARTICIPANT, plain_failure(result), log=log,
                          host_log=host_log)
        copied = folder / "predictions"
        try:
            copy_outputs(predictions, copied, max_files=100, max_bytes=kit.max_bytes)
        except UnsafeOutput as exc:
            refused = f"Your program's output was refused: {exc}"
            told = refused if code.show_log else (
                "Your program's output was refused: /predictions may hold at most 100 "
                f"regular files (no links) of {kit.max_bytes:,} bytes in all. {_NOT_QUOTED}")
            return failed(told, ErrorKind.PARTICIPANT, refused, log=log, host_log=host_log)
        path = copied / code.prediction_file
        if not path.is_file():
            return failed(
                f"Your program finished but wrote no /predictions/{code.prediction_file}.",
                ErrorKind.PARTICIPANT, log=log, host_log=host_log,
            )
        scored = score_predictions(kit, task, path, code.prediction_file)
        if scored.error_kind is ErrorKind.PARTICIPANT and not code.show_log:
            # The scorer quotes the file's values, names and header, which the program could
            # have copied from data the participant may not see: hosts alone read them.
            scored = scored.model_copy(update={"error": (
                f"Your program's /predictions/{code.prediction_file} could not be scored. "
                f"{_NOT_QUOTED} It needs the columns of the sample submission and one row "
                "for each test id.")})
        return scored.model_copy(update={"log": log, "host_log": host_log})


def _wait(handle: RunHandle, stop: threading.Event) -> RunResult | None:
    """The run's result, or None when ``stop`` was set first (the run is then killed)."""
    while not handle.done():
        if stop.wait(_POLL_SECONDS):
            handle.kill()
            handle.wait()
            return None
    return handle.wait()
