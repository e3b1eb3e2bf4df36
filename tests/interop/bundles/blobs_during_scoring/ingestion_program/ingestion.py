"""Ingestion of the ingestion-during-scoring test bundle: feeds each chunk the scorer
publishes in /app/shared to the participant's Model.partial_fit, then writes predictions
for the test rows to /app/shared/prediction. Standard library only."""

import json
import sys
import time
from pathlib import Path

SHARED = Path("/app/shared")
SUBMISSION = Path("/app/ingested_program")
WAIT_SECONDS = 45


def wait_for(name):
    deadline = time.monotonic() + WAIT_SECONDS
    while not (SHARED / name).exists():
        if (SHARED / "abort").exists() or time.monotonic() > deadline:
            sys.exit(f"gave up waiting for {name}")
        time.sleep(0.05)
    return (SHARED / name).read_text()


def rows(lines):
    return [[float(v) for v in line.split()] for line in lines if line.strip()]


def main():
    sys.path.insert(0, str(SUBMISSION))
    from model import Model  # the participant's code

    model = Model()
    for k in range(3):
        chunk = json.loads(wait_for(f"chunk_{k}"))
        model.partial_fit(rows(chunk["rows"]), [int(v) for v in chunk["labels"]])
    predicted = model.predict(rows(wait_for("test_features").splitlines()))
    partial = SHARED / ".prediction.partial"
    partial.write_text("".join(f"{int(p)}\n" for p in predicted))
    partial.rename(SHARED / "prediction")
    print(f"ingestion: {len(predicted)} predictions after 3 chunks")


if __name__ == "__main__":
    main()
