"""Korean personal-data scanning of dataset files at intake (shared reference korean-pii.md).

``scan_path`` reads a file (CSV/TSV, text, JSON, Parquet, gzip, or a zip's members) and
returns a ``ScanReport``: per file, column and pattern a severity, a count, rows and masked
examples. Any BLOCK finding (a resident registration number, a passport, a card, a driver
licence with context) stops publication.
"""

from aihub.datasets.pii.detect import Hit, find_hits
from aihub.datasets.pii.masking import mask
from aihub.datasets.pii.patterns import (
    COLUMN_RULES,
    RULES,
    TABLE_VERSION,
    ColumnRule,
    Rule,
    Severity,
    header_hints,
    table_rows,
)
from aihub.datasets.pii.report import FileReport, Finding, ScanReport
from aihub.datasets.pii.scan import ScanLimits, scan_path

__all__ = [
    "COLUMN_RULES",
    "RULES",
    "TABLE_VERSION",
    "ColumnRule",
    "FileReport",
    "Finding",
    "Hit",
    "Rule",
    "ScanLimits",
    "ScanReport",
    "Severity",
    "find_hits",
    "header_hints",
    "mask",
    "scan_path",
    "table_rows",
]
