"""What a search finds, on SQLite (FTS5 trigram) and PostgreSQL (pg_trgm, grams array):
Korean partial words of any length, English words in any order, both mixed, spacing that
differs between query and text, tags, organizations and column names."""

from __future__ import annotations

import pytest
from search_helpers import Catalog, File

from aihub.hub import Hub
from factories import Factories


@pytest.fixture
def catalog(hub: Hub, factories: Factories) -> Catalog:
    catalog = Catalog.make(hub, factories)
    catalog.dataset("speed", "대전교통속도예측", title_en="Daejeon traffic speed forecast",
                    description_ko="5분 단위 링크별 통행 속도.", tags=["도로"],
                    files=[File(columns=["측정일시", "link_id", "speed_kmh"])])
    catalog.dataset("dust", "미세 먼지 농도", title_en="Fine dust by station",
                    description_en="Hourly PM10 readings from air quality stations.",
                    tags=["대기질", "air quality"], minute=1)
    catalog.dataset("bus", "버스정류장 위치", title_en="Bus stops",
                    description_ko="정류장ID와 좌표.", tags=["교통"], minute=2)
    return catalog


def found(catalog: Catalog, cases: dict[str, list[str]]) -> dict[str, list[str]]:
    return {text: sorted(catalog.slugs(text)) for text in cases}


def test_korean_partial_words(catalog: Catalog) -> None:
    cases = {
        "교통": ["bus", "speed"],  # 2 syllables: inside 대전교통속도예측, and a tag
        "교": ["bus", "speed"],  # 1 syllable
        "통속": ["speed"],  # a piece spanning two words of the compound
        "교통속도": ["speed"],  # 3+ syllables: the trigram index
        "속도예측": ["speed"],
        "정류": ["bus"],
        "버스 위치": ["bus"],
        "위치 버스": ["bus"],
        "지하철": [],
        "교통 먼지": [],  # every word must match
    }
    assert found(catalog, cases) == cases


def test_english_words(catalog: Catalog) -> None:
    cases = {
        "traffic": ["speed"],
        "TRAFFIC Speed": ["speed"],
        "forecast traffic": ["speed"],  # any order
        "traf": ["speed"],  # a word's start
        "raffic": [],  # not the middle of an English word
        "pm10": ["dust"],
        "PM": ["dust"],
        "air quality": ["dust"],
        "quality air hourly": ["dust"],
        "st": ["bus", "dust"],  # 2 letters: stops, station
        "daejeon": ["bus", "dust", "speed"],  # the organization's English name
    }
    assert found(catalog, cases) == cases


def test_korean_and_english_mixed(catalog: Catalog) -> None:
    cases = {"교통 traffic": ["speed"], "미세 pm10": ["dust"], "bus 정류장": ["bus"],
             "traffic 버스": []}
    assert found(catalog, cases) == cases


def test_spacing_may_differ_between_query_and_text(catalog: Catalog) -> None:
    """Korean spacing varies (미세먼지, 미세 먼지): each side is read both ways, which is
    what a morphological analyser would buy us here, without its 500 MB (docs/datasets.md)."""
    assert catalog.slugs("미세먼지") == ["dust"]  # the title says 미세 먼지
    assert catalog.slugs("먼지농도") == ["dust"]
    assert catalog.slugs("대전 교통 속도") == ["speed"]  # the title says 대전교통속도예측


def test_column_names_descriptions_tags_and_organizations_are_searched(
    catalog: Catalog,
) -> None:
    assert catalog.slugs("측정일시") == ["speed"]  # a column of the published version
    assert catalog.slugs("link_id") == ["speed"]
    assert catalog.slugs("kmh") == ["speed"]  # speed_kmh is two words
    assert catalog.slugs("좌표") == ["bus"]  # Korean description
    assert catalog.slugs("readings") == ["dust"]  # English description
    assert catalog.slugs("대기질") == ["dust"]  # tag
    gwangju = catalog.organization("gj-transport", "광주교통공사", "Gwangju Transit")
    catalog.dataset("gj-bus", "노선 정보", host=gwangju, organization="gj-transport")
    assert catalog.slugs("교통공사") == ["gj-bus"]
    assert catalog.slugs("transit") == ["gj-bus"]
    assert catalog.slugs("gj transport") == ["gj-bus"]  # the organization's slug


def test_only_the_latest_published_version_gives_columns_and_formats(
    catalog: Catalog,
) -> None:
    catalog.version("speed", "2.0.0", [File("v2.parquet", "application/vnd.apache.parquet",
                                            ["통행시간"])], publish=False)
    assert catalog.slugs("통행시간") == []  # a draft's columns are not searched
    catalog.version("speed", "2.0.0-rc", [File("v2.jsonl", "application/jsonl",
                                               ["통행시간"])])
    assert catalog.slugs("통행시간") == ["speed"]
    assert catalog.slugs("측정일시") == []  # the older version's columns are gone
    result = catalog.search("speed")
    assert [(f.value, f.count) for f in result.facets["format"]] == [("jsonl", 1)]
