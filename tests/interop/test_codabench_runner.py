"""Bundles run end to end in the real sandbox, with Codabench's directory protocol: results
and code submissions, a self-running submission, ingestion during scoring, a CodaLab 1.5
bundle, and submissions that fail, stall or attack."""

from __future__ import annotations

import secrets
import shutil
import threading
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from codabench_helpers import LIMITS, OWN_BUNDLES, SUBMISSIONS, upstream_fixtures

from aihub.evaluation.plans import ErrorKind
from aihub.evaluation.sandbox import BubblewrapSandbox, Outcome, Runtime
from aihub.interop.codabench import open_bundle, read_competition
from aihub.interop.codabench.boxes import Role
from aihub.interop.codabench.runner import (
    ProgramTask,
    TaskResult,
    TaskRunner,
    materialize_task,
)

pytestmark = pytest.mark.slow


def _runner(bubblewrap: BubblewrapSandbox, runtime: Runtime, job: Path) -> TaskRunner:
    return TaskRunner(bubblewrap, runtime, LIMITS, work_base=job, slot_timeout=60)


def _task(bundle: str, job: Path, phase: int = 0) -> ProgramTask:
    with open_bundle(OWN_BUNDLES / bundle) as opened:
        return materialize_task(opened, opened.competition.phases[phase], job / "task")


def _submission(name: str, job: Path, source: Path = SUBMISSIONS) -> Path:
    target = job / f"submission-{name.replace('/', '-')}"
    shutil.copytree(source / name, target)
    return target


def _all_text(result: TaskResult, outputs: Path | None = None) -> str:
    parts = [log.stdout + log.stderr for log in result.logs]
    if result.failure is not None:
        parts += [result.failure.participant, result.failure.host]
    if outputs is not None and outputs.exists():
        parts += [p.read_text(errors="replace") for p in outputs.rglob("*") if p.is_file()]
    return "\n".join(parts)


def test_fixture_results_score_as_on_codabench(bubblewrap: BubblewrapSandbox,
                                                bare_runtime: Runtime, job: Path) -> None:
    """The wheat-seeds results bundle's example predictions, scored by our clean-room
    accuracy scorer, give the figures Codabench shows: 0.85 and 0.2830."""
    fixtures = upstream_fixtures() / "wheat_seeds_results_submission"
    board = read_competition(OWN_BUNDLES / "blobs_results").leaderboard
    scorer = job / "scoring_program"
    shutil.copytree(OWN_BUNDLES / "blobs_results" / "scoring_program", scorer)
    runner = _runner(bubblewrap, bare_runtime, job)
    for split, solution, expected in (("dev_phase", "feedback_solution", 0.85),
                                      ("final_phase", "final_solution", 0.2830)):
        reference = job / split
        shutil.copytree(fixtures / split / "reference_data", reference)
        task = ProgramTask(scoring_program=scorer, leaderboard=board,
                           reference_data=reference, time_limit=30)
        result = runner.run(task, _submission(solution, job, fixtures / "solution"))
        assert result.ok, result.failure
        assert round(result.scores["accuracy"], 4) == expected
        assert result.dropped_keys == ("rows",)
        assert "mean_recall" in result.scores  # computed here from the three recalls
        (log,) = result.logs
        assert (log.role, log.outcome, log.participant_visible) == (Role.SCORING, Outcome.OK,
                                                                    False)


def test_results_submission(bubblewrap: BubblewrapSandbox, bare_runtime: Runtime,
                            job: Path) -> None:
    task = _task("blobs_results", job)
    submission = _submission("solution", job, OWN_BUNDLES / "blobs_results")
    result = _runner(bubblewrap, bare_runtime, job).run(task, submission, outputs=job / "kept")
    assert result.ok, result.failure
    assert result.scores["accuracy"] == 0.75
    assert result.scores["mean_recall"] == pytest.approx(0.75)
    assert result.missing_columns == ()
    assert not (job / "kept" / "prediction").exists()  # nothing ran before scoring
    assert (job / "kept" / "scoring" / "scores.json").is_file()


