"""A real hub for benchmarks: a temporary data folder, a challenge with an N-row solution,
members with tokens, and ``aihub serve`` running as a subprocess on a free port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
import numpy as np
import polars as pl
import yaml

from aihub import migrate
from aihub.accounts import services as accounts
from aihub.accounts.models import OrgRole
from aihub.challenges.bundle import open_bundle
from aihub.challenges.services import accept_rules, create_from_bundle
from aihub.db import utcnow
from aihub.hub import Hub
from aihub.settings import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_challenge(folder: Path, rows: int, seed: int = 1) -> tuple[np.ndarray, Path]:
    """A binary ROC AUC challenge with sparse random integer ids in random order."""
    rng = np.random.default_rng(seed)
    ids = rng.choice(np.arange(10 * rows), size=rows, replace=False)
    y = rng.integers(0, 2, rows)
    usage = np.where(rng.random(rows) < 0.3, "Public", "Private")
    folder.mkdir(parents=True, exist_ok=True)
    pl.DataFrame({"id": ids, "target": y, "Usage": usage}).write_csv(folder / "solution.csv")
    pl.DataFrame({"id": ids}).write_csv(folder / "test.csv")
    now = utcnow()
    spec = {
        "slug": "bench", "organization": "bench-org",
        "title": {"ko": "벤치마크", "en": "Benchmark"},
        "description": {"ko": "벤치마크"}, "rules": {"ko": "없음"},
        "evaluation": {"metric": "roc_auc", "id_column": "id", "target": "target",
                       "solution": "solution.csv"},
        "files": [{"path": "test.csv"}],
        "phases": [{"name": "main", "start": (now - timedelta(days=1)).isoformat(),
                    "end": (now + timedelta(days=1)).isoformat(), "daily_limit": 1000}],
    }
    (folder / "challenge.yaml").write_text(yaml.safe_dump(spec))
    return ids, folder


def submission_bytes(ids: np.ndarray, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    frame = pl.DataFrame({"id": rng.permutation(ids), "target": rng.random(len(ids))})
    return frame.write_csv().encode()


@dataclass
class BenchHub:
    url: str
    tokens: list[str]
    data_dir: Path
    process: subprocess.Popen[bytes]
    ids: np.ndarray
    settings: Settings = field(repr=False)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start(rows: int, members: int = 1, web_workers: int = 1, in_process: int = 2,
          database_url: str = "") -> BenchHub:
    data_dir = Path(tempfile.mkdtemp(prefix="aihub-bench-"))
    settings = Settings(data_dir=data_dir, database_url=database_url, workers_in_process=0)
    hub = Hub(settings, start_workers=False)
    migrate.upgrade(hub.db.engine)
    ids, folder = write_challenge(data_dir / "bundle", rows)
    tokens: list[str] = []
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
        for n in range(members):
            user = accounts.create_user(session, username=f"member{n}",
                                        email=f"m{n}@example.org", password="benchmark-pass")
            accept_rules(session, challenge, accounts.actor_for(session, user))
            tokens.append(accounts.create_token(session, user)[1])
    hub.close()
    port = free_port()
    env = {**os.environ, "AIHUB_DATA_DIR": str(data_dir),
           "AIHUB_WORKERS_IN_PROCESS": str(in_process)}
    if database_url:
        env["AIHUB_DATABASE_URL"] = database_url
    process = subprocess.Popen(
        [sys.executable, "-m", "aihub", "serve", "--port", str(port),
         "--workers", str(web_workers)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        process.kill()
        raise RuntimeError("the hub did not start")
    return BenchHub(url, tokens, data_dir, process, ids, settings)


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))
