"""Shared by the executors' tests: code challenges whose runs a test controls, submissions
routed to a queue, and subprocesses running each kind of worker.

The runs are controlled through a test-only ``KindRunner`` (``ScriptedRunner``) registered
in the worker's ``RunKit.runners`` for code tasks: a seam, not a stand-in for our code.
Everything around it (claim, lease, heartbeat, reaper, fenced write, Celery, HTTP) is real.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import FastAPI
from sqlalchemy import select, update

from aihub.app import create_app
from aihub.challenges.models import Challenge, Phase
from aihub.challenges.services import get_challenge
from aihub.db import utcnow
from aihub.evaluation import runner_api, runners
from aihub.evaluation.execute import INTERNAL_FAILURE, RunKit, failed
from aihub.evaluation.executors import ExternalExecutor
from aihub.evaluation.models import Job
from aihub.evaluation.plans import ErrorKind, EvaluationResult, EvaluationTask
from aihub.hub import Hub
from aihub.submissions.limits import usage
from aihub.submissions.models import Submission
from aihub.submissions.services import submit_prediction

if TYPE_CHECKING:  # the launcher imports this module without the tests folder on its path
    from factories import Factories, Person

LAUNCHER = Path(__file__).with_name("executor_launch.py")
SCORES = {"public": 0.75, "private": 0.5}
NO_SANDBOX = "this runner has no sandbox"
RABBITMQ = ("127.0.0.1", 5672)
BROKER_URL = "amqp://guest:guest@127.0.0.1:5672//"


def answers(address: tuple[str, int]) -> bool:
    try:
        with socket.create_connection(address, timeout=0.5):
            return True
    except OSError:
        return False


class ScriptedRunner:
    """Runs a code task as its mode says: ``fast`` answers at once; ``slow`` writes a
    marker file and waits until stopped (or 120 s); ``kill`` writes the marker and SIGKILLs
    its own process, as a job that brings its worker down would; ``ours`` fails as a
    machine without a sandbox does; ``held`` runs until the test writes its ``release``
    marker (``Launcher.release``)."""

    def __init__(self, mode: str, markers: Path | None) -> None:
        self.mode = mode
        self.markers = markers

    def __call__(self, task: EvaluationTask, kit: RunKit,
                 stop: threading.Event) -> EvaluationResult:
        if self.markers is not None:
            marker = self.markers / f"started-{task.job_id}-{task.attempt}"
            marker.write_text(str(os.getpid()))
        if self.mode == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        if self.mode == "slow" and stop.wait(120):
            return EvaluationResult(status="failed", error="stopped")
        if self.mode == "ours":
            return failed(INTERNAL_FAILURE, ErrorKind.INFRASTRUCTURE, NO_SANDBOX)
        if self.mode == "held":
            assert self.markers is not None
            release = self.markers / f"release-{task.job_id}-{task.attempt}"
            while not release.exists():
                if stop.wait(0.05):
                    return EvaluationResult(status="failed", error="stopped")
        return EvaluationResult(status="finished", **SCORES)


class RecordingExecutor(ExternalExecutor):
    """The executor seam, noting what it is told to dispatch (runs nothing)."""

    def __init__(self) -> None:
        self.dispatched: list[list[int]] = []

    def dispatch(self, job_ids: Sequence[int]) -> None:
        self.dispatched.append(list(job_ids))


def app_with_runner_api(hub: Hub) -> FastAPI:
    app = create_app(hub=hub)
    # Until app.py includes the runner API (the integrator wires it), the tests add it.
    if not any(getattr(route, "path", "") == "/api/v1/runner/claim" for route in app.routes):
        app.include_router(runner_api.router)
    return app


def make_runner(hub: Hub, factories: Factories, queues: list[str],
                person: Person | None = None, name: str = "gpu-box",
                *, hub_wide: bool = False) -> tuple[int, str]:
    """A runner token for ``queues``, created by ``person`` (a curator by default)."""
    with hub.db.transaction() as session:
        runner, plain = runners.create_runner(
            session, factories.actor(person or factories.curator()), name=name, queues=queues,
            hub_wide=hub_wide,
        )
        return runner.id, plain


def code_challenge(hub: Hub, factories: Factories, host: Person, slug: str,
                   *, queue: str = "default") -> Challenge:
    """A challenge whose submissions run as code (through ``ScriptedRunner`` here)."""
    challenge = factories.challenge(host, slug)
    with hub.db.transaction() as session:
        session.execute(
            update(Challenge).where(Challenge.id == challenge.id)
            .values(submission_kind="code", code_spec={"format": "main"}, queue=queue)
        )
    return challenge


def submit(hub: Hub, factories: Factories, slug: str, member: Person, path: Path,
           *, queue: str | None = None) -> tuple[int, int]:
    """Submit a file; its job goes to ``queue`` (what routing by challenge queue does)."""
    blob = hub.storage.put_path(path)
    with hub.db.transaction() as session:
        challenge = get_challenge(session, slug)
        submission, job = submit_prediction(
            session, challenge, factories.actor(member), blob, filename=path.name,
            message="", now=utcnow(), zone=hub.settings.zone,
        )
        if queue is not None:
            session.execute(update(Job).where(Job.id == job.id).values(queue=queue))
        return submission.id, job.id


def counted_today(hub: Hub, submission_id: int) -> int:
    """How many of the team's submissions today count against its limit."""
    with hub.db.reading() as session:
        submission = session.get(Submission, submission_id)
        assert submission is not None and submission.team_id is not None
        phase = session.get(Phase, submission.phase_id)
        assert phase is not None
        return usage(session, phase, submission.team_id, utcnow(), hub.settings.zone).today


