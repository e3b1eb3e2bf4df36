"""CodaLab 1.5 ``competition.yaml``, mapped to the v2 model as Codabench's V15Unpacker does
(reference §3.1): ``html`` pages, numbered phases with one task each, and the
``leaderboard: {leaderboards, columns}`` form with YAML anchors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from aihub.interop.codabench.dates import read_datetime
from aihub.interop.codabench.fields import Fields
from aihub.interop.codabench.files import BundleFiles, ItemKind
from aihub.interop.codabench.leaderboard import (
    BOARD_TITLE_MAX,
    KEY_MAX,
    TITLE_MAX,
    check_columns,
)
from aihub.interop.codabench.model import (
    Column,
    Competition,
    Leaderboard,
    Page,
    Phase,
    Sorting,
    SourceFormat,
    SubmissionRule,
    Task,
)
from aihub.interop.codabench.phases import (
    DEFAULT_DAILY_LIMIT,
    DEFAULT_TIME_LIMIT,
    DEFAULT_TOTAL_LIMIT,
    detailed_flags,
    limit,
    ordered,
    output_flags,
)
from aihub.interop.codabench.programs import ProgramKind
from aihub.interop.codabench.report import Findings, ImportReport, Where
from aihub.interop.codabench.runtimes import DEFAULT_IMAGE, map_image
from aihub.interop.codabench.yamlmarks import MarkedDict

_NOT_V2 = "the v2 model has no place for it"
IGNORED_TOP = dict.fromkeys((
    "admin_names", "allow_public_submissions", "allow_teams", "anonymous_leaderboard",
    "disallow_leaderboard_modifying", "enable_forum", "enable_per_submission_metadata",
    "is_scoring_only", "max_submission_size", "participant_max_storage_use",
    "leaderboard_management_mode", "delete_submissions_except_best_and_last",
    "require_team_approval", "hide_top_three", "hide_chart", "show_datasets_from_yaml",
    "start_date", "make_programs_available", "make_input_data_available",
    "auto_run_submissions",
), _NOT_V2)
IGNORED_PHASE = {
    **dict.fromkeys(("color", "is_scoring_only", "leaderboard_management_mode",
                     "max_submission_size", "datasets"), _NOT_V2),
    **dict.fromkeys(("scoring_program_docker_image", "ingestion_program_docker_image",
                     "disable_custom_docker_image"),
                    "per-phase docker images are not supported: every phase runs in the "
                    "competition's runtime"),
    "auto_migration": "submissions are not re-run when a phase starts; participants submit "
                      "to the new phase",
}
_NO_HTML = ("HTML pages could not be found in the yaml file. (A file without 'version:' is "
            "read as a CodaLab 1.5 bundle; if this is a Codabench bundle, add 'version: 2'.)")


@dataclass(frozen=True)
class _Draft:
    number: float
    phase: Phase
    task: Task
    where: Where
    force_best: bool


def _number(key: Any, item: MarkedDict) -> float:
    value = item.get("phasenumber", key)
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _pages(top: Fields, files: BundleFiles, findings: Findings) -> tuple[Page | None, list[Page]]:
    html = top.mapping("html", required=True, message=_NO_HTML)
    if html is None:
        return None, []
    fields = Fields(html, top.at("html"), findings)
    terms = None
    pages = []
    for key in html:
        page = files.page(fields.raw(key), fields.at(key), title=str(key),
                          what="terms" if key == "terms" else "page")
        if key == "terms":
            terms = page
        elif page is not None:
            pages.append(page)
    if "terms" not in html:
        findings.problem(top.at("html"), "html.terms (the terms page) is required")
    return terms, pages


def _task(fields: Fields, files: BundleFiles, label: str, position: int) -> Task:
    name = f"{label} Task"
    paths: dict[str, str | None] = {}
    for key in ("scoring_program", "ingestion_program", "input_data", "reference_data"):
        paths[key] = (files.item(fields.raw(key), fields.at(key), what=key.replace("_", " "),
                                 kind=ItemKind.FOLDER_OR_ZIP) if fields.has(key) else None)
    if paths["scoring_program"] is None and not fields.has("scoring_program"):
        fields.findings.problem(fields.base, f'ERROR: Task "{name}" does not have a scoring '
                                "program")
    during = fields.boolean("ingestion_program_only_during_scoring", default=False)
    return Task(
        index=position, name=name, description=fields.text("description"),
        scoring_program=paths["scoring_program"] or "",
        ingestion_program=paths["ingestion_program"], input_data=paths["input_data"],
        reference_data=paths["reference_data"], ingestion_only_during_scoring=during,
        scoring_command=files.command(paths["scoring_program"], fields.at("scoring_program"),
                                      kind=ProgramKind.PROGRAM),
        ingestion_command=files.command(paths["ingestion_program"],
                                        fields.at("ingestion_program"),
                                        kind=ProgramKind.INGESTION),
    )


def _draft(key: Any, item: Any, where: Where, position: int, files: BundleFiles,
           findings: Findings) -> _Draft | None:
    if not isinstance(item, MarkedDict):
        findings.problem(where, "a phase must be a mapping (label, start_date, ...)")
        return None
    fields = Fields(item, where, findings)
    label = fields.text("label", required=True)
    fields.raw("phasenumber")
    start = read_datetime(fields.raw("start_date"), fields.at("start_date"), findings)
    if not fields.has("start_date"):
        findings.problem(fields.at("start_date"), f"phase {label!r}: 'start_date' is required")
    paths = {key: files.item(fields.raw(key), fields.at(key), what=key.replace("_", " "),
                             kind=ItemKind.ANY) if fields.has(key) else None
             for key in ("starting_kit", "public_data")}
    hides = output_flags(fields, findings)
    phase = Phase(
        index=position, name=label, description=fields.text("description"),
        start=start or datetime.min.replace(tzinfo=UTC), end=None,
        max_submissions_per_day=limit(fields.integer("max_submissions_per_day",
                                                     default=DEFAULT_DAILY_LIMIT)),
        max_submissions=limit(fields.integer("max_submissions", default=DEFAULT_TOTAL_LIMIT)),
        # Set only when truthy, as upstream: 0 or nothing is the default.
        execution_time_limit=fields.integer("execution_time_limit") or DEFAULT_TIME_LIMIT,
        tasks=(position,), starting_kit=paths["starting_kit"], public_data=paths["public_data"],
        hide_output=hides[0], hide_prediction_output=hides[1], hide_score_output=hides[2],
    )
    task = _task(fields, files, label, position)
    force_best = fields.boolean("force_best_submission_to_leaderboard", default=False)
    fields.raw("is_parallel_parent")
    fields.raw("parent_phasenumber")
    fields.finish(IGNORED_PHASE)
    return _Draft(_number(key, item), phase, task, where, force_best) if start else None


def _phases(top: Fields, files: BundleFiles, end: datetime | None,
            findings: Findings) -> tuple[list[_Draft], tuple[Phase, ...]]:
    raw = top.mapping("phases", required=True)
    if raw is None:
        return [], ()
    where = top.at("phases")
    entries = sorted(((key, raw[key]) for key in raw),
                     key=lambda entry: _number(*entry) if isinstance(entry[1], MarkedDict) else 0)
    if any(isinstance(item, MarkedDict) and (item.get("is_parallel_parent")
                                             or item.get("parent_phasenumber") is not None)
           for _, item in entries):
        findings.not_supported(where, "parallel phases (CodaLab 1.8): the parent phase "
                               f"{entries[0][0]} is dropped, as Codabench does")
        entries = entries[1:]
    drafts = []
    for position, (key, item) in enumerate(entries):
        at = where.child(str(key), raw.line_of(key))
        draft = _draft(key, item, at, position, files, findings)
        if draft is not None:
            drafts.append(draft)
    for position, draft in enumerate(drafts):
        # A v1.5 phase ends the day before the next starts; the last at the end_date.
        ends = drafts[position + 1].phase.start - timedelta(days=1) if position + 1 < len(
            drafts) else end
        drafts[position] = replace(draft, phase=replace(draft.phase, end=ends))
    phases = ordered([(i, d.phase, d.where) for i, d in enumerate(drafts)], findings)
    if not phases and raw is not None:
        findings.problem(where, "a competition needs at least one phase")
    return drafts, phases


def _rule(top: Fields, drafts: list[_Draft], findings: Findings) -> SubmissionRule:
    force_last = top.boolean("force_submission_to_leaderboard", default=False)
    best = [d for d in drafts if d.force_best]
    if best:
        findings.warn(best[0].where, "force_best_submission_to_leaderboard is mapped to the "
                      "rule Force_Best: each participant's best submission is on the board "
                      "(one board for every phase, so it applies to all phases)")
        return SubmissionRule.FORCE_BEST
    if force_last:
        findings.warn(top.at("force_submission_to_leaderboard"), "force_submission_to_"
                      "leaderboard is mapped to the rule Force_Last: each participant's latest "
                      "submission is on the board (Codabench drops this key, leaving Add)")
        return SubmissionRule.FORCE_LAST
    findings.warn(top.at("leaderboard"), "no rule forces submissions to the board: the rule "
                  "is Add, so participants choose which submission is on the board")
    return SubmissionRule.ADD


def _member(column: MarkedDict, label: str, single: bool) -> bool:
    board = column.get("leaderboard")
    if isinstance(board, Mapping):
        return str(board.get("label", "")).lower() == label.lower()
    return single


def _columns(raw: MarkedDict, where: Where, label: str, single: bool,
             findings: Findings) -> list[tuple[Column, Where]]:
    drafts = []
    for key in raw:
        item, at = raw[key], where.child(str(key), raw.line_of(key))
        if not isinstance(item, MarkedDict):
            findings.problem(at, "a column must be a mapping (label, rank, ...)")
            continue
        if not _member(item, label, single):
            findings.not_supported(at, f"column {key!r} is not on the first leaderboard; it "
                                   "is ignored")
            continue
        fields = Fields(item, at, findings)
        fields.raw("leaderboard")
        if len(str(key)) > KEY_MAX:
            findings.problem(at, f"column key {key!r} is longer than {KEY_MAX} characters")
        title = fields.text("label", default=str(key), max_length=TITLE_MAX)
        rank = fields.integer("rank", default=1, minimum=-(10**9)) or 0
        column = Column(key=str(key), title=title, index=0,
                        sorting=fields.choice("sort", Sorting, Sorting.DESC),
                        precision=min(fields.integer("numeric_format", default=2) or 0, 10),
                        hidden=fields.boolean("hidden", default=False))
        fields.finish({"computed": "computed columns of CodaLab 1.5 are not imported; the "
                                   "scoring program must write this column"})
        drafts.append((rank, column, at))
    drafts.sort(key=lambda draft: draft[0])
    return [(replace(column, index=i), at) for i, (_, column, at) in enumerate(drafts)]


def _leaderboard(top: Fields, rule: SubmissionRule, findings: Findings) -> Leaderboard | None:
    raw = top.mapping("leaderboard", required=True,
                      message="Could not find leaderboards in the competition yaml")
    if raw is None:
        return None
    fields = Fields(raw, top.at("leaderboard"), findings)
    boards = fields.mapping("leaderboards", required=True,
                            message="Could not find leaderboards in the competition yaml")
    columns = fields.mapping("columns", required=True,
                             message="Leaderboards require at least 1 column")
    fields.finish()
    if not boards or columns is None:
        if boards is not None:
            findings.problem(fields.at("leaderboards"), "Could not find leaderboards in the "
                             "competition yaml")
        return None
    names = list(boards)
    for name in names[1:]:
        findings.not_supported(fields.at("leaderboards").child(str(name), boards.line_of(name)),
                               "only the first leaderboard is used; this one is ignored")
    name = str(names[0])
    board = boards[names[0]]
    label = str(board.get("label", name)) if isinstance(board, Mapping) else name
    where = fields.at("columns")
    found = _columns(columns, where, label, len(names) == 1, findings)
    check_columns(found, where, findings)
    if len(name) > KEY_MAX or len(name) > BOARD_TITLE_MAX:
        findings.problem(fields.at("leaderboards"), f"leaderboard name {name!r} is longer "
                         f"than {KEY_MAX} characters")
    return Leaderboard(title=name, key=name, rule=rule,
                       columns=tuple(column for column, _ in found), primary_index=0)


def read_v15(data: MarkedDict, files: BundleFiles, findings: Findings,
             extra_images: Mapping[str, str] | None = None) -> Competition | None:
    """The competition of a v1.5 file, or None when problems were found (in ``findings``).
    Its report is left empty: the caller fills it once every line is in."""
    top = Fields(data, Where(""), findings)
    top.raw("version")
    title = top.text("title", required=True)
    image = (files.item(top.raw("image"), top.at("image"), what="image", kind=ItemKind.FILE)
             if top.has("image") else None)
    terms, pages = _pages(top, files, findings)
    docker_image = top.text("competition_docker_image") or DEFAULT_IMAGE
    image_at = (top.at("competition_docker_image") if top.has("competition_docker_image")
                else Where("competition_docker_image"))
    runtime = map_image(docker_image, image_at, findings, extra_images)
    end_raw = top.raw("end_date")
    end = None if end_raw == "null" else read_datetime(end_raw, top.at("end_date"), findings)
    drafts, phases = _phases(top, files, end, findings)
    leaderboard = _leaderboard(top, _rule(top, drafts, findings), findings)
    approve = not top.boolean("has_registration", default=True)
    description = top.text("description")
    detailed = detailed_flags(top, findings)
    top.finish(IGNORED_TOP)
    if findings.problems or leaderboard is None or terms is None:
        return None
    return Competition(
        source=SourceFormat.CODALAB_15, title=title, description=description, image=image,
        terms=terms, pages=tuple(pages), docker_image=docker_image, runtime=runtime,
        registration_auto_approve=approve, enable_detailed_results=detailed[0],
        show_detailed_results_in_submission_panel=detailed[1],
        show_detailed_results_in_leaderboard=detailed[2], phases=phases,
        tasks=tuple(draft.task for draft in drafts), leaderboard=leaderboard, solutions=(),
        fact_sheet=None, report=ImportReport(),
    )
