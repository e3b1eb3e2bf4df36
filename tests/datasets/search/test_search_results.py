"""What a search answers besides its hits: who sees what (never an unpublished dataset
through a count or a facet), facets with counts, filters, order and pages."""

from __future__ import annotations

import pytest
from search_helpers import Catalog, File, facets

from aihub.datasets.search import Filter
from aihub.hub import Hub
from factories import Factories


@pytest.fixture
def catalog(hub: Hub, factories: Factories) -> Catalog:
    catalog = Catalog.make(hub, factories)
    catalog.dataset("air", "대기질 측정", tags=["대기", "air"], minute=1,
                    files=[File(), File("b.parquet", "application/vnd.apache.parquet")])
    catalog.dataset("bus", "버스 승하차", tags=["교통"], tier="registered", licence="CC-BY-4.0",
                    minute=2, files=[File("a.jsonl", "application/jsonl")])
    catalog.dataset("gj", "광주 대기 오염", tags=["대기"], host=catalog.other_host,
                    organization="gwangju-city", tier="approval", minute=3,
                    files=[File("i.png", "image/png")])
    # Being prepared: only daejeon-city's hosts and the curators may know of it.
    catalog.dataset("secret", "비공개 대기 자료", tags=["대기", "비밀태그"], licence="KOGL-4",
                    tier="approval", publish=False, minute=4)
    return catalog


def test_a_visitor_never_learns_of_an_unpublished_dataset(catalog: Catalog) -> None:
    for actor in (catalog.visitor, catalog.other_host):
        everything = catalog.search(actor=actor)
        assert everything.count == 3
        counted = facets(everything)
        assert counted["tag"] == {"대기": 2, "air": 1, "교통": 1}  # not 3, no 비밀태그
        assert "KOGL-4" not in counted["licence"]
        assert counted["tier"] == {"open": 1, "registered": 1, "approval": 1}
        for text in ("비공개", "비밀태그", "비", "대기 자료"):
            hidden = catalog.search(text, actor=actor)
            assert (hidden.count, hidden.dataset_ids) == (0, []), text
            assert all(not values for values in hidden.facets.values()), text
        tagged = catalog.search(actor=actor, filters=[Filter("tag", ("비밀태그",))])
        assert tagged.count == 0
        assert catalog.search(actor=actor, filters=[Filter("name", ("secret",))]).count == 0


def test_hosts_and_curators_see_what_they_prepare(catalog: Catalog) -> None:
    assert catalog.slugs("비공개", actor=catalog.host) == ["secret"]
    assert catalog.slugs("비공개", actor=catalog.curator) == ["secret"]
    assert facets(catalog.search(actor=catalog.host))["tag"]["대기"] == 3
    assert catalog.search(actor=catalog.curator).count == 4


def test_facets_count_every_match_not_only_the_page(catalog: Catalog) -> None:
    result = catalog.search("대기", limit=1)
    assert (result.count, len(result.dataset_ids)) == (2, 1)
    assert facets(result) == {
        "organization": {"daejeon-city": 1, "gwangju-city": 1},
        "licence": {"KOGL-1": 2},
        "tier": {"open": 1, "approval": 1},
        "format": {"csv": 1, "parquet": 1, "image": 1},
        "tag": {"대기": 2, "air": 1},
    }
    ordered = catalog.search()
    assert [(f.value, f.count) for f in ordered.facets["tag"]] == [
        ("대기", 2), ("air", 1), ("교통", 1)]  # most first, then by value
    assert [f.value for f in catalog.search(facet_limit=1).facets["tag"]] == ["대기"]
    assert all(not v for v in catalog.search(facet_limit=0).facets.values())


def test_filters_or_within_and_across_and_negated(catalog: Catalog) -> None:
    def slugs(*filters: Filter) -> list[str]:
        return sorted(catalog.slugs(filters=filters))
    assert slugs(Filter("tier", ("open", "registered"))) == ["air", "bus"]
    assert slugs(Filter("tag", ("대기",)), Filter("organization", ("daejeon-city",))) == ["air"]
    assert slugs(Filter("tag", ("대기",), negate=True)) == ["bus"]
    assert slugs(Filter("format", ("image", "jsonl"))) == ["bus", "gj"]
    assert slugs(Filter("licence", ("CC-BY-4.0",))) == ["bus"]
    assert slugs(Filter("name", ("air", "gj"))) == ["air", "gj"]
    assert slugs(Filter("tier", ("nonsense",))) == []
    assert slugs(Filter("tier", ())) == []  # any of nothing: nothing
    assert sorted(catalog.slugs("대기", filters=[Filter("format", ("csv",))])) == ["air"]


def test_order_title_hits_first_then_newest_change(hub: Hub, factories: Factories) -> None:
    catalog = Catalog.make(hub, factories)
    catalog.dataset("in-text", "측정 자료", description_ko="교통량 조사", minute=9)
    catalog.dataset("in-tag", "측정 목록", tags=["교통"], minute=8)
    catalog.dataset("in-title-old", "교통 조사", minute=1)
    catalog.dataset("in-title-new", "도로 교통", minute=5)
    assert catalog.slugs("교통") == ["in-title-new", "in-title-old", "in-tag", "in-text"]
    assert catalog.slugs("교통", sort="modified") == [
        "in-text", "in-tag", "in-title-new", "in-title-old"]
    assert catalog.slugs("교통", sort="title") == [
        "in-title-old", "in-title-new", "in-tag", "in-text"]  # 교 < 도 < 측정 목 < 측정 자
    assert catalog.slugs() == ["in-text", "in-tag", "in-title-new", "in-title-old"]
    # More words in the title rank higher.
    catalog.dataset("both", "교통 측정", minute=0)
    assert catalog.slugs("교통 측정")[0] == "both"


def test_pages(catalog: Catalog) -> None:
    first = catalog.search(limit=2, sort="modified")
    second = catalog.search(limit=2, offset=2, sort="modified")
    assert (first.count, second.count) == (3, 3)
    assert len(first.dataset_ids) == 2 and len(second.dataset_ids) == 1
    assert not set(first.dataset_ids) & set(second.dataset_ids)
    assert catalog.search(offset=10).dataset_ids == []
    assert catalog.search(limit=0).count == 3  # counts and facets only, as CKAN's rows=0
