"""Sandbox start-up overhead: ``python3 -c pass`` run bare (the runtime's own Python,
directly) against the same command through the bubblewrap sandbox, in the same run, with
and without per-run cgroups. Goal (issue 4): at most +10 ms median over bare.

    .venv/bin/python bench/bench_sandbox.py [--runs 20] [--rounds 3] [--warmup 2]
        [--gap-ms 0] [--runtimes-dir /var/tmp/aihub-runtimes]

Variants, interleaved within each round so a busy machine slows all alike:
  bare      subprocess.run of the runtime's python3 (the baseline)
  sandbox   box.run in an open box: slot uid, rlimits, bwrap, the run's own memory and pids
            cgroups, read and removed after it (the cost every run pays); the launcher
            was parked in its cgroups during the previous run, if it had the time
  no-cgroup the same without cgroups (memory then limited by RLIMIT_AS)
  box       a whole job's sandbox: open (slot, work folder, a tmpfs output area), run, close
            (kill sweep, unmount, wipe)
  reduced   the reduced sandbox (bubblewrap as root, no user namespace; root only), with
            cgroups, for machines where user namespaces are off
Needs root for per-slot uids, cgroups and tmpfs areas (it runs without, weaker).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from aihub.evaluation.sandbox import (
    BubblewrapSandbox,
    CgroupSupport,
    Outcome,
    Runtime,
    build_runtime,
    make_job_folder,
    probe_sandbox,
)
from aihub.evaluation.sandbox.slots import SlotPool

COMMAND = ["python3", "-c", "pass"]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def timed(action: Callable[[], None]) -> float:
    began = time.perf_counter()
    action()
    return (time.perf_counter() - began) * 1000


def variants(runtime: Runtime, work: Path, first_uid: int,
             stack: ExitStack) -> dict[str, Callable[[], None]]:
    report = probe_sandbox(first_uid=first_uid, work_dir=work)
    report.require()
    with_cgroups = BubblewrapSandbox(
        slots=SlotPool(first_uid, 2, per_slot_uids=report.per_slot_uids), work_dir=work / "a",
        cgroups=report.cgroups, host_tmpfs=report.host_tmpfs)
    without = BubblewrapSandbox(
        slots=SlotPool(first_uid + 2, 1, per_slot_uids=report.per_slot_uids),
        work_dir=work / "b", cgroups=CgroupSupport.none(), host_tmpfs=report.host_tmpfs)
    box_a = stack.enter_context(with_cgroups.open(runtime))
    box_b = stack.enter_context(without.open(runtime))
    extra: dict[str, Callable[[], None]] = {}
    if report.privileged:
        reduced = BubblewrapSandbox(
            slots=SlotPool(first_uid + 3, 1, per_slot_uids=True), work_dir=work / "c",
            cgroups=report.cgroups, host_tmpfs=report.host_tmpfs, privileged=True)
        box_c = stack.enter_context(reduced.open(runtime))
        extra["reduced"] = lambda: check(box_c.run(COMMAND).outcome)
    bare = [str(runtime.python), "-c", "pass"]

    def check(result_outcome: Outcome) -> None:
        if result_outcome is not Outcome.OK:
            sys.exit(f"a sandboxed run failed: {result_outcome}")

    def whole_box() -> None:
        with with_cgroups.open(runtime) as box:
            box.writable("/predictions")
            check(box.run(COMMAND).outcome)

    print(f"cgroups: {report.cgroups.describe()}; per-slot uids: {report.per_slot_uids}; "
          f"tmpfs areas: {report.host_tmpfs}")
    return {
        "bare": lambda: subprocess.run(bare, check=True),
        "sandbox": lambda: check(box_a.run(COMMAND).outcome),
        "no-cgroup": lambda: check(box_b.run(COMMAND).outcome),
        "box": whole_box,
        **extra,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="timed runs per variant and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--runtimes-dir", type=Path, default=Path("/var/tmp/aihub-runtimes"))
    parser.add_argument("--first-uid", type=int, default=61100)
    parser.add_argument("--gap-ms", type=float, default=0.0,
                        help="idle time before each timed run, as between real jobs")
    args = parser.parse_args()

    runtime = build_runtime(args.runtimes_dir, "bare", packages=[])
    work = make_job_folder(prefix="bench-")
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, work, ignore_errors=True)
        run_rounds(variants(runtime, work, args.first_uid, stack), args)


def run_rounds(actions: dict[str, Callable[[], None]], args: argparse.Namespace) -> None:
    medians: dict[str, list[float]] = {name: [] for name in actions}
    p90s: dict[str, list[float]] = {name: [] for name in actions}
    minima: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(args.warmup):
        for action in actions.values():
            action()
    print(f"python3 -c pass, {args.runs} runs per variant and round (ms)")
    print(f"{'round':>5} " + " ".join(f"{name:>18}" for name in actions))
    for round_ in range(1, args.rounds + 1):
        times: dict[str, list[float]] = {name: [] for name in actions}
        for _ in range(args.runs):
            for name, action in actions.items():  # interleaved
                time.sleep(args.gap_ms / 1000)
                times[name].append(timed(action))
        for name, values in times.items():
            medians[name].append(statistics.median(values))
            p90s[name].append(percentile(values, 0.9))
            minima[name].append(min(values))
        print(f"{round_:>5} " + " ".join(
            f"{statistics.median(times[name]):8.1f} (p90 {percentile(times[name], 0.9):5.1f})"
            for name in actions))
    base = statistics.median(medians["bare"])
    print("\nvariant    median (of rounds)  p90 (of rounds)  fastest  median overhead vs bare")
    for name in actions:
        middle = statistics.median(medians[name])
        print(f"{name:<10} {middle:12.1f} ms {statistics.median(p90s[name]):13.1f} ms "
              f"{min(minima[name]):8.1f} ms {middle - base:+12.1f} ms")
    overhead = statistics.median(medians["sandbox"]) - base
    print(f"\ngoal: sandbox overhead <= +10 ms median: {'met' if overhead <= 10 else 'NOT met'} "
          f"({overhead:+.1f} ms)")


if __name__ == "__main__":
    main()
