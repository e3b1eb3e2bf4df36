"""The exact stage: the table's Python ``re`` patterns and validators on one cell or line.

This is the reference behaviour. The pre-filter (``fast.py``) only decides which cells
reach this function; ``find_hits`` on every cell gives the same findings, only slower.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from aihub.datasets.pii import validators as v
from aihub.datasets.pii.masking import Span, mask, mask_spans
from aihub.datasets.pii.patterns import (
    COLUMN_COMPILED,
    COLUMN_RULES,
    COMPILED,
    PLATE_SYLLABLES,
    RULES,
    Rule,
    Severity,
)

CONTEXT_CHARS = 20  # context words count within this many characters before a match
LONGEST_MATCH = 256  # characters; longer matches may be cut at a window or snippet edge
# Characters kept before a part of a long text: lookbehinds and context words see them.
LEFT_CONTEXT = 32
_HAS_DIGIT = re.compile(r"\d")
# A rule is tried only when the text holds what every match of it must contain: necessary
# conditions read off the patterns (a test checks them against the patterns), so skipping
# never loses a match and most rules are skipped for most cells.
_NEEDS: dict[str, re.Pattern[str]] = {rule_id: re.compile(needs) for rule_id, needs in {
    "KR_RRN_OR_FRN": r"\d",
    "KR_RRN_MASKED": "[*xX●○]",
    "KR_MOBILE": "1",
    "KR_LANDLINE": "0",
    "EMAIL": "@",
    "KR_PASSPORT": "[MSRODmsrod]",
    "KR_DRIVER_LICENSE": "[12]",
    "KR_BRN": "-",
    "CARD": r"\d",
    "KR_VEHICLE_PLATE": f"[{PLATE_SYLLABLES}]",
    "KR_ROAD_ADDRESS": "[로길]",
    "KR_LOT_ADDRESS": "번지",
    "KR_APT_UNIT": "호",
    "IPV4": r"\.",
    "KR_NAME_LABELED": "성명|이름|환자명|보호자|담당자|작성자|신청인|대표자",
    "KR_NAME_HONORIFIC": "님|씨|고객|환자",
}.items()}
_WITHOUT_DIGITS = frozenset({"EMAIL", "KR_NAME_LABELED", "KR_NAME_HONORIFIC"})


def could_match(rule_id: str, text: str, has_digit: bool) -> bool:
    """False only when the rule's pattern cannot match ``text`` (a cheap pre-check)."""
    if not has_digit and rule_id not in _WITHOUT_DIGITS:
        return False
    return _NEEDS[rule_id].search(text) is not None


_COLUMN_RULE_BY_HINT = {rule.hint: rule for rule in COLUMN_RULES}


@dataclass(frozen=True)
class Hit:
    pattern: str
    severity: Severity
    start: int
    end: int
    raw: str = field(repr=False)  # never shown: reports hold ``masked`` only
    checksum: bool | None = None  # RRN/FRN only: the old check-digit rule, advisory
    context: bool = False  # a context word before it, or a hinting column header
    weak: bool = False  # a form the table calls weak (see the rule's note)

    @property
    def masked(self) -> str:
        """Masked on demand: most hits only count, few become examples."""
        return mask(self.pattern, self.raw)


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def _has_context(rule: Rule, text: str, start: int, hints: frozenset[str]) -> bool:
    if rule.hint is not None and rule.hint in hints:
        return True
    before = text[max(0, start - CONTEXT_CHARS) : start]
    return any(word in before for word in rule.context_words)


def _rule_hit(rule: Rule, text: str, match: re.Match[str], hints: frozenset[str]) -> Hit | None:
    """The hit for one regex match after its validator, or None when the validator drops it."""
    found = match.group()
    checksum: bool | None = None
    weak = False
    context = _has_context(rule, text, match.start(), hints)
    match rule.validator:
        case "luhn" if not v.luhn(found):
            return None
        case "brn_checksum" if not v.brn_checksum(found):
            return None
        case "not_version" if v.is_version(text[: match.start()]):
            return None
        case "name_stop_words" if v.is_stop_name(
            v.name_part(found), rule.stop_words, prefix=rule.id == "KR_NAME_LABELED"
        ):
            return None
        case "rrn_checksum":
            checksum = v.rrn_checksum(found)
        case "mobile_form":
            weak = not context and v.weak_mobile(found)
        case "passport_form":
            weak = not context
    severity = rule.context_severity if context and rule.context_severity else rule.severity
    return Hit(rule.id, severity, match.start(), match.end(), found, checksum, context, weak)


