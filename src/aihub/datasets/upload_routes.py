"""The tus 1.0 endpoint ``/api/v1/uploads/``: resumable uploads of dataset files.

Any tus client works (tuspy, tus-js-client, the aihub CLI). Requests authenticate with a
bearer token, or with the browser's session cookie plus the page's ``X-CSRF-Token``
header. An upload is visible to its owner only; to anyone else it does not exist (404).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel

from aihub.accounts.actor import VISITOR, Actor
from aihub.accounts.web_sessions import actor_for_session
from aihub.datasets import tus
from aihub.datasets.uploads import UploadInfo, UploadStore
from aihub.db import utcnow
from aihub.deps import BearerDep, HubDep, authenticate
from aihub.errors import AihubError
from aihub.hub import Hub
from aihub.web import security

PREFIX = "/api/v1/uploads"


class TusRoute(APIRoute):
    """Every answer of the endpoint, errors included, carries ``Tus-Resumable``; errors are
    the house's JSON ``{"detail": ...}``."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def tus_handler(request: Request) -> Response:
            try:
                response = await handler(request)
            except AihubError as exc:
                response = JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
                if isinstance(exc, tus.VersionMismatch):
                    # tus core: a 412 names the versions the server speaks.
                    response.headers["Tus-Version"] = tus.TUS_VERSION
            response.headers.update(tus.tus_headers())
            return response

        return tus_handler


router = APIRouter(prefix=PREFIX, tags=["uploads"], route_class=TusRoute)


class UploadOut(BaseModel):
    id: str
    filename: str
    length: int
    offset: int
    complete: bool
    sha256: str | None
    error: str | None
    metadata: dict[str, str]
    created_at: datetime
    expires_at: datetime


def _cookie_actor(request: Request, hub: Hub) -> Actor:
    cookie = request.cookies.get(security.SESSION_COOKIE)
    if not cookie:
        return VISITOR
    with hub.db.reading() as session:
        actor = actor_for_session(session, cookie, now=utcnow())
    if actor is None:
        return VISITOR
    # A cookie travels with any site's request; only the hub's own pages know the token.
    security.check_csrf(security.secret_key(hub.settings), request,
                        request.headers.get(security.CSRF_HEADER))
    return actor


def upload_owner(request: Request, hub: HubDep, token: BearerDep) -> int:
    """The id of the user sending the request; 401 for visitors."""
    if token is not None:
        with hub.db.reading() as session:
            actor = authenticate(session, token)
    else:
        actor = _cookie_actor(request, hub)
    user = actor.require_user()
    return user.id


OwnerDep = Annotated[int, Depends(upload_owner)]


def _store(hub: Hub) -> UploadStore:
    return UploadStore.for_settings(hub.settings, hub.storage)


def _expires(info: UploadInfo) -> dict[str, str]:
    if info.complete or info.failed:
        return {}
    return {"Upload-Expires": format_datetime(info.expires_at.astimezone(UTC), usegmt=True)}


def _location(request: Request, upload_id: str) -> str:
    # An absolute path, not a full URL: right behind any proxy, and tuspy and tus-js-client
    # resolve it against the endpoint (urljoin), with or without its trailing slash.
    return f"{request.scope.get('root_path', '')}{PREFIX}/{upload_id}"


async def _body(request: Request) -> AsyncIterator[bytes]:
    async for chunk in request.stream():
        if chunk:
            yield chunk


@router.options("", include_in_schema=False)
@router.options("/", summary="What this tus server supports")
@router.options("/{upload_id}", include_in_schema=False)
async def tus_options(hub: HubDep) -> Response:
    return Response(status_code=204,
                    headers=tus.options_headers(hub.settings.max_dataset_file_bytes))


@router.post("", include_in_schema=False, status_code=201)
@router.post("/", summary="Create an upload (tus creation, creation-with-upload)",
             status_code=201)
