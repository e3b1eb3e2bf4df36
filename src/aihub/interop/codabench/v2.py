"""``competition.yaml`` version 2 (Codabench), by the v2 unpacker's rules and defaults."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from aihub.interop.codabench.dates import read_datetime
from aihub.interop.codabench.fields import Fields, items, shown
from aihub.interop.codabench.files import BundleFiles, ItemKind
from aihub.interop.codabench.leaderboard import read_leaderboards
from aihub.interop.codabench.model import Competition, Page, Phase, Solution, SourceFormat, Task
from aihub.interop.codabench.phases import (
    DEFAULT_DAILY_LIMIT,
    DEFAULT_TIME_LIMIT,
    DEFAULT_TOTAL_LIMIT,
    check_tasks,
    detailed_flags,
    limit,
    ordered,
    output_flags,
)
from aihub.interop.codabench.programs import ProgramKind
from aihub.interop.codabench.report import Findings, ImportReport, Where
from aihub.interop.codabench.runtimes import DEFAULT_IMAGE, map_image
from aihub.interop.codabench.yamlmarks import MarkedDict, MarkedList

# Keys Codabench reads that aihub keeps no use for, with what organizers should know.
IGNORED_TOP = {
    "queue": "aihub gives each challenge its own queue; a Codabench queue UUID means "
             "nothing here",
    "make_programs_available": "participants cannot download the scoring or ingestion "
                               "programs; publish them as challenge files if they should",
    "make_input_data_available": "participants cannot download the input data; publish it "
                                 "as a challenge file (or a phase's public_data) if they should",
    "auto_run_submissions": "every submission runs as soon as it is queued",
    "can_participants_make_submissions_public": "submissions are never public",
    "forum_enabled": "aihub has no forum",
    "competition_type": "every import is a challenge",
    "contact_email": "not shown; write it in a page",
    "reward": "not shown; write it in a page",
}
IGNORED_PHASE = {
    "auto_migrate_to_this_phase": "submissions are not re-run when a phase starts; "
                                  "participants submit to the new phase",
    "accepts_only_result_submissions": "not read by Codabench either",
}
IGNORED_TASK = {"is_public": "tasks are not shared between challenges"}
FACT_SHEET = ("fact sheets are not supported: participants are not asked these questions "
              "and no answers appear on the board (the questions are kept in the import)")


def read_pages(top: Fields, files: BundleFiles, findings: Findings) -> tuple[Page, ...]:
    pages = []
    raw = top.sequence("pages", required=True,
                       message="'pages' is required: a list of {title, file} (or [] for none)")
    for _, item, where in items(raw or MarkedList(), top.at("pages")):
        if not isinstance(item, MarkedDict):
            findings.problem(where, "a page must be a mapping with 'title' and 'file'")
            continue
        fields = Fields(item, where, findings)
        title = fields.text("title", required=True)
        page = files.page(fields.raw("file"), fields.at("file"), title=title)
        fields.finish()
        if page is not None:
            pages.append(page)
    return tuple(pages)


def _program_path(fields: Fields, files: BundleFiles, key: str, what: str) -> str | None:
    if not fields.has(key):
        fields.raw(key)
        return None
    return files.item(fields.raw(key), fields.at(key), what=what, kind=ItemKind.FOLDER_OR_ZIP)


def read_task(item: Any, where: Where, files: BundleFiles, findings: Findings) -> Task | None:
    if not isinstance(item, MarkedDict):
        findings.problem(where, "a task must be a mapping (index, name, scoring_program, ...)")
        return None
    fields = Fields(item, where, findings)
    index = fields.integer("index", required=True, minimum=-(10**9))
    name = fields.text("name", default=f"Task {index}")
    if fields.has("key"):
        fields.raw("key")
        findings.problem(fields.at("key"), f"task {name!r} refers to a task on a Codabench "
                         "server by 'key'; aihub cannot fetch it: put the task's programs and "
                         "data in the bundle instead")
    if not fields.has("scoring_program"):
        findings.problem(where, f'ERROR: Task "{name}" does not have a scoring program')
    scoring = _program_path(fields, files, "scoring_program", "scoring program")
    ingestion = _program_path(fields, files, "ingestion_program", "ingestion program")
    during_scoring = fields.boolean("ingestion_only_during_scoring", default=False)
    if during_scoring and not fields.has("ingestion_program"):
        findings.problem(where, f"task {name!r}: ingestion_only_during_scoring needs an "
                         "ingestion_program")
    task = Task(
        index=index or 0, name=name, description=fields.text("description"),
        scoring_program=scoring or "", ingestion_program=ingestion,
        input_data=_program_path(fields, files, "input_data", "input data"),
        reference_data=_program_path(fields, files, "reference_data", "reference data"),
        ingestion_only_during_scoring=during_scoring,
        scoring_command=files.command(scoring, fields.at("scoring_program"),
                                      kind=ProgramKind.PROGRAM),
        ingestion_command=files.command(ingestion, fields.at("ingestion_program"),
                                        kind=ProgramKind.INGESTION),
    )
    fields.finish(IGNORED_TASK)
    return task if index is not None else None


def read_tasks(top: Fields, files: BundleFiles, findings: Findings) -> tuple[Task, ...]:
    tasks: list[Task] = []
    raw = top.sequence("tasks", required=True)
    for _, item, where in items(raw or MarkedList(), top.at("tasks")):
        task = read_task(item, where, files, findings)
        if task is None:
            continue
        if any(known.index == task.index for known in tasks):
            findings.problem(where, f"ERROR: Duplicate task indexes. Index: {task.index}")
            continue
        tasks.append(task)
    return tuple(tasks)


def _time_limit(fields: Fields, findings: Findings) -> int:
    seconds = fields.integer("execution_time_limit")
    if seconds is None and fields.has("execution_time_limit_ms"):
        milliseconds = fields.integer("execution_time_limit_ms") or 0
        seconds = -(-milliseconds // 1000)
        findings.warn(fields.at("execution_time_limit_ms"), "execution_time_limit_ms (an old "
                      f"v2 key) is read as execution_time_limit: {seconds} seconds")
    if seconds == 0:
        findings.warn(fields.at("execution_time_limit"), "execution_time_limit 0 is read as "
                      f"the default, {DEFAULT_TIME_LIMIT} seconds")
    return seconds or DEFAULT_TIME_LIMIT


def _task_list(fields: Fields) -> list[int]:
    raw = fields.sequence("tasks")
    found = []
    for _, item, where in items(raw or MarkedList(), fields.at("tasks")):
        if isinstance(item, bool) or not isinstance(item, int):
            fields.findings.problem(where, f"a phase's tasks are task indexes, not {shown(item)}")
        else:
            found.append(item)
    return found


def read_phase(item: Any, where: Where, files: BundleFiles, task_indexes: set[int],
               findings: Findings) -> tuple[int, Phase, Where] | None:
    if not isinstance(item, MarkedDict):
        findings.problem(where, "a phase must be a mapping (name, start, tasks, ...)")
        return None
    fields = Fields(item, where, findings)
    name = fields.text("name", required=True)
    start = read_datetime(fields.raw("start"), fields.at("start"), findings)
    if not fields.has("start"):
        findings.problem(fields.at("start"), f"phase {name!r}: 'start' is required")
    tasks = _task_list(fields)
    check_tasks(name, tasks, task_indexes, fields.at("tasks"), findings)
    paths = {key: files.item(fields.raw(key), fields.at(key), what=key.replace("_", " "),
                             kind=ItemKind.ANY) if fields.has(key) else None
             for key in ("starting_kit", "public_data")}
    hides = output_flags(fields, findings)
    phase = Phase(
        index=0, name=name, description=fields.text("description"),
        start=start or datetime.min.replace(tzinfo=UTC),
        end=read_datetime(fields.raw("end"), fields.at("end"), findings),
        max_submissions_per_day=limit(fields.integer("max_submissions_per_day",
                                                     default=DEFAULT_DAILY_LIMIT)),
        max_submissions=limit(fields.integer("max_submissions", default=DEFAULT_TOTAL_LIMIT)),
        execution_time_limit=_time_limit(fields, findings), tasks=tuple(tasks),
        starting_kit=paths["starting_kit"], public_data=paths["public_data"],
        hide_output=hides[0], hide_prediction_output=hides[1], hide_score_output=hides[2],
    )
    sort_key = fields.integer("index", default=0, minimum=-(10**9)) or 0
    fields.finish(IGNORED_PHASE)
    # A phase without a readable start is already a problem; leave it out of the order checks.
    return (sort_key, phase, where) if start is not None else None


def read_solutions(top: Fields, files: BundleFiles, task_indexes: set[int],
                   findings: Findings) -> tuple[Solution, ...]:
    solutions: list[Solution] = []
    raw = top.sequence("solutions")
    for _, item, where in items(raw or MarkedList(), top.at("solutions")):
        if not isinstance(item, MarkedDict):
            findings.problem(where, "a solution must be a mapping (index, tasks, path)")
            continue
        fields = Fields(item, where, findings)
        index = fields.integer("index", required=True, minimum=-(10**9))
        tasks = _task_list(fields)
        if not fields.has("tasks"):
            findings.problem(fields.at("tasks"), "a solution needs 'tasks'")
        for task in tasks:
            if task not in task_indexes:
                findings.problem(fields.at("tasks"), f"solution {index} names task {task}, "
                                 "which does not exist")
        if fields.has("key"):
            fields.raw("key")
            findings.not_supported(fields.at("key"), "a solution stored on a Codabench server "
                                   "(by 'key') cannot be fetched; it is skipped")
            fields.finish()
            continue
        if not fields.has("path"):
            findings.problem(fields.at("path"), "a solution needs 'path' (or 'key')")
        path = files.item(fields.raw("path"), fields.at("path"), what="solution",
                          kind=ItemKind.FOLDER_OR_ZIP) if fields.has("path") else None
        fields.finish()
        if index is not None and any(known.index == index for known in solutions):
            findings.problem(fields.at("index"), f"solution index {index} is used twice; give "
                             "each solution its own index")
        elif index is not None and path is not None:
            solutions.append(Solution(index, tuple(tasks), path))
    return tuple(solutions)


def read_v2(data: MarkedDict, files: BundleFiles, findings: Findings,
            extra_images: Mapping[str, str] | None = None) -> Competition | None:
    """The competition of a v2 file, or None when problems were found (in ``findings``).
    Its report is left empty: the caller fills it once every line is in."""
    top = Fields(data, Where(""), findings)
    top.raw("version")
    title = top.text("title", required=True)
    if not top.has("image"):
        findings.problem(top.at("image"), "'image' (the logo) is required")
    image = (files.item(top.raw("image"), top.at("image"), what="image", kind=ItemKind.FILE)
             if top.has("image") else None)
    if not top.has("terms"):
        findings.problem(top.at("terms"), "'terms' (a page file) is required")
    terms = (files.page(top.raw("terms"), top.at("terms"), title="Terms", what="terms")
             if top.has("terms") else None)
    pages = read_pages(top, files, findings)
    docker_image = top.text("docker_image") or DEFAULT_IMAGE
    image_at = top.at("docker_image") if top.has("docker_image") else Where("docker_image")
    runtime = map_image(docker_image, image_at, findings, extra_images)
    tasks = read_tasks(top, files, findings)
    task_indexes = {task.index for task in tasks}
    raw_phases = top.sequence("phases", required=True)
    drafts = [draft for _, item, where in items(raw_phases or MarkedList(), top.at("phases"))
              if (draft := read_phase(item, where, files, task_indexes, findings)) is not None]
    phases = ordered(drafts, findings)
    if raw_phases is not None and not raw_phases:
        findings.problem(top.at("phases"), "a competition needs at least one phase")
    leaderboard = read_leaderboards(top, findings)
    solutions = read_solutions(top, files, task_indexes, findings)
    fact_sheet = top.mapping("fact_sheet")
    if fact_sheet is not None:
        findings.not_supported(top.at("fact_sheet"), FACT_SHEET)
    approve = top.boolean("registration_auto_approve", default=False)
    detailed = detailed_flags(top, findings)
    description = top.text("description")
    top.finish(IGNORED_TOP)
    if findings.problems or leaderboard is None or terms is None:
        return None
    return Competition(
        source=SourceFormat.CODABENCH_2, title=title, description=description, image=image,
        terms=terms, pages=pages, docker_image=docker_image, runtime=runtime,
        phases=phases, tasks=tasks, leaderboard=leaderboard, solutions=solutions,
        fact_sheet=dict(fact_sheet) if fact_sheet is not None else None,
        registration_auto_approve=approve, enable_detailed_results=detailed[0],
        show_detailed_results_in_submission_panel=detailed[1],
        show_detailed_results_in_leaderboard=detailed[2], report=ImportReport(),
    )

