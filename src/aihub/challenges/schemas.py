"""API shapes of challenges, and the data functions that build them (shared with pages)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy.orm import Session

from aihub.accounts import teams
from aihub.accounts.actor import Actor
from aihub.challenges import policy
from aihub.challenges.models import Challenge, ChallengeFile, Phase
from aihub.challenges.services import (
    board_metric,
    current_phase,
    downloadable_files,
    has_accepted_rules,
)
from aihub.evaluation.plans import CodeSpec
from aihub.schemas import Text


class OrganizationOut(BaseModel):
    slug: str
    name: Text


class PhaseOut(BaseModel):
    name: str
    title: Text
    starts_at: datetime
    ends_at: datetime
    status: str  # upcoming | open | closed
    daily_limit: int
    total_limit: int | None
    final_selections: int


class ChallengeSummary(BaseModel):
    slug: str
    title: Text
    summary: Text
    organization: OrganizationOut
    visibility: str
    metric: str
    direction: str
    phase: PhaseOut
    teams: int
    approved: bool


class FileOut(BaseModel):
    name: str
    size: int
    sha256: str
    description: Text
    url: str


class ChallengeDetail(ChallengeSummary):
    description: Text
    rules: Text
    max_team_size: int
    phases: list[PhaseOut]
    files: list[FileOut]
    sample_submission: str
    public_rows: int
    private_rows: int
    accepted_rules: bool
    is_host: bool
    team: str | None
    private_leaderboard_open: bool
    # What participants submit: a prediction file, or a zip of code ("code"); for code,
    # how it runs (format, runtime, packages, limits; see docs/code-challenges.md).
    submission_kind: str
    code: CodeSpec | None = None
    # aihub, codabench-2 or codalab-1.5; hosts also read what the import ignored.
    source: str = "aihub"
    import_report: str | None = None
    # A curator allowed code to run in the reduced sandbox (no user namespaces) for it.
    reduced_sandbox_allowed: bool = False


def phase_out(phase: Phase, now: datetime) -> PhaseOut:
    status = "open" if phase.is_open(now) else ("upcoming" if now < phase.starts_at else "closed")
    return PhaseOut(
        name=phase.name,
        title=Text(ko=phase.title_ko, en=phase.title_en),
        starts_at=phase.starts_at,
        ends_at=phase.ends_at,
        status=status,
        daily_limit=phase.daily_limit,
        total_limit=phase.total_limit,
        final_selections=phase.final_selections,
    )


def file_out(challenge: Challenge, item: ChallengeFile) -> FileOut:
    return FileOut(
        name=item.name,
        size=item.size,
        sha256=item.sha256,
        description=Text(ko=item.description_ko, en=item.description_en),
        url=f"/api/v1/challenges/{challenge.slug}/files/{item.name}",
    )


def challenge_summary(session: Session, challenge: Challenge, now: datetime) -> ChallengeSummary:
    org = challenge.organization
    return ChallengeSummary(
        slug=challenge.slug,
        title=Text(ko=challenge.title_ko, en=challenge.title_en),
        summary=Text(ko=challenge.summary_ko, en=challenge.summary_en),
        organization=OrganizationOut(slug=org.slug, name=Text(ko=org.name_ko, en=org.name_en)),
        visibility=challenge.visibility,
        metric=challenge.metric,
        direction=board_metric(challenge).direction.value,
        phase=phase_out(current_phase(challenge, now), now),
        teams=challenge.team_count,
        approved=challenge.approved_at is not None,
    )


def challenge_detail(
    session: Session, challenge: Challenge, actor: Actor, now: datetime
) -> ChallengeDetail:
    summary = challenge_summary(session, challenge, now)
    team = teams.team_of(session, challenge, actor.user) if actor.user else None
    phase = current_phase(challenge, now)
    return ChallengeDetail(
        **summary.model_dump(),
        description=Text(ko=challenge.description_ko, en=challenge.description_en),
        rules=Text(ko=challenge.rules_ko, en=challenge.rules_en),
        max_team_size=challenge.max_team_size,
        phases=[phase_out(p, now) for p in challenge.phases],
        files=[file_out(challenge, item) for item in downloadable_files(challenge)],
        sample_submission=challenge.sample_submission,
        public_rows=challenge.solution_rows_public,
        private_rows=challenge.solution_rows_private,
        accepted_rules=has_accepted_rules(session, challenge, actor.user),
        is_host=policy.is_host(actor, challenge),
        team=team.name if team else None,
        private_leaderboard_open=policy.private_board_open(challenge, phase, now),
        submission_kind=challenge.submission_kind,
        code=CodeSpec.model_validate(challenge.code_spec) if challenge.code_spec else None,
        source=challenge.source,
        import_report=challenge.import_report if policy.can_manage(actor, challenge) else None,
        reduced_sandbox_allowed=challenge.sandbox_fallback_allowed,
    )
