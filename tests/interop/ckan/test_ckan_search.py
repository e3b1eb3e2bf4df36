"""package_search: text, the fq subset, paging as CKAN pages, sort, facets, and what a
visitor never counts."""

from __future__ import annotations

import json
from typing import Any

import pytest
from ckan_helpers import Catalog, error, ok
from fastapi.testclient import TestClient

from factories import Factories

SEARCH = "/api/3/action/package_search"


def search(client: TestClient, headers: dict[str, str] | None = None, **body: Any
           ) -> dict[str, Any]:
    result: dict[str, Any] = ok(client.post(SEARCH, json=body, headers=headers or {}))
    return result


def names(result: dict[str, Any]) -> list[str]:
    return [p["name"] for p in result["results"]]


def test_everything_by_default(client: TestClient, catalog: Catalog) -> None:
    for query in ({}, {"q": "*:*"}, {"q": "*"}, {"q": ""}):
        result = search(client, **query)
        assert result["count"] == 3
        assert sorted(names(result)) == catalog.published
        assert result["sort"] == "score desc, metadata_modified desc"
        assert result["facets"] == {} and result["search_facets"] == {}


def test_results_are_full_packages(client: TestClient, catalog: Catalog) -> None:
    found = search(client, q="traffic")["results"]
    shown = ok(client.get("/api/action/package_show?id=daejeon-traffic"))
    assert found == [shown]


def test_text_korean_and_english(client: TestClient, catalog: Catalog) -> None:
    assert names(search(client, q="교통")) == ["daejeon-traffic"]
    assert names(search(client, q="traffic")) == ["daejeon-traffic"]
    assert search(client, q="대기질")["count"] == 3  # every factory title holds it
    assert search(client, q="nothing-like-this")["count"] == 0


@pytest.mark.parametrize(("fq", "expected"), [
    ("organization:gwangju-city", ["gwangju-bus"]),
    ("owner_org:daejeon-city", ["busan-air", "daejeon-traffic"]),
    ("tags:(air OR bus)", ["busan-air", "gwangju-bus"]),
    ("tags:air OR tags:bus", ["busan-air", "gwangju-bus"]),
    ('tags:"교통"', ["daejeon-traffic"]),
    ("-tags:air", ["daejeon-traffic", "gwangju-bus"]),
    ("NOT organization:daejeon-city", ["gwangju-bus"]),
    ("res_format:JSON", ["daejeon-traffic"]),
    ("res_format:csv", ["busan-air", "daejeon-traffic", "gwangju-bus"]),
    ("license_id:KOGL-2", ["daejeon-traffic"]),
    ("name:busan-air", ["busan-air"]),
    ("access_tier:registered", ["gwangju-bus"]),
    ("organization:daejeon-city AND tags:traffic", ["daejeon-traffic"]),
    ("+organization:daejeon-city +tags:air", ["busan-air"]),
    ("dataset_type:dataset", ["busan-air", "daejeon-traffic", "gwangju-bus"]),
    ("-dataset_type:harvest", ["busan-air", "daejeon-traffic", "gwangju-bus"]),
    ("groups:transport", []),
    ("tags:secret", []),  # the unpublished dataset's tag
])
def test_fq(client: TestClient, catalog: Catalog, fq: str, expected: list[str]) -> None:
    result = search(client, fq=fq, rows=100)
    assert sorted(names(result)) == expected
    assert result["count"] == len(expected)


def test_fq_list_and_clauses_in_q(client: TestClient, catalog: Catalog) -> None:
    assert names(search(client, fq_list=["organization:daejeon-city", "tags:traffic"])) == [
        "daejeon-traffic"]
    assert names(search(client, q="tags:bus")) == ["gwangju-bus"]
    assert names(search(client, q="대기질 organization:gwangju-city")) == ["gwangju-bus"]


@pytest.mark.parametrize(("body", "said"), [
    ({"fq": "author:kim"}, "the field 'author' is not supported"),
    ({"fq": "tags:a OR name:b"}, "OR joins values of one field only"),
    ({"fq": "traffic"}, "cannot read 'traffic'"),
    ({"q": "tags:air*"}, "wildcards"),
    ({"sort": "views_recent desc"}, "sort 'views_recent desc' is not supported"),
    ({"q": "가" * 201}, "the search text is 201 characters long; the limit is 200"),
])
def test_search_query_errors(client: TestClient, catalog: Catalog, body: dict[str, Any],
                             said: str) -> None:
    found = error(client.post(SEARCH, json=body), 400, "Search Query Error")
    assert found["message"].startswith("Search Query is invalid: ")
    assert said in found["message"]


def test_bad_paging_values_are_validation_errors(client: TestClient) -> None:
    for body in ({"rows": -1}, {"start": "x"}, {"rows": 1.5}, {"facet.limit": -2}):
        error(client.post(SEARCH, json=body), 409, "Validation Error")


