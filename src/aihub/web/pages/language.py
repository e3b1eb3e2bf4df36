"""The language switch on every page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import RedirectResponse

from aihub.web import security
from aihub.web.context import PageDep, csrf_protect
from aihub.web.i18n import LANG_COOKIE, LOCALES

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])


def local_path(target: str | None, default: str = "/") -> str:
    """``target`` if it is a path on this hub, else ``default``: links that carry a "next"
    address must not send people to another site (an open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


@router.get("/lang/{code}")
def switch_language(
    code: str, page: PageDep, next_path: Annotated[str | None, Query(alias="next")] = None
) -> RedirectResponse:
    response = page.redirect(local_path(next_path))
    if code in LOCALES:
        security.set_cookie(
            response, page.hub.settings, LANG_COOKIE, code, max_age=365 * 24 * 3600
        )
    return response
