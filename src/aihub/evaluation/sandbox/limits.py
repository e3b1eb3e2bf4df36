"""The limits of one sandboxed run, with defaults sized for a CPU slot of a small worker."""

from __future__ import annotations

from dataclasses import dataclass, fields

from aihub.evaluation.sandbox.errors import SandboxError

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """What one run may use. Every field must be positive.

    Memory is the whole process tree's (a cgroup where one is writable, else the address
    space of each process). The workspace (``/tmp``, ``HOME``) is a tmpfs, so what a program
    keeps there is memory too and counts against ``memory_bytes`` where a cgroup is used.
    """

    wall_seconds: float = 600.0
    cpu_seconds: int = 600  # per process (RLIMIT_CPU); the wall clock bounds the whole tree
    memory_bytes: int = 2048 * MIB
    processes: int = 64  # processes and threads of the slot's uid
    open_files: int = 256
    file_size_bytes: int = 256 * MIB  # the largest single file a program may write
    workspace_bytes: int = 256 * MIB  # the private /tmp
    output_bytes: int = 256 * MIB  # each writable area
    stdout_bytes: int = 1 * MIB  # kept of standard output; the rest is dropped
    stderr_bytes: int = 1 * MIB

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if not value > 0:
                raise SandboxError(f"Sandbox limit {field.name} must be positive, not {value!r}.")

    def output_kill_bytes(self, cap: int) -> int:
        """How much of one stream a run may write before it is stopped: far enough past the
        kept part that a long log is not a failure, near enough that "writing gigabytes to
        stdout" ends within a second or two."""
        return max(16 * cap, cap + 8 * MIB)
