"""The sandbox seam: what the evaluation code asks of any sandbox.

bubblewrap (``BubblewrapSandbox``) is the real implementation. A weaker fallback for hosts
without user namespaces would implement the same three protocols and report a lower
``isolation``, so that callers can refuse it unless a curator allowed it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from aihub.evaluation.sandbox.areas import SharedArea
from aihub.evaluation.sandbox.limits import Limits
from aihub.evaluation.sandbox.paths import Mount
from aihub.evaluation.sandbox.results import RunResult
from aihub.evaluation.sandbox.runtimes import Runtime
from aihub.evaluation.sandbox.slots import Slot


class Isolation(StrEnum):
    FULL = "full"  # own namespaces, allow-list file view, no network, per-slot uid
    REDUCED = "reduced"  # a fallback: label it so in the UI; refused unless allowed


class RunHandle(Protocol):
    pid: int

    def wait(self) -> RunResult:
        """Block until the program ends (at the latest at its wall-time limit)."""

    def kill(self) -> None: ...

    def done(self) -> bool: ...


class Box(Protocol):
    """One slot taken for one job: its writable areas live until the box is closed."""

    slot: Slot
    limits: Limits

    def writable(self, target: str, *, area: SharedArea | None = None) -> Path:
        """A writable folder at ``target`` in every run of this box; returns its host path."""

    def start(self, argv: Sequence[str], *, mounts: Sequence[Mount] = (), workdir: str = "/tmp",  # noqa: S108
              env: Mapping[str, str] | None = None, limits: Limits | None = None) -> RunHandle:
        ...

    def run(self, argv: Sequence[str], *, mounts: Sequence[Mount] = (), workdir: str = "/tmp",  # noqa: S108
            env: Mapping[str, str] | None = None, limits: Limits | None = None) -> RunResult:
        ...


class Sandbox(Protocol):
    name: str
    isolation: Isolation

    def open(self, runtime: Runtime | None = None, limits: Limits | None = None, *,
             timeout: float | None = None) -> AbstractContextManager[Box]:
        """Take a slot (waiting up to ``timeout`` s) and make a box; leaving the context
        kills what is left, removes the cgroups, wipes the areas and frees the slot."""

    def shared_area(self, size_bytes: int) -> SharedArea:
        """A writable area two boxes of different slots can mount at once."""

    def close(self) -> None:
        """Release what the sandbox keeps between boxes (parked launchers); boxes opened
        later still work."""
