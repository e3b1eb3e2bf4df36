"""The id lookup structures agree with a plain dict, for any ids."""

from __future__ import annotations

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from aihub.evaluation.scoring.ids import DenseIndex, HashIndex, build_index, lookup

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
    assert isinstance(index, HashIndex)
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
