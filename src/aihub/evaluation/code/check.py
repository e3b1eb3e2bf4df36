"""The quick check of an uploaded code submission: answered at once, before it queues."""

from __future__ import annotations

from pathlib import Path

from aihub.archives import ArchiveLimits, Member, common_root, list_members
from aihub.errors import InvalidInput
from aihub.evaluation.plans import CodeFormat, CodeSpec
from aihub.evaluation.scoring import SubmissionError

ENTRY_POINTS = {CodeFormat.MODEL: "model.py", CodeFormat.MAIN: "main.py"}
MAX_MEMBERS = 5000


def archive_limits(code: CodeSpec) -> ArchiveLimits:
    return ArchiveLimits(max_members=MAX_MEMBERS, max_bytes=code.limits.disk_mb * 1024 * 1024)


def check_code_upload(path: Path, code: CodeSpec | None) -> list[Member]:
    """The members of a submission zip, or a ``SubmissionError`` saying what to fix.

    ``code`` None: a Codabench challenge, whose ingestion program decides what the zip
    must hold; only the zip itself is checked here."""
    limits = archive_limits(code) if code else ArchiveLimits(max_members=MAX_MEMBERS)
    try:
        members = list_members(path, limits, label="Your zip")
    except InvalidInput as exc:
        raise SubmissionError(str(exc)) from exc
    if code is None:
        return members
    entry = ENTRY_POINTS[code.format]
    root = common_root(members)
    names = {member.name.removeprefix(f"{root}/") if root else member.name for member in members}
    if entry not in names:
        what = ("defines a class Model with fit(X, y) and predict(X)"
                if code.format is CodeFormat.MODEL
                else "reads the data in /data and writes /predictions/" + code.prediction_file)
        raise SubmissionError(
            f"Your zip has no {entry} at its top: this challenge runs {entry}, which {what}. "
            "Zip the files themselves (or one folder holding them)."
        )
    return members
