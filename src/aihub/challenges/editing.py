"""Hosts' verbs on a challenge besides bundles: create one from a form's fields and uploaded
files, check a solution file before anything is stored, and edit a challenge.

A new challenge is made by ``services.create_from_bundle``, fed with a ``ChallengeSpec``
built from the fields and a folder holding the uploads: every rule of a new challenge is
then checked in one place, whether it comes as a zip, from the CLI or from the web form.
Errors name the field they are about (``FieldErrors.fields``, keyed by dotted paths such as
``phases.0.end``, the paths of ``challenge.yaml``), so a form can show each next to its
input.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aihub.accounts.actor import Actor
from aihub.challenges import policy
from aihub.challenges.bundle import Bundle, ChallengeSpec, PhaseSpec
from aihub.challenges.models import Challenge, Phase
from aihub.challenges.services import checked_scoring_spec, create_from_bundle, scoring_spec
from aihub.errors import AihubError, Conflict, FieldErrors, Forbidden
from aihub.evaluation.scoring import SolutionError, SubmissionError, TruthCache
from aihub.evaluation.scoring.reading import open_table
from aihub.evaluation.scoring.truth import load_truth
from aihub.leaderboards.versions import touch_board
from aihub.storage import LocalStorage
from aihub.submissions.models import Submission


def validation_errors(exc: ValidationError) -> dict[str, str]:
    """Pydantic's errors by dotted path, the first per path, without pydantic's prefixes."""
    fields: dict[str, str] = {}
    for item in exc.errors():
        # Parts naming a member of a union ("str", "FileRef", "int") are not fields.
        loc = [str(p) for p in item["loc"] if isinstance(p, int) or p[:1].islower()]
        fields.setdefault(".".join(loc), item["msg"].removeprefix("Value error, "))
    return fields


# Messages of the services start with the field they are about: "evaluation.metric: ...",
# "evaluation.solution (solution.csv): ...".
_FIELD_PREFIX = re.compile(r"^([a-z_]+(?:\.[a-z0-9_]+)*)(?: \([^)]*\))?: (.+)$", re.S)


def field_errors(exc: AihubError) -> dict[str, str]:
    if isinstance(exc, FieldErrors):
        return exc.fields
    match = _FIELD_PREFIX.match(exc.detail)
    if match:
        return {match.group(1): match.group(2)}
    return {"": exc.detail}


def spec_from_fields(raw: dict[str, Any]) -> ChallengeSpec:
    """A ``ChallengeSpec`` from the fields of ``challenge.yaml`` (a form's, already nested),
    with the scoring settings checked as the scorer will read them."""
    try:
        spec = ChallengeSpec.model_validate(raw)
    except ValidationError as exc:
        raise FieldErrors(validation_errors(exc)) from None
    checked_scoring_spec(spec.evaluation.metric, spec.evaluation.metric_params,
                         spec.evaluation.id_column, spec.evaluation.target_columns,
                         spec.evaluation.split_column)
    return spec


def create_challenge(
    session: Session,
    storage: LocalStorage,
    truths: TruthCache,
    actor: Actor,
    spec: ChallengeSpec,
    root: Path,
    *,
    max_file_bytes: int,
) -> Challenge:
    """Create a challenge from ``spec``, whose file paths are relative to ``root``.

    The same checks as a bundle's; a challenge by a host waits for a curator's approval.
    """
    try:
        return create_from_bundle(
            session, storage, truths, actor, Bundle(root, spec), max_file_bytes=max_file_bytes
        )
    except Conflict as exc:  # the one conflict of a new challenge: its slug is taken
        raise FieldErrors({"slug": exc.detail}) from None
    except Forbidden as exc:
        raise FieldErrors({"organization": exc.detail}) from None


class SolutionCheck(BaseModel):
    """What the scorer makes of a solution file, told to its host before anything is kept."""

    filename: str
    columns: list[str]
    public_rows: int | None = None
    private_rows: int | None = None
    field: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def check_solution(
    path: Path, evaluation: dict[str, Any], *, max_bytes: int
) -> SolutionCheck:
    """Read the solution at ``path`` (named as uploaded: the name tells its format) with the
    scorer's own code and the given ``evaluation`` settings; nothing is stored.

    ``evaluation`` holds ``metric``, ``metric_params``, ``id_column``, ``target`` (a name or
    a list) and ``split_column``, as in ``challenge.yaml``.
    """
    try:
        header = open_table(path, original_name=path.name, max_bytes=max_bytes).header
    except SubmissionError as exc:
        return SolutionCheck(filename=path.name, columns=[], field="evaluation.solution",
                             error=str(exc))
    target = evaluation.get("target") or []
    try:
        spec = checked_scoring_spec(
            str(evaluation.get("metric") or ""), dict(evaluation.get("metric_params") or {}),
            str(evaluation.get("id_column") or "id"),
            [target] if isinstance(target, str) else list(target),
            evaluation.get("split_column") or None,
        )
        truth = load_truth(path, spec, max_bytes=max_bytes)
    except FieldErrors as exc:
        name, message = next(iter(exc.fields.items()))
        return SolutionCheck(filename=path.name, columns=list(header), field=name,
                             error=message)
    except SolutionError as exc:
        return SolutionCheck(filename=path.name, columns=list(header),
                             field="evaluation.solution", error=str(exc))
    counts = truth.split_counts
    return SolutionCheck(filename=path.name, columns=list(header),
                         public_rows=counts["public"], private_rows=counts["private"])


# --- Editing ---------------------------------------------------------------------------

KoreanText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class TitleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ko: Annotated[KoreanText, StringConstraints(max_length=300)]
    en: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] = ""


class SummaryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ko: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""
    en: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""


class LongTextIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ko: KoreanText
    en: str = ""


class PhaseTitleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ko: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    en: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""


class PhaseEdit(PhaseSpec):
    """A phase's new dates and limits, with the limits and checks of ``challenge.yaml``;
    ``name`` says which phase (names do not change: submissions refer to them)."""

    title: PhaseTitleIn | None = None  # type: ignore[assignment]


class EvaluationEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    metric: str
    metric_params: dict[str, Any] = Field(default_factory=dict)
    id_column: str = "id"
    target: str | list[str]
    split_column: str | None = None

    @property
    def target_columns(self) -> list[str]:
        return [self.target] if isinstance(self.target, str) else list(self.target)


class ChallengeEdit(BaseModel):
    """What a host may change after creating a challenge (``PATCH /challenges/{slug}``)."""

    model_config = ConfigDict(extra="forbid")
    title: TitleIn
    summary: SummaryIn | None = None  # None: unchanged
    description: LongTextIn
    rules: LongTextIn
    visibility: Literal["public", "unlisted", "invite-only"]
    max_team_size: Annotated[int, Field(ge=1, le=100)]
    phases: list[PhaseEdit] = Field(default_factory=list)
    # Only while nobody has submitted: scores already given were computed with these.
    evaluation: EvaluationEdit | None = None


def parse_edit(raw: dict[str, Any]) -> ChallengeEdit:
    try:
        return ChallengeEdit.model_validate(raw)
    except ValidationError as exc:
        raise FieldErrors(validation_errors(exc)) from None


def has_submissions(session: Session, challenge: Challenge) -> bool:
    """Baselines count: their scores too were computed with the current evaluation."""
    return session.scalar(
        select(Submission.id).where(Submission.challenge_id == challenge.id).limit(1)
    ) is not None


def edit_challenge(
    session: Session,
    storage: LocalStorage,
    truths: TruthCache,
    actor: Actor,
    challenge: Challenge,
    edit: ChallengeEdit,
    *,
    solution: Path | None = None,
    max_file_bytes: int,
) -> Challenge:
    """Apply ``edit`` (and a new solution file, named as uploaded) to ``challenge``.

    Phase changes that move the private board (its closing time, the number of final
    selections) raise the phase's board version in the same transaction.
    """
    if not policy.can_manage(actor, challenge):
        raise Forbidden("Only the challenge's hosts can edit it.")
    if edit.evaluation is not None or solution is not None:
        _edit_evaluation(session, storage, truths, challenge, edit.evaluation, solution,
                         max_file_bytes)
    challenge.title_ko, challenge.title_en = edit.title.ko, edit.title.en or edit.title.ko
    if edit.summary is not None:
        challenge.summary_ko = edit.summary.ko
        challenge.summary_en = edit.summary.en or edit.summary.ko
    challenge.description_ko = edit.description.ko
    challenge.description_en = edit.description.en or edit.description.ko
    challenge.rules_ko, challenge.rules_en = edit.rules.ko, edit.rules.en or edit.rules.ko
    challenge.visibility = edit.visibility
    challenge.max_team_size = edit.max_team_size
    _edit_phases(session, challenge, edit.phases)
    session.flush()
    return challenge


def _edit_phases(session: Session, challenge: Challenge, edits: list[PhaseEdit]) -> None:
    by_name = {phase.name: phase for phase in challenge.phases}
    for index, edit in enumerate(edits):
        phase = by_name.get(edit.name)
        if phase is None:
            raise FieldErrors({f"phases.{index}.name": f"the challenge has no phase {edit.name!r}"})
        if edit.final_selections < phase.final_selections:
            _check_selections(session, phase, edit.final_selections, index)
        moves_board = (edit.end, edit.start, edit.final_selections) != (
            phase.ends_at, phase.starts_at, phase.final_selections
        )
        if edit.title is not None:
            phase.title_ko = edit.title.ko or phase.name
            phase.title_en = edit.title.en or phase.title_ko
        phase.starts_at, phase.ends_at = edit.start, edit.end
        phase.daily_limit, phase.total_limit = edit.daily_limit, edit.total_limit
        phase.final_selections = edit.final_selections
        if moves_board:
            session.flush()
            touch_board(session, phase.id)


def _check_selections(session: Session, phase: Phase, allowed: int, index: int) -> None:
    # A team holding more selections than now allowed would be ranked on more tries than
    # the others: lowering the number must wait until teams unselect.
    most = session.scalar(
        select(func.count(Submission.id))
        .where(Submission.phase_id == phase.id, Submission.selected.is_(True))
        .group_by(Submission.team_id)
        .order_by(func.count(Submission.id).desc())
        .limit(1)
    ) or 0
    if most > allowed:
        raise FieldErrors({f"phases.{index}.final_selections":
                          f"a team has already selected {most} submissions; it cannot be "
                          f"fewer than that now."})


def _edit_evaluation(
    session: Session,
    storage: LocalStorage,
    truths: TruthCache,
    challenge: Challenge,
    evaluation: EvaluationEdit | None,
    solution: Path | None,
    max_file_bytes: int,
) -> None:
    new = evaluation or EvaluationEdit(
        metric=challenge.metric, metric_params=challenge.metric_params,
        id_column=challenge.id_column, target=challenge.target_columns,
        split_column=challenge.split_column or None,
    )
    current = scoring_spec(challenge)
    spec = checked_scoring_spec(new.metric, new.metric_params, new.id_column,
                                new.target_columns, new.split_column)
    if solution is None and spec.fingerprint() == current.fingerprint():
        return
    if has_submissions(session, challenge):
        raise FieldErrors({"evaluation": "the metric, columns and solution cannot change once "
                          "there are submissions: their scores were computed with the "
                          "current ones."})
    sha256 = challenge.solution_sha256
    path = storage.path(sha256)
    if solution is not None:
        blob = storage.put_path(solution, max_bytes=max_file_bytes)
        sha256, path = blob.sha256, solution
    try:
        truth = truths.get(path, sha256, spec)
    except SolutionError as exc:
        raise FieldErrors({"evaluation.solution": str(exc)}) from None
    challenge.metric, challenge.metric_params = new.metric, new.metric_params
    challenge.id_column, challenge.target_columns = new.id_column, new.target_columns
    challenge.split_column = new.split_column or ""
    challenge.solution_sha256 = sha256
    challenge.solution_rows_public = truth.split_counts.get("public", 0)
    challenge.solution_rows_private = truth.split_counts.get("private", 0)