def test_code_submission_trains_and_scores(bubblewrap: BubblewrapSandbox,
                                           bare_runtime: Runtime, job: Path) -> None:
    task = _task("blobs_code", job)
    submission = _submission("solution", job, OWN_BUNDLES / "blobs_code")
    result = _runner(bubblewrap, bare_runtime, job).run(task, submission, outputs=job / "kept")
    assert result.ok, result.failure
    assert result.scores["accuracy"] >= 0.9
    assert result.scores["duration"] >= 0
    assert [log.role for log in result.logs] == [Role.INGESTION, Role.SCORING]
    ingestion = result.logs[0]
    assert "predicted 12 rows" in ingestion.stdout and ingestion.participant_visible
    assert result.detailed_results is not None and b"accuracy" in result.detailed_results
    metadata = yaml.safe_load((job / "kept" / "prediction" / "metadata").read_text())
    assert metadata["exitCode"] is None  # the submission has no command of its own
    assert metadata["ingestionExitCode"] == 0
    assert metadata["elapsedTime"] == metadata["ingestionElapsedTime"] > 0


def test_self_running_submission_runs_beside_ingestion(bubblewrap: BubblewrapSandbox,
                                                       bare_runtime: Runtime,
                                                       job: Path) -> None:
    task = _task("blobs_code", job)
    result = _runner(bubblewrap, bare_runtime, job).run(
        task, _submission("self_running", job), outputs=job / "kept")
    assert result.ok, result.failure
    assert [log.role for log in result.logs] == [Role.SUBMISSION, Role.INGESTION, Role.SCORING]
    assert (job / "kept" / "prediction" / "self_ran").read_text() == "yes\n"
    metadata = yaml.safe_load((job / "kept" / "prediction" / "metadata").read_text())
    assert metadata["exitCode"] == 0


def test_ingestion_during_scoring(bubblewrap: BubblewrapSandbox, bare_runtime: Runtime,
                                  job: Path) -> None:
    task = _task("blobs_during_scoring", job)
    submission = _submission("solution", job, OWN_BUNDLES / "blobs_during_scoring")
    result = _runner(bubblewrap, bare_runtime, job).run(task, submission)
    assert result.ok, result.failure
    assert result.scores["chunks"] == 3
    assert result.scores["accuracy"] >= 0.9
    assert [log.role for log in result.logs] == [Role.SCORING, Role.INGESTION]
    assert "predictions after 3 chunks" in result.logs[1].stdout


def test_codalab_15_bundle_with_legacy_commands(bubblewrap: BubblewrapSandbox,
                                                bare_runtime: Runtime, job: Path) -> None:
    task = _task("iris_like_v15", job)
    submission = _submission("starting_kit/sample_code_submission", job,
                             OWN_BUNDLES / "iris_like_v15")
    result = _runner(bubblewrap, bare_runtime, job).run(task, submission)
    assert result.ok, result.failure
    assert result.scores["score"] >= 0.9
    assert result.scores["Duration"] > 0  # the worker's metadata elapsedTime, via scores.txt
    assert result.logs[0].command == ("python /app/program/ingestion.py /app/input_data "
                                      "/app/output /app/program /app/ingested_program")
    assert result.logs[1].command == "python /app/program/score.py /app/input /app/output"
    assert result.detailed_results is not None and b"score" in result.detailed_results


def test_a_crash_shows_the_end_of_the_traceback(bubblewrap: BubblewrapSandbox,
                                                bare_runtime: Runtime, job: Path) -> None:
    result = _runner(bubblewrap, bare_runtime, job).run(_task("blobs_code", job),
                                                         _submission("crash", job))
    assert result.failure is not None
    assert result.failure.kind is ErrorKind.PARTICIPANT
    assert "exited with status 1" in result.failure.participant
    assert "ValueError: this model cannot learn from blobs" in result.failure.participant
    assert [log.role for log in result.logs] == [Role.INGESTION]  # no scoring after it


