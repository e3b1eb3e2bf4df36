"""A submission that prints the hidden test features to its error output and fails: with
the phase's output hidden, the participant must not read them in the failure message."""

import sys
from pathlib import Path

features = Path("/app/input_data/test_features").read_text()
sys.stderr.write(features)
sys.exit("aihub-test: " + features.splitlines()[-1])