def test_paging_as_ckan_pages(client: TestClient, catalog: Catalog,
                              factories: Factories) -> None:
    for i in range(9):
        factories.dataset(catalog.other_host, f"extra-{i}", organization="gwangju-city",
                          tags=("extra",))
    everything = search(client, sort="title_string asc", rows=1000)
    assert everything["count"] == 12 and len(everything["results"]) == 12
    titles = [p["title"] for p in everything["results"]]
    assert titles == sorted(titles)
    # rows: 10 by default; above 1,000 silently 1,000; 0 gives the count alone.
    assert len(search(client)["results"]) == 10
    assert len(search(client, rows=5000)["results"]) == 12
    counted = search(client, rows=0, **{"facet.field": ["organization"]})
    assert (counted["count"], counted["results"]) == (12, [])
    assert counted["facets"]["organization"] == {"daejeon-city": 2, "gwangju-city": 10}
    pages = [names(search(client, sort="title_string asc", rows=5, start=start))
             for start in (0, 5, 10)]
    assert [n for page in pages for n in page] == names(everything)
    # Past the end: an empty page with the count, so ckanapi's loop ends.
    for start in (12, 13, 10_000):
        past = search(client, rows=5, start=start)
        assert (past["count"], past["results"]) == (12, [])
    assert search(client, rows="3", start="1")["count"] == 12  # strings, as forms send


def test_sort_by_modification(client: TestClient, catalog: Catalog) -> None:
    result = search(client, sort="metadata_modified desc")
    modified = [p["metadata_modified"] for p in result["results"]]
    assert modified == sorted(modified, reverse=True)
    assert result["sort"] == "metadata_modified desc"
    assert search(client, sort=" Score desc,metadata_modified  desc")["sort"] == \
        "score desc, metadata_modified desc"


def test_facets(client: TestClient, catalog: Catalog) -> None:
    result = search(client, **{"facet.field": ["organization", "tags", "res_format",
                                              "license_id", "access_tier", "groups"]})
    assert result["facets"]["organization"] == {"daejeon-city": 2, "gwangju-city": 1}
    assert result["facets"]["tags"] == {"air": 1, "bus": 1, "traffic": 1, "교통": 1,
                                        "대기질": 1}
    assert result["facets"]["res_format"] == {"CSV": 3, "JSON": 1}
    assert result["facets"]["license_id"] == {"KOGL-1": 1, "KOGL-2": 1, "CC-BY-4.0": 1}
    assert result["facets"]["access_tier"] == {"open": 2, "registered": 1}
    assert result["facets"]["groups"] == {}
    orgs = result["search_facets"]["organization"]
    assert orgs["title"] == "organization"
    assert {"count": 2, "display_name": "대전광역시", "name": "daejeon-city"} in orgs["items"]
    licences = {i["name"]: i["display_name"] for i in result["search_facets"]["license_id"]
                ["items"]}
    assert licences["KOGL-2"].startswith("Korea Open Government Licence type 2")
    # facet.limit, facet.mincount, facet=false; the field list as CKAN's JSON string.
    limited = ok(client.get(SEARCH, params={"facet.field": json.dumps(["tags"]),
                                            "facet.limit": "2"}))
    assert len(limited["search_facets"]["tags"]["items"]) == 2
    assert search(client, **{"facet.field": ["organization"], "facet.mincount": 2})[
        "facets"]["organization"] == {"daejeon-city": 2}
    assert search(client, **{"facet.field": ["tags"], "facet": "false"})["facets"] == {}
    # Facets count the matches only.
    assert search(client, fq="organization:gwangju-city", **{"facet.field": ["tags"]})[
        "facets"]["tags"] == {"bus": 1}


def test_unpublished_datasets_are_never_counted_for_others(client: TestClient,
                                                           catalog: Catalog) -> None:
    body = {"q": "secret-plan", "include_private": True, "include_drafts": True,
            "facet.field": ["tags", "organization"]}
    for who in (None, catalog.member, catalog.other_host):
        headers = who.headers if who else {}
        everything = search(client, headers, include_private=True,
                            **{"facet.field": ["tags", "organization"]})
        assert everything["count"] == 3
        assert "secret" not in everything["facets"]["tags"]
        assert everything["facets"]["organization"]["daejeon-city"] == 2
        assert search(client, headers, **body)["count"] == 0
        assert search(client, headers, fq="tags:secret", include_private=True)["count"] == 0
    # Its hosts see it when they ask for private datasets, as in CKAN; not otherwise.
    host = catalog.host.headers
    assert search(client, host, fq="tags:secret")["count"] == 0
    mine = search(client, host, fq="tags:secret", include_private=True)
    assert names(mine) == ["secret-plan"] and mine["results"][0]["private"] is True
    assert search(client, host, include_drafts=True, **{"facet.field": ["tags"]})[
        "facets"]["tags"]["secret"] == 1
