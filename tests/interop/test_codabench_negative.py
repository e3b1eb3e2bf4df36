"""Bundles Codabench refuses are refused here too, each with a message that says where and
what; every problem of a bundle is listed at once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from codabench_helpers import copy_bundle, edit_yaml

from aihub.errors import InvalidInput
from aihub.interop.codabench import BundleInvalid, read_competition

Change = Callable[[dict[str, Any]], None]


def _refused(tmp_path: Path, change: Change, bundle: str = "blobs_code") -> str:
    folder = edit_yaml(copy_bundle(bundle, tmp_path), change)
    with pytest.raises(BundleInvalid) as caught:
        read_competition(folder)
    return caught.value.detail


def _drop_version(data: dict[str, Any]) -> None:
    del data["version"]


def _drop_leaderboards(data: dict[str, Any]) -> None:
    del data["leaderboards"]


def _duplicate_task(data: dict[str, Any]) -> None:
    data["tasks"][1]["index"] = 0


def _phase_without_tasks(data: dict[str, Any]) -> None:
    del data["phases"][1]["tasks"]


def _overlapping_phases(data: dict[str, Any]) -> None:
    data["phases"][1]["start"] = "2026-06-01"


def _first_phase_without_end(data: dict[str, Any]) -> None:
    del data["phases"][0]["end"]


def _long_column_key(data: dict[str, Any]) -> None:
    data["leaderboards"][0]["columns"][0]["key"] = "k" * 37


def _computation_without_indexes(data: dict[str, Any]) -> None:
    data["leaderboards"][0]["columns"][1]["computation"] = "sum"


def _self_reference(data: dict[str, Any]) -> None:
    data["leaderboards"][0]["columns"][1].update(computation="max", computation_indexes=[0, 1])


def _indexes_as_text(data: dict[str, Any]) -> None:
    data["leaderboards"][0]["columns"][1].update(computation="avg", computation_indexes="0,1")


def _missing_index_reference(data: dict[str, Any]) -> None:
    data["leaderboards"][0]["columns"][1].update(computation="avg", computation_indexes=[7])


def _duplicate_column_index(data: dict[str, Any]) -> None:
    data["leaderboards"][0]["columns"][1]["index"] = 0


def _no_columns(data: dict[str, Any]) -> None:
    data["leaderboards"][0]["columns"] = []


def _long_board_title(data: dict[str, Any]) -> None:
    data["leaderboards"][0]["title"] = "t" * 65


def _bad_rule(data: dict[str, Any]) -> None:
    data["leaderboards"][0]["submission_rule"] = "Force_Worst"


def _bad_primary(data: dict[str, Any]) -> None:
    data["leaderboards"][0]["primary_index"] = 5


def _no_scoring_program(data: dict[str, Any]) -> None:
    del data["tasks"][0]["scoring_program"]


def _task_by_key(data: dict[str, Any]) -> None:
    data["tasks"][0]["key"] = "8d3e5a40-0b8c-4c1e-9f3a-1d2e3f4a5b6c"


def _unknown_task(data: dict[str, Any]) -> None:
    data["phases"][0]["tasks"] = [7]


def _version_three(data: dict[str, Any]) -> None:
    data["version"] = 3


def _missing_page(data: dict[str, Any]) -> None:
    data["pages"].append({"title": "Gone", "file": "pages/gone.md"})


def _escaping_path(data: dict[str, Any]) -> None:
    data["tasks"][0]["input_data"] = "../../etc"


def _absolute_path(data: dict[str, Any]) -> None:
    data["image"] = "/etc/passwd"


def _bad_date(data: dict[str, Any]) -> None:
    data["phases"][0]["start"] = "the first of spring"


def _impossible_date(data: dict[str, Any]) -> None:
    data["phases"][0]["end"] = "2-30-2026"


def _negative_limit(data: dict[str, Any]) -> None:
    data["phases"][0]["max_submissions_per_day"] = -1


def _no_image(data: dict[str, Any]) -> None:
    del data["image"]


CASES = {
    "no version, v2 body": (_drop_version, "HTML pages could not be found in the yaml file"),
    "leaderboards missing": (_drop_leaderboards,
                             "Could not find leaderboards in the competition yaml"),
    "duplicate task index": (_duplicate_task, "ERROR: Duplicate task indexes. Index: 0"),
    "phase without tasks": (_phase_without_tasks,
                            "Phases must contain at least one task to be valid"),
    "overlapping phases": (_overlapping_phases, "Phases must be sequential"),
    "phase without end": (_first_phase_without_end,
                          "Phase: Development must have an end time because it has a phase "
                          "after it."),
    "37-character column key": (_long_column_key,
                                "ensure this field has no more than 36 characters"),
    "computation without indexes": (_computation_without_indexes,
                                    "'computation' and 'computation_indexes' must be given "
                                    "together"),
    "self-referencing column": (_self_reference, "computed column 'duration' references itself"),
    "indexes as a string": (_indexes_as_text, "must be a YAML list of column indexes"),
    "reference to no column": (_missing_index_reference, "references column index 7"),
    "duplicate column index": (_duplicate_column_index, "Columns must have unique indexes!"),
    "no columns": (_no_columns, "Leaderboards require at least 1 column"),
    "long board title": (_long_board_title, "no more than 64 characters"),
    "unknown rule": (_bad_rule, "'submission_rule' is 'Force_Worst'; it must be one of"),
    "primary index": (_bad_primary, "primary_index 5 is not the index of a column"),
    "no scoring program": (_no_scoring_program,
                           'ERROR: Task "Blobs development" does not have a scoring program'),
    "task by key": (_task_by_key, "aihub cannot fetch it"),
    "unknown task": (_unknown_task, "names task 7, which is not among the tasks' indexes"),
    "missing page": (_missing_page, "Unable to find page: pages/gone.md"),
    "escaping path": (_escaping_path, "paths in a bundle must be relative, without '..'"),
    "absolute path": (_absolute_path, "paths in a bundle must be relative"),
    "unreadable date": (_bad_date, "cannot read 'the first of spring' as a date"),
    "impossible date": (_impossible_date, "day is out of range for month"),
    "negative limit": (_negative_limit, "'max_submissions_per_day' must be at least 0"),
    "no image": (_no_image, "'image' (the logo) is required"),
}


@pytest.mark.parametrize("case", CASES)
def test_refused_with_its_message(tmp_path: Path, case: str) -> None:
    change, message = CASES[case]
    assert message in _refused(tmp_path, change)


def test_version_dispatch_rejects_unknown_versions(tmp_path: Path) -> None:
    folder = edit_yaml(copy_bundle("blobs_code", tmp_path), _version_three)
    with pytest.raises(InvalidInput, match="A suitable version could not be found"):
        read_competition(folder)


def test_every_problem_is_listed_at_once_with_its_line(tmp_path: Path) -> None:
    def many(data: dict[str, Any]) -> None:
        _duplicate_task(data)
        _long_column_key(data)
        _bad_date(data)

    detail = _refused(tmp_path, many)
    # The three mistakes, and what follows from the duplicate (task 1 is gone).
    assert detail.startswith("The bundle has 5 problems:")
    assert "- line 19, tasks[1]: ERROR: Duplicate task indexes" in detail
    assert "- line 55, leaderboards[0].columns[0].key: 'key' is 37 characters" in detail
    assert "- line 34, phases[0].start: cannot read" in detail
    assert "phase 'Final' names task 1" in detail


def test_empty_terms_are_refused(tmp_path: Path) -> None:
    folder = copy_bundle("blobs_code", tmp_path)
    (folder / "pages" / "terms.md").write_text("  \n")
    with pytest.raises(BundleInvalid, match="is empty, it must contain content"):
        read_competition(folder)


def test_ingestion_program_without_command_is_refused(tmp_path: Path) -> None:
    folder = copy_bundle("blobs_code", tmp_path)
    (folder / "ingestion_program" / "metadata.yaml").write_text("description: nothing\n")
    (folder / "scoring_program" / "metadata.yaml").unlink()
    with pytest.raises(BundleInvalid) as caught:
        read_competition(folder)
    assert "Program directory missing 'command' in metadata" in caught.value.detail
    assert "Program directory missing 'metadata.yaml/metadata'" in caught.value.detail


def test_v15_without_html_and_leaderboard(tmp_path: Path) -> None:
    def strip(data: dict[str, Any]) -> None:
        del data["html"]
        del data["leaderboard"]

    detail = _refused(tmp_path, strip, "iris_like_v15")
    assert "HTML pages could not be found" in detail
    assert "Could not find leaderboards" in detail
