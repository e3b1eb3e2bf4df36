"""Slots: one non-root uid per concurrent run.

RLIMIT_NPROC counts every process of a uid on the host, and processes of one uid may signal
and inspect each other, so two runs at once must never share a uid (sandbox.md, finding 2).
Slot k runs as uid ``first_uid + k`` with the same gid. A process that is not root cannot
change uid: its slots all carry its own uid (``per_slot_uids`` False), which the probe
reports as a weaker setup.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from aihub.evaluation.sandbox.errors import SandboxError

DEFAULT_FIRST_UID = 61000
_MAX_ID = 2**31 - 2


@dataclass(frozen=True)
class Slot:
    index: int
    uid: int
    gid: int


class SlotPool:
    """Hands out slots, each to one run at a time (thread-safe)."""

    def __init__(self, first_uid: int = DEFAULT_FIRST_UID, count: int = 1, *,
                 per_slot_uids: bool | None = None) -> None:
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
        with self._cond:
            if not self._cond.wait_for(lambda: bool(self._free), timeout=timeout):
                raise TimeoutError(f"no sandbox slot came free within {timeout} s")
            return self.slot_for(self._free.pop(0))

    def release(self, slot: Slot) -> None:
        with self._cond:
            if slot.index in self._free or not 0 <= slot.index < self.count:
                raise SandboxError(f"Sandbox slot {slot.index} is not in use.")
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
