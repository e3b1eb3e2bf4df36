"""Each limit ends a hostile run with the right outcome and reason, and the next job runs."""

from __future__ import annotations

import signal
import time
from dataclasses import replace
from pathlib import Path

import pytest
from sandbox_helpers import SMALL, assert_next_job_runs, assert_slot_clean, run_python

from aihub.evaluation.sandbox import MIB, BubblewrapSandbox, Outcome, Runtime
from aihub.evaluation.sandbox.process import uid_processes


def test_normal_run_reports_output_and_usage(sandbox: BubblewrapSandbox, bare: Runtime) -> None:
    with sandbox.open(bare) as box:
        result = run_python(box, """
            import sys
            print("hello")
            print("oops", file=sys.stderr)
        """)
    assert result.outcome is Outcome.OK
    assert (result.stdout, result.stderr, result.exit_code) == ("hello\n", "oops\n", 0)
    assert result.reason == "The program finished."
    assert result.wall_seconds > 0 and result.cpu_seconds > 0
    assert not result.stdout_truncated


def test_non_zero_exit_is_failed(sandbox: BubblewrapSandbox, bare: Runtime) -> None:
    with sandbox.open(bare) as box:
        result = run_python(box, "raise SystemExit(3)")
    assert (result.outcome, result.exit_code, result.signal) == (Outcome.FAILED, 3, None)
    assert result.reason == "The program exited with status 3."


@pytest.mark.slow
def test_sleeping_forever_hits_the_time_limit(sandbox: BubblewrapSandbox, bare: Runtime) -> None:
    with sandbox.open(bare, replace(SMALL, wall_seconds=1)) as box:
        result = run_python(box, "import time; time.sleep(10**6)")
        uid = box.slot.uid
    assert result.outcome is Outcome.TIME_LIMIT
    assert "time limit of 1 s" in result.reason
    assert_slot_clean(sandbox, uid)
    assert_next_job_runs(sandbox, bare)


@pytest.mark.slow
def test_cpu_spin_hits_the_cpu_limit(sandbox: BubblewrapSandbox, bare: Runtime) -> None:
    with sandbox.open(bare, replace(SMALL, cpu_seconds=1, wall_seconds=20)) as box:
        result = run_python(box, "while True: pass")
    assert result.outcome is Outcome.CPU_LIMIT, result
    assert result.signal == signal.SIGXCPU
    assert result.cpu_seconds > 0.5  # rusage; the kernel's limit check counts a bit more
    assert "CPU time limit of 1 s" in result.reason
    assert_next_job_runs(sandbox, bare)


def test_memory_hog_hits_the_memory_limit(sandbox: BubblewrapSandbox, bare: Runtime) -> None:
    with sandbox.open(bare, replace(SMALL, memory_bytes=128 * MIB)) as box:
        result = run_python(box, """
            chunks = []
            for _ in range(3 * 1024 // 16):
                chunks.append(bytearray(16 << 20))  # zero-filled: every page is touched
            print("allocated 3 GiB")
        """)
    assert result.outcome is Outcome.MEMORY_LIMIT, result
    assert "allocated" not in result.stdout
    assert "128 MiB" in result.reason
    if sandbox.cgroups.memory is not None:
        assert result.peak_memory_bytes is not None
        assert result.peak_memory_bytes <= 128 * MIB
    assert_next_job_runs(sandbox, bare)


def test_gigabytes_to_stdout_end_with_output_limit(sandbox: BubblewrapSandbox,
                                                   bare: Runtime) -> None:
    with sandbox.open(bare, replace(SMALL, wall_seconds=60)) as box:
        result = run_python(box, """
            import sys
            block = b"x" * (1 << 20)
            for _ in range(10 * 1024):  # 10 GiB
                sys.stdout.buffer.write(block)
        """)
    assert result.outcome is Outcome.OUTPUT_LIMIT, result.reason
    assert result.stdout_truncated
    assert len(result.stdout) == SMALL.stdout_bytes
    assert "standard output" in result.reason
    assert_next_job_runs(sandbox, bare)


def test_long_stderr_is_capped_but_not_a_failure(sandbox: BubblewrapSandbox,
                                                 bare: Runtime) -> None:
    with sandbox.open(bare) as box:
        result = run_python(box, "import sys; sys.stderr.write('e' * 200_000)")
    assert result.outcome is Outcome.OK
    assert result.stderr_truncated and len(result.stderr) == SMALL.stderr_bytes


