from __future__ import annotations

from aihub.evaluation.prepared import PreparedCache


def test_take_removes_and_lru_bounds() -> None:
    cache: PreparedCache[int] = PreparedCache(max_items=2)
    cache.put(("a", "s", "f"), 1)
    cache.put(("b", "s", "f"), 2)
    cache.put(("c", "s", "f"), 3)
    assert len(cache) == 2
    assert cache.take(("a", "s", "f")) is None
    assert cache.take(("b", "s", "f")) == 2
    assert cache.take(("b", "s", "f")) is None
