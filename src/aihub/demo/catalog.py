"""Seeding the demo's data catalog through the hub's own services: the demo challenges'
public data as open datasets linked to their challenges, a registered and an approval-tier
dataset, a version left in review with a personal-data finding, and a data request with
supporters (``aihub.demo.catalog_data`` says what each holds).

Versions go the real way: draft, submit, the intake jobs (profile and PII scan) run here on
the hub's job queue, then a curator publishes. Like the rest of the demo seeding, it is
idempotent: each step skips what exists, so a seeding cut short is finished by the next.
"""

from __future__ import annotations

import logging
import tempfile
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq  # type: ignore[import-untyped]
from sqlalchemy import select

from aihub.accounts import services as accounts
from aihub.accounts.models import OrgRole, User
from aihub.challenges.models import ChallengeFile
from aihub.challenges.services import get_challenge
from aihub.datasets import access, intake, links, requests, services, versions
from aihub.datasets.findings import version_findings
from aihub.datasets.models import (
    AccessRequest,
    ChallengeDataset,
    DataRequest,
    Dataset,
    DatasetVersion,
)
from aihub.datasets.status import VersionStatus
from aihub.demo.activity import DEMO_TEAMS
from aihub.demo.catalog_data import (
    DEMO_ACCESS_REQUESTS,
    DEMO_DATA_REQUESTS,
    DEMO_DATASETS,
    GWANGJU_ITS,
    DemoAccessRequest,
    DemoDataRequest,
    DemoDataset,
    DemoFile,
    DemoVersion,
)
from aihub.errors import Conflict, NotFound
from aihub.evaluation.runners import INTAKE_QUEUE
from aihub.evaluation.worker import Worker, worker_name
from aihub.hub import Hub

log = logging.getLogger(__name__)

DEMO_HOST = "host"
DEMO_CURATOR = "curator"
DEMO_MEMBER = "demo"


def seed_catalog(hub: Hub) -> None:
    """Create whatever of the demo catalog is missing, run its intake and publish it."""
    _organization(hub)
    with tempfile.TemporaryDirectory(prefix="aihub-catalog-") as tmp:
        for spec in DEMO_DATASETS:
            _dataset(hub, spec)
            for version in spec.versions:
                _draft(hub, spec, version, Path(tmp))
                _submit(hub, spec, version)
    _run_intake(hub)
    for spec in DEMO_DATASETS:
        for version in spec.versions:
            if version.publish:
                _publish(hub, spec, version)
        if spec.challenge:
            _link(hub, spec)
    for wanted in DEMO_DATA_REQUESTS:
        _data_request(hub, wanted)
    for asked in DEMO_ACCESS_REQUESTS:
        _access_request(hub, asked)


def _organization(hub: Hub) -> None:
    """The Gwangju host of the demo, with the demo host as its owner."""
    with hub.db.transaction() as session:
        try:
            accounts.get_organization(session, GWANGJU_ITS.slug)
            return
        except NotFound:
            org = accounts.create_organization(
                session, slug=GWANGJU_ITS.slug, name_ko=GWANGJU_ITS.name_ko,
                name_en=GWANGJU_ITS.name_en, can_host=True)
        accounts.add_member(session, org, accounts.get_user(session, DEMO_HOST),
                            role=OrgRole.OWNER)


def _dataset(hub: Hub, spec: DemoDataset) -> None:
    with hub.db.transaction() as session:
        if session.scalar(select(Dataset.id).where(Dataset.slug == spec.slug)) is not None:
            return
        host = accounts.actor_for(session, accounts.get_user(session, DEMO_HOST))
        services.create_dataset(
            session, host, organization=spec.organization, slug=spec.slug,
            title_ko=spec.title_ko, title_en=spec.title_en,
            description_ko=spec.description_ko, description_en=spec.description_en,
            tags=spec.tags, licence_id=spec.licence, access_tier=spec.tier,
            source=spec.source)


def _version(hub: Hub, slug: str, label: str) -> DatasetVersion | None:
    with hub.db.reading() as session:
        return session.scalar(select(DatasetVersion).join(Dataset).where(
            Dataset.slug == slug, DatasetVersion.label == label))


def _content(hub: Hub, spec: DemoDataset, item: DemoFile, tmp: Path) -> Path:
    """The file's bytes on disk: generated, or the challenge's participant file (from the
    store) as Parquet."""
    target = tmp / spec.slug / item.path
    target.parent.mkdir(parents=True, exist_ok=True)
    if item.content is not None:
        target.write_bytes(item.content())
        return target
    with hub.db.reading() as session:
        challenge = get_challenge(session, spec.challenge or "")
        sha256 = session.scalar(select(ChallengeFile.sha256).where(
            ChallengeFile.challenge_id == challenge.id,
            ChallengeFile.name == item.challenge_file))
    if sha256 is None:
        raise NotFound(f"{spec.challenge} has no file {item.challenge_file!r}.")
    table = pl.read_csv(hub.storage.path(sha256))
    # Byte-stream split suits the meter readings' floats: the largest file drops under 1 MB.
    floats = [name for name, kind in table.schema.items() if kind == pl.Float64]
    pq.write_table(table.to_arrow(), target, compression="zstd", compression_level=9,
                   use_byte_stream_split=floats)
    return target


