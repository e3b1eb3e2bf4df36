#!/usr/bin/env python3
"""Screenshots of the web UI for docs/web.md, in Korean and English.

Seeds a fresh demo hub with ``aihub demo`` (the same server the browser tests use), has
the demo member take part in ``elderly-care-power`` through the API so the pages show a
real entry, then photographs each main page with Debian's Chromium:
``docs/screenshots/<name>.<ko|en>.png``, 1280 px wide and at most 2000 px high, plus the
leaderboard on a 375 px phone (``leaderboard.phone.<ko|en>.png``).

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--only leaderboard]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from playwright.sync_api import Browser, Page, ViewportSize, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("AIHUB_TEST_CHROMIUM", "/usr/bin/chromium")
CHALLENGE = "elderly-care-power"
DESKTOP = ViewportSize(width=1280, height=900)
PHONE = ViewportSize(width=375, height=812)
MAX_HEIGHT = 2000  # longer pages are clipped: the top is what a reader of the docs needs


@dataclass(frozen=True)
class Shot:
    name: str
    path: str
    who: str | None = None  # a demo account to log in as first
    phone: bool = False


SHOTS = (
    Shot("home", "/"),
    Shot("challenges", "/challenges"),
    Shot("challenge", f"/challenges/{CHALLENGE}"),
    Shot("data", f"/challenges/{CHALLENGE}/data"),
    Shot("rules", f"/challenges/{CHALLENGE}/rules"),
    Shot("leaderboard", f"/challenges/{CHALLENGE}/leaderboard"),
    Shot("leaderboard.phone", f"/challenges/{CHALLENGE}/leaderboard", phone=True),
    Shot("login", "/login"),
    Shot("signup", "/signup"),
    Shot("submit", f"/challenges/{CHALLENGE}/submit", who="demo"),
    Shot("submissions", f"/challenges/{CHALLENGE}/submissions", who="demo"),
    Shot("team", f"/challenges/{CHALLENGE}/team", who="demo"),
    Shot("host", "/host", who="host"),
    Shot("host-new", "/host/new", who="host"),
    Shot("host-manage", f"/host/challenges/{CHALLENGE}", who="host"),
    Shot("curator", "/curator", who="curator"),
)


def say(message: str) -> None:
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def demo_hub(data_dir: Path) -> Iterator[str]:
    """``aihub demo`` serving ``data_dir`` on a free port; yields its address."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("AIHUB_")}
    log = data_dir.parent / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own CLI, fixed arguments
            [sys.executable, "-m", "aihub", "demo", "--data-dir", str(data_dir),
             "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT, env=env,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("aihub demo did not start:\n" + log.read_text(errors="replace"))
            try:
                if httpx.get(url + "/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=15)


def take_part(url: str, data_dir: Path) -> None:
    """The demo member joins and submits the sample file, as the CLI would."""
    token = (data_dir / "demo-token").read_text(encoding="utf-8").strip()
    api = httpx.Client(base_url=url + "/api/v1", timeout=60,
                       headers={"Authorization": f"Bearer {token}"})
    with api:
        api.post(f"/challenges/{CHALLENGE}/join").raise_for_status()
        sample = api.get(f"/challenges/{CHALLENGE}/files/sample_submission.csv")
        sample.raise_for_status()
        answer = api.post(
            f"/challenges/{CHALLENGE}/submissions", params={"wait": 30},
            files={"file": ("sample_submission.csv", sample.content, "text/csv")},
            data={"message": "sample"},
        )
        answer.raise_for_status()
        say(f"demo member's sample scored: {answer.json().get('status')}")


def wait_for_baselines(url: str) -> None:
    # The seeded baselines are scored by the server's workers just after it starts.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        board = httpx.get(f"{url}/api/v1/challenges/{CHALLENGE}/leaderboard", timeout=10)
        if board.status_code == 200 and board.json().get("rows"):
            return
        time.sleep(0.5)


def passwords(data_dir: Path) -> dict[str, str]:
    lines = (data_dir / "demo-credentials.txt").read_text(encoding="utf-8").splitlines()
    return dict(line.split("\t", 1) for line in lines if "\t" in line)


def log_in(page: Page, username: str, password: str) -> None:
    page.goto("/login")
    page.locator('main form input[name="login"]').fill(username)
    page.locator('main form input[name="password"]').fill(password)
    page.locator('main form [type="submit"]').click()
    page.wait_for_load_state()


def photograph(
    browser: Browser, url: str, shots: list[Shot], data_dir: Path, out: Path
) -> list[str]:
    """Takes every shot; returns the ones whose page did not answer 200."""
    secrets = passwords(data_dir)
    failed: list[str] = []
    for locale in ("ko", "en"):
        for shot in shots:
            context = browser.new_context(
                base_url=url, locale="ko-KR" if locale == "ko" else "en-US",
                viewport=PHONE if shot.phone else DESKTOP,
            )
            page = context.new_page()
            if shot.who:
                log_in(page, shot.who, secrets[shot.who])
            response = page.goto(shot.path)
            page.wait_for_load_state("networkidle")
            status = response.status if response else 0
            if status != 200:
                failed.append(f"{shot.name}.{locale}: {shot.path} answered {status}")
            height = page.evaluate("document.documentElement.scrollHeight")
            width = (PHONE if shot.phone else DESKTOP)["width"]
            target = out / f"{shot.name}.{locale}.png"
            page.screenshot(
                path=str(target), full_page=True,
                clip={"x": 0, "y": 0, "width": width, "height": min(height, MAX_HEIGHT)},
            )
            say(f"{target.name}  {shot.path}  HTTP {status}  "
                f"{target.stat().st_size // 1024} KB")
            context.close()
    return failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--only", action="append", help="shot name(s) to take; default all")
    args = parser.parse_args()
    shots = [s for s in SHOTS if not args.only or s.name in args.only]
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"No Chromium at {CHROMIUM}: apt-get install chromium fonts-noto-cjk")
    with tempfile.TemporaryDirectory(prefix="aihub-shots-") as tmp:
        data_dir = Path(tmp) / "hub"
        with demo_hub(data_dir) as url, sync_playwright() as playwright:
            wait_for_baselines(url)
            take_part(url, data_dir)
            # --no-sandbox: Chromium's sandbox cannot start as root; it opens only our pages.
            browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                                 args=["--no-sandbox"])
            try:
                failed = photograph(browser, url, shots, data_dir, out)
            finally:
                browser.close()
    if failed:
        raise SystemExit("Pages that did not answer 200 (their shots show an error):\n  "
                         + "\n  ".join(failed))


if __name__ == "__main__":
    main()
