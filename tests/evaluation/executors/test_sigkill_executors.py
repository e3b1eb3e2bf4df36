"""SIGKILL mid-job on each executor: nothing lost, nothing scored twice, limits unchanged.

Workers run in their own processes (``executor_launch.py``: the CLI's own worker loops), on
a code challenge whose run a test-only ``KindRunner`` holds open until the worker is killed.
The Celery executor's kill test is in ``test_executor_celery.py``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest
from executor_helpers import (
    SCORES,
    Launcher,
    code_challenge,
    counted_today,
    free_port,
    job_row,
    kill,
    make_runner,
    stop_process,
    submission_row,
    submit,
    wait_for,
)
from sqlalchemy import func, select

from aihub.evaluation.models import Job
from aihub.evaluation.runner import INTERNAL_FAILURE
from aihub.evaluation.status import Status
from aihub.evaluation.worker import reap
from aihub.hub import Hub
from factories import Factories

pytestmark = pytest.mark.slow


def _code_job(hub: Hub, factories: Factories, slug: str) -> tuple[int, int]:
    if not hub.db.is_sqlite:
        pytest.skip("one run on SQLite is enough: the subprocesses share the queue code that "
                    "the PostgreSQL tests cover")
    host, member = factories.host(), factories.person()
    challenge = code_challenge(hub, factories, host, slug)
    factories.join(challenge, member)
    return submit(hub, factories, slug, member, factories.bundles / slug / "baseline.csv")


def _finished(hub: Hub, job_id: int) -> bool:
    return job_row(hub, job_id).status == Status.FINISHED


def _assert_scored_once(hub: Hub, job_id: int, sub_id: int, counted: int) -> None:
    job = job_row(hub, job_id)
    submission = submission_row(hub, sub_id)
    assert job.status == Status.FINISHED and job.attempts == 2
    assert submission.status == Status.FINISHED
    assert (submission.public_score, submission.private_score) == (
        SCORES["public"], SCORES["private"])
    with hub.db.reading() as session:
        assert session.scalar(select(func.count(Job.id)).where(Job.submission_id == sub_id)) == 1
    assert counted_today(hub, sub_id) == counted


def _kill_when_started(launcher: Launcher, victim: subprocess.Popen[bytes], job_id: int,
                       hub: Hub, sub_id: int) -> None:
    try:
        wait_for(launcher.started(job_id, 1).exists, seconds=90, what="the first attempt")
    except AssertionError:
        stop_process(victim)
        raise AssertionError(launcher.logs()) from None
    kill(victim)
    assert job_row(hub, job_id).status == Status.RUNNING
    assert submission_row(hub, sub_id).public_score is None


def test_aihub_worker_killed_mid_job_runs_again_once(
    hub: Hub, factories: Factories, launcher: Launcher
) -> None:
    sub_id, job_id = _code_job(hub, factories, "kill-local")
    counted = counted_today(hub, sub_id)
    victim = launcher.start("slow", "local")
    _kill_when_started(launcher, victim, job_id, hub, sub_id)
    # Another worker's reaper takes the job back once the lease runs out, and runs it.
    rescuer = launcher.start("fast", "local")
    try:
        wait_for(lambda: _finished(hub, job_id), seconds=90, what="the second attempt")
    finally:
        stop_process(rescuer)
    _assert_scored_once(hub, job_id, sub_id, counted)


def test_a_job_that_kills_every_worker_is_given_up_with_the_reason(
    hub: Hub, factories: Factories, launcher: Launcher
) -> None:
    sub_id, job_id = _code_job(hub, factories, "kills-workers")
    tries = job_row(hub, job_id).max_attempts
    for attempt in range(1, tries + 1):
        # Each worker reaps the previous one's expired lease, claims the job, and dies.
        assert launcher.run("kill", "local", timeout=90) == -9, launcher.logs()
        assert launcher.started(job_id, attempt).exists()
    wait_for(lambda: reap(hub.db) > 0, seconds=30, what="the reaper giving up")
    job = job_row(hub, job_id)
    assert job.status == Status.FAILED and job.attempts == tries
    assert job.error_kind == "infrastructure"
    assert f"gave up after {tries} tries" in job.error
    submission = submission_row(hub, sub_id)
    assert submission.status == Status.FAILED and submission.error == INTERNAL_FAILURE
    assert "does not count against your limits" in submission.error
    assert counted_today(hub, sub_id) == 0


def test_remote_runner_killed_mid_job_runs_again_once(
    hub: Hub, factories: Factories, launcher: Launcher, tmp_path: Path
) -> None:
    sub_id, job_id = _code_job(hub, factories, "kill-remote")
    counted = counted_today(hub, sub_id)
    _, token = make_runner(hub, factories, ["default"])
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = launcher.start("fast", "serve", str(port))
    try:
        wait_for(lambda: _answers(url), seconds=60, what="the hub's server starting")
        victim = launcher.start("slow", "remote", url, token, str(tmp_path / "cache-1"))
        _kill_when_started(launcher, victim, job_id, hub, sub_id)
        # The hub reaps while runners poll: the next runner gets the job back.
        rescuer = launcher.start("fast", "remote", url, token, str(tmp_path / "cache-2"))
        try:
            wait_for(lambda: _finished(hub, job_id), seconds=90, what="the second attempt")
        finally:
            stop_process(rescuer)
    finally:
        stop_process(server)
    _assert_scored_once(hub, job_id, sub_id, counted)


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200
    except httpx.TransportError:
        return False
