"""Who sees what in the open formats, and bad input: nothing unpublished is described, a
withdrawn version answers 410 with its reason, tiered files stay tiered, and every bad
address or parameter gets a message saying what to fix."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from open_formats_helpers import API, STATIONS_CSV, as_json

from aihub.datasets import versions
from aihub.datasets.services import get_dataset
from aihub.hub import Hub
from factories import Factories, Person

pytestmark = pytest.mark.filterwarnings(
    "ignore:ConjunctiveGraph is deprecated:DeprecationWarning")  # inside rdflib 7.6

EXPORTS = ("croissant.json", "dcat.jsonld", "dcat.ttl")


def _withdraw(hub: Hub, factories: Factories, host: Person, slug: str, label: str) -> None:
    with hub.db.transaction() as session:
        dataset = get_dataset(session, slug)
        actor = factories.actor(host)
        version = versions.get_version(session, dataset, label, actor)
        versions.withdraw_version(session, version, actor, "주민번호가 발견되었습니다.")


def test_nothing_unpublished_appears_in_any_export(
        api: TestClient, live_factories: Factories) -> None:
    host = live_factories.host()
    live_factories.dataset(host, "shown")
    live_factories.dataset(host, "hidden-draft", publish=False)
    for export in EXPORTS:
        for who in (None, host.headers):
            answer = api.get(f"{API}/datasets/hidden-draft/{export}", headers=who)
            assert answer.status_code == 404, (export, answer.text)
        told = api.get(f"{API}/datasets/hidden-draft/{export}", headers=host.headers)
        assert "no published version" in told.json()["detail"]
    for fmt in ("jsonld", "ttl"):
        text = api.get(f"{API}/catalog.{fmt}", headers=host.headers).text
        assert "/datasets/shown" in text and "hidden-draft" not in text


def test_an_unpublished_version_is_not_described(
        api: TestClient, live_factories: Factories) -> None:
    host = live_factories.host()
    dataset = live_factories.dataset(host, "air")
    live_factories.dataset_version(host, dataset, label="2.0.0", publish=False)
    url = f"{API}/datasets/air/versions/2.0.0/croissant.json"
    assert api.get(url).status_code == 404  # a visitor may not know it exists
    told = api.get(url, headers=host.headers)
    assert told.status_code == 404
    assert "is draft; only published versions are described" in told.json()["detail"]
    latest = as_json(api.get(f"{API}/datasets/air/croissant.json").content)
    assert latest["version"] == "1.0.0"


def test_a_withdrawn_version_is_gone_with_its_reason(
        api: TestClient, live_hub: Hub, live_factories: Factories) -> None:
    host = live_factories.host()
    dataset = live_factories.dataset(host, "air")
    live_factories.dataset_version(host, dataset, label="1.1.0",
                                   files={"b.csv": STATIONS_CSV})
    _withdraw(live_hub, live_factories, host, "air", "1.1.0")
    gone = api.get(f"{API}/datasets/air/versions/1.1.0/croissant.json")
    assert gone.status_code == 410 and "주민번호가 발견되었습니다." in gone.json()["detail"]
    # The latest is the latest still published; once none is, nothing is described.
    assert as_json(api.get(f"{API}/datasets/air/croissant.json").content)["version"] == "1.0.0"
    _withdraw(live_hub, live_factories, host, "air", "1.0.0")
    for export in EXPORTS:
        assert api.get(f"{API}/datasets/air/{export}").status_code == 404
    assert "/datasets/air" not in api.get(f"{API}/catalog.ttl").text


def test_tiered_files_stay_tiered_though_their_description_is_public(
        api: TestClient, live_factories: Factories) -> None:
    host = live_factories.host()
    live_factories.dataset(host, "gated", tier="approval", licence="CC-BY-4.0")
    doc = as_json(api.get(f"{API}/datasets/gated/croissant.json").content)
    url = doc["distribution"][0]["contentUrl"].removeprefix("http://testserver")
    assert api.get(url).status_code == 401
    assert api.get(url, headers=live_factories.person().headers).status_code == 403
    assert api.get(url, headers=host.headers).status_code == 200


@pytest.mark.parametrize(("path", "status", "says"), [
    ("/datasets/no-such/croissant.json", 404, "No dataset is called"),
    # Decoded before routing, so no route matches: the router's own 404.
    ("/datasets/..%2F..%2Fetc/croissant.json", 404, "Not Found"),
    ("/datasets/AIR/croissant.json", 404, "No dataset is called"),
    ("/datasets/air/versions/9.9.9/croissant.json", 404, "has no version"),
    ("/datasets/air/versions/%00/croissant.json", 404, "has no version"),
    ("/datasets/air/versions/" + "f" * 64 + "/croissant.json", 404, "has no version"),
    ("/datasets/air/dcat.xml", 422, "fmt"),
    ("/catalog.rdf", 422, "fmt"),
    ("/catalog.ttl?page=0", 422, "page"),
    ("/catalog.ttl?page=abc", 422, "page"),
    ("/catalog.ttl?modified_since=yesterday", 422, "ISO 8601"),
    ("/catalog.ttl?modified_since=2024-13-45", 422, "ISO 8601"),
    ("/catalog.ttl?modified_since=" + "9" * 41, 422, "modified_since"),
])
def test_bad_addresses_and_parameters_say_what_to_fix(
        api: TestClient, live_factories: Factories, path: str, status: int, says: str) -> None:
    live_factories.dataset(live_factories.host(), "air")
    answer = api.get(API + path)
    assert answer.status_code == status, answer.text
    assert says in answer.json()["detail"]
