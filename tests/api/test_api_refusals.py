"""A refused upload is refused before it is stored: nothing of it stays behind, not the
file, not a failed submission, not a team made for it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from aihub.accounts.models import Team
from aihub.db import utcnow
from aihub.hub import Hub
from aihub.submissions.models import Submission
from factories import Factories

API = "/api/v1"


def _stored(hub: Hub) -> set[Path]:
    return {path for path in hub.settings.resolved_blob_dir.rglob("*") if path.is_file()}


def _rows(hub: Hub) -> tuple[int, int]:
    with hub.db.reading() as session:
        return (session.scalar(select(func.count(Submission.id))) or 0,
                session.scalar(select(func.count(Team.id))) or 0)


def test_uploads_to_a_closed_phase_leave_nothing(
    api: TestClient, live_hub: Hub, live_factories: Factories
) -> None:
    host, member = live_factories.host(), live_factories.person()
    closed = live_factories.challenge(host, "closed-phase",
                                      start=utcnow() - timedelta(days=5),
                                      end=utcnow() - timedelta(days=1))
    live_factories.join(closed, member)
    sample = (live_factories.bundles / "closed-phase" / "sample_submission.csv").read_bytes()
    before, rows = _stored(live_hub), _rows(live_hub)
    for content in (sample, b"id,wrong\n1,2\n"):  # a good file and a malformed one
        answer = api.post(f"{API}/challenges/closed-phase/submissions",
                          headers=member.headers, files={"file": ("s.csv", content)})
        assert answer.status_code == 409, answer.text
        assert "closed at" in answer.json()["detail"]
    assert _stored(live_hub) == before
    assert _rows(live_hub) == rows


def test_a_refused_baseline_stores_no_file(
    api: TestClient, live_hub: Hub, live_factories: Factories
) -> None:
    host, member = live_factories.host(), live_factories.person()
    live_factories.challenge(host, "guarded")
    before = _stored(live_hub)
    for headers, slug, expected in ((member.headers, "guarded", 403), ({}, "guarded", 401),
                                    (host.headers, "no-such-challenge", 404)):
        answer = api.post(f"{API}/challenges/{slug}/baselines", headers=headers,
                          data={"name_ko": "몰래"},
                          files={"file": ("b.csv", b"id,target\n1,0.5\n" * 1000)})
        assert answer.status_code == expected, answer.text
    assert _stored(live_hub) == before