def _draft(hub: Hub, spec: DemoDataset, wanted: DemoVersion, tmp: Path) -> None:
    """The draft with its files, unless the version exists already."""
    if _version(hub, spec.slug, wanted.label) is not None:
        return
    sources = [(item.path, _content(hub, spec, item, tmp)) for item in wanted.files]
    with hub.db.transaction() as session:
        host = accounts.actor_for(session, accounts.get_user(session, DEMO_HOST))
        dataset = services.get_dataset(session, spec.slug)
        version = versions.create_version(session, dataset, host, label=wanted.label,
                                          message=wanted.message)
        for path, source in sources:
            versions.attach_local_file(session, hub.storage, version, host, source, path=path)


def _submit(hub: Hub, spec: DemoDataset, wanted: DemoVersion) -> None:
    with hub.db.transaction() as session:
        host = accounts.actor_for(session, accounts.get_user(session, DEMO_HOST))
        dataset = services.get_dataset(session, spec.slug)
        version = versions.get_version(session, dataset, wanted.label, host)
        if version.status == VersionStatus.DRAFT.value:
            intake.submit_for_intake(session, version, host)


def _run_intake(hub: Hub) -> None:
    """The queued intake jobs, run here through the queue as ``aihub worker --queues
    intake --once`` would; the demo's own workers start only after seeding."""
    worker = Worker(hub.db, hub.evaluator, lease_seconds=hub.settings.job_lease_seconds,
                    poll_seconds=hub.settings.worker_poll_seconds,
                    name=worker_name("seed-intake"), queues=(INTAKE_QUEUE,))
    while worker.run_once():
        pass


def _publish(hub: Hub, spec: DemoDataset, wanted: DemoVersion) -> None:
    """The curator's review: clear the findings the spec explains, then publish. A finding
    nobody foresaw (a changed scanner) leaves the version in review, for a curator."""
    with hub.db.transaction() as session:
        curator = accounts.actor_for(session, accounts.get_user(session, DEMO_CURATOR))
        dataset = services.get_dataset(session, spec.slug)
        version = versions.get_version(session, dataset, wanted.label, curator)
        if version.status != VersionStatus.REVIEW.value:
            return
        found = {(f.path, f.column, f.pattern_id)
                 for f in version_findings(versions.version_files(session, version))}
        for item in wanted.cleared:
            if (item.path, item.column, item.pattern_id) in found:
                versions.decide_finding(session, version, curator, path=item.path,
                                        column=item.column, pattern_id=item.pattern_id,
                                        decision="cleared", reason=item.reason)
        try:
            versions.publish_version(session, version, curator)
        except Conflict as exc:
            log.warning("demo dataset left in review: %s", exc.detail)


def _link(hub: Hub, spec: DemoDataset) -> None:
    """The open dataset on its challenge's page, and the challenge on the dataset's."""
    with hub.db.transaction() as session:
        host = accounts.actor_for(session, accounts.get_user(session, DEMO_HOST))
        dataset = services.get_dataset(session, spec.slug)
        version = versions.latest_published(session, dataset)
        challenge = get_challenge(session, spec.challenge or "")
        if version is None or session.scalar(select(ChallengeDataset.id).where(
                ChallengeDataset.challenge_id == challenge.id,
                ChallengeDataset.version_id == version.id)) is not None:
            return
        links.link_challenge_dataset(session, challenge, version, host, role="training data")


def _data_request(hub: Hub, wanted: DemoDataRequest) -> None:
    """A member's request, supported by some of the demo teams."""
    with hub.db.transaction() as session:
        if session.scalar(select(DataRequest.id).where(
                DataRequest.title == wanted.title)) is not None:
            return
        member = accounts.actor_for(session, accounts.get_user(session, DEMO_MEMBER))
        request = requests.create_data_request(
            session, member, title=wanted.title, description=wanted.description,
            organization=wanted.organization, addressed_to=wanted.addressed_to,
            due_days=hub.settings.data_request_days)
        names = [team.username for team in DEMO_TEAMS[:wanted.supporters]]
        for user in session.scalars(select(User).where(User.username.in_(names))):
            requests.support_data_request(session, request, accounts.actor_for(session, user))


def _access_request(hub: Hub, asked: DemoAccessRequest) -> None:
    """A demo team's request for an approval-tier dataset, left for its hosts to answer."""
    with hub.db.transaction() as session:
        dataset = services.get_dataset(session, asked.dataset)
        user = accounts.get_user(session, DEMO_TEAMS[asked.team].username)
        if session.scalar(select(AccessRequest.id).where(
                AccessRequest.dataset_id == dataset.id,
                AccessRequest.user_id == user.id)) is not None:
            return
        today = date.today()
        access.request_access(
            session, dataset, accounts.actor_for(session, user), purpose=asked.purpose,
            starts_on=today, ends_on=today + timedelta(days=asked.days), commercial_use=False,
            organization=asked.organization, due_days=hub.settings.access_request_days)
