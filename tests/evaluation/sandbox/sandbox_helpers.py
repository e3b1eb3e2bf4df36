"""Helpers for the sandbox's tests: run a Python snippet in a box, and check that the
next job still runs and that nothing of a slot is left."""

from __future__ import annotations

import textwrap
from pathlib import Path

from aihub.evaluation.sandbox import (
    MIB,
    BubblewrapBox,
    BubblewrapSandbox,
    Limits,
    Mount,
    Outcome,
    RunResult,
    Runtime,
)
from aihub.evaluation.sandbox.process import uid_processes

SMALL = Limits(
    wall_seconds=5, cpu_seconds=5, memory_bytes=256 * MIB, processes=32, open_files=64,
    file_size_bytes=8 * MIB, workspace_bytes=16 * MIB, output_bytes=4 * MIB,
    stdout_bytes=64 * 1024, stderr_bytes=64 * 1024,
)


def run_python(box: BubblewrapBox, code: str, *, mounts: tuple[Mount, ...] = (),
               limits: Limits | None = None, env: dict[str, str] | None = None) -> RunResult:
    return box.run(["python3", "-c", textwrap.dedent(code)], mounts=mounts, limits=limits,
                   env=env)


def assert_next_job_runs(sandbox: BubblewrapSandbox, runtime: Runtime) -> None:
    """A normal run right after a hostile one works: the worker carries on."""
    with sandbox.open(runtime) as box:
        result = run_python(box, "print(sum(range(10)))")
    assert result.outcome is Outcome.OK, result
    assert result.stdout == "45\n"


def assert_slot_clean(sandbox: BubblewrapSandbox, uid: int) -> None:
    """No process of the slot's uid and no cgroup of it is left."""
    if sandbox.slots.per_slot_uids:
        assert uid_processes(uid) == []
    for parent in (sandbox.cgroups.memory, sandbox.cgroups.pids):
        if parent is not None:
            assert list(Path(parent).glob(f"aihub-{uid}-*")) == []
