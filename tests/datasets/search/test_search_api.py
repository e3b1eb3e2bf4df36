"""GET /api/v1/datasets with q, filters, facets and order, and its refusals."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from aihub.datasets import services
from aihub.hub import Hub
from factories import Factories, Person

D = "/api/v1/datasets"


def _world(hub: Hub, factories: Factories) -> Person:
    """Three published datasets of two organizations and a draft; returns the host of
    daejeon-city (whose draft it is)."""
    host = factories.host("daejeon-city")
    factories.dataset(host, "air", tags=("air", "대기질"))
    factories.dataset(host, "bus", tier="registered", licence="CC-BY-4.0",
                      tags=("bus",), files={"stops.parquet": b"PAR1"})
    factories.dataset(factories.host("gwangju-city"), "gj", organization="gwangju-city",
                      tags=("air",))
    factories.dataset(host, "draft", tags=("초안태그",), publish=False)
    with hub.db.transaction() as session:  # titles to search by
        for slug, title in (("air", "대전 대기 관측"), ("bus", "대전교통 버스"),
                            ("gj", "광주 대기 관측"), ("draft", "초안 대기 관측")):
            services.update_dataset(session, services.get_dataset(session, slug),
                                    factories.actor(factories.curator()),
                                    services.DatasetChanges(title_ko=title))
    return host


def _get(api: TestClient, headers: dict[str, str] | None = None, **params: Any) -> Any:
    answer = api.get(D, params=params, headers=headers or {})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_search_with_facets(api: TestClient, live_hub: Hub, live_factories: Factories
                            ) -> None:
    host = _world(live_hub, live_factories)
    body = _get(api, q="관측")
    assert body["count"] == 2 and {i["slug"] for i in body["items"]} == {"air", "gj"}
    assert body["facets"]["organization"] == [{"value": "daejeon-city", "count": 1},
                                              {"value": "gwangju-city", "count": 1}]
    assert body["facets"]["tag"][0] == {"value": "air", "count": 2}
    assert {f["value"] for f in body["facets"]["tag"]} == {"air", "대기질"}  # no 초안태그
    assert _get(api, q="교통")["items"][0]["slug"] == "bus"  # inside 대전교통
    hosted = _get(api, host.headers, q="관측")
    assert hosted["count"] == 3  # the host's own draft too
    everything = _get(api)
    assert {f["value"]: f["count"] for f in everything["facets"]["format"]} == {
        "csv": 2, "parquet": 1}
    assert {f["value"]: f["count"] for f in everything["facets"]["tier"]} == {
        "open": 2, "registered": 1}


def test_filters_repeat_for_any_of_several_values(api: TestClient, live_hub: Hub,
                                                  live_factories: Factories) -> None:
    _world(live_hub, live_factories)

    def slugs(**params: Any) -> list[str]:
        return sorted(item["slug"] for item in _get(api, **params)["items"])
    assert slugs(tag=["bus", "대기질"]) == ["air", "bus"]
    assert slugs(format="parquet") == ["bus"]
    assert slugs(q="대전", organization="daejeon-city", tier=["open", "registered"]) == [
        "air", "bus"]
    assert slugs(q="대전", licence="CC-BY-4.0") == ["bus"]
    assert [i["slug"] for i in _get(api, sort="title")["items"]] == ["gj", "air", "bus"]
    assert _get(api, q="***")["count"] == 3  # no words: everything


def test_bad_search_input_is_refused_clearly(api: TestClient, live_hub: Hub,
                                             live_factories: Factories) -> None:
    _world(live_hub, live_factories)
    long = api.get(D, params={"q": "가" * 201})
    assert long.status_code == 422 and "the limit is 200" in long.json()["detail"]
    huge = api.get(D, params={"q": "x" * 10_001})
    assert huge.status_code == 422 and "q" in huge.json()["detail"]
    assert api.get(D, params={"sort": "random"}).status_code == 422
    assert api.get(D, params={"tag": ["t"] * 101}).status_code == 422
    assert api.get(D, params={"per_page": 101}).status_code == 422
    for text in ('"', "NEAR(a b)", "%_", "교통 -버스", "\x00", "doc:x"):
        assert api.get(D, params={"q": text}).status_code == 200, text
