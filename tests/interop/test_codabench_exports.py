"""The public surface of aihub.interop.codabench, pinned: a change here is a decision."""

from __future__ import annotations

from aihub.interop import codabench

EXPECTED = {
    "IMAGE_RUNTIMES", "BoxLog", "BundleInvalid", "Column", "Competition", "Computation",
    "Failure", "ImportReport", "ImportedBundle", "Leaderboard", "LineKind", "Page", "Phase",
    "ProgramTask", "ReportLine", "Role", "Scores", "ScoresError", "Solution", "Sorting",
    "SourceFormat", "Step", "SubmissionRule", "Task", "TaskResult", "TaskRunner",
    "materialize_task", "open_bundle", "read_competition", "read_scores", "runtime_for_image",
}


def test_public_surface() -> None:
    assert set(codabench.__all__) == EXPECTED
    for name in EXPECTED:
        assert getattr(codabench, name) is not None
