"""PII findings as the catalog reads them from the scanner's reports, and what they mean
for publication.

The reports are stored as the scanner's plain JSON dicts (``DatasetFile.pii_report``), so
the catalog does not depend on the scanner's classes. From a report this module reads
every object that carries a ``severity`` and a pattern id (``pattern_id``, ``pattern``,
``rule`` or ``id``), at any depth, with its ``column`` (its own, or the nearest enclosing
object's; null for a text file) and its ``count``: the shape of ``pii.ScanReport.to_dict``
and of its ``FileReport``. A curator's decision is keyed by (file, column, pattern); in a
report of several members (a zip) the column reads "member: column".
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aihub.datasets.models import DatasetFile, FindingDecision, FindingDecisionKind

BLOCK = "BLOCK"
REVIEW = "REVIEW"
# Resident (and foreign) registration numbers: never published, whatever a curator says
# (PIPA Art. 24-2); the data must be replaced by a new version.
RRN_PATTERNS = frozenset({"KR_RRN_OR_FRN"})
_PATTERN_KEYS = ("pattern_id", "pattern", "rule", "id")


@dataclass(frozen=True)
class Finding:
    file_id: int
    path: str
    column: str  # "" for a finding in a text file
    pattern_id: str
    severity: str  # BLOCK or REVIEW
    count: int

    @property
    def key(self) -> tuple[int, str, str]:
        return (self.file_id, self.column, self.pattern_id)

    @property
    def is_rrn(self) -> bool:
        return self.pattern_id in RRN_PATTERNS


def pattern_of(item: Mapping[str, Any]) -> str | None:
    for key in _PATTERN_KEYS:
        value = item.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def walk_report(value: Any, column: str, scope: str
          ) -> Iterator[tuple[Mapping[str, Any], str, str]]:
    """Each finding object with its column and its scope: the ``name`` of the nearest
    enclosing per-file report (a zip's member, in the scanner's reports)."""
    if isinstance(value, Mapping):
        own = value.get("column")
        here = own if isinstance(own, str) else column
        name = value.get("name")
        if isinstance(name, str) and isinstance(value.get("findings"), list):
            scope = name
        if isinstance(value.get("severity"), str) and pattern_of(value):
            yield value, here, scope
            return
        for child in value.values():
            yield from walk_report(child, here, scope)
    elif isinstance(value, list):
        for child in value:
            yield from walk_report(child, column, scope)


def findings_in(item: DatasetFile) -> list[Finding]:
    """The findings of one file's report, one per (column, pattern), counts summed."""
    if not item.pii_report:
        return []
    found = list(walk_report(item.pii_report, "", ""))
    # A report of several members (a zip) names the member in the column: "member: column".
    several = len({scope for _, _, scope in found}) > 1
    merged: dict[tuple[str, str], Finding] = {}
    for raw, here, scope in found:
        column = (f"{scope}: {here}" if here else scope) if several else here
        pattern = pattern_of(raw) or ""
        severity = str(raw["severity"]).upper()
        count = raw.get("count")
        count = count if isinstance(count, int) and count >= 0 else 1
        key = (column, pattern)
        previous = merged.get(key)
        if previous is not None:
            severity = BLOCK if BLOCK in (severity, previous.severity) else severity
            count += previous.count
        merged[key] = Finding(item.id, item.path, column, pattern, severity, count)
    return sorted(merged.values(), key=lambda f: (f.path, f.column, f.pattern_id))


def version_findings(files: Iterable[DatasetFile]) -> list[Finding]:
    return [finding for item in files for finding in findings_in(item)]


def latest_decisions(
    session: Session, version_id: int
) -> dict[tuple[int, str, str], FindingDecision]:
    """Each finding's decision in force: the latest row (rows are never updated)."""
    rows = session.scalars(
        select(FindingDecision).where(FindingDecision.version_id == version_id)
        .order_by(FindingDecision.id)
    )
    return {(row.file_id, row.column, row.pattern_id): row for row in rows}


def publication_blockers(
    files: Sequence[DatasetFile], decisions: Mapping[tuple[int, str, str], FindingDecision]
) -> list[str]:
    """Why the version may not be published yet, one sentence each; empty when it may.
    Every file needs a scan report and no intake error, and every finding (BLOCK or
    REVIEW) a curator's "cleared" with a reason: a confirmed finding stops publication."""
    problems: list[str] = []
    for item in files:
        if item.intake_error:
            problems.append(f"{item.path}: the intake failed ({item.intake_error[:200]}); "
                            "run the intake again or reject the version.")
        elif item.pii_report is None:
            problems.append(f"{item.path}: not scanned for personal data yet.")
    for finding in version_findings(files):
        decision = decisions.get(finding.key)
        where = f"{finding.path}{f' column {finding.column!r}' if finding.column else ''}"
        if decision is None:
            problems.append(f"{where}: {finding.severity} finding {finding.pattern_id} "
                            f"({finding.count}) awaits a curator's decision.")
        elif decision.decision == FindingDecisionKind.CONFIRMED.value:
            problems.append(f"{where}: {finding.pattern_id} was confirmed as personal data; "
                            "reject the version and ask for data without it.")
    return problems
