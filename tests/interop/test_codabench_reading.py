"""Our own bundles read completely (files required), from folders and zips, with the
import report organizers read."""

from __future__ import annotations

import hashlib
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from codabench_helpers import OWN_BUNDLES, copy_bundle, edit_yaml

from aihub.errors import InvalidInput
from aihub.interop.codabench import (
    BundleInvalid,
    Computation,
    LineKind,
    Sorting,
    SourceFormat,
    SubmissionRule,
    open_bundle,
    read_competition,
    runtime_for_image,
)


def _zip(folder: Path, archive: Path, prefix: str = "") -> Path:
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(folder.rglob("*")):
            zf.write(path, prefix + path.relative_to(folder).as_posix())
    return archive


def test_code_bundle_reads_whole() -> None:
    competition = read_competition(OWN_BUNDLES / "blobs_code")
    assert competition.source is SourceFormat.CODABENCH_2
    assert competition.title == "Blobs (code submission)"
    assert competition.image == "logo.png"
    assert competition.terms.text.startswith("# Terms")
    assert [(p.title, p.is_html) for p in competition.pages] == [("Overview", False)]
    development, final = competition.phases
    assert development.end == datetime(2026, 6, 30, 12, tzinfo=UTC)
    assert (development.max_submissions_per_day, development.max_submissions) == (10, None)
    assert development.execution_time_limit == 60
    assert development.starting_kit == "starting_kit"
    assert (final.end, final.max_submissions) == (None, 100)
    task = competition.phase_task(final)
    assert (task.name, task.input_data, task.reference_data) == (
        "Blobs final", "final/input_data", "final/reference_data")
    assert competition.leaderboard.rule is SubmissionRule.FORCE_BEST
    assert competition.leaderboard.primary.key == "accuracy"
    assert competition.leaderboard.column(1).sorting is Sorting.ASC
    assert competition.enable_detailed_results is True
    image, board = competition.report.lines
    assert "codalab/codalab-legacy:py39" in image.message and image.where.line == 8
    assert board.kind is LineKind.NOT_SUPPORTED
    assert "not linked from the leaderboard" in board.message


def test_results_bundle_has_a_computed_column() -> None:
    competition = read_competition(OWN_BUNDLES / "blobs_results")
    mean = competition.leaderboard.column(4)
    assert (mean.key, mean.computation, mean.computation_indexes) == (
        "mean_recall", Computation.AVG, (1, 2, 3))
    assert competition.phases[0].end == datetime(2026, 6, 30, tzinfo=UTC)  # 6-30-2026
    assert competition.pages == ()
    assert competition.runtime == "default"  # python:3.12-slim


def test_v15_bundle_maps_to_the_v2_model() -> None:
    competition = read_competition(OWN_BUNDLES / "iris_like_v15")
    assert competition.source is SourceFormat.CODALAB_15
    assert competition.registration_auto_approve is False  # has_registration: true
    development, final = competition.phases  # sorted by phasenumber, not file order
    assert development.start == datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    assert development.end == datetime(2026, 6, 30, tzinfo=UTC)  # the day before Final
    assert final.end == datetime(2026, 12, 31, 18, tzinfo=UTC)  # +09:00 dropped, as upstream
    assert final.execution_time_limit == 600  # 0: the default
    assert [t.name for t in competition.tasks] == ["Development Task", "Final Task"]
    assert competition.tasks[0].scoring_command == "python $program/score.py $input $output"
    assert [(c.key, c.index, c.sorting, c.precision) for c in competition.leaderboard.columns] \
        == [("score", 0, Sorting.DESC, 4), ("Duration", 1, Sorting.ASC, 1)]
    assert [p.title for p in competition.pages] == ["overview", "data"]
    assert competition.terms.is_html
    report = competition.report
    assert any("offset" in line.message and line.where.line == 9 for line in report.warnings)
    assert {line.where.path for line in report.not_supported} >= {
        "admin_names", "enable_forum", "phases.1.color", "phases.2.color"}
    assert "Force_Last" in report.text()


@pytest.mark.parametrize("prefix", ["", "blobs/"])
def test_zip_bundles(tmp_path: Path, prefix: str) -> None:
    archive = _zip(OWN_BUNDLES / "blobs_code", tmp_path / "b.zip", prefix)
    with open_bundle(archive) as bundle:
        assert bundle.competition.title == "Blobs (code submission)"
        assert bundle.path("scoring_program").is_dir()
        warned = [line for line in bundle.competition.report.warnings
                  if "not at the top of the zip" in line.message]
        assert len(warned) == (1 if prefix else 0)
        root = bundle.root
    assert not root.exists()  # the unpacked copy is removed with the block


