"""Every path a visitor, a member or another organization's host may not take, through
the API; and every change to a published version, refused with nothing changed."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from typing import Any

import pytest
from catalog_helpers import API, People, publish_through_api, tus_upload
from fastapi.testclient import TestClient

from aihub.hub import Hub
from factories import Factories, Person

D = f"{API}/datasets"


@pytest.fixture
def world(api: TestClient, live_hub: Hub, live_factories: Factories) -> dict[str, Any]:
    people = People.make(live_factories)
    host = people.host.headers
    publish_through_api(api, live_hub, people, "pub", tier="approval")
    api.post(f"{D}/pub/versions", headers=host, json={"label": "2.0.0", "message": "Draft"})
    api.post(f"{D}/pub/versions/2.0.0/files", headers=host,
             files={"file": ("a.csv", b"a\n1\n")})
    api.post(D, headers=host, json={"organization": "daejeon-city", "slug": "hidden",
                                    "title_ko": "숨김", "licence": "KOGL-1"})
    api.post(f"{D}/hidden/versions", headers=host, json={"label": "1.0.0", "message": "x"})
    today = date.today()
    asked = api.post(f"{D}/pub/access-requests", headers=people.curator.headers, json={
        "purpose": "Check", "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=9)).isoformat()})
    challenge = live_factories.challenge(people.host, "linked")
    request = api.post(f"{API}/data-requests", headers=people.curator.headers, json={
        "title": "Bus data", "description": "Per stop."}).json()
    return {"people": people, "access_id": asked.json()["id"], "challenge": challenge.slug,
            "request_id": request["id"]}


def _attempts(world: dict[str, Any]) -> list[tuple[str, str, dict[str, Any] | None, int]]:
    """(method, path, JSON body, status for a signed-in member or another host)."""
    reason = {"reason": "because"}
    access, req = world["access_id"], world["request_id"]
    return [
        ("POST", D, {"organization": "daejeon-city", "slug": "mine", "title_ko": "x",
                     "licence": "KOGL-1"}, 403),
        ("PATCH", f"{D}/pub", {"title_ko": "바뀜"}, 403),
        ("POST", f"{D}/pub/versions", {"label": "3.0.0", "message": "x"}, 403),
        ("POST", f"{D}/pub/versions/2.0.0/submit", None, 404),
        ("DELETE", f"{D}/pub/versions/2.0.0/files/a.csv", None, 404),
        ("GET", f"{D}/pub/versions/2.0.0", None, 404),
        ("GET", f"{D}/pub/versions/2.0.0/files/a.csv", None, 404),
        ("POST", f"{D}/pub/versions/1.0.0/withdraw", reason, 403),
        ("POST", f"{D}/pub/versions/1.0.0/reject", reason, 403),
        ("POST", f"{D}/pub/versions/1.0.0/publish", None, 403),
        ("POST", f"{D}/pub/versions/1.0.0/findings", {
            "path": "data/pm10.csv", "pattern_id": "EMAIL", "decision": "cleared",
            "reason": "x"}, 403),
        ("GET", f"{D}/pub/access-requests", None, 403),
        ("GET", f"{API}/access-requests/{access}", None, 404),
        ("POST", f"{API}/access-requests/{access}/decision", {"accept": True}, 404),
        ("POST", f"{API}/access-requests/{access}/revoke", reason, 404),
        ("GET", f"{D}/hidden", None, 404),
        ("PATCH", f"{D}/hidden", {"title_ko": "x"}, 404),
        ("GET", f"{D}/hidden/versions/1.0.0", None, 404),
        ("POST", f"{D}/hidden/versions", {"label": "2", "message": "x"}, 404),
        ("POST", f"{D}/hidden/licence", {}, 404),
        ("POST", f"{API}/challenges/{world['challenge']}/datasets",
         {"dataset": "pub", "version": "1.0.0"}, 403),
        ("POST", f"{API}/data-requests/{req}/answer",
         {"status": "accepted", "answer": "yes"}, 403),
        ("POST", f"{API}/data-requests/{req}/extend", reason, 403),
        ("POST", f"{API}/data-requests/{req}/fulfil", {"dataset": "pub"}, 403),
    ]


def test_no_forbidden_path_is_open_to_visitors_members_or_other_hosts(
    api: TestClient, world: dict[str, Any]
) -> None:
    people: People = world["people"]
    before = api.get(f"{D}/pub", headers=people.host.headers).json()
    for person in (None, people.member, people.other_host):
        headers = person.headers if person else {}
        for method, path, body, expected in _attempts(world):
            answer = api.request(method, path, json=body, headers=headers)
            allowed = {expected} if person else {expected, 401}
            if path.endswith("/files/a.csv") or "/hidden" in path:
                allowed = {404}  # what a visitor may not see does not exist for them
            assert answer.status_code in allowed, (person, method, path, answer.text)
            assert answer.json()["detail"], (method, path)
    assert api.get(f"{D}/pub", headers=people.host.headers).json() == before


def _unchanged(api: TestClient, host: Person) -> tuple[Any, ...]:
    version = api.get(f"{D}/pub/versions/1.0.0", headers=host.headers).json()
    content = api.get(f"{D}/pub/versions/1.0.0/files/data/pm10.csv",
                      headers=host.headers).content
    return version["rev"], version["manifest"], version["files"], version["status"], content


def test_a_published_version_never_changes_whatever_route_is_tried(
    api: TestClient, world: dict[str, Any]
) -> None:
    people: People = world["people"]
    host, curator = people.host, people.curator
    before = _unchanged(api, host)
    upload = tus_upload(api, host, b"new,data\n", "new.csv")
    v = f"{D}/pub/versions/1.0.0"
    for person in (host, curator):
        tries = [
            api.post(f"{v}/files", headers=person.headers, files={"file": ("b.csv", b"b")}),
            api.post(f"{v}/files", headers=person.headers, data={"path": "data/pm10.csv"},
                     files={"file": ("c.csv", b"replaced")}),
            api.post(f"{v}/uploads", headers=person.headers, json={"upload_id": upload}),
            api.delete(f"{v}/files/data/pm10.csv", headers=person.headers),
            api.post(f"{v}/submit", headers=person.headers),
        ]
        for answer in tries:
            assert answer.status_code == 409, answer.text
            assert "never after publication" in answer.json()["detail"]
    for path, body in ((f"{v}/publish", None), (f"{v}/reject", {"reason": "x"}),
                       (f"{v}/findings", {"path": "data/pm10.csv", "pattern_id": "EMAIL",
                                          "decision": "cleared", "reason": "x"})):
        assert api.post(path, headers=curator.headers, json=body).status_code in (404, 409)
    patched = api.patch(f"{D}/pub", headers=host.headers,
                        json={"title_ko": "새 제목", "tags": ["new"], "licence": "CC0-1.0"})
    assert patched.status_code == 200 and patched.json()["title"]["ko"] == "새 제목"
    assert _unchanged(api, host) == before
    assert hashlib.sha256(before[4]).hexdigest() == before[2][0]["sha256"]
    # The upload was not used up: it still attaches to a draft.
    attached = api.post(f"{D}/pub/versions/2.0.0/uploads", headers=host.headers,
                        json={"upload_id": upload, "path": "extra/new.csv"})
    assert attached.status_code == 201 and attached.json()["path"] == "extra/new.csv"
    again = api.post(f"{D}/pub/versions/2.0.0/uploads", headers=host.headers,
                     json={"upload_id": upload, "path": "other.csv"})
    assert again.status_code == 404  # forgotten once attached
