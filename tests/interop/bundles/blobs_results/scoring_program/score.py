"""Scoring for results submissions: accuracy and per-class recall of
/app/input/res/prediction against /app/input/ref/testing_label (one class a line).
Standard library only."""

import json
import sys
from pathlib import Path

REF = Path("/app/input/ref")
RES = Path("/app/input/res")
OUTPUT = Path("/app/output")


def values(path):
    return [int(float(v)) for v in path.read_text().split()]


def main():
    if not (RES / "prediction").is_file():
        sys.exit("the submission has no file named 'prediction'")
    truth = values(REF / "testing_label")
    guessed = values(RES / "prediction")
    if len(guessed) != len(truth):
        sys.exit(f"expected {len(truth)} predictions, got {len(guessed)}")
    scores = {"accuracy": sum(a == b for a, b in zip(truth, guessed, strict=True)) / len(truth)}
    for label in sorted(set(truth)):
        rows = [b for a, b in zip(truth, guessed, strict=True) if a == label]
        scores[f"recall_{label}"] = sum(b == label for b in rows) / len(rows)
    scores["rows"] = len(truth)  # not a column: dropped by the hub
    (OUTPUT / "scores.json").write_text(json.dumps(scores))


if __name__ == "__main__":
    main()
