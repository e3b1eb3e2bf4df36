"""The registry's public surface, names, directions and import weight."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from aihub.evaluation import metrics
from aihub.evaluation.metrics import (
    Direction,
    Metric,
    MetricError,
    MetricParams,
    PredictionKind,
    UnknownMetricError,
    all_metrics,
    get_metric,
)

NAMES = {
    "accuracy", "balanced_accuracy", "f1_macro", "f1_micro", "f1_weighted", "f1", "precision",
    "recall", "mcc", "roc_auc", "roc_auc_ovr", "average_precision", "log_loss", "rmse", "mae",
    "mape", "smape", "r2", "rmsle", "quadratic_weighted_kappa", "map_at_k", "ndcg_at_k",
}  # fmt: skip
MINIMIZED = {"log_loss", "rmse", "mae", "mape", "smape", "rmsle"}


def test_exported_members() -> None:
    assert sorted(metrics.__all__) == [
        "Direction",
        "Metric",
        "MetricError",
        "MetricFunction",
        "MetricParams",
        "PredictionKind",
        "UnknownMetricError",
        "all_metrics",
        "get_metric",
    ]


def test_names_directions_and_descriptions() -> None:
    registry = all_metrics()
    assert set(registry) == NAMES
    for name, metric in registry.items():
        assert isinstance(metric, Metric)
        assert metric.name == name
        expected = Direction.MINIMIZE if name in MINIMIZED else Direction.MAXIMIZE
        assert metric.direction is expected, name
        assert metric.description, name
    assert registry["map_at_k"].required_params == ("k",)
    assert registry["roc_auc"].kind is PredictionKind.PROBABILITY
    assert registry["roc_auc_ovr"].kind is PredictionKind.CLASS_PROBABILITIES


def test_all_metrics_returns_a_copy() -> None:
    all_metrics().clear()
    assert set(all_metrics()) == NAMES


def test_unknown_metric_lists_known_names() -> None:
    with pytest.raises(UnknownMetricError, match="roc_auc") as caught:
        get_metric("auc")
    assert isinstance(caught.value, ValueError)
    assert not isinstance(caught.value, MetricError)


def test_better_follows_direction() -> None:
    assert get_metric("roc_auc").better(0.9, 0.8)
    assert get_metric("rmse").better(0.8, 0.9)


def test_call_without_params() -> None:
    assert get_metric("accuracy")(np.array([1, 2]), np.array([1, 3])) == 0.5
    assert get_metric("accuracy")(np.array([1, 2]), np.array([1, 2]), MetricParams()) == 1.0


@pytest.mark.slow
def test_import_does_not_load_heavy_libraries() -> None:
    code = (
        "import sys, aihub.evaluation.metrics; "
        "heavy = {'sklearn', 'pandas', 'scipy'} & {m.split('.')[0] for m in sys.modules}; "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
