"""Ingestion of the CodaLab-1.5-style test bundle, called as
``ingestion.py INPUT OUTPUT PROGRAM SUBMISSION``: imports the submission's ``model``
module, trains its Model and writes OUTPUT/predictions. Standard library only."""

import sys
from pathlib import Path


def rows(path):
    return [[float(v) for v in line.split()] for line in path.read_text().splitlines()
            if line.strip()]


def main():
    source, output, _program, submission = (Path(arg) for arg in sys.argv[1:5])
    sys.path.insert(0, str(submission))
    from model import Model  # the participant's code

    model = Model()
    model.fit(rows(source / "train_features"),
              [int(v) for v in (source / "train_labels").read_text().split()])
    predicted = model.predict(rows(source / "test_features"))
    (output / "predictions").write_text("".join(f"{p}\n" for p in predicted))


if __name__ == "__main__":
    main()
