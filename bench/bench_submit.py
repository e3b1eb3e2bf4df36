"""Submit → scored through the real API route on the embedded default (SQLite, in-process
workers): sequential 100k-row CSV submissions over HTTP multipart, `?wait=` returning when
the score is known. Goal: median ≤ 50 ms, p99 ≤ 150 ms.

    .venv/bin/python bench/bench_submit.py [--rows 100000] [--runs 100]
"""

from __future__ import annotations

import argparse
import shutil
import time

import httpx
from _hub import percentile, start, submission_bytes


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    args = parser.parse_args()
    hub = start(args.rows)
    try:
        bodies = [submission_bytes(hub.ids, seed) for seed in range(8)]
        headers = {"Authorization": f"Bearer {hub.tokens[0]}"}
        url = f"{hub.url}/api/v1/challenges/bench/submissions"
        timings: list[float] = []
        with httpx.Client(headers=headers, timeout=60) as client:
            for n in range(args.warmup + args.runs):
                body = bodies[n % len(bodies)]
                began = time.perf_counter()
                response = client.post(url, params={"wait": 30},
                                       files={"file": ("sub.csv", body)})
                elapsed = (time.perf_counter() - began) * 1000
                data = response.json()
                assert response.status_code == 201 and data["status"] == "finished", data
                if n >= args.warmup:
                    timings.append(elapsed)
        size_mb = len(bodies[0]) / 1e6
        print(f"submit -> scored, {args.rows} rows ({size_mb:.1f} MB CSV), "
              f"{args.runs} sequential multipart POSTs with ?wait, SQLite, in-process workers")
        print(f"  median {percentile(timings, 50):6.1f} ms   (goal <= 50)")
        print(f"  p90    {percentile(timings, 90):6.1f} ms")
        print(f"  p99    {percentile(timings, 99):6.1f} ms   (goal <= 150)")
        print(f"  min    {min(timings):6.1f} ms   max {max(timings):6.1f} ms")
    finally:
        hub.stop()
        shutil.rmtree(hub.data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
