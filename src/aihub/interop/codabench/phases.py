"""Checks both formats share: phase order and dates, and each phase's one task."""

from __future__ import annotations

from dataclasses import replace

from aihub.interop.codabench.fields import Fields
from aihub.interop.codabench.model import Phase
from aihub.interop.codabench.report import Findings, Where

DEFAULT_DAILY_LIMIT = 5
DEFAULT_TOTAL_LIMIT = 100
DEFAULT_TIME_LIMIT = 600
# Keys read and kept whose effect here is fixed: the report says what aihub does instead.
_OUTPUT_FLAGS = {
    "hide_prediction_output": "participants never download the prediction step's output "
                              "here; they read its log unless hide_output is true",
    "hide_score_output": "participants never download the scoring step's output or read its "
                         "log here: the scoring program read the reference data",
}


def output_flags(fields: Fields, findings: Findings) -> tuple[bool, bool, bool]:
    """A phase's hide_output, hide_prediction_output and hide_score_output, with a report
    line for each of the last two written: they have no effect here."""
    for key, text in _OUTPUT_FLAGS.items():
        if fields.has(key):
            findings.warn(fields.at(key), f"'{key}' has no effect: {text}")
    return (fields.boolean("hide_output", default=False),
            fields.boolean("hide_prediction_output", default=False),
            fields.boolean("hide_score_output", default=False))


def detailed_flags(top: Fields, findings: Findings) -> tuple[bool, bool, bool]:
    """enable_detailed_results and the two show_detailed_results_in_* flags (Codabench's
    defaults), with report lines where aihub shows detailed results otherwise."""
    enable = top.boolean("enable_detailed_results", default=False)
    panel = top.boolean("show_detailed_results_in_submission_panel", default=True)
    board = top.boolean("show_detailed_results_in_leaderboard", default=True)
    if enable and not panel:
        findings.warn(top.at("show_detailed_results_in_submission_panel"), "detailed results "
                      "are shown only on the submission (to its team and the hosts); with "
                      "show_detailed_results_in_submission_panel false they are not kept")
    if enable and board:
        findings.not_supported(top.at("show_detailed_results_in_leaderboard"), "detailed "
                               "results are not linked from the leaderboard: the team and the "
                               "hosts read them on the submission")
    return enable, panel, board


def limit(value: int | None) -> int | None:
    """Codabench's 0 means no limit (its check is ``if limit:``)."""
    return value or None


def check_tasks(name: str, tasks: list[int], known: set[int], where: Where,
                findings: Findings) -> None:
    if not tasks:
        findings.problem(where, f"phase {name!r}: Phases must contain at least one task to be "
                         "valid")
    for index in tasks:
        if index not in known:
            findings.problem(where, f"phase {name!r} names task {index}, which is not among "
                             f"the tasks' indexes ({', '.join(map(str, sorted(known)))})")
    if len(tasks) > 1:
        findings.problem(where, f"phase {name!r} has {len(tasks)} tasks; several tasks in one "
                         "phase are not supported by aihub (each phase runs one task). Split "
                         "them into one phase each, or score them in one scoring program.")


def ordered(drafts: list[tuple[int, Phase, Where]], findings: Findings) -> tuple[Phase, ...]:
    """Phases sorted by their ``index`` (stable), renumbered 0..n-1, and checked in order."""
    drafts = sorted(drafts, key=lambda draft: draft[0])
    phases: list[Phase] = []
    for position, (_, phase, where) in enumerate(drafts):
        if phase.end is not None and phase.end < phase.start:
            findings.problem(where, f"phase {phase.name!r} ends ({phase.end:%Y-%m-%d %H:%M} "
                             f"UTC) before it starts ({phase.start:%Y-%m-%d %H:%M} UTC)")
        if position + 1 < len(drafts) and phase.end is None:
            findings.problem(where, f"Phase: {phase.name} must have an end time because it "
                             "has a phase after it.")
        if phases and phases[-1].end is not None and phase.start < phases[-1].end:
            findings.problem(where, f"Phases must be sequential: {phase.name!r} starts at "
                             f"{phase.start:%Y-%m-%d %H:%M} UTC, before {phases[-1].name!r} "
                             f"ends at {phases[-1].end:%Y-%m-%d %H:%M} UTC")
        phases.append(replace(phase, index=position))
    return tuple(phases)
