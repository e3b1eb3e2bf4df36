"""No message shown to a participant may carry a hidden label (or its split).

The solutions here use labels no participant could guess; many malformed submissions are
tried against each metric kind, and no SubmissionError may hold a label the file did not.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from scoring_helpers import WriteFile, spec

from aihub.evaluation.scoring import ScoringSpec, SubmissionError, load_truth, score_file

SECRETS = ("SECRET_A", "SECRET_B", "SECRET_C")
SOLUTION = "id,target,split\n" + "".join(
    f"{i},{SECRETS[i % 3] if i % 5 else SECRETS[i % 2]},{'public' if i % 2 else 'private'}\n"
    for i in range(1, 13)
)
BINARY = "id,target,split\n" + "".join(
    f"{i},{SECRETS[i % 2]},{'public' if i % 3 else 'private'}\n" for i in range(1, 13)
)
IDS = range(1, 13)


def lines(header: str, cells: dict[int, str]) -> str:
    return header + "\n" + "".join(f"{i},{cells.get(i, 'x')}\n" for i in IDS)


def malformed(columns: str) -> list[str | bytes]:
    """Broken submissions of every kind, for a file whose header is ``id,<columns>``."""
    width = columns.count(",") + 1
    good = ",".join(["0.5"] * width) if width > 1 else "0.5"
    body = "".join(f"{i},{good}\n" for i in IDS)
    header = f"id,{columns}"
    return [
        b"",
        "id\n",
        f"{header}\n",
        "wrong,columns\n1,2\n",
        "ID,TARGET\n1,0.5\n",
        header + "\n" + body.replace("3,", "", 1),
        header + "\n" + body + "99,0.5\n",
        header + "\n" + body + body.splitlines()[0] + "\n",
        header + "\n" + body.replace("\n5,", "\n5.5,"),
        header + "\n" + body.replace("0.5", "abc", 1),
        header + "\n" + body.replace("0.5", "", 1),
        header + "\n" + body.replace("0.5", "nan", 1),
        header + "\n" + body.replace("0.5", "inf", 1),
        header + "\n" + body.replace("0.5", "7", 1),
        header + "\n" + body.replace("0.5", "-1", 1),
        header + "\n" + body.replace("0.5", "0.5,0.5", 1),
        header + "\n" + body.replace("\n4,0.5", "\n4"),
        lines("id,target", {2: "other", 3: ""}),
        lines("id,target", dict.fromkeys(IDS, "x")),
        header.encode() + b"\n1,\xff\xfe\n",
        gzip.compress(b"id\n1\n"),
        b"\x00\x01\x02" * 100,
    ]


CASES = [
    ("accuracy", SOLUTION, "target"),
    ("f1_macro", SOLUTION, "target"),
    ("roc_auc_ovr", SOLUTION, "SECRET_A,SECRET_B,SECRET_C"),
    ("roc_auc_ovr", SOLUTION, "a,b,c"),
    ("roc_auc_ovr", SOLUTION, "SECRET_A,SECRET_B"),
    ("log_loss", SOLUTION, "SECRET_A,SECRET_B,SECRET_C"),
    ("roc_auc", BINARY, "target"),
    ("log_loss", BINARY, "target"),
]


def messages(path: Path, scoring: ScoringSpec, solution: Path) -> list[str]:
    truth = load_truth(solution, scoring)
    try:
        score_file(path, truth, scoring)
    except SubmissionError as error:
        return [str(error)]
    return []


@pytest.mark.parametrize(("metric", "solution", "columns"), CASES)
def test_no_message_reveals_a_hidden_label(
    write: WriteFile, metric: str, solution: str, columns: str
) -> None:
    scoring = spec(metric)
    solution_path = write("solution.csv", solution)
    seen = 0
    for number, content in enumerate(malformed(columns)):
        path = write(f"s{number}.csv", content)
        written = content if isinstance(content, str) else content.decode("latin-1")
        for message in messages(path, scoring, solution_path):
            seen += 1
            # A label the participant wrote (a class column's name) may be quoted back.
            for secret in SECRETS:
                if secret not in written:
                    assert secret not in message, (metric, number, message)
            # Nor a split's name: which rows are public is hidden too.
            assert "public" not in message.lower() and "private" not in message.lower()
    assert seen >= len(malformed(columns)) - 3


def test_published_labels_may_be_named(write: WriteFile) -> None:
    scoring = ScoringSpec("roc_auc_ovr", spec(labels=SECRETS).metric_params, "id", ("target",))
    truth = load_truth(write("solution.csv", SOLUTION), scoring)
    with pytest.raises(SubmissionError, match="SECRET_C"):
        score_file(write("s.csv", "id,SECRET_A,SECRET_B\n1,0.5,0.5\n"), truth, scoring)
