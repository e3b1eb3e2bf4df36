"""The catalog's status tables: every pair of states is either allowed or refused with a
message naming what may follow."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import pytest

from aihub.datasets.status import (
    ACCESS_TRANSITIONS,
    DATA_REQUEST_TRANSITIONS,
    VERSION_TRANSITIONS,
    AccessStatus,
    DataRequestStatus,
    VersionStatus,
    can_transition,
    check_transition,
)
from aihub.errors import Conflict

TABLES: list[tuple[type[StrEnum], dict[Any, frozenset[Any]]]] = [
    (VersionStatus, VERSION_TRANSITIONS), (AccessStatus, ACCESS_TRANSITIONS),
    (DataRequestStatus, DATA_REQUEST_TRANSITIONS),
]


@pytest.mark.parametrize(("enum", "table"), TABLES)
def test_every_state_has_a_row_and_every_pair_is_decided(
    enum: type[StrEnum], table: dict[Any, frozenset[Any]]
) -> None:
    assert set(table) == set(enum)
    for old in enum:
        for new in enum:
            if new in table[old]:
                assert can_transition(table, old, new)
                check_transition(table, old, new, "It")
            else:
                assert not can_transition(table, old, new)
                with pytest.raises(Conflict, match=f"is {old.value} and cannot become"):
                    check_transition(table, old, new, "It")


def test_the_version_lifecycle_is_the_documented_one() -> None:
    v = VersionStatus
    assert VERSION_TRANSITIONS[v.DRAFT] == {v.QUARANTINE}
    assert VERSION_TRANSITIONS[v.QUARANTINE] == {v.REVIEW, v.BLOCKED, v.REJECTED}
    assert VERSION_TRANSITIONS[v.REVIEW] == {v.PUBLISHED, v.REJECTED, v.QUARANTINE}
    assert VERSION_TRANSITIONS[v.PUBLISHED] == {v.WITHDRAWN}
    for final in (v.BLOCKED, v.REJECTED, v.WITHDRAWN):
        assert VERSION_TRANSITIONS[final] == frozenset()
    with pytest.raises(Conflict, match="may become nothing: it is final"):
        check_transition(VERSION_TRANSITIONS, v.BLOCKED, v.PUBLISHED, "Version 1.0.0")


def test_access_and_data_request_lifecycles() -> None:
    a, d = AccessStatus, DataRequestStatus
    assert ACCESS_TRANSITIONS[a.PENDING] == {a.ACCEPTED, a.REJECTED}
    assert ACCESS_TRANSITIONS[a.ACCEPTED] == {a.REVOKED}
    assert DATA_REQUEST_TRANSITIONS[d.ACCEPTED] == {d.FULFILLED, d.REJECTED}
    assert not DATA_REQUEST_TRANSITIONS[d.FULFILLED] and not DATA_REQUEST_TRANSITIONS[d.REJECTED]
