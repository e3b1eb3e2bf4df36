"""Named verbs for challenges: create from a bundle, accept rules, invite, reveal."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, exists, select
from sqlalchemy.orm import Session, joinedload

from aihub.accounts.actor import Actor
from aihub.accounts.models import Organization, User
from aihub.challenges import policy
from aihub.challenges.bundle import Bundle
from aihub.challenges.models import (
    Challenge,
    ChallengeFile,
    ChallengeInvite,
    EvaluationKind,
    FileAudience,
    Phase,
    RulesAcceptance,
    SubmissionKind,
    Visibility,
)
from aihub.db import utcnow
from aihub.errors import Conflict, FieldErrors, Forbidden, InvalidInput, NotFound
from aihub.evaluation.metrics import (
    Direction,
    Metric,
    PredictionKind,
    UnknownMetricError,
    get_metric,
)
from aihub.evaluation.metrics.base import MetricParams
from aihub.evaluation.plans import BoardColumns
from aihub.evaluation.runners import queue_refusal
from aihub.evaluation.scoring import ScoringSpec, SolutionError, TruthCache
from aihub.storage import LocalStorage


def metric_params(raw: dict[str, Any]) -> MetricParams:
    labels = raw.get("labels") or ()
    known = {"k", "positive_label", "labels"}
    extra = {key: float(value) for key, value in raw.items() if key not in known}
    return MetricParams(
        k=int(raw["k"]) if raw.get("k") is not None else None,
        positive_label=raw.get("positive_label"),
        labels=tuple(labels),
        extra=extra,
    )


def _scored_by_the_program(*_: object) -> float:
    raise TypeError("a program-scored challenge's scores come from its scoring program")


def board_metric(challenge: Challenge) -> Metric:
    """What a challenge's leaderboard ranks by: its built-in metric, or the primary column
    of the host's scoring program (named by its key, ranked in its column's direction)."""
    if challenge.evaluation_kind != EvaluationKind.PROGRAM.value:
        return get_metric(challenge.metric)
    columns = BoardColumns.model_validate(challenge.board_columns or {})
    primary = next(column for column in columns.columns if column.key == columns.primary)
    return Metric(
        name=primary.key,
        direction=Direction.MAXIMIZE if primary.sorting == "desc" else Direction.MINIMIZE,
        kind=PredictionKind.VALUE,
        function=_scored_by_the_program,
        description=primary.title,
    )


def scoring_spec(challenge: Challenge) -> ScoringSpec:
    return ScoringSpec(
        metric=challenge.metric,
        metric_params=metric_params(challenge.metric_params),
        id_column=challenge.id_column,
        target_columns=tuple(challenge.target_columns),
        split_column=challenge.split_column or None,
    )


def get_challenge(session: Session, slug: str) -> Challenge:
    challenge = session.scalar(select(Challenge).where(Challenge.slug == slug))
    if challenge is None:
        raise NotFound(f"No challenge is called {slug!r}; 'aihub challenges list' shows them.")
    return challenge


def is_invited(session: Session, challenge: Challenge, actor: Actor) -> bool:
    if actor.user is None or challenge.visibility != Visibility.INVITE_ONLY:
        return False
    return bool(
        session.scalar(
            select(
                exists().where(
                    ChallengeInvite.challenge_id == challenge.id,
                    ChallengeInvite.user_id == actor.user.id,
                )
            )
        )
    )


def get_visible_challenge(session: Session, slug: str, actor: Actor) -> Challenge:
    """The challenge if the actor may see it; otherwise 'not found', so that invite-only
    challenges do not reveal that they exist."""
    return _visible(session, slug, actor, with_phases=False)[0]


def get_challenge_to_submit(session: Session, slug: str, actor: Actor) -> tuple[Challenge, bool]:
    """``get_visible_challenge`` with its phases loaded, and whether the actor accepted its
    rules: what the submit path asks on every upload, in two statements."""
    return _visible(session, slug, actor, with_phases=True)


_VISIBLE = select(
    Challenge,
    exists().where(
        ChallengeInvite.challenge_id == Challenge.id,
        ChallengeInvite.user_id == bindparam("user_id"),
    ),
    exists().where(
        RulesAcceptance.challenge_id == Challenge.id,
        RulesAcceptance.user_id == bindparam("user_id"),
    ),
).where(Challenge.slug == bindparam("slug"))
# What a summary of a challenge shows besides its own row, loaded with it: a list of
# challenges is then one statement, not one more per challenge.
SUMMARY_LOADS = (joinedload(Challenge.phases), joinedload(Challenge.organization))
# What a challenge's page shows, in the same statement: phases, host, files.
_VISIBLE_WITH_PHASES = _VISIBLE.options(
    joinedload(Challenge.phases), joinedload(Challenge.organization),
    joinedload(Challenge.files),
)


def _visible(
    session: Session, slug: str, actor: Actor, *, with_phases: bool
) -> tuple[Challenge, bool]:
    # One statement for the challenge, whether the actor is invited and accepted its rules.
    row = session.execute(
        _VISIBLE_WITH_PHASES if with_phases else _VISIBLE,
        {"slug": slug, "user_id": actor.user_id if actor.user_id is not None else -1},
    ).unique().first()
    if row is None or not policy.can_view(
        actor, row[0], invited=bool(row[1]) and row[0].visibility == Visibility.INVITE_ONLY
    ):
        raise NotFound(f"No challenge is called {slug!r}; 'aihub challenges list' shows them.")
    return row[0], actor.user is not None and bool(row[2])


def list_challenges(session: Session, actor: Actor) -> list[Challenge]:
    challenges = session.scalars(
        select(Challenge).options(*SUMMARY_LOADS).order_by(Challenge.created_at.desc())
    ).unique()
    invited: set[int] = set()
    if actor.user is not None:
        invited = set(
            session.scalars(
                select(ChallengeInvite.challenge_id).where(
                    ChallengeInvite.user_id == actor.user.id
                )
            )
        )
    return [c for c in challenges if policy.is_listed(actor, c, invited=c.id in invited)]


_ACCEPTED = select(
    exists().where(
        RulesAcceptance.challenge_id == bindparam("challenge_id"),
        RulesAcceptance.user_id == bindparam("user_id"),
    )
)


def has_accepted_rules(session: Session, challenge: Challenge, user: User | None) -> bool:
    if user is None:
        return False
    # Built once and run on the connection: asked again in every submit transaction.
    return bool(
        session.connection().scalar(
            _ACCEPTED, {"challenge_id": challenge.id, "user_id": user.id}
        )
    )


def accept_rules(session: Session, challenge: Challenge, actor: Actor) -> RulesAcceptance:
    user = actor.require_user()
    existing = session.scalar(
        select(RulesAcceptance).where(
            RulesAcceptance.challenge_id == challenge.id, RulesAcceptance.user_id == user.id
        )
    )
    if existing is not None:
        return existing
    acceptance = RulesAcceptance(challenge_id=challenge.id, user_id=user.id)
    session.add(acceptance)
    session.flush()
    return acceptance


def current_phase(challenge: Challenge, now: datetime) -> Phase:
    """The phase open now; else the next to open; else the last one."""
    phases = challenge.phases
    for phase in phases:
        if phase.is_open(now):
            return phase
    upcoming = [phase for phase in phases if phase.starts_at > now]
    return upcoming[0] if upcoming else phases[-1]


def get_phase(challenge: Challenge, name: str | None, now: datetime) -> Phase:
    if name is None:
        return current_phase(challenge, now)
    for phase in challenge.phases:
        if phase.name == name:
            return phase
    names = ", ".join(phase.name for phase in challenge.phases)
    raise NotFound(f"Challenge {challenge.slug!r} has no phase {name!r}; its phases: {names}.")


def invite(session: Session, challenge: Challenge, actor: Actor, user: User) -> ChallengeInvite:
    if not policy.can_manage(actor, challenge):
        raise Forbidden("Only the challenge's hosts can invite people.")
    existing = session.scalar(
        select(ChallengeInvite).where(
            ChallengeInvite.challenge_id == challenge.id, ChallengeInvite.user_id == user.id
        )
    )
    if existing is not None:
        return existing
    invitation = ChallengeInvite(challenge_id=challenge.id, user_id=user.id)
    session.add(invitation)
    session.flush()
    return invitation


def reveal_private(session: Session, challenge: Challenge, actor: Actor) -> Challenge:
    if not policy.can_reveal(actor):
        raise Forbidden("Only curators can reveal a private leaderboard before the phase ends.")
    if challenge.private_revealed_at is None:
        challenge.private_revealed_at = utcnow()
    return challenge


def allow_reduced_sandbox(challenge: Challenge, actor: Actor, allowed: bool) -> Challenge:
    """Let the challenge's code run (or stop it running) in the reduced sandbox, on
    machines without user namespaces (docs/sandbox.md)."""
    if not policy.can_allow_reduced_sandbox(actor):
        raise Forbidden("Only curators can allow code to run in the reduced sandbox.")
    if not challenge.runs_code:
        raise InvalidInput(f"Challenge {challenge.slug!r} takes prediction files scored by a "
                           "built-in metric: none of it runs in a sandbox.")
    challenge.sandbox_fallback_allowed = allowed
    return challenge


def approve(session: Session, challenge: Challenge, actor: Actor, now: datetime) -> Challenge:
    """Open a host's new challenge to participants; approving twice changes nothing."""
    if not policy.can_approve(actor):
        raise Forbidden("Only curators approve challenges.")
    if challenge.approved_at is None:
        challenge.approved_at, challenge.approved_by_id = now, actor.require_user().id
    return challenge