async def create_upload(request: Request, hub: HubDep, owner: OwnerDep) -> Response:
    headers = request.headers
    tus.check_version(headers)
    length = tus.parse_upload_length(headers, hub.settings.max_dataset_file_bytes)
    metadata = tus.check_upload_metadata(tus.parse_metadata(headers.get("upload-metadata")))
    with_body = tus.has_body(headers)
    content_length = tus.parse_content_length(headers)
    checksum = tus.parse_checksum(headers.get("upload-checksum"))
    if with_body:
        tus.check_content_type(headers)
    if content_length is not None and content_length > length:
        raise tus.TooLarge(f"The body ({content_length} bytes) is longer than Upload-Length "
                           f"({length} bytes).")
    store, now = _store(hub), utcnow()
    await run_in_threadpool(store.sweep_now_and_then, now)
    info = store.create(owner, length, metadata, now)
    created = {"Location": _location(request, info.id)}
    if with_body or length == 0:
        try:
            info = await store.append(info.id, owner, _body(request), offset=0,
                                      content_length=content_length, checksum=checksum,
                                      now=now)
        except AihubError as exc:
            # The upload exists: say where, so the client can resume it.
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code,
                                headers=created)
    return Response(status_code=201, headers={
        **created, "Upload-Offset": str(info.offset), **_expires(info),
    })


@router.head("/{upload_id}", summary="Where an upload stands (tus core)")
async def upload_offset(upload_id: str, request: Request, hub: HubDep,
                        owner: OwnerDep) -> Response:
    tus.check_version(request.headers)
    info = _store(hub).get(upload_id, owner, utcnow())
    if info.failed:
        raise tus.UploadGone(info.error or "This upload failed; start a new one.")
    return Response(status_code=200, headers={
        "Upload-Offset": str(info.offset), "Upload-Length": str(info.length),
        "Upload-Metadata": tus.encode_metadata(info.metadata),
        "Cache-Control": "no-store", **_expires(info),
    })


@router.get("/{upload_id}", response_model=UploadOut,
            summary="An upload's state as JSON (offset, completion, sha256, error)")
async def upload_status(upload_id: str, hub: HubDep, owner: OwnerDep) -> Response:
    info = _store(hub).get(upload_id, owner, utcnow())
    out = UploadOut(
        id=info.id, filename=info.filename, length=info.length, offset=info.offset,
        complete=info.complete, sha256=info.sha256, error=info.error,
        metadata=info.metadata, created_at=info.created_at, expires_at=info.expires_at,
    )
    return Response(out.model_dump_json(), media_type="application/json",
                    headers={"Cache-Control": "no-store"})


@router.patch("/{upload_id}", status_code=204, summary="Send bytes at an offset (tus core)")
async def upload_bytes(upload_id: str, request: Request, hub: HubDep,
                       owner: OwnerDep) -> Response:
    headers = request.headers
    tus.check_version(headers)
    tus.check_content_type(headers)
    offset = tus.parse_integer(headers, "Upload-Offset")
    checksum = tus.parse_checksum(headers.get("upload-checksum"))
    info = await _store(hub).append(
        upload_id, owner, _body(request), offset=offset,
        content_length=tus.parse_content_length(headers), checksum=checksum, now=utcnow(),
    )
    return Response(status_code=204,
                    headers={"Upload-Offset": str(info.offset), **_expires(info)})


@router.delete("/{upload_id}", status_code=204, summary="Delete an upload (tus termination)")
async def delete_upload(upload_id: str, request: Request, hub: HubDep,
                        owner: OwnerDep) -> Response:
    tus.check_version(request.headers)
    _store(hub).terminate(upload_id, owner, utcnow())
    return Response(status_code=204)


class MethodNotAllowed(AihubError):  # noqa: N818 - reads as the answer it is
    status_code = 405


@router.post("/{upload_id}", include_in_schema=False, status_code=204)
async def method_override(upload_id: str, request: Request, hub: HubDep,
                          owner: OwnerDep) -> Response:
    """tus core: a POST whose ``X-HTTP-Method-Override`` names PATCH, DELETE or HEAD is
    that request, for clients behind proxies that let only GET and POST through."""
    method = request.headers.get("x-http-method-override", "").strip().upper()
    if method == "PATCH":
        return await upload_bytes(upload_id, request, hub, owner)
    if method == "DELETE":
        return await delete_upload(upload_id, request, hub, owner)
    if method == "HEAD":
        return await upload_offset(upload_id, request, hub, owner)
    raise MethodNotAllowed(
        "An upload takes HEAD, GET, PATCH and DELETE; a POST to it needs "
        "'X-HTTP-Method-Override: PATCH' (or DELETE, HEAD). Create uploads with a POST "
        f"to {PREFIX}/."
    )
