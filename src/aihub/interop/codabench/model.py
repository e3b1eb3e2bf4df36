"""A Codabench competition as read from its bundle: typed, checked, and nothing stored.

Paths are relative to the folder that holds ``competition.yaml`` (see ``ImportedBundle``
for reading them). Values are Codabench's after its defaults; where aihub's meaning
differs (limits of 0, the rule of v1.5 bundles) the field says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from aihub.interop.codabench.report import ImportReport


class SourceFormat(StrEnum):
    """Which format a bundle was written in: the challenge's ``source``."""

    CODABENCH_2 = "codabench-2"
    CODALAB_15 = "codalab-1.5"


class SubmissionRule(StrEnum):
    """Which of a participant's submissions are on the board (reference §4.3)."""

    ADD = "Add"
    ADD_AND_DELETE = "Add_And_Delete"
    ADD_AND_DELETE_MULTIPLE = "Add_And_Delete_Multiple"
    FORCE_LAST = "Force_Last"
    FORCE_LATEST_MULTIPLE = "Force_Latest_Multiple"
    FORCE_BEST = "Force_Best"


class Sorting(StrEnum):
    DESC = "desc"  # larger is better
    ASC = "asc"  # smaller is better


class Computation(StrEnum):
    SUM = "sum"
    AVG = "avg"
    MIN = "min"
    MAX = "max"


@dataclass(frozen=True)
class Page:
    title: str
    file: str
    text: str

    @property
    def is_html(self) -> bool:
        return self.file.lower().endswith((".html", ".htm"))


@dataclass(frozen=True)
class Column:
    key: str  # what scores.json writes
    title: str
    index: int  # display order, unique
    sorting: Sorting = Sorting.DESC
    precision: int = 2
    hidden: bool = False
    computation: Computation | None = None
    computation_indexes: tuple[int, ...] = ()  # column indexes it is computed from


@dataclass(frozen=True)
class Leaderboard:
    title: str
    key: str
    rule: SubmissionRule
    columns: tuple[Column, ...]  # sorted by index
    primary_index: int = 0
    hidden: bool = False

    @property
    def primary(self) -> Column:
        return next(column for column in self.columns if column.index == self.primary_index)

    def column(self, index: int) -> Column:
        return next(column for column in self.columns if column.index == index)


@dataclass(frozen=True)
class Task:
    """What scores one phase: programs and data, each a folder or a zip in the bundle."""

    index: int
    name: str
    description: str
    scoring_program: str
    ingestion_program: str | None = None
    input_data: str | None = None
    reference_data: str | None = None
    ingestion_only_during_scoring: bool = False
    # The `command` of each program's metadata, as written (legacy $placeholders and all).
    scoring_command: str | None = None
    ingestion_command: str | None = None


@dataclass(frozen=True)
class Phase:
    index: int  # position, 0..n-1, after Codabench's stable sort by the bundle's `index`
    name: str
    description: str
    start: datetime  # UTC
    end: datetime | None  # UTC; None: never ends
    max_submissions_per_day: int | None  # None: no daily limit (the bundle's 0)
    max_submissions: int | None  # None: no limit (the bundle's 0)
    execution_time_limit: int  # seconds, for each step
    tasks: tuple[int, ...]  # task indexes; aihub runs exactly one
    starting_kit: str | None = None
    public_data: str | None = None
    hide_output: bool = False
    hide_prediction_output: bool = False
    hide_score_output: bool = False

    @property
    def task(self) -> int:
        return self.tasks[0]


@dataclass(frozen=True)
class Solution:
    """An example submission the organizer ships to test the pipeline (not ground truth)."""

    index: int
    tasks: tuple[int, ...]
    path: str


@dataclass(frozen=True)
class Competition:
    source: SourceFormat
    title: str
    description: str
    image: str | None  # logo path
    terms: Page
    pages: tuple[Page, ...]
    docker_image: str
    runtime: str  # the worker runtime the image maps to
    registration_auto_approve: bool
    enable_detailed_results: bool
    show_detailed_results_in_submission_panel: bool
    show_detailed_results_in_leaderboard: bool
    phases: tuple[Phase, ...]
    tasks: tuple[Task, ...]
    leaderboard: Leaderboard  # the first; Codabench uses it for every phase
    solutions: tuple[Solution, ...]
    fact_sheet: dict[str, object] | None  # kept as written; not supported (see the report)
    report: ImportReport

    def task(self, index: int) -> Task:
        return next(task for task in self.tasks if task.index == index)

    def phase_task(self, phase: Phase) -> Task:
        return self.task(phase.task)
