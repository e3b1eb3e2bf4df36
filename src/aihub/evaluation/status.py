"""The one status enum of jobs and submissions, and the transitions it allows.

Web, workers and the CLI all use this module; a transition not listed here is a bug and
raises, so no side can invent a state the others do not know.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        return self in _FINAL


_FINAL = frozenset({Status.FINISHED, Status.FAILED, Status.CANCELLED})

ALLOWED_TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.QUEUED: frozenset({Status.RUNNING, Status.CANCELLED, Status.FAILED}),
    # RUNNING -> QUEUED is the reaper handing back the job of a worker that died.
    Status.RUNNING: frozenset({Status.FINISHED, Status.FAILED, Status.CANCELLED, Status.QUEUED}),
    # A host's rescore puts a final job back in the queue.
    Status.FINISHED: frozenset({Status.QUEUED}),
    Status.FAILED: frozenset({Status.QUEUED}),
    Status.CANCELLED: frozenset({Status.QUEUED}),
}


class TransitionError(RuntimeError):
    pass


def can_transition(old: Status, new: Status) -> bool:
    return new in ALLOWED_TRANSITIONS[old]


def check_transition(old: Status, new: Status) -> None:
    if not can_transition(old, new):
        raise TransitionError(f"a job cannot go from {old.value} to {new.value}")


# Statuses that count against a team's submission limits: failed and cancelled never do.
COUNTED = frozenset({Status.QUEUED, Status.RUNNING, Status.FINISHED})
