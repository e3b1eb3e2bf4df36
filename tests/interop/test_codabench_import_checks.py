"""What an import checks beyond the YAML's shape: participant items that would hand out
the reference data or the scoring program, zips inside the bundle (unpacked at import as
every job will), duplicate solutions, YAML built to blow up (aliases, nesting) and program
metadata that cannot be read; and the report lines of keys whose effect is fixed here."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path
from typing import Any

import pytest
from codabench_helpers import copy_bundle, edit_yaml

from aihub.interop.codabench import BundleInvalid, read_competition
from aihub.interop.codabench.importer import is_codabench_bundle
from aihub.interop.codabench.programs import parse_metadata


def _refused(folder: Path) -> str:
    with pytest.raises(BundleInvalid) as caught:
        read_competition(folder)
    return caught.value.detail


@pytest.mark.parametrize(("key", "value", "relation"), [
    ("public_data", "dev", "holds the reference data 'dev/reference_data'"),
    ("public_data", "./dev/", "holds the reference data 'dev/reference_data'"),
    ("starting_kit", ".", "the starting kit '.' holds the"),
    ("public_data", "dev/reference_data", "is the reference data 'dev/reference_data'"),
    ("starting_kit", "scoring_program", "is the scoring program 'scoring_program'"),
])
def test_participant_items_never_hold_what_only_scoring_sees(
        tmp_path: Path, key: str, value: str, relation: str) -> None:
    def expose(data: dict[str, Any]) -> None:
        data["phases"][0][key] = value

    detail = _refused(edit_yaml(copy_bundle("blobs_code", tmp_path), expose))
    assert relation in detail
    assert "participants download the" in detail


def test_a_participant_item_inside_the_reference_data_is_refused(tmp_path: Path) -> None:
    folder = copy_bundle("blobs_code", tmp_path)
    (folder / "dev" / "reference_data" / "kit").mkdir()
    (folder / "dev" / "reference_data" / "kit" / "README.md").write_text("kit\n")

    def expose(data: dict[str, Any]) -> None:
        data["phases"][0]["starting_kit"] = "dev/reference_data/kit"

    assert "is inside the reference data" in _refused(edit_yaml(folder, expose))


def _zip(path: Path, members: dict[str, bytes], *, link: str | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        if link is not None:
            info = zipfile.ZipInfo(link)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, "/etc/passwd")
    return path


def _scoring_zip(folder: Path) -> dict[str, bytes]:
    program = folder / "scoring_program"
    return {path.name: path.read_bytes() for path in program.iterdir()}


def _use_scoring_zip(data: dict[str, Any]) -> None:
    for task in data["tasks"]:
        task["scoring_program"] = "scoring_program.zip"


def test_an_inner_zip_that_escapes_or_links_is_refused_at_import(tmp_path: Path) -> None:
    folder = copy_bundle("blobs_results", tmp_path)
    _zip(folder / "scoring_program.zip",
         {**_scoring_zip(folder), "../../escape.txt": b"x"}, link="link")
    detail = _refused(edit_yaml(folder, _use_scoring_zip))
    assert "the scoring program 'scoring_program.zip': the member '../../escape.txt'" in detail
    # Checked once, reported for each task that names it.
    assert detail.startswith("The bundle has 2 problems:")


def test_an_inner_zip_with_a_link_is_refused(tmp_path: Path) -> None:
    folder = copy_bundle("blobs_results", tmp_path)
    _zip(folder / "scoring_program.zip", _scoring_zip(folder), link="link")
    assert "'link' is a symbolic link" in _refused(edit_yaml(folder, _use_scoring_zip))


def test_a_damaged_inner_zip_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    folder = copy_bundle("blobs_results", tmp_path)
    archive = _zip(folder / "scoring_program.zip",
                   {**_scoring_zip(folder), "padding.txt": b"hello world " * 50})
    with zipfile.ZipFile(archive) as zf:
        info = zf.getinfo("padding.txt")
    raw = bytearray(archive.read_bytes())
    raw[info.header_offset + 30 + len("padding.txt") + 2] ^= 0xFF  # its compressed bytes
    archive.write_bytes(bytes(raw))
    detail = _refused(edit_yaml(folder, _use_scoring_zip))
    assert "scoring_program.zip" in detail and "damaged" in detail


def test_a_zip_with_an_undecodable_name_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    folder = copy_bundle("blobs_results", tmp_path)
    archive = _zip(folder / "scoring_program.zip", {"pr\u00e9diction": b"1\n"})
    raw = archive.read_bytes().replace("pr\u00e9diction".encode(), b"pr\xc3\x28diction")
    archive.write_bytes(raw)
    assert "scoring_program.zip" in _refused(edit_yaml(folder, _use_scoring_zip))


def test_a_folder_item_with_a_link_is_refused(tmp_path: Path) -> None:
    folder = copy_bundle("blobs_code", tmp_path)
    (folder / "starting_kit" / "labels").symlink_to("../dev/reference_data/test_labels")
    assert "labels is a symbolic link" in _refused(folder)


def test_duplicate_solution_indexes_are_refused(tmp_path: Path) -> None:
    folder = copy_bundle("blobs_code", tmp_path)

    def twice(data: dict[str, Any]) -> None:
        data["solutions"] = [{"index": 0, "tasks": [0], "path": "solution"},
                             {"index": 0, "tasks": [1], "path": "starting_kit"}]

    assert "solution index 0 is used twice" in _refused(edit_yaml(folder, twice))


def _write_yaml(folder: Path, text: str) -> Path:
    (folder / "competition.yaml").write_text(text)
    return folder


LAUGHS = "\n".join(["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"] + [
    f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)])


@pytest.mark.parametrize(("make", "message"), [
    (lambda text: LAUGHS + "\n" + text.replace("title: ", "title: *a8\nold_title: ", 1),
     "with its aliases (*name) written out the document is larger than"),
    (lambda text: text.replace("title: ", "title: &r [*r]\nold_title: ", 1),
     "an alias refers to a value that holds it"),
    (lambda text: "version: 2\ntitle: " + "[" * 50000 + "]" * 50000 + "\n",
     "nested too deeply to be read"),
    (lambda text: "version: 2\ntitle: " + "[" * 100 + "]" * 100 + "\n",
     "nested more than 64 levels deep"),
])
def test_yaml_built_to_blow_up_is_invalid_yaml(tmp_path: Path, make: Any, message: str) -> None:
    folder = copy_bundle("blobs_results", tmp_path)
    _write_yaml(folder, make((folder / "competition.yaml").read_text()))
    with pytest.raises(Exception) as caught:
        read_competition(folder)
    assert type(caught.value).__name__ == "InvalidInput"
    assert "competition.yaml is not valid YAML" in str(caught.value)
    assert message in str(caught.value)


def test_messages_quote_a_value_short(tmp_path: Path) -> None:
    folder = copy_bundle("blobs_results", tmp_path)

    def huge_title(data: dict[str, Any]) -> None:
        data["title"] = [list(range(1000))] * 1000

    detail = _refused(edit_yaml(folder, huge_title))
    line = next(line for line in detail.splitlines() if "'title' must be a text" in line)
    assert len(line) < 200


def test_program_metadata_nested_too_deep_is_a_problem(tmp_path: Path) -> None:
    folder = copy_bundle("blobs_results", tmp_path)
    (folder / "scoring_program" / "metadata.yaml").write_text(
        "command: " + "[" * 5000 + "]" * 5000 + "\n")
    assert "metadata.yaml is not valid YAML: values are nested too deeply" in _refused(folder)
    assert parse_metadata("metadata", b"command: [" * 3000).error is not None


@pytest.mark.parametrize("command", ['python3 "unbalanced', "   "])
def test_a_program_command_that_cannot_be_split_is_a_problem(tmp_path: Path,
                                                             command: str) -> None:
    folder = copy_bundle("blobs_results", tmp_path)
    (folder / "scoring_program" / "metadata.yaml").write_text(f"command: '{command}'\n")
    detail = _refused(folder)
    assert "scoring program" in detail


def test_detailed_results_and_output_flags_are_reported(tmp_path: Path) -> None:
    folder = copy_bundle("blobs_code", tmp_path)

    def flags(data: dict[str, Any]) -> None:
        data["show_detailed_results_in_submission_panel"] = False
        data["phases"][0].update(hide_prediction_output=False, hide_score_output=True)

    report = read_competition(edit_yaml(folder, flags)).report.text()
    assert "with show_detailed_results_in_submission_panel false they are not kept" in report
    assert "not linked from the leaderboard" in report
    assert "'hide_prediction_output' has no effect" in report
    assert "'hide_score_output' has no effect" in report


def test_a_zip_python_cannot_read_is_not_taken_for_a_bundle(tmp_path: Path) -> None:
    """Recognising a bundle upload must not crash on it (the reader then says why)."""
    archive = _zip(tmp_path / "odd.zip", {"pr\u00e9diction": b"1\n"})
    archive.write_bytes(archive.read_bytes().replace("pr\u00e9diction".encode(),
                                                     b"pr\xc3\x28diction"))
    assert is_codabench_bundle(archive) is False
