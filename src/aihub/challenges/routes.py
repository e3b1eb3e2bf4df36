"""Challenge API: list, show, files, join (accept rules), create from a bundle, reveal."""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, UploadFile, status
from fastapi.responses import FileResponse
from pydantic import BaseModel

from aihub.accounts.actor import Actor
from aihub.accounts.services import get_user
from aihub.challenges import policy
from aihub.challenges.bundle import open_bundle
from aihub.challenges.schemas import (
    ChallengeDetail,
    ChallengeSummary,
    FileOut,
    challenge_detail,
    challenge_summary,
    file_out,
)
from aihub.challenges.services import (
    accept_rules,
    allow_reduced_sandbox,
    approve,
    create_from_bundle,
    downloadable_files,
    get_file,
    get_visible_challenge,
    has_accepted_rules,
    invite,
    list_challenges,
    reveal_private,
)
from aihub.db import utcnow
from aihub.deps import ActorDep, HubDep, ReadSession
from aihub.errors import Forbidden, PayloadTooLarge
from aihub.hub import Hub
from aihub.interop.codabench.importer import is_codabench_bundle
from aihub.interop.codabench.service import import_codabench
from aihub.storage import CHUNK
from aihub.submissions.services import add_baseline

router = APIRouter(prefix="/api/v1", tags=["challenges"])


@router.get("/challenges", response_model=list[ChallengeSummary])
def list_route(session: ReadSession, actor: ActorDep) -> list[ChallengeSummary]:
    now = utcnow()
    return [challenge_summary(session, c, now) for c in list_challenges(session, actor)]


@router.get("/challenges/{slug}", response_model=ChallengeDetail)
def show_route(slug: str, session: ReadSession, actor: ActorDep) -> ChallengeDetail:
    challenge = get_visible_challenge(session, slug, actor)
    return challenge_detail(session, challenge, actor, utcnow())


@router.get("/challenges/{slug}/files", response_model=list[FileOut])
def files_route(slug: str, session: ReadSession, actor: ActorDep) -> list[FileOut]:
    challenge = get_visible_challenge(session, slug, actor)
    return [file_out(challenge, item) for item in downloadable_files(challenge)]


@router.get("/challenges/{slug}/files/{name:path}", response_class=FileResponse)
def download_route(
    slug: str, name: str, session: ReadSession, actor: ActorDep, hub: HubDep
) -> FileResponse:
    challenge = get_visible_challenge(session, slug, actor)
    item = get_file(challenge, name)
    accepted = has_accepted_rules(session, challenge, actor.user)
    if not policy.can_download_files(actor, challenge, accepted_rules=accepted):
        raise Forbidden(
            f"Accept the rules of {slug!r} before downloading its data: "
            f"'aihub challenges join {slug}'."
        )
    return FileResponse(
        hub.storage.path(item.sha256),
        filename=Path(item.name).name,
        headers={"ETag": f'"{item.sha256}"'},
    )


class JoinOut(BaseModel):
    challenge: str
    accepted_at: datetime


@router.post("/challenges/{slug}/join", response_model=JoinOut)
def join_route(slug: str, actor: ActorDep, hub: HubDep) -> JoinOut:
    """Accept the challenge's rules; required before downloading data or submitting."""
    with hub.db.transaction() as session:
        challenge = get_visible_challenge(session, slug, actor)
        acceptance = accept_rules(session, challenge, actor)
        return JoinOut(challenge=slug, accepted_at=acceptance.accepted_at)


def _spool_upload(upload: UploadFile, dest: Path, max_bytes: int) -> None:
    written = 0
    with dest.open("wb") as out:
        while chunk := upload.file.read(CHUNK):
            written += len(chunk)
            if written > max_bytes:
                raise PayloadTooLarge(f"The bundle is larger than the limit of {max_bytes} bytes.")
            out.write(chunk)


