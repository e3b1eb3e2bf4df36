"""What the browser tests share beside their fixtures: the live hub's address and demo
passwords, the axe-core check, the narrow-screen check, and logging in through the form."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from aihub.web.i18n import translations

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

CHROMIUM = os.environ.get("AIHUB_TEST_CHROMIUM", "/usr/bin/chromium")
AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1.min.js"
BLOCKING_IMPACTS = ("serious", "critical")
PHONE_WIDTH = 375


class PageMaker(Protocol):
    """The ``browse`` fixture: a page in a new browser context (its own cookies)."""

    def __call__(
        self, locale: str = "ko", *, width: int = 1280, height: int = 900,
        user: str | None = None, javascript: bool = True,
    ) -> Page: ...


@dataclass(frozen=True)
class LiveHub:
    url: str
    data_dir: Path
    passwords: dict[str, str]

    @classmethod
    def read(cls, url: str, data_dir: Path) -> LiveHub:
        # ``aihub demo`` writes "name<TAB>password" lines for curator, host and demo.
        lines = (data_dir / "demo-credentials.txt").read_text(encoding="utf-8").splitlines()
        passwords = dict(line.split("\t", 1) for line in lines if "\t" in line)
        return cls(url, data_dir, passwords)


@cache
def _axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def _describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']} "
                     f"({violation['helpUrl']})")
        for node in violation["nodes"][:5]:
            target = " ".join(str(part) for part in node["target"])
            summary = " ".join(node.get("failureSummary", "").split())
            lines.append(f"    at {target}: {summary[:300]}")
        if len(violation["nodes"]) > 5:
            lines.append(f"    … and {len(violation['nodes']) - 5} more")
    return "\n".join(lines)


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """The page's serious and critical accessibility violations found by axe-core."""
    # Evaluated over the DevTools protocol rather than added as a <script> tag, so a strict
    # Content-Security-Policy on our pages can never switch the check off.
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source())
    result: dict[str, Any] = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    return [v for v in result["violations"] if v["impact"] in BLOCKING_IMPACTS]


def assert_accessible(page: Page) -> None:
    violations = axe_violations(page)
    assert not violations, (
        f"axe-core finds {len(violations)} serious or critical problems on {page.url} "
        f"(lang={page.evaluate('document.documentElement.lang')}):\n" + _describe(violations)
    )


_WIDER_THAN_SCREEN = """(width) => {
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (box.right > width + 0.5 && box.width > 0) {
      const cls = el.className && typeof el.className === 'string'
        ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
      out.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${cls} `
               + `right=${Math.round(box.right)}`);
    }
  }
  return out.slice(0, 10);
}"""


def assert_fits_phone(page: Page) -> None:
    """At 375 px the page scrolls only down, never sideways."""
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 812})
    scroll_width: int = page.evaluate("document.documentElement.scrollWidth")
    if scroll_width > PHONE_WIDTH:
        wide = page.evaluate(_WIDER_THAN_SCREEN, PHONE_WIDTH)
        raise AssertionError(
            f"{page.url} is {scroll_width} px wide at {PHONE_WIDTH} px; widest elements:\n  "
            + "\n  ".join(wide)
        )


def path_of(page: Page) -> str:
    return re.sub(r"^https?://[^/]+", "", page.url)


def text(locale: str, message: str, **values: object) -> str:
    """What the page shows for ``message`` in ``locale``: the tests read the same catalogs."""
    translated = translations(locale).gettext(message)
    return translated % values if values else translated


def log_in(page: Page, username: str, password: str) -> None:
    """Log in through the log-in form, as a person would; waits for the page after it."""
    page.goto("/login")
    form = page.locator('main form[action="/login"]')
    form.locator('input[name="login"]').fill(username)
    form.locator('input[name="password"]').fill(password)
    with page.expect_navigation():
        form.locator('button[type="submit"]').click()
    assert path_of(page) != "/login", f"logging in as {username} failed"


def sign_up(page: Page, username: str, password: str = "correct horse battery") -> None:
    """Create an account through the sign-up form; the browser is then logged in."""
    page.goto("/signup")
    form = page.locator('main form[action="/signup"]')
    form.locator('input[name="username"]').fill(username)
    form.locator('input[name="email"]').fill(f"{username}@example.org")
    form.locator('input[name="password"]').fill(password)
    form.locator('input[name="password_repeat"]').fill(password)
    with page.expect_navigation():
        form.locator('button[type="submit"]').click()
    assert path_of(page) == "/me", f"signing up as {username} ended on {page.url}"


def drop_file(page: Page, selector: str, name: str, content: str) -> None:
    """Drag a file from the desktop and drop it on ``selector``, as a person would."""
    data = page.evaluate_handle(
        """([name, content]) => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([content], name, {type: "text/csv"}));
            return transfer;
        }""",
        [name, content],
    )
    zone = page.locator(selector)
    for event in ("dragenter", "dragover", "drop"):
        zone.dispatch_event(event, {"dataTransfer": data})


def tab(page: Page, locale: str, name: str) -> Locator:
    """A challenge page's tab, by the name the reader sees."""
    tabs = page.get_by_role("navigation", name=text(locale, "Challenge sections"))
    return tabs.get_by_role("link", name=text(locale, name), exact=True)


def join_on_the_rules_tab(page: Page, locale: str, slug: str) -> None:
    """Accept a challenge's rules on its Rules tab; lands on its Data tab."""
    page.goto(f"/challenges/{slug}")
    tab(page, locale, "Rules").click()
    form = page.locator(f'main form[action="/challenges/{slug}/join"]')
    for box in form.locator('input[type="checkbox"]').all():
        box.check()
    with page.expect_navigation():
        form.locator('button[type="submit"]').click()
    assert path_of(page) == f"/challenges/{slug}/data", (
        f"joining ended on {page.url}: {page.locator('main').inner_text()[:300]}"
    )
