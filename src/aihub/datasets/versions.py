"""Named verbs for dataset versions, from a draft to publication (or rejection, blocking,
withdrawal). A version that left draft never changes its files or manifest again: these
verbs refuse first, with a message, and the models' guards refuse whatever slips by.

The caller owns the transaction; intake jobs are started by the caller after the commit
of ``submit_version`` (or ``restart_intake``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aihub.accounts.actor import Actor
from aihub.datasets import policy
from aihub.datasets.findings import (
    RRN_PATTERNS,
    latest_decisions,
    publication_blockers,
    version_findings,
)
from aihub.datasets.manifest import (
    MAX_PATH_CHARS,
    ManifestFile,
    PathError,
    build_manifest,
    check_media_type,
    check_paths,
    content_digest,
    guess_media_type,
    normalize_path,
)
from aihub.datasets.models import (
    Dataset,
    DatasetFile,
    DatasetVersion,
    FindingDecision,
    FindingDecisionKind,
)
from aihub.datasets.services import flush_unique, lock_for_change, text_field
from aihub.datasets.status import VERSION_TRANSITIONS, VersionStatus, check_transition
from aihub.db import utcnow
from aihub.errors import Conflict, FieldErrors, Forbidden, InvalidInput, NotFound
from aihub.storage import Blob, LocalStorage, Storage

# Semver-ish: 1, 1.0, 1.0.0, 1.0.0-beta; never 64 hex digits, so never mistaken for a rev.
LABEL = re.compile(r"^[0-9]{1,9}(\.[0-9]{1,9}){0,2}([-+][0-9A-Za-z.-]{1,40})?$")
REV = re.compile(r"^[0-9a-f]{64}$")
MAX_MESSAGE = 5_000
MAX_REASON = 2_000
# Hugging Face's guidance (< 10k entries per folder, < 100k per repository): past that,
# ask for shards (Parquet, WebDataset) rather than loose files.
MAX_FILES = 10_000


def _what(version: DatasetVersion) -> str:
    return f"Version {version.label} of {version.dataset.slug!r}"


def _move(version: DatasetVersion, new: VersionStatus) -> None:
    check_transition(VERSION_TRANSITIONS, VersionStatus(version.status), new, _what(version))
    version.status = new.value


def _require_editor(actor: Actor, dataset: Dataset) -> None:
    if not policy.can_edit(actor, dataset):
        raise Forbidden(f"Only the hosts of {dataset.slug!r} and the curators can do this.")


def _lock(session: Session, version: DatasetVersion) -> None:
    """Every verb that checks a version's status and then writes holds its row first
    (``lock_for_change``): a file attached or removed while another request submits the
    version would otherwise not match the manifest fixed beside it."""
    lock_for_change(session, version, "status")


def _require_draft(version: DatasetVersion) -> None:
    if version.status != VersionStatus.DRAFT.value:
        raise Conflict(
            f"{_what(version)} is {version.status}; a version's files change only while it "
            "is a draft, and never after publication. Create a new version instead."
        )


def _reason(value: str) -> str:
    return text_field("reason", value, limit=MAX_REASON, required=True)


def create_version(
    session: Session, dataset: Dataset, actor: Actor, *, label: str, message: str,
    now: datetime | None = None,
) -> DatasetVersion:
    """A new draft version, to which files are then attached."""
    user = actor.require_user()
    _require_editor(actor, dataset)
    if not LABEL.match(label):
        raise FieldErrors({"label": f"{label[:70]!r} is not a version label; use numbers "
                                    "such as 1.0.0 (optionally -beta or +build)."})
    text = text_field("message", message, limit=MAX_MESSAGE)
    if not text:
        raise FieldErrors({"message": "every version needs a message saying what it holds "
                                      "or what changed."})
    taken = session.scalar(select(DatasetVersion.id).where(
        DatasetVersion.dataset_id == dataset.id, DatasetVersion.label == label))
    if taken is not None:
        raise Conflict(f"{dataset.slug!r} has a version {label} already; labels are never "
                       "reused. Choose the next one.")
    version = DatasetVersion(dataset_id=dataset.id, label=label, message=text,
                             status=VersionStatus.DRAFT.value, created_by_id=user.id,
                             created_at=now or utcnow(), file_count=0, total_bytes=0)
    version.dataset = dataset
    session.add(version)
    flush_unique(session, f"{dataset.slug!r} has a version {label} already; choose the next.")
    return version


def get_version(session: Session, dataset: Dataset, ref: str, actor: Actor) -> DatasetVersion:
    """A version by its label or its rev (the manifest's sha256), if the actor may see it;
    'not found' otherwise."""
    column = DatasetVersion.rev if REV.match(ref) else DatasetVersion.label
    version = None
    if column is DatasetVersion.rev or LABEL.match(ref):
        version = session.scalar(select(DatasetVersion).where(
            DatasetVersion.dataset_id == dataset.id, column == ref))
    if version is None or not policy.can_view_version(actor, dataset, version):
        raise NotFound(f"{dataset.slug!r} has no version {ref[:70]!r}; its page lists them.")
    version.dataset = dataset
    return version


def check_attachable(version: DatasetVersion, actor: Actor) -> None:
    """Refuse (before any byte is stored) what ``attach_file`` would refuse anyway."""
    _require_editor(actor, version.dataset)
    _require_draft(version)


def attach_file(
    session: Session, storage: Storage, version: DatasetVersion, actor: Actor, *,
    path: str, sha256: str, size: int, media_type: str | None = None,
    now: datetime | None = None,
) -> DatasetFile:
    """Attach a stored blob to a draft under ``path``. The caller must have had the bytes
    (an upload, a local file): a sha256 alone proves nothing, and the store is shared."""
    _require_editor(actor, version.dataset)
    _lock(session, version)
    _require_draft(version)
    try:
        clean = normalize_path(path)
        kind = check_media_type(media_type) if media_type else guess_media_type(clean)
    except ValueError as exc:  # PathError too
        field = "path" if isinstance(exc, PathError) else "media_type"
        raise FieldErrors({field: str(exc)}) from None
    if not storage.exists(sha256) or storage.path(sha256).stat().st_size != size:
        raise InvalidInput(f"{clean}: no stored file has sha256 {sha256[:70]} and size {size}; "
                           "upload the file first.")
    existing = list(session.scalars(select(DatasetFile.path).where(
        DatasetFile.version_id == version.id)))
    if clean in existing:
        raise Conflict(f"{_what(version)} has a file {clean!r} already; remove it first to "
                       "replace it.")
    if len(existing) >= MAX_FILES:
        raise InvalidInput(f"{_what(version)} holds {MAX_FILES} files, the limit; pack "
                           "small files into shards (Parquet, zip) instead.")
    try:
        check_paths([*existing, clean])
    except PathError as exc:
        raise FieldErrors({"path": str(exc)}) from None
    item = DatasetFile(version_id=version.id, path=clean, sha256=sha256, size=size,
                       media_type=kind, created_at=now or utcnow(), intake_error="")
    session.add(item)
    flush_unique(session, f"{_what(version)} has a file {clean!r} already.")
    return item


def attach_local_file(
    session: Session, storage: LocalStorage, version: DatasetVersion, actor: Actor,
    source: Path, *, path: str | None = None, media_type: str | None = None,
    max_bytes: int | None = None,
) -> DatasetFile:
    """Store a local file (seeding, the CLI on the hub's machine) and attach it. The blob
    is stored first: if the attach is refused, an unreferenced blob stays, harmlessly."""
    check_attachable(version, actor)
    blob: Blob = storage.put_path(source, max_bytes=max_bytes)
    return attach_file(session, storage, version, actor, path=path or source.name,
                       sha256=blob.sha256, size=blob.size, media_type=media_type)


def remove_file(session: Session, version: DatasetVersion, actor: Actor, path: str) -> None:
    _require_editor(actor, version.dataset)
    _lock(session, version)
    _require_draft(version)
    item = find_file(session, version, path)
    if item is None:
        raise NotFound(f"{_what(version)} has no file {path[:200]!r}.")
    session.delete(item)
    session.flush()


def find_file(session: Session, version: DatasetVersion, path: str) -> DatasetFile | None:
    if "\x00" in path or len(path) > 2 * MAX_PATH_CHARS:  # never stored, so not found
        return None
    return session.scalar(select(DatasetFile).where(
        DatasetFile.version_id == version.id, DatasetFile.path == path))


def _manifest_files(files: list[DatasetFile]) -> list[ManifestFile]:
    return [ManifestFile(path=f.path, size=f.size, sha256=f.sha256, media_type=f.media_type)
            for f in files]


def metadata_snapshot(dataset: Dataset) -> dict[str, Any]:
    """The dataset's metadata whose sha256 a manifest records (reference §8)."""
    return {
        "slug": dataset.slug, "title_ko": dataset.title_ko, "title_en": dataset.title_en,
        "description_ko": dataset.description_ko, "description_en": dataset.description_en,
        "licence_id": dataset.licence_id, "licence_text": dataset.licence_text,
        "access_tier": dataset.access_tier, "source": dataset.source,
        "tags": sorted(tag.name for tag in dataset.tags),
    }


def latest_published(session: Session, dataset: Dataset) -> DatasetVersion | None:
    return session.scalar(
        select(DatasetVersion)
        .where(DatasetVersion.dataset_id == dataset.id,
               DatasetVersion.status == VersionStatus.PUBLISHED.value)
        .order_by(DatasetVersion.published_at.desc(), DatasetVersion.id.desc()).limit(1)
    )


def version_files(session: Session, version: DatasetVersion) -> list[DatasetFile]:
    return list(session.scalars(select(DatasetFile).where(
        DatasetFile.version_id == version.id).order_by(DatasetFile.path)))


def submit_version(
    session: Session, version: DatasetVersion, actor: Actor, now: datetime | None = None
) -> DatasetVersion:
    """Draft → quarantine: fix the manifest and its rev; the intake jobs run next."""
    dataset = version.dataset
    _require_editor(actor, dataset)
    _lock(session, version)
    _require_draft(version)
    files = version_files(session, version)
    if not files:
        raise InvalidInput(f"{_what(version)} has no files; attach at least one, then submit.")
    previous = latest_published(session, dataset)
    if previous is not None and content_digest(_manifest_files(files)) == content_digest(
            _manifest_files(version_files(session, previous))):
        raise Conflict(f"{_what(version)} holds exactly the files of the published version "
                       f"{previous.label}; change the data, or keep using {previous.label}.")
    text, rev = build_manifest(dataset.slug, version.label, _manifest_files(files),
                               metadata_snapshot(dataset))
    _move(version, VersionStatus.QUARANTINE)
    version.manifest, version.rev = text, rev
    version.file_count, version.total_bytes = len(files), sum(f.size for f in files)
    version.submitted_at = now or utcnow()
    session.flush()
    return version


def record_intake(
    session: Session, version: DatasetVersion, results: Mapping[str, Mapping[str, Any]],
    now: datetime | None = None,
) -> DatasetVersion:
    """Store the intake jobs' results per file path: ``{"profile": dict | None,
    "pii_report": dict | None, "error": str}`` (plain JSON dicts). Once every file has a
    report or an error, the version leaves quarantine: blocked when a resident
    registration number was found, else to review. Calls may come one file at a time."""
    if version.status != VersionStatus.QUARANTINE.value:
        raise Conflict(f"{_what(version)} is {version.status}, not in quarantine; its "
                       "intake results are no longer taken.")
    files = {item.path: item for item in version_files(session, version)}
    unknown = sorted(set(results) - set(files))
    if unknown:
        raise InvalidInput(f"{_what(version)} has no file {unknown[0][:200]!r}.")
    for path, result in results.items():
        item = files[path]
        item.profile = result.get("profile")
        item.pii_report = result.get("pii_report")
        item.intake_error = str(result.get("error") or "")[:10_000]
    if all(item.pii_report is not None or item.intake_error for item in files.values()):
        _finish_intake(version, list(files.values()), now or utcnow())
    session.flush()
    return version


def _finish_intake(version: DatasetVersion, files: list[DatasetFile], now: datetime) -> None:
    version.intake_done_at = now
    rrn = [f for f in version_findings(files) if f.pattern_id in RRN_PATTERNS]
    if not rrn:
        _move(version, VersionStatus.REVIEW)
        return
    _move(version, VersionStatus.BLOCKED)
    where = "; ".join(f"{f.path}{f' column {f.column!r}' if f.column else ''} ({f.count})"
                      for f in rrn[:5])
    version.decided_at = now
    version.reason = (f"Resident registration numbers found in {where}. They are never "
                      "published: remove them and submit the data as a new version.")


def restart_intake(session: Session, version: DatasetVersion, actor: Actor) -> DatasetVersion:
    """Review → quarantine, clearing the results, so the intake runs again (a job failed).
    The caller starts the jobs after the commit."""
    if not policy.can_curate(actor):
        raise Forbidden("Only curators can run a version's intake again.")
    _lock(session, version)
    _move(version, VersionStatus.QUARANTINE)
    version.intake_done_at = None
    for item in version_files(session, version):
        item.profile, item.pii_report, item.intake_error = None, None, ""
    session.flush()
    return version


def decide_finding(
    session: Session, version: DatasetVersion, actor: Actor, *, path: str, column: str,
    pattern_id: str, decision: str, reason: str, now: datetime | None = None,
) -> FindingDecision:
    """A curator's decision on one finding, with a reason; a new row each time (the
    latest counts), so the audit trail keeps every change of mind."""
    user = actor.require_user()
    if not policy.can_curate(actor):
        raise Forbidden("Only curators decide PII findings.")
    _lock(session, version)
    if version.status != VersionStatus.REVIEW.value:
        raise Conflict(f"{_what(version)} is {version.status}; findings are decided while a "
                       "version is in review.")
    try:
        kind = FindingDecisionKind(decision)
    except ValueError:
        raise FieldErrors({"decision": "choose cleared or confirmed."}) from None
    files = version_findings(version_files(session, version))
    finding = next((f for f in files if (f.path, f.column, f.pattern_id) ==
                    (path, column, pattern_id)), None)
    if finding is None:
        raise NotFound(f"{_what(version)} has no finding {pattern_id[:64]!r} in "
                       f"{path[:200]!r}{f' column {column[:100]!r}' if column else ''}.")
    row = FindingDecision(version_id=version.id, file_id=finding.file_id, column=column,
                          pattern_id=pattern_id, decision=kind.value,
                          reason=text_field("reason", reason, limit=500, required=True),
                          decided_by_id=user.id, decided_at=now or utcnow())
    session.add(row)
    session.flush()
    return row


def publish_version(
    session: Session, version: DatasetVersion, actor: Actor, now: datetime | None = None
) -> DatasetVersion:
    """Review → published (curators). Refused while a file lacks its scan or a finding
    lacks a curator's clearance; blocked versions are never published."""
    user = actor.require_user()
    if not policy.can_curate(actor):
        raise Forbidden("Only curators publish dataset versions, after the PII review.")
    _lock(session, version)
    if version.status == VersionStatus.BLOCKED.value:
        raise Conflict(f"{_what(version)} is blocked: {version.reason}")
    problems = []
    if version.status == VersionStatus.REVIEW.value:
        problems = publication_blockers(version_files(session, version),
                                        latest_decisions(session, version.id))
    if problems:
        raise Conflict(f"{_what(version)} cannot be published yet: " + " ".join(problems[:10]))
    _move(version, VersionStatus.PUBLISHED)
    version.published_at, version.published_by_id = now or utcnow(), user.id
    if version.dataset.published_at is None:
        version.dataset.published_at = version.published_at
    version.dataset.updated_at = version.published_at
    session.flush()
    return version


def reject_version(
    session: Session, version: DatasetVersion, actor: Actor, reason: str,
    now: datetime | None = None,
) -> DatasetVersion:
    user = actor.require_user()
    if not policy.can_curate(actor):
        raise Forbidden("Only curators reject dataset versions.")
    text = _reason(reason)
    _lock(session, version)
    _move(version, VersionStatus.REJECTED)
    version.reason, version.decided_by_id, version.decided_at = text, user.id, now or utcnow()
    session.flush()
    return version


def withdraw_version(
    session: Session, version: DatasetVersion, actor: Actor, reason: str,
    now: datetime | None = None,
) -> DatasetVersion:
    """Published → withdrawn: its files are no longer served; the version stays listed
    with the reason (a tombstone)."""
    user = actor.require_user()
    _require_editor(actor, version.dataset)
    text = _reason(reason)
    _lock(session, version)
    _move(version, VersionStatus.WITHDRAWN)
    version.reason, version.decided_by_id, version.decided_at = text, user.id, now or utcnow()
    session.flush()
    return version

