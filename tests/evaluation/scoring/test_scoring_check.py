"""The quick check: every SubmissionError a participant can meet, with its exact wording."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scoring_helpers import BINARY_SOLUTION, GOOD, WriteFile, rows, spec

from aihub.evaluation.scoring import (
    Aligned,
    ScoringSpec,
    SolutionError,
    SubmissionError,
    Truth,
    check_submission,
    load_truth,
)


@pytest.fixture
def truth(write: WriteFile) -> Truth:
    return load_truth(write("solution.csv", BINARY_SOLUTION), spec())


def check(path: Path, truth: Truth, scoring: ScoringSpec | None = None) -> Aligned:
    return check_submission(path, truth, scoring or spec(), original_name=path.name)


def problems(path: Path, truth: Truth, scoring: ScoringSpec | None = None) -> list[str]:
    with pytest.raises(SubmissionError) as caught:
        check(path, truth, scoring)
    assert str(caught.value) == "\n".join(caught.value.problems)
    return list(caught.value.problems)


def test_predictions_come_back_in_truth_order(write: WriteFile, truth: Truth) -> None:
    shuffled = {k: GOOD[k] for k in (6, 3, 1, 5, 2, 4)}
    aligned = check(write("s.csv", rows(shuffled)), truth)
    assert aligned.predictions.tolist() == [GOOD[i] for i in truth.ids.to_list()]
    assert aligned.columns == ("target",)
    assert aligned.ignored_columns == ()
    assert aligned.n_rows == 6


def test_extra_columns_are_ignored_and_reported(write: WriteFile, truth: Truth) -> None:
    text = ",id,note,target\n" + "".join(
        f"{i},{k},x,{v}\n" for i, (k, v) in enumerate(GOOD.items())
    )
    aligned = check(write("s.csv", text), truth)
    assert aligned.ignored_columns == ("", "note")


def test_missing_column_lists_expected_and_found(write: WriteFile, truth: Truth) -> None:
    found = problems(write("s.csv", rows(GOOD, "id,prediction")), truth)
    assert found == [
        "Missing column(s) 'target'. The file needs the columns 'id', 'target'; "
        "found 'id', 'prediction'."
    ]


def test_near_miss_column_name_gets_a_hint(write: WriteFile, truth: Truth) -> None:
    (message,) = problems(write("s.csv", rows(GOOD, "ID,Target")), truth)
    assert "Column names are exact: rename 'ID' to 'id'." in message
    assert "rename 'Target' to 'target'." in message


def test_semicolon_separator_gets_a_hint(write: WriteFile, truth: Truth) -> None:
    text = "id;target\n" + "".join(f"{k};{v}\n" for k, v in GOOD.items())
    (message,) = problems(write("s.csv", text), truth)
    assert "separated by commas" in message


def test_repeated_needed_column(write: WriteFile, truth: Truth) -> None:
    found = problems(write("s.csv", "id,target,target\n1,0.1,0.2\n"), truth)
    assert found == ["The header repeats column 'target'; each name once."]


def test_header_only(write: WriteFile, truth: Truth) -> None:
    found = problems(write("s.csv", "id,target\n"), truth)
    assert found == [
        "The file has a header but no rows; it needs one row for each of the 6 test ids."
    ]


def test_missing_ids(write: WriteFile, truth: Truth) -> None:
    found = problems(write("s.csv", rows({1: 0.1, 4: 0.2, 6: 0.3})), truth)
    assert found == [
        "The file has 3 rows; the test set has 6 ids.",
        "Test ids are missing (3 ids), e.g. 2, 3, 5.",
    ]


def test_unknown_ids(write: WriteFile, truth: Truth) -> None:
    found = problems(write("s.csv", rows({**GOOD, 7: 0.1, 99: 0.2})), truth)
    assert found == [
        "The file has 8 rows; the test set has 6 ids.",
        "Some ids are not in the test set (2 rows), e.g. 7, 99.",
    ]


def test_duplicate_ids(write: WriteFile, truth: Truth) -> None:
    text = rows(GOOD) + "2,0.5\n2,0.5\n5,0.1\n"
    found = problems(write("s.csv", text), truth)
    assert found == [
        "The file has 9 rows; the test set has 6 ids.",
        "Some ids appear more than once (2 ids), e.g. 2 (3 times), 5 (2 times); "
        "each id must appear once.",
    ]


def test_duplicates_hiding_a_missing_id(write: WriteFile, truth: Truth) -> None:
    text = rows({**GOOD, 6: 0.3}).replace("6,0.3", "1,0.3")
    found = problems(write("s.csv", text), truth)
    assert found == [
        "Some ids appear more than once (1 id), e.g. 1 (2 times); each id must appear once.",
        "Test ids are missing (1 id), e.g. 6.",
    ]


def test_examples_are_capped_at_five(write: WriteFile, truth: Truth) -> None:
    extra = dict.fromkeys(range(100, 120), 0.5)
    found = problems(write("s.csv", rows({**GOOD, **extra})), truth)
    assert found[1] == ("Some ids are not in the test set (20 rows), e.g. 100, 101, 102, 103, 104.")


def test_non_integer_ids_against_integer_solution(write: WriteFile, truth: Truth) -> None:
    text = rows(GOOD).replace("3,0.2", "3.0,0.2").replace("4,0.8", "four,0.8")
    found = problems(write("s.csv", text), truth)
    assert found == [
        "The id column 'id' must hold whole numbers like the test ids: line 4 (id '3.0') "
        "has '3.0' (2 rows)."
    ]


def test_empty_id(write: WriteFile, truth: Truth) -> None:
    text = rows(GOOD).replace("3,0.2", ",0.2")
    found = problems(write("s.csv", text), truth)
    assert found == ["Every row needs an id: line 4 (no id) has none (1 row)."]


def test_non_numeric_prediction_names_column_row_and_value(write: WriteFile, truth: Truth) -> None:
    text = rows(GOOD).replace("4,0.8", "4,high").replace("5,0.7", "5,n/a")
    found = problems(write("s.csv", text), truth)
    assert found == [
        "Column 'target' must hold numbers: line 5 (id 4) has 'high' (2 rows not numbers)."
    ]


def test_empty_prediction(write: WriteFile, truth: Truth) -> None:
    found = problems(write("s.csv", rows(GOOD).replace("2,0.9", "2,")), truth)
    assert found == [
        "Column 'target' has 1 empty value, e.g. line 3 (id 2); every row needs a prediction."
    ]


def test_nan_predictions(write: WriteFile, truth: Truth) -> None:
    text = rows(GOOD).replace("2,0.9", "2,NaN").replace("6,0.3", "6,nan")
    found = problems(write("s.csv", text), truth)
    assert found == [
        "Column 'target' has 2 NaN values, e.g. line 3 (id 2); every row needs a number."
    ]


def test_infinite_prediction(write: WriteFile, truth: Truth) -> None:
    found = problems(write("s.csv", rows(GOOD).replace("5,0.7", "5,-inf")), truth)
    assert found == ["Column 'target' has 1 infinite value, e.g. line 6 (id 5) has -inf."]


def test_value_and_id_problems_are_reported_together(write: WriteFile, truth: Truth) -> None:
    values = {**GOOD, 2: "x", 7: 0.5}
    del values[1]
    found = problems(write("s.csv", rows(values)), truth)
    assert found == [
        "Column 'target' must hold numbers: line 2 (id 2) has 'x' (1 row not numbers).",
        "Some ids are not in the test set (1 row), e.g. 7.",
        "Test ids are missing (1 id), e.g. 1.",
    ]


def test_short_line_is_reported_as_ragged(write: WriteFile, truth: Truth) -> None:
    found = problems(write("s.csv", rows(GOOD).replace("3,0.2", "3")), truth)
    assert found == [
        "Line 4 has 1 field but the header has 2; every line needs one value per column "
        "(quote values that contain commas)."
    ]


def test_blank_lines_are_skipped_and_lines_stay_right(write: WriteFile, truth: Truth) -> None:
    text = "id,target\n\n1,0.1\n2,0.9\n,\n3,0.2\n4,x\n5,0.7\n6,0.3\n\n"
    found = problems(write("s.csv", text), truth)
    assert found == [
        "Column 'target' must hold numbers: line 7 (id 4) has 'x' (1 row not numbers)."
    ]


def test_scores_are_not_restricted_to_probabilities_for_auc(write: WriteFile, truth: Truth) -> None:
    aligned = check(write("s.csv", rows({k: v * 10 - 3 for k, v in GOOD.items()})), truth)
    assert aligned.predictions.min() < 0


def test_log_loss_needs_probabilities(write: WriteFile) -> None:
    scoring = spec("log_loss")
    truth = load_truth(write("solution.csv", BINARY_SOLUTION), scoring)
    found = problems(write("s.csv", rows({**GOOD, 3: 1.5, 4: -0.1})), truth, scoring)
    assert found == [
        "Column 'target' must hold probabilities between 0 and 1: line 4 (id 3) has 1.5 "
        "(2 rows outside)."
    ]


CLASSES = "id,target,split\n1,cat,public\n2,dog,public\n3,cow,private\n4,cat,private\n"


def test_class_probabilities_must_sum_to_one(write: WriteFile) -> None:
    scoring = spec("roc_auc_ovr", labels=("cat", "cow", "dog"))
    truth = load_truth(write("solution.csv", CLASSES), scoring)
    text = "id,cat,cow,dog\n1,0.5,0.25,0.25\n2,0.5,0.5,0.5\n3,0.2,0.2,0.6\n4,0.3,0.3,0.3\n"
    found = problems(write("s.csv", text), truth, scoring)
    assert found == [
        "Each row's class probabilities must sum to 1 (within 0.0001): line 3 (id 2) sums "
        "to 1.5 (2 rows); write more decimals or divide each row by its sum."
    ]


def test_class_probabilities_within_tolerance_are_normalised(write: WriteFile) -> None:
    scoring = spec("roc_auc_ovr", labels=("cat", "cow", "dog"))
    truth = load_truth(write("solution.csv", CLASSES), scoring)
    text = "id,dog,cat,cow\n1,0.33333,0.33333,0.33333\n2,1,0,0\n3,0,0,1\n4,0.2,0.2,0.6\n"
    aligned = check(write("s.csv", text), truth, scoring)
    assert np.allclose(aligned.predictions.sum(axis=1), 1.0, atol=1e-15, rtol=0)
    assert aligned.columns == ("cat", "cow", "dog")


def test_public_class_columns_are_named(write: WriteFile) -> None:
    scoring = spec("roc_auc_ovr", labels=("cat", "cow", "dog"))
    truth = load_truth(write("solution.csv", CLASSES), scoring)
    found = problems(write("s.csv", "id,cat,dog\n1,0.5,0.5\n"), truth, scoring)
    assert found == [
        "Missing column(s) 'cow'. The file needs the columns 'id', 'cat', 'cow', 'dog'; "
        "found 'id', 'cat', 'dog'."
    ]


def test_unpublished_class_columns_are_not_named(write: WriteFile) -> None:
    scoring = spec("roc_auc_ovr")
    truth = load_truth(write("solution.csv", CLASSES), scoring)
    found = problems(write("s.csv", "id,cat,dog\n1,0.5,0.5\n"), truth, scoring)
    assert found == [
        "The file needs the columns the id column 'id' and one probability column per class, "
        "named exactly as in the sample submission; found 'id', 'cat', 'dog'."
    ]


def test_unknown_label_with_published_classes(write: WriteFile) -> None:
    scoring = spec("accuracy", labels=("cat", "cow", "dog"))
    truth = load_truth(write("solution.csv", CLASSES), scoring)
    text = "id,target\n1,cat\n2,horse\n3,cow\n4,Dog\n"
    found = problems(write("s.csv", text), truth, scoring)
    assert found == [
        "Column 'target' has an unknown label 'horse' on line 3 (id 2) (2 rows with labels "
        "that are not classes of this challenge). The classes are: cat, cow, dog."
    ]


def test_unknown_label_without_published_classes(write: WriteFile) -> None:
    scoring = spec("accuracy")
    truth = load_truth(write("solution.csv", CLASSES), scoring)
    found = problems(write("s.csv", "id,target\n1,cat\n2,horse\n3,cow\n4,dog\n"), truth, scoring)
    assert found == [
        "Column 'target' has an unknown label 'horse' on line 3 (id 2) (1 row with labels "
        "that are not classes of this challenge). Use the labels exactly as written in the "
        "training data."
    ]


def test_empty_label(write: WriteFile) -> None:
    scoring = spec("accuracy")
    truth = load_truth(write("solution.csv", CLASSES), scoring)
    found = problems(write("s.csv", "id,target\n1,cat\n2,\n3,cow\n4,dog\n"), truth, scoring)
    assert found == [
        "Column 'target' has 1 empty label, e.g. line 3 (id 2); every row needs a label."
    ]


def test_integer_labels_accept_whole_floats(write: WriteFile) -> None:
    scoring = spec("accuracy")
    truth = load_truth(write("solution.csv", BINARY_SOLUTION), scoring)
    aligned = check(
        write("s.csv", rows({1: "0.0", 2: 1, 3: 0, 4: "1", 5: 1, 6: 0})), truth, scoring
    )
    assert aligned.predictions.dtype == np.int64
    found = problems(write("s.csv", rows({1: "0.5", 2: 1, 3: 0, 4: 1, 5: 1, 6: 0})), truth, scoring)
    assert "unknown label '0.5' on line 2 (id 1)" in found[0]


def test_ids_compare_as_integers_when_both_sides_are(write: WriteFile, truth: Truth) -> None:
    padded = {f"{k:03d}": v for k, v in GOOD.items()}
    assert check(write("s.csv", rows(padded)), truth).n_rows == 6


def test_text_ids_compare_exactly(write: WriteFile) -> None:
    text = "id,target,split\n007,0,public\n7,1,public\nA-1,1,private\na-1,0,private\n"
    truth = load_truth(write("solution.csv", text), spec())
    aligned = check(write("s.csv", "id,target\na-1,0.1\n7,0.9\nA-1,0.8\n007,0.2\n"), truth)
    by_id = dict(zip(truth.ids.to_list(), aligned.predictions.tolist(), strict=True))
    assert by_id == {"007": 0.2, "7": 0.9, "A-1": 0.8, "a-1": 0.1}
    found = problems(write("s.csv", "id,target\na-1,0.1\n7,0.9\nA-1,0.8\n7.0,0.2\n"), truth)
    assert found == [
        "Some ids are not in the test set (1 row), e.g. '7.0'.",
        "Test ids are missing (1 id), e.g. '007'.",
    ]


def test_missing_examples_are_sorted_not_in_solution_order(write: WriteFile) -> None:
    text = "id,target,split\n9,0,public\n8,1,public\n1,0,private\n2,1,private\n"
    truth = load_truth(write("solution.csv", text), spec())
    found = problems(write("s.csv", "id,target\n1,0.5\n"), truth)
    assert found[-1] == "Test ids are missing (3 ids), e.g. 2, 8, 9."


def test_regression_with_several_targets(write: WriteFile) -> None:
    scoring = spec("rmse", "a", "b")
    text = "id,a,b,split\n1,1,2,public\n2,3,4,private\n"
    truth = load_truth(write("solution.csv", text), scoring)
    aligned = check(write("s.csv", "id,b,a\n2,4.5,3.5\n1,2.5,1.5\n"), truth, scoring)
    assert aligned.predictions.tolist() == [[1.5, 2.5], [3.5, 4.5]]


def test_spec_must_match_the_truth(write: WriteFile, truth: Truth) -> None:
    with pytest.raises(SolutionError, match="other evaluation settings"):
        check(write("s.csv", rows(GOOD)), truth, spec("rmse"))


def test_parquet_submission_with_integer_ids(write: WriteFile, truth: Truth) -> None:
    import polars as pl

    path = write("s.parquet", b"")
    pl.DataFrame({"id": list(GOOD), "target": list(GOOD.values())}).write_parquet(path)
    aligned = check(path, truth)
    assert aligned.predictions.tolist() == [GOOD[i] for i in truth.ids.to_list()]


def test_parquet_submission_with_text_predictions(write: WriteFile, truth: Truth) -> None:
    import polars as pl

    path = write("s.parquet", b"")
    values = [str(v) for v in GOOD.values()]
    values[2] = "bad"
    pl.DataFrame({"id": [str(k) for k in GOOD], "target": values}).write_parquet(path)
    found = problems(path, truth)
    assert found == [
        "Column 'target' must hold numbers: row 3 (id 3) has 'bad' (1 row not numbers)."
    ]


def test_korean_ids_in_a_cp949_submission(write: WriteFile) -> None:
    text = (
        "아이디,target,split\n"
        "대전-가,0,public\n대전-나,1,public\n유성-다,0,private\n유성-라,1,private\n"
    )
    scoring = ScoringSpec("roc_auc", id_column="아이디", target_columns=("target",))
    truth = load_truth(write("solution.csv", text), scoring)
    submission = "아이디,target\n유성-라,0.9\n대전-가,0.2\n유성-다,0.4\n대전-나,0.6\n"
    aligned = check(write("s.csv", submission, encoding="cp949"), truth, scoring)
    by_id = dict(zip(truth.ids.to_list(), aligned.predictions.tolist(), strict=True))
    assert by_id == {"대전-가": 0.2, "대전-나": 0.6, "유성-다": 0.4, "유성-라": 0.9}
    found = problems(
        write("s.csv", submission.replace("유성-라", "유성-마"), encoding="cp949"), truth, scoring
    )
    assert found == [
        "Some ids are not in the test set (1 row), e.g. '유성-마'.",
        "Test ids are missing (1 id), e.g. '유성-라'.",
    ]
