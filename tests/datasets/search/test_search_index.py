"""The index follows the catalog: metadata changes, publications and withdrawals,
renamed organizations, other processes' writes; a rebuild gives the same rows; the
migration fills it; SQLite's FTS5 table appears on first use and repairs itself."""

from __future__ import annotations

from typing import Any

import pytest
from search_helpers import Catalog, File, facets
from sqlalchemy import create_engine, select, text

from aihub import migrate
from aihub.accounts.models import Organization
from aihub.datasets import services, versions
from aihub.datasets.search import SearchQuery, search_datasets
from aihub.datasets.search_index import (
    DatasetSearch,
    DatasetSearchText,
    ensure_fts,
    rebuild_index,
)
from aihub.hub import Hub
from aihub.settings import Settings
from factories import Factories


@pytest.fixture
def catalog(hub: Hub, factories: Factories) -> Catalog:
    catalog = Catalog.make(hub, factories)
    catalog.dataset("speed", "교통 속도", tags=["도로"], files=[File(columns=["측정일시"])])
    return catalog


def test_metadata_changes_are_searched_at_once(catalog: Catalog) -> None:
    with catalog.hub.db.transaction() as session:
        services.update_dataset(session, services.get_dataset(session, "speed"), catalog.host,
                                services.DatasetChanges(title_ko="통행 시간", tags=["시간"],
                                                        access_tier="registered"))
    assert catalog.slugs("속도") == []
    assert catalog.slugs("통행") == ["speed"]
    assert facets(catalog.search()) == {
        "organization": {"daejeon-city": 1}, "licence": {"KOGL-1": 1},
        "tier": {"registered": 1}, "format": {"csv": 1}, "tag": {"시간": 1}}


def test_a_withdrawn_version_gives_back_the_previous_columns(catalog: Catalog) -> None:
    catalog.version("speed", "2.0.0", [File("v2.json", "application/json", ["통행시간"])])
    assert (catalog.slugs("통행시간"), catalog.slugs("측정일시")) == (["speed"], [])
    with catalog.hub.db.transaction() as session:
        dataset = services.get_dataset(session, "speed")
        version = versions.get_version(session, dataset, "2.0.0", catalog.host)
        versions.withdraw_version(session, version, catalog.host, "잘못된 값")
    assert (catalog.slugs("통행시간"), catalog.slugs("측정일시")) == ([], ["speed"])
    assert facets(catalog.search())["format"] == {"csv": 1}


def test_a_renamed_organization_is_searched_by_its_new_name(catalog: Catalog) -> None:
    with catalog.hub.db.transaction() as session:
        org = session.scalars(select(Organization).where(
            Organization.slug == "daejeon-city")).one()
        org.name_ko = "대전교통공사"
    assert catalog.slugs("교통공사") == ["speed"]


def test_another_process_writes_and_this_one_sees_it(catalog: Catalog,
                                                     settings: Settings) -> None:
    assert catalog.slugs() == ["speed"]  # this process now holds a snapshot
    other = Hub(settings, start_workers=False)  # its own engine, as another process has
    try:
        with other.db.transaction() as session:
            services.create_dataset(session, catalog.curator, organization="daejeon-city",
                                    slug="elsewhere", title_ko="다른 곳", licence_id="KOGL-1",
                                    access_tier="open")
        assert catalog.slugs(actor=catalog.curator) == ["elsewhere", "speed"]
        assert catalog.slugs("다른", actor=catalog.curator) == ["elsewhere"]
    finally:
        other.close()


def _index_rows(hub: Hub) -> list[Any]:
    with hub.db.reading() as session:
        compact = session.execute(select(DatasetSearch).order_by(DatasetSearch.dataset_id))
        texts = session.execute(select(DatasetSearchText.dataset_id, DatasetSearchText.doc,
                                       DatasetSearchText.grams)
                                .order_by(DatasetSearchText.dataset_id))
        return [{k: v for k, v in vars(row[0]).items() if not k.startswith("_")}
                for row in compact] + [tuple(row) for row in texts]


def test_a_rebuild_gives_the_rows_the_changes_gave(catalog: Catalog) -> None:
    catalog.dataset("bus", "버스", tags=["교통"], files=[File(columns=["정류장"])],
                    publish=False)
    catalog.version("speed", "2.0.0", [File("x.zip", "application/zip")])
    before = _index_rows(catalog.hub)
    assert len(before) == 4
    with catalog.hub.db.transaction() as session:
        assert rebuild_index(session.connection()) == 2
    assert _index_rows(catalog.hub) == before
    assert catalog.slugs("버스", actor=catalog.host) == ["bus"]


def test_the_migration_fills_the_index_from_the_catalog(catalog: Catalog) -> None:
    catalog.hub.db.dispose()
    engine = create_engine(catalog.hub.settings.database_url)
    try:
        migrate.downgrade(engine, "0006")
        migrate.upgrade(engine)
    finally:
        engine.dispose()
    assert catalog.slugs("측정일시") == ["speed"]
    assert facets(catalog.search())["tag"] == {"도로": 1}


def test_sqlite_creates_its_fts_table_on_first_use_and_repairs_it(
    hub: Hub, factories: Factories,
) -> None:
    if not hub.db.is_sqlite:
        pytest.skip("FTS5 is SQLite's; PostgreSQL's indexes come with the migration")
    fts = "SELECT count(*) FROM sqlite_master WHERE name LIKE 'dataset_search_fts%'"
    with hub.db.reading() as session:
        assert session.scalar(text(fts)) == 0  # not made by the migration (drift test)
    catalog = Catalog.make(hub, factories)
    catalog.dataset("speed", "교통 속도")
    with hub.db.transaction() as session:
        assert session.scalar(text(fts)) == 8  # the table, 4 shadow tables, 3 triggers
        session.execute(text("DROP TRIGGER dataset_search_fts_ai"))
        ensure_fts(session.connection())
    catalog.dataset("bus", "교통 버스")
    assert sorted(catalog.slugs("교통")) == ["bus", "speed"]


def test_postgres_planner_settings_are_restored_after_a_match(catalog: Catalog) -> None:
    if catalog.hub.db.is_sqlite:
        pytest.skip("only PostgreSQL's match turns sequential scans off")
    with catalog.hub.db.reading() as session:
        before = session.scalar(text("SHOW enable_seqscan"))
        assert search_datasets(session, catalog.visitor, SearchQuery(text="교통")).count == 1
        assert session.scalar(text("SHOW enable_seqscan")) == before == "on"
