"""A bounded, version-checked cache of index units for the Elasticsearch backend.

Why: on Elasticsearch 7.10 (Lucene 8.7) reading a hit's stored ``_source`` means decompressing a
stored-fields block, and that fetch phase was two thirds of a 60-candidate search on the
project's own index (22 ms of ``took`` with ``_source``, 8 ms when the hits carry only doc
values; measured in ``bench/README.md``). The search therefore asks only for each hit's index,
uid, ``_seq_no`` and ``_primary_term`` (all doc values) and takes the unit's body from here.

Exactness: an entry is keyed by (concrete index, uid) and remembers the (``_seq_no``,
``_primary_term``) of the version it holds. Elasticsearch gives every write of a document a new
sequence number, and a re-index goes into a new concrete index, so an entry whose version matches
the hit's is exactly the stored document -- never a stale copy. Mismatches and misses are read
again (one ``mget``) by the backend.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from search.types import IndexDoc

Version = tuple[int, int]


class UnitCache:
    """Least-recently-used map (index, uid) → (version, unit), at most ``capacity`` entries.

    Thread-safe: the gateway's console and the action server search from several threads.
    ``capacity`` 0 disables caching (every lookup misses)."""

    def __init__(self, capacity: int) -> None:
        if capacity < 0:
            raise ValueError("capacity must be >= 0")
        self.capacity = capacity
        self._entries: OrderedDict[tuple[str, str], tuple[Version, IndexDoc]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, index: str, uid: str, version: Version) -> IndexDoc | None:
        """The cached unit when it is exactly ``version`` of ``uid`` in ``index``, else None."""
        key = (index, uid)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] != version:
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, index: str, uid: str, version: Version, doc: IndexDoc) -> None:
        """Remember ``doc`` as ``version`` of ``uid`` in ``index``, evicting the least recently
        used entries beyond ``capacity``."""
        if self.capacity == 0:
            return
        key = (index, uid)
        with self._lock:
            self._entries[key] = (version, doc)
            self._entries.move_to_end(key)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        """Forget everything (e.g. when the client is closed)."""
        with self._lock:
            self._entries.clear()
