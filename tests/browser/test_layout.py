"""The frame of every page in a real browser: keyboard use and the language switch."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from livebrowser import path_of, text

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser


def _focused_is(page: Page, selector: str) -> bool:
    found: bool = page.locator(selector).first.evaluate("el => el === document.activeElement")
    return found


def test_first_tab_reaches_the_skip_link_which_shows_and_jumps_to_the_content(
    page: Page,
) -> None:
    page.goto("/")
    page.keyboard.press("Tab")
    assert _focused_is(page, "a.skip-link")
    skip = page.locator("a.skip-link")
    assert skip.inner_text() == text("ko", "Skip to content")
    box = skip.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["y"] >= 0, "the focused skip link must be on screen"
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")


def test_tab_then_reaches_the_main_navigation_and_enter_follows_it(page: Page) -> None:
    page.goto("/")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate(
        "() => document.activeElement.closest('header nav') !== null"
    ), "the second Tab stop must be in the main navigation"
    for _ in range(5):
        if _focused_is(page, 'header nav a[href="/challenges"]'):
            break
        page.keyboard.press("Tab")
    else:
        pytest.fail("Tab never reached the challenge list in the main navigation")
    page.keyboard.press("Enter")
    page.wait_for_url("**/challenges")
    assert path_of(page) == "/challenges"


def test_language_switch_changes_the_page_language_and_keeps_the_place(page: Page) -> None:
    page.goto("/challenges")
    assert page.locator("html").get_attribute("lang") == "ko"
    nav_link = page.locator('header nav a[href="/challenges"]')
    assert nav_link.inner_text() == text("ko", "Challenges")

    page.locator('header nav a[hreflang="en"]').click()
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert path_of(page) == "/challenges"
    assert nav_link.inner_text() == "Challenges"

    # The choice is remembered: the next page is English too.
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "en"
    page.locator('header nav a[hreflang="ko"]').click()
    page.wait_for_function("document.documentElement.lang === 'ko'")
    assert path_of(page) == "/"


def test_an_english_browser_gets_english_pages_first(page_en: Page) -> None:
    page_en.goto("/")
    assert page_en.locator("html").get_attribute("lang") == "en"
    assert page_en.locator('header nav a[href="/challenges"]').inner_text() == "Challenges"
