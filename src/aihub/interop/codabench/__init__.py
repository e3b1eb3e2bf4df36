"""Codabench and CodaLab competition bundles: read them, and run their programs.

``open_bundle`` reads a bundle (``competition.yaml`` version 2 or CodaLab 1.5) into a
checked ``Competition`` with its ``ImportReport``; ``scores`` reads what a scoring program
wrote; ``runner`` runs a task's programs in the sandbox with Codabench's ``/app`` layout.
See ``docs/codabench.md``.
"""

from aihub.interop.codabench.boxes import BoxLog, Failure, Role, Step
from aihub.interop.codabench.model import (
    Column,
    Competition,
    Computation,
    Leaderboard,
    Page,
    Phase,
    Solution,
    Sorting,
    SourceFormat,
    SubmissionRule,
    Task,
)
from aihub.interop.codabench.reader import ImportedBundle, open_bundle, read_competition
from aihub.interop.codabench.report import BundleInvalid, ImportReport, LineKind, ReportLine
from aihub.interop.codabench.runner import ProgramTask, TaskResult, TaskRunner, materialize_task
from aihub.interop.codabench.runtimes import IMAGE_RUNTIMES, runtime_for_image
from aihub.interop.codabench.scores import Scores, ScoresError, read_scores

__all__ = [
    "IMAGE_RUNTIMES",
    "BoxLog",
    "BundleInvalid",
    "Column",
    "Competition",
    "Computation",
    "Failure",
    "ImportReport",
    "ImportedBundle",
    "Leaderboard",
    "LineKind",
    "Page",
    "Phase",
    "ProgramTask",
    "ReportLine",
    "Role",
    "Scores",
    "ScoresError",
    "Solution",
    "Sorting",
    "SourceFormat",
    "Step",
    "SubmissionRule",
    "Task",
    "TaskResult",
    "TaskRunner",
    "materialize_task",
    "open_bundle",
    "read_competition",
    "read_scores",
    "runtime_for_image",
]
