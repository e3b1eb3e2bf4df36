"""Scorer of the ingestion-during-scoring test bundle. It owns the data: it writes the
training rows to /app/shared in chunks (chunk_K, then ready_K), then the test rows
(test_features, then test_ready), waits for /app/shared/prediction and scores it.
Standard library only."""

import json
import sys
import time
from pathlib import Path

REF = Path("/app/input/ref")
SHARED = Path("/app/shared")
OUTPUT = Path("/app/output")
CHUNKS = 3
WAIT_SECONDS = 45


def publish(name, text):
    # Written under a temporary name and renamed: the reader never sees half a file.
    partial = SHARED / f".{name}.partial"
    partial.write_text(text)
    partial.rename(SHARED / name)


def main():
    features = (REF / "train_features").read_text().splitlines()
    labels = (REF / "train_labels").read_text().splitlines()
    size = -(-len(features) // CHUNKS)
    for k in range(CHUNKS):
        part = slice(k * size, (k + 1) * size)
        publish(f"chunk_{k}", json.dumps({"rows": features[part], "labels": labels[part]}))
    publish("test_features", (REF / "test_features").read_text())
    deadline = time.monotonic() + WAIT_SECONDS
    while not (SHARED / "prediction").exists():
        if time.monotonic() > deadline:
            publish("abort", "")
            sys.exit("no prediction from the ingestion program in time")
        time.sleep(0.05)
    truth = [int(v) for v in (REF / "test_labels").read_text().split()]
    guessed = [int(float(v)) for v in (SHARED / "prediction").read_text().split()]
    publish("stop", "")
    if len(guessed) != len(truth):
        sys.exit(f"expected {len(truth)} predictions, got {len(guessed)}")
    accuracy = sum(a == b for a, b in zip(truth, guessed, strict=True)) / len(truth)
    (OUTPUT / "scores.json").write_text(json.dumps({"accuracy": accuracy, "chunks": CHUNKS}))


if __name__ == "__main__":
    main()
