"""Masking: the reference's formats, and no report ever holds a raw number it found."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aihub.datasets.pii import ScanLimits, mask, scan_path
from aihub.datasets.pii.detect import find_hits, snippet
from aihub.datasets.pii.masking import mask_spans


@pytest.mark.parametrize(("pattern", "raw", "masked"), [
    ("KR_RRN_OR_FRN", "900101-1234568", "900101-1******"),
    ("KR_RRN_OR_FRN", "9001011234568", "9001011******"),
    ("KR_MOBILE", "010-1234-5678", "010-****-5678"),
    ("KR_LANDLINE", "02-123-4567", "02-***-4567"),
    ("EMAIL", "hong.gildong@example.co.kr", "h***@example.co.kr"),
    ("KR_NAME_LABELED", "성명: 홍길동", "성명: 홍*동"),
    ("KR_NAME_HONORIFIC", "남궁민수 고객", "남**수 고객"),
    ("KR_NAME_COLUMN", "박민", "박*"),
    ("CARD", "4111-1111-1111-1111", "4111-****-****-1111"),
    ("KR_PASSPORT", "M123A4567", "M********"),
    ("KR_DRIVER_LICENSE", "11-12-345678-90", "11-**-******-**"),
    ("KR_BRN", "220-81-62517", "220-**-*****"),
    ("KR_VEHICLE_PLATE", "서울 34나 5678", "서울 34나 ****"),
    ("KR_APT_UNIT", "101동 1203호", "***동 ****호"),
    ("IPV4", "192.168.0.1", "192.168.*.*"),
])
def test_mask_formats(pattern: str, raw: str, masked: str) -> None:
    assert mask(pattern, raw) == masked


def test_overlapping_matches_are_masked_whole() -> None:
    text, places = mask_spans("x 4111111111111111 y", [(2, 18, "CARD"), (5, 15, "KR_MOBILE")])
    assert text == "x 4111********1111 y"
    assert places == [(2, 2, 18)]
    partial, _ = mask_spans("ab12345cd", [(2, 6, "KR_MOBILE"), (4, 9, "EMAIL")])
    assert partial == "ab*******"  # neither covers the merge: everything masked


def test_a_snippet_masks_neighbours_cut_by_its_edge() -> None:
    text = "전화 010-9876-5432 " + "가" * 30 + " 주민 900101-1234568 끝"
    [rrn] = [h for h in find_hits(text) if h.pattern == "KR_RRN_OR_FRN"]
    around = snippet(text, rrn, frozenset(), radius=45)
    assert "9876" not in around and "1234568" not in around
    assert "900101-1******" in around


digits = st.text(alphabet="0123456789", min_size=1, max_size=1)


@st.composite
def planted(draw: st.DrawFn) -> tuple[str, str]:
    """(a line holding one RRN, phone or card, that number's digits)."""
    kind = draw(st.sampled_from(["rrn", "mobile", "card"]))
    if kind == "rrn":
        yy, mm, dd = draw(st.integers(0, 99)), draw(st.integers(1, 12)), draw(st.integers(1, 28))
        rest = draw(st.integers(1, 8)), draw(st.integers(0, 999_999))
        sep = draw(st.sampled_from(["-", "", " - ", "–"]))
        number = f"{yy:02d}{mm:02d}{dd:02d}{sep}{rest[0]}{rest[1]:06d}"
    elif kind == "mobile":
        mid, end = draw(st.integers(1000, 9999)), draw(st.integers(1000, 9999))
        sep = draw(st.sampled_from(["-", ".", " ", ""]))
        number = f"010{sep}{mid}{sep}{end}"
    else:
        body = [draw(st.integers(0, 9)) for _ in range(15)]
        total = sum(d if i % 2 else (2 * d - 9 if 2 * d > 9 else 2 * d)
                    for i, d in enumerate(reversed(body)))
        card = "".join(map(str, [*body, (10 - total % 10) % 10]))
        number = " ".join(card[i : i + 4] for i in range(0, 16, 4))
    before = draw(st.sampled_from(["", "연락처 ", "주민번호: ", "카드 ", "메모 "]))
    after = draw(st.sampled_from(["", " 끝", ", 확인", " (본인)"]))
    return before + number + after, "".join(c for c in number if c.isdigit())


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(planted(), min_size=1, max_size=5), column=st.booleans())
def test_no_report_holds_a_raw_number_it_found(tmp_path: Path,
                                                lines: list[tuple[str, str]],
                                                column: bool) -> None:
    path = tmp_path / ("found.csv" if column else "found.txt")
    body = "".join(f'{i},"{text}"\n' if column else text + "\n"
                   for i, (text, _) in enumerate(lines))
    path.write_text(("id,note\n" if column else "") + body, encoding="utf-8")
    report = scan_path(path, limits=ScanLimits(block_bytes=4096))
    dumped = json.dumps(report.to_dict(), ensure_ascii=False) + repr(report)
    assert report.totals()["findings"] >= len(lines)
    for text, number in lines:
        assert number not in dumped.replace("-", "").replace(" ", "").replace(".", "")
        assert text not in dumped
