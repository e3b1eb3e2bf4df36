"""A host's new challenge waits for a curator before anyone else can see or join it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from aihub.challenges.services import approve, get_visible_challenge, list_challenges
from aihub.db import utcnow
from aihub.errors import Forbidden, NotFound
from aihub.hub import Hub
from factories import Factories

API = "/api/v1"


def test_unapproved_challenge_is_seen_only_by_its_hosts_and_curators(
    hub: Hub, factories: Factories
) -> None:
    host, member, other_host = factories.host(), factories.person(), factories.host("gwangju")
    curator = factories.curator()
    challenge = factories.challenge(host, "waiting-room", approved=False)
    with hub.db.reading() as session:
        for person in (host, curator):
            actor = factories.actor(person)
            assert get_visible_challenge(session, "waiting-room", actor).id == challenge.id
            assert [c.slug for c in list_challenges(session, actor)] == ["waiting-room"]
        for person in (member, other_host, None):
            actor = factories.actor(person)
            with pytest.raises(NotFound):
                get_visible_challenge(session, "waiting-room", actor)
            assert list_challenges(session, actor) == []


def test_only_curators_approve_and_twice_changes_nothing(hub: Hub, factories: Factories) -> None:
    host = factories.host()
    challenge = factories.challenge(host, "to-approve", approved=False)
    curator = factories.curator()
    with hub.db.transaction() as session:
        loaded = get_visible_challenge(session, "to-approve", factories.actor(host))
        with pytest.raises(Forbidden):
            approve(session, loaded, factories.actor(host), utcnow())
        first = utcnow()
        approve(session, loaded, factories.actor(curator), first)
        approve(session, loaded, factories.actor(curator), utcnow())
        assert loaded.approved_at == first and loaded.approved_by_id == curator.user.id
    assert challenge.id == loaded.id


def test_a_curators_own_challenge_needs_no_approval(hub: Hub, factories: Factories) -> None:
    factories.host()  # makes the hosting organization
    curator = factories.person(curator=True)
    challenge = factories.challenge(curator, "curated", approved=False)
    assert challenge.approved_at is not None


def test_approve_through_the_api(api: TestClient, live_factories: Factories) -> None:
    host, member = live_factories.host(), live_factories.person()
    live_factories.challenge(host, "api-approval", approved=False)
    assert api.get(f"{API}/challenges/api-approval", headers=member.headers).status_code == 404
    refused = api.post(f"{API}/challenges/api-approval/approve", headers=host.headers)
    assert refused.status_code == 403
    assert "curators" in refused.json()["detail"]
    done = api.post(f"{API}/challenges/api-approval/approve",
                    headers=live_factories.curator().headers)
    assert done.status_code == 200 and done.json()["approved"] is True
    seen = api.get(f"{API}/challenges/api-approval", headers=member.headers)
    assert seen.status_code == 200 and seen.json()["approved"] is True