def test_filling_the_workspace_is_a_disk_limit(sandbox: BubblewrapSandbox, bare: Runtime) -> None:
    with sandbox.open(bare) as box:
        result = run_python(box, """
            import os
            for n in range(100):  # 1 MiB files, far past the 16 MiB workspace
                with open(f"/tmp/fill-{n}", "wb") as f:
                    f.write(os.urandom(1 << 20))
        """)
    assert result.outcome is Outcome.DISK_LIMIT, result
    assert "No space left on device" in result.stderr
    assert "/tmp holds 16 MiB" in result.reason
    assert_next_job_runs(sandbox, bare)


def test_filling_an_output_area_is_a_disk_limit_and_stays_capped(
    sandbox: BubblewrapSandbox, bare: Runtime
) -> None:
    with sandbox.open(bare) as box:
        out = box.writable("/predictions")
        result = run_python(box, """
            import os
            for n in range(100):
                with open(f"/predictions/part-{n}", "wb") as f:
                    f.write(os.urandom(1 << 20))
        """)
        used = sum(p.stat().st_size for p in out.iterdir())
    assert result.outcome is Outcome.DISK_LIMIT, result
    assert used <= SMALL.output_bytes
    assert_next_job_runs(sandbox, bare)


def test_one_huge_file_is_a_disk_limit(sandbox: BubblewrapSandbox, bare: Runtime) -> None:
    with sandbox.open(bare, replace(SMALL, file_size_bytes=1 * MIB)) as box:
        result = run_python(box, "open('/tmp/big', 'wb').write(b'x' * (2 << 20))")
    assert result.outcome is Outcome.DISK_LIMIT, result
    assert "File too large" in result.stderr


@pytest.mark.slow
def test_fork_bomb_stops_at_the_process_limit(sandbox: BubblewrapSandbox, bare: Runtime) -> None:
    # Bounded: at most 2,000 forks, each child sleeping 3 s, so that a broken limit could
    # not take the test machine down.
    with sandbox.open(bare) as box:
        result = run_python(box, """
            import os, time
            made = 0
            for _ in range(2000):
                try:
                    pid = os.fork()
                except OSError:
                    break
                if pid == 0:
                    time.sleep(3)
                    os._exit(0)
                made += 1
            print(made)
        """)
        uid = box.slot.uid
    assert result.outcome is Outcome.OK, result
    assert 0 < int(result.stdout) <= SMALL.processes
    assert_slot_clean(sandbox, uid)
    assert_next_job_runs(sandbox, bare)


def test_the_program_and_its_children_are_born_in_the_run_cgroups(
    sandbox: BubblewrapSandbox, bare: Runtime, per_slot: None
) -> None:
    if sandbox.cgroups.version is None:
        pytest.skip("no writable cgroup here")
    with sandbox.open(bare) as box:
        run = box.start(["python3", "-c", """
import subprocess, time
child = subprocess.Popen(["python3", "-c", "import time; time.sleep(30)"])
print("started", flush=True)
time.sleep(30)
"""])
        uid = box.slot.uid
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(_program_pids(uid)) < 2:
            time.sleep(0.02)
        pids = _program_pids(uid)
        memberships = {pid: Path(f"/proc/{pid}/cgroup").read_text() for pid in pids}
        run.kill()
        run.wait()
    assert len(pids) >= 2  # the program and its child
    for text in memberships.values():
        lines = [line for line in text.splitlines() if ":memory:" in line or ":pids:" in line]
        # A run's own cgroups (made for it, or parked for it: aihub-parked-<uid>-...).
        assert lines and all("/aihub-" in line and f"-{uid}-" in line for line in lines), text


def _program_pids(uid: int) -> list[int]:
    # The slot's python3 processes (not bubblewrap's own, which the runner started).
    return [pid for pid in uid_processes(uid, zombies=False)
            if Path(f"/proc/{pid}/comm").read_text().strip().startswith("python")]


def test_a_missing_workdir_or_command_is_a_failure_with_the_reason(
    sandbox: BubblewrapSandbox, bare: Runtime
) -> None:
    with sandbox.open(bare) as box:
        no_dir = box.run(["python3", "-c", "pass"], workdir="/nowhere")
        no_command = box.run(["no-such-program"])
    assert no_dir.outcome is Outcome.FAILED and "/nowhere" in no_dir.stderr
    assert no_command.outcome is Outcome.FAILED and "no-such-program" in no_command.stderr
