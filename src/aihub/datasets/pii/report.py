"""The scan report: per file, per column (``None`` for a text file), per pattern.

Everything in it is safe to store and show: examples and context snippets are masked,
row numbers are 1-based data rows (lines for text files). It round-trips through JSON
(``to_dict``/``from_dict``) and names the table version that produced it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from aihub.datasets.pii.patterns import TABLE_VERSION, Severity

MAX_ROWS = 20
MAX_EXAMPLES = 5
MAX_CONTEXTS = 5


@dataclass
class Finding:
    pattern: str
    severity: Severity
    column: str | None  # None: the whole file, scanned as text
    count: int = 0
    rows: list[int] = field(default_factory=list)  # the first MAX_ROWS hits' rows
    examples: list[str] = field(default_factory=list)  # masked, distinct
    contexts: list[str] = field(default_factory=list)  # masked surroundings
    checksum_pass: int = 0  # RRN/FRN only: the old check-digit rule (advisory)
    checksum_fail: int = 0
    with_context: int = 0  # hits with a context word or a hinting column header
    weak: int = 0  # hits in a form the table calls weak (e.g. 1012345678 outside phones)
    share: float | None = None  # KR_NAME_COLUMN: matching cells / non-empty cells

    def add(self, other: Finding) -> None:
        """Fold in a later part of the same file (rows come in order)."""
        self.count += other.count
        self.rows += other.rows[: MAX_ROWS - len(self.rows)]
        for example in other.examples:
            if len(self.examples) < MAX_EXAMPLES and example not in self.examples:
                self.examples.append(example)
        self.contexts += other.contexts[: MAX_CONTEXTS - len(self.contexts)]
        self.checksum_pass += other.checksum_pass
        self.checksum_fail += other.checksum_fail
        self.with_context += other.with_context
        self.weak += other.weak

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "severity": str(self.severity)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return cls(**{**data, "severity": Severity(data["severity"])})


@dataclass
class FileReport:
    name: str  # as uploaded; a zip member is "archive.zip/member"
    format: str  # csv, tsv, text, parquet, zip, or "unknown"
    size: int
    scanned: bool = True
    encoding: str | None = None
    rows: int = 0  # data rows (tabular) or lines (text) seen
    columns: list[str] = field(default_factory=list)
    hinted_columns: dict[str, list[str]] = field(default_factory=dict)  # column -> hint kinds
    notes: list[str] = field(default_factory=list)  # what was not checked and why
    findings: list[Finding] = field(default_factory=list)

    @property
    def blocks_publication(self) -> bool:
        return any(f.severity is Severity.BLOCK for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["findings"] = [f.to_dict() for f in self.findings]
        data["blocks_publication"] = self.blocks_publication
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FileReport:
        fields = {k: v for k, v in data.items() if k != "blocks_publication"}
        fields["findings"] = [Finding.from_dict(f) for f in data.get("findings", [])]
        return cls(**fields)


@dataclass
class ScanReport:
    files: list[FileReport] = field(default_factory=list)
    table_version: str = TABLE_VERSION

    @property
    def blocks_publication(self) -> bool:
        """Any BLOCK finding: publication stops until a curator clears it."""
        return any(f.blocks_publication for f in self.files)

    @property
    def not_scanned(self) -> list[FileReport]:
        return [f for f in self.files if not f.scanned]

    def totals(self) -> dict[str, Any]:
        by_pattern: dict[str, int] = {}
        by_severity = {str(s): 0 for s in Severity}
        for finding in self.findings():
            by_pattern[finding.pattern] = by_pattern.get(finding.pattern, 0) + finding.count
            by_severity[str(finding.severity)] += finding.count
        return {"findings": sum(by_pattern.values()), "by_pattern": by_pattern,
                "by_severity": by_severity, "files": len(self.files),
                "not_scanned": len(self.not_scanned)}

    def findings(self) -> Iterable[Finding]:
        for report in self.files:
            yield from report.findings

    def to_dict(self) -> dict[str, Any]:
        return {"table_version": self.table_version,
                "blocks_publication": self.blocks_publication,
                "totals": self.totals(),
                "files": [f.to_dict() for f in self.files]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScanReport:
        return cls(files=[FileReport.from_dict(f) for f in data["files"]],
                   table_version=data["table_version"])

    def __repr__(self) -> str:
        totals = self.totals()
        return (f"ScanReport(files={totals['files']}, findings={totals['findings']}, "
                f"blocks_publication={self.blocks_publication}, "
                f"table_version={self.table_version[:12]})")


class Findings:
    """Findings of one file, keyed by (column, pattern, severity), kept in first-seen order."""

    def __init__(self) -> None:
        self.by_key: dict[tuple[str | None, str, Severity], Finding] = {}
        self.nonempty: dict[str, int] = {}  # name-hinted columns: non-empty cells seen

    def get(self, column: str | None, pattern: str, severity: Severity) -> Finding:
        key = (column, pattern, severity)
        if key not in self.by_key:
            self.by_key[key] = Finding(pattern, severity, column)
        return self.by_key[key]

    def merge(self, other: Findings) -> None:
        for (column, pattern, severity), finding in other.by_key.items():
            self.get(column, pattern, severity).add(finding)
        for column, count in other.nonempty.items():
            self.nonempty[column] = self.nonempty.get(column, 0) + count

    def finish(self) -> list[Finding]:
        findings = list(self.by_key.values())
        for finding in findings:
            if finding.pattern == "KR_NAME_COLUMN" and finding.column is not None:
                cells = self.nonempty.get(finding.column, 0)
                finding.share = round(finding.count / cells, 4) if cells else None
        return findings