def job_row(hub: Hub, job_id: int) -> Job:
    with hub.db.reading() as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job


def submission_row(hub: Hub, submission_id: int) -> Submission:
    with hub.db.reading() as session:
        submission = session.get(Submission, submission_id)
        assert submission is not None
        return submission


def submission_log(hub: Hub, submission_id: int) -> str:
    """The program output the participant reads (a column lists leave unread)."""
    with hub.db.reading() as session:
        return session.scalar(select(Submission.log).where(Submission.id == submission_id)) or ""


def wait_for(condition: Callable[[], bool], *, seconds: float, what: str) -> None:
    """Poll until ``condition()``; fail saying ``what`` never happened. A deadline, not a
    timing threshold: it only bounds how long a broken run takes to fail."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"{what} did not happen within {seconds} s")


@dataclass
class Launcher:
    """Starts worker and server subprocesses on the test hub's database."""

    hub: Hub
    markers: Path
    lease_seconds: float = 3.0

    def env(self, mode: str) -> dict[str, str]:
        return {
            **os.environ,
            "AIHUB_DATA_DIR": str(self.hub.settings.data_dir),
            "AIHUB_DATABASE_URL": self.hub.settings.resolved_database_url,
            "AIHUB_JOB_LEASE_SECONDS": str(self.lease_seconds),
            "AIHUB_WORKER_POLL_SECONDS": "0.05",
            "AIHUB_WORKERS_IN_PROCESS": "0",
            "AIHUB_CELERY_BROKER_URL": BROKER_URL,
            "AIHUB_TEST_RUNNER": mode,
            "AIHUB_TEST_MARKERS": str(self.markers),
            # The workers' messages reach the log as they are printed.
            "PYTHONUNBUFFERED": "1",
        }

    def start(self, runner_mode: str, *args: str) -> subprocess.Popen[bytes]:
        # The child keeps its own descriptor of the log; the parent's closes at once.
        with (self.markers / f"log-{time.monotonic_ns()}.txt").open("wb") as log:
            return subprocess.Popen(
                [sys.executable, str(LAUNCHER), *args], env=self.env(runner_mode),
                stdout=log, stderr=subprocess.STDOUT,
            )

    def run(self, runner_mode: str, *args: str, timeout: float = 120) -> int:
        return self.start(runner_mode, *args).wait(timeout=timeout)

    def started(self, job_id: int, attempt: int) -> Path:
        return self.markers / f"started-{job_id}-{attempt}"

    def release(self, job_id: int, attempt: int) -> None:
        """Let a ``held`` run of this job and attempt end."""
        (self.markers / f"release-{job_id}-{attempt}").write_text("")

    def logs(self) -> str:
        return "\n".join(path.read_text(errors="replace")
                         for path in sorted(self.markers.glob("log-*.txt")))


def stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
