"""Slots: one uid per concurrent run; two programs in one box; an area shared by two boxes;
a fork bomb in one slot does not stop a run in the other."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
from sandbox_helpers import SMALL, assert_slot_clean, run_python

from aihub.evaluation.sandbox import (
    BubblewrapSandbox,
    Mount,
    Outcome,
    Runtime,
    SandboxError,
    SlotPool,
    read_outputs,
)


def test_pool_hands_each_slot_to_one_holder_at_a_time() -> None:
    pool = SlotPool(61000, 2, per_slot_uids=False)
    held: list[int] = []
    peak = [0]
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(20):
            with pool.slot() as slot:
                with lock:
                    assert slot.index not in held
                    held.append(slot.index)
                    peak[0] = max(peak[0], len(held))
                time.sleep(0.001)
                with lock:
                    held.remove(slot.index)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert pool.free == 2 and peak[0] <= 2


def test_pool_times_out_and_checks_its_arguments() -> None:
    pool = SlotPool(61000, 1, per_slot_uids=False)
    with pool.slot(), pytest.raises(TimeoutError):
        pool.acquire(timeout=0.01)
    with pytest.raises(SandboxError, match="between 1000"):
        SlotPool(0, 1)
    with pytest.raises(SandboxError, match="at least one slot"):
        SlotPool(61000, 0)


def test_slots_are_locked_across_processes(work_root: Path, per_slot: None) -> None:
    # Two workers on one machine (here two pools) never hold the same uid at once.
    first = SlotPool(61500, 2, lock_dir=work_root / "locks")
    second = SlotPool(61500, 2, lock_dir=work_root / "locks")
    a, b = first.acquire(), first.acquire()
    with pytest.raises(TimeoutError):
        second.acquire(timeout=0.1)
    first.release(a)
    assert second.acquire(timeout=1).uid == a.uid
    first.release(b)


def test_slots_have_their_own_uids(report: object, per_slot: None) -> None:
    pool = SlotPool(61000, 3)
    assert [pool.slot_for(k).uid for k in range(3)] == [61000, 61001, 61002]
    assert pool.slot_for(2).gid == 61002


def test_two_programs_in_one_box_at_once(sandbox: BubblewrapSandbox, bare: Runtime) -> None:
    with sandbox.open(bare) as box:
        box.writable("/work")
        reader = box.start(["python3", "-c", """
import os, time
while not os.path.exists("/work/ready"):
    time.sleep(0.01)
print(open("/work/ready").read())
"""])
        writer = box.start(["python3", "-c", "open('/work/ready', 'w').write('hello')"])
        assert writer.wait().outcome is Outcome.OK
        result = reader.wait()
    assert result.outcome is Outcome.OK, result
    assert result.stdout == "hello\n"


def test_shared_area_between_two_slots(sandbox: BubblewrapSandbox, bare: Runtime) -> None:
    # Codabench runs ingestion and scoring at once, talking through /app/shared.
    with sandbox.shared_area(1 << 20) as shared:
        with sandbox.open(bare) as ingestion, sandbox.open(bare) as scoring:
            assert ingestion.slot.uid != scoring.slot.uid or not sandbox.slots.per_slot_uids
            ingestion.writable("/app/shared", area=shared)
            scoring.writable("/app/shared", area=shared)
            out = scoring.writable("/app/output")
            waiting = scoring.start(["python3", "-c", """
import os, time
while not os.path.exists("/app/shared/done"):
    time.sleep(0.01)
open("/app/output/scores.json", "w").write(open("/app/shared/predictions.csv").read())
"""])
            wrote = ingestion.run(["python3", "-c", """
open("/app/shared/predictions.csv", "w").write("id,y\\n1,1\\n")
open("/app/shared/done", "w").close()
"""])
            assert wrote.outcome is Outcome.OK, wrote
            assert waiting.wait().outcome is Outcome.OK
            assert read_outputs(out) == {"scores.json": b"id,y\n1,1\n"}
        assert shared.path.exists()
    assert not shared.path.exists()


@pytest.mark.slow
def test_fork_bomb_in_one_slot_does_not_stop_the_other(sandbox: BubblewrapSandbox,
                                                       bare: Runtime, per_slot: None) -> None:
    with sandbox.open(bare, replace(SMALL, wall_seconds=3)) as bomb_box:
        bomb = bomb_box.start(["python3", "-c", """
import os, time
for _ in range(2000):
    try:
        if os.fork() == 0:
            time.sleep(10)
            os._exit(0)
    except OSError:
        pass
time.sleep(10)
"""])
        time.sleep(0.5)  # the bomb has used up its slot's processes by now
        with sandbox.open(bare) as other:
            result = run_python(other, """
                import subprocess
                for _ in range(8):
                    subprocess.run(["python3", "-c", "pass"], check=True)
                print("fine")
            """)
        bombed = bomb.wait()
        uid = bomb_box.slot.uid
    assert result.outcome is Outcome.OK, result
    assert result.stdout == "fine\n"
    assert bombed.outcome is Outcome.TIME_LIMIT
    assert_slot_clean(sandbox, uid)


def test_writable_targets_are_checked(sandbox: BubblewrapSandbox, bare: Runtime,
                                      job: Path) -> None:
    with sandbox.open(bare) as box:
        with pytest.raises(SandboxError, match="inside /usr"):
            box.writable("/usr/local/out")
        with pytest.raises(SandboxError, match="absolute"):
            box.writable("out")
        box.writable("/app/output")
        with pytest.raises(SandboxError, match="already has a writable area"):
            box.writable("/app/output")
        with pytest.raises(SandboxError, match="overlap"):
            box.run(["true"], mounts=[Mount(job, "/app")])
