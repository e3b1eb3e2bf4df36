"""Writes the small data sets of the test bundles (run from this folder; seeded, so the
files it writes are the ones checked in).

Three classes of points in two dimensions ("blobs"), space-separated, one row a line;
labels one a line. Written for these tests; no upstream data.
"""

from __future__ import annotations

import random
from pathlib import Path

HERE = Path(__file__).parent
CENTRES = ((0.2, 0.2), (0.8, 0.3), (0.5, 0.85))


def blobs(rng: random.Random, count: int) -> tuple[list[str], list[str]]:
    rows, labels = [], []
    for i in range(count):
        label = i % 3
        x, y = CENTRES[label]
        rows.append(f"{x + rng.gauss(0, 0.12):.4f} {y + rng.gauss(0, 0.12):.4f}")
        labels.append(str(label))
    return rows, labels


def write(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


def main() -> None:
    rng = random.Random(20260101)
    train, train_labels = blobs(rng, 30)
    splits = {"dev": blobs(rng, 12), "final": blobs(rng, 15)}
    for bundle in ("blobs_code", "iris_like_v15"):
        for split, (rows, labels) in splits.items():
            write(HERE / bundle / split / "input_data" / "train_features", train)
            write(HERE / bundle / split / "input_data" / "train_labels", train_labels)
            write(HERE / bundle / split / "input_data" / "test_features", rows)
            write(HERE / bundle / split / "reference_data" / "test_labels", labels)
    for split, (rows, labels) in splits.items():
        ref = HERE / "blobs_during_scoring" / split / "reference_data"
        write(ref / "train_features", train)
        write(ref / "train_labels", train_labels)
        write(ref / "test_features", rows)
        write(ref / "test_labels", labels)
        write(HERE / "blobs_results" / split / "reference_data" / "testing_label", labels)
    # An example results submission: the dev labels with every fourth one wrong.
    dev_labels = splits["dev"][1]
    guessed = [str((int(v) + 1) % 3) if i % 4 == 0 else v for i, v in enumerate(dev_labels)]
    write(HERE / "blobs_results" / "solution" / "prediction", guessed)


if __name__ == "__main__":
    main()
