"""How a sandboxed run ended: one outcome, the exit status and the captured output.

The outcome is decided here, in one place, from facts gathered by the runner (which limit
the runner itself enforced, the cgroup's OOM count, CPU time, the exit status and the tail
of standard error), so every caller reports the same reason for the same ending.
"""

from __future__ import annotations

import re
import signal as signals
from dataclasses import dataclass
from enum import StrEnum

from aihub.evaluation.sandbox.limits import MIB, Limits

# bubblewrap reports a child killed by signal N as exit status 128 + N, like a shell.
_SIGNAL_BASE = 128
_DISK_TEXT = re.compile(r"No space left on device|File too large|Disk quota exceeded|"
                        r"\[Errno (28|27|122)\]")
_MEMORY_TEXT = re.compile(r"MemoryError|Cannot allocate memory|std::bad_alloc|\[Errno 12\]")


class Outcome(StrEnum):
    OK = "ok"
    FAILED = "failed"  # non-zero exit
    TIME_LIMIT = "time_limit"
    CPU_LIMIT = "cpu_limit"
    MEMORY_LIMIT = "memory_limit"
    OUTPUT_LIMIT = "output_limit"
    DISK_LIMIT = "disk_limit"
    KILLED = "killed"  # another signal


@dataclass(frozen=True)
class RunResult:
    outcome: Outcome
    exit_code: int | None  # None when the program died of a signal
    signal: int | None
    stdout: str
    stderr: str
    stdout_truncated: bool
    stderr_truncated: bool
    wall_seconds: float
    cpu_seconds: float
    peak_memory_bytes: int | None
    reason: str  # one sentence a participant can read

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.OK

    def stderr_tail(self, lines: int = 20, chars: int = 3000) -> str:
        """The last non-blank lines of standard error (a traceback's end), for reasons."""
        kept = [line for line in self.stderr.strip().splitlines() if line.strip()][-lines:]
        return "\n".join(kept)[-chars:]


@dataclass(frozen=True)
class Facts:
    """What the runner saw of one run, the input of ``classify``."""

    status: int  # the raw exit code of the launcher (128 + N for signal N inside)
    killed_for: Outcome | None  # a limit the runner enforced by killing the run
    oom_kills: int  # from the memory cgroup; 0 where none was used
    memory_by_cgroup: bool
    cpu_seconds: float
    disk_over: bool  # a writable area grew past its size (areas without their own tmpfs)
    stderr_tail: str


def split_status(status: int) -> tuple[int | None, int | None]:
    """(exit_code, signal) from a launcher status; negative statuses are signals too."""
    if status < 0:
        return None, -status
    if _SIGNAL_BASE < status <= _SIGNAL_BASE + 64:
        return None, status - _SIGNAL_BASE
    return status, None


def classify(facts: Facts, limits: Limits) -> tuple[Outcome, str]:
    """The outcome of a run and the sentence that explains it."""
    outcome = _outcome(facts, limits)
    return outcome, _reason(outcome, facts, limits)


def _outcome(facts: Facts, limits: Limits) -> Outcome:  # noqa: PLR0911 - a decision table
    if facts.killed_for is not None:
        return facts.killed_for
    if facts.status == 0:
        return Outcome.DISK_LIMIT if facts.disk_over else Outcome.OK
    _, sig = split_status(facts.status)
    if facts.oom_kills > 0:
        return Outcome.MEMORY_LIMIT
    # SIGKILL past the CPU limit: the hard limit, a second after an ignored SIGXCPU.
    if sig == signals.SIGXCPU or (sig == signals.SIGKILL
                                  and facts.cpu_seconds >= limits.cpu_seconds):
        return Outcome.CPU_LIMIT
    if facts.disk_over or sig == signals.SIGXFSZ or _DISK_TEXT.search(facts.stderr_tail):
        return Outcome.DISK_LIMIT
    if not facts.memory_by_cgroup and _MEMORY_TEXT.search(facts.stderr_tail):
        return Outcome.MEMORY_LIMIT
    if sig is not None:
        return Outcome.KILLED
    return Outcome.FAILED


def _reason(outcome: Outcome, facts: Facts, limits: Limits) -> str:
    code, sig = split_status(facts.status)
    mib = {name: getattr(limits, name) / MIB for name in
           ("memory_bytes", "stdout_bytes", "workspace_bytes", "output_bytes",
            "file_size_bytes")}
    return _REASONS[outcome].format(limits=limits, mib=mib, code=code, signal=_signal_name(sig))


_REASONS = {
    Outcome.OK: "The program finished.",
    Outcome.FAILED: "The program exited with status {code}.",
    Outcome.TIME_LIMIT: "The program was stopped at its time limit of {limits.wall_seconds:g} s.",
    Outcome.CPU_LIMIT: "The program was stopped at its CPU time limit of {limits.cpu_seconds} s.",
    Outcome.MEMORY_LIMIT: "The program ran out of memory (the limit is {mib[memory_bytes]:g} MiB).",
    Outcome.OUTPUT_LIMIT: "The program was stopped for writing far too much to its standard "
    "output or error (the first {mib[stdout_bytes]:g} MiB of each are kept).",
    Outcome.DISK_LIMIT: "The program ran out of disk space: /tmp holds "
    "{mib[workspace_bytes]:g} MiB, each output folder {mib[output_bytes]:g} MiB, and one file "
    "at most {mib[file_size_bytes]:g} MiB.",
    Outcome.KILLED: "The program was killed by signal {signal}.",
}


def _signal_name(sig: int | None) -> str:
    if sig is None:
        return "?"
    try:
        return signals.Signals(sig).name
    except ValueError:
        return str(sig)
