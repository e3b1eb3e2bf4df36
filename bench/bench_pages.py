"""Page speed: the leaderboard page and the challenge page of a challenge with many teams,
under concurrent browsers. Seeds T teams and S finished submissions with Core inserts, starts
a real ``aihub serve`` (1 process, then ``--workers 2``) and drives keep-alive connections
from a lean asyncio client, half of them signed in, D seconds per run: one connection; C
connections back to back (the machine saturated: latency is then mostly queueing); C
connections paced at R pages a second in all; the same while a new score arrives every few
seconds (the board's version moves). Prints client latency, server time (the
pages' ``Server-Timing``: routing to rendered page), server CPU per page, and the board's
cold (uncached) time. Goals (10,000 teams, 100,000 submissions, 20 browsers, 2 cores):
leaderboard server time p95 <= 50 ms, challenge page p95 <= 30 ms.

    .venv/bin/python bench/bench_pages.py [--teams 10000] [--submissions 100000]
        [--connections 20] [--rate 100] [--score-every 2] [--seconds 20] [--web-workers 1,2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
import numpy as np
from _hub import free_port, percentile, write_challenge
from bench_throughput import cpu_seconds
from sqlalchemy import insert, update

from aihub import migrate
from aihub.accounts import services as accounts
from aihub.accounts.models import OrgRole, Team, TeamMember, User
from aihub.accounts.web_sessions import start_session
from aihub.challenges.bundle import open_bundle
from aihub.challenges.models import Challenge
from aihub.challenges.services import approve, create_from_bundle
from aihub.db import utcnow
from aihub.evaluation.status import Status
from aihub.hub import Hub
from aihub.leaderboards.cache import BoardCache, board_view
from aihub.leaderboards.services import Split
from aihub.leaderboards.versions import touch_board
from aihub.settings import Settings
from aihub.submissions.models import Submission

SERVER_TIMING = re.compile(rb"page;dur=([0-9.]+)")


@dataclass
class Seeded:
    data_dir: Path
    cookies: list[str]  # session cookies of members whose teams are on the board
    phase_id: int
    seed_seconds: float


def _challenge(hub: Hub, folder: Path) -> Challenge:
    with hub.db.transaction() as session:
        host = accounts.create_user(session, username="host", email="h@example.org",
                                    password="benchmark-pass", is_curator=True)
        org = accounts.create_organization(session, slug="bench-org", name_ko="벤치",
                                           can_host=True)
        accounts.add_member(session, org, host, role=OrgRole.OWNER)
    with open_bundle(folder, max_bytes=10**9) as bundle, hub.db.transaction() as session:
        actor = accounts.actor_for(session, accounts.get_user(session, "host"))
        challenge = create_from_bundle(session, hub.storage, hub.truths, actor, bundle,
                                       max_file_bytes=10**9)
        approve(session, challenge, actor, utcnow())
        session.flush()
        session.refresh(challenge, ["phases"])
        return challenge


def _rows(challenge: Challenge, teams: int, submissions: int) -> dict[str, list[dict[str, object]]]:
    rng = np.random.default_rng(3)
    phase = challenge.phases[0]
    start, now = phase.starts_at, utcnow()
    span = (now - start).total_seconds() - 60
    users = [{"id": 10 + n, "username": f"m{n}", "email": f"m{n}@example.org",
              "display_name": "", "password_hash": "x", "is_curator": False,
              "is_active": True, "created_at": start} for n in range(teams)]
    team_rows = [{"id": n + 1, "challenge_id": challenge.id, "name": f"팀-{n:05d}",
                  "created_by_id": 10 + n, "created_at": start} for n in range(teams)]
    members = [{"team_id": n + 1, "challenge_id": challenge.id, "user_id": 10 + n,
                "joined_at": start} for n in range(teams)]
    # Every team submits at least once; the rest go to teams at random.
    owners = np.concatenate([np.arange(teams), rng.integers(0, teams, submissions - teams)])
    skill = rng.normal(0.75, 0.05, teams)
    public = np.clip(skill[owners] + rng.normal(0, 0.02, submissions), 0, 1)
    private = np.clip(public + rng.normal(0, 0.01, submissions), 0, 1)
    times = np.sort(rng.random(submissions)) * span
    subs = [{"challenge_id": challenge.id, "phase_id": phase.id, "team_id": int(o) + 1,
             "user_id": 10 + int(o), "filename": "s.csv", "sha256": "0" * 64, "size": 1,
             "message": "", "status": Status.FINISHED.value, "public_score": float(p),
             "private_score": float(q), "error": "", "host_error": "", "selected": False,
             "limit_exempt": False, "is_baseline": False, "baseline_name_ko": "",
             "baseline_name_en": "", "created_at": start + timedelta(seconds=float(t)),
             "scored_at": start + timedelta(seconds=float(t))}
            for o, p, q, t in zip(owners, public, private, times, strict=True)]
    return {"users": users, "teams": team_rows, "members": members, "submissions": subs}


def seed(teams: int, submissions: int, signed_in: int) -> Seeded:
    began = time.perf_counter()
    data_dir = Path(tempfile.mkdtemp(prefix="aihub-bench-pages-"))
    hub = Hub(Settings(data_dir=data_dir, workers_in_process=0), start_workers=False)
    migrate.upgrade(hub.db.engine)
    _, folder = write_challenge(data_dir / "bundle", 1000)
    challenge = _challenge(hub, folder)
    rows = _rows(challenge, teams, submissions)
    with hub.db.transaction() as session:
        for model, key in ((User, "users"), (Team, "teams"), (TeamMember, "members"),
                           (Submission, "submissions")):
            session.execute(insert(model), rows[key])
        # The team services keep this count; rows inserted directly must set it themselves.
        session.execute(update(Challenge).where(Challenge.id == challenge.id)
                        .values(team_count=teams))
        touch_board(session, challenge.phases[0].id)
    cookies = []
    with hub.db.transaction() as session:
        for n in np.linspace(0, teams - 1, signed_in).astype(int):
            user = session.get(User, 10 + int(n))
            assert user is not None
            cookies.append(start_session(session, user, now=utcnow(), days=1))
    phase_id = challenge.phases[0].id
    hub.close()
    return Seeded(data_dir, cookies, phase_id, time.perf_counter() - began)


def cold_in_process(data_dir: Path) -> float:
    """One board computed from nothing, in this process: ranking, history, spread."""
    hub = Hub(Settings(data_dir=data_dir, workers_in_process=0), start_workers=False)
    try:
        with hub.db.reading() as session:
            challenge = session.query(Challenge).one()
            began = time.perf_counter()
            board_view(session, BoardCache(), challenge, challenge.phases[0],
                       accounts.actor_for(session, None), split=Split.PUBLIC, now=utcnow())
            return (time.perf_counter() - began) * 1000
    finally:
        hub.close()


def bump_version(data_dir: Path, phase_id: int) -> None:
    """What recording a score does to the board: its version moves."""
    hub = Hub(Settings(data_dir=data_dir, workers_in_process=0), start_workers=False)
    with hub.db.transaction() as session:
        touch_board(session, phase_id)
    hub.close()


@contextmanager
def scores_arriving(seeded: Seeded, every: float) -> Iterator[list[int]]:
    """Raise the board's version every ``every`` seconds, as recorded scores do, while the
    block runs; yields a one-item list holding how many times."""
    hub = Hub(Settings(data_dir=seeded.data_dir, workers_in_process=0), start_workers=False)
    stop, count = threading.Event(), [0]

    def bump() -> None:
        while not stop.wait(every):
            with hub.db.transaction() as session:
                touch_board(session, seeded.phase_id)
            count[0] += 1

    thread = threading.Thread(target=bump)
    thread.start()
    try:
        yield count
    finally:
        stop.set()
        thread.join()
        hub.close()


def serve(data_dir: Path, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "AIHUB_DATA_DIR": str(data_dir), "AIHUB_WORKERS_IN_PROCESS": "0"}
    process = subprocess.Popen(
        [sys.executable, "-m", "aihub", "serve", "--port", str(port), "--workers",
         str(workers)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the hub did not start")


@dataclass
class Timings:
    client: list[float] = field(default_factory=list)
    server: list[float] = field(default_factory=list)
    errors: int = 0
    server_cpu: float = 0.0  # seconds, the server's processes together
    client_cpu: float = 0.0


async def _get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str,
               cookie: str) -> tuple[int, float | None]:
    head = f"GET {path} HTTP/1.1\r\nHost: bench\r\nAccept-Language: ko-KR,ko\r\n"
    if cookie:
        head += f"Cookie: aihub_session={cookie}\r\n"
    writer.write((head + "\r\n").encode())
    await writer.drain()
    status = int((await reader.readline()).split()[1])
    length, server = 0, None
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
        elif name.lower() == b"server-timing" and (found := SERVER_TIMING.search(value)):
            server = float(found.group(1))
    await reader.readexactly(length)
    return status, server


async def _client(url: str, paths: list[str], cookie: str, stop_at: float,
                  timings: Timings, interval: float) -> None:
    """One browser on one keep-alive connection: a request every ``interval`` seconds
    (random phase), or back to back when ``interval`` is 0 or a request took longer."""
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    n = 0
    due = time.perf_counter() + random.random() * interval
    while time.perf_counter() < stop_at:
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        began = time.perf_counter()
        due = began + interval
        status, server = await _get(reader, writer, paths[n % len(paths)], cookie)
        n += 1
        if status != 200 or server is None:
            timings.errors += 1
            continue
        timings.client.append((time.perf_counter() - began) * 1000)
        timings.server.append(server)
    writer.close()


def load(url: str, pid: int, paths: list[str], cookies: list[str], connections: int,
         seconds: float, rate: float = 0.0) -> Timings:
    """``connections`` browsers for ``seconds``; back to back, or ``rate`` pages a second
    among them all."""
    timings = Timings()
    interval = connections / rate if rate else 0.0

    async def run() -> None:
        stop_at = time.perf_counter() + seconds
        # Half the browsers are signed in (their own team highlighted), half are visitors.
        await asyncio.gather(*(
            _client(url, paths[n % len(paths):] + paths[:n % len(paths)],
                    cookies[n % len(cookies)] if n % 2 and cookies else "", stop_at, timings,
                    interval)
            for n in range(connections)
        ))

    server_cpu, client_cpu = cpu_seconds(pid), time.process_time()
    asyncio.run(run())
    timings.server_cpu = cpu_seconds(pid) - server_cpu
    timings.client_cpu = time.process_time() - client_cpu
    return timings


def first_request(url: str, path: str) -> tuple[float, float]:
    began = time.perf_counter()
    response = httpx.get(url + path, timeout=60)
    assert response.status_code == 200, response.status_code
    server = SERVER_TIMING.search(response.headers["server-timing"].encode())
    assert server is not None
    return (time.perf_counter() - began) * 1000, float(server.group(1))


def report(name: str, timings: Timings, seconds: float) -> None:
    c, s, n = timings.client, timings.server, max(len(timings.client), 1)
    print(f"  {name:<22} {len(c) / seconds:6.1f}/s | client p50 {percentile(c, 50):6.1f} "
          f"p95 {percentile(c, 95):6.1f} p99 {percentile(c, 99):6.1f} ms | server p50 "
          f"{percentile(s, 50):5.1f} p95 {percentile(s, 95):5.1f} p99 {percentile(s, 99):5.1f} "
          f"ms | server CPU {timings.server_cpu * 1000 / n:4.1f} ms/page "
          f"({timings.server_cpu / seconds:.2f} cores), load generator "
          f"{timings.client_cpu / seconds:.2f} cores | errors {timings.errors}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--teams", type=int, default=10_000)
    parser.add_argument("--submissions", type=int, default=100_000)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--web-workers", default="1,2")
    parser.add_argument("--score-every", type=float, default=2.0,
                        help="seconds between new scores in the last run (0: no such run)")
    parser.add_argument("--rate", type=float, default=100,
                        help="pages a second among all connections in the paced run")
    args = parser.parse_args()
    seeded = seed(args.teams, args.submissions, signed_in=10)
    print(f"seeded {args.teams} teams, {args.submissions} finished submissions in "
          f"{seeded.seed_seconds:.1f} s; SQLite; {args.connections} connections, "
          f"{args.seconds:.0f} s per page")
    cold = cold_in_process(seeded.data_dir)
    print(f"  cold board in-process (rank, history, spread): {cold:.0f} ms")
    board = ["/challenges/bench/leaderboard", "/challenges/bench/leaderboard?page=2",
             "/challenges/bench/leaderboard?page=120"]
    challenge = ["/challenges/bench", "/challenges/bench/data", "/challenges/bench/rules"]
    try:
        for workers in (int(w) for w in args.web_workers.split(",")):
            process, url = serve(seeded.data_dir, workers)
            try:
                bump_version(seeded.data_dir, seeded.phase_id)
                client, server = first_request(url, board[0])
                print(f"aihub serve --workers {workers}: first leaderboard after a new score "
                      f"(uncached): client {client:.0f} ms, server {server:.0f} ms")
                pid = process.pid
                load(url, pid, board + challenge, seeded.cookies, args.connections, 2)  # warm
                runs = [(1, 0.0, "x1"), (args.connections, 0.0, f"x{args.connections}"),
                        (args.connections, args.rate, f"x{args.connections}@{args.rate:g}/s")]
                for name, paths in (("leaderboard", board), ("challenge", challenge)):
                    for connections, rate, label in runs:
                        timings = load(url, pid, paths, seeded.cookies, connections,
                                       args.seconds, rate)
                        report(f"{name} {label}", timings, args.seconds)
                if args.score_every:
                    with scores_arriving(seeded, args.score_every) as bumps:
                        timings = load(url, pid, board, seeded.cookies, args.connections,
                                       args.seconds, args.rate)
                    report(f"leaderboard x{args.connections}@{args.rate:g}/s, a new score "
                           f"every {args.score_every:g} s ({bumps[0]} in all)", timings,
                           args.seconds)
            finally:
                process.terminate()
                process.wait(timeout=15)
    finally:
        shutil.rmtree(seeded.data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
