"""Typed reading of one YAML mapping, recording problems and report lines as it goes.

Readers never raise: a wrong value becomes a problem (with where it is) and a default, so
one pass finds every problem in a bundle. ``finish`` reports each key no reader asked for.
"""

from __future__ import annotations

import reprlib
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any, TypeVar

from aihub.interop.codabench.report import Findings, Where
from aihub.interop.codabench.yamlmarks import MarkedDict, MarkedList

E = TypeVar("E", bound=StrEnum)
_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})


class _Short(reprlib.Repr):
    """``repr`` cut short: a message quoting a bundle's value stays one line long, whatever
    the value (a 1 MB string, a deep list, aliases that repeat a list a billion times)."""

    def __init__(self) -> None:
        super().__init__()
        self.maxlevel, self.maxlist, self.maxdict = 2, 5, 5
        self.maxstring = self.maxother = self.maxlong = 80

    def repr_MarkedDict(self, value: MarkedDict, level: int) -> str:  # noqa: N802 - reprlib's naming
        return self.repr_dict(value, level)

    def repr_MarkedList(self, value: MarkedList, level: int) -> str:  # noqa: N802 - reprlib's naming
        return self.repr_list(value, level)


_SHORT = _Short()


def shown(value: object) -> str:
    """A value of a bundle (or of a program's output) as messages quote it: short."""
    return _SHORT.repr(value)


class Fields:
    """Getters over a mapping at ``where``; each records what it read."""

    def __init__(self, data: Mapping[Any, Any], where: Where, findings: Findings) -> None:
        self.data = data
        self.base = where
        self.findings = findings
        self.read: set[Any] = set()

    def at(self, key: Any) -> Where:
        line = self.data.line_of(key) if isinstance(self.data, MarkedDict) else None
        return self.base.child(str(key), line)

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def raw(self, key: str) -> Any:
        self.read.add(key)
        return self.data.get(key)

    def text(self, key: str, *, required: bool = False, default: str = "",
             max_length: int | None = None) -> str:
        value = self.raw(key)
        if value is None or value == "":
            if required:
                self.findings.problem(self.at(key), f"'{key}' is required")
            return default
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.findings.problem(self.at(key),
                                  f"'{key}' must be a text, not {shown(value)}")
            return default
        text = str(value)
        if max_length is not None and len(text) > max_length:
            self.findings.problem(self.at(key), f"'{key}' is {len(text)} characters long; "
                                  f"ensure this field has no more than {max_length} characters")
        return text

    def integer(self, key: str, *, default: int | None = None, minimum: int = 0,
                required: bool = False) -> int | None:
        value = self.raw(key)
        if value is None:
            if required:
                self.findings.problem(self.at(key), f"'{key}' is required")
            return default
        if isinstance(value, str) and value.strip().lstrip("-").isdecimal():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            self.findings.problem(self.at(key),
                                  f"'{key}' must be a whole number, not {shown(value)}")
            return default
        if value < minimum:
            self.findings.problem(self.at(key), f"'{key}' must be at least {minimum}")
            return default
        return value

    def boolean(self, key: str, *, default: bool) -> bool:
        value = self.raw(key)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, int | str) and str(value).strip().lower() in _TRUE | _FALSE:
            return str(value).strip().lower() in _TRUE
        self.findings.problem(self.at(key),
                              f"'{key}' must be true or false, not {shown(value)}")
        return default

    def choice(self, key: str, kind: type[E], default: E) -> E:
        value = self.raw(key)
        if value is None:
            return default
        # Only text is looked up: Enum's own error would repr any other value in full.
        if isinstance(value, str) and value in {member.value for member in kind}:
            return kind(value)
        choices = ", ".join(member.value for member in kind)
        self.findings.problem(self.at(key), f"'{key}' is {shown(value)}; it must be one of "
                              f"{choices}")
        return default

    def mapping(self, key: str, *, required: bool = False,
                message: str | None = None) -> MarkedDict | None:
        value = self.raw(key)
        if isinstance(value, MarkedDict):
            return value
        if value is not None:
            self.findings.problem(self.at(key), f"'{key}' must be a mapping of keys to values")
        elif required:
            self.findings.problem(self.at(key), message or f"'{key}' is required")
        return None

    def sequence(self, key: str, *, required: bool = False,
                 message: str | None = None) -> MarkedList | None:
        value = self.raw(key)
        if isinstance(value, MarkedList):
            return value
        if value is not None:
            self.findings.problem(self.at(key), f"'{key}' must be a list")
        elif required:
            self.findings.problem(self.at(key), message or f"'{key}' is required")
        return None

    def finish(self, ignored: Mapping[str, str] = {}, *, known: Iterable[str] = ()) -> None:
        """Report the keys nobody read: ``ignored`` ones with their reason, others as unknown."""
        known_keys = set(known)
        for key in self.data:
            if key in self.read or key in known_keys:
                continue
            if key in ignored:
                self.findings.not_supported(self.at(key), f"'{key}' is ignored: {ignored[key]}")
            else:
                self.findings.warn(self.at(key), f"unknown key '{key}' is ignored")
        if isinstance(self.data, MarkedDict):
            for key, line in self.data.duplicates:
                self.findings.warn(self.base.child(str(key), line),
                                   f"'{key}' is written twice; the last value is used")


def items(sequence: MarkedList, where: Where) -> Iterable[tuple[int, Any, Where]]:
    """Each item of a YAML list with its position and place."""
    for position, item in enumerate(sequence):
        yield position, item, where.child(position, sequence.line_of(position))
