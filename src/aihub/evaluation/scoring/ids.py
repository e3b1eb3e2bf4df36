"""From submission ids to solution rows, without joins or sorts.

Aligning a submission is the hot path of scoring (docs: reference/scoring-performance.md):
a Polars join costs seconds at 10M rows and an ``argsort`` of the ids about as much. So the
solution's ids are prepared once, into one of two lookup structures cached with the truth:

- ``DenseIndex``: integer ids spanning a range at most a few times the row count become a
  plain table ``row = table[id - low]``; a lookup is one NumPy gather.
- ``HashIndex``: sparse integer ids and text ids go into an open-addressing hash table
  held in a NumPy array, built once with one sort and probed with vectorised gathers (one
  ``np.take`` of a 16-byte slot per probe, about 1.5 probes per id at load factor 1/2).
  Text ids are first hashed to 64 bits by Polars; a second, independent 31-bit hash is
  stored beside each slot, so a false match needs two unrelated hashes to collide at once.

How ids compare: as integers when every solution id is an integer (so ``007`` matches
``7``, the way Excel rewrites ids), otherwise as exact text.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import polars as pl

IntArray = npt.NDArray[np.int64]
IdMode = Literal["int", "str"]

# A dense table may use this many slots per id before the hash table is cheaper in memory.
_DENSE_SLOTS_PER_ID = 4
# Seeds for the two Polars string hashes; fixed so every worker builds the same keys.
_KEY_SEED = 0x5EED_0001
_CHECK_SEED = 0x0C4E_C001
_MAX_SALTS = 8
_EMPTY = -1
_ROW_MASK = np.int64(0x7FFF_FFFF)
_FIB = np.uint64(0x9E37_79B9_7F4A_7C15)


def as_int_keys(ids: pl.Series) -> IntArray:
    """Integer ids as a contiguous int64 array (the Series must hold no nulls)."""
    return np.ascontiguousarray(ids.cast(pl.Int64).to_numpy(), dtype=np.int64)


def as_str_keys(ids: pl.Series, salt: int = 0) -> tuple[IntArray, IntArray]:
    """Text ids as (64-bit key, 31-bit check), two independent hashes.

    ``salt`` changes both hashes; the solution picks another salt in the (about one in
    10^12 at 10M ids) case that two of its ids share a key.
    """
    text = ids.cast(pl.String)
    key = text.hash(_KEY_SEED + salt).to_numpy().view(np.int64)
    check = (text.hash(_CHECK_SEED + salt).to_numpy() >> np.uint64(33)).astype(np.int64)
    return np.ascontiguousarray(key, dtype=np.int64), check


class DenseIndex:
    """Integer ids in a compact range: ``rows = table[id - low]``, -1 where no id."""

    kind = "dense"

    def __init__(self, low: int, table: npt.NDArray[np.int32]) -> None:
        self.low = low
        self.table = table
        self.table.setflags(write=False)

    @classmethod
    def build(cls, keys: IntArray) -> DenseIndex | None:
        """The dense table for these (unique) ids, or None when they are too sparse."""
        if keys.size == 0:
            return None
        low, high = int(keys.min()), int(keys.max())
        span = high - low + 1
        if span > _DENSE_SLOTS_PER_ID * keys.size + 1024:
            return None
        table = np.full(span, _EMPTY, dtype=np.int32)
        table[keys - low] = np.arange(keys.size, dtype=np.int32)
        return cls(low, table)

    def lookup(self, keys: IntArray, checks: IntArray | None = None) -> IntArray:
        if keys.size == 0:
            return np.empty(0, dtype=np.int64)
        offsets = keys - self.low
        span = self.table.size
        if int(offsets.min()) >= 0 and int(offsets.max()) < span:
            # The common case: every id in range, a single gather.
            return np.take(self.table, offsets).astype(np.int64)
        inside = (offsets >= 0) & (offsets < span)
        rows = np.full(keys.size, _EMPTY, dtype=np.int64)
        rows[inside] = np.take(self.table, offsets[inside])
        return rows

    def arrays(self) -> dict[str, Any]:
        return {}


class HashIndex:
    """Open addressing with linear probing over a ``(slots, 2)`` int64 array.

    Column 0 holds the key; column 1 packs the 31-bit check above the 32-bit row, or -1
    for an empty slot. Keys are placed in order of their home slot, so every id sits in an
    unbroken run of filled slots starting at its home and a probe stops at the first gap.
    """

    kind = "hash"

    def __init__(self, table: IntArray, n_slots: int, salt: int = 0) -> None:
        self.table = table
        self.n_slots = n_slots
        self.salt = salt
        self.table.setflags(write=False)

    @staticmethod
    def _home(keys: IntArray, n_slots: int) -> npt.NDArray[np.intp]:
        # Fibonacci hashing mixes sequential ids; the high 32 bits times n_slots, shifted,
        # maps them onto [0, n_slots) without a modulo (Lemire's range reduction).
        mixed = keys.view(np.uint64) * _FIB
        return ((mixed >> np.uint64(32)) * np.uint64(n_slots) >> np.uint64(32)).astype(np.intp)

    @classmethod
    def build(cls, keys: IntArray, checks: IntArray | None = None, salt: int = 0) -> HashIndex:
        """Build from unique keys; ``checks`` (31-bit, non-negative) guard text ids."""
        n = keys.size
        n_slots = max(2 * n, 8)
        home = cls._home(keys, n_slots)
        order = np.argsort(home, kind="stable")
        sorted_home = home[order]
        steps = np.arange(n, dtype=np.intp)
        # Each key takes max(its home, the previous key's slot + 1): linear probing's result
        # for this insertion order, computed with one running maximum instead of a loop.
        slots = np.maximum.accumulate(sorted_home - steps) + steps if n else steps
        # Always one empty slot past the last run, so no probe needs to wrap around.
        size = max(n_slots, int(slots[-1]) + 1 if n else 0) + 1
        table = np.zeros((size, 2), dtype=np.int64)
        table[:, 1] = _EMPTY
        table[slots, 0] = keys[order]
        packed = order.astype(np.int64)
        if checks is not None:
            packed |= checks[order] << np.int64(32)
        table[slots, 1] = packed
        return cls(table, n_slots, salt)

    def lookup(self, keys: IntArray, checks: IntArray | None = None) -> IntArray:
        home = self._home(keys, self.n_slots)
        want = None if checks is None else checks << np.int64(32)
        # First probe over all ids without any boolean compress (the slow NumPy operation
        # on random masks); only the ids not at their home slot go round the loop.
        rows, going = self._probe(np.take(self.table, home, axis=0), keys, want)
        pending = np.flatnonzero(going)
        step = 1
        while pending.size:
            slot = np.take(self.table, home[pending] + step, axis=0)
            found, going = self._probe(slot, keys[pending], None if want is None else want[pending])
            hit = found != _EMPTY
            rows[pending[hit]] = found[hit]
            pending = pending[going]
            step += 1
        return rows

    @staticmethod
    def _probe(
        slot: IntArray, keys: IntArray, want: IntArray | None
    ) -> tuple[IntArray, npt.NDArray[np.bool_]]:
        """Rows found in these slots (-1 if not) and which ids must probe the next slot."""
        packed = slot[:, 1]
        filled = packed != _EMPTY
        match = filled & (slot[:, 0] == keys)
        if want is not None:
            match &= (packed & ~_ROW_MASK) == want
        rows = np.where(match, packed & _ROW_MASK, _EMPTY)
        return rows, filled & ~match

    def arrays(self) -> dict[str, Any]:
        return {
            "key": self.table[:, 0],
            "packed": self.table[:, 1],
            "n_slots": self.n_slots,
            "salt": self.salt,
        }


IdIndex = DenseIndex | HashIndex


def build_index(ids: pl.Series, mode: IdMode) -> IdIndex:
    """The lookup structure for a solution's (unique, non-null) ids in truth order."""
    if mode == "int":
        keys = as_int_keys(ids)
        return DenseIndex.build(keys) or HashIndex.build(keys)
    for salt in range(_MAX_SALTS):
        keys, checks = as_str_keys(ids, salt)
        # Two solution ids sharing a 64-bit key could not both be found: rehash.
        if pl.Series(keys).n_unique() == keys.size:
            return HashIndex.build(keys, checks, salt)
    raise ValueError("the solution's ids collide under every hash seed tried")


def lookup(index: IdIndex, ids: pl.Series, mode: IdMode) -> IntArray:
    """The truth row of each id, -1 for ids not in the solution (``ids`` holds no nulls)."""
    if mode == "int":
        return index.lookup(as_int_keys(ids))
    assert isinstance(index, HashIndex)
    keys, checks = as_str_keys(ids, index.salt)
    return index.lookup(keys, checks)
