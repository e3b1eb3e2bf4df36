"""Seeding the demo hub: people, host organizations, and the cities' demo challenges.

Seeding is idempotent: a data folder seeded once is reused as it is, so ``aihub demo`` run
twice keeps every submission made in between.
"""

from __future__ import annotations

import secrets
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from aihub.accounts import services as accounts
from aihub.accounts.models import OrgRole, User
from aihub.challenges.bundle import open_bundle
from aihub.challenges.models import Challenge
from aihub.challenges.services import approve, create_from_bundle
from aihub.db import utcnow
from aihub.demo import DEMO_ORGANIZATIONS, write_demo_bundles
from aihub.hub import Hub
from aihub.submissions.services import add_baseline

DEMO_MEMBER = "demo"
DEMO_HOST = "host"
DEMO_CURATOR = "curator"


@dataclass(frozen=True)
class DemoCredentials:
    member_token: str
    host_token: str
    credentials_file: Path


def _password() -> str:
    return secrets.token_urlsafe(12)


def is_seeded(hub: Hub) -> bool:
    with hub.db.reading() as session:
        return session.scalar(select(User.id).where(User.username == DEMO_MEMBER)) is not None


def _write_secret(path: Path, value: str) -> None:
    path.write_text(value + "\n", encoding="utf-8")
    path.chmod(0o600)


def seed_people(hub: Hub) -> DemoCredentials:
    data_dir = hub.settings.data_dir
    passwords = {name: _password() for name in (DEMO_CURATOR, DEMO_HOST, DEMO_MEMBER)}
    with hub.db.transaction() as session:
        curator = accounts.create_user(
            session, username=DEMO_CURATOR, email="curator@aihub.example",
            password=passwords[DEMO_CURATOR], display_name="허브 운영자", is_curator=True,
        )
        host = accounts.create_user(
            session, username=DEMO_HOST, email="host@aihub.example",
            password=passwords[DEMO_HOST], display_name="대전시 AI 담당",
        )
        member = accounts.create_user(
            session, username=DEMO_MEMBER, email="demo@aihub.example",
            password=passwords[DEMO_MEMBER], display_name="데모 참가자",
        )
        for org_spec in DEMO_ORGANIZATIONS:
            org = accounts.create_organization(
                session, slug=org_spec.slug, name_ko=org_spec.name_ko,
                name_en=org_spec.name_en, can_host=True,
            )
            accounts.add_member(session, org, host, role=OrgRole.OWNER)
        _, member_token = accounts.create_token(session, member, name="demo")
        _, host_token = accounts.create_token(session, host, name="demo")
        del curator
    _write_secret(data_dir / "demo-token", member_token)
    _write_secret(data_dir / "host-token", host_token)
    credentials = data_dir / "demo-credentials.txt"
    _write_secret(
        credentials,
        "\n".join(f"{name}\t{password}" for name, password in passwords.items()),
    )
    return DemoCredentials(member_token, host_token, credentials)


def seed_challenges(hub: Hub, *, now: datetime | None = None) -> list[int]:
    """Create the demo challenges as the demo host; returns the baseline jobs to run."""
    now = now or utcnow()
    job_ids: list[int] = []
    with tempfile.TemporaryDirectory(prefix="aihub-demo-") as tmp:
        for folder in write_demo_bundles(Path(tmp), now=now):
            job_ids.extend(_create_challenge(hub, folder, now))
    return job_ids


def _create_challenge(hub: Hub, folder: Path, now: datetime) -> list[int]:
    settings = hub.settings
    job_ids: list[int] = []
    with open_bundle(folder, max_bytes=settings.max_bundle_bytes) as bundle, \
            hub.db.transaction() as session:
        if session.scalar(select(Challenge.id).where(Challenge.slug == bundle.spec.slug)):
            return []
        host = accounts.get_user(session, DEMO_HOST)
        actor = accounts.actor_for(session, host)
        challenge = create_from_bundle(
            session, hub.storage, hub.truths, actor, bundle,
            max_file_bytes=settings.max_upload_bytes,
        )
        curator = accounts.get_user(session, DEMO_CURATOR)
        approve(session, challenge, accounts.actor_for(session, curator), now)
        for baseline in bundle.spec.baselines:
            name_ko, name_en = bundle.localized(baseline.name)
            blob = hub.storage.put_path(bundle.file(baseline.file))
            _, job = add_baseline(
                session, challenge, actor, blob, name_ko=name_ko, name_en=name_en,
                filename=Path(baseline.file).name, now=now,
            )
            job_ids.append(job.id)
    return job_ids


def read_tokens(data_dir: Path) -> tuple[str, str]:
    return (
        (data_dir / "demo-token").read_text(encoding="utf-8").strip(),
        (data_dir / "host-token").read_text(encoding="utf-8").strip(),
    )
