"""Ingestion for the blobs test bundle: trains the submitted Model and predicts the test
rows. Standard library only."""

import json
import sys
import time
from pathlib import Path

INPUT = Path("/app/input_data")
OUTPUT = Path("/app/output")
SUBMISSION = Path("/app/ingested_program")


def rows(path):
    return [[float(v) for v in line.split()] for line in path.read_text().splitlines()
            if line.strip()]


def labels(path):
    return [int(float(v)) for v in path.read_text().split()]


def main():
    sys.path.insert(0, str(SUBMISSION))
    from model import Model  # the participant's code

    started = time.monotonic()
    model = Model()
    model.fit(rows(INPUT / "train_features"), labels(INPUT / "train_labels"))
    predicted = model.predict(rows(INPUT / "test_features"))
    (OUTPUT / "prediction").write_text("".join(f"{int(p)}\n" for p in predicted))
    (OUTPUT / "timing.json").write_text(json.dumps({"duration": time.monotonic() - started}))
    print(f"ingestion: predicted {len(predicted)} rows")


if __name__ == "__main__":
    main()
