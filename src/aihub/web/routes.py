"""The web UI's part of the app: static files, page routers, and HTML error pages."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from aihub.web.pages import (
    account,
    catalog,
    catalog_admin,
    curator,
    host,
    language,
    organizations,
    participate,
    public,
)
from aihub.web.templating import STATIC_DIR


def install(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # In order: the public pages, a member's own pages, taking part, hosting, curating.
    app.include_router(public.router)
    app.include_router(catalog.router)
    app.include_router(organizations.router)  # publishers' pages, as DCAT names them
    app.include_router(account.router)
    app.include_router(participate.router)
    app.include_router(host.router)
    app.include_router(curator.router)
    app.include_router(catalog_admin.router)  # the catalog's host and curator pages
    app.include_router(language.router)
