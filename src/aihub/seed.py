"""Seeding the demo hub: people, host organizations, the cities' demo challenges, and the
demo teams who have been taking part in them for the past days.

Seeding is idempotent: a data folder seeded once is reused as it is, so ``aihub demo`` run
twice keeps every submission made in between; and every step skips what exists already.
"""

from __future__ import annotations

import secrets
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import polars as pl
from sqlalchemy import select

from aihub.accounts import services as accounts
from aihub.accounts import teams
from aihub.accounts.models import OrgRole, TeamMember, User
from aihub.challenges.bundle import Bundle, open_bundle
from aihub.challenges.models import Challenge
from aihub.challenges.services import (
    accept_rules,
    approve,
    create_from_bundle,
    current_phase,
    get_challenge,
)
from aihub.db import utcnow
from aihub.demo import DEMO_ORGANIZATIONS, write_code_bundles, write_demo_bundles
from aihub.demo.activity import DEMO_TEAMS, Finals, PlannedTeam, plan_activity, prediction_file
from aihub.evaluation.metrics import get_metric
from aihub.evaluation.metrics.base import Direction
from aihub.evaluation.status import Status
from aihub.evaluation.worker import Worker, worker_name
from aihub.hub import Hub
from aihub.submissions.models import Submission
from aihub.submissions.services import (
    add_baseline,
    list_team_submissions,
    select_final,
    submit_prediction,
)

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
    """Create the demo challenges as the demo host, with their baselines and the demo teams'
    submissions of the past days (``aihub.demo.activity``); score them all with a worker of
    this process, then let the teams choose their final submissions, which only scored
    files may be. Returns the jobs, run here unless another worker took them first."""
    now = now or utcnow()
    job_ids: list[int] = []
    plans: dict[str, tuple[PlannedTeam, ...]] = {}
    _demo_team_users(hub)
    with tempfile.TemporaryDirectory(prefix="aihub-demo-") as tmp:
        for folder in write_demo_bundles(Path(tmp), now=now):
            with open_bundle(folder, max_bytes=hub.settings.max_bundle_bytes) as bundle:
                job_ids.extend(_create_challenge(hub, bundle, now))
                plans[bundle.spec.slug] = plan_activity(bundle.spec.slug, now)
                job_ids.extend(_take_part(hub, bundle, plans[bundle.spec.slug]))
        # Code challenges get their baseline, a model run in the sandbox, and no activity.
        for folder in write_code_bundles(Path(tmp), now=now):
            with open_bundle(folder, max_bytes=hub.settings.max_bundle_bytes) as bundle:
                job_ids.extend(_create_challenge(hub, bundle, now))
    _run(hub, job_ids)
    for slug, plan in plans.items():
        _choose_finals(hub, slug, plan, now)
    return job_ids


def _create_challenge(hub: Hub, bundle: Bundle, now: datetime) -> list[int]:
    job_ids: list[int] = []
    with hub.db.transaction() as session:
        if session.scalar(select(Challenge.id).where(Challenge.slug == bundle.spec.slug)):
            return []
        host = accounts.get_user(session, DEMO_HOST)
        actor = accounts.actor_for(session, host)
        challenge = create_from_bundle(
            session, hub.storage, hub.truths, actor, bundle,
            max_file_bytes=hub.settings.max_upload_bytes,
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


def _demo_team_users(hub: Hub) -> None:
    """The demo teams' accounts. Nobody logs in as them: their passwords are random and
    kept nowhere."""
    with hub.db.transaction() as session:
        existing = set(session.scalars(
            select(User.username).where(User.username.in_([t.username for t in DEMO_TEAMS]))
        ))
        for team in DEMO_TEAMS:
            if team.username not in existing:
                accounts.create_user(
                    session, username=team.username, email=f"{team.username}@aihub.example",
                    password=_password(), display_name=team.name,
                )


def _newcomers(hub: Hub, slug: str, plan: tuple[PlannedTeam, ...]) -> list[PlannedTeam]:
    """The planned teams not yet in the challenge."""
    with hub.db.reading() as session:
        entered = set(session.scalars(
            select(User.username)
            .join(TeamMember, TeamMember.user_id == User.id)
            .join(Challenge, Challenge.id == TeamMember.challenge_id)
            .where(Challenge.slug == slug)
        ))
    return [planned for planned in plan if planned.team.username not in entered]


def _take_part(hub: Hub, bundle: Bundle, plan: tuple[PlannedTeam, ...]) -> list[int]:
    """Each planned team accepts the rules, forms its team and submits its files, each at
    its time in the past; returns the evaluation jobs."""
    newcomers = _newcomers(hub, bundle.spec.slug, plan)
    if not newcomers:
        return []
    evaluation = bundle.spec.evaluation
    solution = pl.read_csv(bundle.file(evaluation.solution))
    job_ids: list[int] = []
    for planned in newcomers:
        # Stored before the transaction: content-addressed blobs are safe to leave behind.
        blobs = [
            hub.storage.put_stream([prediction_file(solution, evaluation, item)])
            for item in planned.submissions
        ]
        with hub.db.transaction() as session:
            challenge = get_challenge(session, bundle.spec.slug)
            actor = accounts.actor_for(session, accounts.get_user(session, planned.team.username))
            accept_rules(session, challenge, actor)
            teams.create_team(session, challenge, actor, planned.team.name)
            for item, blob in zip(planned.submissions, blobs, strict=True):
                _, job = submit_prediction(
                    session, challenge, actor, blob, filename=item.filename,
                    message=item.message, now=item.at, zone=hub.settings.zone,
                )
                job_ids.append(job.id)
    return job_ids


def _run(hub: Hub, job_ids: list[int]) -> None:
    """Run the jobs here, through the queue as ``aihub worker --once`` would. A job another
    worker took meanwhile is left to it: this one then runs any other queued job."""
    worker = Worker(
        hub.db, hub.evaluator, lease_seconds=hub.settings.job_lease_seconds,
        poll_seconds=hub.settings.worker_poll_seconds, name=worker_name("seed"),
    )
    for job_id in job_ids:
        worker.run_once(job_id)


def _finals(
    scored: list[Submission], finals: Finals, direction: Direction, count: int
) -> list[Submission]:
    if finals is Finals.LATEST:
        return scored[:count]  # the service lists newest first
    sign = -1.0 if direction is Direction.MAXIMIZE else 1.0
    return sorted(scored, key=lambda s: (sign * (s.public_score or 0.0), s.id))[:count]


def _choose_finals(hub: Hub, slug: str, plan: tuple[PlannedTeam, ...], now: datetime) -> None:
    """Teams that pick their finals do so among their scored files, unless they did."""
    with hub.db.transaction() as session:
        challenge = get_challenge(session, slug)
        selections = current_phase(challenge, now).final_selections
        direction = get_metric(challenge.metric).direction
        for planned in plan:
            if planned.finals is Finals.NONE:
                continue
            actor = accounts.actor_for(session, accounts.get_user(session, planned.team.username))
            scored = list_team_submissions(
                session, challenge, actor, status=Status.FINISHED.value
            )
            if any(submission.selected for submission in scored):
                continue
            for submission in _finals(scored, planned.finals, direction, selections):
                select_final(session, submission.id, actor, selected=True, now=now)


def read_tokens(data_dir: Path) -> tuple[str, str]:
    return (
        (data_dir / "demo-token").read_text(encoding="utf-8").strip(),
        (data_dir / "host-token").read_text(encoding="utf-8").strip(),
    )
