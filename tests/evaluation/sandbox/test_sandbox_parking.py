"""Parked launchers: a slot's next run starts from a process already in its cgroups; a
dead one is replaced, an unused one leaves nothing behind, and none leaks into a program."""

from __future__ import annotations

import os
import signal
from concurrent.futures import Future
from pathlib import Path

import pytest
from sandbox_helpers import SMALL, run_python

from aihub.evaluation.sandbox import BubblewrapSandbox, Outcome, Runtime, SandboxReport, SlotPool
from aihub.evaluation.sandbox.parking import ParkedLauncher


@pytest.fixture
def cgroups_here(report: SandboxReport) -> None:
    if report.cgroups.version is None:
        pytest.skip("no writable cgroup here: runs are not parked")


def _parked_dirs(sandbox: BubblewrapSandbox, uid: int) -> list[Path]:
    parents = {p for p in (sandbox.cgroups.memory, sandbox.cgroups.pids) if p is not None}
    return [d for parent in parents for d in parent.glob(f"aihub-parked-{uid}-*")]


def test_runs_use_the_parked_launcher_and_park_the_next(
    report: SandboxReport, work_root: Path, bare: Runtime, cgroups_here: None
) -> None:
    sandbox = BubblewrapSandbox(slots=SlotPool(61600, 1, per_slot_uids=report.per_slot_uids),
                                work_dir=work_root / "parking", limits=SMALL,
                                cgroups=report.cgroups, host_tmpfs=report.host_tmpfs)
    try:
        with sandbox.open(bare) as box:
            first = run_python(box, "import os; print(sorted(os.listdir('/proc/self/fd')))")
            parked = sandbox.take_parked(box.slot)
            assert parked is not None and parked.alive()  # parked by the first run
            os.killpg(parked.proc.pid, signal.SIGKILL)  # dies while waiting
            parked.proc.wait()
            dead: Future[ParkedLauncher] = Future()
            dead.set_result(parked)
            with sandbox._parked_lock:  # put the dead one back, as if it had died there
                sandbox._parked[box.slot.index] = dead
            second = run_python(box, "print('after a dead parked launcher')")
            uid = box.slot.uid
            with sandbox._parked_lock:
                next_one = sandbox._parked[box.slot.index]
            next_one.result()  # parked by the parker thread, after the run asked
        assert first.outcome is Outcome.OK
        assert first.stdout.strip() == "['0', '1', '2', '3']"  # 3: listdir's own
        assert second.outcome is Outcome.OK, second
        # One launcher (its memory and pids cgroups) waits for the next run.
        assert len({d.name for d in _parked_dirs(sandbox, uid)}) == 1
    finally:
        sandbox.close()
    assert _parked_dirs(sandbox, uid) == []


def test_a_parked_launcher_stops_when_the_runner_goes(report: SandboxReport,
                                                      cgroups_here: None) -> None:
    launcher = ParkedLauncher(report.cgroups, label="parked-test")
    os.close(launcher._go)  # what the runner's exit does to it
    launcher._go = -1
    assert launcher.proc.wait(timeout=10) == 125
    launcher.discard()
    assert all(not d.exists() for d in launcher.cgroup.dirs)
