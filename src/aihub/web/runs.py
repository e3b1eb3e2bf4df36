"""What the pages say about how a challenge runs what is submitted: a prediction file
scored by a metric, participants' code run in the sandbox (its format with a minimal
example, runtime, packages, limits), or a Codabench bundle's own programs, and the columns
such programs put on the leaderboard.

Everything here is public already: the API's ``ChallengeDetail.code`` carries the code
facts, and the leaderboard shows the columns; only the example is made here, from the
challenge's file and column names.
"""

from __future__ import annotations

from dataclasses import dataclass

from aihub.challenges.models import Challenge
from aihub.evaluation.plans import BoardColumn, CodeFormat, CodeSpec, TaskKind
from aihub.evaluation.tasks import task_kind
from aihub.leaderboards.columns import public_columns

# Minimal submissions, without comments: code is code in either language, and the page
# around it explains it in the reader's language.
_MODEL_EXAMPLE = """\
class Model:
    def fit(self, X, y):
        self.guess = y.mode()[0]

    def predict(self, X):
        return [self.guess] * len(X)
"""
_MAIN_EXAMPLE = """\
import csv

with open("/data/{test}") as f:
    rows = list(csv.DictReader(f))

with open("/predictions/{output}", "w", newline="") as f:
    out = csv.writer(f)
    out.writerow({header!r})
    for row in rows:
        out.writerow([row[{id!r}]{zeros}])
"""


@dataclass(frozen=True)
class RunFacts:
    """How a challenge's submissions are run, for its overview and Submit pages."""

    # predictions, code or program (``evaluation.plans.TaskKind``)
    kind: str
    code: CodeSpec | None
    # code: the file the zip must hold at its top, and a minimal one
    entry: str
    example: str
    # program: the leaderboard's columns a participant may see, and the ranking one
    columns: tuple[BoardColumn, ...]
    primary: str

    @property
    def takes_zip(self) -> bool:
        return self.kind != TaskKind.PREDICTIONS.value


def _example(challenge: Challenge, code: CodeSpec) -> str:
    if code.format is CodeFormat.MODEL:
        return _MODEL_EXAMPLE
    targets = list(challenge.target_columns)
    return _MAIN_EXAMPLE.format(
        test=code.test_file, output=code.prediction_file,
        header=[challenge.id_column, *targets], id=challenge.id_column,
        zeros=", 0" * len(targets),
    )


def run_facts(challenge: Challenge) -> RunFacts:
    kind = task_kind(challenge)
    code = CodeSpec.model_validate(challenge.code_spec) if challenge.code_spec else None
    columns, primary = public_columns(challenge)
    if kind is TaskKind.CODE and code is not None:
        entry = "model.py" if code.format is CodeFormat.MODEL else "main.py"
        return RunFacts(kind.value, code, entry, _example(challenge, code), columns, primary)
    return RunFacts(kind.value, code, "", "", columns, primary)
