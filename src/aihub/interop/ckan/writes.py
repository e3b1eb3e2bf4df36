"""CKAN's write actions for hosts: ``package_create`` and ``resource_create``.

aihub's versions are immutable and reviewed, so a resource is not published the moment
it is created: ``resource_create`` attaches the file to the dataset's current draft
version (making one, with the files of the latest published version, when there is
none), and the file appears in ``package_show`` once a host submits the version and a
curator publishes it after the PII review. The answer is the draft file's resource dict,
with its sha256 ``hash`` for the client to check.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aihub.datasets import policy, services, versions
from aihub.datasets.models import Dataset, DatasetFile, DatasetVersion
from aihub.datasets.status import VersionStatus
from aihub.datasets.uploads import forget_upload, get_completed_upload
from aihub.db import utcnow
from aihub.interop.ckan import packages, params
from aihub.interop.ckan.errors import CkanNotAuthorizedError, CkanValidationError, invalid
from aihub.interop.ckan.mapping import resource_dict
from aihub.interop.ckan.registry import Call, action
from aihub.storage import Blob, TooLargeError

DEFAULT_LICENCE = "KOGL-1"  # 공공누리 제1유형: what Korean public data carries by default
DRAFT_MESSAGE = "Added through the CKAN API"
_NUMERIC_LABEL = re.compile(r"^([0-9]{1,9})(?:\.([0-9]{1,9}))?(?:\.([0-9]{1,9}))?")
_TUS_URL = re.compile(r"(?:^|/api/v1/uploads/)([A-Za-z0-9_-]{32})/?$")


def _login(call: Call) -> None:
    if call.actor.user is None:
        raise CkanNotAuthorizedError("log in first: send your aihub API token in the "
                                "Authorization or X-CKAN-API-Key header (ckanapi: -a TOKEN).")


def _translated(call: Call, name: str) -> dict[str, str]:
    value = call.params.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise invalid(name, "Must be an object of texts by language: {\"ko\": …, \"en\": …}.")
    return {str(k): v for k, v in value.items()}


def _tags(call: Call) -> list[str]:
    names = []
    for item in params.dict_list(call.params, "tags", limit=services.MAX_TAGS * 2):
        if not isinstance(item.get("name"), str):
            raise invalid("tags", "Each tag is {\"name\": \"...\"}.")
        names.append(item["name"])
    tag_string = params.text(call.params, "tag_string", limit=5_000)
    names.extend(t for t in tag_string.split(",") if t.strip())
    return names


@action(read_only=False)
def package_create(call: Call) -> dict[str, Any]:
    """A new dataset (hosts): ``name`` (2-100 of a-z 0-9 - _), ``owner_org`` (the
    organization's name), ``title`` (Korean; defaults to the name), ``notes``,
    ``title_translated``/``notes_translated`` ({"ko", "en"}), ``license_id`` (default
    KOGL-1), ``tags``, ``url`` (the data's source), ``extras`` access_tier (open,
    registered, approval; default open), licence_text (custom licence), title_en,
    description_en, source. Files follow with ``resource_create``."""
    _login(call)
    p = call.params
    name = params.required(p, "name", limit=100)
    owner_org = params.required(p, "owner_org", limit=64)
    extras = params.extras(p)
    titles, notes = _translated(call, "title_translated"), _translated(call, "notes_translated")
    if params.dict_list(p, "resources"):
        raise invalid("resources", "aihub stores files, not links: create the dataset "
                      "without resources, then send each file with resource_create and "
                      "an upload.")
    with call.hub.db.transaction() as session:
        if session.scalar(select(Dataset.id).where(Dataset.slug == name)) is not None:
            raise CkanValidationError({"name": ["That URL is already in use."]})
        dataset = services.create_dataset(
            session, call.actor, organization=owner_org, slug=name,
            title_ko=params.text(p, "title", limit=1_000) or titles.get("ko") or name,
            title_en=titles.get("en") or extras.get("title_en", ""),
            description_ko=params.text(p, "notes") or notes.get("ko", ""),
            description_en=notes.get("en") or extras.get("description_en", ""),
            tags=_tags(call),
            licence_id=params.text(p, "license_id", limit=40) or DEFAULT_LICENCE,
            licence_text=extras.get("licence_text", ""),
            access_tier=extras.get("access_tier", "open"),
            source=params.text(p, "url", limit=10_000) or extras.get("source", ""),
        )
        return packages.package(session, call.base, dataset)


def next_label(labels: list[str]) -> str:
    """The patch after the highest numeric label (``1.2`` → ``1.2.1``); ``1.0.0`` first.
    Labels are never reused, so every existing label counts, whatever its status."""
    numbers = [tuple(int(g or 0) for g in match.groups())
               for match in map(_NUMERIC_LABEL.match, labels) if match]
    major, minor, patch = max(numbers) if numbers else (1, 0, -1)
    while f"{major}.{minor}.{patch + 1}" in labels:  # 1.0.1 taken while 1.0.0-beta is highest…
        patch += 1
    return f"{major}.{minor}.{patch + 1}"


def current_draft(session: Session, dataset: Dataset) -> DatasetVersion | None:
    """The dataset's newest draft version, which CKAN writes go to."""
    draft = session.scalar(select(DatasetVersion).where(
        DatasetVersion.dataset_id == dataset.id,
        DatasetVersion.status == VersionStatus.DRAFT.value)
        .order_by(DatasetVersion.id.desc()).limit(1))
    if draft is not None:
        draft.dataset = dataset
    return draft


def _draft_for_write(session: Session, call: Call, dataset: Dataset,
                     now: datetime) -> DatasetVersion:
    """The current draft, or a new one holding the latest published version's files: in
    CKAN, resource_create adds a resource to those the package has."""
    draft = current_draft(session, dataset)
    if draft is not None:
        return draft
    labels = list(session.scalars(select(DatasetVersion.label).where(
        DatasetVersion.dataset_id == dataset.id)))
    draft = versions.create_version(session, dataset, call.actor, label=next_label(labels),
                                    message=DRAFT_MESSAGE, now=now)
    published = versions.latest_published(session, dataset)
    if published is not None:
        # Rows of checked paths and stored blobs: the same content, no copy; the intake
        # scans them again with the new files when the draft is submitted.
        session.add_all(DatasetFile(
            version_id=draft.id, path=item.path, sha256=item.sha256, size=item.size,
            media_type=item.media_type, created_at=item.created_at, intake_error="")
            for item in versions.version_files(session, published))
        session.flush()
    return draft


def _check_hash(call: Call, blob: Blob) -> None:
    """A client that sends the sha256 it expects has it checked (CKAN keeps ``hash`` as
    free text; here it is the file's sha256)."""
    declared = params.text(call.params, "hash", limit=200).strip().lower()
    declared = declared.removeprefix("sha256:")
    algorithm = params.text(call.params, "hash_algorithm", limit=40).strip().lower()
    checkable = re.fullmatch(r"[0-9a-f]{64}", declared) or algorithm == "sha256"
    if checkable and declared != blob.sha256:
        raise invalid("hash", f"The file's sha256 is {blob.sha256}, not "
                      f"{declared[:70]!r}: the upload is damaged or not the file meant.")


def _store(call: Call, user_id: int) -> tuple[Blob, str, str | None]:
    """The file's blob, its name, and the tus upload id to forget after the commit."""
    upload = call.files.get("upload")
    if upload is not None:
        try:
            blob = call.hub.storage.put_file(
                upload.file, max_bytes=call.hub.settings.max_dataset_file_bytes)
        except TooLargeError as exc:
            raise invalid("upload", f"The file is {exc}; split it into parts.") from exc
        return blob, upload.filename, None
    url = params.text(call.params, "url", limit=2_000).strip()
    match = _TUS_URL.search(url)
    if match is None:
        raise invalid("upload", "Send the file as a multipart part named 'upload' (ckanapi: "
                      "upload=open(path, 'rb')), or a finished tus upload's URL "
                      "(/api/v1/uploads/<id>) as 'url'; aihub stores files, not links.")
    done = get_completed_upload(call.hub.settings, match.group(1), user_id, utcnow())
    return done.blob, done.filename, match.group(1)


@action(read_only=False)
def resource_create(call: Call) -> dict[str, Any]:
    """Attach a file to the dataset's current draft version (hosts), creating the draft
    (next patch label, holding the published files) when there is none: ``package_id``,
    ``upload`` (a multipart file; or ``url``, a finished tus upload), ``name`` (the path
    in the dataset; default the file's name), ``mimetype``, ``hash`` (checked when it is a
    sha256). The resource shows in package_show once the version is submitted, scanned
    and published by a curator."""
    _login(call)
    user = call.actor.require_user()
    package_id = params.required(call.params, "package_id", limit=200)
    path = params.text(call.params, "name", limit=1_024).strip()
    media_type = params.text(call.params, "mimetype", limit=127).strip() or None
    with call.hub.db.reading() as session:  # refuse before storing a byte
        dataset = packages.visible_dataset(session, call.actor, package_id)
        if not policy.can_edit(call.actor, dataset):
            raise CkanNotAuthorizedError(f"only the hosts of {dataset.slug!r} and the curators "
                                    "can add files to it.")
        draft = current_draft(session, dataset)
        if draft is not None:
            versions.check_attachable(draft, call.actor)
    blob, filename, tus_id = _store(call, user.id)
    _check_hash(call, blob)
    now = utcnow()
    with call.hub.db.transaction() as session:
        dataset = packages.visible_dataset(session, call.actor, package_id)
        draft = _draft_for_write(session, call, dataset, now)
        item = versions.attach_file(session, call.hub.storage, draft, call.actor,
                                    path=path or filename, sha256=blob.sha256, size=blob.size,
                                    media_type=media_type, now=now)
        files = versions.version_files(session, draft)
        out = resource_dict(call.base, dataset, draft, item, files.index(item))
    if tus_id is not None:  # after the commit: the upload cannot be attached twice
        forget_upload(call.hub.settings, tus_id, user.id, utcnow())
    return out
