"""The fq subset: what clients send is read, the rest refused with what is supported."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aihub.interop.ckan.fq import FqError, FqFilter, parse_fq, split_q


def test_field_value_pairs_become_filters_anded() -> None:
    query = parse_fq('organization:daejeon-city tags:"air quality" AND license_id:KOGL-1')
    assert query.filters == [
        FqFilter("organization", ("daejeon-city",)),
        FqFilter("tag", ("air quality",)),
        FqFilter("licence", ("KOGL-1",)),
    ]
    assert not query.impossible


def test_plus_prefix_and_owner_org_and_name() -> None:
    query = parse_fq("+owner_org:gwangju +name:bus-stops")
    assert query.filters == [FqFilter("organization", ("gwangju",)),
                             FqFilter("name", ("bus-stops",))]


@pytest.mark.parametrize("fq", ["tags:a OR tags:b", "tags:(a OR b)", "tags:( a OR  b )",
                                "tags:a || tags:b", 'tags:("a" OR b)'])
def test_or_within_one_field(fq: str) -> None:
    assert parse_fq(fq).filters == [FqFilter("tag", ("a", "b"))]


@pytest.mark.parametrize("fq", ["-tags:a", "NOT tags:a", "-tags:(a)"])
def test_negation(fq: str) -> None:
    assert parse_fq(fq).filters == [FqFilter("tag", ("a",), negate=True)]


def test_negated_group_excludes_every_value() -> None:
    assert parse_fq("-res_format:(CSV OR Parquet)").filters == [
        FqFilter("format", ("csv", "parquet"), negate=True)]


def test_korean_values_escapes_and_repeats() -> None:
    query = parse_fq(r'tags:대기질 tags:"교통 속도" name:a\:b tags:(x OR x)')
    assert [f.values for f in query.filters] == [("대기질",), ("교통 속도",), ("a:b",), ("x",)]


def test_several_fq_strings_and_match_all() -> None:
    query = parse_fq("*:*", "", "tags:a", "access_tier:open")
    assert query.filters == [FqFilter("tag", ("a",)), FqFilter("tier", ("open",))]


@pytest.mark.parametrize(("fq", "impossible"), [
    ("dataset_type:dataset", False), ("+dataset_type:dataset tags:a", False),
    ("-dataset_type:harvest", False), ("dataset_type:harvest", True),
    ("groups:transport", True), ("-groups:transport", False),
])
def test_fields_with_a_fixed_answer(fq: str, impossible: bool) -> None:
    assert parse_fq(fq).impossible is impossible


@pytest.mark.parametrize(("fq", "said"), [
    ("author:kim", "the field 'author' is not supported"),
    ("tags:a OR name:b", "OR joins values of one field only"),
    ("tags:a OR -tags:b", "OR joins values of one field only"),
    ("tags:air*", "wildcards"),
    ("metadata_modified:[2024 TO *]", "ranges"),
    ("name:[a", "ranges"),
    ("traffic", "cannot read 'traffic'"),
    ("tags:a AND", "ends with an operator"),
    ("OR tags:a", "OR must stand between two clauses"),
    ("tags:a AND OR tags:b", "OR must stand between two clauses"),
    ("tags:(a b)", "separate values with OR"),
    ("tags:(a OR)", "ends without a value"),
    ('tags:""', "a value is empty"),
    ("tags:(a OR b", "cannot read"),
    ("NOT", "ends with an operator"),
    ("x" * 2001, "the limit is 2000"),
])
def test_refusals_say_what_and_what_works(fq: str, said: str) -> None:
    with pytest.raises(FqError) as caught:
        parse_fq(fq)
    assert said in str(caught.value)
    assert "aihub supports field:value for access_tier, license_id" in str(caught.value)


def test_too_many_values() -> None:
    with pytest.raises(FqError, match="101 values for tags"):
        parse_fq("tags:(" + " OR ".join(f"t{i}" for i in range(101)) + ")")


@pytest.mark.parametrize(("q", "text", "filters"), [
    ("*:*", "", []), ("*", "", []), ("", "", []),
    ("traffic", "traffic", []),
    ("교통 tags:bus", "교통", [FqFilter("tag", ("bus",))]),
    ('tags:"air quality" 대기', "대기", [FqFilter("tag", ("air quality",))]),
    ("note: something", "note: something", []),  # not a known field: text
    ("author:kim traffic", "author:kim traffic", []),
])
def test_q_text_and_the_clauses_in_it(q: str, text: str, filters: list[FqFilter]) -> None:
    found_text, query = split_q(q)
    assert (found_text, query.filters) == (text, filters)


def test_q_with_an_impossible_clause() -> None:
    assert split_q("groups:x bus")[1].impossible


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_text_is_read_or_refused_with_fq_error(fq: str) -> None:
    try:
        query = parse_fq(fq)
    except FqError as exc:
        assert "aihub supports" in str(exc)
    else:
        assert all(f.values and all(v.strip() for v in f.values) for f in query.filters)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="tagsnme:()\"-+ ORANDNOT*\\x대기", max_size=40))
def test_syntax_soup_never_escapes_as_another_error(fq: str) -> None:
    try:
        parse_fq(fq)
        split_q(fq)
    except FqError:
        pass
