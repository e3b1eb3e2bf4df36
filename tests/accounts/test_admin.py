"""Curators' verbs on people and organizations, and their JSON routes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from aihub.accounts import admin
from aihub.accounts.actor import Actor
from aihub.accounts.models import User
from aihub.accounts.web_sessions import actor_for_session, start_session
from aihub.app import create_app
from aihub.db import utcnow
from aihub.errors import Conflict, Forbidden, InvalidInput, NotFound
from aihub.hub import Hub
from factories import Factories

API = "/api/v1"


def test_only_curators_use_the_verbs(hub: Hub, factories: Factories) -> None:
    host, member = factories.host(), factories.person("target")
    calls: list[Callable[[Session, Actor], object]] = [
        admin.search_users,
        lambda s, a: admin.set_active(s, a, "target", active=False),
        lambda s, a: admin.set_curator(s, a, "target", curator=True),
        admin.list_organizations,
        lambda s, a: admin.create_organization(s, a, slug="new-org", name_ko="새"),
        lambda s, a: admin.set_hosting(s, a, "daejeon-city", can_host=False),
        lambda s, a: admin.add_member(s, a, "daejeon-city", "target"),
        lambda s, a: admin.remove_member(s, a, "daejeon-city", host.user.username),
    ]
    for person in (host, member):
        actor = factories.actor(person)
        for call in calls:
            with pytest.raises(Forbidden), hub.db.transaction() as session:
                call(session, actor)


def test_search_matches_parts_of_names_and_e_mails_literally(
    hub: Hub, factories: Factories
) -> None:
    for name in ("kim_minsu", "kimxminsu", "lee"):
        factories.person(name)
    curator = factories.actor(factories.curator())
    with hub.db.reading() as session:
        found = admin.search_users(session, curator, "KIM_")
        assert [u.username for u in found.users] == ["kim_minsu"]  # "_" is not a wildcard
        assert admin.search_users(session, curator, "example.org").total == 4
        paged = admin.search_users(session, curator, "", page=2, per_page=3)
        assert (paged.page, paged.pages, len(paged.users)) == (2, 2, 1)
        assert admin.search_users(session, curator, "", page=9, per_page=3).page == 2


def test_deactivating_ends_sessions_and_activating_restores(
    hub: Hub, factories: Factories
) -> None:
    target = factories.person("target")
    curator = factories.actor(factories.curator())
    with hub.db.transaction() as session:
        cookie = start_session(session, target.user, now=utcnow(), days=1)
    with hub.db.transaction() as session:
        assert not admin.set_active(session, curator, "target", active=False).is_active
    with hub.db.reading() as session:
        assert actor_for_session(session, cookie, now=utcnow()) is None
    with hub.db.transaction() as session:
        cookie = start_session(session, target.user, now=utcnow(), days=1)
        admin.set_active(session, curator, "target", active=True)
    with hub.db.reading() as session:
        assert actor_for_session(session, cookie, now=utcnow()) is not None


def test_nobody_locks_out_themself_or_the_last_curator(
    hub: Hub, factories: Factories
) -> None:
    first = factories.person("first", curator=True)
    factories.person("second", curator=True)
    actor = factories.actor(first)
    with hub.db.transaction() as session:
        with pytest.raises(Conflict, match="yourself"):
            admin.set_active(session, actor, "first", active=False)
        with pytest.raises(Conflict, match="your own"):
            admin.set_curator(session, actor, "first", curator=False)
    # The acting curator was deactivated meanwhile (say, by the other in another tab):
    # the one left must stay.
    with hub.db.transaction() as session:
        session.execute(update(User).where(User.id == first.user.id).values(is_active=False))
    with hub.db.transaction() as session:
        with pytest.raises(Conflict, match="last active curator"):
            admin.set_curator(session, actor, "second", curator=False)
        with pytest.raises(Conflict, match="last active curator"):
            admin.set_active(session, actor, "second", active=False)
    with hub.db.transaction() as session:
        session.execute(update(User).where(User.id == first.user.id).values(is_active=True))
        assert not admin.set_curator(session, actor, "second", curator=False).is_curator


def test_organizations_are_created_allowed_to_host_and_given_members(
    hub: Hub, factories: Factories
) -> None:
    curator = factories.actor(factories.curator())
    factories.person("park")
    refused = [
        (InvalidInput, r"^slug: ", lambda s: admin.create_organization(
            s, curator, slug="Bad Slug", name_ko="세종")),
        (InvalidInput, r"^name_ko: ", lambda s: admin.create_organization(
            s, curator, slug="sejong", name_ko=" ")),
        (Conflict, r"^slug: .*exists already", lambda s: admin.create_organization(
            s, curator, slug="sejong", name_ko="또")),
        (InvalidInput, r"^username: ", lambda s: admin.add_member(
            s, curator, "sejong", "nobody")),
        (InvalidInput, r"^role: ", lambda s: admin.add_member(
            s, curator, "sejong", "park", role="king")),
    ]
    with hub.db.transaction() as session:
        admin.create_organization(session, curator, slug="sejong", name_ko="세종시")
    for error, message, call in refused:
        with pytest.raises(error, match=message), hub.db.transaction() as session:
            call(session)
    with hub.db.transaction() as session:
        admin.add_member(session, curator, "sejong", "park")
        admin.add_member(session, curator, "sejong", "park", role="owner")  # a new role
        admin.set_hosting(session, curator, "sejong", can_host=True)
    with hub.db.reading() as session:
        (org,) = admin.list_organizations(session, curator)
        assert org.can_host and org.name.en == "세종시"
        assert [(m.username, m.role) for m in org.members] == [("park", "owner")]
    with hub.db.transaction() as session:
        admin.remove_member(session, curator, "sejong", "park")
        with pytest.raises(NotFound):
            admin.remove_member(session, curator, "sejong", "park")
    with hub.db.reading() as session:
        assert admin.organization_view(session, curator, "sejong").members == []


@contextmanager
def _api(hub: Hub) -> Iterator[TestClient]:
    with TestClient(create_app(hub=hub), raise_server_exceptions=False) as client:
        yield client


def test_the_json_routes(hub: Hub, factories: Factories) -> None:
    member, curator = factories.person("member"), factories.curator()
    with _api(hub) as api:
        assert api.get(f"{API}/users", headers=member.headers).status_code == 403
        assert api.get(f"{API}/users").status_code == 401
        users = api.get(f"{API}/users", params={"q": "member"}, headers=curator.headers)
        assert [u["username"] for u in users.json()["users"]] == ["member"]
        made = api.post(f"{API}/users/member/curator", json={"curator": True},
                        headers=curator.headers)
        assert made.json()["is_curator"] is True
        own = api.post(f"{API}/users/{curator.user.username}/active", json={"active": False},
                       headers=curator.headers)
        assert own.status_code == 409
        org = api.post(f"{API}/organizations", headers=curator.headers,
                       json={"slug": "ulsan", "name_ko": "울산시", "can_host": True})
        assert org.status_code == 201 and org.json()["can_host"] is True
        added = api.put(f"{API}/organizations/ulsan/members/member", json={"role": "owner"},
                        headers=curator.headers)
        assert added.json() == {"username": "member", "display_name": "member", "role": "owner"}
        # A name with spaces around it is the same person (it was a 500 once).
        again = api.put(f"{API}/organizations/ulsan/members/%20member%20",
                        json={"role": "member"}, headers=curator.headers)
        assert again.json() == {"username": "member", "display_name": "member", "role": "member"}
        stopped = api.post(f"{API}/organizations/ulsan/hosting", json={"can_host": False},
                           headers=curator.headers)
        assert stopped.json()["can_host"] is False
        assert api.delete(f"{API}/organizations/ulsan/members/member",
                          headers=curator.headers).status_code == 204
        assert api.get(f"{API}/organizations", headers=curator.headers).json()[0][
            "members"] == []
        assert api.post(f"{API}/organizations", headers=member.headers,
                        json={"slug": "x-org", "name_ko": "x"}).status_code == 201
