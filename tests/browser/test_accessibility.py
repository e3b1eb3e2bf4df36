"""Each main page, in Korean and in English: no serious or critical axe-core finding, and
no sideways scrolling on a 375 px phone."""

from __future__ import annotations

import httpx
import pytest
from livebrowser import LiveHub, PageMaker, assert_accessible, assert_fits_phone

pytestmark = pytest.mark.browser

SLUG = "elderly-care-power"

# (address, the demo account that sees it, or None for a visitor)
PAGES = [
    ("/", None),
    ("/challenges", None),
    (f"/challenges/{SLUG}", None),
    (f"/challenges/{SLUG}/leaderboard", None),
    ("/login", None),
    ("/signup", None),
    (f"/challenges/{SLUG}/submit", "demo"),
    (f"/challenges/{SLUG}/submissions", "demo"),
    ("/host/new", "host"),
    (f"/host/challenges/{SLUG}", "host"),
    ("/curator", "curator"),
]


@pytest.fixture(scope="module")
def demo_member_joined(live_server: LiveHub) -> None:
    """The demo member has accepted the rules, so the submit page shows its form."""
    token = (live_server.data_dir / "demo-token").read_text(encoding="utf-8").strip()
    answer = httpx.post(f"{live_server.url}/api/v1/challenges/{SLUG}/join",
                        headers={"Authorization": f"Bearer {token}"}, timeout=10)
    answer.raise_for_status()


@pytest.mark.usefixtures("demo_member_joined")
@pytest.mark.parametrize("locale", ["ko", "en"])
@pytest.mark.parametrize(("path", "who"), PAGES, ids=[path for path, _ in PAGES])
def test_page_is_accessible_and_fits_a_phone(
    browse: PageMaker, path: str, who: str | None, locale: str
) -> None:
    page = browse(locale, user=who)
    response = page.goto(path)
    assert response is not None
    assert response.status == 200, f"{path} answered {response.status}"
    assert page.locator("html").get_attribute("lang") == locale
    assert_accessible(page)
    assert_fits_phone(page)
