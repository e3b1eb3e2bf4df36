"""Helpers for driving the web UI in-process: a browser-like client, its CSRF token, and a
logged-in session made through the real session service."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi.testclient import TestClient

from aihub.accounts.web_sessions import start_session
from aihub.app import create_app
from aihub.db import utcnow
from aihub.hub import Hub
from aihub.web.security import SESSION_COOKIE
from factories import Person

_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


@contextmanager
def web_client(hub: Hub, *, lang: str = "ko") -> Iterator[TestClient]:
    """A client over HTTPS (the session cookies are Secure), asking for ``lang`` pages."""
    app = create_app(hub=hub)
    with TestClient(
        app, base_url="https://testserver", raise_server_exceptions=False,
        headers={"Accept-Language": "ko-KR,ko;q=0.9" if lang == "ko" else "en-US,en;q=0.9"},
        follow_redirects=False,
    ) as client:
        yield client


def csrf_token(client: TestClient, path: str = "/") -> str:
    """The CSRF token of the form on ``path``, as a browser would send it back."""
    response = client.get(path)
    match = _CSRF.search(response.text)
    assert match, f"no CSRF token on {path} ({response.status_code})"
    return match.group(1)


def sign_in(client: TestClient, hub: Hub, person: Person) -> None:
    """Log ``person`` in the way the log-in page does, without typing the password."""
    with hub.db.transaction() as session:
        token = start_session(session, person.user, now=utcnow(), days=1)
    client.cookies.set(SESSION_COOKIE, token)
