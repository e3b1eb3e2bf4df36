"""The upstream example bundles read as reference §9.1 says (their YAML and data; their
program code was left out, so files are not required here)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from codabench_helpers import upstream_fixtures, yaml_only

from aihub.interop.codabench import (
    BundleInvalid,
    Competition,
    Computation,
    LineKind,
    Sorting,
    SourceFormat,
    SubmissionRule,
    read_competition,
    read_scores,
)
from aihub.interop.codabench.programs import (
    ProgramKind,
    folder_metadata,
    rewrite_legacy_command,
)


def _read(folder: Path) -> Competition:
    return read_competition(folder, check_files=False)


def _yaml(name: str, tmp_path: Path) -> Competition:
    return _read(yaml_only(upstream_fixtures() / "codabench_test_fixture_yamls" / name, tmp_path))


def test_wheat_seeds_code_submission() -> None:
    competition = _read(upstream_fixtures() / "wheat_seeds_code_submission")
    assert competition.source is SourceFormat.CODABENCH_2
    assert len(competition.tasks) == 2
    first, second = competition.phases
    assert first.tasks == (0,)
    assert first.start == datetime(2026, 1, 1, tzinfo=UTC)
    assert first.end == datetime(2026, 12, 31, tzinfo=UTC)
    assert (first.max_submissions_per_day, first.max_submissions) == (5, 100)
    assert (second.max_submissions, second.max_submissions_per_day, second.end) == (1, 5, None)
    board = competition.leaderboard
    assert (board.key, board.rule) == ("main", SubmissionRule.FORCE_LAST)
    assert [(c.key, c.index, c.sorting, c.precision) for c in board.columns] == [
        ("accuracy", 0, Sorting.DESC, 2), ("duration", 1, Sorting.DESC, 2)]
    assert competition.docker_image == "codalab/codalab-legacy:py312"
    assert competition.runtime == "default"
    task = competition.task(0)
    assert (task.ingestion_command, task.scoring_command) == ("python3 ingestion.py",
                                                              "python3 scoring.py")
    assert [s.tasks for s in competition.solutions] == [(0, 1)]


def test_wheat_seeds_results_submission() -> None:
    competition = _read(upstream_fixtures() / "wheat_seeds_results_submission")
    assert all(task.ingestion_program is None for task in competition.tasks)
    assert [c.key for c in competition.leaderboard.columns] == ["accuracy"]
    assert competition.task(0).reference_data == "dev_phase/reference_data"


def test_wheat_seeds_ingestion_during_scoring() -> None:
    competition = _read(upstream_fixtures() / "wheat_seeds_ingestion_during_scoring")
    assert [p.name for p in competition.phases] == ["Development Phase", "Testing Phase"]
    assert competition.docker_image == "codalab/codalab-legacy:py37"
    assert competition.leaderboard.rule is SubmissionRule.ADD
    assert all(task.ingestion_only_during_scoring for task in competition.tasks)
    assert competition.phases[0].start == datetime(2019, 8, 7, tzinfo=UTC)


def test_iris_v2() -> None:
    competition = _read(upstream_fixtures() / "iris_v2")
    final = competition.phases[1]
    assert final.max_submissions_per_day is None  # 0: no daily limit
    task = competition.task(0)
    assert task.scoring_command is not None and task.ingestion_command is not None
    assert rewrite_legacy_command(task.scoring_command, ProgramKind.PROGRAM, is_scoring=True) \
        == "python /app/program/score.py /app/input /app/output"
    assert rewrite_legacy_command(task.ingestion_command, ProgramKind.INGESTION,
                                  is_scoring=False) == (
        "python /app/program/ingestion.py /app/input_data /app/output /app/program "
        "/app/ingested_program")
    assert [c.key for c in competition.leaderboard.columns] == ["set1_score", "Duration"]
    sample = upstream_fixtures() / "iris_v2" / "starting_kit" / "sample_code_submission"
    assert folder_metadata(sample).command is None  # left to the ingestion program


def test_iris_v2_scores_txt(tmp_path: Path) -> None:
    board = _read(upstream_fixtures() / "iris_v2").leaderboard
    (tmp_path / "scores.txt").write_text("set1_score: 0.9733\nDuration: 1.25\n")
    assert read_scores(tmp_path, board).values == {"set1_score": 0.9733, "Duration": 1.25}


def test_example_gpu() -> None:
    competition = _read(upstream_fixtures() / "example_gpu")
    scores = read_scores(upstream_fixtures() / "example_gpu" / "scoring_output",
                         competition.leaderboard)
    assert scores.values == {"gpu_detected": 0.0}
    (column,) = competition.leaderboard.columns
    assert (column.key, column.sorting, column.precision) == ("gpu_detected", Sorting.DESC, 2)
    assert competition.leaderboard.rule is SubmissionRule.FORCE_LATEST_MULTIPLE
    assert any("GPU" in line.message for line in competition.report.not_supported)


def test_codalab_v15_iris() -> None:
    competition = _read(upstream_fixtures() / "codalab_v15_iris_fixture")
    assert competition.source is SourceFormat.CODALAB_15
    assert competition.registration_auto_approve is True
    assert competition.docker_image == "codalab/codalab-legacy:py37"
    development, final = competition.phases
    assert development.name == "Development"
    assert development.start == datetime(2020, 1, 15, 18, 53, tzinfo=UTC)
    assert development.end == datetime(2020, 2, 14, 18, 53, tzinfo=UTC)
    assert (development.max_submissions_per_day, development.max_submissions) == (15, 100)
    assert development.execution_time_limit == 500
    assert final.start == datetime(2020, 2, 15, 18, 53, tzinfo=UTC)
    assert (final.end, final.max_submissions_per_day) == (None, 5)
    assert [t.name for t in competition.tasks] == ["Development Task", "Final Task"]
    board = competition.leaderboard
    assert board.title == "Results"
    assert [(c.key, c.title, c.index, c.precision) for c in board.columns] == [
        ("set1_score", "Prediction score", 0, 4), ("Duration", "Duration", 1, 2)]
    # force_submission_to_leaderboard: mapped, and said so.
    assert board.rule is SubmissionRule.FORCE_LAST
    assert any("Force_Last" in line.message for line in competition.report.warnings)
    assert any(line.where.path == "admin_names" and line.kind is LineKind.NOT_SUPPORTED
               and line.where.line == 3 for line in competition.report.lines)
    assert [p.title for p in competition.pages] == ["data", "evaluation", "overview"]


def test_v15_timeseries(tmp_path: Path) -> None:
    competition = _yaml("competition_15_timeseries_v15.yaml", tmp_path)
    assert [p.title for p in competition.pages] == ["data", "evaluation", "overview", "Help"]
    assert competition.terms.file == "rules.html"
    assert competition.phases[0].end == datetime(2019, 9, 29, tzinfo=UTC)
    # The columns name their board by the anchor, whose label is RESULTS.
    assert [c.key for c in competition.leaderboard.columns] == ["prediction_score", "Duration"]
    assert competition.leaderboard.rule is SubmissionRule.FORCE_BEST


@pytest.mark.parametrize("name", ["competition_v2_multi_task.yaml",
                                  "competition_v2_multi_task_fact_sheet.yaml"])
def test_multi_task_phases_are_refused_with_the_reason(name: str, tmp_path: Path) -> None:
    with pytest.raises(BundleInvalid) as caught:
        _yaml(name, tmp_path)
    assert "has 4 tasks; several tasks in one phase are not supported" in caught.value.detail


def test_fact_sheet_is_kept_and_reported(tmp_path: Path) -> None:
    source = upstream_fixtures() / "codabench_test_fixture_yamls"
    text = (source / "competition_v2_multi_task_fact_sheet.yaml").read_text()
    one_task = text.replace("      - 0\n      - 1\n      - 2\n      - 3\n", "      - 0\n")
    (tmp_path / "competition.yaml").write_text(one_task)
    competition = _read(tmp_path)
    assert competition.fact_sheet is not None
    assert set(competition.fact_sheet) == {"boolean", "text", "text_required", "selection"}
    (line,) = [line for line in competition.report.not_supported if "fact sheet" in line.message]
    assert line.where.line == 37


def test_classify_wheat_seeds_yaml(tmp_path: Path) -> None:
    competition = _yaml("competition_classify_wheat_seeds.yaml", tmp_path)
    assert competition.phases[1].end is None
    assert competition.leaderboard.columns[1].computation is None
    assert Computation.AVG.value == "avg"


def test_fixture_files_left_out_are_named_when_files_are_required() -> None:
    with pytest.raises(BundleInvalid) as caught:
        read_competition(upstream_fixtures() / "wheat_seeds_code_submission")
    assert "Unable to find image: wheat.jpg" in caught.value.detail
    assert "Unable to find solution: solution" in caught.value.detail
