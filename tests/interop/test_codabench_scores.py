"""Scores read back from a scoring program's output: JSON first, YAML text second, numbers
and booleans only, other keys dropped, computed columns computed here."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from codabench_helpers import OWN_BUNDLES

from aihub.interop.codabench import Leaderboard, ScoresError, read_competition, read_scores
from aihub.interop.codabench.scores import detailed_results, metadata_text


@pytest.fixture
def board() -> Leaderboard:
    return read_competition(OWN_BUNDLES / "blobs_results").leaderboard


def test_json_with_computed_column_and_extra_key(tmp_path: Path, board: Leaderboard) -> None:
    (tmp_path / "scores.json").write_text(
        '{"accuracy": 0.75, "recall_0": 0.5, "recall_1": 1, "recall_2": 0.75, "rows": 12}')
    scores = read_scores(tmp_path, board)
    assert scores.values == {"accuracy": 0.75, "recall_0": 0.5, "recall_1": 1.0,
                             "recall_2": 0.75, "mean_recall": 0.75}
    assert (scores.source, scores.dropped, scores.missing) == ("scores.json", ("rows",), ())


def test_computed_column_written_by_the_program_is_recomputed(
        tmp_path: Path, board: Leaderboard) -> None:
    (tmp_path / "scores.json").write_text('{"accuracy": 1, "recall_0": 1, "mean_recall": 9}')
    scores = read_scores(tmp_path, board)
    assert scores.overridden == ("mean_recall",)
    assert "mean_recall" not in scores.values  # recall_1 and recall_2 are missing
    assert scores.missing == ("recall_1", "recall_2", "mean_recall")


def test_scores_txt_and_booleans(tmp_path: Path, board: Leaderboard) -> None:
    (tmp_path / "scores.txt").write_text("accuracy: 0.5\nrecall_0: true\nrecall_1: false\n")
    scores = read_scores(tmp_path, board)
    assert scores.source == "scores.txt"
    assert (scores.values["recall_0"], scores.values["recall_1"]) == (1.0, 0.0)


def test_json_wins_over_txt(tmp_path: Path, board: Leaderboard) -> None:
    (tmp_path / "scores.json").write_text('{"accuracy": 0.9}')
    (tmp_path / "scores.txt").write_text("accuracy: 0.1\n")
    assert read_scores(tmp_path, board).values == {"accuracy": 0.9}


def test_json_syntax_error(tmp_path: Path, board: Leaderboard) -> None:
    (tmp_path / "scores.json").write_text('{"accuracy": 0.9,, "secret": "label-1"}')
    (tmp_path / "scores.txt").write_text("accuracy: 0.1\n")  # JSON still wins, and fails
    with pytest.raises(ScoresError) as caught:
        read_scores(tmp_path, board)
    assert caught.value.detail.startswith(
        "Could not decode scores json properly, it contains an error")
    assert "line 1, column 18" in caught.value.detail
    assert "label-1" not in caught.value.detail + caught.value.participant
    assert "syntax error" in caught.value.participant


def test_no_scores_file(tmp_path: Path, board: Leaderboard) -> None:
    with pytest.raises(ScoresError, match="Could not find scores file"):
        read_scores(tmp_path, board)


@pytest.mark.parametrize("value", ['"0.85"', "null", "[1]", "1e12", "NaN", '{"a": 1}'])
def test_values_that_are_not_scores(tmp_path: Path, board: Leaderboard, value: str) -> None:
    (tmp_path / "scores.json").write_text(f'{{"accuracy": {value}}}')
    with pytest.raises(ScoresError) as caught:
        read_scores(tmp_path, board)
    assert "accuracy" in caught.value.detail
    assert "not a number" in caught.value.participant


def test_not_a_mapping(tmp_path: Path, board: Leaderboard) -> None:
    (tmp_path / "scores.json").write_text("[0.5]")
    with pytest.raises(ScoresError, match="one mapping of column keys"):
        read_scores(tmp_path, board)


def test_a_scorer_that_writes_metadata_fails(tmp_path: Path, board: Leaderboard) -> None:
    (tmp_path / "scores.json").write_text('{"accuracy": 0.9}')
    (tmp_path / "metadata").write_text("exitCode: 0\n")
    with pytest.raises(ScoresError, match="already contains a metadata file"):
        read_scores(tmp_path, board)


def test_links_and_fifos_are_not_followed(tmp_path: Path, board: Leaderboard) -> None:
    secret = tmp_path / "secret.json"
    secret.write_text('{"accuracy": 0.1}')
    out = tmp_path / "out"
    out.mkdir()
    (out / "scores.json").symlink_to(secret)
    with pytest.raises(ScoresError, match="symbolic link"):
        read_scores(out, board)
    (out / "scores.json").unlink()
    os.mkfifo(out / "scores.json")
    with pytest.raises(ScoresError, match="not a regular file"):
        read_scores(out, board)


def test_too_large(tmp_path: Path, board: Leaderboard) -> None:
    (tmp_path / "scores.json").write_text('{"accuracy": 0.5}' + " " * 100)
    with pytest.raises(ScoresError, match="larger than"):
        read_scores(tmp_path, board, max_bytes=50)


def test_metadata_file_the_worker_writes() -> None:
    assert yaml.safe_load(metadata_text()) == {
        "elapsedTime": None, "exitCode": None, "ingestionElapsedTime": None,
        "ingestionExitCode": None}
    written = yaml.safe_load(metadata_text(elapsed=1.5, exit_code=0, ingestion_elapsed=2.0,
                                           ingestion_exit_code=1))
    assert written == {"elapsedTime": 1.5, "exitCode": 0, "ingestionElapsedTime": 2.0,
                       "ingestionExitCode": 1}


def test_detailed_results(tmp_path: Path) -> None:
    assert detailed_results(tmp_path) is None
    (tmp_path / "b.html").write_text("<p>b</p>")
    (tmp_path / "a.html").write_text("<p>a</p>")
    assert detailed_results(tmp_path) == b"<p>a</p>"  # v1.5: the first *.html
    (tmp_path / "detailed_results.html").write_text("<p>d</p>")
    assert detailed_results(tmp_path) == b"<p>d</p>"


_LAUGHS = "\n".join(["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"] + [
    f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)])


@pytest.mark.parametrize(("name", "text", "host"), [
    ("scores.txt", _LAUGHS + "\naccuracy: *a8\n", "scores.txt is not valid YAML"),
    ("scores.txt", "accuracy: &r [*r]\n", "scores.txt is not valid YAML"),
    ("scores.txt", "accuracy: " + "[" * 50000 + "]" * 50000 + "\n",
     "scores.txt is not valid YAML"),
    ("scores.json", '{"accuracy": ' + "[" * 100000 + "]" * 100000 + "}",
     "scores.json is nested too deeply"),
])
def test_scores_built_to_blow_up_are_refused(tmp_path: Path, board: Leaderboard, name: str,
                                             text: str, host: str) -> None:
    (tmp_path / name).write_text(text)
    with pytest.raises(ScoresError) as caught:
        read_scores(tmp_path, board)
    assert host in caught.value.detail
    assert len(caught.value.detail) < 2000 and "the host has been told" in caught.value.participant


def test_a_large_value_is_quoted_short(tmp_path: Path, board: Leaderboard) -> None:
    (tmp_path / "scores.json").write_text('{"accuracy": [' + "1," * 100000 + "1]}")
    with pytest.raises(ScoresError) as caught:
        read_scores(tmp_path, board)
    assert "accuracy: [1, 1, 1, 1, 1, ...]" in caught.value.detail
    assert len(caught.value.detail) < 500
