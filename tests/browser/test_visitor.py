"""A visitor, not logged in, on the demo hub: from the home page to a leaderboard."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from livebrowser import PageMaker, path_of, tab, text

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

SLUG = "elderly-care-power"
BASELINE = {"ko": "가구별 평소 대비 로지스틱 회귀", "en": "Logistic regression on household norms"}


@pytest.mark.parametrize("locale", ["ko", "en"])
def test_a_visitor_goes_from_home_to_a_challenge_and_reads_its_leaderboard(
    browse: PageMaker, locale: str
) -> None:
    page = browse(locale)
    page.goto("/")
    page.locator(f'main a[href="/challenges/{SLUG}"]').first.click()
    page.wait_for_url(f"**/challenges/{SLUG}")
    assert page.locator("h1").first.inner_text().strip()

    # A visitor sees the tabs anyone may read, and not a member's.
    assert tab(page, locale, "Submit").count() == 0
    assert tab(page, locale, "Data").count() == 1
    tab(page, locale, "Leaderboard").click()
    page.wait_for_url(f"**/challenges/{SLUG}/leaderboard")

    board = page.locator("table.leaderboard")
    assert text(locale, "Public leaderboard") in board.locator("caption").inner_text()
    baseline = board.locator("tbody tr.baseline")
    assert BASELINE[locale] in baseline.inner_text()
    score = baseline.locator("td.num").nth(1).inner_text()
    assert 0.5 < float(score) <= 1.0, f"the baseline's ROC AUC reads {score!r}"


def test_a_visitor_is_not_shown_the_private_leaderboard_before_it_opens(page: Page) -> None:
    page.goto(f"/challenges/{SLUG}/leaderboard")
    boards = page.get_by_role("navigation", name=text("ko", "Boards"))
    assert boards.get_by_role("link", name=text("ko", "Private leaderboard")).count() == 0

    response = page.goto(f"/challenges/{SLUG}/leaderboard?split=private")
    assert response is not None
    assert response.status == 403
    assert page.locator("table.leaderboard").count() == 0
    assert path_of(page) == f"/challenges/{SLUG}/leaderboard?split=private"


def test_a_visitor_cannot_download_the_files_and_is_sent_to_log_in(page: Page) -> None:
    page.goto(f"/challenges/{SLUG}/data")
    assert page.locator('main a[href*="/files/"]').count() == 0
    response = page.goto(f"/challenges/{SLUG}/files/train.csv")
    assert response is not None
    assert path_of(page).startswith("/login?next=")


@pytest.mark.parametrize("locale", ["ko", "en"])
def test_on_a_phone_every_teams_score_is_in_view(browse: PageMaker, locale: str) -> None:
    # Long team and baseline names wrap; the score column must not slide off the screen
    # (the table may scroll sideways, but a reader should not have to).
    page = browse(locale, width=375, height=812)
    page.goto(f"/challenges/{SLUG}/leaderboard")
    scores = page.locator("table.leaderboard tbody tr td.num:nth-of-type(2)")
    assert scores.count() >= 2
    for index in range(scores.count()):
        box = scores.nth(index).bounding_box()
        assert box is not None and box["x"] + box["width"] <= 375, \
            f"row {index}'s score ends at {box['x'] + box['width'] if box else '?'} px"
