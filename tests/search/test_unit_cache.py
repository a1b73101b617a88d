"""The version-checked LRU cache behind the Elasticsearch backend's hits."""

from __future__ import annotations

import pytest

from search.backends.unit_cache import UnitCache
from search.types import IndexDoc


def unit(uid: str, text: str = "正文") -> IndexDoc:
    return IndexDoc(uid=uid, source_kind="policy", title="标题", text=text, title_tokens="", body_tokens="")


def test_only_the_exact_version_is_served() -> None:
    cache = UnitCache(10)
    cache.put("idx-1", "a", (5, 1), unit("a", "旧"))
    assert cache.get("idx-1", "a", (5, 1)).text == "旧"  # type: ignore[union-attr]
    assert cache.get("idx-1", "a", (6, 1)) is None  # rewritten since
    assert cache.get("idx-1", "a", (5, 2)) is None  # another primary term
    assert cache.get("idx-2", "a", (5, 1)) is None  # another concrete index


def test_least_recently_used_is_evicted_first() -> None:
    cache = UnitCache(2)
    cache.put("i", "a", (1, 1), unit("a"))
    cache.put("i", "b", (1, 1), unit("b"))
    assert cache.get("i", "a", (1, 1)) is not None  # a is now the most recent
    cache.put("i", "c", (1, 1), unit("c"))
    assert len(cache) == 2
    assert cache.get("i", "b", (1, 1)) is None
    assert cache.get("i", "a", (1, 1)) is not None and cache.get("i", "c", (1, 1)) is not None


def test_capacity_zero_caches_nothing_and_negative_is_refused() -> None:
    cache = UnitCache(0)
    cache.put("i", "a", (1, 1), unit("a"))
    assert len(cache) == 0 and cache.get("i", "a", (1, 1)) is None
    with pytest.raises(ValueError):
        UnitCache(-1)
