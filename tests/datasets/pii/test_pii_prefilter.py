"""The fast path finds exactly what the plain ``re`` table finds: the RE2 pre-filter never
drops a cell that holds a match, on the test vectors and on random text."""

from __future__ import annotations

from collections import Counter

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_pii_patterns import NEGATIVES, POSITIVE_CASES

from aihub.datasets.pii.analyse import analyse
from aihub.datasets.pii.detect import all_spans, could_match, find_hits, nfkc
from aihub.datasets.pii.fast import candidate_indices, is_stable, refilter, relax
from aihub.datasets.pii.patterns import COMPILED
from aihub.datasets.pii.sources import Batch, Column

VECTORS = [text for _, text in POSITIVE_CASES] + NEGATIVES
HINT_SETS = [frozenset(), frozenset({"name"}), frozenset({"rrn"}), frozenset({"phone"}),
             frozenset({"licence", "name"})]
# Pieces that make matches likely when glued together at random.
FRAGMENTS = [*VECTORS, " ", "\x1c", "\x0b", "-", "–", ".", "\n", "０", "١", "\u3000", "\xa0",
             "ㄱ", "e\u0301", "홍길동", "남궁", "님", "동", "호", "번지", "로 ", "@", "x", "9",
             "01", "1", "(", ")", "+82", "주민", "운전면허", "성명:"]
ALPHABET = ("0123456789-–.()+@:：*xX●○ \t\x0b\x1c동호번지로길가나서울구시님씨고객"
            "성명이름vMSR０１٣\u3000\xa0ㄱ")
cells = st.one_of(
    st.lists(st.sampled_from(FRAGMENTS), max_size=6).map("".join),
    st.text(alphabet=ALPHABET, max_size=30),
)


def _matches(text: str, hints: frozenset[str]) -> bool:
    """Any regex match at all (before validators) in the normalized text."""
    return bool(all_spans(nfkc(text), hints))


def _plain(texts: list[str], hints: frozenset[str]) -> Counter[tuple[str, str]]:
    return Counter((hit.pattern, str(hit.severity))
                   for text in texts for hit in find_hits(nfkc(text), hints))


def _fast(texts: list[str], hints: frozenset[str]) -> Counter[tuple[str, str]]:
    findings = analyse(Batch([pa.array(texts, pa.string())], 1), [Column("c", hints)])
    return Counter({(f.pattern, str(f.severity)): f.count for f in findings.by_key.values()})


def test_relax_drops_lookarounds_and_spells_out_python_classes() -> None:
    relaxed = relax(r"(?<!\d)a\d(?!x)[\s-]", {"d": "0-9", "s": " "})
    assert relaxed == "a[0-9][ -]"
    assert "\\x{660}" in relax(r"\d").lower()  # Arabic-Indic zero is a Python digit


@pytest.mark.parametrize("hints", HINT_SETS)
def test_every_vector_with_a_match_is_a_candidate(hints: frozenset[str]) -> None:
    chosen = set(candidate_indices(pa.array(VECTORS, pa.string()), hints))
    missed = [t for i, t in enumerate(VECTORS) if _matches(t, hints) and i not in chosen]
    assert missed == []


@pytest.mark.parametrize("hints", HINT_SETS)
def test_fast_path_counts_equal_plain_re_on_the_vectors(hints: frozenset[str]) -> None:
    assert _fast(VECTORS, hints) == _plain(VECTORS, hints)
    assert sum(_plain(VECTORS, frozenset()).values()) >= 61


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(cells, min_size=1, max_size=8), hints=st.sampled_from(HINT_SETS))
def test_fast_path_equals_plain_re_on_random_text(texts: list[str],
                                                  hints: frozenset[str]) -> None:
    chosen = set(candidate_indices(pa.array(texts, pa.string()), hints))
    assert all(i in chosen for i, t in enumerate(texts) if _matches(t, hints))
    assert _fast(texts, hints) == _plain(texts, hints)


@settings(max_examples=200, deadline=None)
@given(texts=st.lists(cells, min_size=1, max_size=8), hints=st.sampled_from(HINT_SETS))
def test_the_unicode_second_pass_keeps_every_match(texts: list[str],
                                                   hints: frozenset[str]) -> None:
    normalized = [nfkc(t) for t in texts]
    kept = refilter(normalized, hints)
    assert all(keep for keep, t in zip(kept, normalized, strict=True) if _matches(t, hints))


def test_non_ascii_digits_and_spaces_reach_the_exact_patterns() -> None:
    texts = ["연락처\u3000010\u00a01234\u00a05678", "٩٠٠١٠١", "０２－１２３－４５６７"]
    assert not any(is_stable(t) for t in texts)
    assert candidate_indices(pa.array(texts, pa.string())) == [0, 1, 2]
    assert _fast(texts, frozenset()) == _plain(texts, frozenset())
    assert _plain(texts, frozenset())[("KR_MOBILE", "REVIEW")] == 1


PYTHON_SPACES = [chr(c) for c in range(0x3001) if chr(c).isspace()]


@pytest.mark.parametrize("space", PYTHON_SPACES, ids=[f"U+{ord(s):04X}" for s in PYTHON_SPACES])
def test_every_python_whitespace_inside_a_vector_keeps_it_a_candidate(space: str) -> None:
    texts = [t.replace(" ", space) for t in VECTORS if " " in t]
    chosen = set(candidate_indices(pa.array(texts, pa.string())))
    assert [t for i, t in enumerate(texts) if _matches(t, frozenset()) and i not in chosen] == []
    assert _fast(texts, frozenset()) == _plain(texts, frozenset())


@settings(max_examples=300, deadline=None)
@given(text=cells)
def test_the_cheap_pre_checks_never_skip_a_rule_that_matches(text: str) -> None:
    normalized = nfkc(text)
    has_digit = any(c.isdecimal() for c in normalized)
    for rule_id, pattern in COMPILED.items():
        if pattern.search(normalized):
            assert could_match(rule_id, normalized, has_digit), rule_id


@pytest.mark.parametrize("text", VECTORS)
def test_the_pre_checks_pass_every_vector_its_patterns_match(text: str) -> None:
    normalized = nfkc(text)
    for rule_id, pattern in COMPILED.items():
        if pattern.search(normalized):
            assert could_match(rule_id, normalized, True), rule_id


@settings(max_examples=100, deadline=None)
@given(rows=st.lists(st.tuples(cells, cells, cells, cells), min_size=1, max_size=6))
def test_columns_filtered_together_give_each_column_its_own_findings(
        rows: list[tuple[str, str, str, str]]) -> None:
    columns = [Column("a"), Column("b"), Column("n", frozenset({"name"})), Column("c")]
    arrays = [pa.array([row[i] for row in rows], pa.string()) for i in range(4)]
    findings = analyse(Batch(arrays, 1), columns)
    fast = {(c, p, str(s)): f.count for (c, p, s), f in findings.by_key.items()}
    plain = {(column.name, pattern, severity): count
             for i, column in enumerate(columns)
             for (pattern, severity), count in _plain([row[i] for row in rows],
                                                      column.hints).items()}
    assert fast == plain
