"""The two private ``/app/shared`` folders of ingestion during scoring, kept alike by the
worker (``SharedMirror``): regular files only, never a link or a pipe, copies owned by the
box that receives them, deletions passed on, the scorer's version first. On plain
folders here; the runner tests drive it between real boxes."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from aihub.interop.codabench.shared import SharedMirror, Side

OTHER_UID = 64990  # no account: the ingestion box's uid in these tests


def _settle(mirror: SharedMirror) -> bool:
    """Passes until nothing is left to do (a file is copied once it stopped changing);
    whether anything was."""
    passes = 0
    while mirror.sync():
        passes += 1
        assert passes < 10
        time.sleep(0.01)
    return passes > 0


@pytest.fixture
def sides(tmp_path: Path) -> tuple[Path, Path, SharedMirror]:
    scoring, ingestion = tmp_path / "scoring", tmp_path / "ingestion"
    scoring.mkdir()
    ingestion.mkdir()
    if os.geteuid() == 0:
        os.chown(ingestion, OTHER_UID, OTHER_UID)
    mirror = SharedMirror([Side.of("scoring", scoring), Side.of("ingestion", ingestion)])
    return scoring, ingestion, mirror


def test_files_are_copied_both_ways_owned_by_the_receiver(
        sides: tuple[Path, Path, SharedMirror]) -> None:
    scoring, ingestion, mirror = sides
    (scoring / "chunk_0").write_text("rows")
    (ingestion / "out").mkdir()
    (ingestion / "out" / "prediction").write_text("1\n2\n")
    assert _settle(mirror)
    assert (ingestion / "chunk_0").read_text() == "rows"
    assert (scoring / "out" / "prediction").read_text() == "1\n2\n"
    assert (ingestion / "chunk_0").stat().st_uid == ingestion.stat().st_uid
    assert (scoring / "out" / "prediction").stat().st_uid == scoring.stat().st_uid
    assert not mirror.sync()  # nothing moved since: no copy back and forth
    first, second = mirror.tick(), mirror.tick()
    assert first < second  # idle: it looks less often


def test_links_pipes_and_hard_links_are_never_copied(
        sides: tuple[Path, Path, SharedMirror]) -> None:
    scoring, ingestion, mirror = sides
    (ingestion / "prediction").symlink_to("/app/input/ref/test_labels")
    os.mkfifo(ingestion / "trap")
    (ingestion / "once").write_text("x")
    os.link(ingestion / "once", ingestion / "twice")
    _settle(mirror)
    assert sorted(path.name for path in scoring.iterdir()) == []
    notes = "\n".join(mirror.notes)
    assert "/app/shared/prediction of the ingestion box is a symbolic link" in notes
    assert "/app/shared/trap of the ingestion box is not a regular file" in notes
    assert "/app/shared/once of the ingestion box is a hard link" in notes
    # The same name as a regular file later is copied.
    (ingestion / "prediction").unlink()
    (ingestion / "prediction").write_text("0\n")
    _settle(mirror)
    assert (scoring / "prediction").read_text() == "0\n"


def test_a_link_on_the_receiving_side_is_replaced_not_followed(
        sides: tuple[Path, Path, SharedMirror], tmp_path: Path) -> None:
    scoring, ingestion, mirror = sides
    target = tmp_path / "host_file"
    target.write_text("untouched")
    (ingestion / "chunk_0").symlink_to(target)
    (scoring / "chunk_0").write_text("rows")
    _settle(mirror)
    assert target.read_text() == "untouched"
    assert not (ingestion / "chunk_0").is_symlink()
    assert (ingestion / "chunk_0").read_text() == "rows"


def test_a_name_taken_first_does_not_stop_the_scorer(
        sides: tuple[Path, Path, SharedMirror]) -> None:
    """In one sticky folder, the participant's chunk_0 made the scorer's rename fail."""
    scoring, ingestion, mirror = sides
    (ingestion / "chunk_0").write_text("squatted")
    _settle(mirror)
    partial = scoring / ".chunk_0.partial"
    partial.write_text("rows")
    partial.rename(scoring / "chunk_0")  # the scorer's own folder: it may
    _settle(mirror)
    assert (ingestion / "chunk_0").read_text() == "rows"
    assert (scoring / "chunk_0").read_text() == "rows"


def test_a_file_being_written_is_copied_once_it_settles(
        sides: tuple[Path, Path, SharedMirror]) -> None:
    scoring, ingestion, mirror = sides
    with (scoring / "big").open("w") as growing:
        for part in range(5):
            growing.write(f"part {part}\n")
            growing.flush()
            assert mirror.sync()  # due, not copied: it changed since the last pass
            assert not (ingestion / "big").exists()
    _settle(mirror)
    assert (ingestion / "big").read_text().count("part") == 5


def test_deletions_pass_and_the_scorer_wins_a_conflict(
        sides: tuple[Path, Path, SharedMirror]) -> None:
    scoring, ingestion, mirror = sides
    (scoring / "request").write_text("1")
    (scoring / "answer").write_text("?")
    _settle(mirror)
    (ingestion / "request").unlink()  # consumed
    (scoring / "answer").write_text("scorer's")
    (ingestion / "answer").write_text("participant's")
    _settle(mirror)
    assert not (scoring / "request").exists()
    assert (ingestion / "answer").read_text() == "scorer's"
    assert (scoring / "answer").read_text() == "scorer's"
