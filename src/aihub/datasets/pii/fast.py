"""The candidate pre-filter: which cells could hold a match, decided in C++ over whole columns.

Plain ``re`` with all sixteen patterns runs at about 2.5 MB/s. Almost every cell of a real
table matches none of them, so the scanner first asks RE2 (PyArrow's
``match_substring_regex``, which releases the GIL) which cells could match at all, and runs
the exact Python patterns (``detect.find_hits``) only on those.

The RE2 pattern is derived from the table, never written by hand, and is a superset:

* lookarounds (RE2 has none) are removed, which only widens what matches;
* a cell made only of ASCII and Hangul syllables is its own NFKC form, and in it Python's
  ``\\d`` and ``\\s`` mean exactly ``[0-9]`` and ASCII whitespace, so the relaxed pattern
  uses those small classes (a large Unicode class makes RE2's DFA several times slower);
* any other cell is a candidate anyway (the alternative ``[^\\x00-\\x7F가-힣]``); it is
  normalized in Python and, when there are many, filtered again by the relaxed pattern
  with ``\\d`` and ``\\s`` spelled out as the full sets Python uses for ``str``.

A cell the filter rejects therefore has no Python ``re`` match either; the tests check
this on the test vectors and on random text.
"""

from __future__ import annotations

import functools
import re
import sys

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]

from aihub.datasets.pii.patterns import COLUMN_RULES, RULES

# ASCII and precomposed Hangul never change under NFKC and never compose with a
# neighbour (composition partners are combining marks and conjoining jamo).
NOT_NFKC_STABLE = r"[^\x{00}-\x{7F}\x{AC00}-\x{D7A3}]"
# What Python's re means by \d and \s inside ASCII-and-Hangul text.
_ASCII_CLASSES = {"d": "0-9", "s": r"\t\n\x0b\x0c\r\x1c-\x1f "}


def _ranges(chars: list[int]) -> str:
    """``chars`` (sorted code points) as RE2 class ranges, without the brackets."""
    parts: list[str] = []
    start = prev = chars[0]
    for code in [*chars[1:], -2]:
        if code == prev + 1:
            prev = code
            continue
        parts.append(f"\\x{{{start:X}}}" if start == prev else f"\\x{{{start:X}}}-\\x{{{prev:X}}}")
        start = prev = code
    return "".join(parts)


@functools.cache
def _unicode_classes() -> dict[str, str]:
    """Python's ``\\d`` (Unicode decimals) and ``\\s`` (``str.isspace``) as RE2 ranges."""
    codes = [c for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]
    return {
        "d": _ranges([c for c in codes if chr(c).isdecimal()]),
        "s": _ranges([c for c in codes if chr(c).isspace()]),
    }


def _skip_group(regex: str, start: int) -> int:
    """Index just after the group opening at ``start`` (escapes and classes respected)."""
    depth, i, in_class = 0, start, False
    while i < len(regex):
        char = regex[i]
        if char == "\\":
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ValueError(f"unbalanced group in {regex!r}")


def relax(regex: str, classes: dict[str, str] | None = None) -> str:
    """An RE2 pattern matching wherever the Python pattern ``regex`` matches (in text where
    ``classes`` gives the meaning of ``\\d`` and ``\\s``; Unicode by default)."""
    classes = classes or _unicode_classes()
    out: list[str] = []
    i, in_class = 0, False
    while i < len(regex):
        char = regex[i]
        if char == "\\":
            escape = regex[i + 1]
            if escape in classes:
                out.append(classes[escape] if in_class else f"[{classes[escape]}]")
            else:
                out.append(regex[i : i + 2])
            i += 2
            continue
        if not in_class and regex.startswith(("(?=", "(?!", "(?<=", "(?<!"), i):
            i = _skip_group(regex, i)  # zero-width: dropping it only widens the match
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        out.append(char)
        i += 1
    return "".join(out)


def _column_rule(hint: str, classes: dict[str, str]) -> str:
    rule = next(rule for rule in COLUMN_RULES if rule.hint == hint)
    space = f"[{classes['s']}]*"
    return f"^{space}(?:{relax(rule.regex, classes)}){space}$"


@functools.cache
def stable_pattern(hints: frozenset[str] = frozenset()) -> str:
    """First pass: relaxed patterns in ASCII-and-Hangul terms, or any other character."""
    parts = [relax(rule.regex, _ASCII_CLASSES) for rule in RULES]
    parts += [_column_rule(hint, _ASCII_CLASSES) for hint in sorted(hints & _HINTED)]
    return "|".join(f"(?:{part})" for part in parts) + "|" + NOT_NFKC_STABLE


@functools.cache
def unicode_pattern(hints: frozenset[str] = frozenset()) -> str:
    """Second pass, for normalized cells beyond ASCII and Hangul."""
    classes = _unicode_classes()
    parts = [relax(rule.regex, classes) for rule in RULES]
    parts += [_column_rule(hint, classes) for hint in sorted(hints & _HINTED)]
    return "|".join(f"(?:{part})" for part in parts)


_HINTED = frozenset(rule.hint for rule in COLUMN_RULES)


def candidate_indices(cells: pa.Array, hints: frozenset[str] = frozenset()) -> list[int]:
    """Positions of the cells that may hold a match (nulls never do)."""
    mask = pc.match_substring_regex(cells, stable_pattern(hints & _HINTED))
    return [int(i) for i in pc.indices_nonzero(pc.fill_null(mask, False)).to_numpy()]


def refilter(texts: list[str], hints: frozenset[str] = frozenset()) -> list[bool]:
    """For normalized texts: True where the Unicode-class relaxed pattern matches."""
    mask = pc.match_substring_regex(pa.array(texts, pa.string()),
                                    unicode_pattern(hints & _HINTED))
    return [bool(x) for x in mask.to_pylist()]


_STABLE = re.compile("[\x00-\x7f\uac00-\ud7a3]*")


def is_stable(text: str) -> bool:
    """True when ``text`` is ASCII and Hangul syllables only (its own NFKC form)."""
    return text.isascii() or _STABLE.fullmatch(text) is not None
