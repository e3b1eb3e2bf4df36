"""Storing a read Codabench bundle as an aihub challenge.

Each phase keeps its task (programs and data as content-addressed zip blobs, so importing
the same bundle twice stores nothing new), the first leaderboard becomes the board's
columns, and the import report is kept for the hosts. Participants download a phase's
starting kit and public data; the input data only code runs see, the reference data only
the scoring step.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
import unicodedata
import zipfile
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath

from sqlalchemy import select
from sqlalchemy.orm import Session

from aihub.accounts.actor import Actor
from aihub.accounts.models import Organization
from aihub.challenges.models import (
    Challenge,
    ChallengeFile,
    EvaluationKind,
    FileAudience,
    Phase,
    SubmissionKind,
)
from aihub.challenges.services import hosting_organization
from aihub.db import utcnow
from aihub.errors import Conflict, InvalidInput
from aihub.evaluation.plans import BlobRef, BoardColumn, BoardColumns, PhaseTask
from aihub.interop.codabench.archive import BROKEN_ZIP
from aihub.interop.codabench.model import Competition, Leaderboard, Page, SubmissionRule
from aihub.interop.codabench.model import Phase as BundlePhase
from aihub.interop.codabench.reader import ImportedBundle
from aihub.interop.codabench.report import BundleInvalid, Where
from aihub.storage import LocalStorage

# Codabench's phases may never end; aihub's phases end, so "never" is this far.
NEVER = datetime(2099, 12, 31, tzinfo=UTC)
# Codabench's 0 (no daily limit) in aihub's daily limit column.
NO_DAILY_LIMIT = 1_000_000
_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(text: str, fallback: str, *, limit: int = 60) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = _SLUG.sub("-", ascii_text.lower()).strip("-")[:limit].strip("-")
    return slug if len(slug) >= 3 else fallback


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def page_text(page: Page) -> str:
    """A page as markdown: pages in HTML (CodaLab's) become their text, since pages here
    are markdown without raw HTML."""
    if not page.is_html:
        return page.text
    parser = _Text()
    parser.feed(page.text)
    return re.sub(r"\n\s*\n+", "\n\n", "".join(parser.parts)).strip()


def board_columns(leaderboard: Leaderboard) -> BoardColumns:
    return BoardColumns(
        columns=tuple(
            BoardColumn(
                key=column.key, title=column.title, index=column.index,
                sorting=column.sorting.value, precision=column.precision, hidden=column.hidden,
                computation=column.computation.value if column.computation else None,
                computation_indexes=column.computation_indexes,
            )
            for column in leaderboard.columns
        ),
        primary=leaderboard.primary.key,
        rule=leaderboard.rule.value,
    )


class _Blobs:
    """Bundle items stored as zip blobs, each named for the program that will see it. Each
    item is packed once (folders into stable zips) and stored only when asked."""

    def __init__(self, bundle: ImportedBundle, storage: LocalStorage, scratch: Path,
                 max_bytes: int) -> None:
        self.bundle, self.storage = bundle, storage
        self.scratch, self.max_bytes = scratch, max_bytes
        self._packed: dict[str, Path] = {}
        self._sha256: dict[str, str] = {}

    def packed(self, relative: str) -> Path:
        if relative not in self._packed:
            self._packed[relative] = self.bundle.pack(relative, self.scratch)
        return self._packed[relative]

    def sha256(self, relative: str) -> str:
        if relative not in self._sha256:
            with self.packed(relative).open("rb") as handle:
                self._sha256[relative] = hashlib.file_digest(handle, "sha256").hexdigest()
        return self._sha256[relative]

    def ref(self, relative: str | None, name: str) -> BlobRef | None:
        if relative is None:
            return None
        blob = self.storage.put_path(self.packed(relative), max_bytes=self.max_bytes)
        return BlobRef(sha256=blob.sha256, size=blob.size, name=name)


def check_packed_exposure(competition: Competition, blobs: _Blobs) -> None:
    """Refuse a starting kit or public data whose packed bytes are a task's reference data
    or scoring program (a copy of the folder elsewhere in the bundle): the reader compared
    paths, this compares contents."""
    secret = {blobs.sha256(relative): (relative, what) for task in competition.tasks
              for relative, what in ((task.reference_data, "reference data"),
                                     (task.scoring_program, "scoring program"))
              if relative}
    problems = []
    for phase in competition.phases:
        for kind, relative in (("starting_kit", phase.starting_kit),
                               ("public_data", phase.public_data)):
            found = secret.get(blobs.sha256(relative)) if relative else None
            if found is not None:
                problems.append((Where(f"phase {phase.name!r}, {kind}"), (
                    f"{relative!r} has the same content as the {found[1]} {found[0]!r}; "
                    f"participants download the {kind.replace('_', ' ')}, and must never get "
                    f"the {found[1]}")))
    if problems:
        raise BundleInvalid(problems)


def _file_name(relative: str, fallback: str, taken: set[str]) -> str:
    """A participant file's name: a plain file keeps its own (made safe), unless another
    file has it; a packed folder gets ``fallback``."""
    own = re.sub(r"[^A-Za-z0-9._ -]", "-", PurePosixPath(relative).name).strip()[:200]
    name = own if own and own[0] != " " and own not in {".", ".."} else fallback
    return fallback if name in taken else name


def _task(competition: Competition, phase: BundlePhase, blobs: _Blobs) -> PhaseTask:
    task = competition.phase_task(phase)
    scoring = blobs.ref(task.scoring_program, "scoring_program.zip")
    assert scoring is not None  # every task has one (checked when read)
    return PhaseTask(
        name=task.name, scoring_program=scoring,
        ingestion_program=blobs.ref(task.ingestion_program, "ingestion_program.zip"),
        input_data=blobs.ref(task.input_data, "input_data.zip"),
        reference_data=blobs.ref(task.reference_data, "reference_data.zip"),
        ingestion_only_during_scoring=task.ingestion_only_during_scoring,
        time_limit_seconds=phase.execution_time_limit, hide_output=phase.hide_output,
        enable_detailed_results=competition.enable_detailed_results,
        show_detailed_results_in_submission_panel=(
            competition.show_detailed_results_in_submission_panel),
    )


def _description(competition: Competition) -> str:
    parts = [competition.description.strip()]
    parts += [f"## {page.title}\n\n{page_text(page)}" for page in competition.pages]
    return "\n\n".join(part for part in parts if part)


def _report(competition: Competition) -> str:
    text = competition.report.text()
    if competition.leaderboard.rule is not SubmissionRule.FORCE_BEST:
        text += (
            f"\nThe leaderboard's submission rule {competition.leaderboard.rule.value} is "
            "ranked as Force_Best here: each team's best submission is on the board."
        )
    return text.strip()


def _challenge(competition: Competition, slug: str, org_id: int, user_id: int) -> Challenge:
    columns = board_columns(competition.leaderboard)
    code = any(task.ingestion_program for task in competition.tasks)
    return Challenge(
        slug=slug, organization_id=org_id, created_by_id=user_id,
        title_ko=competition.title[:300], title_en=competition.title[:300],
        description_ko=_description(competition), description_en=_description(competition),
        rules_ko=page_text(competition.terms), rules_en=page_text(competition.terms),
        metric="program", metric_params={}, id_column="", target_columns=[],
        split_column="", solution_sha256="",
        evaluation_kind=EvaluationKind.PROGRAM.value,
        submission_kind=(SubmissionKind.CODE if code else SubmissionKind.PREDICTIONS).value,
        runtime=competition.runtime, board_columns=columns.model_dump(mode="json"),
        source=competition.source.value, import_report=_report(competition),
    )


def _phase_names(competition: Competition) -> list[str]:
    names: list[str] = []
    for number, phase in enumerate(competition.phases, start=1):
        name = slugify(phase.name, f"phase-{number}", limit=40)
        names.append(name if name not in names else f"{name}-{number}")
    return names


def _add_phases(challenge: Challenge, competition: Competition, blobs: _Blobs) -> None:
    for position, (phase, name) in enumerate(
        zip(competition.phases, _phase_names(competition), strict=True)
    ):
        challenge.phases.append(Phase(
            position=position, name=name, title_ko=phase.name[:200], title_en=phase.name[:200],
            starts_at=phase.start, ends_at=phase.end or NEVER,
            daily_limit=phase.max_submissions_per_day or NO_DAILY_LIMIT,
            total_limit=phase.max_submissions, final_selections=1,
            task=_task(competition, phase, blobs).model_dump(mode="json"),
        ))
        for kind, relative in (("starting_kit", phase.starting_kit),
                               ("public_data", phase.public_data)):
            if relative is None:
                continue
            packed = f"{name}-{kind}.zip"
            taken = {file.name for file in challenge.files}
            ref = blobs.ref(relative, packed if blobs.bundle.path(relative).is_dir()
                            else _file_name(relative, packed, taken))
            if ref is not None:
                challenge.files.append(ChallengeFile(
                    position=len(challenge.files), name=ref.name, sha256=ref.sha256,
                    size=ref.size, description_ko=f"{phase.name}: {kind}",
                    description_en=f"{phase.name}: {kind}",
                    audience=FileAudience.PARTICIPANTS.value,
                ))


def is_codabench_bundle(path: Path) -> bool:
    """Whether the zip or folder at ``path`` is a Codabench bundle (``competition.yaml`` at
    its top or in one top folder) rather than an aihub one (``challenge.yaml``)."""
    if path.is_dir():
        return (path / "competition.yaml").is_file() or any(path.glob("*/competition.yaml"))
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except BROKEN_ZIP:
        return False  # the aihub reader says what is wrong with it
    return any(name.rstrip("/").split("/")[-1] == "competition.yaml"
               and name.count("/") <= 1 for name in names)


def default_organization(session: Session, actor: Actor, given: str | None) -> str:
    """The host of an imported bundle: the one named, or the actor's only hosting one."""
    if given:
        return given
    slugs = list(session.scalars(
        select(Organization.slug).where(Organization.id.in_(actor.hosting_org_ids))
    ))
    if len(slugs) == 1:
        return slugs[0]
    raise InvalidInput(
        "organization: a Codabench bundle does not name its host; say which organization "
        "hosts it (aihub challenges create BUNDLE.zip --organization SLUG"
        + (f"; yours: {', '.join(sorted(slugs))})." if slugs else ").")
    )


def solution_phases(competition: Competition) -> list[tuple[int, int]]:
    """(solution index, phase position) for each phase a solution's tasks score: the
    example submissions an organizer ships, run as baselines to test the pipeline."""
    found = []
    for solution in competition.solutions:
        for position, phase in enumerate(competition.phases):
            if phase.task in solution.tasks:
                found.append((solution.index, position))
    return found


def create_from_codabench(
    session: Session, storage: LocalStorage, actor: Actor, bundle: ImportedBundle, *,
    organization: str, slug: str | None, max_file_bytes: int,
) -> Challenge:
    """Create a challenge from a read Codabench bundle, hosted by ``organization``."""
    user = actor.require_user()
    org = hosting_organization(session, actor, organization)
    competition = bundle.competition
    slug = slug or slugify(competition.title, "codabench-challenge")
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{1,62}[a-z0-9]", slug):
        raise InvalidInput(f"slug: {slug!r} must be 3-64 lowercase letters, digits and '-'.")
    if session.scalar(select(Challenge.id).where(Challenge.slug == slug)) is not None:
        raise Conflict(f"A challenge called {slug!r} exists already; choose another slug.")
    challenge = _challenge(competition, slug, org.id, user.id)
    with tempfile.TemporaryDirectory(prefix="aihub-import-") as scratch:
        blobs = _Blobs(bundle, storage, Path(scratch), max_file_bytes)
        check_packed_exposure(competition, blobs)
        _add_phases(challenge, competition, blobs)
    if actor.is_curator:  # a curator's own challenge needs no second look
        challenge.approved_at, challenge.approved_by_id = utcnow(), user.id
    session.add(challenge)
    session.flush()
    return challenge
