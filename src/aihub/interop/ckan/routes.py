"""CKAN's Action API at ``/api/3/action/{name}`` and ``/api/action/{name}`` (ckanapi's
path): one dispatcher for both, GET for read actions, POST with a JSON object, a form or
a multipart body, CKAN's envelope, and never a redirect (ckanapi refuses them).

Who asks: ``Authorization: Bearer T``, ``Authorization: T`` (CKAN's raw form) or
``X-CKAN-API-Key: T`` (what deployments behind HTTP Basic auth use); ckanapi sends both
of the last two. A token that is present but unknown is an Authorization Error, never a
silent visitor.
"""

from __future__ import annotations

import errno
import json
import logging
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError, IntegrityError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException

from aihub.accounts.actor import Actor
from aihub.deps import HubDep, authenticate
from aihub.errors import AihubError, NotAuthenticated
from aihub.hub import Hub
from aihub.interop.ckan import actions, search_action, writes
from aihub.interop.ckan.errors import (
    CkanBadRequestError,
    CkanError,
    CkanInsufficientStorageError,
    CkanIntegrityError,
    CkanNotAuthorizedError,
    CkanNotFoundError,
    from_aihub,
    invalid,
)
from aihub.interop.ckan.registry import ACTIONS, Action, Call, Upload

log = logging.getLogger(__name__)
router = APIRouter(tags=["ckan"])

API_VERSION = 3
MAX_BODY = 1024 * 1024  # a JSON or form body without files
FULL_DISK = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
FORM_SLACK = 1024 * 1024  # the multipart framing and fields around an upload
# The modules whose @action registered the actions served here.
_MODULES = (actions, search_action, writes)


def site_url(hub: Hub, request: Request) -> str:
    return (hub.settings.public_base_url or str(request.base_url)).rstrip("/")


def request_token(request: Request) -> str | None:
    """The API token, from the headers CKAN clients use, in aihub's order."""
    header = request.headers.get("authorization", "").strip()
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
        if not value:
            return header  # CKAN's raw form
        # Another scheme (Basic, from a proxy's own login) is not aihub's token.
    return request.headers.get("x-ckan-api-key", "").strip() or None


def _actor(hub: Hub, token: str | None) -> Actor:
    try:
        with hub.db.reading() as session:
            return authenticate(session, token)
    except NotAuthenticated:
        raise CkanNotAuthorizedError("the API token sent is unknown or revoked; create a new one "
                                "with 'aihub token create', or send none to read as a "
                                "visitor.") from None


async def _read_capped(request: Request, limit: int) -> bytes:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise CkanBadRequestError(f"JSON Error: the request body is over {limit} bytes; send "
                                 "files as a multipart upload.")
        chunks.append(chunk)
    return b"".join(chunks)


