"""The web UI's part of the app: static files, page routers, and HTML error pages."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from aihub.web.pages import language
from aihub.web.templating import STATIC_DIR


def install(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(language.router)
