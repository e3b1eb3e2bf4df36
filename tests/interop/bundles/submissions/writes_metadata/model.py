"""A submission that writes the reserved output/metadata file."""

from pathlib import Path


class Model:
    def fit(self, rows, labels):
        Path("/app/output/metadata").write_text("exitCode: 0\n")

    def predict(self, rows):
        return [0 for _ in rows]
