"""The Korean PII pattern table (shared reference korean-pii.md, section 3), kept as data.

Curators see exactly what was checked: each row is an id, a Python ``re`` pattern, a
severity, a validator name, context words, column hints and stop words. Every report
records ``TABLE_VERSION``, the sha256 of the table's canonical JSON, so a finding can
always be traced to the rules that produced it.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    BLOCK = "BLOCK"  # publication stops (PIPA Art. 24, 24-2: unique identifiers)
    REVIEW = "REVIEW"  # a curator looks, then publishes after pseudonymization or rejects


REGIONS = "서울|부산|대구|인천|광주|대전|울산|세종|경기|강원|충북|충남|전북|전남|경북|경남|제주"
PLATE_SYLLABLES = "가나다라마거너더러머버서어저고노도로모보소오조구누두루무부수우주아바사자배하허호"
SURNAMES_2 = ("서문", "남궁", "제갈", "선우", "독고", "황보", "사공", "동방")
_SURNAMES_1_TEXT = (  # the reference's spelling, easy to compare
    "김 이 박 최 정 강 조 윤 장 임 한 오 서 신 권 황 안 송 류 유 전 홍 고 문 양 손 배 백 허 남 "
    "심 노 하 곽 성 차 주 우 구 민 진 나 지 엄 채 원 천 방 공 현 함 변 염 여 추 도 소 석 선 설 "
    "마 길 연 위 표 명 기 반 라 왕 금 옥 육 인 맹 제 모 탁 국 어 은 편 용 예 경 봉 사 부 가 복 "
    "태 목 형 피 두 감 음 빈 동 온 호 범 좌 팽 승 간 상 시 갈"
)
SURNAMES_1 = tuple(_SURNAMES_1_TEXT.split(" "))
SURNAMES = "|".join(SURNAMES_2 + SURNAMES_1)  # two-syllable surnames first
DATE6 = r"\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"  # YYMMDD

# Values after a label word that are not names ("이름 없음", "담당자 확인").
LABEL_STOP_WORDS = ("없음", "미상", "확인", "미기재", "익명", "본인", "기타", "참조",
                    "해당없음", "공란")
# Common words that start with a surname syllable, checked on the name part of an
# honorific match ("이번 고객", "오늘 고객", "정말 씨").
HONORIFIC_STOP_WORDS = ("이번", "이런", "이제", "이미", "이후", "이전", "이상", "이하", "오늘",
                        "정말", "정도", "조금", "우리", "주의", "안내", "전체", "고객", "모든",
                        "모두", "기존", "신규", "일반", "우수", "주요", "여러", "전화", "문의",
                        "지난", "지금", "상담", "가입", "해당", "동의", "방문", "신청")

# Column-name hints (section 2.2): substring of the header after lower-casing and removing
# spaces and "_". Each hint names the kind of data it announces.
COLUMN_HINTS: dict[str, tuple[str, ...]] = {
    "rrn": ("주민", "주민번호", "주민등록", "생년월일"),
    "phone": ("전화", "연락처", "휴대폰", "핸드폰", "mobile", "phone", "tel"),
    "email": ("이메일", "email"),
    "name": ("성명", "이름", "name"),
    "address": ("주소", "address"),
    "plate": ("차량번호",),
    "account": ("계좌",),
    "card": ("카드",),
    "passport": ("여권", "passport"),
    "licence": ("면허",),
    "brn": ("사업자",),
}


@dataclass(frozen=True)
class Rule:
    """One row of the table. ``severity`` holds without context; ``context_severity`` (if
    set) applies when a context word is within 20 characters before the match or the
    column's header hints the rule's kind."""

    id: str
    regex: str
    severity: Severity
    validator: str | None = None
    context_words: tuple[str, ...] = ()
    hint: str | None = None  # the COLUMN_HINTS kind that counts as context
    stop_words: tuple[str, ...] = ()
    context_severity: Severity | None = None
    note: str = ""


@dataclass(frozen=True)
class ColumnRule:
    """A rule that applies to whole cells of a column whose header hints ``hint``."""

    id: str  # the pattern id findings are counted under
    hint: str
    regex: str  # fullmatch on the stripped cell
    severity: Severity
    validator: str | None = None
    stop_words: tuple[str, ...] = field(default=())
    note: str = ""


_ROAD = (
    r"(?:[가-힣]{1,10}(?:특별시|광역시|특별자치도|시|도)\s?[가-힣]{1,10}(?:시|군|구)"
    r"|(?:서울|부산|대구|인천|광주|대전|울산|경기|강원|충북|충남|전북|전남|경북|경남|제주)"
    r"\s[가-힣]{1,10}(?:시|군|구)"
    r"|세종(?:특별자치시|시)?)"
    r"\s?(?:[가-힣]{1,10}(?:구|읍|면)\s?)?[가-힣0-9]{1,20}(?:로|길)\s?\d{1,5}(?:-\d{1,5})?"
)
_IP_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"

B, R = Severity.BLOCK, Severity.REVIEW
RULES: tuple[Rule, ...] = (
    Rule("KR_RRN_OR_FRN", r"(?<!\d)" + DATE6 + r"\s?[-–]?\s?[1-8]\d{6}(?!\d)", B,
         "rrn_checksum", ("주민", "외국인등록"), "rrn",
         note="7th digit 5-8 is an alien registration number; checksum advisory only"),
    Rule("KR_RRN_MASKED", r"(?<!\d)" + DATE6 + r"\s?[-–]\s?[1-8][*xX●○]{6}", R,
         context_words=("주민", "외국인등록"), hint="rrn",
         note="birth date and sex digit are still a quasi-identifier"),
    Rule("KR_MOBILE",
         r"(?:(?<!\d)|(?<=\+82)|(?<=\+82 ))(?:\+82[-\s]?)?0?1[016789][-.\s)]?\d{3,4}"
         r"[-.\s]?\d{4}(?!\d)", R, "mobile_form", ("전화", "연락처", "휴대폰"), "phone",
         note="the form without separators and leading 0 is weak outside phone columns"),
    Rule("KR_LANDLINE",
         r"(?<!\d)0(?:2|3[1-3]|4[1-4]|5[1-5]|6[1-4]|70)[-.)\s]\s?\d{3,4}[-.\s]\d{4}(?!\d)", R,
         context_words=("전화", "연락처"), hint="phone"),
    Rule("EMAIL", r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}", R, hint="email",
         note="role addresses (info@, help@) may be cleared by a curator"),
    Rule("KR_PASSPORT", r"(?<![A-Za-z0-9])[MSRODmsrod](?:\d{3}[A-Za-z]\d{4}|\d{8})(?![0-9])", B,
         "passport_form", ("여권",), "passport", note="weak without the context word 여권"),
    Rule("KR_DRIVER_LICENSE",
         r"(?<!\d)(?:1[1-9]|2[0-8])[- ]?\d{2}[- ]?\d{6}[- ]?\d{2}(?!\d)", R,
         context_words=("운전면허", "면허번호"), hint="licence", context_severity=B,
         note="BLOCK only with a context word or a licence column; 12-digit timestamps match"),
    Rule("KR_BRN", r"(?<!\d)\d{3}-\d{2}-\d{5}(?!\d)", R, "brn_checksum", ("사업자",), "brn",
         note="reported only when its checksum passes"),
    Rule("CARD", r"(?<!\d)(?:\d{4}[- ]?){3}\d{4}(?!\d)", B, "luhn", ("카드",), "card",
         note="reported only when Luhn passes; 15-digit cards are not covered"),
    Rule("KR_VEHICLE_PLATE",
         r"(?:(?:" + REGIONS + r")\s?)?(?<!\d)\d{2,3}\s?[" + PLATE_SYLLABLES + r"]\s?\d{4}(?!\d)",
         R, hint="plate"),
    Rule("KR_ROAD_ADDRESS", _ROAD, R, hint="address"),
    Rule("KR_LOT_ADDRESS", r"[가-힣]{1,10}(?:동|리|가)\s?\d{1,5}(?:-\d{1,5})?\s?번지", R,
         hint="address"),
    Rule("KR_APT_UNIT", r"(?<!\d)\d{1,4}\s?동\s?\d{1,4}\s?호", R, hint="address"),
    Rule("IPV4", r"(?<![\d.])(?:" + _IP_OCTET + r"\.){3}" + _IP_OCTET + r"(?!\.?\d)", R,
         "not_version", note="dropped when preceded by v, ver, version or 버전"),
    Rule("KR_NAME_LABELED",
         r"(?:성명|이름|환자명|보호자|담당자|작성자|신청인|대표자)\s*[:：]?\s*[가-힣]{2,4}(?![가-힣])",
         R, "name_stop_words", hint="name", stop_words=LABEL_STOP_WORDS),
    Rule("KR_NAME_HONORIFIC",
         r"(?<![가-힣])(?:" + SURNAMES + r")[가-힣]{1,2}\s?(?:님|씨|고객|환자|선생님)", R,
         "name_stop_words", hint="name", stop_words=HONORIFIC_STOP_WORDS),
)

COLUMN_RULES: tuple[ColumnRule, ...] = (
    ColumnRule("KR_NAME_COLUMN", "name", r"(?=[가-힣]{2,4}$)(?:" + SURNAMES + r")[가-힣]*", R,
               "name_stop_words", LABEL_STOP_WORDS + HONORIFIC_STOP_WORDS,
               note="2-4 Hangul syllables starting with a surname; the share is reported"),
    ColumnRule("KR_RRN_OR_FRN", "rrn", r"\d{6}\s?[-–]?\s?\d{7}", B, "rrn_checksum",
               note="any 13-digit value, even with an invalid date part"),
    ColumnRule("KR_PHONE_COLUMN", "phone", r"\+?[\d\s().-]{9,20}", R, "phone_digits",
               note="9-11 digits starting with 0 or 1; counted as KR_MOBILE or KR_LANDLINE"),
)

RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}
# Ids a report may carry: the patterns and the column-only ones.
PATTERN_IDS: tuple[str, ...] = (*RULES_BY_ID, "KR_NAME_COLUMN")


def table_rows() -> list[dict[str, Any]]:
    """The table as plain rows (what curators see, and what the version hashes)."""
    rows: list[dict[str, Any]] = [{"kind": "pattern", **asdict(rule)} for rule in RULES]
    rows += [{"kind": "column", **asdict(rule)} for rule in COLUMN_RULES]
    rows.append({"kind": "hints", "hints": {k: list(v) for k, v in COLUMN_HINTS.items()}})
    return rows


def _version() -> str:
    canonical = json.dumps(table_rows(), ensure_ascii=False, sort_keys=True,
                           separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


TABLE_VERSION = _version()

COMPILED: dict[str, re.Pattern[str]] = {rule.id: re.compile(rule.regex) for rule in RULES}
COLUMN_COMPILED: dict[str, re.Pattern[str]] = {
    rule.hint: re.compile(rule.regex) for rule in COLUMN_RULES
}


def normalize_header(name: str) -> str:
    return name.lower().replace(" ", "").replace("_", "")


def header_hints(name: str) -> frozenset[str]:
    """The hint kinds a column header announces (section 2.2)."""
    key = normalize_header(unicodedata.normalize("NFKC", name))
    return frozenset(kind for kind, words in COLUMN_HINTS.items()
                     if any(word in key for word in words))
