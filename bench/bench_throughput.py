"""Throughput: N concurrent connections submitting 10k-row CSV files for D seconds, each
request waiting (``?wait=``) until its submission is scored. A lean asyncio HTTP/1.1 client
(keep-alive, hand-built multipart) drives the load, since httpx alone eats most of a core.
Afterwards the database is checked: every 201 is one finished submission, none is lost, no
job ran twice. Goal: ≥ 250 scored submissions/s on 2 cores.

    .venv/bin/python bench/bench_throughput.py [--connections 50] [--seconds 60]
        [--rows 10000] [--web-workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

from _hub import BenchHub, percentile, start, submission_bytes
from sqlalchemy import func, select

from aihub.db import Database
from aihub.evaluation.models import Job
from aihub.submissions.models import Submission

BOUNDARY = "aihubbenchboundary7d1f"


def multipart(body: bytes) -> bytes:
    head = (
        f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; "
        f"filename=\"sub.csv\"\r\nContent-Type: text/csv\r\n\r\n"
    ).encode()
    return head + body + f"\r\n--{BOUNDARY}--\r\n".encode()


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("closed")
    status = int(status_line.split()[1])
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode().partition(":")
        if name.lower() == "content-length":
            length = int(value.strip())
    return status, await reader.readexactly(length)


async def connection(hub: BenchHub, token: str, payloads: list[bytes], stop_at: float,
                     latencies: list[float], outcomes: dict[str, int]) -> None:
    parts = urlsplit(hub.url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    n = 0
    try:
        while time.monotonic() < stop_at:
            payload = payloads[n % len(payloads)]
            n += 1
            request = (
                f"POST /api/v1/challenges/bench/submissions?wait=60 HTTP/1.1\r\n"
                f"Host: {parts.netloc}\r\nAuthorization: Bearer {token}\r\n"
                f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
                f"Content-Length: {len(payload)}\r\n\r\n"
            ).encode()
            began = time.monotonic()
            writer.write(request + payload)
            await writer.drain()
            try:
                status, body = await read_response(reader)
            except (ConnectionError, asyncio.IncompleteReadError):
                outcomes["closed"] += 1
                writer.close()
                reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
                continue
            latencies.append(time.monotonic() - began)
            if status == 201 and json.loads(body)["status"] == "finished":
                outcomes["scored"] += 1
            else:
                outcomes[f"http {status}"] += 1
    finally:
        writer.close()


async def drive(hub: BenchHub, seconds: float, rows: int) -> tuple[list[float], dict[str, int]]:
    payloads = [multipart(submission_bytes(hub.ids, seed)) for seed in range(16)]
    latencies: list[float] = []
    counts: dict[str, int] = defaultdict(int, {"scored": 0, "closed": 0})
    stop_at = time.monotonic() + seconds
    await asyncio.gather(*(connection(hub, token, payloads, stop_at, latencies, counts)
                           for token in hub.tokens))
    return latencies, dict(counts)


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and all its descendants, from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
        times[int(stat.parent.name)] = (int(fields[11]) + int(fields[12])) / ticks
    family, total = {pid}, 0.0
    for child, parent in sorted(parents.items()):
        if parent in family or child in family:
            family.add(child)
    for member in family:
        total += times.get(member, 0.0)
    return total


def check_database(hub: BenchHub, scored: int) -> str:
    db = Database(hub.settings.resolved_database_url)
    with db.reading() as session:
        finished = session.scalar(select(func.count(Submission.id)).where(
            Submission.status == "finished")) or 0
        jobs = session.scalar(select(func.count(Job.id))) or 0
        retried = session.scalar(select(func.count(Job.id)).where(Job.attempts > 1)) or 0
        not_done = session.scalar(select(func.count(Submission.id)).where(
            Submission.status != "finished")) or 0
    db.dispose()
    return (f"database: {finished} finished submissions for {scored} scored answers; "
            f"{jobs} jobs, {retried} run more than once, {not_done} not finished")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--in-process", type=int, default=2)
    args = parser.parse_args()
    hub = start(args.rows, members=args.connections, web_workers=args.web_workers,
                in_process=args.in_process)
    try:
        _, warm = asyncio.run(drive(hub, 3, args.rows))  # warm up: truth cache, connections
        began, server_cpu, client_cpu = time.monotonic(), cpu_seconds(hub.process.pid), \
            time.process_time()
        latencies, outcomes = asyncio.run(drive(hub, args.seconds, args.rows))
        elapsed = time.monotonic() - began
        server_cpu = cpu_seconds(hub.process.pid) - server_cpu
        client_cpu = time.process_time() - client_cpu
        time.sleep(1)
        print(f"{args.connections} connections, {args.rows}-row CSV, {args.seconds:.0f} s, "
              f"{args.web_workers} web processes x {args.in_process} in-process workers, SQLite")
        print(f"  scored/s  {outcomes['scored'] / elapsed:7.1f}   (goal >= 250)")
        print(f"  outcomes  {outcomes}")
        print(f"  latency   median {percentile(latencies, 50) * 1000:.0f} ms, "
              f"p99 {percentile(latencies, 99) * 1000:.0f} ms")
        per = 1000 / max(outcomes["scored"], 1)
        print(f"  cpu       server {server_cpu / elapsed:.2f} cores "
              f"({server_cpu * per:.1f} ms per scored), "
              f"load generator {client_cpu / elapsed:.2f} cores ({client_cpu * per:.1f} ms)")
        print("  " + check_database(hub, outcomes["scored"] + warm["scored"]))
    finally:
        hub.stop()
        shutil.rmtree(hub.data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
