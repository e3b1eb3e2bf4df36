"""The application factory: reads like a table of contents of the hub's API."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from aihub import __version__, overview
from aihub.accounts import admin_routes as accounts_admin
from aihub.accounts import routes as accounts
from aihub.challenges import editing_routes as challenges_editing
from aihub.challenges import routes as challenges
from aihub.datasets import access_routes as dataset_access
from aihub.datasets import request_routes as data_requests
from aihub.datasets import routes as datasets
from aihub.datasets import upload_routes as uploads
from aihub.errors import AihubError
from aihub.evaluation import overview_routes as jobs
from aihub.evaluation import runner_api
from aihub.hub import Hub
from aihub.interop import open_formats
from aihub.interop.ckan import routes as ckan
from aihub.leaderboards import routes as leaderboards
from aihub.settings import Settings
from aihub.submissions import routes as submissions
from aihub.web import errors as web_errors
from aihub.web import routes as web

log = logging.getLogger(__name__)


class HealthOut(BaseModel):
    status: str
    version: str
    database: str


def _describe_validation(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors()[:5]:
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "request"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "Invalid request: " + "; ".join(parts)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AihubError)
    async def _aihub_error(request: Request, exc: AihubError) -> Response:
        if web_errors.wants_html(request):
            return web_errors.aihub_error_page(request, exc)
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if web_errors.wants_html(request):
            return web_errors.http_error_page(request, exc)
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        if web_errors.wants_html(request):
            return web_errors.error_page(request, 422, _describe_validation(exc))
        return JSONResponse({"detail": _describe_validation(exc)}, status_code=422)

    @app.exception_handler(DataError)
    async def _unstorable(request: Request, exc: DataError) -> Response:
        # The database refused a value (PostgreSQL: a NUL character in a text, an integer
        # out of range). The transaction was rolled back: nothing was stored.
        detail = ("The request holds a value the database cannot store, such as a NUL "
                  "character (\\0) in a text or a number out of range; remove it and try again.")
        log.info("refused value on %s %s: %s", request.method, request.url.path, exc.orig)
        if web_errors.wants_html(request):
            return web_errors.error_page(request, 422, detail)
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        # Never a traceback to the client: it could carry paths or data. The log has it.
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        if web_errors.wants_html(request):
            return web_errors.error_page(request, 500, "")
        return JSONResponse(
            {"detail": "Internal error; it has been logged. Please try again or tell the hub."},
            status_code=500,
        )


def create_app(settings: Settings | None = None, *, hub: Hub | None = None) -> FastAPI:
    hub = hub or Hub(settings or Settings())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        hub.start()
        try:
            yield
        finally:
            hub.close()

    app = FastAPI(
        title="aihub",
        version=__version__,
        description="A city's AI hub: challenges scored on hidden data.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.hub = hub
    _install_error_handlers(app)

    @app.get("/api/v1/health", response_model=HealthOut, tags=["hub"])
    def health() -> HealthOut:
        with hub.db.reading() as session:
            session.execute(text("SELECT 1"))
        return HealthOut(status="ok", version=__version__, database=hub.db.engine.dialect.name)

    app.include_router(overview.router)
    app.include_router(accounts.router)
    app.include_router(accounts_admin.router)
    app.include_router(challenges.router)
    app.include_router(challenges_editing.router)
    app.include_router(datasets.router)
    app.include_router(dataset_access.router)
    app.include_router(data_requests.router)
    app.include_router(open_formats.router)
    app.include_router(uploads.router)
    app.include_router(ckan.router)
    app.include_router(submissions.router)
    app.include_router(leaderboards.router)
    app.include_router(jobs.router)
    app.include_router(runner_api.router)
    web.install(app)
    return app


def app_from_env() -> FastAPI:
    """The app built from the environment; used by ``aihub serve --workers N``."""
    return create_app(Settings())
