"""Checked predictions handed from the upload request to a worker in the same process.

The quick check at upload time already reads and aligns the file; keeping the result for a
moment lets an in-process worker score it without parsing the file a second time. Keys are
content addresses (the submission's and the solution's sha256 and the scoring spec), so an
entry can never be used for other bytes; a worker in another process, or one that finds the
entry gone, simply reads the file again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Generic, TypeVar

T = TypeVar("T")


class PreparedCache(Generic[T]):
    def __init__(self, max_items: int = 32) -> None:
        self._items: OrderedDict[tuple[str, str, str], T] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_items

    def put(self, key: tuple[str, str, str], value: T) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._max:
                self._items.popitem(last=False)

    def take(self, key: tuple[str, str, str]) -> T | None:
        """The entry, removed: each upload is scored from memory at most once."""
        with self._lock:
            return self._items.pop(key, None)

    def __len__(self) -> int:
        return len(self._items)
