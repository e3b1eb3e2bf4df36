"""``ProgramRunner``, the worker's runner of a Codabench phase for one submission, in the
real sandbox: whose fault a broken zip is, a sandbox with reduced isolation refused, the
participant told the reason alone when the phase hides output, detailed results kept only
when the bundle enables them."""

from __future__ import annotations

import hashlib
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from codabench_helpers import OWN_BUNDLES, SUBMISSIONS

from aihub.evaluation.execute import RunKit
from aihub.evaluation.plans import (
    BlobRef,
    ErrorKind,
    EvaluationResult,
    EvaluationTask,
    PhaseTask,
    TaskKind,
)
from aihub.evaluation.sandbox import (
    BubblewrapSandbox,
    Isolation,
    Runtime,
    make_job_folder,
)
from aihub.evaluation.scoring import TruthCache
from aihub.interop.codabench import read_competition
from aihub.interop.codabench.archive import pack_folder
from aihub.interop.codabench.execute import ProgramRunner
from aihub.interop.codabench.importer import board_columns

pytestmark = pytest.mark.slow


@dataclass
class _Store:
    """The files of a task by sha256: the ``FileSource`` seam, over a folder."""

    folder: Path
    paths: dict[str, Path] = field(default_factory=dict)
    kept: list[str] = field(default_factory=list)

    def add(self, path: Path, name: str) -> BlobRef:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        self.paths[digest] = path
        return BlobRef(sha256=digest, size=path.stat().st_size, name=name)

    def local_path(self, ref: BlobRef) -> Path:
        return self.paths[ref.sha256]

    def keep(self, path: Path, name: str) -> BlobRef:
        self.kept.append(name)
        copy = self.folder / f"kept-{len(self.kept)}"
        shutil.copy(path, copy)
        return self.add(copy, name)

    def zipped(self, folder: Path, name: str) -> BlobRef:
        return self.add(pack_folder(folder, self.folder / f"{len(self.paths)}-{name}"), name)


@pytest.fixture
def store(tmp_path: Path) -> _Store:
    return _Store(tmp_path)


def _task(store: _Store, submission: Path, **phase: object) -> EvaluationTask:
    bundle = OWN_BUNDLES / "blobs_code"
    task = PhaseTask(
        name="Blobs development",
        scoring_program=store.zipped(bundle / "scoring_program", "scoring_program.zip"),
        ingestion_program=store.zipped(bundle / "ingestion_program", "ingestion_program.zip"),
        input_data=store.zipped(bundle / "dev" / "input_data", "input_data.zip"),
        reference_data=store.zipped(bundle / "dev" / "reference_data", "reference_data.zip"),
        time_limit_seconds=60, **phase)  # type: ignore[arg-type]
    return EvaluationTask(
        job_id=1, attempt=1, submission_id=1, challenge="blobs", kind=TaskKind.PROGRAM,
        submission=store.zipped(submission, "submission.zip"), task=task,
        columns=board_columns(read_competition(bundle).leaderboard), runtime="bare")


def _run(sandbox: Callable[[], object], runtime: Runtime, work_root: Path, store: _Store,
         task: EvaluationTask) -> EvaluationResult:
    runner = ProgramRunner(sandbox, runtime.root.parent,  # type: ignore[arg-type]
                           make_job_folder(work_root, prefix="program-runner-"))
    kit = RunKit(files=store, truths=TruthCache(), max_bytes=1 << 24, keep=store.keep)
    return runner(task, kit, threading.Event())


def test_a_solution_scores_with_detailed_results_when_enabled(
        bubblewrap: BubblewrapSandbox, bare_runtime: Runtime, work_root: Path,
        store: _Store) -> None:
    task = _task(store, OWN_BUNDLES / "blobs_code" / "solution", enable_detailed_results=True)
    result = _run(lambda: bubblewrap, bare_runtime, work_root, store, task)
    assert result.status == "finished", result.host_error
    assert result.detailed_results is not None and store.kept == ["detailed_results.html"]


@pytest.mark.parametrize("flags", [{}, {"enable_detailed_results": True,
                                        "show_detailed_results_in_submission_panel": False}])
def test_detailed_results_are_not_kept_unless_enabled_and_shown(
        bubblewrap: BubblewrapSandbox, bare_runtime: Runtime, work_root: Path,
        store: _Store, flags: dict[str, bool]) -> None:
    task = _task(store, OWN_BUNDLES / "blobs_code" / "solution", **flags)
    result = _run(lambda: bubblewrap, bare_runtime, work_root, store, task)
    assert result.status == "finished", result.host_error
    assert result.detailed_results is None and store.kept == []


def test_hidden_output_gives_the_participant_the_reason_alone(
        bubblewrap: BubblewrapSandbox, bare_runtime: Runtime, work_root: Path,
        store: _Store) -> None:
    secret = (OWN_BUNDLES / "blobs_code" / "dev" / "input_data" / "test_features"
              ).read_text().splitlines()[-1]
    task = _task(store, SUBMISSIONS / "dumps_input", hide_output=True)
    result = _run(lambda: bubblewrap, bare_runtime, work_root, store, task)
    assert (result.status, result.error_kind) == ("failed", ErrorKind.PARTICIPANT)
    assert secret not in result.error + result.log
    assert secret in result.host_error and secret in result.host_log


def test_a_broken_program_zip_is_the_hosts_fault(
        bubblewrap: BubblewrapSandbox, bare_runtime: Runtime, work_root: Path,
        store: _Store) -> None:
    task = _task(store, OWN_BUNDLES / "blobs_code" / "solution")
    assert task.task is not None
    broken = store.folder / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 not a zip at all")
    phase = task.task.model_copy(update={"scoring_program": store.add(broken, "scoring.zip")})
    result = _run(lambda: bubblewrap, bare_runtime, work_root, store,
                  task.model_copy(update={"task": phase}))
    assert (result.status, result.error_kind) == ("failed", ErrorKind.HOST)
    assert "could not be unpacked" in result.host_error


def test_a_broken_submission_zip_is_the_participants(
        bubblewrap: BubblewrapSandbox, bare_runtime: Runtime, work_root: Path,
        store: _Store) -> None:
    task = _task(store, OWN_BUNDLES / "blobs_code" / "solution")
    broken = store.folder / "submission.zip"
    broken.write_bytes(b"PK\x03\x04 not a zip at all")
    result = _run(lambda: bubblewrap, bare_runtime, work_root, store,
                  task.model_copy(update={"submission": store.add(broken, "submission.zip")}))
    assert (result.status, result.error_kind) == ("failed", ErrorKind.PARTICIPANT)


class _Reduced:
    """The real sandbox, saying its isolation is reduced (the ``Sandbox`` seam)."""

    name = "reduced-for-the-test"
    isolation = Isolation.REDUCED

    def __init__(self, sandbox: BubblewrapSandbox) -> None:
        self.open, self.shared_area = sandbox.open, sandbox.shared_area


@pytest.mark.parametrize("allowed", [False, True])
def test_reduced_isolation_is_refused_unless_allowed(
        bubblewrap: BubblewrapSandbox, bare_runtime: Runtime, work_root: Path, store: _Store,
        allowed: bool) -> None:
    task = _task(store, OWN_BUNDLES / "blobs_code" / "solution").model_copy(
        update={"allow_fallback": allowed})
    result = _run(lambda: _Reduced(bubblewrap), bare_runtime, work_root, store, task)
    if allowed:
        assert result.status == "finished", result.host_error
    else:
        assert (result.status, result.error_kind) == ("failed", ErrorKind.INFRASTRUCTURE)
        assert "reduced isolation" in result.host_error
