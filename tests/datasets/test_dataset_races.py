"""Two requests changing one version or one access request at once. PostgreSQL runs them
side by side (SQLite has one writer at a time, so there is nothing to race): the second
waits for the first's commit, then sees what it did."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from aihub.datasets import access, versions
from aihub.datasets.models import AccessRequest
from aihub.datasets.services import get_dataset
from aihub.errors import Conflict
from aihub.hub import Hub
from factories import Factories

_WAITING = text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database()")


def _postgres_only(hub: Hub) -> None:
    if hub.db.is_sqlite:
        pytest.skip("SQLite runs one writer at a time: no two changes overlap")


def _meanwhile(hub: Hub, change: Callable[[Session], None]
               ) -> tuple[threading.Thread, dict[str, BaseException]]:
    """Start ``change`` in its own transaction on another thread, and return once it has
    ended or waits for a lock held by the caller's open transaction: the thread, and
    what it raised (filled in when it ends, after the caller's commit)."""
    raised: dict[str, BaseException] = {}

    def run() -> None:
        try:
            with hub.db.transaction() as session:
                change(session)
        except BaseException as exc:  # handed to the test to look at
            raised["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    with hub.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as watch:
        for _ in range(6_000):  # at most a minute: the other thread waits, or is done
            if not thread.is_alive() or watch.scalar(_WAITING):
                break
            thread.join(0.01)
    return thread, raised


def test_a_file_attached_while_the_draft_is_submitted_is_in_its_manifest(
    hub: Hub, factories: Factories
) -> None:
    _postgres_only(hub)
    host = factories.host()
    factories.dataset(host, "air", publish=False)
    actor = factories.actor(host)
    blob = hub.storage.put_stream([b"station,pm25\n1,2\n"])

    def submit(session: Session) -> None:
        dataset = get_dataset(session, "air")
        versions.submit_version(session, versions.get_version(session, dataset, "1.0.0", actor),
                                actor)

    with hub.db.transaction() as session:
        version = versions.get_version(session, get_dataset(session, "air"), "1.0.0", actor)
        versions.attach_file(session, hub.storage, version, actor, path="data/pm25.csv",
                             sha256=blob.sha256, size=blob.size)
        thread, raised = _meanwhile(hub, submit)
    thread.join(60)
    assert raised == {}
    with hub.db.reading() as session:
        version = versions.get_version(session, get_dataset(session, "air"), "1.0.0", actor)
        listed = [item["path"] for item in json.loads(version.manifest or "{}")["files"]]
        stored = [item.path for item in versions.version_files(session, version)]
        assert listed == stored == ["data/pm10.csv", "data/pm25.csv"]
        assert version.file_count == 2


def test_two_curators_publishing_at_once_publish_once(hub: Hub, factories: Factories) -> None:
    _postgres_only(hub)
    host = factories.host()
    dataset = factories.dataset(host, "air", publish=False)
    curator = factories.actor(factories.curator())
    other = factories.actor(factories.person("other-curator", curator=True))
    with hub.db.transaction() as session:
        version = versions.get_version(session, get_dataset(session, "air"), "1.0.0", curator)
        versions.submit_version(session, version, factories.actor(host))
        versions.record_intake(session, version, {"data/pm10.csv": {
            "profile": None, "pii_report": {"findings": []}}})

    def publish(session: Session) -> None:
        found = versions.get_version(session, get_dataset(session, "air"), "1.0.0", other)
        versions.publish_version(session, found, other)

    with hub.db.transaction() as session:
        version = versions.get_version(session, get_dataset(session, "air"), "1.0.0", curator)
        versions.publish_version(session, version, curator)
        thread, raised = _meanwhile(hub, publish)
    thread.join(60)
    assert isinstance(raised.get("error"), Conflict), raised
    assert "is published and cannot become published" in str(raised["error"])
    with hub.db.reading() as session:
        version = versions.get_version(session, get_dataset(session, dataset.slug), "1.0.0",
                                       curator)
        assert version.published_by_id == curator.user_id


def test_an_access_request_accepted_and_refused_at_once_keeps_the_first_answer(
    hub: Hub, factories: Factories
) -> None:
    _postgres_only(hub)
    host, other_host = factories.host(), factories.host()
    factories.dataset(host, "power", tier="approval")
    member = factories.actor(factories.person())
    today = date.today()
    with hub.db.transaction() as session:
        request_id = access.request_access(
            session, get_dataset(session, "power"), member, purpose="Research",
            starts_on=today, ends_on=today + timedelta(days=30), commercial_use=False,
            due_days=14).id

    def refuse(session: Session) -> None:
        found = session.get_one(AccessRequest, request_id)
        access.decide_access_request(session, found, factories.actor(other_host),
                                     accept=False, reason="Not now")

    with hub.db.transaction() as session:
        access.decide_access_request(session, session.get_one(AccessRequest, request_id),
                                     factories.actor(host), accept=True)
        thread, raised = _meanwhile(hub, refuse)
    thread.join(60)
    assert isinstance(raised.get("error"), Conflict), raised
    with hub.db.reading() as session:
        assert session.get_one(AccessRequest, request_id).status == "accepted"


def test_a_double_click_on_ask_for_access_makes_one_request(
    hub: Hub, factories: Factories
) -> None:
    _postgres_only(hub)
    factories.dataset(factories.host(), "power", tier="approval")
    member = factories.actor(factories.person())
    today = date.today()

    def ask(session: Session) -> None:
        access.request_access(
            session, get_dataset(session, "power"), member, purpose="Research",
            starts_on=today, ends_on=today + timedelta(days=30), commercial_use=False,
            due_days=14)

    with hub.db.transaction() as session:
        ask(session)
        thread, raised = _meanwhile(hub, ask)
    thread.join(60)
    assert isinstance(raised.get("error"), Conflict), raised
    with hub.db.reading() as session:
        assert session.query(AccessRequest).count() == 1
