"""A host creates a dataset and a version, uploads a file through the page's tus client
(progress bar, a reload and a lost connection on the way, resumed each time), submits it;
the intake scans it; a curator clears the finding and publishes."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from livebrowser import LiveHub, PageMaker, assert_accessible, path_of

if TYPE_CHECKING:
    from playwright.sync_api import Page, Request, Route

pytestmark = pytest.mark.browser

SLUG = "browser-air"
VERSION = f"/host/datasets/{SLUG}/versions/1.0.0"
CHUNK = 1024 * 1024  # smaller chunks than the page's 8 MiB, so a few-MB file has several
INTAKE_SECONDS = 90


def _csv(path: Path, rows: int = 300_000) -> int:
    """A few MB of air-quality rows; one holds a mobile number for the curator to see."""
    with path.open("w", encoding="utf-8") as out:
        out.write("station,pm10,contact\n")
        out.write("중구,31,010-1234-5678\n")
        out.writelines(f"서구{i % 97},{i % 150},\n" for i in range(rows))
    return path.stat().st_size


def _create_dataset_and_version(host: Page, slug: str = SLUG) -> None:
    host.goto("/host/datasets/new")
    form = host.locator('main form[action="/host/datasets/new"]')
    form.locator('[name="slug"]').fill(slug)
    form.locator('[name="title_ko"]').fill("브라우저 대기질")
    form.locator('[name="title_en"]').fill("Browser air quality")
    form.locator('[name="tags"]').fill("air, 대기질")
    with host.expect_navigation():
        form.locator('button[type="submit"]').click()
    assert path_of(host) == f"/host/datasets/{slug}/versions/new?created=1", (
        host.locator("main .field-error").all_inner_texts())
    host.locator('[name="label"]').fill("1.0.0")
    host.locator('[name="message"]').fill("First release")
    with host.expect_navigation():
        host.locator('main form button[type="submit"]').click()
    assert path_of(host) == f"/host/datasets/{slug}/versions/1.0.0"


def _start_upload(host: Page, csv: Path) -> None:
    host.evaluate(f"document.querySelector('form[data-tus-upload]').dataset.chunkBytes = {CHUNK}")
    host.locator('form[data-tus-upload] [name="file"]').set_input_files(csv)
    host.locator('form[data-tus-upload] [name="path"]').fill("data/air.csv")
    host.locator("form[data-tus-upload] [data-tus-start]").click()


def _progress(host: Page) -> tuple[float, float]:
    value, maximum = host.evaluate(
        "(() => { const bar = document.querySelector('[data-tus-progress] progress');"
        " return [bar.value, bar.max]; })()")
    return float(value), float(maximum)


def test_a_host_uploads_with_progress_and_resumes_and_a_curator_publishes(
    browse: PageMaker, live_server: LiveHub, tmp_path: Path,
) -> None:
    csv = tmp_path / "air.csv"
    size = _csv(csv)
    assert size > 3 * CHUNK
    host = browse("en", user="host")
    _create_dataset_and_version(host)
    assert_accessible(host)  # the upload form, its progress region, the submit form

    # First try: the connection is lost after the first chunk and stays lost.
    patches: list[str] = []

    def cut_after_first(route: Route, request: Request) -> None:
        if request.method == "PATCH":
            patches.append(request.headers.get("upload-offset", ""))
            if len(patches) > 1:
                route.abort("connectionreset")
                return
        route.continue_()

    host.route("**/api/v1/uploads/**", cut_after_first)
    _start_upload(host, csv)
    status = host.locator("[data-tus-status]")
    status.filter(has_text="connection was lost").wait_for()
    assert _progress(host)[0] == CHUNK  # the bar shows the chunk that arrived
    host.unroute("**/api/v1/uploads/**")

    # The page is reloaded; the same file is chosen again and the upload resumes where the
    # hub says it stands. One more lost PATCH on the way is retried after a HEAD.
    host.reload()
    sent: list[str] = []
    cut_once: list[bool] = []

    def resume(route: Route, request: Request) -> None:
        if request.method == "PATCH":
            sent.append(request.headers.get("upload-offset", ""))
            if len(sent) == 2 and not cut_once:
                cut_once.append(True)
                route.abort("connectionreset")
                return
        route.continue_()

    host.route("**/api/v1/uploads/**", resume)
    # The attach form is held until the test has looked at the finished progress bar.
    # (A function would be called by evaluate: the assignment is made inside one.)
    host.evaluate("() => { document.getElementById('attach-form').submit ="
                  " () => { window.attachHeld = true; }; }")
    _start_upload(host, csv)
    host.wait_for_function("window.attachHeld === true", timeout=60_000)
    value, maximum = _progress(host)
    assert value == maximum == size
    assert sent[0] == str(CHUNK), sent  # resumed, not sent again from 0
    assert cut_once and sent.count(sent[1]) == 2, sent  # the cut chunk was sent again
    with host.expect_navigation():
        host.evaluate("HTMLFormElement.prototype.submit.call("
                      "document.getElementById('attach-form'))")
    assert path_of(host) == f"{VERSION}?done=attached"
    files = host.locator("main table").first.inner_text()
    assert "data/air.csv" in files

    # Submitted: the page polls the intake until the scan is done and reloads itself.
    with host.expect_navigation():
        host.locator(f'main form[action="{VERSION}/submit"] button').click()
    host.get_by_text("awaits a curator's review").wait_for(timeout=INTAKE_SECONDS * 1000)
    assert "KR_MOBILE" in host.locator("#findings").inner_text()
    assert "010-1234-5678" not in host.content()

    curator = browse("en", user="curator")
    curator.goto("/curator/datasets")
    with curator.expect_navigation():
        curator.locator(f'a[href="/curator/datasets/{SLUG}/versions/1.0.0/review"]').click()
    assert curator.locator('main form[action$="/publish"] button').is_disabled()
    assert_accessible(curator)
    finding = curator.locator("article.finding").filter(has_text="KR_MOBILE")
    assert "010-****-5678" in finding.inner_text()
    finding.locator('[name="reason"]').fill("The agency's public contact number")
    with curator.expect_navigation():
        finding.get_by_role("button", name="Clear").click()
    with curator.expect_navigation():
        curator.locator('main form[action$="/publish"] button').click()
    assert path_of(curator) == "/curator/datasets?done=published"
    response = curator.goto(f"/api/v1/datasets/{SLUG}/versions/1.0.0")
    assert response is not None and response.json()["status"] == "published"


@pytest.mark.parametrize("locale", ["ko", "en"])
def test_the_catalog_admin_lists_and_forms_are_accessible(browse: PageMaker, locale: str
                                                          ) -> None:
    host = browse(locale, user="host")
    for path in ("/host/datasets", "/host/datasets/new"):
        response = host.goto(path)
        assert response is not None and response.status == 200, path
        assert_accessible(host)
    curator = browse(locale, user="curator")
    response = curator.goto("/curator/datasets")
    assert response is not None and response.status == 200
    assert_accessible(curator)


def test_without_javascript_the_plain_form_uploads(browse: PageMaker, tmp_path: Path) -> None:
    csv = tmp_path / "small.csv"
    csv.write_text("station,pm10\n중구,31\n", encoding="utf-8")
    host = browse("ko", user="host", javascript=False)
    _create_dataset_and_version(host, "browser-plain")
    version = "/host/datasets/browser-plain/versions/1.0.0"
    host.locator('form[data-tus-upload] [name="file"]').set_input_files(csv)
    with host.expect_navigation():
        host.locator("form[data-tus-upload] [data-tus-start]").click()
    assert path_of(host) == f"{version}?done=attached"
    assert "small.csv" in host.locator("main table").first.inner_text()