def checked_scoring_spec(
    metric: str, params: dict[str, Any], id_column: str, targets: list[str],
    split_column: str | None,
) -> ScoringSpec:
    """The scorer's spec for these settings, checked as the scorer will read them;
    ``FieldErrors`` naming the field at fault (paths of ``challenge.yaml``)."""
    try:
        found = get_metric(metric)
    except UnknownMetricError as exc:
        raise FieldErrors({"evaluation.metric": str(exc)}) from None
    try:
        parsed = metric_params(params)
    except (TypeError, ValueError, OverflowError) as exc:
        raise FieldErrors({"evaluation.metric_params": f"cannot be read: {exc}"}) from None
    if parsed.k is not None and parsed.k < 1:
        raise FieldErrors({"evaluation.metric_params.k": "k must be 1 or more."})
    missing = [name for name in found.required_params if getattr(parsed, name) in (None, ())]
    if missing:
        raise FieldErrors({f"evaluation.metric_params.{missing[0]}":
                          f"{found.name} needs {', '.join(missing)}."})
    try:
        return ScoringSpec(metric=metric, metric_params=parsed, id_column=id_column,
                           target_columns=tuple(targets), split_column=split_column or None)
    except ValueError as exc:  # no target, a repeated one, or the id column among them
        raise FieldErrors({"evaluation.target": str(exc)}) from None


