"""Participants' code: checked at upload, run in the sandbox, its predictions scored.

The participant's program runs with the training data and the test features only (the
challenge files meant for the sandbox) and writes predictions; the built-in metric then
scores them in the runner, which alone reads the hidden solution.
"""

from aihub.evaluation.code.check import check_code_upload
from aihub.evaluation.code.run import CodeRunner

__all__ = ["CodeRunner", "check_code_upload"]
