"""Lists of submissions stay light: rows carry no program output (one submission's answer
does), and a list reads the same few statements whether it has 5 rows or 20, whatever
teams and queue places they have. The hub runs no worker: what is queued stays queued."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, update

from aihub.app import create_app
from aihub.challenges.models import Challenge
from aihub.hub import Hub
from aihub.submissions.models import Submission
from factories import Factories, Person

API = "/api/v1"
# A column read whole, not through substr() or length() (whose "(" precedes it).
WHOLE_LOG = re.compile(r"(?<!\()submissions\.(?:host_)?log\b")


@pytest.fixture
def api(hub: Hub) -> Iterator[TestClient]:
    with TestClient(create_app(hub=hub), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def challenge(factories: Factories) -> Challenge:
    return factories.challenge(factories.host(), "light-lists")


@contextmanager
def recorded(hub: Hub) -> Iterator[list[str]]:
    """Every statement sent to the database meanwhile."""
    statements: list[str] = []

    def seen(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(hub.db.engine, "before_cursor_execute", seen)
    try:
        yield statements
    finally:
        event.remove(hub.db.engine, "before_cursor_execute", seen)


def _submit(api: TestClient, factories: Factories, person: Person) -> int:
    sample = (factories.bundles / "light-lists" / "sample_submission.csv").read_bytes()
    sent = api.post(f"{API}/challenges/light-lists/submissions", headers=person.headers,
                    files={"file": ("p.csv", sample)})
    assert sent.status_code == 201, sent.text
    return int(sent.json()["id"])


def _member(factories: Factories, challenge: Challenge) -> Person:
    person = factories.person()
    factories.join(challenge, person)
    return person


def test_list_rows_carry_no_output_and_one_submission_does(
    api: TestClient, factories: Factories, challenge: Challenge, hub: Hub
) -> None:
    member, host = _member(factories, challenge), factories.host()
    ids = [_submit(api, factories, member) for _ in range(5)]
    with hub.db.transaction() as session:  # 5 runs that printed 2 MB each
        session.execute(update(Submission).where(Submission.id.in_(ids)).values(
            log="x" * 2_000_000, host_log="y" * 1_999_999 + "!", status="failed"))

    for person, query in ((host, "?everyone=true"), (member, "")):
        with recorded(hub) as statements:
            listed = api.get(f"{API}/challenges/light-lists/submissions{query}",
                             headers=person.headers)
        assert listed.status_code == 200 and len(listed.json()) == 5
        assert len(listed.content) < 50_000  # not 20 MB
        assert all("log" not in row and "host_log" not in row for row in listed.json())
        assert not [s for s in statements if WHOLE_LOG.search(s)]  # nor read and dropped

    one = api.get(f"{API}/submissions/{ids[0]}", headers=host.headers).json()
    assert len(one["log"]) == 2_000_000 and one["host_log"].endswith("!")
    assert api.get(f"{API}/submissions/{ids[0]}",
                   headers=member.headers).json()["host_log"] is None


def _statements_of_lists(api: TestClient, hub: Hub, person: Person, query: str) -> int:
    with recorded(hub) as statements:
        listed = api.get(f"{API}/challenges/light-lists/submissions{query}",
                         headers=person.headers)
    assert listed.status_code == 200, listed.text
    return len(statements)


def test_a_list_reads_as_many_statements_for_20_rows_as_for_5(
    api: TestClient, factories: Factories, challenge: Challenge, hub: Hub
) -> None:
    host = factories.host()
    members = [_member(factories, challenge) for _ in range(4)]
    counted: list[tuple[int, int]] = []
    for member in members:  # each round: 5 more queued rows, of one more team
        for _ in range(5):
            _submit(api, factories, member)
        counted.append((_statements_of_lists(api, hub, host, "?everyone=true"),
                        _statements_of_lists(api, hub, member, "")))
    assert len({everyone for everyone, _ in counted}) == 1, counted
    assert len({own for _, own in counted}) == 1, counted

    rows = api.get(f"{API}/challenges/light-lists/submissions?everyone=true",
                   headers=host.headers).json()
    # The places are the queue's: the oldest is next, each newer one behind one more.
    assert [row["estimate"]["position"] for row in reversed(rows)] == list(range(20))
    assert len({row["team"] for row in rows}) == 4
