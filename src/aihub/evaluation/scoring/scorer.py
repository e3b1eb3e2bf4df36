"""Score an aligned submission on the public and the private split in one pass."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from aihub.evaluation.metrics.base import MetricError
from aihub.evaluation.scoring.check import (
    DEFAULT_SUBMISSION_MAX_BYTES,
    Aligned,
    check_submission,
)
from aihub.evaluation.scoring.errors import SolutionError, SubmissionError
from aihub.evaluation.scoring.spec import SPLITS, ScoringSpec
from aihub.evaluation.scoring.truth import Truth, resolve_metric

# Below this many rows a thread costs more than the second core saves.
PARALLEL_ROWS = 200_000


def split_names() -> tuple[str, ...]:
    """The splits every score has, in order: ``("public", "private")``."""
    return SPLITS


def score(truth: Truth, aligned: Aligned, spec: ScoringSpec) -> dict[str, float]:
    """The metric on each split, e.g. ``{"public": 0.91, "private": 0.90}``.

    A ``MetricError`` becomes a ``SubmissionError`` with the same (participant-safe) text,
    without naming the split: which split a problem is in would hint at its rows.
    """
    if spec.fingerprint() != truth.spec.fingerprint():
        raise SolutionError("The prepared solution was built for other evaluation settings.")
    if aligned.n_rows != truth.n_rows:
        raise SolutionError("These predictions were aligned to another solution.")
    metric = resolve_metric(spec)

    def one(name: str) -> float:
        part = truth.split_slice(name)
        return metric(truth.targets[part], aligned.predictions[part], truth.params)

    try:
        if truth.n_rows >= PARALLEL_ROWS:
            # NumPy's sorts release the GIL: the two splits use both cores of a small server.
            with ThreadPoolExecutor(max_workers=len(truth.split_names)) as pool:
                values = list(pool.map(one, truth.split_names))
        else:
            values = [one(name) for name in truth.split_names]
    except MetricError as error:
        raise SubmissionError(str(error)) from None
    if not all(math.isfinite(value) for value in values):
        raise SubmissionError(f"The {metric.name} score of these predictions is undefined.")
    return dict(zip(truth.split_names, values, strict=True))


def score_file(
    path: Path,
    truth: Truth,
    spec: ScoringSpec,
    *,
    original_name: str | None = None,
    max_bytes: int = DEFAULT_SUBMISSION_MAX_BYTES,
) -> dict[str, float]:
    """Check, align and score the file at ``path``: the whole job short of storing it."""
    aligned = check_submission(path, truth, spec, original_name=original_name, max_bytes=max_bytes)
    return score(truth, aligned, spec)
