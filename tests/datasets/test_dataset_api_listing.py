"""Lists with filters and pages, metadata updates, HEAD, and challenges linked to versions."""

from __future__ import annotations

from catalog_helpers import API, People
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from aihub.datasets.models import DownloadLog
from aihub.hub import Hub
from factories import Factories

D = f"{API}/datasets"


def test_filters_and_pages(api: TestClient, live_factories: Factories) -> None:
    people = People.make(live_factories)
    live_factories.dataset(people.host, "a-open", tags=("air",))
    live_factories.dataset(people.host, "b-reg", tier="registered", licence="CC-BY-4.0",
                           tags=("bus",))
    live_factories.dataset(people.other_host, "c-gj", organization="gwangju-city",
                           tags=("air", "bus"))

    def slugs(**params: object) -> list[str]:
        return sorted(d["slug"] for d in api.get(D, params=params).json()["items"])
    assert slugs() == ["a-open", "b-reg", "c-gj"]
    assert slugs(organization="gwangju-city") == ["c-gj"]
    assert slugs(tier="registered") == ["b-reg"]
    assert slugs(licence="CC-BY-4.0") == ["b-reg"]
    assert slugs(tag="air") == ["a-open", "c-gj"]
    assert slugs(tag="air", organization="daejeon-city") == ["a-open"]
    assert slugs(tag="none") == []
    first = api.get(D, params={"per_page": 2}).json()
    second = api.get(D, params={"per_page": 2, "page": 2}).json()
    assert (first["count"], len(first["items"]), len(second["items"])) == (3, 2, 1)
    assert api.get(D, params={"page": 9}).json()["items"] == []
    licences = api.get(f"{API}/licences").json()
    assert {"KOGL-1", "KOGL-4", "CC0-1.0", "custom"} <= {item["id"] for item in licences}


def test_metadata_changes_keep_versions_and_tags_become_the_new_set(
    api: TestClient, live_factories: Factories
) -> None:
    people = People.make(live_factories)
    live_factories.dataset(people.host, "meta", tags=("air", "대기질"))
    before = api.get(f"{D}/meta/versions/1.0.0").json()
    patched = api.patch(f"{D}/meta", headers=people.host.headers, json={
        "tags": ["대기질", "pm10"], "licence": "custom", "licence_text": "연구 목적만.",
        "access_tier": "registered", "description_en": "PM10."})
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["tags"] == ["pm10", "대기질"] and body["licence"]["text"] == "연구 목적만."
    assert body["access_tier"] == "registered" and body["description"]["en"] == "PM10."
    back = api.patch(f"{D}/meta", headers=people.host.headers, json={"licence": "KOGL-3"})
    assert back.json()["licence"]["text"] == ""  # custom terms go with the custom licence
    after = api.get(f"{D}/meta/versions/1.0.0", headers=people.host.headers).json()
    assert (after["rev"], after["files"][0]["sha256"]) == (before["rev"],
                                                          before["files"][0]["sha256"])


def test_head_answers_without_a_body_and_logs_nothing(
    api: TestClient, live_hub: Hub, live_factories: Factories
) -> None:
    people = People.make(live_factories)
    live_factories.dataset(people.host, "heads", tier="registered")
    api.post(f"{D}/heads/licence", headers=people.member.headers, json={})
    url = f"{D}/heads/versions/1.0.0/files/data/pm10.csv"
    head = api.head(url, headers=people.member.headers)
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["content-length"]) > 0
    assert api.head(url).status_code == 401
    with live_hub.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(DownloadLog)) == 0


def test_challenges_link_published_versions_only(api: TestClient, live_factories: Factories
                                                 ) -> None:
    people = People.make(live_factories)
    challenge = live_factories.challenge(people.host, "pm-forecast")
    dataset = live_factories.dataset(people.host, "pm-train")
    live_factories.dataset_version(people.host, dataset, label="2.0.0", publish=False)
    url = f"{API}/challenges/{challenge.slug}/datasets"
    draft = api.post(url, headers=people.host.headers,
                     json={"dataset": "pm-train", "version": "2.0.0"})
    assert draft.status_code == 409 and "only published versions" in draft.json()["detail"]
    linked = api.post(url, headers=people.host.headers,
                      json={"dataset": "pm-train", "version": "1.0.0", "role": "학습 데이터"})
    assert linked.status_code == 201, linked.text
    assert [(x["dataset"], x["version"]["label"], x["role"]) for x in linked.json()] == [
        ("pm-train", "1.0.0", "학습 데이터")]
    again = api.post(url, headers=people.host.headers,
                     json={"dataset": "pm-train", "version": "1.0.0"})
    assert again.status_code == 409
    assert api.get(url).json()[0]["dataset"] == "pm-train"
    shown = api.get(f"{D}/pm-train").json()
    assert shown["challenges"] == [{"challenge": "pm-forecast", "version": "1.0.0",
                                    "role": "학습 데이터"}]
    assert api.delete(f"{url}/pm-train/1.0.0", headers=people.host.headers
                      ).status_code == 204
    assert api.get(url).json() == []
