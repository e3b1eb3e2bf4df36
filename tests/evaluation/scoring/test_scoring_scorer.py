"""End to end: files in, the same public and private scores as scikit-learn out."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from scoring_helpers import BINARY_SOLUTION, GOOD, WriteFile, rows, spec
from sklearn import metrics as skm

from aihub.evaluation.scoring import (
    SPLITS,
    ScoringSpec,
    SubmissionError,
    check_submission,
    load_truth,
    score,
    score_file,
    split_names,
)

N = 400


def make_files(
    tmp_path: Path, truth: pl.DataFrame, predictions: pl.DataFrame, *, text_ids: bool = False
) -> tuple[Path, Path, pl.DataFrame]:
    """Write both files, the submission shuffled; return them and the joined frame."""
    rng = np.random.default_rng(7)
    ids = (
        [f"R-{i:04d}" for i in range(N)] if text_ids else list(rng.choice(10**9, N, replace=False))
    )
    split = np.where(np.arange(N) % 3 == 0, "public", "private")
    solution = truth.with_columns(pl.Series("id", ids), pl.Series("split", split))
    submission = predictions.with_columns(pl.Series("id", ids))[rng.permutation(N)]
    solution.write_csv(tmp_path / "solution.csv")
    submission.write_csv(tmp_path / "submission.csv")
    joined = solution.join(submission, on="id", suffix="_pred")
    return tmp_path / "solution.csv", tmp_path / "submission.csv", joined


def expected(joined: pl.DataFrame, function: Callable[[pl.DataFrame], float]) -> dict[str, float]:
    return {name: function(joined.filter(pl.col("split") == name)) for name in SPLITS}


def run(solution: Path, submission: Path, scoring: ScoringSpec) -> dict[str, float]:
    return score_file(submission, load_truth(solution, scoring), scoring)


@pytest.mark.parametrize("text_ids", [False, True])
def test_roc_auc_equals_scikit_learn(tmp_path: Path, text_ids: bool) -> None:
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 2, N)
    # Rounded scores make ties, which must count one half as in scikit-learn.
    scores = np.round(np.clip(labels * 0.3 + rng.random(N), 0, 1), 1)
    paths = make_files(
        tmp_path,
        pl.DataFrame({"target": labels}),
        pl.DataFrame({"target": scores}),
        text_ids=text_ids,
    )
    want = expected(paths[2], lambda f: skm.roc_auc_score(f["target"], f["target_pred"]))
    assert run(paths[0], paths[1], spec()) == pytest.approx(want, rel=1e-12)


def test_binary_log_loss_with_text_labels(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    labels = np.where(rng.random(N) < 0.4, "churn", "stay")
    probability = rng.uniform(0.01, 0.99, N)
    paths = make_files(
        tmp_path, pl.DataFrame({"target": labels}), pl.DataFrame({"target": probability})
    )
    scoring = spec("log_loss", positive_label="churn")

    def sk(f: pl.DataFrame) -> float:
        return float(skm.log_loss(f["target"] == "churn", f["target_pred"]))

    assert run(paths[0], paths[1], scoring) == pytest.approx(expected(paths[2], sk), rel=1e-12)


def test_multiclass_log_loss_and_roc_auc_ovr(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    classes = ["high", "low", "mid"]
    labels = rng.choice(classes, N)
    raw = rng.random((N, 3)) + 0.05
    probabilities = raw / raw.sum(axis=1, keepdims=True)
    # The file's columns in another order than the classes: they are matched by name.
    frame = pl.DataFrame({name: probabilities[:, j] for j, name in enumerate(classes)})
    frame = frame.select("mid", "high", "low")
    paths = make_files(tmp_path, pl.DataFrame({"target": labels}), frame)
    for metric, sk in [
        (
            "log_loss",
            lambda f: skm.log_loss(f["target"], f.select(classes).to_numpy(), labels=classes),
        ),
        (
            "roc_auc_ovr",
            lambda f: skm.roc_auc_score(
                f["target"], f.select(classes).to_numpy(), multi_class="ovr", labels=classes
            ),
        ),
    ]:
        scoring = spec(metric, labels=tuple(classes))
        got = run(paths[0], paths[1], scoring)
        assert got == pytest.approx(expected(paths[2], sk), rel=1e-9), metric


@pytest.mark.parametrize(
    ("metric", "sk"),
    [
        ("accuracy", skm.accuracy_score),
        ("f1_macro", lambda t, p: skm.f1_score(t, p, average="macro")),
        ("quadratic_weighted_kappa", lambda t, p: skm.cohen_kappa_score(t, p, weights="quadratic")),
    ],
)
def test_label_metrics(tmp_path: Path, metric: str, sk: Callable[..., float]) -> None:
    rng = np.random.default_rng(4)
    labels = rng.integers(1, 5, N)
    predicted = np.where(rng.random(N) < 0.6, labels, rng.integers(1, 5, N))
    paths = make_files(
        tmp_path, pl.DataFrame({"target": labels}), pl.DataFrame({"target": predicted})
    )
    want = expected(paths[2], lambda f: float(sk(f["target"], f["target_pred"])))
    assert run(paths[0], paths[1], spec(metric)) == pytest.approx(want, rel=1e-12)


def test_rmse_over_two_targets(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    truth = pl.DataFrame({"a": rng.normal(size=N), "b": rng.normal(size=N)})
    predictions = pl.DataFrame({"b": rng.normal(size=N), "a": rng.normal(size=N)})
    paths = make_files(tmp_path, truth, predictions)

    def sk(f: pl.DataFrame) -> float:
        true, pred = f.select("a", "b").to_numpy(), f.select("a_pred", "b_pred").to_numpy()
        return float(np.mean([skm.root_mean_squared_error(true[:, j], pred[:, j]) for j in (0, 1)]))

    assert run(paths[0], paths[1], spec("rmse", "a", "b")) == pytest.approx(
        expected(paths[2], sk), rel=1e-12
    )


def test_metric_error_becomes_submission_error(write: WriteFile) -> None:
    scoring = spec("log_loss", labels=(0, 1))
    truth = load_truth(write("solution.csv", BINARY_SOLUTION), scoring)
    # Within the scorer's tolerance the rows are normalised; the metric sees sums of 1.
    text = "id,0,1\n" + "".join(f"{k},{1 - v},{v + 5e-5}\n" for k, v in GOOD.items())
    scores = score_file(write("s.csv", text), truth, scoring)
    assert set(scores) == {"public", "private"}
    # Predictions the check would refuse reach the metric, which raises a MetricError.
    aligned = check_submission(write("s.csv", text), truth, scoring)
    broken = aligned.predictions.copy()
    broken[0, 0] = np.nan
    with pytest.raises(SubmissionError, match="NaN or infinite"):
        score(truth, type(aligned)(broken, aligned.columns, (), aligned.n_rows), scoring)


def test_split_names() -> None:
    assert split_names() == ("public", "private") == SPLITS


def test_score_keys(write: WriteFile) -> None:
    truth = load_truth(write("solution.csv", BINARY_SOLUTION), spec())
    scores = score_file(write("s.csv", rows(GOOD)), truth, spec())
    assert scores == {"public": 1.0, "private": 1.0}


def _apk(actual: set[str], predicted: list[str], k: int) -> float:
    """Kaggle's ml_metrics apk, the reference for map_at_k."""
    if not actual:
        return 0.0
    hits, total = 0, 0.0
    for i, item in enumerate(predicted[:k]):
        if item in actual and item not in predicted[:i]:
            hits += 1
            total += hits / (i + 1.0)
    return total / min(len(actual), k)


