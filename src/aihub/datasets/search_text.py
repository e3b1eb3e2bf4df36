"""How catalog text becomes searchable, shared by the index and the queries so both sides
read text the same way.

Text is folded (NFKC, case-folded) and cut into words at anything that is not a letter,
digit or mark. A word in Hangul (or another script written without spaces: Han, kana)
matches anywhere inside it, as Korean compounds demand ("교통" in "대전교통속도"); any other
word matches from its start ("traf" finds "traffic", "ai" does not find "rain").

Terms of three characters or more are matched by trigram indexes (SQLite FTS5 ``trigram``,
PostgreSQL ``pg_trgm``), which cannot see shorter ones; for those, each document also
carries its *grams*: every one- and two-character piece of its Hangul words and the first
one or two characters of its other words, matched as whole items.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from aihub.errors import FieldErrors

MAX_QUERY = 200  # characters of a search text
MAX_TERMS = 12  # words of a search text; each one is an index lookup
# Scripts whose words run together: Hangul syllables and jamo, CJK ideographs, kana.
_SPACELESS = re.compile(r"[\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u9fff\uac00-\ud7af"
                        r"\uf900-\ufaff]")


def fold(text: str) -> str:
    """NFKC and case folding, twice as Unicode advises: full-width ＡＩ is ai, ß is ss."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


class _Separators(dict[int, int]):
    """``str.translate`` table turning every character that is not a letter, digit or mark
    into a space; filled as characters are first seen (a loop in Python is 3x slower)."""

    def __missing__(self, code: int) -> int:
        char = chr(code)
        kept = char.isalnum() or unicodedata.category(char).startswith("M")
        self[code] = code if kept else 32
        return self[code]


_SEPARATORS = _Separators()


def words(text: str) -> list[str]:
    """The folded words of ``text``; punctuation, symbols and spaces separate them."""
    return fold(text).translate(_SEPARATORS).split()


def is_spaceless(word: str) -> bool:
    return _SPACELESS.search(word) is not None


def joined_runs(word_list: list[str]) -> list[str]:
    """Runs of neighbouring Hangul words written together: "미세 먼지 농도" also reads as
    "미세먼지농도", so that a query spaced differently from the text still matches (Korean
    spacing varies: 미세먼지 and 미세 먼지 are both common)."""
    runs: list[str] = []
    current: list[str] = []
    for word in [*word_list, ""]:
        if word and is_spaceless(word):
            current.append(word)
            continue
        if len(current) > 1:
            runs.append("".join(current))
        current = []
    return runs


def searchable(texts: Iterable[str]) -> str:
    """One field's searchable form: its words, then their joined runs, space-separated,
    with a space at each end so that a word's start is always preceded by a space."""
    found: list[str] = []
    for text in texts:
        field = words(text)
        found.extend(field)
        found.extend(joined_runs(field))
    return f" {' '.join(found)} " if found else " "


def grams(word_list: Iterable[str]) -> list[str]:
    """The one- and two-character pieces a short term can match, sorted, each once."""
    found: set[str] = set()
    for word in word_list:
        if is_spaceless(word):
            found.update(word)
            found.update(word[i:i + 2] for i in range(len(word) - 1))
        else:
            found.update((word[:1], word[:2]))
    return sorted(found)


class TermKind(StrEnum):
    SHORT = "short"  # one or two characters: looked up among the grams
    INSIDE = "inside"  # a Hangul (or Han, kana) term: anywhere inside a word
    START = "start"  # any other term: at a word's start


@dataclass(frozen=True)
class Term:
    text: str
    kind: TermKind

    @property
    def needle(self) -> str:
        """What the term looks for in a field's searchable form (``searchable``)."""
        return self.text if is_spaceless(self.text) else f" {self.text}"


def parse_terms(text: str) -> list[Term]:
    """The terms of a search text, each once, in order; all must match. ``FieldErrors``
    when the text is too long; text without a letter or digit has no terms (lists all)."""
    if len(text) > MAX_QUERY:
        raise FieldErrors({"q": f"the search text is {len(text)} characters long; the limit "
                                f"is {MAX_QUERY}. Search with fewer, shorter words."})
    unique = list(dict.fromkeys(words(text)))
    if len(unique) > MAX_TERMS:
        raise FieldErrors({"q": f"the search text has {len(unique)} different words; the "
                                f"limit is {MAX_TERMS}. Keep the words that matter most."})
    terms = []
    for word in unique:
        if len(word) <= 2:
            kind = TermKind.SHORT
        elif is_spaceless(word):
            kind = TermKind.INSIDE
        else:
            kind = TermKind.START
        terms.append(Term(word, kind))
    return terms