def test_the_time_limit_stops_a_step(bubblewrap: BubblewrapSandbox, bare_runtime: Runtime,
                                     job: Path) -> None:
    task = replace(_task("blobs_code", job), time_limit=3)
    result = _runner(bubblewrap, bare_runtime, job).run(task, _submission("sleeper", job))
    assert result.failure is not None
    assert result.failure.participant == ("Execution Time Limit exceeded. Limit was 3 seconds "
                                          "(prediction step).")
    assert result.logs[0].outcome is Outcome.TIME_LIMIT


@pytest.mark.parametrize(("name", "message"), [
    ("writes_metadata", "a file named 'metadata' into /app/output; that name is reserved"),
    ("linker", "is a symbolic link"),
])
def test_bad_prediction_outputs(bubblewrap: BubblewrapSandbox, bare_runtime: Runtime,
                                job: Path, name: str, message: str) -> None:
    result = _runner(bubblewrap, bare_runtime, job).run(_task("blobs_code", job),
                                                         _submission(name, job))
    assert result.failure is not None and result.failure.kind is ErrorKind.PARTICIPANT
    assert message in result.failure.participant


def test_scorer_failures_do_not_quote_the_reference(bubblewrap: BubblewrapSandbox,
                                                    bare_runtime: Runtime, job: Path) -> None:
    task = _task("blobs_results", job)
    canary = f"CANARY-{secrets.token_hex(8)}"
    assert task.reference_data is not None
    (task.reference_data / "testing_label").write_text(canary + "\n")
    result = _runner(bubblewrap, bare_runtime, job).run(
        task, _submission("solution", job, OWN_BUNDLES / "blobs_results"))
    assert result.failure is not None and result.failure.kind is ErrorKind.HOST
    assert canary in result.failure.host  # the scorer's traceback names the bad value
    assert canary not in result.failure.participant
    assert "The scoring program failed" in result.failure.participant


@pytest.mark.parametrize("bundle", ["blobs_code", "blobs_during_scoring"])
def test_participant_code_cannot_read_the_reference(bubblewrap: BubblewrapSandbox,
                                                    bare_runtime: Runtime, job: Path,
                                                    bundle: str) -> None:
    task = _task(bundle, job)
    assert task.reference_data is not None
    canary = f"CANARY-{secrets.token_hex(8)}"
    (task.reference_data / "canary_labels").write_text(canary + "\n")
    result = _runner(bubblewrap, bare_runtime, job).run(
        task, _submission("hostile", job), outputs=job / "kept")
    # The run completes: the scorer read the reference (a third of the labels are 0, the
    # hostile model's only answer), the participant's code did not.
    assert result.ok, result.failure
    assert result.scores["accuracy"] == pytest.approx(1 / 3)
    hostile = next(log for log in result.logs if log.role is Role.INGESTION)
    assert "uid " in hostile.stdout  # it ran, and printed what it found
    assert "denied /app/input/ref: FileNotFoundError" in hostile.stdout
    assert "canary_labels" not in hostile.stdout
    assert canary not in _all_text(result, job / "kept")
    if bundle == "blobs_during_scoring":
        # Its links and pipe in /app/shared stayed in its own box: never copied to the
        # scorer's (else the scorer follows 'prediction' to the labels and scores 1.0).
        assert "planted /app/shared/prediction" in hostile.stdout
        notes = "\n".join(result.notes)
        assert "/app/shared/reference of the ingestion box is a symbolic link" in notes
        assert "/app/shared/trap of the ingestion box is not a regular file" in notes


def test_a_stop_event_ends_the_run(bubblewrap: BubblewrapSandbox, bare_runtime: Runtime,
                                   job: Path) -> None:
    stop = threading.Event()
    timer = threading.Timer(0.5, stop.set)
    timer.start()
    try:
        result = _runner(bubblewrap, bare_runtime, job).run(
            _task("blobs_code", job), _submission("sleeper", job), stop=stop)
    finally:
        timer.cancel()
    assert result.failure is not None and result.failure.kind is ErrorKind.INFRASTRUCTURE
    assert result.logs[0].outcome is not Outcome.OK
