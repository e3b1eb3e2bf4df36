"""Job latency, submit → result recorded, through each executor in the same run: the
in-process executor (worker threads in this process, told of the job after the commit)
against Celery on RabbitMQ (an ``aihub worker --celery`` process, a message per job).

Each job is a prediction file of ROWS rows, submitted one after the other (no queueing
behind other jobs): the figure is the executor's overhead on top of scoring. The result
is seen by polling the database every millisecond, the same way for both. Celery is
skipped, saying so, when RabbitMQ does not answer on 127.0.0.1:5672.

    .venv/bin/python bench/bench_executors.py [--jobs 200] [--rows 1000]
        [--database-url postgresql+psycopg://postgres@127.0.0.1/aihub_bench]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from _hub import percentile, submission_bytes, write_challenge
from sqlalchemy import select

from aihub import migrate
from aihub.accounts import services as accounts
from aihub.accounts.models import OrgRole
from aihub.challenges.bundle import open_bundle
from aihub.challenges.models import Challenge
from aihub.challenges.services import accept_rules, create_from_bundle
from aihub.db import utcnow
from aihub.evaluation.executors import Executor, InProcessExecutor
from aihub.evaluation.status import Status
from aihub.hub import Hub
from aihub.settings import Settings
from aihub.storage import Blob
from aihub.submissions.models import Submission
from aihub.submissions.services import submit_prediction

BROKER_URL = "amqp://guest:guest@127.0.0.1:5672//"
LEASE_SECONDS = 30.0


def rabbitmq_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5672), timeout=0.5):
            return True
    except OSError:
        return False


def build_hub(data_dir: Path, database_url: str, rows: int) -> tuple[Hub, Blob]:
    settings = Settings(data_dir=data_dir, database_url=database_url, workers_in_process=0,
                        job_lease_seconds=LEASE_SECONDS)
    hub = Hub(settings, start_workers=False)
    migrate.upgrade(hub.db.engine)
    ids, folder = write_challenge(data_dir / "bundle", rows)
    with hub.db.transaction() as session:
        host = accounts.create_user(session, username="host", email="h@example.org",
                                    password="benchmark-pass")
        org = accounts.create_organization(session, slug="bench-org", name_ko="벤치",
                                           can_host=True)
        accounts.add_member(session, org, host, role=OrgRole.OWNER)
    with open_bundle(folder, max_bytes=10**10) as bundle, hub.db.transaction() as session:
        actor = accounts.actor_for(session, accounts.get_user(session, "host"))
        challenge = create_from_bundle(session, hub.storage, hub.truths, actor, bundle,
                                       max_file_bytes=10**10)
        member = accounts.create_user(session, username="member", email="m@example.org",
                                      password="benchmark-pass")
        accept_rules(session, challenge, accounts.actor_for(session, member))
        challenge.phases[0].daily_limit = 100_000
    sample = data_dir / "submission.csv"
    sample.write_bytes(submission_bytes(ids, seed=2))
    return hub, hub.storage.put_path(sample)


def submit(hub: Hub, blob: Blob, queue: str) -> tuple[int, int]:
    with hub.db.transaction() as session:
        challenge = session.scalar(select(Challenge).where(Challenge.slug == "bench"))
        assert challenge is not None
        actor = accounts.actor_for(session, accounts.get_user(session, "member"))
        submission, job = submit_prediction(
            session, challenge, actor, blob, filename="submission.csv", message="",
            now=utcnow(), zone=hub.settings.zone,
        )
        job.queue = queue
        return submission.id, job.id


def wait_recorded(hub: Hub, submission_id: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with hub.db.reading() as session:
            status = session.scalar(
                select(Submission.status).where(Submission.id == submission_id))
        if status in (Status.FINISHED.value, Status.FAILED.value):
            if status == Status.FAILED.value:
                raise RuntimeError(f"submission {submission_id} failed")
            return
        time.sleep(0.001)
    raise RuntimeError(f"submission {submission_id} was not scored within {timeout} s")


def measure(hub: Hub, blob: Blob, executor: Executor, queue: str, jobs: int,
            warmup: int = 5) -> list[float]:
    latencies: list[float] = []
    for n in range(warmup + jobs):
        started = time.perf_counter()
        submission_id, job_id = submit(hub, blob, queue)
        executor.dispatch([job_id])  # after the commit, as the web side does
        wait_recorded(hub, submission_id)
        if n >= warmup:
            latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def in_process(hub: Hub, blob: Blob, jobs: int) -> list[float]:
    executor = InProcessExecutor(hub.db, hub.evaluator, threads=1,
                                 lease_seconds=LEASE_SECONDS, poll_seconds=0.5)
    executor.start()
    try:
        return measure(hub, blob, executor, "default", jobs)
    finally:
        executor.stop()


def start_celery_worker(hub: Hub, queue: str) -> subprocess.Popen[bytes]:
    # The CLI's own Celery worker (``aihub worker --celery``), in a process of its own.
    code = ("import sys; from aihub.cli import worker_verbs as w; "
            "w.run_celery(w.worker_hub(None), (sys.argv[1],), broker_url=sys.argv[2], "
            "sweep_seconds=600)")
    env = {**os.environ, "AIHUB_DATA_DIR": str(hub.settings.data_dir),
           "AIHUB_DATABASE_URL": hub.settings.resolved_database_url,
           "AIHUB_JOB_LEASE_SECONDS": str(LEASE_SECONDS)}
    return subprocess.Popen([sys.executable, "-c", code, queue, BROKER_URL], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def celery(hub: Hub, blob: Blob, jobs: int) -> list[float]:
    from kombu import Connection

    from aihub.evaluation.executors import CeleryExecutor

    queue = f"bench-{uuid.uuid4().hex[:8]}"
    worker = start_celery_worker(hub, queue)
    executor = CeleryExecutor(hub.db, BROKER_URL)
    try:
        # The first job waits for the worker to connect; the warm-up jobs absorb it.
        return measure(hub, blob, executor, queue, jobs)
    finally:
        executor.stop()
        worker.kill()
        worker.wait()
        with Connection(BROKER_URL) as connection:
            channel = connection.channel()
            channel.queue_delete(queue)
            channel.exchange_delete(queue)


def report(name: str, run: Callable[[], list[float]]) -> None:
    values = run()
    print(f"{name:<28} n={len(values):<5} median {percentile(values, 50):7.1f} ms   "
          f"p90 {percentile(values, 90):7.1f} ms   max {max(values):7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="aihub-bench-executors-"))
    hub, blob = build_hub(data_dir, args.database_url, args.rows)
    print(f"{args.jobs} jobs of {args.rows} rows each, one at a time, on "
          f"{hub.db.engine.dialect.name}")
    try:
        report("in-process executor", lambda: in_process(hub, blob, args.jobs))
        if rabbitmq_answers():
            report("Celery + RabbitMQ", lambda: celery(hub, blob, args.jobs))
        else:
            print("Celery + RabbitMQ: skipped, RabbitMQ does not answer on 127.0.0.1:5672")
    finally:
        hub.close()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
