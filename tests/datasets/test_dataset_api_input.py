"""Bad input to the catalog's API: a 4xx with a message saying what is wrong, never a 500,
and stored data left as it was."""

from __future__ import annotations

from typing import Any

import pytest
from catalog_helpers import API, People, publish_through_api
from fastapi.testclient import TestClient

from aihub.hub import Hub
from factories import Factories

D = f"{API}/datasets"
GOOD = {"organization": "daejeon-city", "slug": "good", "title_ko": "좋은", "licence": "KOGL-1"}


@pytest.fixture
def people(live_factories: Factories) -> People:
    return People.make(live_factories)


BAD_DATASETS: list[tuple[dict[str, Any], int, str]] = [
    ({"slug": "Upper"}, 422, "slug: a dataset's name is 2 to 100 lowercase"),
    ({"slug": "a"}, 422, "slug: a dataset's name"),
    ({"slug": "대기질"}, 422, "slug: a dataset's name"),
    ({"slug": "has space"}, 422, "slug: a dataset's name"),
    ({"slug": "x" * 101}, 422, "slug"),
    ({"slug": "new"}, 422, "reserved"),
    ({"licence": "custom"}, 422, "licence_text: a custom licence needs its terms"),
    ({"licence": "GPL-3.0"}, 422, "unknown licence 'GPL-3.0'; choose one of KOGL-1"),
    ({"licence_text": "mine"}, 422, "only the custom licence takes a text"),
    ({"access_tier": "secret"}, 422, "access_tier: 'secret' is not a tier"),
    ({"organization": "nowhere"}, 422, "organization: no organization is called 'nowhere'"),
    ({"organization": "gwangju-city"}, 403, "only its members and the curators"),
    ({"title_ko": "  "}, 422, "title_ko: is required"),
    ({"title_ko": "a\x00b"}, 422, "NUL"),
    ({"organization": "daejeon\x00city"}, 422, "organization: holds a NUL"),
    ({"tags": ["ok", "bad,tag"]}, 422, "tags: 'bad,tag' is not a tag"),
    ({"tags": [f"t{i}" for i in range(21)]}, 422, "the limit is 20"),
    ({"slug": 5}, 422, "slug"),
]


def test_bad_datasets_are_refused_with_what_to_fix(
    api: TestClient, people: People, live_factories: Factories
) -> None:
    live_factories.host("gwangju-city")  # exists, but the host is not a member of it
    for change, status, message in BAD_DATASETS:
        answer = api.post(D, headers=people.host.headers, json=GOOD | change)
        assert answer.status_code == status, (change, answer.text)
        assert message in answer.json()["detail"], change
    assert api.get(D, headers=people.host.headers).json()["count"] == 0


def test_bad_versions_files_and_requests_are_refused_and_change_nothing(
    api: TestClient, people: People
) -> None:
    host = people.host.headers
    assert api.post(D, headers=host, json=GOOD).status_code == 201
    duplicate = api.post(D, headers=host, json=GOOD)
    assert duplicate.status_code == 409 and "exists already" in duplicate.json()["detail"]
    for body, message in (({"label": "one", "message": "x"}, "is not a version label"),
                          ({"label": "1.0.0", "message": ""}, "every version needs a message"),
                          ({"label": "1.0.0"}, "message: Field required")):
        answer = api.post(f"{D}/good/versions", headers=host, json=body)
        assert answer.status_code == 422 and message in answer.json()["detail"], answer.text
    api.post(f"{D}/good/versions", headers=host, json={"label": "1.0.0", "message": "x"})
    files = f"{D}/good/versions/1.0.0/files"
    ok = api.post(files, headers=host, files={"file": ("a.csv", b"a\n")},
                  data={"path": "data/a.csv"})
    assert ok.status_code == 201
    for path, status, message in (
        ("../a.csv", 422, "'..'"), ("/etc/passwd", 422, "absolute"),
        ("data\\b.csv", 422, "backslash"), ("data/a.csv", 409, "has a file 'data/a.csv'"),
        ("DATA/A.csv", 422, "differ only in case"), ("data/a.csv/x", 422, "also a folder"),
        ("a\x01b", 422, "control character"),
    ):
        answer = api.post(files, headers=host, files={"file": ("x", b"x")},
                          data={"path": path})
        assert answer.status_code == status and message in answer.json()["detail"], path
    no_file = api.post(files, headers=host, data={"path": "x.csv"})
    assert no_file.status_code == 422 and "file" in no_file.json()["detail"]
    bad_type = api.post(files, headers=host, files={"file": ("x", b"x")},
                        data={"path": "x.bin", "media_type": "binary"})
    assert bad_type.status_code == 422 and "media_type" in bad_type.json()["detail"]
    version = api.get(f"{D}/good/versions/1.0.0", headers=host).json()
    assert [f["path"] for f in version["files"]] == ["data/a.csv"]
    missing = api.delete(f"{files}/nothing.csv", headers=host)
    assert missing.status_code == 404 and "has no file 'nothing.csv'" in missing.json()["detail"]
    unknown = api.post(f"{D}/good/versions/1.0.0/uploads", headers=host,
                       json={"upload_id": "nope"})
    assert unknown.status_code == 404


def test_bad_queries_and_bodies_get_a_clear_422(api: TestClient, people: People) -> None:
    assert api.get(D, params={"per_page": 0}).status_code == 422
    assert "page" in api.get(D, params={"page": "x"}).json()["detail"]
    broken = api.post(D, headers=people.host.headers | {"content-type": "application/json"},
                      content=b"{not json")
    assert broken.status_code == 422
    nul = api.get(f"{D}/a%00b")
    assert nul.status_code == 404
    long_ref = api.get(f"{D}/good/versions/{'9' * 200}")
    assert long_ref.status_code == 404
    request = api.post(f"{API}/data-requests", headers=people.member.headers,
                       json={"title": " ", "description": "x"})
    assert request.status_code == 422 and "title: is required" in request.json()["detail"]
    unknown_org = api.post(f"{API}/data-requests", headers=people.member.headers,
                           json={"title": "t", "description": "d", "addressed_to": "zz"})
    assert "addressed_to: no organization" in unknown_org.json()["detail"]
    assert api.get(f"{API}/data-requests/99999999999").status_code == 422
    assert api.get(f"{API}/data-requests").json()["count"] == 0


def test_an_unknown_status_filter_names_the_statuses(
    api: TestClient, live_hub: Hub, people: People
) -> None:
    publish_through_api(api, live_hub, people, "gated", tier="approval")
    listed = api.get(f"{API}/data-requests", params={"status": "done"})
    assert listed.status_code == 422
    assert "'done' is not a status; choose received, under_review" in listed.json()["detail"]
    asked = api.get(f"{D}/gated/access-requests", headers=people.host.headers,
                    params={"status": "approved"})
    assert asked.status_code == 422
    assert "choose pending, accepted, rejected, revoked" in asked.json()["detail"]
    assert api.get(f"{API}/data-requests", params={"status": "received"}).json()["count"] == 0
    assert api.get(f"{D}/gated/access-requests", headers=people.host.headers,
                   params={"status": "pending"}).json() == []
