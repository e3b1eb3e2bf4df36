"""Time aihub's metrics against scikit-learn on the same inputs, in the same run.

Run from the repository root (scikit-learn must be installed, as for the tests):

    .venv/bin/python bench/bench_metrics.py                 # 1M and 10M rows, best of 5
    .venv/bin/python bench/bench_metrics.py --sizes 100000 --repeat 5 --extra

Inputs follow the measured setup in the shared leaderboards reference (section 11):
binary labels with 10% positives and scores N(0, 1) + label; 5 classes with 70% right for
the label metrics; Gaussian targets for regression. Each timing is the best of
``--repeat`` runs, ours and scikit-learn's interleaved so that a busy machine slows both
alike. The script exits with status 1 if any value differs from scikit-learn's by more
than 1e-9 relative.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from aihub.evaluation.metrics import get_metric

Array = np.ndarray[Any, Any]
RELATIVE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Case:
    label: str
    metric: str
    sklearn: Callable[[Array, Array], float]
    inputs: str  # key into the generated data


def make_cases(extra: bool) -> list[Case]:
    from sklearn import metrics as skm

    cases = [
        Case("roc_auc", "roc_auc", skm.roc_auc_score, "binary_scores"),
        Case("log_loss", "log_loss", skm.log_loss, "binary_probabilities"),
        Case("f1_macro", "f1_macro", lambda t, p: skm.f1_score(t, p, average="macro"), "labels"),
        Case("rmse", "rmse", skm.root_mean_squared_error, "regression"),
    ]
    if extra:
        cases += [
            Case("roc_auc, tied scores", "roc_auc", skm.roc_auc_score, "binary_tied"),
            Case(
                "average_precision",
                "average_precision",
                skm.average_precision_score,
                "binary_scores",
            ),
            Case("accuracy", "accuracy", skm.accuracy_score, "labels"),
            Case("mcc", "mcc", skm.matthews_corrcoef, "labels"),
            Case("mae", "mae", skm.mean_absolute_error, "regression"),
            Case("r2", "r2", skm.r2_score, "regression"),
        ]
    return cases


def make_data(n: int, seed: int = 0) -> dict[str, tuple[Array, Array]]:
    rng = np.random.default_rng(seed)
    binary = (rng.random(n) < 0.1).astype(np.int64)
    scores = rng.standard_normal(n) + binary
    classes = rng.integers(0, 5, n)
    guessed = np.where(rng.random(n) < 0.7, classes, rng.integers(0, 5, n))
    target = rng.standard_normal(n)
    return {
        "binary_scores": (binary, scores),
        "binary_tied": (binary, np.round(scores, 2)),
        "binary_probabilities": (binary, 1.0 / (1.0 + np.exp(-scores))),
        "labels": (classes, guessed),
        "regression": (target, target + 0.5 * rng.standard_normal(n)),
    }


def timed(function: Callable[[], float]) -> tuple[float, float]:
    """(seconds, value) of one call."""
    start = time.perf_counter()
    value = function()
    return time.perf_counter() - start, value


def run_case(case: Case, data: tuple[Array, Array], repeat: int) -> tuple[float, float, bool]:
    """Best seconds for aihub and for scikit-learn, and whether their values agree."""
    metric = get_metric(case.metric)
    y_true, y_pred = data
    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(repeat):
        seconds, ours_value = timed(lambda: metric(y_true, y_pred))
        ours.append(seconds)
        seconds, sklearn_value = timed(lambda: float(case.sklearn(y_true, y_pred)))
        theirs.append(seconds)
    scale = max(abs(sklearn_value), 1e-300)
    return min(ours), min(theirs), abs(ours_value - sklearn_value) <= RELATIVE_TOLERANCE * scale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--repeat", type=int, default=5, help="runs per timing; the best counts")
    parser.add_argument("--extra", action="store_true", help="also time further metrics")
    args = parser.parse_args(argv)

    cases = make_cases(args.extra)
    header = f"{'rows':>11}  {'metric':<22} {'aihub s':>9} {'sklearn s':>10} {'speed-up':>9}  equal"
    print(header)
    print("-" * len(header))
    all_equal = True
    for n in args.sizes:
        data = make_data(n)
        for case in cases:
            ours, theirs, equal = run_case(case, data[case.inputs], args.repeat)
            all_equal &= equal
            print(
                f"{n:>11,}  {case.label:<22} {ours:>9.4f} {theirs:>10.4f} "
                f"{theirs / ours:>8.1f}x  {'yes' if equal else 'NO'}"
            )
    return 0 if all_equal else 1


if __name__ == "__main__":
    sys.exit(main())
