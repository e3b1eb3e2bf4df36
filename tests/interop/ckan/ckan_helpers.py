"""Helpers of the CKAN API tests: reading CKAN's envelope, and the small catalog the
``catalog`` fixture builds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from httpx import Response

from factories import Person


def ok(response: Response) -> Any:
    """The ``result`` of a successful call (status 200, ``success`` true)."""
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True, body
    return body["result"]


def error(response: Response, status: int, kind: str) -> dict[str, Any]:
    """The ``error`` of a failed call, checking its status and ``__type``."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False, body
    assert body["error"]["__type"] == kind, body
    found: dict[str, Any] = body["error"]
    return found


@dataclass
class Catalog:
    host: Person  # of daejeon-city
    other_host: Person  # of gwangju-city
    member: Person
    published: list[str]  # slugs, visible to all
    hidden: str  # daejeon-city's dataset with only a draft
