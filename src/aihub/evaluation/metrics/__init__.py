"""The metric registry: every metric a challenge can name in ``challenge.yaml``.

>>> get_metric("roc_auc").direction
<Direction.MAXIMIZE: 'maximize'>
"""

from __future__ import annotations

from types import MappingProxyType

from aihub.evaluation.metrics import classification, probabilistic, ranking, regression
from aihub.evaluation.metrics.base import (
    Direction,
    Metric,
    MetricError,
    MetricFunction,
    MetricParams,
    PredictionKind,
)

__all__ = [
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


class UnknownMetricError(ValueError):
    """A challenge names a metric that does not exist (a host configuration error)."""


_METRICS: tuple[Metric, ...] = (
    *classification.METRICS,
    *probabilistic.METRICS,
    *regression.METRICS,
    *ranking.METRICS,
)
_REGISTRY = MappingProxyType({metric.name: metric for metric in _METRICS})


def get_metric(name: str) -> Metric:
    """The metric called ``name``; raises ``UnknownMetricError`` listing the known names."""
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise UnknownMetricError(f"unknown metric {name!r}; known metrics: {known}") from None


def all_metrics() -> dict[str, Metric]:
    """Every registered metric by name (a new dict; changing it changes nothing)."""
    return dict(_REGISTRY)
