"""The id lookup structures agree with a plain dict, for any ids."""

from __future__ import annotations

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from aihub.evaluation.scoring.ids import (
    DenseIndex,
    HashIndex,
    PatternIndex,
    TextPattern,
    build_index,
    lookup,
)

INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)


def reference(keys: list[object], queries: list[object]) -> list[int]:
    position = {key: row for row, key in enumerate(keys)}
    return [position.get(query, -1) for query in queries]


@settings(max_examples=200, deadline=None)
@given(st.sets(INT64, min_size=1, max_size=300), st.lists(INT64, max_size=50))
def test_sparse_integers(keys: set[int], others: list[int]) -> None:
    ordered = sorted(keys, key=hash)
    index = build_index(pl.Series(ordered, dtype=pl.Int64), "int")
    queries = ordered[::-1] + others
    got = lookup(index, pl.Series(queries, dtype=pl.Int64), "int")
    assert got.tolist() == reference(ordered, queries)


@settings(max_examples=100, deadline=None)
@given(st.sets(st.integers(-50, 400), min_size=1, max_size=300), st.lists(st.integers(-1000, 1000)))
def test_dense_integers(keys: set[int], others: list[int]) -> None:
    ordered = sorted(keys, reverse=True)
    index = build_index(pl.Series(ordered, dtype=pl.Int64), "int")
    assert isinstance(index, DenseIndex)
    queries = ordered + others
    got = lookup(index, pl.Series(queries, dtype=pl.Int64), "int")
    assert got.tolist() == reference(ordered, queries)


@settings(max_examples=100, deadline=None)
@given(st.sets(st.text(max_size=12), min_size=1, max_size=200), st.lists(st.text(max_size=12)))
def test_text(keys: set[str], others: list[str]) -> None:
    ordered = sorted(keys)
    index = build_index(pl.Series(ordered, dtype=pl.String), "str")
    assert isinstance(index, HashIndex | PatternIndex)
    queries = ordered[::-1] + others
    got = lookup(index, pl.Series(queries, dtype=pl.String), "str")
    assert got.tolist() == reference(ordered, queries)


def test_zero_key_is_not_confused_with_an_empty_slot() -> None:
    index = HashIndex.build(np.array([5 * 10**15, 7 * 10**15], dtype=np.int64))
    assert index.lookup(np.array([0, 5 * 10**15], dtype=np.int64)).tolist() == [-1, 0]


def test_long_probe_runs() -> None:
    # Keys that all hash to neighbouring slots still resolve, however long the run.
    keys = np.arange(0, 2000, dtype=np.int64) * (1 << 40)
    index = HashIndex.build(keys)
    assert np.array_equal(index.lookup(keys[::-1]), np.arange(2000)[::-1])


NUMBERS = st.integers(0, 10**6)
NEAR_MISSES = st.sampled_from(
    ["T-7", "T-07", "T-007", "T-0007", "T-+7", "T- 7", "t-7", "T-7 ", "T-", "T-x", "7", "T-07.0"]
)


@settings(max_examples=150, deadline=None)
@given(st.sets(NUMBERS, min_size=1, max_size=200), st.booleans(), st.lists(NEAR_MISSES | st.text()))
def test_prefix_and_number_ids(numbers: set[int], padded: bool, others: list[str]) -> None:
    keys = [f"T-{n:07d}" if padded else f"T-{n}" for n in sorted(numbers)]
    index = build_index(pl.Series(keys), "str")
    if padded or len(keys) == 1 or len({len(k) for k in keys}) > 1:
        assert isinstance(index, PatternIndex)
    queries = keys[::-1] + others
    assert lookup(index, pl.Series(queries), "str").tolist() == reference(keys, queries)


def test_patterns_found() -> None:
    assert TextPattern.find(pl.Series(["TEST_001", "TEST_002"])) == TextPattern("TEST_", 3)
    assert TextPattern.find(pl.Series(["id9", "id10"])) == TextPattern("id", 0)
    assert TextPattern.find(pl.Series(["id09", "id100"])) is None
    assert TextPattern.find(pl.Series(["a1", "b2"])) is None
    assert TextPattern.find(pl.Series(["x-1", "x-1b"])) is None
