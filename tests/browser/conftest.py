"""Real-browser tests: the demo hub, seeded and served by ``aihub demo`` itself on a free
port, driven by Playwright through Debian's Chromium (never a downloaded browser).

One server and one browser serve the whole session; each test gets fresh browser contexts
(cookie jars), so people in one test never share a login with another.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from livebrowser import CHROMIUM, LiveHub, PageMaker, log_in

from aihub.demo import DEMO_CHALLENGES

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, StorageState

SERVER_START_SECONDS = 90


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"aihub demo exited with {process.returncode}:\n{_tail(log)}")
        try:
            if httpx.get(url + "/api/v1/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail(f"aihub demo did not answer within {SERVER_START_SECONDS}s:\n{_tail(log)}")


def _wait_for_baselines(url: str) -> None:
    """The seeded baselines are scored by the server's workers once it runs; tests start
    from the boards a visitor of the demo sees."""
    deadline = time.monotonic() + SERVER_START_SECONDS
    for slug in DEMO_CHALLENGES:
        while not httpx.get(f"{url}/api/v1/challenges/{slug}/leaderboard", timeout=5).json()[
            "rows"
        ]:
            if time.monotonic() > deadline:
                pytest.fail(f"the baselines of {slug} were not scored in time")
            time.sleep(0.2)


def _tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveHub]:
    """``aihub demo`` in a fresh data folder: three seeded challenges, in-process workers."""
    data_dir = tmp_path_factory.mktemp("browser-hub")
    port = _free_port()
    # Only this hub's own settings: a developer's AIHUB_DATABASE_URL must not leak in.
    env = {key: value for key, value in os.environ.items() if not key.startswith("AIHUB_")}
    env["AIHUB_WORKER_POLL_SECONDS"] = "0.1"
    log = data_dir / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "aihub", "demo", "--data-dir", str(data_dir / "hub"),
             "--port", str(port), "--host", "127.0.0.1"],
            stdout=out, stderr=subprocess.STDOUT, env=env,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process, log)
        _wait_for_baselines(url)
        yield LiveHub.read(url, data_dir / "hub")
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install chromium fonts-noto-cjk "
                    "(scripts/test.sh does it when it may)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed: pip install -e '.[test]'")
    with sync_playwright() as playwright:
        # --no-sandbox: Chromium's own sandbox cannot start as root (CI containers); the
        # pages it opens are this hub's.
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def signed_in() -> dict[str, StorageState]:
    """The cookies of each demo account once logged in, so that tests which are not about
    logging in do not each pay for the form and the password hash."""
    return {}


@pytest.fixture
def browse(
    browser: Browser, live_server: LiveHub, signed_in: dict[str, StorageState]
) -> Iterator[PageMaker]:
    """Opens a page in a new browser (own cookies): ``browse("en", width=375)``, or logged
    in as a demo account: ``browse("ko", user="host")``."""
    contexts = []

    def open_page(
        locale: str = "ko", *, width: int = 1280, height: int = 900, user: str | None = None,
        javascript: bool = True,
    ) -> Page:
        context = browser.new_context(
            base_url=live_server.url, java_script_enabled=javascript,
            locale="ko-KR" if locale == "ko" else "en-US",
            viewport={"width": width, "height": height},
            storage_state=signed_in.get(user) if user else None,
        )
        # Short enough that a missing element fails fast, long enough for a loaded machine.
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        if user and user not in signed_in:
            log_in(page, user, live_server.passwords[user])
            signed_in[user] = context.storage_state()
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(browse: PageMaker) -> Page:
    """A Korean-reading visitor's page, 1280 px wide."""
    return browse("ko")


@pytest.fixture
def page_en(browse: PageMaker) -> Page:
    return browse("en")

