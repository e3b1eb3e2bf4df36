"""Errors on pages answered as pages: in the reader's language, with the way back."""

from __future__ import annotations

from http import HTTPStatus

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from aihub.accounts.actor import VISITOR
from aihub.errors import AihubError, NotAuthenticated
from aihub.web import security
from aihub.web.context import Page, locale_of


def wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/")


def _page(request: Request) -> Page:
    # A bare page: the failing request's own dependencies may be what failed.
    browser = request.cookies.get(security.CSRF_COOKIE)
    return Page(
        request=request, hub=request.app.state.hub, actor=VISITOR, locale=locale_of(request),
        session_token=None, browser_id=browser or security.new_browser_id(),
        new_browser=browser is None,
    )


def error_page(request: Request, status: int, message: str) -> Response:
    page = _page(request)
    if status == NotAuthenticated.status_code and request.method == "GET":
        return RedirectResponse(page.login_url(), status_code=303)
    response: HTMLResponse = page.render("error.html", {"status": status, "message": message},
                                         status=status)
    return response


def aihub_error_page(request: Request, exc: AihubError) -> Response:
    return error_page(request, exc.status_code, exc.detail)


def http_error_page(request: Request, exc: HTTPException) -> Response:
    # Starlette's own details ("Not Found", "Method Not Allowed") say no more than the
    # page's heading; others (a form that cannot be parsed) say what was wrong.
    detail = exc.detail if exc.detail != HTTPStatus(exc.status_code).phrase else ""
    response = error_page(request, exc.status_code, detail)
    response.headers.update(exc.headers or {})
    return response
