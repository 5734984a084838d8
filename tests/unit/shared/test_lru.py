"""The one LRU every router cache uses: bounded by entries and by weight, recency on reads."""

from __future__ import annotations

from router.plugins.persisted import APQ_CACHE_BYTES, PersistedPlugin
from shared.lru import LRU


def test_the_least_recently_used_entry_goes_first() -> None:
    cache: LRU[str, int] = LRU(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # now "b" is the oldest
    cache.put("c", 3)
    assert "b" not in cache and list(cache) == ["a", "c"]
    assert cache.peek("a") == 1 and list(cache) == ["a", "c"]  # peeking keeps the order


def test_the_weight_bound_evicts_until_it_holds_and_refuses_what_never_fits() -> None:
    cache: LRU[str, str] = LRU(100, max_weight=10)
    for key in "abcd":
        cache.put(key, key, 3)
    assert list(cache) == ["b", "c", "d"] and cache.weight == 9
    assert cache.put("huge", "x", 11) is False and "huge" not in cache and cache.weight == 9
    cache.put("c", "c", 1)  # replacing an entry replaces its weight
    assert cache.weight == 7
    assert cache.pop("b") == "b" and cache.weight == 4
    cache.clear()
    assert len(cache) == 0 and cache.weight == 0


def test_apq_registrations_are_bounded_by_bytes_not_only_by_entries() -> None:
    plugin = PersistedPlugin(apq=True, apq_entries=1000)
    big = "{ a }" + " " * 1_000_000  # a padded query: each registration is ~1 MB
    for i in range(200):
        plugin.remember(f"{i:064x}", big + str(i))
    assert plugin.cache.weight <= APQ_CACHE_BYTES and len(plugin.cache) < 70
    assert plugin.cache.get(f"{199:064x}") is not None  # the newest stay
