"""How facts about an ended run become one outcome and a sentence (no sandbox needed)."""

from __future__ import annotations

import signal

import pytest

from aihub.evaluation.sandbox import Limits, Outcome, SandboxError
from aihub.evaluation.sandbox.results import Facts, classify, split_status

LIMITS = Limits(cpu_seconds=10)


def facts(status: int = 0, **changes: object) -> Facts:
    values: dict[str, object] = {
        "status": status, "killed_for": None, "oom_kills": 0, "memory_by_cgroup": True,
        "cpu_seconds": 1.0, "disk_over": False, "stderr_tail": "",
    }
    values.update(changes)
    return Facts(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize("given, outcome", [
    (facts(), Outcome.OK),
    (facts(1), Outcome.FAILED),
    (facts(137, killed_for=Outcome.TIME_LIMIT), Outcome.TIME_LIMIT),
    (facts(-9, killed_for=Outcome.OUTPUT_LIMIT), Outcome.OUTPUT_LIMIT),
    (facts(137, oom_kills=1), Outcome.MEMORY_LIMIT),
    (facts(128 + signal.SIGXCPU), Outcome.CPU_LIMIT),
    (facts(137, cpu_seconds=10.5), Outcome.CPU_LIMIT),
    (facts(137), Outcome.KILLED),
    (facts(128 + signal.SIGXFSZ), Outcome.DISK_LIMIT),
    (facts(1, stderr_tail="OSError: [Errno 28] No space left on device"), Outcome.DISK_LIMIT),
    (facts(0, disk_over=True), Outcome.DISK_LIMIT),
    (facts(1, stderr_tail="MemoryError", memory_by_cgroup=False), Outcome.MEMORY_LIMIT),
    (facts(1, stderr_tail="MemoryError", memory_by_cgroup=True), Outcome.FAILED),
    (facts(139), Outcome.KILLED),
])
def test_outcomes(given: Facts, outcome: Outcome) -> None:
    assert classify(given, LIMITS)[0] is outcome


def test_reasons_are_sentences() -> None:
    assert classify(facts(139), LIMITS)[1] == "The program was killed by signal SIGSEGV."
    assert classify(facts(2), LIMITS)[1] == "The program exited with status 2."
    assert "2048 MiB" in classify(facts(137, oom_kills=1), LIMITS)[1]


def test_split_status() -> None:
    assert split_status(0) == (0, None)
    assert split_status(3) == (3, None)
    assert split_status(-9) == (None, 9)
    assert split_status(137) == (None, 9)


def test_limits_must_be_positive() -> None:
    with pytest.raises(SandboxError, match="memory_bytes must be positive"):
        Limits(memory_bytes=0)
