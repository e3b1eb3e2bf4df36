"""The metric contract shared by the scorer, the challenge loader and the metric modules.

A metric is a pure function over NumPy arrays that the scorer has already aligned by id and
checked (no NaN, right shape). Metrics never import pandas or scikit-learn: the scoring path
must stay fast and light, and scikit-learn is a test dependency only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import numpy.typing as npt


class Direction(StrEnum):
    """Whether a larger score is better."""

    MAXIMIZE = "maximize"
    MINIMIZE = "minimize"


class PredictionKind(StrEnum):
    """What the submission's prediction columns hold, which decides how the scorer reads them.

    - ``label``: one column of class labels (any type; compared as the solution's labels).
    - ``probability``: one float column, the probability (or score) of the positive class.
    - ``class_probabilities``: one float column per class, named after the class labels;
      the solution holds one label column.
    - ``value``: one float column per target (regression).
    - ``ranked_list``: one text column of space-separated item ids, best first; the solution
      column holds the space-separated relevant ids.
    - ``relevance_scores``: one float column per item; the solution holds one graded
      relevance column per item (the layout of scikit-learn's ``ndcg_score``).
    """

    LABEL = "label"
    PROBABILITY = "probability"
    CLASS_PROBABILITIES = "class_probabilities"
    VALUE = "value"
    RANKED_LIST = "ranked_list"
    RELEVANCE_SCORES = "relevance_scores"


class MetricError(ValueError):
    """The metric cannot be computed on these inputs; the message is safe to show a participant.

    It must never contain values derived from the hidden labels (counts of a class, a label).
    """


@dataclass(frozen=True)
class MetricParams:
    """Parameters a host may set in ``challenge.yaml`` under ``metric_params``.

    ``labels`` is the class order of a ``class_probabilities`` prediction matrix (and of
    ``y_true`` values), chosen by the scorer from the solution file.
    """

    k: int | None = None
    positive_label: str | int | None = None
    labels: tuple[str | int, ...] = ()
    extra: dict[str, float] = field(default_factory=dict)


# y_true: 1-D array (labels, floats, or strings for ranked lists) or 2-D float array for
# multi-target metrics; y_pred: 1-D or 2-D array as the metric's kind says.
MetricFunction = Callable[[npt.NDArray[np.generic], npt.NDArray[np.generic], MetricParams], float]


@dataclass(frozen=True)
class Metric:
    """A named, direction-aware metric."""

    name: str
    direction: Direction
    kind: PredictionKind
    function: MetricFunction
    description: str = ""
    # Names of MetricParams fields this metric requires (for example ``("k",)``).
    required_params: Sequence[str] = ()

    def __call__(
        self,
        y_true: npt.NDArray[np.generic],
        y_pred: npt.NDArray[np.generic],
        params: MetricParams | None = None,
    ) -> float:
        return float(self.function(y_true, y_pred, params or MetricParams()))

    def better(self, a: float, b: float) -> bool:
        """True when score ``a`` is strictly better than ``b``."""
        return a > b if self.direction is Direction.MAXIMIZE else a < b
