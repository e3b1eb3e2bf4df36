"""The pattern table against the reference's test vectors, traps and validators
(shared reference korean-pii.md, sections 4, 6 and 7)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from aihub.datasets import pii
from aihub.datasets.pii import validators as v
from aihub.datasets.pii.detect import find_hits, nfkc
from aihub.datasets.pii.patterns import RULES, TABLE_VERSION, Severity, header_hints, table_rows

POSITIVES: dict[str, list[str]] = {
    "KR_RRN_OR_FRN": ["주민번호 900101-1234568", "9001011234568", "외국인 900101-5123452",
                      "900101 - 1234568", "900101–1234568", "０９０１０１－１２３４５６８"],
    "KR_RRN_MASKED": ["900101-1******", "851231 - 2xxxxxx", "900101-1●●●●●●"],
    "KR_MOBILE": ["010-1234-5678", "01012345678", "+82 10-1234-5678", "+82-10-9876-5432",
                  "010.1234.5678", "1012345678", "010 1234 5678", "０１０－１２３４－５６７８"],
    "KR_LANDLINE": ["02-123-4567", "051)987-6543", "031 123 4567", "070-1234-5678",
                    "(02) 123-4567"],
    "EMAIL": ["hong.gildong@example.co.kr", "a+b@sub.example.org"],
    "KR_PASSPORT": ["여권 M123A4567", "M12345678"],
    "KR_DRIVER_LICENSE": ["운전면허 11-12-345678-90", "28 20 123456 12", "112034567890"],
    "KR_BRN": ["220-81-62517"],
    "CARD": ["4111-1111-1111-1111", "4111 1111 1111 1111", "4111111111111111"],
    "KR_VEHICLE_PLATE": ["12가 3456", "123가4567", "서울 34나 5678", "부산12바1234"],
    "KR_ROAD_ADDRESS": ["서울특별시 강남구 테헤란로 152", "부산광역시 중구 중앙대로 100",
                        "경기도 성남시 분당구 판교역로 235", "세종특별자치시 한누리대로 2130",
                        "부산 중구 중앙대로 100", "강원특별자치도 춘천시 중앙로 1",
                        "서울시 종로구 세종대로23길 45"],
    "KR_LOT_ADDRESS": ["역삼동 123-45번지", "대청동 12 번지", "읍내리 3번지"],
    "KR_APT_UNIT": ["101동 1203호", "5 동 302 호"],
    "IPV4": ["192.168.0.1", "접속 IP 10.0.0.254.", "255.255.255.255"],
    "KR_NAME_LABELED": ["성명: 홍길동", "환자명 김철수", "대표자：이영희", "보호자:박민"],
    "KR_NAME_HONORIFIC": ["이영희 님", "홍길동씨", "남궁민수 고객", "김철수 환자", "박지성 선생님"],
}
NEGATIVES = ["주문번호 20240501123456", "회원 ID 9001011234", "2024-05-01 12:30:45",
             "가격 12,500원", "서울역 12번 출구", "버전 1.2.3", "ISBN 978-89-1234-567-8",
             "2024년 5월 1일", "총 1,234,567건", "좌표 37.5665, 126.9780", "다시 가는길 3",
             "세종대왕 동상 앞 3번", "2024.05.01", "3층 301호", "TEL 1588-1234",
             "대표번호 1644-0000", "4111-1111-1111-1112", "v2.10.3.1-beta"]
POSITIVE_CASES = [(pattern, text) for pattern, texts in POSITIVES.items() for text in texts]


def _patterns(text: str, hints: frozenset[str] = frozenset()) -> set[str]:
    return {hit.pattern for hit in find_hits(nfkc(text), hints)}


def test_the_vectors_cover_the_table() -> None:
    assert set(POSITIVES) == {rule.id for rule in RULES}
    assert len(POSITIVE_CASES) == 61  # as many as the reference ran


@pytest.mark.parametrize(("pattern", "text"), POSITIVE_CASES)
def test_positive_vector_is_found_by_its_pattern(pattern: str, text: str) -> None:
    assert pattern in _patterns(text)


@pytest.mark.parametrize("text", NEGATIVES)
def test_negative_vector_is_not_reported(text: str) -> None:
    assert _patterns(text) == set()


def test_a_13_digit_serial_with_a_date_prefix_blocks_with_its_checksum_shown() -> None:
    [hit] = find_hits("2405011234567")
    assert (hit.pattern, hit.severity) == ("KR_RRN_OR_FRN", Severity.BLOCK)
    assert hit.checksum is False  # shown to the curator, never a reason to drop it
    [valid] = find_hits("900101-1234568")
    assert valid.checksum is True


def test_a_12_digit_timestamp_is_a_licence_for_review_only_without_context() -> None:
    [bare] = find_hits("202405011230")
    assert (bare.pattern, bare.severity, bare.context) == ("KR_DRIVER_LICENSE",
                                                           Severity.REVIEW, False)
    [told] = find_hits("운전면허 202405011230")
    assert (told.severity, told.context) == (Severity.BLOCK, True)
    [hinted] = find_hits("202405011230", frozenset({"licence"}))
    assert hinted.severity is Severity.BLOCK


def test_a_context_word_further_than_20_characters_does_not_count() -> None:
    [hit] = find_hits("운전면허" + "가" * 21 + " 112034567890")
    assert hit.severity is Severity.REVIEW


def test_a_10_digit_id_is_a_weak_mobile_outside_phone_columns() -> None:
    [hit] = find_hits("1612345678")
    assert (hit.pattern, hit.weak) == ("KR_MOBILE", True)
    [in_phone_column] = find_hits("1612345678", frozenset({"phone"}))
    assert in_phone_column.weak is False
    [separated] = find_hits("010-1234-5678")
    assert separated.weak is False


@pytest.mark.parametrize("text", ["이번 고객 안내", "오늘 고객 수", "정말 씨", "우리 고객님"])
def test_common_words_before_an_honorific_are_not_names(text: str) -> None:
    assert "KR_NAME_HONORIFIC" not in _patterns(text)


def test_a_name_that_starts_like_a_stop_word_is_still_a_name() -> None:
    assert "KR_NAME_HONORIFIC" in _patterns("정도윤 님")  # 정도 is a stop word, 정도윤 a name


@pytest.mark.parametrize("text", ["이름 없음", "담당자 확인", "성명: 미기재", "작성자 익명"])
def test_label_values_that_are_not_names_are_dropped(text: str) -> None:
    assert "KR_NAME_LABELED" not in _patterns(text)


@pytest.mark.parametrize("text", ["버전 1.2.3.4", "v2.10.3.1-beta", "version 10.0.0.1"])
def test_version_strings_are_not_ip_addresses(text: str) -> None:
    assert "IPV4" not in _patterns(text)


def test_a_word_ending_in_v_is_not_a_version_marker() -> None:
    assert "IPV4" in _patterns("dev 10.0.0.1")


def test_a_plate_in_business_text_stays_for_review() -> None:
    hits = find_hits("우리 지점 12마 3456")
    assert [(h.pattern, h.severity) for h in hits] == [("KR_VEHICLE_PLATE", Severity.REVIEW)]


def test_an_apartment_unit_is_not_a_plate() -> None:
    assert _patterns("101동 1203호") == {"KR_APT_UNIT"}


def test_validator_vectors() -> None:
    assert v.rrn_checksum("900101-1234568")
    assert v.rrn_checksum("900101-5123452")  # the FRN rule
    assert not v.rrn_checksum("900101-1234567")
    assert not v.rrn_checksum("900101-5123453")
    assert v.luhn("4111-1111-1111-1111")
    assert not v.luhn("4111-1111-1111-1112")
    assert v.brn_checksum("220-81-62517")
    assert not v.brn_checksum("220-81-62518")


def test_a_business_number_with_a_bad_checksum_is_not_reported() -> None:
    assert _patterns("사업자 220-81-62518") == set()
    assert _patterns("사업자 220-81-62517") == {"KR_BRN"}


@pytest.mark.parametrize(("header", "kinds"), [
    ("주민등록번호", {"rrn"}), ("Mobile_Phone", {"phone"}), ("E mail", {"email"}),
    ("고객 성명", {"name"}), ("user_name", {"name"}), ("운전면허", {"licence"}),
    ("차량번호", {"plate"}), ("ＥＭＡＩＬ", {"email"}), ("amount", set()),
])
def test_column_hints_come_from_the_header(header: str, kinds: set[str]) -> None:
    assert header_hints(header) == kinds


def test_table_version_is_the_hash_of_the_canonical_rows() -> None:
    canonical = json.dumps(table_rows(), ensure_ascii=False, sort_keys=True,
                           separators=(",", ":"))
    assert hashlib.sha256(canonical.encode()).hexdigest() == TABLE_VERSION
    other = subprocess.run(
        [sys.executable, "-c", "from aihub.datasets.pii import TABLE_VERSION as v; print(v)"],
        capture_output=True, text=True, check=True, env={"PYTHONHASHSEED": "123"},
    ).stdout.strip()
    assert other == TABLE_VERSION


def test_the_docs_name_the_current_table_version() -> None:
    docs = (Path(__file__).parents[3] / "docs" / "pii.md").read_text(encoding="utf-8")
    assert TABLE_VERSION in docs, "docs/pii.md names an older table: update its version line"


def test_every_rule_row_is_plain_data() -> None:
    rows = table_rows()
    assert [row["id"] for row in rows if row["kind"] == "pattern"] == [r.id for r in RULES]
    assert {row["severity"] for row in rows if "severity" in row} == {"BLOCK", "REVIEW"}


def test_public_surface() -> None:
    assert sorted(pii.__all__) == [
        "COLUMN_RULES", "ColumnRule", "FileReport", "Finding", "Hit", "RULES", "Rule",
        "ScanLimits", "ScanReport", "Severity", "TABLE_VERSION", "find_hits",
        "header_hints", "mask", "scan_path", "table_rows",
    ]
