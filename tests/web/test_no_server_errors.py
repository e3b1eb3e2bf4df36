"""Every page route, asked with well-formed and with garbage input, answers without a 500.

The routes are read from the app itself, so a page added later is tried too. Each is asked
as a visitor and as a signed-in curator (who may reach every page), by GET and, where the
route takes it, by POST with a valid CSRF token and fields of the wrong kind.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update
from starlette.routing import BaseRoute, Mount

from aihub.hub import Hub
from aihub.submissions.models import Submission
from factories import Factories
from webclient import csrf_token, sign_in

GARBAGE_FIELDS = {
    "csrf_token": "", "username": "a" * 300, "email": "not-an-email", "password": "",
    "name": "<script>alert(1)</script>", "slug": "../../etc", "selected": "maybe",
    "phases.0.start": "yesterday", "phases.0.end": "2026-13-45T99:99", "max_team_size": "-1",
    "evaluation.metric": "nonsense", "accept": "no", "message": "\x00" * 10, "role": "king",
    "can_host": "perhaps", "active": "2", "curator": "x", "q": "%" * 50, "page": "-5",
    "evaluation.metric_params.k": "²",  # a digit to str.isdigit, not to int()
}
# Every text a form may carry, with a NUL character: PostgreSQL refuses to store it.
NUL_FIELDS = {
    name: f"a\x00{name}" for name in (
        "login", "password", "password_repeat", "email", "username", "display_name", "name",
        "message", "name_ko", "name_en", "slug", "title.ko", "q", "invitee", "token_name",
    )
}


def _routes(app: FastAPI) -> Iterator[tuple[str, set[str]]]:
    def walk(routes: list[BaseRoute]) -> Iterator[tuple[str, set[str]]]:
        for route in routes:
            inner = getattr(route, "original_router", None)  # FastAPI's included routers
            if inner is not None:
                yield from walk(inner.routes)
            elif isinstance(route, Mount):
                continue
            elif hasattr(route, "methods") and hasattr(route, "path"):
                yield route.path, set(route.methods or ())
    yield from walk(app.router.routes)


def _page_routes(app: FastAPI) -> Iterator[tuple[str, set[str]]]:
    for path, methods in _routes(app):
        if not path.startswith(("/api/", "/docs", "/openapi")):
            yield path, methods


def _fill(path: str, values: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)(?::path)?\}", lambda m: values.get(m.group(1), "1"), path)


@pytest.fixture
def world(live_hub: Hub, live_factories: Factories) -> dict[str, Any]:
    host, member = live_factories.host(), live_factories.person("member1")
    challenge = live_factories.challenge(host, "garbage-proof")
    live_factories.join(challenge, member)
    # Submission 1 (the baseline) has a scoring program's detailed results to serve.
    blob = live_hub.storage.put_file(io.BytesIO(b"<p>details</p>"))
    with live_hub.db.transaction() as session:
        session.execute(update(Submission).values(detailed_results_sha256=blob.sha256))
    return {"curator": live_factories.curator(), "slug": challenge.slug}


@pytest.mark.parametrize("signed_in", [False, True])
def test_no_page_answers_500(web: TestClient, live_hub: Hub, world: dict[str, Any],
                             signed_in: bool) -> None:
    if signed_in:
        sign_in(web, live_hub, world["curator"])
    routes = list(_page_routes(web.app))  # type: ignore[arg-type]
    assert len(routes) > 30, routes
    token = csrf_token(web, "/login" if not signed_in else "/")
    tried = 0
    for raw_path, methods in routes:
        for values in ({"slug": world["slug"], "name": "train.csv", "token": "x" * 43,
                        "code": "en", "submission_id": "1", "id": "1", "username": "member1",
                        "invite_id": "1", "token_id": "1"},
                       {"slug": "nul%00slug", "username": "a%00b"},
                       {"slug": "no-such-" + "x" * 80, "name": "../../solution.csv",
                        "token": "%00", "code": "zz", "submission_id": "99999999999",
                        "id": "-1", "username": "ghost", "invite_id": "0", "token_id": "abc"}):
            path = _fill(raw_path, values)
            if "GET" in methods:
                for params in ({"page": "x", "split": "sideways"}, {"page": "²", "q": "a\x00"}):
                    response = web.get(path, params=params)
                    assert response.status_code < 500, (path, params, response.status_code)
                tried += 1
            if "POST" in methods:
                for fields in (GARBAGE_FIELDS, NUL_FIELDS):
                    response = web.post(path, data=fields | {"csrf_token": token})
                    assert response.status_code < 500, ("POST", path, response.status_code)
                response = web.post(path, content=b"\xff\xfe not a form",
                                    headers={"content-type": "multipart/form-data"})
                assert response.status_code < 500, ("POST raw", path, response.status_code)
                tried += 1
                if signed_in and path == "/logout":
                    sign_in(web, live_hub, world["curator"])
                    token = csrf_token(web, "/")
    assert tried > 60


def test_no_api_route_answers_500(web: TestClient, world: dict[str, Any]) -> None:
    headers = world["curator"].headers
    tried = 0
    for raw_path, methods in _routes(web.app):  # type: ignore[arg-type]
        if not raw_path.startswith("/api/"):
            continue
        for values in ({"slug": world["slug"], "name": "train.csv"},
                       {"slug": "nul%00slug", "username": "a%00b"},
                       {"slug": "x" * 300, "name": "../solution.csv", "submission_id": "9" * 12,
                        "token_id": "99999999999", "invite_id": "-3", "username": "ghost"}):
            path = _fill(raw_path, values)
            for method in methods & {"GET", "POST", "PUT", "PATCH", "DELETE"}:
                # The last: a number JSON may carry but no integer can be (1e400 is inf).
                for body in (b'{"selected": "x", "name": 3, "active": []}',
                             b'{"name": "t\\u0000", "name_ko": "o\\u0000", "slug": "s"}',
                             b'{"evaluation": {"metric_params": {"k": 1e400}}}'):
                    response = web.request(method, path, content=body,
                                           headers=headers | {"content-type": "application/json"})
                    assert response.status_code < 500, (method, path, body, response.status_code)
                tried += 1
    assert tried > 40
