"""CKAN's error types, spelled as CKAN spells them, and the translation of aihub's errors.

ckanapi ignores the HTTP status and picks its exception from ``error.__type``, so the
spelling is the contract; the status follows CKAN's (``ckan/views/api.py``).
"""

from __future__ import annotations

from typing import Any

from aihub.errors import (
    AihubError,
    Conflict,
    FieldErrors,
    Forbidden,
    NotAuthenticated,
    NotFound,
    PayloadTooLarge,
)


class CkanError(Exception):
    """An error answered in CKAN's envelope: ``{"success": false, "error": {...}}``."""

    type_name = "Internal Server Error"
    status_code = 500
    prefix = "Internal Server Error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def error(self) -> dict[str, Any]:
        return {"__type": self.type_name, "message": f"{self.prefix}: {self.message}"}


class CkanNotFoundError(CkanError):
    type_name, status_code, prefix = "Not Found Error", 404, "Not found"


class CkanNotAuthorizedError(CkanError):
    type_name, status_code, prefix = "Authorization Error", 403, "Access denied"


class CkanSearchQueryError(CkanError):
    type_name, status_code, prefix = "Search Query Error", 400, "Search Query is invalid"


class CkanSearchError(CkanError):
    type_name, status_code, prefix = "Search Error", 409, "Search error"


class CkanInsufficientStorageError(CkanError):
    """The hub's disk filled while a file arrived. CKAN has no type of its own for it: its
    generic type, with 507 and a message saying what to do."""

    status_code, prefix = 507, "Insufficient Storage"


class CkanIntegrityError(CkanError):
    type_name, status_code, prefix = "Integrity Error", 400, "Integrity Error"

    def error(self) -> dict[str, Any]:
        return {**super().error(), "data": {}}


class CkanValidationError(CkanError):
    """Problems with named fields: ``{field: [messages]}``, as CKAN's validators answer."""

    type_name, status_code = "Validation Error", 409

    def __init__(self, fields: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in fields.items()))
        self.fields = fields

    def error(self) -> dict[str, Any]:
        return {**self.fields, "__type": self.type_name}


def invalid(field: str, message: str) -> CkanValidationError:
    return CkanValidationError({field: [message]})


class CkanBadRequestError(Exception):
    """CKAN answers malformed requests with a bare JSON string and 400, no envelope."""

    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = f"Bad request: {message}"


# aihub's field names where CKAN's differ (package_create's parameters).
_CKAN_FIELDS = {"slug": "name", "title_ko": "title", "description_ko": "notes",
                "licence": "license_id", "organization": "owner_org", "file": "upload",
                "path": "name", "media_type": "mimetype"}


def from_aihub(exc: AihubError) -> CkanError:
    """The CKAN error for an error of aihub's services, keeping its message."""
    if isinstance(exc, FieldErrors):
        return CkanValidationError({_CKAN_FIELDS.get(k, k) or "message": [v]
                                    for k, v in exc.fields.items()})
    if isinstance(exc, NotFound):
        return CkanNotFoundError(exc.detail)
    if isinstance(exc, (Forbidden, NotAuthenticated)):
        return CkanNotAuthorizedError(exc.detail)
    if isinstance(exc, PayloadTooLarge):
        return invalid("upload", exc.detail)
    if isinstance(exc, Conflict) or exc.status_code < 500:
        # A state that forbids the change (a version no longer a draft…): CKAN reports
        # what its validators refuse as a Validation Error, with status 409.
        return invalid("message", exc.detail)
    return CkanError(exc.detail)
