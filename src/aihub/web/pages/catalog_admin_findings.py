"""The findings of a version as the review page shows them: the API's ``FindingOut`` rows
with the masked examples, context rows and row numbers of the scanner's report.

Both come from the same ``VersionDetail`` (for hosts and curators: ``findings`` and each
file's ``pii_report``), so the page shows nothing the API does not. Reports hold masked
text only (``docs/pii.md``); no raw value reaches the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aihub.datasets.findings import BLOCK, RRN_PATTERNS, pattern_of, walk_report
from aihub.datasets.schemas import FindingOut, VersionDetail

MAX_SHOWN = 5  # examples and contexts per finding, as the scanner keeps


@dataclass
class ShownFinding:
    finding: FindingOut
    examples: list[str] = field(default_factory=list)
    contexts: list[str] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)

    @property
    def is_rrn(self) -> bool:
        return self.finding.pattern_id in RRN_PATTERNS

    @property
    def blocks(self) -> bool:
        return self.finding.severity == BLOCK


def _pattern(item: Mapping[str, Any]) -> str:
    return pattern_of(item) or ""


def _strings(value: Any) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else []


def _details(report: dict[str, Any]) -> dict[tuple[str, str], ShownFinding]:
    found = list(walk_report(report, "", ""))
    several = len({scope for _, _, scope in found}) > 1
    details: dict[tuple[str, str], ShownFinding] = {}
    for raw, here, scope in found:
        column = (f"{scope}: {here}" if here else scope) if several else here
        shown = details.setdefault((column, _pattern(raw)), ShownFinding(
            FindingOut(path="", column=column, pattern_id=_pattern(raw), severity="",
                       count=0, decision=None, reason=None, decided_at=None)))
        shown.examples += _strings(raw.get("examples"))[: MAX_SHOWN - len(shown.examples)]
        shown.contexts += _strings(raw.get("contexts"))[: MAX_SHOWN - len(shown.contexts)]
        shown.rows += [r for r in raw.get("rows") or [] if isinstance(r, int)][:20]
    return details


def findings_with_examples(detail: VersionDetail) -> list[ShownFinding]:
    """The version's findings (none for those who may not see them), BLOCK first, then
    by file, column and pattern, each with what the report shows of it."""
    if detail.findings is None:
        return []
    reports = {item.path: _details(item.pii_report) for item in detail.files
               if item.pii_report}
    shown = []
    for finding in detail.findings:
        extra = reports.get(finding.path, {}).get((finding.column, finding.pattern_id))
        shown.append(ShownFinding(finding, *(
            (extra.examples, extra.contexts, extra.rows) if extra else ([], [], []))))
    return sorted(shown, key=lambda s: (not s.blocks, s.finding.path, s.finding.column,
                                        s.finding.pattern_id))
