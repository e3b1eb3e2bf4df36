"""Croissant of published versions, checked by mlcroissant itself: validated with no
warning that matters, and its records loaded with no network from the hub's own blobs."""

from __future__ import annotations

import copy

import mlcroissant as mlc
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from open_formats_helpers import (
    API,
    all_formats,
    as_json,
    local_mapping,
    publish_profiled,
    records,
    validate,
)

from aihub.hub import Hub
from factories import Factories

# Deprecations inside mlcroissant 1.1.1's dependencies, not in our documents: rdflib 7.6's
# JSON-LD parser builds a ConjunctiveGraph; mlcroissant reads Parquet with
# reset_index(inplace=True), which pandas 3.1 deprecates.
pytestmark = [
    pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The inplace keyword in DataFrame.reset_index"),
]

# What mlcroissant 1.1.1 still says about our documents, and why it is right to leave it.
EXPECTED_WARNINGS: tuple[str, ...] = ()


@pytest.fixture
def published(api: TestClient, live_hub: Hub, live_factories: Factories) -> dict[str, object]:
    host = live_factories.host()
    publish_profiled(live_hub, live_factories, host, "air-quality", all_formats(),
                     licence="CC-BY-4.0")
    response = api.get(f"{API}/datasets/air-quality/croissant.json")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/ld+json"
    return as_json(response.content)


def test_mlcroissant_validates_without_warnings(published: dict[str, object],
                                                live_hub: Hub) -> None:
    checked = validate(published, local_mapping(live_hub, published))
    assert [w for w in checked.warnings if w not in EXPECTED_WARNINGS] == []


def test_csv_records_load_offline_with_their_types(published: dict[str, object],
                                                   live_hub: Hub) -> None:
    checked = validate(published, local_mapping(live_hub, published))
    rows = records(checked, "data/stations.csv")
    assert [r["data/stations.csv/station"] for r in rows] == [
        "중구 대청동", "서구 둔산동", "유성구, 구암동"]
    first = rows[0]
    assert first["data/stations.csv/pm10"] == 12
    assert first["data/stations.csv/ratio"] == 0.5
    assert first["data/stations.csv/measured_on"] == pd.Timestamp("2024-05-01")
    assert first["data/stations.csv/measured_at"] == pd.Timestamp("2024-05-01T09:00:00")
    assert [r["data/stations.csv/calibrated"] for r in rows] == [True, False, True]
    assert first["data/stations.csv/contact"] == "010-1234-5678"


def test_tsv_jsonl_and_parquet_records_load(published: dict[str, object],
                                            live_hub: Hub) -> None:
    checked = validate(published, local_mapping(live_hub, published))
    assert [(r["data/readings.tsv/station"], r["data/readings.tsv/value"])
            for r in records(checked, "data/readings.tsv")] == [("대덕구", 3), ("동구", 4)]
    assert [(r["data/lines.jsonl/id"], r["data/lines.jsonl/label"])
            for r in records(checked, "data/lines.jsonl")] == [(1, "맑음"), (2, "흐림")]
    assert [(r["data/pm25.parquet/station"], r["data/pm25.parquet/pm25"])
            for r in records(checked, "data/pm25.parquet")] == [("중구", 4.5), ("서구", 8.0)]


def test_a_wrong_sha256_fails_the_load(published: dict[str, object], live_hub: Hub) -> None:
    """mlcroissant checks each file's hash against the document: ours are the blobs'."""
    broken = copy.deepcopy(published)
    distribution = broken["distribution"]
    assert isinstance(distribution, list)
    target = next(d for d in distribution if d["name"] == "data/readings.tsv")
    target["sha256"] = "0" * 64
    checked = validate(broken, local_mapping(live_hub, published))
    with pytest.raises(mlc.GenerationError) as failure:
        records(checked, "data/readings.tsv")
    assert "Hash" in repr(failure.value.__cause__)
