"""A per-process LRU of trace responses, bounded in bytes.

A trace is a pure function of its request (random inputs and dropout masks come from explicit seeds), so the
JSON bytes of a small trace can be served again to the same request: the page's default view and shared links
ask for the same traces over and over. Keys are the canonical request (validated, dumped), so two spellings of
one request share an entry.

    >>> cache = ResponseCache(max_bytes=1000)
    >>> cache.put(b"k", b"12345"); cache.get(b"k")
    b'12345'
"""

from __future__ import annotations

from collections import OrderedDict


class ResponseCache:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._entries: OrderedDict[bytes, bytes] = OrderedDict()

    def get(self, key: bytes) -> bytes | None:
        value = self._entries.get(key)
        if value is not None:
            self._entries.move_to_end(key)
        return value

    def put(self, key: bytes, value: bytes) -> None:
        cost = len(key) + len(value)
        if cost > self.max_bytes // 8:  # one entry never takes more than an eighth of the budget
            return
        if key in self._entries:
            return
        self._entries[key] = value
        self.size += cost
        while self.size > self.max_bytes:
            old_key, old_value = self._entries.popitem(last=False)
            self.size -= len(old_key) + len(old_value)

    def __len__(self) -> int:
        return len(self._entries)
