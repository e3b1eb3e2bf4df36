"""Data requests through the API: public, supported, answered, extended once, fulfilled."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import pytest
from catalog_helpers import API, People, publish_through_api
from fastapi.testclient import TestClient
from sqlalchemy import event

from aihub.hub import Hub
from factories import Factories

R = f"{API}/data-requests"


@contextmanager
def _statements(hub: Hub) -> Iterator[list[str]]:
    """The queries sent to the database meanwhile, but the job queue's polls (the live
    hub's worker runs beside the requests) and the BEGINs of either."""
    sent: list[str] = []

    def seen(*args: Any) -> None:
        statement = str(args[2])
        if " jobs" not in statement and not statement.startswith("BEGIN"):
            sent.append(statement)

    event.listen(hub.db.engine, "before_cursor_execute", seen)
    try:
        yield sent
    finally:
        event.remove(hub.db.engine, "before_cursor_execute", seen)


def test_a_request_is_supported_answered_extended_and_fulfilled(
    api: TestClient, live_hub: Hub, live_factories: Factories
) -> None:
    people = People.make(live_factories)
    others = [live_factories.person() for _ in range(2)]
    asked = api.post(R, headers=people.member.headers, json={
        "title": "정류장별 승하차 인원", "description": "Boardings per stop and hour, 2024.",
        "organization": "KAIST", "addressed_to": "daejeon-city"})
    assert asked.status_code == 201, asked.text
    request = asked.json()
    assert (request["status"], request["addressed_to"], request["support_count"]) == (
        "received", "daejeon-city", 0)
    assert api.post(f"{R}/{request['id']}/support").status_code == 401
    for person in [*others, others[0]]:
        supported = api.post(f"{R}/{request['id']}/support", headers=person.headers)
        assert supported.status_code == 200
    assert supported.json()["support_count"] == 2 and supported.json()["supported"]
    own = api.post(f"{R}/{request['id']}/support", headers=people.member.headers)
    assert own.status_code == 409
    listed = api.get(R).json()  # public: a visitor reads them
    assert listed["count"] == 1 and listed["items"][0]["support_count"] == 2
    assert not listed["items"][0]["supported"]

    host = people.host.headers
    review = api.post(f"{R}/{request['id']}/answer", headers=host, json={
        "status": "under_review", "answer": "We are collecting it."})
    assert review.json()["status"] == "under_review"
    due = review.json()["due_at"]
    extended = api.post(f"{R}/{request['id']}/extend", headers=host,
                        json={"reason": "The transit office needs two more weeks."})
    assert extended.json()["due_at"] > due and extended.json()["extended_at"]
    twice = api.post(f"{R}/{request['id']}/extend", headers=host, json={"reason": "again"})
    assert twice.status_code == 409 and "only one extension" in twice.json()["detail"]

    publish_through_api(api, live_hub, people, "bus-boardings")
    refused = api.post(f"{R}/{request['id']}/fulfil", headers=people.other_host.headers,
                       json={"dataset": "bus-boardings"})
    assert refused.status_code == 403
    fulfilled = api.post(f"{R}/{request['id']}/fulfil", headers=host,
                         json={"dataset": "bus-boardings", "version": "1.0.0"})
    assert fulfilled.status_code == 200, fulfilled.text
    shown = api.get(f"{R}/{request['id']}").json()
    assert (shown["status"], shown["fulfilled_by"], shown["fulfilled_version"]) == (
        "fulfilled", "bus-boardings", "1.0.0")
    assert api.get(R, params={"status": "fulfilled"}).json()["count"] == 1
    late = api.post(f"{R}/{request['id']}/answer", headers=people.curator.headers,
                    json={"status": "rejected", "answer": "x", "legal_ground": "y"})
    assert late.status_code == 409 and "is fulfilled and cannot become rejected" in late.text


def test_a_rejection_names_its_legal_ground(api: TestClient, live_factories: Factories
                                            ) -> None:
    people = People.make(live_factories)
    request = api.post(R, headers=people.member.headers,
                       json={"title": "CCTV 원본", "description": "Raw footage."}).json()
    url = f"{R}/{request['id']}/answer"
    # Not addressed to an organization: its hosts may not answer, curators may.
    assert api.post(url, headers=people.host.headers, json={
        "status": "rejected", "answer": "No."}).status_code == 403
    missing = api.post(url, headers=people.curator.headers,
                       json={"status": "rejected", "answer": "Personal data."})
    assert missing.status_code == 422 and "legal_ground" in missing.json()["detail"]
    done = api.post(url, headers=people.curator.headers, json={
        "status": "rejected", "answer": "Personal data.",
        "legal_ground": "공공데이터법 제17조 제1항 제1호 (개인정보)"})
    assert done.json()["status"] == "rejected" and done.json()["legal_ground"].startswith("공공")


def test_lists_of_requests_cost_the_same_statements_for_one_or_many(
    api: TestClient, live_hub: Hub, live_factories: Factories
) -> None:
    people = People.make(live_factories)
    publish_through_api(api, live_hub, people, "gated", tier="approval")
    today = date.today()

    def ask(person: Any, n: int) -> None:
        made = api.post(R, headers=person.headers, json={
            "title": f"Data {n}", "description": "Per hour.", "addressed_to": "daejeon-city"})
        assert made.status_code == 201
        api.post(f"{R}/{made.json()['id']}/support", headers=people.member.headers)
        asked = api.post(f"{API}/datasets/gated/access-requests", headers=person.headers,
                         json={"purpose": "Study", "starts_on": today.isoformat(),
                               "ends_on": (today + timedelta(days=9)).isoformat()})
        assert asked.status_code == 201

    def counted() -> tuple[int, int]:
        with _statements(live_hub) as data:
            listed = api.get(R, headers=people.member.headers, params={"per_page": 100})
        with _statements(live_hub) as access:
            asked = api.get(f"{API}/datasets/gated/access-requests",
                            headers=people.host.headers)
        assert listed.status_code == asked.status_code == 200
        return len(data), len(access)

    ask(live_factories.person(), 0)
    one = counted()
    for n in range(1, 8):
        ask(live_factories.person(), n)
    assert counted() == one
    page = api.get(R, headers=people.member.headers).json()
    assert page["count"] == 8 and all(item["supported"] for item in page["items"])
    assert {item["addressed_to"] for item in page["items"]} == {"daejeon-city"}


@pytest.mark.parametrize(("addressed_to", "message"), [
    ("nowhere", "addressed_to: no organization is called 'nowhere'"),
    ("daejeon\x00city", "addressed_to: holds a NUL"),
])
def test_a_request_to_an_unknown_organization_is_refused(
    api: TestClient, live_factories: Factories, addressed_to: str, message: str
) -> None:
    people = People.make(live_factories)
    asked = api.post(R, headers=people.member.headers, json={
        "title": "Boardings", "description": "Per stop.", "addressed_to": addressed_to})
    assert asked.status_code == 422 and message in asked.json()["detail"], asked.text
    assert api.get(R).json()["count"] == 0
