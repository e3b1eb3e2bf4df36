"""Cookies and CSRF tokens of the web UI.

CSRF: every form carries ``csrf_token``, and htmx requests send it as ``X-CSRF-Token``. The
token is an HMAC, under the hub's secret key, of a random per-browser cookie and the session
cookie: another site can make the browser send the cookies but cannot read them, so it
cannot compute the token. The API takes bearer tokens, never cookies, so it needs none.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from functools import cache
from pathlib import Path

from fastapi import Request
from starlette.responses import Response

from aihub.errors import Forbidden
from aihub.settings import Settings

SESSION_COOKIE = "aihub_session"
CSRF_COOKIE = "aihub_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class CsrfFailed(Forbidden):
    """A form sent without this page's token."""


@cache
def _key_from_file(path: Path) -> bytes:
    try:
        key = path.read_bytes().strip()
    except FileNotFoundError:
        key = b""
    if key:
        return key
    # Written whole under another name, then linked into place: a process starting at the
    # same moment reads either no file or the whole key, never an empty one, and if two
    # race, the link that loses reads the winner's key.
    fresh = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(secrets.token_hex(32).encode())
    try:
        os.link(fresh, path)
    except FileExistsError:
        pass
    finally:
        fresh.unlink()
    return path.read_bytes().strip()


def secret_key(settings: Settings) -> bytes:
    if settings.secret_key:
        return settings.secret_key.encode()
    return _key_from_file((settings.data_dir / "secret-key").resolve())


def csrf_token(key: bytes, browser: str, session: str | None) -> str:
    message = f"{browser}|{session or ''}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def check_csrf(key: bytes, request: Request, sent: str | None) -> None:
    browser = request.cookies.get(CSRF_COOKIE)
    expected = csrf_token(key, browser, request.cookies.get(SESSION_COOKIE)) if browser else None
    if not sent or expected is None or not hmac.compare_digest(sent, expected):
        raise CsrfFailed(
            "This form has expired or did not come from this hub's page. "
            "Reload the page and send it again."
        )


def set_cookie(
    response: Response, settings: Settings, name: str, value: str, *, max_age: int | None
) -> None:
    response.set_cookie(
        name, value, max_age=max_age, httponly=True, samesite="lax",
        secure=settings.secure_cookies, path="/",
    )


def new_browser_id() -> str:
    return secrets.token_urlsafe(24)
