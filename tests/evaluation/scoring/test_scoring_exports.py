"""The scorer's public surface is pinned: changing it is a decision, not an accident."""

from __future__ import annotations

from aihub.evaluation import scoring


def test_exported_members() -> None:
    assert sorted(scoring.__all__) == [
        "Aligned",
        "CacheStats",
        "DEFAULT_SOLUTION_MAX_BYTES",
        "DEFAULT_SUBMISSION_MAX_BYTES",
        "ENCODINGS_ACCEPTED",
        "ROW_SUM_TOLERANCE",
        "SPLITS",
        "ScoringSpec",
        "SolutionError",
        "SubmissionError",
        "Truth",
        "TruthCache",
        "check_submission",
        "file_sha256",
        "load_truth",
        "read_table",
        "score",
        "score_file",
        "split_names",
    ]
    for name in scoring.__all__:
        member = getattr(scoring, name)
        if callable(member):
            assert member.__module__.startswith("aihub.evaluation.scoring"), name


def test_errors_are_value_errors() -> None:
    assert issubclass(scoring.SubmissionError, ValueError)
    assert issubclass(scoring.SolutionError, ValueError)
    error = scoring.SubmissionError(["a", "b"])
    assert str(error) == "a\nb" and error.problems == ("a", "b")
