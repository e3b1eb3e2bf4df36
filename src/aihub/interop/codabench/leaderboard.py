"""The leaderboard: Codabench's first one, its columns, and their checks (reference §2.5-6)."""

from __future__ import annotations

from typing import Any

from aihub.interop.codabench.fields import Fields, items, shown
from aihub.interop.codabench.model import Column, Computation, Leaderboard, Sorting, SubmissionRule
from aihub.interop.codabench.report import Findings, Where
from aihub.interop.codabench.yamlmarks import MarkedDict, MarkedList

KEY_MAX = 36
TITLE_MAX = 36
BOARD_TITLE_MAX = 64
PRECISION_MAX = 10  # scores are stored with 10 decimals
_MISSING = "Could not find leaderboards in the competition yaml"


def _indexes(fields: Fields, findings: Findings) -> tuple[int, ...] | None:
    value = fields.raw("computation_indexes")
    where = fields.at("computation_indexes")
    if value is None:
        return None
    if not isinstance(value, list) or not all(
        isinstance(item, int) and not isinstance(item, bool) for item in value
    ):
        findings.problem(where, f"'computation_indexes' must be a YAML list of column indexes "
                         f"such as [0, 1], not {shown(value)}")
        return None
    return tuple(value)


def read_column(item: Any, where: Where, findings: Findings) -> Column | None:
    if not isinstance(item, MarkedDict):
        findings.problem(where, "a column must be a mapping (title, key, index, ...)")
        return None
    fields = Fields(item, where, findings)
    title = fields.text("title", required=True, max_length=TITLE_MAX)
    key = fields.text("key", required=True, max_length=KEY_MAX)
    index = fields.integer("index", required=True, minimum=-(10**9))
    computation = (None if fields.raw("computation") is None
                   else fields.choice("computation", Computation, Computation.AVG))
    indexes = _indexes(fields, findings)
    if (computation is None) != (indexes is None):
        findings.problem(where, f"column {key!r}: 'computation' and 'computation_indexes' "
                         "must be given together")
    column = Column(
        key=key, title=title, index=index if index is not None else 0,
        sorting=fields.choice("sorting", Sorting, Sorting.DESC),
        precision=_precision(fields, "precision"),
        hidden=fields.boolean("hidden", default=False),
        computation=computation if indexes is not None else None,
        computation_indexes=indexes or (),
    )
    fields.finish()
    return column if index is not None else None


def _precision(fields: Fields, key: str) -> int:
    value = fields.integer(key, default=2)
    if value is not None and value > PRECISION_MAX:
        fields.findings.problem(fields.at(key), f"'{key}' is {value}; scores keep at most "
                                f"{PRECISION_MAX} decimals")
        return PRECISION_MAX
    return 2 if value is None else value


def check_columns(columns: list[tuple[Column, Where]], where: Where, findings: Findings) -> None:
    """Unique indexes and keys; computed columns that name existing columns, not themselves,
    and no cycle."""
    if not columns:
        findings.problem(where, "Leaderboards require at least 1 column")
    seen_index: set[int] = set()
    seen_key: set[str] = set()
    for column, at in columns:
        if column.index in seen_index:
            findings.problem(at, f"Columns must have unique indexes! ({column.index} is used "
                             "twice)")
        if column.key in seen_key:
            findings.problem(at, f"column key {column.key!r} is used twice")
        seen_index.add(column.index)
        seen_key.add(column.key)
    by_index = {column.index: column for column, _ in columns}
    for column, at in columns:
        for index in column.computation_indexes:
            if index == column.index:
                findings.problem(at, f"computed column {column.key!r} references itself")
            elif index not in by_index:
                findings.problem(at, f"computed column {column.key!r} references column index "
                                 f"{index}, which does not exist")
    if _has_cycle(by_index):
        findings.problem(where, "computed columns reference each other in a cycle")


def _has_cycle(by_index: dict[int, Column]) -> bool:
    state: dict[int, int] = {}  # 1: being visited, 2: done

    def visit(index: int) -> bool:
        if state.get(index) == 1:
            return True
        if state.get(index) == 2 or index not in by_index:
            return False
        state[index] = 1
        found = any(visit(i) for i in by_index[index].computation_indexes if i != index)
        state[index] = 2
        return found

    return any(visit(index) for index in by_index)


def primary_index(requested: int | None, columns: list[tuple[Column, Where]], where: Where,
                  findings: Findings) -> int:
    indexes = sorted(column.index for column, _ in columns)
    if requested is not None:
        if indexes and requested not in indexes:
            findings.problem(where, f"primary_index {requested} is not the index of a column "
                             f"(the columns' indexes are {', '.join(map(str, indexes))})")
        return requested
    if indexes and 0 not in indexes:
        findings.warn(where, f"no column has index 0, Codabench's default primary_index; "
                      f"column index {indexes[0]} ranks the board")
        return indexes[0]
    return 0


def read_leaderboard(item: Any, where: Where, findings: Findings) -> Leaderboard | None:
    if not isinstance(item, MarkedDict):
        findings.problem(where, "a leaderboard must be a mapping (title, key, columns, ...)")
        return None
    fields = Fields(item, where, findings)
    title = fields.text("title", required=True, max_length=BOARD_TITLE_MAX)
    key = fields.text("key", required=True, max_length=KEY_MAX)
    rule = fields.choice("submission_rule", SubmissionRule, SubmissionRule.ADD)
    hidden = fields.boolean("hidden", default=False)
    requested = fields.integer("primary_index", minimum=-(10**9))
    columns: list[tuple[Column, Where]] = []
    raw = fields.sequence("columns", required=True,
                          message="Leaderboards require at least 1 column")
    for _, column_item, at in items(raw or MarkedList(), fields.at("columns")):
        column = read_column(column_item, at, findings)
        if column is not None:
            columns.append((column, at))
    if raw is not None:
        check_columns(columns, fields.at("columns"), findings)
    fields.finish({"index": "only the first leaderboard is used"})
    return Leaderboard(
        title=title, key=key, rule=rule, hidden=hidden,
        columns=tuple(sorted((column for column, _ in columns), key=lambda c: c.index)),
        primary_index=primary_index(requested, columns, fields.at("primary_index"), findings),
    )


def read_leaderboards(top: Fields, findings: Findings) -> Leaderboard | None:
    """The first of ``leaderboards`` (or of ``leaderboard``, which the docs show)."""
    value = top.raw("leaderboards")
    where = top.at("leaderboards")
    if top.has("leaderboard"):
        if value is None:
            value, where = top.raw("leaderboard"), top.at("leaderboard")
            findings.warn(where, "'leaderboard:' (singular, as Codabench's documentation "
                          "shows) is read as 'leaderboards:'; Codabench itself refuses it")
            if isinstance(value, MarkedDict):
                listed = MarkedList()
                listed.append(value)
                listed.lines.append(value.line or 0)
                listed.line = value.line
                value = listed
        else:
            top.raw("leaderboard")
            findings.not_supported(top.at("leaderboard"), "'leaderboard' is ignored: "
                                   "'leaderboards' is given too")
    if not isinstance(value, MarkedList) or not value:
        findings.problem(where, _MISSING)
        return None
    for position in range(1, len(value)):
        findings.not_supported(where.child(position, value.line_of(position)),
                               "only the first leaderboard is used, for every phase (as on "
                               "Codabench); this one is ignored")
    return read_leaderboard(value[0], where.child(0, value.line_of(0)), findings)
