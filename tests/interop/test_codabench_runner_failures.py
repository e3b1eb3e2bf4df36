"""Who is told what when a bundle's run fails, and two-box runs that compete for slots, in
the real sandbox: hidden output keeps the input data out of the failure message, a scorer
crash beside the ingestion box is the host's, a submission's command that cannot be split
is the participant's, detailed results only when the bundle enables them, and two jobs
that each need two boxes on two slots both finish."""

from __future__ import annotations

import contextlib
import shutil
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from codabench_helpers import LIMITS, OWN_BUNDLES, SUBMISSIONS, copy_bundle, edit_yaml

from aihub.evaluation.plans import ErrorKind
from aihub.evaluation.sandbox import (
    Box,
    BubblewrapSandbox,
    Limits,
    Runtime,
    SharedArea,
    make_job_folder,
)
from aihub.interop.codabench import open_bundle
from aihub.interop.codabench.runner import ProgramTask, TaskResult, TaskRunner, materialize_task

pytestmark = pytest.mark.slow


def _runner(sandbox: object, runtime: Runtime, job: Path, **options: float) -> TaskRunner:
    return TaskRunner(sandbox, runtime, LIMITS, work_base=job,  # type: ignore[arg-type]
                      slot_timeout=options.get("slot_timeout", 60))


def _task(bundle: Path, job: Path, phase: int = 0) -> ProgramTask:
    with open_bundle(bundle) as opened:
        return materialize_task(opened, opened.competition.phases[phase], job / "task")


def _copy(source: Path, job: Path) -> Path:
    target = job / f"submission-{source.name}"
    shutil.copytree(source, target)
    return target


@pytest.mark.parametrize("hidden", [True, False])
def test_hidden_output_keeps_the_input_out_of_the_failure(
        bubblewrap: BubblewrapSandbox, bare_runtime: Runtime, job: Path, hidden: bool) -> None:
    task = replace(_task(OWN_BUNDLES / "blobs_code", job), hide_output=hidden)
    assert task.input_data is not None
    secret = (task.input_data / "test_features").read_text().splitlines()[-1]
    result = _runner(bubblewrap, bare_runtime, job).run(
        task, _copy(SUBMISSIONS / "dumps_input", job))
    assert result.failure is not None and result.failure.kind is ErrorKind.PARTICIPANT
    assert "exited with status 1" in result.failure.participant
    assert (secret in result.failure.participant) is not hidden
    assert secret in result.failure.host  # the host reads it either way
    if hidden:
        assert "does not show programs' output" in result.failure.participant


def test_a_scorer_crash_beside_the_ingestion_box_is_the_hosts(
        bubblewrap: BubblewrapSandbox, bare_runtime: Runtime, job: Path) -> None:
    task = _task(OWN_BUNDLES / "blobs_during_scoring", job)
    score = task.scoring_program / "score.py"
    # The scorer breaks, and tells the ingestion program to stop waiting (which then
    # fails too: it gave up on its chunks).
    score.write_text("from pathlib import Path\nimport sys\n"
                     "Path('/app/shared/abort').write_text('')\n"
                     "sys.exit('host bug: KeyError in the scorer')\n")
    result = _runner(bubblewrap, bare_runtime, job).run(
        task, _copy(OWN_BUNDLES / "blobs_during_scoring" / "solution", job))
    assert result.failure is not None
    assert result.failure.kind is ErrorKind.HOST
    assert "The scoring program failed" in result.failure.participant
    assert "The ingestion program (which runs your code) failed" in result.failure.participant
    assert "host bug: KeyError in the scorer" in result.failure.host
    assert "The ingestion box beside it: ingestion (scoring step)" in result.failure.host
    assert "gave up waiting for chunk_0" in result.failure.host
    assert "KeyError" not in result.failure.participant


