"""The prediction-file scorer: read, check, align and score against a hidden solution.

A pure library (no database, no web): the worker calls

>>> truth = cache.get(solution_path, solution_sha256, spec)  # doctest: +SKIP
>>> scores = score_file(upload_path, truth, spec, original_name="my.csv")  # doctest: +SKIP

and stores ``scores["public"]`` and ``scores["private"]``, or shows the participant the
``SubmissionError`` (the host a ``SolutionError``).
"""

from aihub.evaluation.scoring.cache import CacheStats, TruthCache, file_sha256
from aihub.evaluation.scoring.check import DEFAULT_SUBMISSION_MAX_BYTES, Aligned, check_submission
from aihub.evaluation.scoring.errors import SolutionError, SubmissionError
from aihub.evaluation.scoring.reading import ENCODINGS_ACCEPTED, read_table
from aihub.evaluation.scoring.scorer import score, score_file, split_names
from aihub.evaluation.scoring.spec import SPLITS, ScoringSpec
from aihub.evaluation.scoring.truth import DEFAULT_SOLUTION_MAX_BYTES, Truth, load_truth
from aihub.evaluation.scoring.values import ROW_SUM_TOLERANCE

__all__ = [
    "DEFAULT_SOLUTION_MAX_BYTES",
    "DEFAULT_SUBMISSION_MAX_BYTES",
    "ENCODINGS_ACCEPTED",
    "ROW_SUM_TOLERANCE",
    "SPLITS",
    "Aligned",
    "CacheStats",
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
