"""Bad input to the search: clear refusals for what it cannot run, and any text at all
(FTS5 and LIKE syntax, NUL, lone surrogates, every script) answered without an error."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from search_helpers import Catalog

from aihub.datasets.search import Filter
from aihub.datasets.search_text import MAX_QUERY, MAX_TERMS, words
from aihub.errors import FieldErrors
from aihub.hub import Hub
from factories import Factories


@pytest.fixture
def catalog(hub: Hub, factories: Factories) -> Catalog:
    catalog = Catalog.make(hub, factories)
    catalog.dataset("speed", "대전교통속도예측", title_en="Traffic speed", tags=["a-b", "c.d"])
    catalog.dataset("quote", '"인용" 자료 NEAR(x y)', description_en="100% pure_data -minus")
    catalog.dataset("hidden", "숨은 교통 자료", publish=False)
    return catalog


def test_syntax_characters_are_words_or_nothing(catalog: Catalog) -> None:
    """FTS5 syntax (quotes, *, NEAR, -, :, column filters), LIKE's % and _, SQL, NUL and
    lone surrogates (which PostgreSQL cannot take) are no more than word separators."""
    cases = {
        '"': 2, '""': 2, '"교통': 1, "*": 2, "교통*": 1, "NEAR(교통 속도)": 0, "-교통": 1,
        "교통 -속도": 1, "doc:교통": 0, "grams:교": 0, "{doc}:x": 0, "교통 AND": 0,
        "(": 2, "^교통": 1, "%": 2, "_": 2, "%교%": 1, "\\": 2, "';DROP TABLE datasets;--": 0,
        "\x00": 2, "교\x00통": 1, "\ud800": 2, "🚌": 2, "ｔｒａｆｆｉｃ": 1, "TRAFFIC": 1,
        "near x y": 1, "100 pure data minus": 1, "a b": 1, "a" * MAX_QUERY: 0,
        "교" * MAX_QUERY: 0,
    }
    assert {text: catalog.search(text).count for text in cases} == cases


def test_what_the_search_cannot_run_is_refused_with_what_to_do(catalog: Catalog) -> None:
    cases = {
        "q": {"text": "교" * (MAX_QUERY + 1)},
        "offset": {"offset": -1},
        "limit": {"limit": -5},
        "facet_limit": {"facet_limit": -1},
        "sort": {"sort": "random"},
    }
    for field, options in cases.items():
        with pytest.raises(FieldErrors) as caught:
            catalog.search(**options)  # type: ignore[arg-type]
        assert field in caught.value.fields, options
    with pytest.raises(FieldErrors, match=f"limit is {MAX_TERMS}"):
        catalog.search(" ".join(f"단어{i}" for i in range(MAX_TERMS + 1)))
    with pytest.raises(FieldErrors, match="is not a filter"):
        catalog.search(filters=[Filter("colour", ("red",))])  # type: ignore[arg-type]
    with pytest.raises(FieldErrors, match="the limit is 100"):
        catalog.search(filters=[Filter("tag", tuple(str(i) for i in range(101)))])


SYNTAX = st.sampled_from(['"', "*", "NEAR", "(", ")", "-", ":", "AND", "OR", "NOT", "^", "{",
                          "}", "+", "%", "_", "\\", "'", " ", "교통", "교", "a", "\x00", "ß"])


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(st.text(max_size=MAX_QUERY),
                      st.lists(SYNTAX, max_size=30).map("".join)))
def test_any_text_is_answered(catalog: Catalog, text: str) -> None:
    try:
        result = catalog.search(text[:MAX_QUERY])
    except FieldErrors as refused:  # only for too many different words
        assert len(set(words(text[:MAX_QUERY]))) > MAX_TERMS, refused
        return
    assert 0 <= result.count <= 2
    assert len(result.dataset_ids) == result.count
