"""Scoring for the blobs test bundle: accuracy of /app/input/res/prediction against the
hidden labels, and the ingestion's duration. Standard library only."""

import html
import json
import sys
from pathlib import Path

REF = Path("/app/input/ref")
RES = Path("/app/input/res")
OUTPUT = Path("/app/output")


def values(path):
    return [int(float(v)) for v in path.read_text().split()]


def main():
    prediction = RES / "prediction"
    if not prediction.is_file():
        sys.exit("no prediction file in the submission's output")
    truth = values(REF / "test_labels")
    guessed = values(prediction)
    if len(guessed) != len(truth):
        sys.exit(f"expected {len(truth)} predictions, got {len(guessed)}")
    if not (RES / "metadata").is_file():
        sys.exit("the worker's metadata file is missing from input/res")
    accuracy = sum(a == b for a, b in zip(truth, guessed, strict=True)) / len(truth)
    duration = json.loads((RES / "timing.json").read_text())["duration"]
    (OUTPUT / "scores.json").write_text(json.dumps({"accuracy": accuracy,
                                                    "duration": duration}))
    (OUTPUT / "detailed_results.html").write_text(
        f"<h1>Blobs</h1><p>accuracy {html.escape(f'{accuracy:.3f}')}</p>")
    print("scored")


if __name__ == "__main__":
    main()
