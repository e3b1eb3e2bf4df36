"""Loading the solution: every SolutionError, id typing, split order and target preparation."""

from __future__ import annotations

import numpy as np
import pytest
from scoring_helpers import BINARY_SOLUTION, WriteFile, spec

from aihub.evaluation.metrics.base import PredictionKind
from aihub.evaluation.scoring import ScoringSpec, SolutionError, Truth, load_truth


def load(write: WriteFile, text: str, scoring: ScoringSpec | None = None) -> Truth:
    return load_truth(write("solution.csv", text), scoring or spec())


def solution_error(write: WriteFile, text: str, scoring: ScoringSpec | None = None) -> str:
    with pytest.raises(SolutionError) as caught:
        load(write, text, scoring)
    return str(caught.value)


def test_rows_are_public_first_then_private_in_file_order(write: WriteFile) -> None:
    truth = load(write, BINARY_SOLUTION, spec("rmse"))
    assert truth.ids.to_list() == [1, 2, 5, 3, 4, 6]
    assert truth.split_codes.tolist() == [0, 0, 0, 1, 1, 1]
    assert truth.split_counts == {"public": 3, "private": 3}
    assert truth.split_names == ("public", "private")
    assert truth.split_slice("private") == slice(3, 6)
    assert truth.targets.tolist() == [0, 1, 1, 0, 1, 0]
    assert truth.id_mode == "int"


def test_binary_rows_are_grouped_by_class_within_each_split(write: WriteFile) -> None:
    truth = load(write, BINARY_SOLUTION)
    assert truth.kind is PredictionKind.PROBABILITY
    assert truth.ids.to_list() == [1, 2, 5, 3, 6, 4]
    assert truth.split_codes.tolist() == [0, 0, 0, 1, 1, 1]
    assert truth.targets.tolist() == [0, 1, 1, 0, 0, 1]


def test_usage_column_and_case_of_split_values(write: WriteFile) -> None:
    truth = load(write, "id,target,Usage\n1,0,Public\n2,1,PUBLIC\n3,0,private\n4,1, Private\n")
    assert truth.split_counts == {"public": 2, "private": 2}


def test_unknown_metric(write: WriteFile) -> None:
    message = solution_error(write, BINARY_SOLUTION, spec("auc"))
    assert "unknown metric 'auc'" in message


def test_missing_split_column(write: WriteFile) -> None:
    message = solution_error(write, "id,target\n1,0\n")
    assert message == (
        "The solution has no split column 'split' or 'Usage'; columns found: ['id', 'target']."
    )


def test_named_split_column_missing(write: WriteFile) -> None:
    scoring = ScoringSpec("roc_auc", target_columns=("target",), split_column="part")
    assert "no split column 'part'" in solution_error(write, BINARY_SOLUTION, scoring)


def test_missing_id_and_target_columns(write: WriteFile) -> None:
    message = solution_error(write, "ID,y,split\n1,0,public\n")
    assert message == (
        "The solution lacks column(s) ['id', 'target']; columns found: ['ID', 'y', 'split']."
    )


def test_unknown_split_values(write: WriteFile) -> None:
    message = solution_error(write, "id,target,split\n1,0,public\n2,1,test\n3,0,\n4,1,test\n")
    assert message == (
        "The split column 'split' must hold 'public' or 'private' (any case), not 'test', "
        "None (3 rows)."
    )


@pytest.mark.parametrize("empty", ["public", "private"])
def test_empty_split(write: WriteFile, empty: str) -> None:
    other = "private" if empty == "public" else "public"
    message = solution_error(write, f"id,target,split\n1,0,{other}\n2,1,{other}\n")
    assert message == f"The solution's {empty} split is empty; both need rows."


def test_duplicate_ids_with_examples(write: WriteFile) -> None:
    text = "id,target,split\n1,0,public\n1,1,private\nb,0,public\nb,1,private\nc,1,public\n"
    message = solution_error(write, text)
    assert message == "The solution repeats 2 ids, e.g. '1', 'b'; each id must appear once."


def test_empty_id(write: WriteFile) -> None:
    assert "empty values" in solution_error(write, "id,target,split\n,0,public\n2,1,private\n")


def test_missing_targets_with_examples(write: WriteFile) -> None:
    text = "id,target,split\n1,0,public\n2,,public\n3,1,private\n4,,private\n"
    message = solution_error(write, text)
    assert message == (
        "Target column 'target' is empty in 2 rows, e.g. ids 2, 4; every row needs a target."
    )


def test_binary_metric_needs_both_classes_in_each_split(write: WriteFile) -> None:
    text = "id,target,split\n1,0,public\n2,0,public\n3,0,private\n4,1,private\n"
    message = solution_error(write, text)
    assert message == (
        "The public split holds only one class; roc_auc needs both classes in each split."
    )


def test_binary_metric_with_three_classes(write: WriteFile) -> None:
    text = "id,target,split\n1,0,public\n2,1,public\n3,2,private\n4,1,private\n"
    assert "exactly two classes" in solution_error(write, text)


