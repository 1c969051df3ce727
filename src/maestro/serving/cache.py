"""Loaded models kept in a worker between requests: an LRU bounded by bytes, not entries.

Each entry is charged its size (a skops archive's inflated size, an ONNX file's length); adding
one evicts the least recently used until the total fits. An entry larger than the whole budget
is used for its request and not kept, so one huge model cannot flush every other model forever.
"""

from collections import OrderedDict
from typing import Generic, TypeVar

V = TypeVar("V")


class ByteBoundedCache(Generic[V]):
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max(0, max_bytes)
        self.used_bytes = 0
        self._entries: OrderedDict[str, tuple[V, int]] = OrderedDict()

    def get(self, key: str) -> V | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        self._entries.move_to_end(key)
        return entry[0]

    def put(self, key: str, value: V, size: int) -> bool:
        """Keep `value`, evicting older entries; False when it alone exceeds the budget."""
        self.discard(key)
        if size > self.max_bytes:
            return False
        while self._entries and self.used_bytes + size > self.max_bytes:
            _, (_, evicted) = self._entries.popitem(last=False)
            self.used_bytes -= evicted
        self._entries[key] = (value, size)
        self.used_bytes += size
        return True

    def discard(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self.used_bytes -= entry[1]

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: str) -> bool:
        return key in self._entries
