"""What to score and how: the evaluation settings of one challenge, as the scorer needs them."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from aihub.evaluation.metrics.base import MetricParams

# The two parts of the test set; every submission is scored on both in one job.
SPLITS: tuple[str, str] = ("public", "private")

# Split column names tried, in order, when the challenge does not name one.
DEFAULT_SPLIT_COLUMNS: tuple[str, ...] = ("split", "Usage")


@dataclass(frozen=True)
class ScoringSpec:
    """The ``evaluation`` block of ``challenge.yaml`` (see docs/challenge-format.md).

    ``split_column`` None means: ``split`` if the solution has it, else ``Usage``.
    """

    metric: str
    metric_params: MetricParams = field(default_factory=MetricParams)
    id_column: str = "id"
    target_columns: tuple[str, ...] = ("target",)
    split_column: str | None = None

    def __post_init__(self) -> None:
        # YAML hands over lists; a tuple keeps the spec hashable and the fingerprint stable.
        object.__setattr__(self, "target_columns", tuple(self.target_columns))
        if not self.target_columns:
            raise ValueError("a scoring spec needs at least one target column")
        if len(set(self.target_columns)) != len(self.target_columns):
            raise ValueError("target columns must not repeat")
        if self.id_column in self.target_columns:
            raise ValueError("the id column cannot also be a target column")

    def fingerprint(self) -> str:
        """A stable hash of everything that changes how a solution is prepared or scored.

        Stable across processes and Python versions (unlike ``hash()``), so it can key the
        on-disk truth cache shared by workers.
        """
        params = self.metric_params
        canonical = {
            "metric": self.metric,
            "k": params.k,
            # type is kept: 1 and "1" are different labels in a text solution
            "positive_label": [type(params.positive_label).__name__, params.positive_label],
            "labels": [[type(label).__name__, label] for label in params.labels],
            "extra": sorted(params.extra.items()),
            "id_column": self.id_column,
            "target_columns": list(self.target_columns),
            "split_column": self.split_column,
        }
        text = json.dumps(canonical, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:32]
