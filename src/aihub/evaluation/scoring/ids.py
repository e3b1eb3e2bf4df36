"""From submission ids to solution rows, without joins or sorts.

Aligning a submission is the hot path of scoring (docs: reference/scoring-performance.md):
a Polars join costs seconds at 10M rows and an ``argsort`` of the ids about as much. So the
solution's ids are prepared once, into one of two lookup structures cached with the truth:

- ``DenseIndex``: integer ids spanning a range at most a few times the row count become a
  plain table ``row = table[id - low]``; a lookup is one NumPy gather.
- ``HashIndex``: sparse integer ids and text ids go into an open-addressing hash table
  held in a NumPy array, built once with one sort and probed with vectorised gathers (one
  ``np.take`` of a 16-byte slot per probe, about 1.3 probes per id at load factor 1/3).
  Text ids are first hashed to 64 bits by Polars; a second, independent 31-bit hash is
  stored beside each slot, so a false match needs two unrelated hashes to collide at once.

- ``PatternIndex``: text ids of one prefix and a number (``TEST_00017``) are turned into
  that number, vectorised in Polars, and looked up as integers.

How ids compare: as integers when every solution id is an integer (so ``007`` matches
``7``, the way Excel rewrites ids), otherwise as exact text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import polars as pl

IntArray = npt.NDArray[np.int64]
IdMode = Literal["int", "str"]

# A dense table may use this many slots per id before the hash table is cheaper in memory.
# Hash table slots per id: at 3 (48 bytes per id) a 10M-id lookup takes about 0.3 s against
# 0.45 s at 2; memory is the price, and only huge solutions pay much of it.
_SLOTS_PER_ID = 3
# A dense table of int32 up to 8 slots per id costs less memory than the hash table and
# needs one gather instead of several probes.
_DENSE_SLOTS_PER_ID = 8
_DIGITS = "0123456789"
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
    # One select: Polars computes both hashes in parallel (25 ms at 10M ids).
    hashes = (
        ids.cast(pl.String)
        .to_frame("id")
        .select(
            pl.col("id").hash(_KEY_SEED + salt).alias("key"),
            pl.col("id").hash(_CHECK_SEED + salt).alias("check"),
        )
    )
    key = np.ascontiguousarray(hashes["key"].to_numpy()).view(np.int64)
    check = (hashes["check"].to_numpy() >> np.uint64(33)).astype(np.int64)
    return key, check


@dataclass(frozen=True)
class TextPattern:
    """Text ids that are one prefix and a number, like ``TEST_00017``: keyed by the number.

    Most challenges name rows so; an integer key then allows the dense table, and turning
    text into it costs less than hashing plus probing. ``width`` is the number of digits
    when every id is zero-padded to the same width, 0 when numbers are written plainly.
    The mapping is one-to-one: an id matches only written exactly that way.
    """

    prefix: str
    width: int

    @classmethod
    def find(cls, ids: pl.Series) -> TextPattern | None:
        """The pattern every one of these (unique, non-null) ids follows, if there is one."""
        low, high = ids.min(), ids.max()
        if not isinstance(low, str) or not isinstance(high, str):
            return None
        # Every text between the smallest and the largest shares their common prefix.
        shared = 0
        while shared < min(len(low), len(high)) and low[shared] == high[shared]:
            shared += 1
        prefix = low[:shared].rstrip(_DIGITS)
        digits = ids.str.slice(len(prefix))
        if not digits.str.contains(r"^[0-9]{1,18}$").all():
            return None
        lengths = digits.str.len_bytes()
        if lengths.min() == lengths.max():
            return cls(prefix, int(lengths[0]))
        if (digits.str.starts_with("0") & (lengths > 1)).any():
            return None  # mixed padding: "07" and "123" would not map one-to-one
        return cls(prefix, 0)

    def keys(self, ids: pl.Series) -> IntArray:
        """The number in each id; -1 for ids not of this form (never a solution key)."""
        # Plain column operations, no regex: Polars runs one several times slower.
        size = len(self.prefix.encode())
        text = pl.col("id")
        parts = (
            ids.cast(pl.String)
            .to_frame("id")
            .select(
                text.str.starts_with(self.prefix).alias("prefixed"),
                text.str.len_bytes().alias("length"),
                text.str.slice(len(self.prefix)).alias("digits"),
            )
        )
        digits = pl.col("digits")
        length = pl.col("length")
        # Integer parsing also takes a sign, which an id's number must not have.
        shape = pl.col("prefixed") & ~digits.str.starts_with("+") & ~digits.str.starts_with("-")
        if self.width:
            shape &= length == size + self.width
        else:
            shape &= (length <= size + 18) & ~(digits.str.starts_with("0") & (length > size + 1))
        keys = parts.select(
            shape.alias("valid"), digits.cast(pl.Int64, strict=False).fill_null(-1).alias("key")
        )
        return np.where(keys["valid"].to_numpy(), keys["key"].to_numpy(), -1).astype(np.int64)


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
        limit = _DENSE_SLOTS_PER_ID * keys.size + 1024
        if high - low + 1 > limit:
            return None
        if low >= 0 and high + 1 <= limit:
            # Ids counted from 0 or 1 (the usual case) then index the table as they are,
            # saving a subtraction over every submitted id.
            low = 0
        table = np.full(high - low + 1, _EMPTY, dtype=np.int32)
        table[keys - low] = np.arange(keys.size, dtype=np.int32)
        return cls(low, table)

    def lookup(self, keys: IntArray, checks: IntArray | None = None) -> IntArray:
        if keys.size == 0:
            return np.empty(0, dtype=np.int64)
        offsets = keys - self.low if self.low else keys
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
        n_slots = max(_SLOTS_PER_ID * n, 8)
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
        slots = self._home(keys, self.n_slots)
        want = None if checks is None else checks << np.int64(32)
        rows: IntArray | None = None
        pending: npt.NDArray[np.intp] | None = None
        # Each round probes one slot for every id still looking; the first round covers all
        # ids without any boolean compress (slow in NumPy on random masks), and about one
        # id in five goes round again.
        while True:
            slot = np.take(self.table, slots, axis=0)
            packed = slot[:, 1]
            match = slot[:, 0] == keys
            if want is None:
                # Integer keys have no check bits, so packed is the row; an empty slot whose
                # key happens to match gives -1, which is right: the probe ends there.
                found = np.where(match, packed, _EMPTY)
            else:
                # An empty slot's packed is -1, whose check bits never equal a real check.
                match &= (packed & ~_ROW_MASK) == want
                found = np.where(match, packed & _ROW_MASK, _EMPTY)
            if pending is None:
                rows = found
            else:
                assert rows is not None
                rows[pending] = found
            going = np.flatnonzero(~match & (packed != _EMPTY))
            if not going.size:
                assert rows is not None
                return rows
            pending = going if pending is None else pending[going]
            keys, slots = keys[going], slots[going] + 1
            want = None if want is None else want[going]

    def arrays(self) -> dict[str, Any]:
        return {
            "key": self.table[:, 0],
            "packed": self.table[:, 1],
            "n_slots": self.n_slots,
            "salt": self.salt,
        }


class PatternIndex:
    """Text ids following a ``TextPattern``, looked up by their number."""

    kind = "pattern"

    def __init__(self, pattern: TextPattern, inner: DenseIndex | HashIndex) -> None:
        self.pattern = pattern
        self.inner = inner

    def arrays(self) -> dict[str, Any]:
        return {"prefix": self.pattern.prefix, "width": self.pattern.width}


IdIndex = DenseIndex | HashIndex | PatternIndex


def _int_index(keys: IntArray) -> DenseIndex | HashIndex:
    return DenseIndex.build(keys) or HashIndex.build(keys)


def build_index(ids: pl.Series, mode: IdMode) -> IdIndex:
    """The lookup structure for a solution's (unique, non-null) ids in truth order."""
    if mode == "int":
        return _int_index(as_int_keys(ids))
    pattern = TextPattern.find(ids)
    if pattern is not None:
        return PatternIndex(pattern, _int_index(pattern.keys(ids)))
    for salt in range(_MAX_SALTS):
        keys, checks = as_str_keys(ids, salt)
        # Two solution ids sharing a 64-bit key could not both be found: rehash.
        if pl.Series(keys).n_unique() == keys.size:
            return HashIndex.build(keys, checks, salt)
    raise ValueError("the solution's ids collide under every hash seed tried")


def pattern_index(ids: pl.Series, prefix: str, width: int) -> PatternIndex:
    """Rebuild a ``PatternIndex`` (the disk cache stores only the pattern)."""
    pattern = TextPattern(prefix, width)
    return PatternIndex(pattern, _int_index(pattern.keys(ids)))


def lookup(index: IdIndex, ids: pl.Series, mode: IdMode) -> IntArray:
    """The truth row of each id, -1 for ids not in the solution (``ids`` holds no nulls)."""
    if isinstance(index, PatternIndex):
        return index.inner.lookup(index.pattern.keys(ids))
    if mode == "int":
        return index.lookup(as_int_keys(ids))
    assert isinstance(index, HashIndex)
    keys, checks = as_str_keys(ids, index.salt)
    return index.lookup(keys, checks)