@router.post(
    "/challenges", response_model=ChallengeDetail, status_code=status.HTTP_201_CREATED
)
def create_route(
    file: UploadFile, actor: ActorDep, hub: HubDep,
    organization: Annotated[str | None, Form(max_length=64)] = None,
    slug: Annotated[str | None, Form(max_length=64)] = None,
    allow_reduced_sandbox: Annotated[bool, Form()] = False,
) -> ChallengeDetail:
    """Create a challenge from a bundle: a zip holding challenge.yaml and its files, or a
    Codabench competition bundle (competition.yaml; name its host in ``organization``).
    Curators may let its code run in the reduced sandbox (``allow_reduced_sandbox``)."""
    actor.require_user()
    if allow_reduced_sandbox and not policy.can_allow_reduced_sandbox(actor):
        raise Forbidden("Only curators can allow code to run in the reduced sandbox.")
    settings = hub.settings
    with tempfile.TemporaryDirectory(prefix="aihub-upload-") as tmp:
        archive = Path(tmp) / "bundle.zip"
        _spool_upload(file, archive, settings.max_bundle_bytes)
        if is_codabench_bundle(archive):
            detail, job_ids = import_codabench(hub, actor, archive, organization, slug,
                                               reduced_allowed=allow_reduced_sandbox)
        else:
            detail, job_ids = _create_aihub(hub, actor, archive, allow_reduced_sandbox)
    hub.executor.dispatch(job_ids)
    return detail


def _create_aihub(hub: Hub, actor: Actor, archive: Path,
                  reduced_allowed: bool) -> tuple[ChallengeDetail, list[int]]:
    settings = hub.settings
    now = utcnow()
    with open_bundle(archive, max_bytes=settings.max_bundle_bytes) as bundle:
        if bundle.spec.code is not None:
            hub.check_can_run_code(reduced_allowed=reduced_allowed)
        job_ids: list[int] = []
        with hub.db.transaction() as session:
            challenge = create_from_bundle(
                session, hub.storage, hub.truths, actor, bundle,
                max_file_bytes=settings.max_upload_bytes,
            )
            if reduced_allowed:
                allow_reduced_sandbox(challenge, actor, True)
            for baseline in bundle.spec.baselines:
                name_ko, name_en = bundle.localized(baseline.name)
                blob = hub.storage.put_path(
                    bundle.file(baseline.file), max_bytes=settings.max_upload_bytes
                )
                _, job = add_baseline(
                    session, challenge, actor, blob, name_ko=name_ko, name_en=name_en,
                    filename=Path(baseline.file).name, now=now,
                )
                job_ids.append(job.id)
            return challenge_detail(session, challenge, actor, now), job_ids


class SandboxIn(BaseModel):
    reduced_allowed: bool


@router.post("/challenges/{slug}/sandbox", response_model=ChallengeDetail)
def sandbox_route(slug: str, body: SandboxIn, actor: ActorDep, hub: HubDep) -> ChallengeDetail:
    """Allow (or stop) the challenge's code running in the reduced sandbox, on machines
    without user namespaces (curators only; docs/sandbox.md)."""
    with hub.db.transaction() as session:
        challenge = get_visible_challenge(session, slug, actor)
        allow_reduced_sandbox(challenge, actor, body.reduced_allowed)
        return challenge_detail(session, challenge, actor, utcnow())


class InviteIn(BaseModel):
    username: str


@router.post("/challenges/{slug}/invites", status_code=status.HTTP_201_CREATED)
def invite_route(slug: str, body: InviteIn, actor: ActorDep, hub: HubDep) -> dict[str, str]:
    with hub.db.transaction() as session:
        challenge = get_visible_challenge(session, slug, actor)
        invite(session, challenge, actor, get_user(session, body.username))
    return {"challenge": slug, "invited": body.username}


@router.post("/challenges/{slug}/reveal", response_model=ChallengeDetail)
def reveal_route(slug: str, actor: ActorDep, hub: HubDep) -> ChallengeDetail:
    """Open the private leaderboard to everyone before the phase ends (curators only)."""
    with hub.db.transaction() as session:
        challenge = get_visible_challenge(session, slug, actor)
        reveal_private(session, challenge, actor)
        return challenge_detail(session, challenge, actor, utcnow())




@router.post("/challenges/{slug}/approve", response_model=ChallengeDetail)
def approve_route(slug: str, actor: ActorDep, hub: HubDep) -> ChallengeDetail:
    """Open a host's new challenge to participants (curators only)."""
    with hub.db.transaction() as session:
        challenge = get_visible_challenge(session, slug, actor)
        now = utcnow()
        approve(session, challenge, actor, now)
        return challenge_detail(session, challenge, actor, now)
