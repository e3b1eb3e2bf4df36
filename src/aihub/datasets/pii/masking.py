"""Masking (korean-pii.md section 2.4): what a report may show of a match.

``900101-1******``, ``010-****-5678``, ``h***@example.co.kr``, ``홍*동``. A report never
holds a raw match: examples are masked one by one, and a context snippet is cut from text
in which every match of every pattern (validated or not) has been masked first, so a
snippet's edge can never expose half a number.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from aihub.datasets.pii.validators import name_part

_DIGIT = re.compile(r"\d")
_WORD = re.compile(r"[^\W_]")  # letters, digits, Hangul


def _digits_kept(text: str, keep: Callable[[int, int], bool]) -> str:
    """``text`` with every digit replaced by ``*`` unless ``keep(index, count)``."""
    count = len(_DIGIT.findall(text))
    out: list[str] = []
    index = 0
    for char in text:
        if char.isdecimal():
            out.append(char if keep(index, count) else "*")
            index += 1
        else:
            out.append(char)
    return "".join(out)


def mask_name(name: str) -> str:
    """홍길동 → 홍*동, 남궁민수 → 남**수, 박민 → 박*."""
    if len(name) <= 2:
        return name[:1] + "*" * (len(name) - 1)
    return name[0] + "*" * (len(name) - 2) + name[-1]


def _mask_named(text: str) -> str:
    name = name_part(text)
    at = text.rfind(name) if name else -1
    if at < 0:
        return generic(text)
    return text[:at] + mask_name(name) + text[at + len(name) :]


def _mask_phone(text: str) -> str:
    count = len(_DIGIT.findall(text))
    first = 2 if text.lstrip("(").startswith("02") else 3
    return _digits_kept(text, lambda i, n: i < first or i >= count - 4)


def _mask_email(text: str) -> str:
    local, _, domain = text.partition("@")
    return f"{local[:1]}***@{domain}"


def _mask_ip(text: str) -> str:
    parts = text.split(".")
    return ".".join(parts[:2] + ["*"] * (len(parts) - 2))


def generic(text: str) -> str:
    """Every letter, digit and Hangul syllable masked; punctuation and spaces kept."""
    return _WORD.sub("*", text)


MASKS: dict[str, Callable[[str], str]] = {
    "KR_RRN_OR_FRN": lambda t: _digits_kept(t, lambda i, n: i < 7),
    "KR_RRN_MASKED": lambda t: _digits_kept(t, lambda i, n: i < 7),
    "KR_MOBILE": _mask_phone,
    "KR_LANDLINE": _mask_phone,
    "EMAIL": _mask_email,
    "KR_PASSPORT": lambda t: t[:1] + "*" * (len(t) - 1),
    "KR_DRIVER_LICENSE": lambda t: _digits_kept(t, lambda i, n: i < 2),
    "KR_BRN": lambda t: _digits_kept(t, lambda i, n: i < 3),
    "CARD": lambda t: _digits_kept(t, lambda i, n: i < 4 or i >= n - 4),
    "KR_VEHICLE_PLATE": lambda t: _digits_kept(t, lambda i, n: i < n - 4),
    "KR_ROAD_ADDRESS": lambda t: _DIGIT.sub("*", t),
    "KR_LOT_ADDRESS": lambda t: _DIGIT.sub("*", t),
    "KR_APT_UNIT": lambda t: _DIGIT.sub("*", t),
    "IPV4": _mask_ip,
    "KR_NAME_LABELED": _mask_named,
    "KR_NAME_HONORIFIC": _mask_named,
    "KR_NAME_COLUMN": lambda t: mask_name(t.strip()),
}


def mask(pattern: str, text: str) -> str:
    return MASKS.get(pattern, generic)(text)


Span = tuple[int, int, str]  # start, end, pattern id


def mask_spans(text: str, spans: Iterable[Span]) -> tuple[str, list[tuple[int, int, int]]]:
    """``text`` with every span masked. Overlapping spans are merged and masked whole (by
    the pattern of a span covering the merge, else generically). Also returns, per merged
    span, (original start, masked start, masked end) so a caller can locate a match."""
    merged: list[tuple[int, int, str]] = []
    for start, end, pattern in sorted(spans):
        if merged and start < merged[-1][1]:
            last_start, last_end, _ = merged[-1]
            if end > last_end:  # sorted: same start means this one covers the last
                merged[-1] = (last_start, end, pattern if start == last_start else "")
            continue
        merged.append((start, end, pattern))
    out: list[str] = []
    places: list[tuple[int, int, int]] = []
    cursor = length = 0
    for start, end, pattern in merged:
        out.append(text[cursor:start])
        length += start - cursor
        piece = mask(pattern, text[start:end]) if pattern else generic(text[start:end])
        out.append(piece)
        places.append((start, length, length + len(piece)))
        length += len(piece)
        cursor = end
    out.append(text[cursor:])
    return "".join(out), places
