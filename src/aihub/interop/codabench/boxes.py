"""One program of a task in its own sandbox box: what it sees, its command, how it ended.

Each program (ingestion, the participant's own command, scoring) gets a box of its own, so
the scorer never shares a sandbox with participant code, and only the scorer's box mounts
``/app/input/ref``. Paths inside are Codabench's (``/app/...``, working directory
``/app/program``), so bundles run unchanged.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

from aihub.evaluation.plans import ErrorKind
from aihub.evaluation.sandbox import (
    Box,
    Limits,
    Mount,
    Outcome,
    RunHandle,
    RunResult,
    Runtime,
    Sandbox,
    SharedArea,
)
from aihub.interop.codabench.programs import ProgramKind, command_argv, rewrite_legacy_command

WORKDIR = "/app/program"
ENV = {"PYTHONUNBUFFERED": "1"}
_POLL_SECONDS = 0.05
# A second box (ingestion beside the scorer or the submission) waits this long for its slot
# before the first is given back; between tries, a random pause up to a doubling bound.
NEXT_SLOT_SECONDS = 1.0
_BACKOFF_SECONDS = 0.2
_BACKOFF_MAX_SECONDS = 3.0
_TAIL_LINES = 20
_TAIL_CHARS = 3000


class Role(StrEnum):
    INGESTION = "ingestion"  # the organizer's ingestion program, which runs participant code
    SUBMISSION = "submission"  # the participant's own command (a metadata file with one)
    SCORING = "scoring"  # the organizer's scoring program: the only box with the reference


class Step(StrEnum):
    PREDICTION = "prediction"
    SCORING = "scoring"


@dataclass(frozen=True)
class Failure:
    """Why a run gave no scores: ``participant`` is safe to show them (it quotes nothing a
    box with the reference data wrote); ``host`` has the details."""

    kind: ErrorKind
    participant: str
    host: str


@dataclass(frozen=True)
class BoxLog:
    role: Role
    step: Step
    command: str  # as run, placeholders replaced
    outcome: Outcome
    exit_code: int | None
    stdout: str
    stderr: str
    wall_seconds: float

    @property
    def participant_visible(self) -> bool:
        """Whether the box saw no reference data (its output may be shown to participants,
        unless the phase hides output)."""
        return self.role is not Role.SCORING


@dataclass(frozen=True)
class Program:
    role: Role
    step: Step
    command: str  # from the folder's metadata, as written
    mounts: tuple[Mount, ...]
    writable: tuple[tuple[str, SharedArea | None], ...]  # targets; a SharedArea or own area

    @property
    def command_line(self) -> str:
        kind = ProgramKind.INGESTION if self.role is Role.INGESTION else ProgramKind.PROGRAM
        return rewrite_legacy_command(self.command, kind, is_scoring=self.step is Step.SCORING)


@dataclass
class Started:
    program: Program
    handle: RunHandle
    areas: dict[str, Path]  # writable target → host path

    def log(self, result: RunResult) -> BoxLog:
        return BoxLog(self.program.role, self.program.step, self.program.command_line,
                      result.outcome, result.exit_code, result.stdout, result.stderr,
                      result.wall_seconds)


def step_limits(limits: Limits, seconds: float) -> Limits:
    """The sandbox's limits with the step's wall time (CPU time at least as long)."""
    return replace(limits, wall_seconds=seconds,
                   cpu_seconds=max(limits.cpu_seconds, math.ceil(seconds)))


def open_boxes(stack: ExitStack, sandbox: Sandbox, runtime: Runtime | None, limits: Limits,
               count: int, *, timeout: float,
               next_slot_timeout: float = NEXT_SLOT_SECONDS) -> list[Box]:
    """``count`` boxes (closed with ``stack``), all or none: the first waits for a slot up
    to ``timeout`` seconds in all, each next one ``next_slot_timeout`` at most. When one is
    not free, the boxes taken are given back and, after a random pause, all are asked for
    again: two jobs that each hold one slot of two never wait on each other (a deadlock
    until both time out). ``TimeoutError`` once ``timeout`` has passed."""
    deadline = time.monotonic() + timeout
    pause = _BACKOFF_SECONDS
    while True:
        with ExitStack() as attempt:
            boxes: list[Box] = []
            try:
                for position in range(count):
                    left = max(deadline - time.monotonic(), 0.0)
                    wait = left if position == 0 else min(left, next_slot_timeout)
                    boxes.append(attempt.enter_context(
                        sandbox.open(runtime, limits, timeout=wait)))
            except TimeoutError:
                if time.monotonic() >= deadline:
                    raise
            else:
                stack.enter_context(attempt.pop_all())
                return boxes
        # Given back: wait a random moment, so that two jobs do not retry in step.
        jitter = random.uniform(pause / 4, pause)
        time.sleep(min(jitter, max(deadline - time.monotonic(), 0.0)))
        pause = min(pause * 2, _BACKOFF_MAX_SECONDS)


def start(box: Box, program: Program) -> Started:
    """Start ``program`` in ``box`` with its writable areas."""
    areas = {target: box.writable(target, area=area) for target, area in program.writable}
    argv = command_argv(program.command_line)
    handle = box.start(argv, mounts=program.mounts, workdir=WORKDIR, env=ENV)
    return Started(program, handle, areas)


def wait_all(started: Sequence[Started], stop: threading.Event | None,
             tick: Callable[[], float] | None = None) -> list[RunResult]:
    """Wait for every program (each ends at its wall limit at the latest); a set ``stop``
    kills them all. ``tick``, called while any runs, says how long to pause after it."""
    while (stop is not None or tick is not None) and not all(run.handle.done()
                                                             for run in started):
        if stop is not None and stop.is_set():
            for run in started:
                run.handle.kill()
            break
        time.sleep(tick() if tick is not None else _POLL_SECONDS)
    return [run.handle.wait() for run in started]


def time_limit_text(seconds: float, step: Step) -> str:
    return f"Execution Time Limit exceeded. Limit was {seconds:g} seconds ({step} step)."


def participant_failure(log: BoxLog, result: RunResult, seconds: float, *,
                        show_tail: bool = True) -> Failure:
    """A box running participant code ended badly: tell them why, with the end of its
    error output unless the phase hides output (these boxes never see the reference data,
    but they read the hidden input data, which a program may print)."""
    what = ("Your program" if log.role is Role.SUBMISSION
            else "The ingestion program (which runs your code)")
    if result.outcome is Outcome.TIME_LIMIT:
        message = time_limit_text(seconds, log.step)
    else:
        message = f"{what} failed: {result.reason}"
    last = result.stderr_tail(_TAIL_LINES, _TAIL_CHARS)
    if last and result.outcome is not Outcome.TIME_LIMIT:
        message += (f"\nLast lines of its error output:\n{last}" if show_tail else
                    "\nThis challenge does not show programs' output; the host can read it.")
    host = (f"{log.role} ({log.step} step), command {log.command!r}: {result.reason} "
            f"[{result.outcome}, exit {result.exit_code}]\n{last}").rstrip()
    return Failure(ErrorKind.PARTICIPANT, message, host)


def scoring_failure(log: BoxLog, result: RunResult, seconds: float) -> Failure:
    """The scoring box ended badly: details (its stderr) for the host only."""
    if result.outcome is Outcome.TIME_LIMIT:
        message = time_limit_text(seconds, Step.SCORING)
    else:
        message = (f"The scoring program failed: {result.reason} The host can see its log. "
                   "Check that your submission has the files and format the challenge asks "
                   "for.")
    host = (f"scoring program, command {log.command!r}: {result.reason} [{result.outcome}, "
            f"exit {result.exit_code}]\n{result.stderr_tail(_TAIL_LINES, _TAIL_CHARS)}").rstrip()
    return Failure(ErrorKind.HOST, message, host)
