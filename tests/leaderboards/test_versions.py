"""Every change to a phase's scores or selections raises its leaderboard version, so a kept
board is never served after it changed."""

from __future__ import annotations

from fastapi.testclient import TestClient

from aihub.challenges.models import Challenge
from aihub.hub import Hub
from aihub.leaderboards.versions import board_version
from factories import Factories

API = "/api/v1"


def _version(hub: Hub, challenge: Challenge) -> int:
    with hub.db.reading() as session:
        return board_version(session, challenge.phases[0].id)


def test_scoring_selecting_and_rescoring_raise_the_version(
    api: TestClient, live_hub: Hub, live_factories: Factories
) -> None:
    host, member = live_factories.host(), live_factories.person()
    challenge = live_factories.challenge(host, "versioned")
    live_factories.join(challenge, member)
    start = _version(live_hub, challenge)
    sample = (live_factories.bundles / "versioned" / "sample_submission.csv").read_bytes()
    sent = api.post(f"{API}/challenges/versioned/submissions", headers=member.headers,
                    files={"file": ("s.csv", sample)}, params={"wait": 20})
    assert sent.status_code == 201 and sent.json()["status"] == "finished", sent.text
    scored = _version(live_hub, challenge)
    assert scored > start
    submission_id = sent.json()["id"]
    selected = api.post(f"{API}/submissions/{submission_id}/select", headers=member.headers,
                        json={"selected": True})
    assert selected.status_code == 200, selected.text
    assert _version(live_hub, challenge) > scored
    before_rescore = _version(live_hub, challenge)
    rescored = api.post(f"{API}/submissions/{submission_id}/rescore", headers=host.headers)
    assert rescored.status_code == 200, rescored.text
    assert _version(live_hub, challenge) > before_rescore


def test_a_refused_upload_leaves_the_version(
    api: TestClient, live_hub: Hub, live_factories: Factories
) -> None:
    host, member = live_factories.host(), live_factories.person()
    challenge = live_factories.challenge(host, "unmoved")
    live_factories.join(challenge, member)
    start = _version(live_hub, challenge)
    bad = api.post(f"{API}/challenges/unmoved/submissions", headers=member.headers,
                   files={"file": ("s.csv", b"id,wrong\n1,2\n")})
    assert bad.status_code == 422
    assert _version(live_hub, challenge) == start
