from __future__ import annotations

import pytest

from aihub.evaluation.status import ALLOWED_TRANSITIONS, Status, TransitionError, check_transition


def test_every_status_has_its_transitions() -> None:
    assert set(ALLOWED_TRANSITIONS) == set(Status)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (Status.QUEUED, Status.RUNNING),
        (Status.RUNNING, Status.FINISHED),
        (Status.RUNNING, Status.QUEUED),
        (Status.FINISHED, Status.QUEUED),
    ],
)
def test_allowed(old: Status, new: Status) -> None:
    check_transition(old, new)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (Status.QUEUED, Status.FINISHED),
        (Status.FINISHED, Status.RUNNING),
        (Status.FAILED, Status.FINISHED),
        (Status.CANCELLED, Status.RUNNING),
    ],
)
def test_refused(old: Status, new: Status) -> None:
    with pytest.raises(TransitionError):
        check_transition(old, new)


def test_final_states() -> None:
    assert {s for s in Status if s.is_final} == {Status.FINISHED, Status.FAILED, Status.CANCELLED}