def hosting_organization(session: Session, actor: Actor, slug: str) -> Organization:
    """The organization ``slug``, if ``actor`` may create challenges for it."""
    org = session.scalar(select(Organization).where(Organization.slug == slug))
    if org is None:
        raise InvalidInput(f"organization: no organization is called {slug!r}.")
    if not policy.can_create_in(actor, org.id):
        raise Forbidden(
            f"You cannot create challenges for {org.slug!r}: you must be a member of it and a "
            "curator must have allowed it to host."
        )
    return org


def create_from_bundle(
    session: Session,
    storage: LocalStorage,
    truths: TruthCache,
    actor: Actor,
    bundle: Bundle,
    *,
    max_file_bytes: int,
) -> Challenge:
    """Create a challenge from a checked bundle. Baselines are added by the caller
    (``submissions.services.add_baseline``) once the challenge exists."""
    user = actor.require_user()
    spec = bundle.spec
    org = hosting_organization(session, actor, spec.organization)
    if session.scalar(select(Challenge.id).where(Challenge.slug == spec.slug)) is not None:
        raise Conflict(f"A challenge called {spec.slug!r} exists already; choose another slug.")
    # A host's jobs go only to a queue of their own organization's (or the shared default):
    # another's runners would never take them, or a runner made for another would get them.
    refusal = None if actor.is_curator else queue_refusal(session, spec.queue, org.id)
    if refusal:
        raise FieldErrors({"queue": refusal})
    evaluation = spec.evaluation
    checked_scoring_spec(evaluation.metric, evaluation.metric_params, evaluation.id_column,
                         evaluation.target_columns, evaluation.split_column)
    for item in spec.files:
        bundle.file(item.path)
    for baseline in spec.baselines:
        bundle.file(baseline.file)
    solution_path = bundle.file(spec.evaluation.solution)
    solution_blob = storage.put_path(solution_path, max_bytes=max_file_bytes)
    challenge = _new_challenge(bundle, org, user, solution_blob.sha256)
    if actor.is_curator:  # a curator's own challenge needs no second look
        challenge.approved_at, challenge.approved_by_id = utcnow(), user.id
    try:
        truth = truths.get(storage.path(solution_blob.sha256), solution_blob.sha256,
                           scoring_spec(challenge))
    except SolutionError as exc:
        raise InvalidInput(f"evaluation.solution ({spec.evaluation.solution}): {exc}") from exc
    challenge.solution_rows_public = truth.split_counts.get("public", 0)
    challenge.solution_rows_private = truth.split_counts.get("private", 0)
    _add_files(challenge, bundle, storage, max_file_bytes)
    _add_phases(challenge, bundle)
    session.add(challenge)
    session.flush()
    return challenge


