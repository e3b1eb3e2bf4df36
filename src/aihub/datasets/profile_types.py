"""What a dataset file's profile holds: plain frozen values that go to JSON and back.

The profile is stored next to the dataset version and read by its page, its API and the
Croissant builder, possibly by a later release of aihub: ``from_dict`` ignores keys it does
not know, and ``PROFILE_VERSION`` says which shape wrote a stored profile.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Literal, cast, get_args

PROFILE_VERSION = 1

LogicalType = Literal["boolean", "integer", "float", "date", "datetime", "text"]
LOGICAL_TYPES: tuple[LogicalType, ...] = get_args(LogicalType)

# Croissant's cr:Field dataType for each inferred type (Croissant 1.1, schema.org types).
CROISSANT_TYPES: dict[LogicalType, str] = {
    "boolean": "sc:Boolean",
    "integer": "sc:Integer",
    "float": "sc:Float",
    "date": "sc:Date",
    "datetime": "sc:DateTime",
    "text": "sc:Text",
}

# A number, or a date or datetime written in ISO 8601.
Bound = int | float | str | None
Cell = str | None


@dataclass(frozen=True)
class TopValue:
    value: str
    count: int


@dataclass(frozen=True)
class ColumnProfile:
    name: str
    type: LogicalType
    missing: int
    # Distinct non-missing values as written; an estimate (within about 1%) when
    # ``distinct_approximate``, because counting exactly would hold every value in memory.
    distinct: int
    distinct_approximate: bool = False
    minimum: Bound = None
    maximum: Bound = None
    # Most frequent first; only for text and boolean columns of few distinct values.
    top_values: tuple[TopValue, ...] = ()
    # For dates and datetimes read from text: the strftime format every value matched.
    format: str | None = None

    @property
    def croissant_type(self) -> str:
        return CROISSANT_TYPES[self.type]

    def to_dict(self) -> dict[str, Any]:
        data = {field.name: getattr(self, field.name) for field in fields(self)}
        data["top_values"] = [[top.value, top.count] for top in self.top_values]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ColumnProfile:
        known = _known(cls, data)
        known["top_values"] = tuple(TopValue(str(v), int(c)) for v, c in data.get("top_values", ()))
        kind = data.get("type")
        known["type"] = kind if kind in LOGICAL_TYPES else "text"
        return cls(**known)


@dataclass(frozen=True)
class MemberProfile:
    """A file inside a zip, as its central directory describes it (nothing is unpacked)."""

    name: str
    size: int


@dataclass(frozen=True)
class FileProfile:
    filename: str
    size: int
    # csv, tsv, parquet, json, jsonl, zip, gzip, image, pdf, text, binary, empty, excel.
    format: str
    media_type: str
    encoding: str | None = None
    delimiter: str | None = None
    # None when the file was not read as a table (then ``columns`` is empty).
    row_count: int | None = None
    columns: tuple[ColumnProfile, ...] = ()
    # The first rows as written (cells cut to a readable length); None is an empty cell.
    preview: tuple[tuple[Cell, ...], ...] = ()
    members: tuple[MemberProfile, ...] = ()
    # What is wrong with the file and how to fix it, in plain English; empty when all is well.
    problems: tuple[str, ...] = ()
    version: int = PROFILE_VERSION

    @property
    def is_table(self) -> bool:
        return self.row_count is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "filename": self.filename,
            "size": self.size,
            "format": self.format,
            "media_type": self.media_type,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "row_count": self.row_count,
            "columns": [column.to_dict() for column in self.columns],
            "preview": [list(row) for row in self.preview],
            "members": [{"name": m.name, "size": m.size} for m in self.members],
            "problems": list(self.problems),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FileProfile:
        known = _known(cls, data)
        known["columns"] = tuple(ColumnProfile.from_dict(c) for c in data.get("columns", ()))
        known["preview"] = tuple(tuple(row) for row in data.get("preview", ()))
        known["members"] = tuple(
            MemberProfile(str(m["name"]), int(m["size"])) for m in data.get("members", ())
        )
        known["problems"] = tuple(str(p) for p in data.get("problems", ()))
        return cls(**known)


def _known(cls: type[Any], data: dict[str, Any]) -> dict[str, Any]:
    names = {field.name for field in fields(cls)}
    return cast(dict[str, Any], {key: value for key, value in data.items() if key in names})
