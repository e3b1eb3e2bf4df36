"""The core loop through the HTTP API: host creates, member joins, submits, is ranked."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from factories import Factories, Person

API = "/api/v1"


def _zip(folder: Path) -> bytes:
    archive = shutil.make_archive(str(folder), "zip", root_dir=folder)
    return Path(archive).read_bytes()


def _create(api: TestClient, host: Person, folder: Path, curator: Person) -> dict[str, Any]:
    """Create a challenge through the API as ``host``, and approve it as ``curator``."""
    response = api.post(f"{API}/challenges", headers=host.headers,
                        files={"file": ("bundle.zip", _zip(folder))})
    assert response.status_code == 201, response.text
    assert response.json()["approved"] is False
    approved = api.post(f"{API}/challenges/{response.json()['slug']}/approve",
                        headers=curator.headers)
    assert approved.status_code == 200, approved.text
    return approved.json()  # type: ignore[no-any-return]


def _submit(api: TestClient, person: Person, slug: str, content: bytes | str,
            name: str = "sub.csv", wait: float = 20) -> Any:
    data = content.encode() if isinstance(content, str) else content
    return api.post(f"{API}/challenges/{slug}/submissions", headers=person.headers,
                    files={"file": (name, data)}, data={"message": "try"},
                    params={"wait": wait})


def _sample(folder: Path) -> str:
    return (folder / "sample_submission.csv").read_text()


@pytest.fixture
def world(api: TestClient, live_factories: Factories) -> dict[str, Any]:
    host = live_factories.host()
    folder = live_factories.bundle("power-watch")
    _create(api, host, folder, live_factories.curator())
    member = live_factories.person("minsu")
    curator = live_factories.person("curator1", curator=True)
    return {"host": host, "member": member, "curator": curator, "folder": folder,
            "slug": "power-watch"}


def test_health_and_openapi(api: TestClient) -> None:
    assert api.get(f"{API}/health").json()["status"] == "ok"
    paths = api.get(f"{API}/openapi.json").json()["paths"]
    for path in [
        "/api/v1/health", "/api/v1/challenges", "/api/v1/challenges/{slug}",
        "/api/v1/challenges/{slug}/files", "/api/v1/challenges/{slug}/files/{name}",
        "/api/v1/challenges/{slug}/submissions", "/api/v1/submissions/{submission_id}",
        "/api/v1/challenges/{slug}/leaderboard",
    ]:
        assert path in paths, path


def test_member_joins_downloads_submits_and_is_ranked(
    api: TestClient, world: dict[str, Any]
) -> None:
    member, slug = world["member"], world["slug"]
    listed = api.get(f"{API}/challenges").json()
    assert [c["slug"] for c in listed] == [slug]
    assert api.get(f"{API}/challenges/{slug}/files/test.csv", headers=member.headers
                   ).status_code == 403
    assert api.post(f"{API}/challenges/{slug}/join", headers=member.headers).status_code == 200
    files = api.get(f"{API}/challenges/{slug}/files").json()
    assert [f["name"] for f in files] == ["train.csv", "test.csv", "sample_submission.csv"]
    sample = api.get(f"{API}/challenges/{slug}/files/sample_submission.csv",
                     headers=member.headers)
    assert sample.status_code == 200
    assert sample.text == _sample(world["folder"])

    response = _submit(api, member, slug, sample.text)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "finished"
    assert body["public_score"] == pytest.approx(0.5)
    assert body["private_score"] is None  # hidden until the board opens
    assert body["team"] == "minsu"

    board = api.get(f"{API}/challenges/{slug}/leaderboard").json()
    teams = [(row["team"], row["rank"], row["is_baseline"]) for row in board["rows"]]
    assert ("minsu", 1, False) in teams
    assert ("기준선", None, True) in teams
    baseline = next(r for r in board["rows"] if r["is_baseline"])
    assert baseline["score"] > 0.5


def test_private_board_hidden_until_revealed(api: TestClient, world: dict[str, Any]) -> None:
    member, host, curator, slug = world["member"], world["host"], world["curator"], world["slug"]
    api.post(f"{API}/challenges/{slug}/join", headers=member.headers)
    sub = _submit(api, member, slug, _sample(world["folder"])).json()
    private = f"{API}/challenges/{slug}/leaderboard?split=private"
    assert api.get(private).status_code == 403
    assert api.get(private, headers=member.headers).status_code == 403
    assert api.get(f"{API}/submissions/{sub['id']}", headers=member.headers
                   ).json()["private_score"] is None
    assert api.get(private, headers=host.headers).status_code == 200
    assert api.post(f"{API}/challenges/{slug}/reveal", headers=member.headers).status_code == 403
    assert api.post(f"{API}/challenges/{slug}/reveal", headers=curator.headers).status_code == 200
    rows = api.get(private, headers=member.headers).json()["rows"]
    assert any(r["team"] == "minsu" for r in rows)
    assert api.get(f"{API}/submissions/{sub['id']}", headers=member.headers
                   ).json()["private_score"] == pytest.approx(0.5)


def test_solution_cannot_be_fetched(api: TestClient, world: dict[str, Any]) -> None:
    member, slug = world["member"], world["slug"]
    api.post(f"{API}/challenges/{slug}/join", headers=member.headers)
    for name in ["solution.csv", "../solution.csv", "baseline.csv", "%2e%2e/solution.csv",
                 "challenge.yaml"]:
        response = api.get(f"{API}/challenges/{slug}/files/{name}", headers=member.headers)
        assert response.status_code == 404, name
        assert "Usage" not in response.text
    detail = api.get(f"{API}/challenges/{slug}", headers=member.headers).text
    assert "solution" not in detail.lower()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "empty"),
        ("id,target\n", "no rows"),
        ("id,wrong\n1,0.5\n", "target"),
        ("id,target\n1,0.5\n", "missing"),
        ("id,target\n" + "".join(f"{i},abc\n" for i in range(1, 201)), "must hold numbers"),
        ("id,target\n" + "".join(f"{i},\n" for i in range(1, 201)), "target"),
        ("id,target\n" + "".join(f"{i},0.5\n" for i in [*range(1, 201), 5]), "more than once"),
        ("id,target\n" + "".join(f"{i},0.5\n" for i in range(2, 202)), "201"),
    ],
)
def test_malformed_submissions_are_explained_and_not_counted(
    api: TestClient, world: dict[str, Any], content: str, message: str
) -> None:
    member, slug = world["member"], world["slug"]
    api.post(f"{API}/challenges/{slug}/join", headers=member.headers)
    response = _submit(api, member, slug, content)
    assert response.status_code == 422, response.text
    assert message.lower() in response.json()["detail"].lower()
    limits = api.get(f"{API}/challenges/{slug}/limits", headers=member.headers).json()
    assert limits["today"] == 0


def test_daily_limit_counts_only_valid_submissions(
    api: TestClient, live_factories: Factories
) -> None:
    host = live_factories.host()
    folder = live_factories.bundle("limited", daily_limit=2)
    _create(api, host, folder, live_factories.curator())
    member = live_factories.person()
    api.post(f"{API}/challenges/limited/join", headers=member.headers)
    assert _submit(api, member, "limited", "id,target\n1,0.5\n").status_code == 422
    for _ in range(2):
        assert _submit(api, member, "limited", _sample(folder)).status_code == 201
    refused = _submit(api, member, "limited", _sample(folder))
    assert refused.status_code == 429
    assert "2 of 2" in refused.json()["detail"]
    history = api.get(f"{API}/challenges/limited/submissions", headers=member.headers).json()
    assert [s["status"] for s in history] == ["finished", "finished", "failed"]


def test_submitting_needs_a_token_and_the_rules(api: TestClient, world: dict[str, Any]) -> None:
    slug = world["slug"]
    anonymous = api.post(f"{API}/challenges/{slug}/submissions",
                         files={"file": ("s.csv", b"id,target\n")})
    assert anonymous.status_code == 401
    assert "token" in anonymous.json()["detail"]
    bad = api.get(f"{API}/me", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    not_joined = _submit(api, world["member"], slug, _sample(world["folder"]))
    assert not_joined.status_code == 403
    assert "aihub challenges join" in not_joined.json()["detail"]


def test_other_teams_submissions_are_invisible(
    api: TestClient, world: dict[str, Any], live_factories: Factories
) -> None:
    slug = world["slug"]
    member, other = world["member"], live_factories.person("rival")
    for person in (member, other):
        api.post(f"{API}/challenges/{slug}/join", headers=person.headers)
    sub = _submit(api, member, slug, _sample(world["folder"])).json()
    assert api.get(f"{API}/submissions/{sub['id']}", headers=other.headers).status_code == 404
    assert api.get(f"{API}/submissions/{sub['id']}").status_code == 404
    assert api.get(f"{API}/challenges/{slug}/submissions", headers=other.headers).json() == []
    assert api.get(f"{API}/challenges/{slug}/submissions?everyone=true",
                   headers=other.headers).status_code == 403
    host_view = api.get(f"{API}/submissions/{sub['id']}", headers=world["host"].headers).json()
    assert host_view["private_score"] is not None


def test_invite_only_challenge_is_hidden(api: TestClient, live_factories: Factories) -> None:
    host = live_factories.host()
    _create(api, host, live_factories.bundle("secret-one", visibility="invite-only"),
            live_factories.curator())
    guest, stranger = live_factories.person("guest"), live_factories.person("stranger")
    assert api.get(f"{API}/challenges", headers=stranger.headers).json() == []
    assert api.get(f"{API}/challenges/secret-one", headers=stranger.headers).status_code == 404
    assert api.post(f"{API}/challenges/secret-one/invites", headers=host.headers,
                    json={"username": "guest"}).status_code == 201
    assert [c["slug"] for c in api.get(f"{API}/challenges", headers=guest.headers).json()] == [
        "secret-one"
    ]
    assert api.get(f"{API}/challenges/secret-one", headers=guest.headers).status_code == 200


def test_final_selection(api: TestClient, live_factories: Factories) -> None:
    host = live_factories.host()
    folder = live_factories.bundle("finals", final_selections=1)
    _create(api, host, folder, live_factories.curator())
    member = live_factories.person()
    api.post(f"{API}/challenges/finals/join", headers=member.headers)
    first = _submit(api, member, "finals", _sample(folder)).json()
    second = _submit(api, member, "finals", (folder / "baseline.csv").read_text()).json()
    ok = api.post(f"{API}/submissions/{first['id']}/select", headers=member.headers,
                  json={"selected": True})
    assert ok.status_code == 200 and ok.json()["selected"]
    too_many = api.post(f"{API}/submissions/{second['id']}/select", headers=member.headers,
                        json={"selected": True})
    assert too_many.status_code == 409
    assert "1 of 1" in too_many.json()["detail"]
    # With the weaker submission selected, the private board ranks it, not the better one.
    api.post(f"{API}/challenges/finals/reveal",
             headers=live_factories.person("cur", curator=True).headers)
    row = next(r for r in api.get(f"{API}/challenges/finals/leaderboard?split=private").json()[
        "rows"] if not r["is_baseline"])
    assert row["score"] == pytest.approx(0.5)


def test_garbage_requests_get_json_errors(api: TestClient, world: dict[str, Any]) -> None:
    member, slug = world["member"], world["slug"]
    for response in [
        api.post(f"{API}/challenges/{slug}/submissions", headers=member.headers),
        api.post(f"{API}/challenges", headers=member.headers, files={"file": ("x.zip", b"nope")}),
        api.get(f"{API}/submissions/notanumber"),
        api.get(f"{API}/challenges/{slug}/leaderboard?split=everything"),
        api.post(f"{API}/submissions/1/select", headers=member.headers, content=b"{"),
    ]:
        assert 400 <= response.status_code < 500, response.text
        assert isinstance(response.json()["detail"], str)
