"""The answer of a waiting submit, built by the request that scored it without reading the
submission back, says what a later read says, to the same viewer."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update

from aihub.accounts.models import ApiToken
from aihub.db import utcnow
from aihub.hub import Hub
from factories import Factories, Person

API = "/api/v1"


def _submit(api: TestClient, person: Person, slug: str, body: str) -> Any:
    return api.post(f"{API}/challenges/{slug}/submissions", headers=person.headers,
                    files={"file": ("sub.csv", body.encode())}, params={"wait": 20})


def _setup(api: TestClient, factories: Factories) -> tuple[Person, Person, str, str]:
    host, member = factories.host(), factories.person("jiwoo")
    challenge = factories.challenge(host, "answers")
    for person in (host, member):
        assert api.post(f"{API}/challenges/answers/join", headers=person.headers).is_success
    body = (factories.bundles / challenge.slug / "sample_submission.csv").read_text()
    return host, member, challenge.slug, body


def test_waiting_answer_equals_a_later_read(
    api: TestClient, live_factories: Factories
) -> None:
    host, member, slug, body = _setup(api, live_factories)
    for person in (member, host):
        answer = _submit(api, person, slug, body)
        assert answer.status_code == 201, answer.text
        view = answer.json()
        assert view["status"] == "finished" and view["public_score"] is not None
        later = api.get(f"{API}/submissions/{view['id']}", headers=person.headers).json()
        assert view == later
    # The member sees no private score before the board opens, nor the hosts' reasons.
    mine = api.get(f"{API}/challenges/{slug}/submissions", headers=member.headers).json()
    assert mine[0]["private_score"] is None and mine[0]["host_error"] is None
    hosts = api.get(f"{API}/challenges/{slug}/submissions", headers=host.headers).json()
    assert hosts[0]["private_score"] is not None


def test_a_revoked_token_cannot_submit(
    api: TestClient, live_factories: Factories, live_hub: Hub
) -> None:
    _, member, slug, body = _setup(api, live_factories)
    assert _submit(api, member, slug, body).status_code == 201
    with live_hub.db.transaction() as session:
        session.execute(update(ApiToken).values(revoked_at=utcnow()))
    refused = _submit(api, member, slug, body)
    assert refused.status_code == 401
    assert "revoked" in refused.json()["detail"]
