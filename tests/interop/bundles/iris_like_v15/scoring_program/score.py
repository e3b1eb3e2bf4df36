"""Scorer of the CodaLab-1.5-style test bundle, called as
``score.py INPUT OUTPUT``: reads INPUT/ref/test_labels, INPUT/res/predictions and the
worker's INPUT/res/metadata (elapsedTime), writes OUTPUT/scores.txt and scores.html.
Standard library only."""

import sys
from pathlib import Path


def metadata(path):
    found = {}
    for line in path.read_text().splitlines():
        key, _, value = line.partition(":")
        found[key.strip()] = value.strip()
    return found


def main():
    source, output = Path(sys.argv[1]), Path(sys.argv[2])
    truth = [int(v) for v in (source / "ref" / "test_labels").read_text().split()]
    guessed = [int(float(v)) for v in (source / "res" / "predictions").read_text().split()]
    score = sum(a == b for a, b in zip(truth, guessed, strict=True)) / len(truth)
    elapsed = metadata(source / "res" / "metadata").get("elapsedTime", "null")
    duration = 0.0 if elapsed in {"null", "~", ""} else float(elapsed)
    (output / "scores.txt").write_text(f"score: {score}\nDuration: {duration}\n")
    (output / "scores.html").write_text(f"<p>score {score:.4f}</p>\n")


if __name__ == "__main__":
    main()