def test_zip_without_competition_yaml(tmp_path: Path) -> None:
    archive = tmp_path / "b.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("a/b/competition.yaml", "version: 2\n")
        zf.writestr("readme.txt", "hello")
    with pytest.raises(InvalidInput, match=r"competition\.yaml is missing from zip"):
        open_bundle(archive).__enter__()


def test_zip_with_a_symlink_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "b.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        link = zipfile.ZipInfo("pages/terms.md")
        link.external_attr = (0o120777 << 16)
        zf.writestr(link, "/etc/passwd")
    with pytest.raises(InvalidInput, match="symbolic link"), open_bundle(archive):
        pass


def test_not_a_zip(tmp_path: Path) -> None:
    (tmp_path / "b.zip").write_text("nope")
    with pytest.raises(InvalidInput, match="not a valid zip"), open_bundle(tmp_path / "b.zip"):
        pass


def test_packed_folders_are_stable(tmp_path: Path) -> None:
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    with open_bundle(OWN_BUNDLES / "blobs_code") as bundle:
        first = bundle.pack("dev/input_data", tmp_path / "one")
        second = bundle.pack("dev/input_data", tmp_path / "two")
    assert hashlib.sha256(first.read_bytes()).digest() == hashlib.sha256(
        second.read_bytes()).digest()
    with zipfile.ZipFile(first) as zf:
        assert sorted(zf.namelist()) == ["test_features", "train_features", "train_labels"]


def test_docker_images_map_to_runtimes(tmp_path: Path) -> None:
    assert runtime_for_image("codalab/codalab-legacy:py312") == "default"
    assert runtime_for_image("docker.io/library/python:3.11") == "default"
    assert runtime_for_image("codalab/default-gpu:latest") == "default"
    assert runtime_for_image("someone/tensorflow:2") is None
    assert runtime_for_image("someone/tensorflow:2", {"someone/tensorflow:*": "tf"}) == "tf"
    folder = edit_yaml(copy_bundle("blobs_code", tmp_path),
                       lambda data: data.update(docker_image="someone/tensorflow:2"))
    with pytest.raises(BundleInvalid) as caught:
        read_competition(folder)
    assert "docker image 'someone/tensorflow:2' is not one this hub can run" in caught.value.detail
    assert "codalab/codalab-legacy:*" in caught.value.detail
    competition = read_competition(folder, extra_images={"someone/tensorflow:*": "tf"})
    assert competition.runtime == "tf"


def test_unknown_duplicated_and_singular_keys_are_reported(tmp_path: Path) -> None:
    folder = copy_bundle("blobs_code", tmp_path)
    text = (folder / "competition.yaml").read_text()
    text = text.replace("leaderboards:", "leaderboard:").replace(
        "title: Blobs (code submission)", "title: Blobs (code submission)\nsponsor: ACME\n"
        "title: Blobs again")
    (folder / "competition.yaml").write_text(text)
    competition = read_competition(folder)
    assert competition.title == "Blobs again"
    lines = {line.where.path: line for line in competition.report.lines}
    assert "unknown key 'sponsor'" in lines["sponsor"].message
    assert lines["sponsor"].where.line == 5
    assert "written twice" in lines["title"].message
    assert "singular" in lines["leaderboard"].message
    assert lines["leaderboard"].kind is LineKind.WARNING


def test_only_the_first_leaderboard_is_used(tmp_path: Path) -> None:
    def second_board(data: dict[str, object]) -> None:
        boards = data["leaderboards"]
        assert isinstance(boards, list)
        boards.append({"title": "Other", "key": "other", "columns": [
            {"title": "X", "key": "x", "index": 0}]})

    competition = read_competition(edit_yaml(copy_bundle("blobs_code", tmp_path), second_board))
    assert competition.leaderboard.key == "main"
    assert any(line.where.path == "leaderboards[1]" for line in competition.report.not_supported)


def test_ignored_v2_keys_are_reported(tmp_path: Path) -> None:
    def extras(data: dict[str, object]) -> None:
        data.update(queue="6f3c1a4e", forum_enabled=True, make_programs_available=True)
        phases = data["phases"]
        assert isinstance(phases, list)
        phases[1]["auto_migrate_to_this_phase"] = True

    competition = read_competition(edit_yaml(copy_bundle("blobs_code", tmp_path), extras))
    paths = {line.where.path for line in competition.report.not_supported}
    assert paths >= {"queue", "forum_enabled", "make_programs_available",
                     "phases[1].auto_migrate_to_this_phase"}
