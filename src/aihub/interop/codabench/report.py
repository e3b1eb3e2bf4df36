"""What an import found: problems (the bundle is refused) and report lines (it is not).

Every problem and every line names where it is: a path into the YAML such as
``phases[1].end`` and, when the parser gave one, the line in ``competition.yaml``. All
problems are gathered and raised together, so an organizer fixes a bundle in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from aihub.errors import InvalidInput


@dataclass(frozen=True)
class Where:
    """A place in ``competition.yaml``: the key path and, when known, the line."""

    path: str
    line: int | None = None

    def __str__(self) -> str:
        if self.line is None:
            return self.path or "competition.yaml"
        return f"line {self.line}, {self.path}" if self.path else f"line {self.line}"

    def child(self, name: str | int, line: int | None = None) -> Where:
        part = f"[{name}]" if isinstance(name, int) else (f".{name}" if self.path else name)
        return Where(self.path + part, line if line is not None else self.line)


class LineKind(StrEnum):
    WARNING = "warning"  # read, but not as the organizer may expect (a date, a default)
    NOT_SUPPORTED = "not supported"  # a Codabench feature aihub does not have: ignored


@dataclass(frozen=True)
class ReportLine:
    kind: LineKind
    where: Where
    message: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.where}: {self.message}"


@dataclass(frozen=True)
class ImportReport:
    """The lines an organizer should read after an import that succeeded."""

    lines: tuple[ReportLine, ...] = ()

    @property
    def warnings(self) -> tuple[ReportLine, ...]:
        return tuple(line for line in self.lines if line.kind is LineKind.WARNING)

    @property
    def not_supported(self) -> tuple[ReportLine, ...]:
        return tuple(line for line in self.lines if line.kind is LineKind.NOT_SUPPORTED)

    def text(self) -> str:
        """One line each, in the order found: what the challenge's ``import_report`` holds."""
        return "\n".join(str(line) for line in self.lines)


class BundleInvalid(InvalidInput):
    """A bundle refused for one or more problems, each with where it is."""

    def __init__(self, problems: list[tuple[Where, str]]) -> None:
        self.problems = tuple(problems)
        count = len(problems)
        heading = ("The bundle has a problem:" if count == 1
                   else f"The bundle has {count} problems:")
        super().__init__(
            heading + "\n" + "\n".join(f"- {where}: {message}" for where, message in problems)
        )


@dataclass
class Findings:
    """Problems and report lines gathered while a bundle is read."""

    problems: list[tuple[Where, str]] = field(default_factory=list)
    lines: list[ReportLine] = field(default_factory=list)

    def problem(self, where: Where, message: str) -> None:
        self.problems.append((where, message))

    def warn(self, where: Where, message: str) -> None:
        self.lines.append(ReportLine(LineKind.WARNING, where, message))

    def not_supported(self, where: Where, message: str) -> None:
        self.lines.append(ReportLine(LineKind.NOT_SUPPORTED, where, message))

    def raise_if_any(self) -> None:
        if self.problems:
            raise BundleInvalid(self.problems)

    def report(self) -> ImportReport:
        return ImportReport(tuple(self.lines))
