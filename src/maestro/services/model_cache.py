"""Loaded models kept in memory between predictions: an LRU bounded by entry count."""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any


class ModelCache:
    """Thread-safe LRU of loaded models, keyed by (version id, sha256).

    The sha256 in the key means a key can never name stale bytes. Loading happens outside the
    cache lock (it can take seconds), but under a per-key lock, so N threads asking for the same
    cold model load it once and the others wait for that result.
    """

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max(0, max_entries)
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._loading: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()
        self.loads = 0  # how many times a loader ran; tests use it to see cache hits

    def get_or_load(self, key: Hashable, loader: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
            key_lock = self._loading.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._entries:
                    self._entries.move_to_end(key)
                    return self._entries[key]
            try:
                value = loader()
                self.loads += 1
            except BaseException:
                with self._lock:
                    self._loading.pop(key, None)
                raise
            with self._lock:
                if self.max_entries:
                    self._entries[key] = value
                    while len(self._entries) > self.max_entries:
                        self._entries.popitem(last=False)
                self._loading.pop(key, None)
            return value

    def discard(self, match: Callable[[Hashable], bool]) -> None:
        """Drop every entry whose key matches (e.g. the versions of a deleted model)."""
        with self._lock:
            for key in [k for k in self._entries if match(k)]:
                del self._entries[key]

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._entries
