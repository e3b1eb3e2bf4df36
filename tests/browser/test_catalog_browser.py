"""The data catalog in a real browser: a visitor searches in Korean and reads an open
dataset's profile and first rows; a member accepts a registered dataset's licence and
downloads its file. Both pages pass axe-core.

The datasets are written into the demo hub's own database (the demo seeds none), as the
factories of the other tests write them: a clean intake, a curator's publication."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from livebrowser import LiveHub, PageMaker, assert_accessible, assert_fits_phone, path_of
from sqlalchemy import update

from aihub.datasets.models import DatasetFile
from aihub.datasets.profile import profile_path
from aihub.hub import Hub
from aihub.settings import Settings
from factories import Factories

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

CSV = "stop,riders\n대전역,120\n시청,85\n".encode()


@pytest.fixture(scope="module")
def datasets(live_server: LiveHub, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    folder = tmp_path_factory.mktemp("catalog-browser")
    hub = Hub(Settings(data_dir=live_server.data_dir, database_url=""), start_workers=False)
    try:
        factories = Factories(hub, folder / "bundles")
        host = factories.host("daejeon-transit")
        for slug, tier in (("bus-riders", "open"), ("bus-members", "registered")):
            factories.dataset(host, slug, tier=tier, organization="daejeon-transit",
                              files={"data/riders.csv": CSV}, tags=("버스정류장",))
        source = folder / "riders.csv"
        source.write_bytes(CSV)
        profile = profile_path(source, filename="riders.csv").to_dict()
        with hub.db.transaction() as session:
            session.execute(update(DatasetFile).where(DatasetFile.path == "data/riders.csv")
                            .values(profile=profile))
        yield
    finally:
        hub.close()


def test_a_visitor_searches_in_korean_and_reads_an_open_dataset(
    browse: PageMaker, datasets: None
) -> None:
    page = browse("ko")
    page.goto("/datasets")
    page.get_by_label("검색", exact=True).fill("정류")  # part of the tag 버스정류장
    page.locator('main form[action="/datasets"] button[type="submit"]').click()
    page.wait_for_url("**/datasets?q=*")  # htmx swapped the results and kept the address
    results = page.locator("#catalog ul.datasets")
    found = results.locator("h2 a").evaluate_all("links => links.map(a => a.pathname)")
    assert {"/datasets/bus-riders", "/datasets/bus-members"} <= set(found)
    assert f"데이터셋 {len(found)}개" in page.locator('#catalog p[role="status"]').inner_text()
    assert_accessible(page)
    results.locator('a[href="/datasets/bus-riders"]').click()
    page.wait_for_url("**/datasets/bus-riders")
    columns = page.locator("section", has=page.locator("h3", has_text="열")).first
    assert "riders" in columns.inner_text() and "integer" in columns.inner_text()
    assert "대전역" in page.locator(".preview").inner_text()
    assert_accessible(page)


def _accept_and_download(page: Page, tmp: Path) -> bytes:
    page.goto("/datasets/bus-members")
    assert page.locator(".preview").count() == 0  # not before the licence is accepted
    page.get_by_role("checkbox", name="이용허락 조건").check()
    with page.expect_navigation():
        page.locator('form[action="/datasets/bus-members/licence"] button').click()
    assert path_of(page).startswith("/datasets/bus-members")
    assert "대전역" in page.locator(".preview").inner_text()
    with page.expect_download() as info:
        page.locator('a[href$="/files/data/riders.csv"]').click()
    target = tmp / "riders.csv"
    info.value.save_as(target)
    return target.read_bytes()


def test_a_member_accepts_the_licence_and_downloads(
    browse: PageMaker, datasets: None, tmp_path: Path
) -> None:
    page = browse("ko", user="demo")
    assert _accept_and_download(page, tmp_path) == CSV


@pytest.mark.parametrize("locale", ["ko", "en"])
def test_a_member_asks_for_data(browse: PageMaker, locale: str) -> None:
    page = browse(locale, user="demo")
    page.goto("/data-requests")
    assert_accessible(page)
    page.goto("/data-requests/new")
    title = f"Bus stop riders by hour ({locale})"
    page.locator("#f-title").fill(title)
    page.locator("#f-description").fill("2020-2024, every stop, hourly boardings.")
    with page.expect_navigation():
        page.locator('main form button[type="submit"]').click()
    assert path_of(page).startswith("/data-requests/")
    assert page.locator("h1").inner_text() == title
    assert_accessible(page)


def test_the_catalog_fits_a_phone(browse: PageMaker, datasets: None) -> None:
    page = browse("en", width=375)
    for path in ("/datasets", "/datasets/bus-riders"):
        page.goto(path)
        assert_fits_phone(page)