def _new_challenge(bundle: Bundle, org: Organization, user: User, solution_sha: str) -> Challenge:
    spec = bundle.spec
    title_ko, title_en = bundle.localized(spec.title)
    summary_ko, summary_en = bundle.localized(spec.summary)
    description_ko, description_en = bundle.localized(spec.description)
    rules_ko, rules_en = bundle.localized(spec.rules)
    return Challenge(
        slug=spec.slug,
        organization_id=org.id,
        created_by_id=user.id,
        title_ko=title_ko[:300],
        title_en=title_en[:300],
        summary_ko=summary_ko[:500],
        summary_en=summary_en[:500],
        description_ko=description_ko,
        description_en=description_en,
        rules_ko=rules_ko,
        rules_en=rules_en,
        visibility=spec.visibility,
        max_team_size=spec.max_team_size,
        metric=spec.evaluation.metric,
        metric_params=spec.evaluation.metric_params,
        id_column=spec.evaluation.id_column,
        target_columns=spec.evaluation.target_columns,
        split_column=spec.evaluation.split_column or "",
        solution_sha256=solution_sha,
        sample_submission=spec.sample_submission or "",
        submission_kind=(SubmissionKind.CODE if spec.code else SubmissionKind.PREDICTIONS).value,
        runtime=spec.code.runtime if spec.code else "",
        code_spec=spec.code.model_dump(mode="json") if spec.code else None,
        queue=spec.queue,
    )


def _add_files(
    challenge: Challenge, bundle: Bundle, storage: LocalStorage, max_file_bytes: int
) -> None:
    for position, item in enumerate(bundle.spec.files):
        blob = storage.put_path(bundle.file(item.path), max_bytes=max_file_bytes)
        if blob.sha256 == challenge.solution_sha256:
            raise InvalidInput(
                f"files: {item.path} is the solution file (the same bytes); participants "
                "would download the hidden labels. Leave it out of 'files'."
            )
        description_ko, description_en = bundle.localized(item.description)
        challenge.files.append(
            ChallengeFile(
                position=position,
                name=item.path,
                sha256=blob.sha256,
                size=blob.size,
                description_ko=description_ko[:500],
                description_en=description_en[:500],
                audience=item.audience,
            )
        )


def _add_phases(challenge: Challenge, bundle: Bundle) -> None:
    for position, phase in enumerate(bundle.spec.phases):
        title_ko, title_en = bundle.localized(phase.title)
        challenge.phases.append(
            Phase(
                position=position,
                name=phase.name,
                title_ko=title_ko or phase.name,
                title_en=title_en or phase.name,
                starts_at=phase.start,
                ends_at=phase.end,
                daily_limit=phase.daily_limit,
                total_limit=phase.total_limit,
                final_selections=phase.final_selections,
            )
        )


def downloadable_files(challenge: Challenge) -> list[ChallengeFile]:
    """The files participants may download: never those only code runs may see."""
    return [item for item in challenge.files if item.audience != FileAudience.SANDBOX.value]


def get_file(challenge: Challenge, name: str) -> ChallengeFile:
    files = downloadable_files(challenge)
    for item in files:
        if item.name == name:
            return item
    names: Sequence[str] = [item.name for item in files]
    raise NotFound(f"Challenge {challenge.slug!r} has no file {name!r}; its files: "
                   f"{', '.join(names)}.")