def _decode_json(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError as exc:  # UnicodeDecodeError too
        raise CkanBadRequestError(f"JSON Error: Error decoding JSON data: {exc}. Send a JSON "
                             "object, e.g. {\"id\": \"my-dataset\"}.") from None
    if not isinstance(data, dict):
        shown = json.dumps(data, ensure_ascii=False)[:100]
        raise CkanBadRequestError(f"JSON Error: Request data JSON decoded to {shown} but it "
                             "needs to be a dictionary.")
    return data


def _flat(items: list[tuple[str, Any]]) -> dict[str, Any]:
    """A query string or form as CKAN reads it: a repeated key becomes a list."""
    out: dict[str, Any] = {}
    for key, value in items:
        if key in out:
            out[key] = [*out[key], value] if isinstance(out[key], list) else [out[key], value]
        else:
            out[key] = value
    return out


def _form_params(form: FormData) -> tuple[dict[str, Any], dict[str, Upload]]:
    fields = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    files = {k: Upload(v.filename or "", v.file) for k, v in form.multi_items()
             if isinstance(v, UploadFile)}
    # CKAN's legacy quirk: a form whose one key is a JSON object (curl -d '{…}').
    if not files and len(fields) == 1 and fields[0][1] in ("", "1") \
            and fields[0][0].lstrip().startswith("{"):
        return _decode_json(fields[0][0].encode()), {}
    return _flat(fields), files


async def _params(request: Request, hub: Hub) -> tuple[dict[str, Any], dict[str, Upload],
                                                        FormData | None]:
    if request.method == "GET":
        return _flat(list(request.query_params.multi_items())), {}, None
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        length = int(request.headers.get("content-length") or 0)
        if length > hub.settings.max_dataset_file_bytes + FORM_SLACK:
            raise invalid("upload", f"The request is {length} bytes; the largest file "
                          f"taken is {hub.settings.max_dataset_file_bytes} bytes.")
        try:
            form = await request.form(max_files=1, max_fields=200)
        except (MultiPartException, HTTPException) as exc:  # Starlette wraps the first
            detail = exc.message if isinstance(exc, MultiPartException) else exc.detail
            raise CkanBadRequestError(f"Error parsing the multipart body: {detail}") from None
        fields, files = _form_params(form)
        return fields, files, form
    body = await _read_capped(request, MAX_BODY)
    if kind == "application/x-www-form-urlencoded":
        try:
            pairs = parse_qsl(body.decode(), keep_blank_values=True, max_num_fields=200)
        except (UnicodeDecodeError, ValueError) as exc:
            raise CkanBadRequestError(f"Error parsing the form body: {exc}") from None
        return _form_params(FormData(list[tuple[str, str | UploadFile]](pairs)))[0], {}, None
    if not body.strip():
        return _flat(list(request.query_params.multi_items())), {}, None
    return _decode_json(body), {}, None


def _envelope(help_url: str, exc: CkanError) -> JSONResponse:
    return JSONResponse({"help": help_url, "success": False, "error": exc.error()},
                        status_code=exc.status_code)


def _translate(exc: Exception, name: str) -> CkanError | CkanBadRequestError:
    if isinstance(exc, (CkanError, CkanBadRequestError)):
        return exc
    if isinstance(exc, AihubError):
        return from_aihub(exc)
    if isinstance(exc, IntegrityError):
        # A concurrent write took the name or label first; nothing was stored.
        return CkanIntegrityError("another request changed the same dataset at the same "
                                  "moment; nothing was stored. Send the request again.")
    if isinstance(exc, OSError) and exc.errno in FULL_DISK:
        return CkanInsufficientStorageError(
            "the hub's disk is full: nothing was stored. Try again later, or tell the "
            "hub's operators.")
    if isinstance(exc, DataError):
        return invalid("message", "a value cannot be stored (a NUL character or a number "
                       "out of range); remove it and try again.")
    log.exception("unhandled error in CKAN action %s", name)
    return CkanError("the error has been logged; try again or tell the hub.")


async def _dispatch(request: Request, hub: HubDep, name: str) -> Response:
    name = name.strip("/")
    base = site_url(hub, request)
    help_url = f"{base}/api/{API_VERSION}/action/help_show?name={name[:100]}"
    found: Action | None = ACTIONS.get(name)
    form: FormData | None = None
    try:
        if found is None:
            # CKAN answers 400 with a bare string; a Not Found Error lets ckanapi raise
            # NotFound instead of a generic error (reference §3.1, rule 8).
            raise CkanNotFoundError(f"Action name not known: {name[:100]}. aihub serves: "
                               f"{', '.join(sorted(ACTIONS))}.")
        if request.method == "GET" and not found.read_only:
            raise CkanBadRequestError("JSON Error: Invalid request. Please use POST method for "
                                 "your request")
        actor = await run_in_threadpool(_actor, hub, request_token(request))
        if not found.read_only and actor.user is None:  # before reading an upload
            raise CkanNotAuthorizedError(f"{name} needs a logged-in host: send your aihub API "
                                    "token in Authorization or X-CKAN-API-Key.")
        params, files, form = await _params(request, hub)
        call = Call(hub=hub, actor=actor, params=params, base=base, files=files)
        result = await run_in_threadpool(found.fn, call)
    except Exception as exc:  # every error becomes CKAN's answer
        error = _translate(exc, name)
        if isinstance(error, CkanBadRequestError):
            return JSONResponse(error.message, status_code=error.status_code)
        return _envelope(help_url, error)
    finally:
        if form is not None:
            await form.close()
    return JSONResponse({"help": help_url, "success": True, "result": result})


# One route per method: a route with two methods gives both the same OpenAPI operation id.
@router.get("/api/action/{name:path}", operation_id="ckan_action_get")
@router.post("/api/action/{name:path}", operation_id="ckan_action_post")
async def action_route(request: Request, hub: HubDep, name: str) -> Response:
    """A CKAN action (ckanapi's path); ``help_show`` describes each."""
    return await _dispatch(request, hub, name)


@router.get("/api/3/action/{name:path}", operation_id="ckan3_action_get")
@router.post("/api/3/action/{name:path}", operation_id="ckan3_action_post")
async def action_v3_route(request: Request, hub: HubDep, name: str) -> Response:
    """A CKAN action (the documented path)."""
    return await _dispatch(request, hub, name)


@router.get("/api", operation_id="ckan_api_version")
@router.get("/api/3", operation_id="ckan3_api_version")
async def api_version() -> dict[str, int]:
    """The CKAN API version served, as CKAN answers it."""
    return {"version": API_VERSION}