def _column_hits(text: str, hints: frozenset[str], taken: set[tuple[str, int, int]]) -> list[Hit]:
    """Whole-cell rules of hinted columns (korean-pii.md section 3.3)."""
    hits: list[Hit] = []
    stripped = text.strip()
    start = text.find(stripped) if stripped else 0
    end = start + len(stripped)
    for hint in hints & COLUMN_COMPILED.keys():
        rule = _COLUMN_RULE_BY_HINT[hint]
        if not stripped or not COLUMN_COMPILED[hint].fullmatch(stripped):
            continue
        pattern, checksum = rule.id, None
        if rule.validator == "name_stop_words" and v.is_stop_name(
            stripped, rule.stop_words, prefix=False
        ):
            continue
        if rule.validator == "phone_digits":
            kind = v.phone_kind(stripped)
            if kind is None:
                continue
            pattern = kind
        if rule.validator == "rrn_checksum":
            checksum = v.rrn_checksum(stripped)
        if any(p == pattern for p, _, _ in taken):
            continue  # the pattern itself already found it in this cell
        hits.append(Hit(pattern, rule.severity, start, end, stripped, checksum, context=True))
    return hits


def find_hits(text: str, hints: frozenset[str] = frozenset(),
              accept: tuple[int, int | None] = (0, None)) -> list[Hit]:
    """Every reportable match in ``text`` (already NFKC-normalized), in rule order. Only
    matches starting inside ``accept`` count (windows of very long lines overlap)."""
    low, high = accept
    has_digit = _HAS_DIGIT.search(text) is not None
    hits: list[Hit] = []
    for rule in RULES:
        if not could_match(rule.id, text, has_digit):
            continue
        for match in COMPILED[rule.id].finditer(text):
            if match.start() < low or (high is not None and match.start() >= high):
                continue
            hit = _rule_hit(rule, text, match, hints)
            if hit is not None:
                hits.append(hit)
    if hints and accept == (0, None):  # whole-cell rules need the whole cell
        hits += _column_hits(text, hints, {(h.pattern, h.start, h.end) for h in hits})
    return hits


def all_spans(text: str, hints: frozenset[str] = frozenset()) -> list[Span]:
    """Every span any pattern matches, validated or not: what a context snippet masks."""
    spans: list[Span] = [(m.start(), m.end(), rule_id)
                         for rule_id, pattern in COMPILED.items() for m in pattern.finditer(text)]
    spans += [(h.start, h.end, h.pattern) for h in _column_hits(text, hints, set())]
    return spans


def masked_text(text: str, hints: frozenset[str] = frozenset()) -> str:
    return mask_spans(text, all_spans(text, hints))[0]


def snippet(text: str, hit: Hit, hints: frozenset[str], radius: int = 40) -> str:
    """The text around ``hit`` with every match in it masked ("finding in context").

    Only a region around the hit is masked, wide enough that a match reaching into the
    snippet lies whole inside it (matches longer than ``LONGEST_MATCH`` are not expected;
    the same bound as the windows of long lines)."""
    low = max(0, hit.start - radius - LONGEST_MATCH)
    region = text[low : hit.end + radius + LONGEST_MATCH]
    masked, places = mask_spans(region, all_spans(region, hints))
    centre = (0, 0)
    for start, ms, me in places:
        if start <= hit.start - low:
            centre = (ms, me)
    left, right = max(0, centre[0] - radius), min(len(masked), centre[1] + radius)
    head = "…" if left or low else ""
    tail = "…" if right < len(masked) or low + len(region) < len(text) else ""
    return head + masked[left:right] + tail
