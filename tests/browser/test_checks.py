"""The checks the page tests rely on do fail on a bad page (no server needed)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from livebrowser import assert_accessible, assert_fits_phone

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

BAD_PAGE = """<!doctype html><html lang="en"><head><title>bad</title></head><body><main>
<h1>A bad page</h1>
<form><input name="nameless"><button></button></form>
<div style="width: 600px">too wide</div>
</main></body></html>"""


@pytest.fixture
def bare_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_content(BAD_PAGE)
    yield page
    context.close()


def test_axe_reports_a_field_without_a_label_and_a_button_without_a_name(
    bare_page: Page,
) -> None:
    with pytest.raises(AssertionError) as failure:
        assert_accessible(bare_page)
    report = str(failure.value)
    assert "button-name" in report
    assert "label" in report
    assert "dequeuniversity.com" in report  # each finding links to its explanation


def test_the_phone_check_names_what_is_too_wide(bare_page: Page) -> None:
    with pytest.raises(AssertionError) as failure:
        assert_fits_phone(bare_page)
    report = str(failure.value)
    assert "px wide at 375 px" in report
    assert "\n  div right=" in report
