"""Browser sessions: stored as hashes, expiring, ended one by one or all at once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from aihub.accounts.models import WebSession
from aihub.accounts.web_sessions import (
    actor_for_session,
    end_all_sessions,
    end_session,
    start_session,
)
from aihub.db import utcnow
from aihub.hub import Hub
from factories import Factories


def test_a_session_finds_its_member_and_is_stored_hashed(hub: Hub, factories: Factories) -> None:
    host = factories.host()
    now = utcnow()
    with hub.db.transaction() as session:
        cookie = start_session(session, host.user, now=now, days=14)
    with hub.db.reading() as session:
        stored = session.scalars(select(WebSession.token_hash)).all()
        assert cookie not in stored and len(stored) == 1
        actor = actor_for_session(session, cookie, now=now)
        assert actor is not None and actor.user is not None
        assert actor.user.id == host.user.id and actor.hosting_org_ids
        assert actor_for_session(session, cookie + "x", now=now) is None
        assert actor_for_session(session, cookie, now=now + timedelta(days=15)) is None


def test_ending_one_or_all_sessions(hub: Hub, factories: Factories) -> None:
    member = factories.person()
    now = utcnow()
    with hub.db.transaction() as session:
        phone, laptop, tablet = (start_session(session, member.user, now=now, days=1)
                                 for _ in range(3))
    with hub.db.transaction() as session:
        end_session(session, phone)
    with hub.db.transaction() as session:
        assert actor_for_session(session, phone, now=now) is None
        end_all_sessions(session, member.user, keep=laptop)
    with hub.db.reading() as session:
        assert actor_for_session(session, laptop, now=now) is not None
        assert actor_for_session(session, tablet, now=now) is None


def test_a_deactivated_member_has_no_session(hub: Hub, factories: Factories) -> None:
    member = factories.person()
    now = utcnow()
    with hub.db.transaction() as session:
        cookie = start_session(session, member.user, now=now, days=1)
    with hub.db.transaction() as session:
        user = session.get(type(member.user), member.user.id)
        assert user is not None
        user.is_active = False
    with hub.db.reading() as session:
        assert actor_for_session(session, cookie, now=now) is None


def test_expired_sessions_are_cleared_at_the_next_log_in(hub: Hub, factories: Factories) -> None:
    member = factories.person()
    long_ago = utcnow() - timedelta(days=30)
    with hub.db.transaction() as session:
        start_session(session, member.user, now=long_ago, days=1)
    with hub.db.transaction() as session:
        start_session(session, member.user, now=utcnow(), days=1)
    with hub.db.reading() as session:
        assert len(session.scalars(select(WebSession)).all()) == 1
