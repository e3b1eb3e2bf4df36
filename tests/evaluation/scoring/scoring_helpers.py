"""Small solutions and submissions shared by the scorer's tests."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from aihub.evaluation.metrics.base import MetricParams
from aihub.evaluation.scoring import ScoringSpec

WriteFile = Callable[..., Path]


def spec(metric: str = "roc_auc", *targets: str, **params: object) -> ScoringSpec:
    return ScoringSpec(
        metric,
        MetricParams(**params),  # type: ignore[arg-type]
        "id",
        targets or ("target",),
    )


# Six rows, both classes in each split; ids 1..6.
BINARY_SOLUTION = (
    "id,target,split\n1,0,public\n2,1,public\n3,0,private\n4,1,private\n5,1,public\n6,0,private\n"
)
GOOD = {1: 0.1, 2: 0.9, 3: 0.2, 4: 0.8, 5: 0.7, 6: 0.3}


def rows(values: Mapping[object, object], header: str = "id,target") -> str:
    return header + "\n" + "".join(f"{k},{v}\n" for k, v in values.items())
