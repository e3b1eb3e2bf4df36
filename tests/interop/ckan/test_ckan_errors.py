"""The error types an action can end in, each with CKAN's spelling and status, and the
translation of aihub's own errors."""

from __future__ import annotations

from typing import Any

import pytest
from ckan_helpers import error
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError

from aihub.errors import (
    AihubError,
    Conflict,
    FieldErrors,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PayloadTooLarge,
    Unavailable,
)
from aihub.interop.ckan.errors import (
    CkanError,
    CkanIntegrityError,
    CkanNotAuthorizedError,
    CkanNotFoundError,
    CkanSearchError,
    CkanSearchQueryError,
    CkanValidationError,
    from_aihub,
)
from aihub.interop.ckan.registry import ACTIONS, Action, Call


@pytest.mark.parametrize(("exc", "status", "kind", "shape"), [
    (CkanNotFoundError("x"), 404, "Not Found Error", {"message": "Not found: x"}),
    (CkanNotAuthorizedError("x"), 403, "Authorization Error", {"message": "Access denied: x"}),
    (CkanSearchQueryError("x"), 400, "Search Query Error",
     {"message": "Search Query is invalid: x"}),
    (CkanSearchError("x"), 409, "Search Error", {"message": "Search error: x"}),
    (CkanIntegrityError("x"), 400, "Integrity Error",
     {"message": "Integrity Error: x", "data": {}}),
    (CkanValidationError({"name": ["bad"]}), 409, "Validation Error", {"name": ["bad"]}),
    (CkanError("x"), 500, "Internal Server Error", {"message": "Internal Server Error: x"}),
])
def test_each_type_its_status_and_shape(exc: CkanError, status: int, kind: str,
                                        shape: dict[str, Any]) -> None:
    assert exc.status_code == status
    assert exc.error() == {**shape, "__type": kind}


@pytest.mark.parametrize(("exc", "kind", "shape"), [
    (NotFound("gone"), "Not Found Error", {"message": "Not found: gone"}),
    (Forbidden("no"), "Authorization Error", {"message": "Access denied: no"}),
    (NotAuthenticated("who"), "Authorization Error", {"message": "Access denied: who"}),
    (FieldErrors({"slug": "bad", "licence": "odd", "tags": "x", "": "whole"}),
     "Validation Error",
     {"name": ["bad"], "license_id": ["odd"], "tags": ["x"], "message": ["whole"]}),
    (InvalidInput("wrong"), "Validation Error", {"message": ["wrong"]}),
    (Conflict("taken"), "Validation Error", {"message": ["taken"]}),
    (PayloadTooLarge("big"), "Validation Error", {"upload": ["big"]}),
    (Unavailable("later"), "Internal Server Error", {"message": "Internal Server Error: later"}),
])
def test_aihub_errors_keep_their_message(exc: AihubError, kind: str,
                                         shape: dict[str, Any]) -> None:
    assert from_aihub(exc).error() == {**shape, "__type": kind}


def _register(monkeypatch: pytest.MonkeyPatch, name: str, exc: Exception) -> None:
    def failing(call: Call) -> None:
        raise exc
    monkeypatch.setitem(ACTIONS, name, Action(name, failing, read_only=True))


def test_a_race_is_an_integrity_error(client: TestClient,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    _register(monkeypatch, "raced", IntegrityError("INSERT …", {}, Exception("unique")))
    found = error(client.get("/api/action/raced"), 400, "Integrity Error")
    assert "nothing was stored" in found["message"] and found["data"] == {}


def test_a_bug_is_a_500_without_its_traceback(client: TestClient,
                                              monkeypatch: pytest.MonkeyPatch,
                                              caplog: pytest.LogCaptureFixture) -> None:
    _register(monkeypatch, "broken", RuntimeError("/secret/path in a traceback"))
    response = client.post("/api/3/action/broken", json={})
    found = error(response, 500, "Internal Server Error")
    assert "secret" not in response.text and "Traceback" not in response.text
    assert found["message"].startswith("Internal Server Error: the error has been logged")
    assert "unhandled error in CKAN action broken" in caplog.text