def test_map_at_k_with_ranked_lists(tmp_path: Path) -> None:
    rng = np.random.default_rng(6)
    items = [f"i{j}" for j in range(12)]
    relevant = [" ".join(rng.choice(items, rng.integers(0, 4), replace=False)) for _ in range(N)]
    predicted = [" ".join(rng.choice(items, 5, replace=False)) for _ in range(N)]
    predicted[3] = ""  # an empty prediction is an empty list, scored 0
    paths = make_files(
        tmp_path, pl.DataFrame({"target": relevant}), pl.DataFrame({"target": predicted})
    )

    def reference(f: pl.DataFrame) -> float:
        pairs = zip(f["target"].fill_null(""), f["target_pred"].fill_null(""), strict=True)
        return float(np.mean([_apk(set(a.split()), p.split(), 3) for a, p in pairs]))

    got = run(paths[0], paths[1], spec("map_at_k", k=3))
    assert got == pytest.approx(expected(paths[2], reference), rel=1e-12)


def test_ndcg_at_k_with_item_columns(tmp_path: Path) -> None:
    rng = np.random.default_rng(8)
    columns = ["a", "b", "c", "d"]
    gains = pl.DataFrame({c: rng.integers(0, 4, N) for c in columns})
    scores = pl.DataFrame({c: rng.random(N).round(2) for c in reversed(columns)})
    paths = make_files(tmp_path, gains, scores)

    def reference(f: pl.DataFrame) -> float:
        pred = f.select(f"{c}_pred" for c in columns).to_numpy()
        return float(skm.ndcg_score(f.select(columns).to_numpy(), pred, k=2))

    got = run(paths[0], paths[1], spec("ndcg_at_k", *columns, k=2))
    assert got == pytest.approx(expected(paths[2], reference), rel=1e-12)


def test_metric_without_its_required_parameter(write: WriteFile) -> None:
    from aihub.evaluation.scoring import SolutionError

    with pytest.raises(SolutionError, match="needs metric_params k"):
        load_truth(write("solution.csv", BINARY_SOLUTION), spec("map_at_k"))
