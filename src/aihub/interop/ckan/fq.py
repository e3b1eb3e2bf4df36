"""The subset of Solr's filter syntax (``fq``) that aihub's ``package_search`` honours.

CKAN passes ``fq`` to Solr untouched, so clients write Solr. aihub has no Solr; it reads
the forms clients actually send and refuses the rest with a message naming what works:

* ``field:value`` and ``field:"a quoted value"`` for the fields of ``FIELDS``;
* several clauses, optionally joined by ``AND`` (or prefixed ``+``): all must hold;
* ``field:a OR field:b`` and ``field:(a OR b)``: any of the values, one field only;
* ``-field:value`` and ``NOT field:value``: none of the values.

Two CKAN fields have a fixed answer here: ``dataset_type`` (every aihub package is a
``dataset``) and ``groups`` (aihub has no groups, so no package is in one).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

# CKAN's field -> the search module's filter field.
FIELDS = {"organization": "organization", "owner_org": "organization", "tags": "tag",
          "res_format": "format", "license_id": "licence", "name": "name",
          "access_tier": "tier"}
# Fields whose answer is known without searching: (field, value) -> does it hold?
_FIXED: dict[str, Callable[[str], bool]] = {
    "dataset_type": lambda value: value == "dataset", "groups": lambda _: False}
MAX_FQ = 2_000
MAX_VALUES = 100

SUPPORTED = ("aihub supports field:value for " + ", ".join(sorted(FIELDS)) +
             ", dataset_type and groups; quoted values (tags:\"air quality\"); "
             "clauses joined by AND (or a leading +); OR between values of one field "
             "(tags:a OR tags:b, tags:(a OR b)); negation (-tags:a, NOT tags:a).")

_CLAUSE = re.compile(
    r'(?P<sign>[+-]?)(?P<field>[A-Za-z_][A-Za-z0-9_]*):'
    r'(?:"(?P<quoted>(?:[^"\\]|\\.)*)"|\((?P<group>[^()]*)\)|(?P<bare>(?:[^\s()"\\]|\\.)+))')
_GROUP_VALUE = re.compile(r'\s*(?:"((?:[^"\\]|\\.)*)"|((?:[^\s()"\\]|\\.)+))\s*')
_GROUP_OR = re.compile(r"\s*OR(?:\s+|$)")
_ESCAPE = re.compile(r"\\(.)")
_OPERATOR = re.compile(r"(AND|OR|NOT|&&|\|\|)(?=\s|$)")


class FqError(ValueError):
    """An ``fq`` aihub cannot read; the message says what and what is supported."""


@dataclass(frozen=True)
class FqFilter:
    field: str  # the search module's field
    values: tuple[str, ...]  # any of them
    negate: bool = False  # none of them


@dataclass
class FqQuery:
    filters: list[FqFilter] = field(default_factory=list)
    impossible: bool = False  # a clause no package satisfies (groups:x)


@dataclass
class _Clause:
    field: str
    values: list[str]
    negate: bool


def _fail(what: str) -> FqError:
    return FqError(f"fq: {what}. {SUPPORTED}")


def _value(raw: str, *, quoted: bool) -> str:
    if not quoted:
        if re.search(r"(?<!\\)[*?]", raw):
            raise _fail(f"wildcards ({raw[:60]!r}) are not supported; give whole values")
        if raw[:1] in "[{":
            raise _fail(f"ranges ({raw[:60]!r}) are not supported")
    value = _ESCAPE.sub(r"\1", raw)
    if not value.strip():
        raise _fail("a value is empty")
    return value


def _group_values(group: str) -> list[str]:
    """``a OR "b c" OR d``: the values of ``field:(…)``."""
    values, position, expect_value = [], 0, True
    while position < len(group):
        if not expect_value:
            match = _GROUP_OR.match(group, position)
            if match is None:
                raise _fail(f"inside ({group[:60]}) separate values with OR")
            position, expect_value = match.end(), True
            continue
        item = _GROUP_VALUE.match(group, position)
        if item is None or item.end() == position:
            raise _fail(f"cannot read ({group[:60]})")
        quoted = item.group(1) is not None
        values.append(_value(item.group(1) if quoted else item.group(2), quoted=quoted))
        position, expect_value = item.end(), False
    if expect_value:
        raise _fail(f"({group[:60]}) ends without a value")
    return values


def _tokens(fq: str) -> list[str | _Clause]:
    tokens: list[str | _Clause] = []
    position = 0
    while position < len(fq):
        if fq[position].isspace():
            position += 1
            continue
        operator = _OPERATOR.match(fq, position)
        if operator:
            tokens.append({"&&": "AND", "||": "OR"}.get(operator.group(1), operator.group(1)))
            position = operator.end()
            continue
        clause = _CLAUSE.match(fq, position)
        if clause is None:
            raise _fail(f"cannot read {fq[position:position + 60]!r}")
        group, quoted = clause.group("group"), clause.group("quoted")
        if group is not None:
            values = _group_values(group)
        elif quoted is not None:
            values = [_value(quoted, quoted=True)]
        else:
            values = [_value(clause.group("bare"), quoted=False)]
        tokens.append(_Clause(clause.group("field"), values, clause.group("sign") == "-"))
        position = clause.end()
    return tokens


def _combine(tokens: list[str | _Clause]) -> list[_Clause]:
    """Apply NOT, AND and OR: OR merges a clause into the previous one of the same field."""
    clauses: list[_Clause] = []
    pending: str | None = None  # the operator read before the next clause
    negate_next = False
    for token in tokens:
        if isinstance(token, str):
            if token == "NOT":  # noqa: S105 - an operator, not a password
                negate_next = True
            elif pending is not None or not clauses:
                raise _fail(f"{token} must stand between two clauses")
            else:
                pending = token
            continue
        if negate_next:
            token.negate, negate_next = not token.negate, False
        if pending == "OR":
            previous = clauses[-1]
            if previous.field != token.field or previous.negate or token.negate:
                raise _fail("OR joins values of one field only, without negation "
                            f"({previous.field} OR {token.field})")
            previous.values.extend(token.values)
        else:
            clauses.append(token)
        pending = None
    if pending is not None or negate_next:
        raise _fail("the filter ends with an operator")
    return clauses


def parse_fq(*fqs: str) -> FqQuery:
    """The filters of one or more ``fq`` strings (``fq`` and ``fq_list``), all ANDed."""
    query = FqQuery()
    for fq in fqs:
        if len(fq) > MAX_FQ:
            raise _fail(f"it is {len(fq)} characters long; the limit is {MAX_FQ}")
        if fq.strip() in ("", "*:*"):
            continue
        for clause in _combine(_tokens(fq)):
            _add(query, clause)
    return query


def _add(query: FqQuery, clause: _Clause) -> None:
    if len(clause.values) > MAX_VALUES:
        raise _fail(f"{len(clause.values)} values for {clause.field}; the limit is {MAX_VALUES}")
    fixed = _FIXED.get(clause.field)
    if fixed is not None:
        holds = any(fixed(value) for value in clause.values)
        if holds == clause.negate:
            query.impossible = True
        return
    target = FIELDS.get(clause.field)
    if target is None:
        raise _fail(f"the field {clause.field[:40]!r} is not supported")
    values = [v.lower() for v in clause.values] if target == "format" else clause.values
    query.filters.append(FqFilter(target, tuple(dict.fromkeys(values)), clause.negate))


def split_q(q: str) -> tuple[str, FqQuery]:
    """CKAN's ``q``: free text, in which clients also write ``tags:economy``. Clauses on
    the fields of ``fq`` become filters; the rest is the text. ``*:*`` and ``*`` are
    "everything"."""
    if q.strip() in ("*:*", "*"):
        return "", FqQuery()
    clauses, kept, position = [], [], 0
    for match in _CLAUSE.finditer(q):
        starts_word = match.start() == 0 or q[match.start() - 1].isspace()
        ends_word = match.end() == len(q) or q[match.end()].isspace()
        known = match.group("field") in FIELDS or match.group("field") in _FIXED
        if starts_word and ends_word and known:
            clauses.append(match.group(0))
            kept.append(q[position:match.start()])
            position = match.end()
    kept.append(q[position:])
    text = " ".join(" ".join(kept).split())
    return text, parse_fq(" ".join(clauses)) if clauses else FqQuery()
