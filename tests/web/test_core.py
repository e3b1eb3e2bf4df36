"""The web layer's common parts: language choice, error pages, redirects, cookies."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from aihub.web.i18n import negotiate
from aihub.web.pages.language import local_path


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7", "ko"),
        ("en-US,en;q=0.9,ko;q=0.8", "en"),
        ("en;q=0.5,ko;q=0.9", "ko"),
        ("fr-FR,fr;q=0.9", "en"),
        ("*", "en"),
        ("ko;q=bad,en", "en"),
        (None, "ko"),
        ("", "ko"),
    ],
)
def test_language_follows_the_browser(header: str | None, expected: str) -> None:
    assert negotiate(header) == expected


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/challenges?x=1", "/challenges?x=1"),
        ("//evil.example/", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("", "/"),
        (None, "/"),
    ],
)
def test_next_addresses_stay_on_the_hub(target: str | None, expected: str) -> None:
    assert local_path(target) == expected


def test_language_switch_sets_a_cookie_and_goes_back(web: TestClient) -> None:
    response = web.get("/lang/en", params={"next": "/challenges"})
    assert response.status_code == 303
    assert response.headers["location"] == "/challenges"
    cookie = next(h for h in response.headers.get_list("set-cookie") if "aihub_lang=en" in h)
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" in cookie
    assert web.get("/lang/xx").headers["location"] == "/"


def test_unknown_page_is_a_page_in_the_readers_language(web: TestClient,
                                                        web_en: TestClient) -> None:
    korean = web.get("/no-such-page")
    assert korean.status_code == 404
    assert korean.headers["content-type"].startswith("text/html")
    assert '<html lang="ko">' in korean.text
    assert "찾을 수 없습니다" in korean.text
    english = web_en.get("/no-such-page")
    assert '<html lang="en">' in english.text and "Not found" in english.text


def test_api_errors_stay_json(web: TestClient) -> None:
    response = web.get("/api/v1/challenges/none-such")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"


def test_vendored_files_are_served(web: TestClient) -> None:
    assert web.get("/static/vendor/htmx-2.0.11.min.js").status_code == 200
    assert web.get("/static/vendor/pico-2.1.1.min.css").status_code == 200


def test_dates_are_shown_in_the_hubs_zone_in_each_locales_way() -> None:
    from datetime import UTC, datetime

    from aihub.web.templating import environment

    moment = datetime(2026, 11, 21, 14, 5, tzinfo=UTC)  # 23:05 in Seoul
    korean = environment("ko", "Asia/Seoul").filters
    english = environment("en", "Asia/Seoul").filters
    assert korean["when"](moment) == "2026년 11월 21일 오후 11:05"
    assert korean["when"](moment, "short") == "26. 11. 21. 오후 11:05"
    assert english["when"](moment) == "Nov 21, 2026, 11:05 PM"
    assert english["day"](moment) == "Nov 21, 2026"
    assert environment("en", "UTC").filters["when"](moment) == "Nov 21, 2026, 2:05 PM"


def test_processes_starting_together_agree_on_one_secret_key(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from aihub.settings import Settings
    from aihub.web import security

    settings = Settings(data_dir=tmp_path)
    with ThreadPoolExecutor(8) as pool:
        # Each call as a fresh process would make it: no remembered key.
        def start(_: int) -> bytes:
            return security._key_from_file.__wrapped__(tmp_path / "secret-key")

        keys = set(pool.map(start, range(16)))
    assert len(keys) == 1 and len(next(iter(keys))) == 64
    assert security.secret_key(settings) in keys
    assert (tmp_path / "secret-key").stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["secret-key"]  # no temporary file left


def test_http_errors_keep_their_reason_and_headers(web: TestClient) -> None:
    # Starlette's answer to an unparseable form says why; the page must pass it on.
    broken = web.post("/login", content=b"--x\r\nnot a part\r\n",
                      headers={"content-type": "multipart/form-data; boundary=x"})
    assert broken.status_code == 400 and "<html" in broken.text
    assert "Invalid multipart data" in broken.text
    wrong_method = web.delete("/login")
    assert wrong_method.status_code == 405 and "GET" in wrong_method.headers["allow"]
