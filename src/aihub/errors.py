"""Errors that services raise and every front end (API, CLI, pages) turns into a clear answer.

Each carries a message meant for the person who made the request, saying what is wrong and,
where it can, how to fix it. Routes map them to HTTP status codes in one place (``app.py``).
"""

from __future__ import annotations


class AihubError(Exception):
    """Base of the errors a user can act on."""

    status_code = 400

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidInput(AihubError):  # noqa: N818 - reads as the answer it is
    status_code = 422


class NotAuthenticated(AihubError):  # noqa: N818
    status_code = 401


class Forbidden(AihubError):  # noqa: N818
    status_code = 403


class NotFound(AihubError):  # noqa: N818
    status_code = 404


class Conflict(AihubError):  # noqa: N818
    status_code = 409


class LimitReached(AihubError):  # noqa: N818
    status_code = 429


class Unavailable(AihubError):  # noqa: N818
    """The hub cannot do it now, through no fault of the sender (e.g. no sandbox)."""

    status_code = 503


class PayloadTooLarge(AihubError):  # noqa: N818
    status_code = 413


class FieldErrors(InvalidInput):
    """Problems with named fields (dotted paths; "" for the form as a whole)."""

    def __init__(self, fields: dict[str, str]) -> None:
        self.fields = fields
        super().__init__(
            "; ".join(f"{name}: {message}" if name else message
                      for name, message in fields.items())
        )
