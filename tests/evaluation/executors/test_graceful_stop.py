"""SIGTERM mid-job: the worker takes no more jobs, but runs the one it holds to the end,
heartbeating, and writes it; nothing is wasted, no attempt is spent.

The workers run in their own processes (``executor_launch.py``: the CLI's own loops and
signal handling) on a code challenge whose run the test holds open until after the signal.
The Celery worker's warm shutdown is Celery's own (``test_executor_celery.py``).
"""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from executor_helpers import (
    SCORES,
    Launcher,
    code_challenge,
    free_port,
    job_row,
    make_runner,
    stop_process,
    submission_row,
    submit,
    wait_for,
)

from aihub.evaluation.status import Status
from aihub.hub import Hub
from factories import Factories

pytestmark = pytest.mark.slow


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


@contextmanager
def _worker(kind: str, hub: Hub, factories: Factories, launcher: Launcher,
            cache: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A worker of ``kind`` (local, or remote with the hub's server) holding its runs."""
    if kind == "local":
        process = launcher.start("held", "local")
        try:
            yield process
        finally:
            stop_process(process)
        return
    _, token = make_runner(hub, factories, ["default"])
    url = f"http://127.0.0.1:{free_port()}"
    server = launcher.start("fast", "serve", url.rsplit(":", 1)[1])
    try:
        wait_for(lambda: _answers(url), seconds=60, what="the hub's server starting")
        process = launcher.start("held", "remote", url, token, str(cache))
        try:
            yield process
        finally:
            stop_process(process)
    finally:
        stop_process(server)


@pytest.mark.parametrize("kind", ["local", "remote"])
def test_a_worker_told_to_stop_mid_job_writes_it_first(
    kind: str, hub: Hub, factories: Factories, launcher: Launcher, tmp_path: Path
) -> None:
    if not hub.db.is_sqlite:
        pytest.skip("one run on SQLite is enough: the subprocesses share the queue code that "
                    "the PostgreSQL tests cover")
    host, member = factories.host(), factories.person()
    challenge = code_challenge(hub, factories, host, f"term-{kind}")
    factories.join(challenge, member)
    sub_id, job_id = submit(hub, factories, f"term-{kind}", member,
                            factories.bundles / f"term-{kind}" / "baseline.csv")
    with _worker(kind, hub, factories, launcher, tmp_path / "cache") as process:
        try:
            wait_for(launcher.started(job_id, 1).exists, seconds=90, what="the run starting")
            process.send_signal(signal.SIGTERM)
            wait_for(lambda: "Stopping after the current job" in launcher.logs(), seconds=30,
                     what="the worker taking the signal")
            # The lease is kept after the signal: a heartbeat lands, then the run ends.
            after = job_row(hub, job_id).heartbeat_at
            assert after is not None
            wait_for(lambda: (job_row(hub, job_id).heartbeat_at or after) > after,
                     seconds=30, what="a heartbeat after the signal")
            launcher.release(job_id, 1)
            assert process.wait(timeout=90) == 0
        except (AssertionError, subprocess.TimeoutExpired):
            raise AssertionError(launcher.logs()) from None
    job = job_row(hub, job_id)
    assert (job.status, job.attempts) == (Status.FINISHED, 1)
    submission = submission_row(hub, sub_id)
    assert (submission.status, submission.public_score) == (Status.FINISHED, SCORES["public"])