def test_a_submission_command_that_cannot_be_split_is_the_participants(
        bubblewrap: BubblewrapSandbox, bare_runtime: Runtime, job: Path) -> None:
    result = _runner(bubblewrap, bare_runtime, job).run(
        _task(OWN_BUNDLES / "blobs_code", job), _copy(SUBMISSIONS / "bad_command", job))
    assert result.failure is not None and result.failure.kind is ErrorKind.PARTICIPANT
    assert "The command in your submission's metadata cannot be run" in result.failure.participant
    assert result.logs == ()  # nothing ran


@pytest.mark.parametrize(("enabled", "kept"), [(True, True), (False, False)])
def test_detailed_results_only_when_the_bundle_enables_them(
        bubblewrap: BubblewrapSandbox, bare_runtime: Runtime, job: Path, enabled: bool,
        kept: bool) -> None:
    """v1.5's fallback (the first *.html of the output) too."""
    folder = edit_yaml(copy_bundle("iris_like_v15", job),
                       lambda data: data.update(enable_detailed_results=enabled))
    task = _task(folder, job)
    assert task.detailed_results is enabled
    result = _runner(bubblewrap, bare_runtime, job).run(
        task, _copy(folder / "starting_kit" / "sample_code_submission", job))
    assert result.ok, result.failure
    assert (result.detailed_results is not None) is kept


def test_a_results_submission_handed_over_is_scored_in_place(
        bubblewrap: BubblewrapSandbox, bare_runtime: Runtime, job: Path) -> None:
    submission = _copy(OWN_BUNDLES / "blobs_results" / "solution", job)
    result = _runner(bubblewrap, bare_runtime, job).run(
        _task(OWN_BUNDLES / "blobs_results", job), submission, owned=True)
    assert result.ok, result.failure
    assert (submission / "metadata").is_file()  # used where it was, not copied


class _InStep:
    """The real sandbox, except that each job's first box waits until the other job also
    has its first: both then hold one of the two slots when they ask for the second (a
    seam, the ``Sandbox`` protocol, to make the race happen every time)."""

    def __init__(self, sandbox: BubblewrapSandbox, jobs: int) -> None:
        self.sandbox = sandbox
        self.name, self.isolation = sandbox.name, sandbox.isolation
        self.barrier = threading.Barrier(jobs, timeout=30)
        self.started: set[int] = set()

    @contextlib.contextmanager
    def open(self, runtime: Runtime | None = None, limits: Limits | None = None, *,
             timeout: float | None = None) -> Iterator[Box]:
        with self.sandbox.open(runtime, limits, timeout=timeout) as box:
            if threading.get_ident() not in self.started:
                self.started.add(threading.get_ident())
                with contextlib.suppress(threading.BrokenBarrierError):
                    self.barrier.wait()
            yield box

    def shared_area(self, size_bytes: int) -> SharedArea:
        return self.sandbox.shared_area(size_bytes)


def test_two_jobs_of_two_boxes_on_two_slots_both_finish(
        bubblewrap: BubblewrapSandbox, bare_runtime: Runtime, work_root: Path) -> None:
    assert bubblewrap.slots.count == 2
    sandbox = _InStep(bubblewrap, jobs=2)
    results: dict[int, TaskResult | BaseException] = {}
    # Each thread lives until both jobs are done: a launcher the sandbox parks for a slot
    # is forked by the thread whose run parked it, and bubblewrap's --die-with-parent
    # kills the later run that uses it when that thread ends (a sandbox issue, reported).
    both_done = threading.Barrier(2, timeout=120)

    def one(number: int) -> None:
        job = make_job_folder(work_root, prefix=f"in-step-{number}-")
        try:
            task = _task(OWN_BUNDLES / "blobs_during_scoring", job)
            submission = _copy(OWN_BUNDLES / "blobs_during_scoring" / "solution", job)
            results[number] = _runner(sandbox, bare_runtime, job, slot_timeout=30).run(
                task, submission)
        except BaseException as exc:  # reported by the assertion below
            results[number] = exc
        with contextlib.suppress(threading.BrokenBarrierError):
            both_done.wait()

    threads = [threading.Thread(target=one, args=(number,)) for number in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for number in range(2):
        result = results[number]
        assert isinstance(result, TaskResult), result
        assert result.ok, result.failure
        assert result.scores["chunks"] == 3
