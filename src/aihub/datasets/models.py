"""The data catalog's tables: datasets, their immutable versions and files, the PII review,
licence acceptances, access requests, download logs, data requests, challenge links.

Statuses are strings of the enums in ``datasets.status``; services change them only
through the transitions listed there. Versions that left ``draft`` are guarded here too
(``_guard_*``): whatever code runs, the ORM refuses to change their files or manifest.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Connection,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
    select,
)
from sqlalchemy.orm import Mapped, Mapper, mapped_column, relationship

from aihub.datasets.status import AccessStatus, DataRequestStatus, VersionStatus
from aihub.db import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from aihub.accounts.models import Organization


class AccessTier(StrEnum):
    OPEN = "open"  # anyone downloads
    REGISTERED = "registered"  # logged in, licence accepted
    APPROVAL = "approval"  # a host or curator accepts a request with a stated purpose


class FindingDecisionKind(StrEnum):
    CLEARED = "cleared"  # not personal data, or acceptable to publish (reason recorded)
    CONFIRMED = "confirmed"  # personal data: the version must not be published as it is


class Dataset(Base):
    __tablename__ = "datasets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # CKAN's package name rule: 2-100 of [a-z0-9_-]; the dataset's address.
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    title_ko: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300), default="")
    description_ko: Mapped[str] = mapped_column(Text, default="")  # Markdown
    description_en: Mapped[str] = mapped_column(Text, default="")
    licence_id: Mapped[str] = mapped_column(String(32))  # a key of licences.LICENCES
    licence_text: Mapped[str] = mapped_column(Text, default="")  # the terms of "custom"
    access_tier: Mapped[str] = mapped_column(String(16), default=AccessTier.OPEN.value)
    # Where the data comes from and how it was made (DCAT dct:provenance, CKAN url).
    source: Mapped[str] = mapped_column(Text, default="")
    # Set when its first version is published: from then on anyone sees its metadata.
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organization: Mapped[Organization] = relationship()
    tags: Mapped[list[DatasetTag]] = relationship(
        back_populates="dataset", order_by="DatasetTag.name", cascade="all, delete-orphan"
    )
    versions: Mapped[list[DatasetVersion]] = relationship(
        back_populates="dataset", order_by="DatasetVersion.id"
    )


class DatasetTag(Base):
    """One tag of a dataset, in its own table so lists can facet and filter on tags."""

    __tablename__ = "dataset_tags"
    __table_args__ = (UniqueConstraint("dataset_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100), index=True)

    dataset: Mapped[Dataset] = relationship(back_populates="tags")


class DatasetVersion(Base):
    __tablename__ = "dataset_versions"
    __table_args__ = (UniqueConstraint("dataset_id", "label"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(
        ForeignKey("datasets.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str] = mapped_column(String(64))  # "1.0.0"
    message: Mapped[str] = mapped_column(Text)  # what changed, required
    status: Mapped[str] = mapped_column(String(16), default=VersionStatus.DRAFT.value)
    # The canonical manifest (manifest.canonical_json) and its sha256, the version's id;
    # both fixed when the version leaves draft.
    manifest: Mapped[str | None] = mapped_column(Text, nullable=True)
    rev: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    file_count: Mapped[int] = mapped_column(Integer, default=0)
    total_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    intake_done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Who rejected, blocked (None: the intake) or withdrew it, when, and why.
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")

    dataset: Mapped[Dataset] = relationship(back_populates="versions")
    files: Mapped[list[DatasetFile]] = relationship(
        back_populates="version", order_by="DatasetFile.path", cascade="all, delete-orphan"
    )


class DatasetFile(Base):
    __tablename__ = "dataset_files"
    __table_args__ = (UniqueConstraint("version_id", "path"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("dataset_versions.id", ondelete="CASCADE"), index=True
    )
    path: Mapped[str] = mapped_column(String(512))  # relative, NFC, '/'-separated
    sha256: Mapped[str] = mapped_column(String(64), index=True)  # the blob in the store
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(127))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Filled by the intake jobs while the version is in quarantine (plain JSON dicts of
    # the profiler and the PII scanner), or the reason one of them failed.
    profile: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    pii_report: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    intake_error: Mapped[str] = mapped_column(Text, default="")

    version: Mapped[DatasetVersion] = relationship(back_populates="files")


class FindingDecision(Base):
    """A curator's decision on one PII finding (file, column, pattern). Never updated: a
    changed mind is a new row, so the audit trail stays whole; the latest row counts."""

    __tablename__ = "dataset_finding_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("dataset_versions.id", ondelete="CASCADE"), index=True
    )
    file_id: Mapped[int] = mapped_column(ForeignKey("dataset_files.id", ondelete="CASCADE"))
    # "" for a text file; a header (or "member: header" in a zip) of any length.
    column: Mapped[str] = mapped_column(Text, default="")
    pattern_id: Mapped[str] = mapped_column(String(64))
    decision: Mapped[str] = mapped_column(String(16))  # FindingDecisionKind
    reason: Mapped[str] = mapped_column(String(500))
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LicenceAcceptance(Base):
    """A member accepted a registered-tier dataset's licence (which one, for what)."""

    __tablename__ = "licence_acceptances"
    __table_args__ = (UniqueConstraint("dataset_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The licence accepted: a dataset whose licence changes asks again.
    licence_id: Mapped[str] = mapped_column(String(32))
    purpose: Mapped[str] = mapped_column(String(500), default="")
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AccessRequest(Base):
    """A member's request to use an approval-tier dataset; rejected or revoked requests
    stay as history and a new request may follow them."""

    __tablename__ = "access_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(
        ForeignKey("datasets.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organization: Mapped[str] = mapped_column(String(200), default="")
    purpose: Mapped[str] = mapped_column(Text)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    commercial_use: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default=AccessStatus.PENDING.value)
    reason: Mapped[str] = mapped_column(String(200), default="")  # of a rejection or revocation
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class DownloadLog(Base):
    """One download of a registered or approval-tier file (the per-user log they need)."""

    __tablename__ = "download_logs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )
    version_id: Mapped[int] = mapped_column(
        ForeignKey("dataset_versions.id", ondelete="CASCADE"), index=True
    )
    file_id: Mapped[int] = mapped_column(ForeignKey("dataset_files.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DataRequest(Base):
    """A public request for data the catalog does not hold, with a due date."""

    __tablename__ = "data_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    organization: Mapped[str] = mapped_column(String(200), default="")  # the requester's
    # The organization asked to provide the data, if the requester knows it; its hosts
    # answer beside the curators.
    addressed_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), nullable=True, index=True
    )
    status: Mapped[str] = mapped_column(String(16), default=DataRequestStatus.RECEIVED.value)
    answer: Mapped[str] = mapped_column(Text, default="")  # the latest answer
    legal_ground: Mapped[str] = mapped_column(String(300), default="")  # of a rejection
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    extended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    extension_reason: Mapped[str] = mapped_column(String(500), default="")
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    fulfilled_dataset_id: Mapped[int | None] = mapped_column(
        ForeignKey("datasets.id", ondelete="SET NULL"), nullable=True
    )
    fulfilled_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("dataset_versions.id", ondelete="SET NULL"), nullable=True
    )
    # Kept by support/unsupport in the same transaction (an UPDATE … + 1, never a
    # read-modify-write): every list shows it.
    support_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class DataRequestSupport(Base):
    """A member's "me too" on a data request."""

    __tablename__ = "data_request_supports"
    __table_args__ = (UniqueConstraint("request_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("data_requests.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChallengeDataset(Base):
    """A published dataset version a challenge uses (its training data, a reference…)."""

    __tablename__ = "challenge_datasets"
    __table_args__ = (UniqueConstraint("challenge_id", "version_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    challenge_id: Mapped[int] = mapped_column(
        ForeignKey("challenges.id", ondelete="CASCADE"), index=True
    )
    version_id: Mapped[int] = mapped_column(
        ForeignKey("dataset_versions.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(64), default="training data")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ImmutableVersionError(RuntimeError):
    """Code tried to change a version that left draft; services refuse first, with a
    message for the person. Reaching this is a bug in the caller."""


# What a version fixes when it leaves draft; nothing changes them afterwards.
_FIXED_VERSION_COLUMNS = ("dataset_id", "label", "message", "manifest", "rev",
                          "file_count", "total_bytes")
_FILE_CONTENT_COLUMNS = ("version_id", "path", "sha256", "size", "media_type")
_FILE_INTAKE_COLUMNS = ("profile", "pii_report", "intake_error")
# Intake may annotate files until a curator decides; a decided version is frozen whole.
_INTAKE_STATES = frozenset({VersionStatus.QUARANTINE.value, VersionStatus.REVIEW.value,
                            VersionStatus.BLOCKED.value})


def _old(target: Any, name: str) -> Any:
    history = inspect(target).attrs[name].history
    return history.deleted[0] if history.deleted else getattr(target, name)


def _changed(target: Any, names: tuple[str, ...]) -> list[str]:
    state = inspect(target)
    return [name for name in names if state.attrs[name].history.has_changes()]


@event.listens_for(DatasetVersion, "before_update")
def _guard_version_update(_: Mapper[Any], __: Connection, target: DatasetVersion) -> None:
    old_status = _old(target, "status")
    changed = _changed(target, _FIXED_VERSION_COLUMNS)
    if old_status != VersionStatus.DRAFT.value and changed:
        raise ImmutableVersionError(
            f"version {target.id} is {old_status}: {', '.join(changed)} cannot change"
        )


@event.listens_for(DatasetVersion, "before_delete")
def _guard_version_delete(_: Mapper[Any], __: Connection, target: DatasetVersion) -> None:
    if _old(target, "status") != VersionStatus.DRAFT.value:
        raise ImmutableVersionError(f"version {target.id} left draft: it is never deleted")


def _version_status(connection: Connection, version_id: int) -> str | None:
    # Read through the flush's own connection: the version's row may change in this flush.
    return connection.scalar(
        select(DatasetVersion.status).where(DatasetVersion.id == version_id)
    )


@event.listens_for(DatasetFile, "before_insert")
@event.listens_for(DatasetFile, "before_delete")
def _guard_file_rows(_: Mapper[Any], connection: Connection, target: DatasetFile) -> None:
    status = _version_status(connection, target.version_id)
    if status is not None and status != VersionStatus.DRAFT.value:
        raise ImmutableVersionError(
            f"version {target.version_id} is {status}: its files are fixed"
        )


@event.listens_for(DatasetFile, "before_update")
def _guard_file_update(_: Mapper[Any], connection: Connection, target: DatasetFile) -> None:
    status = _version_status(connection, _old(target, "version_id"))
    content = _changed(target, _FILE_CONTENT_COLUMNS)
    if content and status != VersionStatus.DRAFT.value:
        raise ImmutableVersionError(
            f"version {target.version_id} is {status}: {', '.join(content)} cannot change"
        )
    intake = _changed(target, _FILE_INTAKE_COLUMNS)
    if intake and status not in _INTAKE_STATES and status != VersionStatus.DRAFT.value:
        raise ImmutableVersionError(
            f"version {target.version_id} is {status}: its intake results are final"
        )
