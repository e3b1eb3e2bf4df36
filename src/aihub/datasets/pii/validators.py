"""Validators of the pattern table (korean-pii.md section 4 and the traps of section 6).

Each takes the matched text (and where needed the text before it) and answers one small
question. Only Luhn, the business-number checksum and the stop lists drop a match; the
resident-number checksum is advisory, because numbers issued since October 2020 have
random digits after the sex digit.
"""

from __future__ import annotations

import re

_NOT_DIGIT = re.compile(r"\D")
_HONORIFIC_TAIL = re.compile(r"\s?(?:선생님|님|씨|고객|환자)$")
_LABEL_HEAD = re.compile(r"^(?:성명|이름|환자명|보호자|담당자|작성자|신청인|대표자)\s*[:：]?\s*")
_VERSION_BEFORE = re.compile(r"(?:^|[^A-Za-z])(?:v|ver|version)\.?\s*$|버전\s*$", re.IGNORECASE)

RRN_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
BRN_WEIGHTS = (1, 3, 7, 1, 3, 7, 1, 3, 5)


def digits(text: str) -> str:
    return _NOT_DIGIT.sub("", text)


def rrn_checksum(text: str) -> bool:
    """The pre-2020 check digit rule: RRN for 7th digit 1-4, FRN for 5-8 (advisory)."""
    d = [int(c) for c in digits(text)]
    if len(d) != 13:
        return False
    s = sum(w * x for w, x in zip(RRN_WEIGHTS, d, strict=False))
    base = 13 if d[6] >= 5 else 11
    return (base - s % 11) % 10 == d[12]


def luhn(text: str) -> bool:
    d = [int(c) for c in digits(text)]
    if not d:
        return False
    total = 0
    for position, digit in enumerate(reversed(d)):
        doubled = digit * 2 if position % 2 else digit
        total += doubled - 9 if doubled > 9 else doubled
    return total % 10 == 0


def brn_checksum(text: str) -> bool:
    """사업자등록번호 check digit (XXX-XX-XXXXX)."""
    d = [int(c) for c in digits(text)]
    if len(d) != 10:
        return False
    s = sum(w * x for w, x in zip(BRN_WEIGHTS, d, strict=False)) + (5 * d[8]) // 10
    return (10 - s % 10) % 10 == d[9]


def name_part(text: str) -> str:
    """The name inside a labelled or honorific match ("성명: 홍길동" → "홍길동")."""
    return _HONORIFIC_TAIL.sub("", _LABEL_HEAD.sub("", text)).strip()


def is_stop_name(name: str, stop_words: tuple[str, ...], *, prefix: bool) -> bool:
    """True when ``name`` is a common word, not a name. Label values are checked by prefix
    ("확인요청"), honorific names exactly (a real name may start like 정도: 정도윤)."""
    if prefix:
        return name.startswith(stop_words)
    return name in stop_words


def is_version(before: str) -> bool:
    """True when the text before an IPv4-like match names a version ("v", "버전 ")."""
    return _VERSION_BEFORE.search(before[-12:]) is not None


def phone_kind(text: str) -> str | None:
    """For a phone-hinted column: KR_MOBILE or KR_LANDLINE for 9-11 digits starting with
    0 or 1, else None."""
    d = digits(text)
    if not 9 <= len(d) <= 11 or d[0] not in "01":
        return None
    return "KR_MOBILE" if d.startswith(("01", "1")) else "KR_LANDLINE"


def weak_mobile(text: str) -> bool:
    """The Excel-mangled form (no separator, no leading 0) also hits 10-digit ids."""
    return text.isdigit() and text.startswith("1")
