"""Slots: one non-root uid per concurrent run.

RLIMIT_NPROC counts every process of a uid on the host, and processes of one uid may signal
and inspect each other, so two runs at once must never share a uid (sandbox.md, finding 2).
Slot k runs as uid ``first_uid + k`` with the same gid. A process that is not root cannot
change uid: its slots all carry its own uid (``per_slot_uids`` False), which the probe
reports as a weaker setup.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from aihub.evaluation.sandbox.errors import SandboxError

DEFAULT_FIRST_UID = 61000
_MAX_ID = 2**31 - 2
_POLL_OTHERS = 0.05


@dataclass(frozen=True)
class Slot:
    index: int
    uid: int
    gid: int


class SlotPool:
    """Hands out slots, each to one box at a time (thread-safe).

    With ``lock_dir``, a slot is also locked across processes (``flock`` on
    ``lock_dir/slot-<uid>.lock``), so that two workers on one machine with the same uids
    never use one at once: closing a box kills every process of its uid.
    """

    def __init__(self, first_uid: int = DEFAULT_FIRST_UID, count: int = 1, *,
                 per_slot_uids: bool | None = None, lock_dir: Path | None = None) -> None:
        if count < 1:
            raise SandboxError(f"A sandbox needs at least one slot, not {count}.")
        if not 1000 <= first_uid <= _MAX_ID - count:
            raise SandboxError(
                f"The first sandbox uid must be between 1000 and {_MAX_ID - count} and belong "
                f"to no account (default {DEFAULT_FIRST_UID}), not {first_uid}."
            )
        self.per_slot_uids = os.geteuid() == 0 if per_slot_uids is None else per_slot_uids
        if self.per_slot_uids and os.geteuid() != 0:
            raise SandboxError("Per-slot uids need root: run the worker as root, or let the "
                               "slots share the worker's own uid (per_slot_uids=False).")
        self.first_uid = first_uid
        self.count = count
        self._free = list(range(count))
        self._cond = threading.Condition()
        self.lock_dir = lock_dir if self.per_slot_uids else None
        self._locks: dict[int, int] = {}  # slot index -> descriptor holding its flock

    def slot_for(self, index: int) -> Slot:
        if self.per_slot_uids:
            uid = self.first_uid + index
            return Slot(index, uid, uid)
        return Slot(index, os.getuid(), os.getgid())

    @property
    def uids(self) -> range:
        """The uids the slots run as (empty when they share the worker's uid)."""
        if not self.per_slot_uids:
            return range(0)
        return range(self.first_uid, self.first_uid + self.count)

    def acquire(self, timeout: float | None = None) -> Slot:
        """A free slot; waits for one, raising ``TimeoutError`` after ``timeout`` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while (index := self._take()) is None:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise TimeoutError(f"no sandbox slot came free within {timeout} s")
                # Other processes free their slots without telling us: look again soon.
                waits = [w for w in (left, _POLL_OTHERS if self.lock_dir else None)
                         if w is not None]
                self._cond.wait(min(waits) if waits else None)
            return self.slot_for(index)

    def _take(self) -> int | None:
        for index in self._free:
            if self._lock(index):
                self._free.remove(index)
                return index
        return None

    def _lock(self, index: int) -> bool:
        if self.lock_dir is None:
            return True
        self.lock_dir.mkdir(parents=True, exist_ok=True)
        path = self.lock_dir / f"slot-{self.first_uid + index}.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._locks[index] = fd
        return True

    def release(self, slot: Slot) -> None:
        with self._cond:
            if slot.index in self._free or not 0 <= slot.index < self.count:
                raise SandboxError(f"Sandbox slot {slot.index} is not in use.")
            if (fd := self._locks.pop(slot.index, None)) is not None:
                os.close(fd)  # drops the flock
            self._free.append(slot.index)
            self._cond.notify()

    @property
    def free(self) -> int:
        with self._cond:
            return len(self._free)

    @contextmanager
    def slot(self, timeout: float | None = None) -> Iterator[Slot]:
        taken = self.acquire(timeout)
        try:
            yield taken
        finally:
            self.release(taken)