def test_positive_label_must_be_a_solution_label(write: WriteFile) -> None:
    message = solution_error(write, BINARY_SOLUTION, spec(positive_label="yes"))
    assert "positive_label 'yes' is not a solution label" in message


def test_positive_label_picks_the_class(write: WriteFile) -> None:
    text = "id,target,split\n1,no,public\n2,yes,public\n3,no,private\n4,yes,private\n"
    truth = load(write, text)  # "yes" is the larger label
    assert dict(zip(truth.ids.to_list(), truth.targets.tolist(), strict=True)) == {
        1: 0,
        2: 1,
        3: 0,
        4: 1,
    }
    truth = load(write, text, spec(positive_label="no"))
    assert dict(zip(truth.ids.to_list(), truth.targets.tolist(), strict=True)) == {
        1: 1,
        2: 0,
        3: 1,
        4: 0,
    }
    assert truth.params.positive_label is None


def test_regression_targets_must_be_numbers(write: WriteFile) -> None:
    text = "id,target,split\n1,1.5,public\n2,abc,private\n"
    message = solution_error(write, text, spec("rmse"))
    assert message == (
        "Target column 'target' must hold finite numbers: id 2 has 'abc' (1 row like this)."
    )


def test_several_regression_targets_make_a_matrix(write: WriteFile) -> None:
    text = "id,a,b,split\n1,1,2,public\n2,3,4,private\n"
    truth = load(write, text, spec("rmse", "a", "b"))
    assert truth.targets.shape == (2, 2)
    assert truth.prediction_columns == ("a", "b")


def test_ids_that_are_not_all_integers_compare_as_text(write: WriteFile) -> None:
    text = "id,target,split\n007,0,public\n7,1,public\n8,0,private\n9,1,private\n"
    truth = load(write, text)
    assert truth.id_mode == "str"
    assert truth.ids.to_list() == ["007", "7", "8", "9"]


def test_zero_padded_integer_ids_compare_as_integers(write: WriteFile) -> None:
    text = "id,target,split\n007,0,public\n008,1,public\n009,0,private\n010,1,private\n"
    assert load(write, text).id_mode == "int"


def test_class_probabilities_use_declared_labels(write: WriteFile) -> None:
    text = "id,target,split\n1,cat,public\n2,dog,public\n3,cow,private\n4,cat,private\n"
    truth = load(write, text, spec("roc_auc_ovr", labels=("dog", "cat", "cow")))
    assert truth.prediction_columns == ("dog", "cat", "cow")
    assert truth.classes_public
    assert truth.targets.tolist() == [1, 0, 2, 1]
    assert truth.params.labels == (0, 1, 2)


def test_declared_labels_must_cover_the_solution(write: WriteFile) -> None:
    text = "id,target,split\n1,cat,public\n2,dog,public\n3,cow,private\n4,cat,private\n"
    message = solution_error(write, text, spec("roc_auc_ovr", labels=("dog", "cat")))
    assert message == "The solution holds labels missing from metric_params.labels: ['cow']."


def test_log_loss_is_binary_with_two_classes_and_no_labels(write: WriteFile) -> None:
    assert load(write, BINARY_SOLUTION, spec("log_loss")).kind is PredictionKind.PROBABILITY
    labelled = load(write, BINARY_SOLUTION, spec("log_loss", labels=(0, 1)))
    assert labelled.kind is PredictionKind.CLASS_PROBABILITIES
    assert labelled.prediction_columns == ("0", "1")


def test_label_metric_keeps_text_labels(write: WriteFile) -> None:
    text = "id,target,split\n1,b,public\n2,a,private\n"
    truth = load(write, text, spec("accuracy"))
    assert truth.label_type == "str"
    assert truth.targets.dtype.kind == "U"
    assert truth.classes == ("a", "b")
    assert not truth.classes_public


def test_label_metric_integer_labels(write: WriteFile) -> None:
    text = "id,target,split\n1,2.0,public\n2,1,private\n"
    truth = load(write, text, spec("accuracy"))
    assert truth.label_type == "int"
    assert np.array_equal(truth.targets, [2, 1])


def test_header_only_solution(write: WriteFile) -> None:
    assert solution_error(write, "id,target,split\n") == "The solution has a header but no rows."


def test_unreadable_solution_file(write: WriteFile) -> None:
    assert solution_error(write, "").startswith("Solution file: The file is empty.")


def test_spec_fingerprint_is_stable_and_sensitive() -> None:
    assert spec().fingerprint() == spec().fingerprint()
    assert spec().fingerprint() != spec(positive_label=1).fingerprint()
    assert spec(positive_label=1).fingerprint() != spec(positive_label="1").fingerprint()
    assert spec("rmse").fingerprint() != spec().fingerprint()


def test_spec_validation() -> None:
    with pytest.raises(ValueError, match="at least one target"):
        ScoringSpec("rmse", target_columns=())
    with pytest.raises(ValueError, match="id column"):
        ScoringSpec("rmse", id_column="a", target_columns=("a",))
