"""Code jobs per minute: submissions of code run in the sandbox and scored, on this machine.

Creates the demo's code challenge (smart-factory-defects-code: 30,000 training rows, 10,000
hidden test rows), queues N zips of each model below as baselines, and runs them with W
worker threads (the in-process executor's workers), timing from the first claim to the last
result. For comparison, in the same run, the same model is run bare (the runtime's Python
on the same files, no sandbox, no queue) to show what the pipeline adds per job.

Models: ``constant`` predicts one class (the cost is the pipeline: start, pandas, reading
the CSVs, scoring); ``naive-bayes`` is the demo's baseline.

    .venv/bin/python bench/bench_code_jobs.py [--jobs 12] [--workers 2]
        [--runtimes /var/tmp/aihub-runtimes]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from sqlalchemy import select

from aihub import migrate
from aihub.accounts import services as accounts
from aihub.accounts.models import OrgRole
from aihub.challenges.bundle import open_bundle
from aihub.challenges.models import Challenge
from aihub.challenges.services import create_from_bundle
from aihub.db import utcnow
from aihub.demo import smart_factory_code, write_code_bundles
from aihub.evaluation.sandbox import get_runtime
from aihub.evaluation.status import Status
from aihub.evaluation.worker import Worker, worker_name
from aihub.hub import Hub
from aihub.settings import Settings
from aihub.submissions.models import Submission
from aihub.submissions.services import add_baseline

CONSTANT = """\
import numpy as np

class Model:
    def fit(self, X, y):
        pass

    def predict(self, X):
        return np.full(len(X), "normal")
"""
MODELS = {"constant": CONSTANT, "naive-bayes": smart_factory_code.MODEL_PY}


def _hub(root: Path, runtimes: Path) -> Hub:
    settings = Settings(data_dir=root / "data", workers_in_process=0, runtimes_dir=runtimes,
                        sandbox_dir=root / "sandbox", sandbox_first_uid=64000,
                        sandbox_slots=4)
    (root / "data").mkdir(parents=True)
    hub = Hub(settings, start_workers=False)
    migrate.upgrade(hub.db.engine)
    return hub


def _challenge(hub: Hub, root: Path) -> tuple[int, Path]:
    with hub.db.transaction() as session:
        host = accounts.create_user(session, username="host", email="h@example.org",
                                    password="correct horse battery", is_curator=True)
        org = accounts.create_organization(session, slug="daedeok-smart-factory",
                                           name_ko="대덕", name_en="Daedeok", can_host=True)
        accounts.add_member(session, org, host, role=OrgRole.OWNER)
    [folder] = write_code_bundles(root / "bundles", now=datetime.now(UTC))
    with open_bundle(folder, max_bytes=10**10) as bundle, hub.db.transaction() as session:
        actor = accounts.actor_for(session, accounts.get_user(session, "host"))
        challenge = create_from_bundle(session, hub.storage, hub.truths, actor, bundle,
                                       max_file_bytes=10**10)
        return challenge.id, folder


def _queue(hub: Hub, challenge_id: int, source: str, jobs: int) -> list[int]:
    blob = hub.storage.put_stream([smart_factory_code.zip_files({"model.py": source})])
    with hub.db.transaction() as session:
        challenge = session.get(Challenge, challenge_id)
        assert challenge is not None
        actor = accounts.actor_for(session, accounts.get_user(session, "host"))
        return [add_baseline(session, challenge, actor, blob, name_ko=f"run {n}",
                             name_en=f"run {n}", filename="model.zip", now=utcnow())[0].id
                for n in range(jobs)]


def _run(hub: Hub, ids: list[int], workers: int) -> tuple[float, list[float]]:
    stop = threading.Event()
    threads = [
        threading.Thread(target=Worker(hub.db, hub.evaluator, lease_seconds=60,
                                       poll_seconds=0.05, name=worker_name(f"bench-{n}"))
                         .run_forever, args=(stop,), daemon=True)
        for n in range(workers)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    while True:
        with hub.db.reading() as session:
            rows = list(session.scalars(select(Submission).where(Submission.id.in_(ids))))
        if all(Status(row.status).is_final for row in rows):
            break
        time.sleep(0.2)
    elapsed = time.perf_counter() - started
    stop.set()
    for thread in threads:
        thread.join(timeout=10)
    failed = [row.host_error[:300] for row in rows if row.status != Status.FINISHED.value]
    if failed:
        raise SystemExit(f"{len(failed)} jobs failed: {failed[0]}")
    return elapsed, [row.public_score or 0.0 for row in rows]


def _bare(folder: Path, source: str, runtimes: Path, rounds: int) -> list[float]:
    """The same model and files run by the runtime's Python directly, as a baseline."""
    runtime = get_runtime(runtimes, "default")
    harness = resources.files("aihub.evaluation.code").joinpath("model_harness.py")
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "model.py").write_text(source)
        (work / "run.py").write_text(
            harness.read_text(encoding="utf-8")
            .replace('"/data/', f'"{folder}/').replace('"/predictions/', f'"{work}/')
            .replace('"/submission"', f'"{work}"'))
        env = {"AIHUB_MODEL_HARNESS": json.dumps({
            "train": "train.csv", "test": "test.csv", "output": "p.csv", "id_column": "id",
            "targets": ["defect_type"]}), "PATH": "/usr/bin"}
        for _ in range(rounds):
            began = time.perf_counter()
            subprocess.run([str(runtime.python), str(work / "run.py")], env=env, check=True,
                           capture_output=True)
            times.append(time.perf_counter() - began)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=12)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--runtimes", type=Path, default=Path("/var/tmp/aihub-runtimes"))
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-code-", dir="/var/tmp"))
    root.chmod(0o711)  # sandbox uids enter the job folders below it
    try:
        hub = _hub(root, args.runtimes)
        challenge_id, folder = _challenge(hub, root)
        print(f"{args.jobs} jobs per model, {args.workers} worker threads, "
              f"sandbox slots {hub.settings.sandbox_slots}")
        print(f"{'model':<12} {'jobs/min':>9} {'s/job':>7} {'bare s (median)':>16} "
              f"{'added s/job':>12} {'score':>7}")
        for name, source in MODELS.items():
            ids = _queue(hub, challenge_id, source, args.jobs)
            elapsed, scores = _run(hub, ids, args.workers)
            bare = statistics.median(_bare(folder, source, args.runtimes, 3))
            per_job = elapsed * args.workers / args.jobs
            print(f"{name:<12} {60 * args.jobs / elapsed:>9.1f} {per_job:>7.2f} "
                  f"{bare:>16.2f} {per_job - bare:>12.2f} {statistics.median(scores):>7.3f}")
        hub.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
