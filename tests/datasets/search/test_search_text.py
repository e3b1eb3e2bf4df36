"""How text becomes words, grams and terms: the same rules on both sides of a search."""

from __future__ import annotations

import pytest

from aihub.datasets.search_index import format_name
from aihub.datasets.search_text import (
    MAX_QUERY,
    MAX_TERMS,
    TermKind,
    grams,
    joined_runs,
    parse_terms,
    searchable,
    words,
)
from aihub.errors import FieldErrors


def test_words_fold_case_width_and_split_at_punctuation() -> None:
    assert words("대전광역시_교통속도 (PM2.5) Ｔｒａｆｆｉｃ Straße") == [
        "대전광역시", "교통속도", "pm2", "5", "traffic", "strasse"]
    assert words('"q" NEAR(a) -x:* \x00\ud800') == ["q", "near", "a", "x"]


def test_decomposed_hangul_is_composed() -> None:
    assert words("\u1100\u1173\u11b7") == ["금"]  # NFD jamo, as macOS writes file names


def test_hangul_runs_are_also_read_joined() -> None:
    assert joined_runs(["미세", "먼지", "pm10", "농도", "측정"]) == ["미세먼지", "농도측정"]
    assert searchable(["미세 먼지", "AI 데이터"]) == " 미세 먼지 미세먼지 ai 데이터 "


def test_grams_are_pieces_of_hangul_and_starts_of_other_words() -> None:
    assert grams(["교통속", "traffic"]) == ["t", "tr", "교", "교통", "속", "통", "통속"]


def test_terms_by_length_and_script() -> None:
    terms = parse_terms("교 교통 교통속도 traffic ai 교통")
    assert [(t.text, t.kind) for t in terms] == [
        ("교", TermKind.SHORT), ("교통", TermKind.SHORT), ("교통속도", TermKind.INSIDE),
        ("traffic", TermKind.START), ("ai", TermKind.SHORT)]
    assert [t.needle for t in terms] == ["교", "교통", "교통속도", " traffic", " ai"]
    assert parse_terms("*:* -- \"\"") == []


def test_a_long_text_or_too_many_words_is_refused_with_the_limit() -> None:
    with pytest.raises(FieldErrors, match=f"the limit is {MAX_QUERY}"):
        parse_terms("가" * (MAX_QUERY + 1))
    with pytest.raises(FieldErrors, match=f"the limit is {MAX_TERMS}"):
        parse_terms(" ".join(f"w{i}" for i in range(MAX_TERMS + 1)))
    assert len(parse_terms(" ".join(["same"] * 30))) == 1  # repeats count once


@pytest.mark.parametrize(("media_type", "name"), [
    ("text/csv", "csv"), ("application/vnd.apache.parquet", "parquet"),
    ("application/x-parquet", "parquet"), ("application/jsonl", "jsonl"),
    ("application/jsonlines", "jsonl"), ("image/png", "image"), ("audio/wav", "audio"),
    ("application/zip", "zip"), ("text/csv; charset=utf-8", "csv"),
    ("application/x-hdf5", "hdf5"), ("application/vnd.geo+json", "geo+json"),
])
def test_format_names(media_type: str, name: str) -> None:
    assert format_name(media_type) == name
