"""A newcomer signs up, joins the elderly-care challenge, drops the sample file on the
submit page and watches its score arrive, all without a page reload."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from livebrowser import PageMaker, drop_file, join_on_the_rules_tab, path_of, sign_up, tab, text

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

SLUG = "elderly-care-power"
SCORE_SECONDS = 30_000  # ms; scoring takes well under a second, the machine may be busy


def download_sample(page: Page, locale: str, into: Path) -> Path:
    sample = page.locator("main a[download]").filter(has_text="sample_submission")
    with page.expect_download() as waiting:
        sample.first.click()
    target = into / waiting.value.suggested_filename
    waiting.value.save_as(target)
    return target


@pytest.mark.parametrize("locale", ["ko", "en"])
def test_a_newcomer_signs_up_joins_drops_the_sample_and_sees_its_score_appear(
    browse: PageMaker, locale: str, tmp_path: Path
) -> None:
    page = browse(locale)
    sign_up(page, f"newcomer-{locale}")
    join_on_the_rules_tab(page, locale, SLUG)
    sample = download_sample(page, locale, tmp_path)
    assert sample.read_text().startswith("id,")

    tab(page, locale, "Submit").click()
    page.wait_for_url(f"**/challenges/{SLUG}/submit")
    drop_file(page, "[data-dropzone]", sample.name, sample.read_text())
    assert page.locator("#f-file").evaluate("input => input.files[0].name") == sample.name

    # A reload would lose this mark: the score must come in place.
    page.evaluate("window.stillTheSamePage = true")
    page.locator('main form[data-upload] button[type="submit"]').click()
    status = page.locator("#upload-result .submission-status")
    status.get_by_text(text(locale, "Public score")).wait_for(timeout=SCORE_SECONDS)
    assert page.evaluate("window.stillTheSamePage === true")
    assert path_of(page) == f"/challenges/{SLUG}/submit"
    # The sample predicts one value for every row: a ROC AUC of exactly one half.
    assert float(status.locator("strong").first.inner_text()) == pytest.approx(0.5)
    # The form is ready for the next file.
    assert page.locator("#f-file").evaluate("input => input.files.length") == 0

    status.get_by_role("link", name=text(locale, "See the leaderboard")).click()
    mine = page.locator("table.leaderboard tr.mine")
    assert f"newcomer-{locale}" in mine.inner_text()
    assert text(locale, "your team") in mine.inner_text()


def test_a_file_in_the_wrong_shape_is_refused_next_to_the_form_and_not_counted(
    page: Page, tmp_path: Path
) -> None:
    sign_up(page, "wrong-shape")
    join_on_the_rules_tab(page, "ko", SLUG)
    page.goto(f"/challenges/{SLUG}/submit")
    bad = tmp_path / "predictions.csv"
    bad.write_text("id,something_else\n1,0.5\n")
    page.locator("#f-file").set_input_files(bad)
    page.evaluate("window.stillTheSamePage = true")
    page.locator('main form[data-upload] button[type="submit"]').click()
    alert = page.locator("#upload-result [role=alert]")
    alert.wait_for()
    assert alert.inner_text().strip()
    assert page.evaluate("window.stillTheSamePage === true")

    page.goto(f"/challenges/{SLUG}/submit")
    assert page.locator("section[aria-labelledby=usage-title] strong").first.inner_text()\
        .startswith("0 /"), "a refused file must not count against the day's submissions"


def test_another_teams_submission_is_not_found_in_the_browser(
    browse: PageMaker, tmp_path: Path
) -> None:
    owner = browse("ko")
    sign_up(owner, "owner-of-one")
    join_on_the_rules_tab(owner, "ko", SLUG)
    sample = download_sample(owner, "ko", tmp_path)
    owner.goto(f"/challenges/{SLUG}/submit")
    owner.locator("#f-file").set_input_files(sample)
    owner.locator('main form[data-upload] button[type="submit"]').click()
    status = owner.locator("#upload-result .submission-status")
    status.wait_for()
    submission = status.get_attribute("id")
    assert submission is not None
    number = submission.removeprefix("submission-")

    other = browse("ko")
    sign_up(other, "curious-neighbour")
    response = other.goto(f"/submissions/{number}")
    assert response is not None
    assert response.status == 404
    assert other.locator(".submission-status").count() == 0


def test_without_javascript_a_member_still_joins_submits_and_reads_the_score(
    browse: PageMaker, tmp_path: Path
) -> None:
    page = browse("en", javascript=False)
    sign_up(page, "no-script")
    join_on_the_rules_tab(page, "en", SLUG)
    sample = download_sample(page, "en", tmp_path)
    page.goto(f"/challenges/{SLUG}/submit")
    page.locator("#f-file").set_input_files(sample)
    with page.expect_navigation():
        page.locator('main form[data-upload] button[type="submit"]').click()
    # The plain form answers with the submission's own page; reloading it shows the score.
    assert path_of(page).startswith("/submissions/")
    score = page.get_by_text(text("en", "Public score"))
    for _ in range(60):
        if score.count():
            break
        page.wait_for_timeout(500)
        page.reload()
    assert float(page.locator(".submission-status strong").first.inner_text()) == pytest.approx(0.5)
