"""A curator opens a private leaderboard early; from then on a visitor reads it."""

from __future__ import annotations

import pytest
from livebrowser import LiveHub, PageMaker, log_in, path_of, text

pytestmark = pytest.mark.browser

# Not the challenge the other tests read: its private board stays closed for them.
SLUG = "daejeon-traffic-speed"


def test_a_curator_reveals_a_private_leaderboard_and_a_visitor_then_reads_it(
    browse: PageMaker, live_server: LiveHub
) -> None:
    visitor = browse("en")
    closed = visitor.goto(f"/challenges/{SLUG}/leaderboard?split=private")
    assert closed is not None
    assert closed.status == 403
    assert visitor.locator("table.leaderboard").count() == 0

    curator = browse("en")
    log_in(curator, "curator", live_server.passwords["curator"])
    curator.goto("/curator")
    still_closed = curator.locator("section[aria-labelledby=reveal-heading] tr").filter(
        has_text=SLUG
    )
    still_closed.get_by_role("link", name=text("en", "Open early…")).click()
    curator.wait_for_url(f"**/curator/challenges/{SLUG}/reveal")
    # Opening cannot be undone, so the page asks first and offers the way out.
    assert curator.get_by_role("button", name=text("en", "Keep it closed")).is_visible()
    with curator.expect_navigation():
        curator.get_by_role("button", name=text("en", "Open it now")).click()
    assert path_of(curator) == f"/curator?revealed={SLUG}"
    assert curator.locator("section[aria-labelledby=reveal-heading] tr").filter(
        has_text=SLUG
    ).count() == 0

    visitor.goto(f"/challenges/{SLUG}/leaderboard")
    boards = visitor.get_by_role("navigation", name=text("en", "Boards"))
    boards.get_by_role("link", name=text("en", "Private leaderboard")).click()
    visitor.wait_for_url("**split=private**")
    board = visitor.locator("table.leaderboard")
    assert text("en", "Private leaderboard") in board.locator("caption").inner_text()
    rows = board.locator("tbody tr")
    assert rows.count() >= 1
    score = rows.first.locator("td.num").nth(1).inner_text()
    assert float(score) > 0, f"the private board shows {score!r} as a score"
