"""Distinct values of one column, counted batch by batch in bounded memory.

A column starts by counting its values (text and booleans only): while it has at most
``TOP_VALUES_MAX_DISTINCT`` short values, their counts are its top values and their number
its distinct count. Past that it keeps the 64-bit hashes of its distinct values, up to
``EXACT_DISTINCT_LIMIT``, and then a HyperLogLog sketch. Each batch asks Polars for one
expression per column (``expression``), all columns in one query; the results come back
through ``add``. Hashes are merged only when they might pass the limit, so most batches
cost no Python-side work per column (wide tables have a thousand columns).
"""

from __future__ import annotations

import polars as pl

from aihub.datasets.profile_sketch import HyperLogLog

EXACT_DISTINCT_LIMIT = 100_000
TOP_VALUES_MAX_DISTINCT = 100
# A value longer than this is not a category: the column's value counts stop there.
TOP_VALUE_MAX_CHARS = 200
_COUNT = "\x00count"


class DistinctCounter:
    def __init__(self) -> None:
        self.counts: dict[str, int] | None = {}
        self._exact = pl.Series(dtype=pl.UInt64)
        self._pending: list[pl.Series] = []
        self._pending_rows = 0
        self._sketch: HyperLogLog | None = None

    @property
    def approximate(self) -> bool:
        return self._sketch is not None

    def expression(self, name: str, dtype: pl.DataType) -> pl.Expr:
        """What this batch's ``add`` needs from column ``name``."""
        values = pl.col(name).drop_nulls()
        if self._sketch is not None:
            return values.hash()
        if self.counts is not None and dtype in (pl.String, pl.Boolean):
            return values.value_counts(name=_COUNT)
        return values.hash().unique()

    def add(self, found: pl.Series) -> None:
        """Fold in the batch's result of ``expression``."""
        if self._sketch is not None:
            self._sketch.add(found.to_numpy())
            return
        if isinstance(found.dtype, pl.Struct):
            counted = found.struct.unnest()
            self._add_counts(counted.to_series(0), counted.to_series(1))
            return
        if self.counts is not None:
            self._stop_counting(None)
        self._add_hashes(found)

    def count(self) -> int:
        if self.counts is not None:
            return len(self.counts)
        if self._sketch is not None:
            return self._sketch.estimate()
        self._merge()
        return len(self._exact)

    def _add_counts(self, values: pl.Series, counts: pl.Series) -> None:
        assert self.counts is not None
        if values.dtype == pl.Boolean:
            values = values.cast(pl.String).str.to_lowercase()
        if len(values) > TOP_VALUES_MAX_DISTINCT:
            self._stop_counting(values)
            return
        pairs = list(zip(values.to_list(), counts.to_list(), strict=True))
        if any(len(value) > TOP_VALUE_MAX_CHARS for value, _ in pairs):
            self._stop_counting(values)
            return
        for value, count in pairs:
            self.counts[value] = self.counts.get(value, 0) + count
        if len(self.counts) > TOP_VALUES_MAX_DISTINCT:
            self._stop_counting(None)

    def _stop_counting(self, values: pl.Series | None) -> None:
        """Turn the counted values (and ``values``) into hashes, as if hashed all along."""
        assert self.counts is not None
        seen = pl.Series(list(self.counts), dtype=pl.String)
        if values is not None:
            seen = pl.concat([seen, values.cast(pl.String)])
        self.counts = None
        self._add_hashes(seen.hash().unique())

    def _add_hashes(self, hashes: pl.Series) -> None:
        self._pending.append(hashes)
        self._pending_rows += len(hashes)
        if len(self._exact) + self._pending_rows <= EXACT_DISTINCT_LIMIT:
            return
        self._merge()
        if len(self._exact) > EXACT_DISTINCT_LIMIT:
            self._sketch = HyperLogLog()
            self._sketch.add(self._exact.to_numpy())
            self._exact = pl.Series(dtype=pl.UInt64)

    def _merge(self) -> None:
        if self._pending:
            # unique() of a Polars series of hashes is several times faster than a set.
            self._exact = pl.concat([self._exact, *self._pending]).unique()
            self._pending, self._pending_rows = [], 0
