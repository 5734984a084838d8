"""Rate-limit stores with a fake clock: exact windows, all-or-nothing counting, bounded memory."""

from __future__ import annotations

import asyncio
import ipaddress

import pytest

from router.config import Config, ConfigError, validate_sections
from router.plugins import rate_limit
from router.plugins.rate_limit import Limit, MemoryBuckets, MemoryWindows, resolve_client_ip


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_fixed_window_is_exact():
    clock = Clock()
    store = MemoryWindows(clock=clock)
    lim = Limit("client", 100, 900.0)  # the shop's rule: 100 per 15 minutes
    for i in range(100):
        assert store.hit_now([("c", lim)]) is None, i
        clock.now += 8.0  # spread over the window: 800 s
    refused = store.hit_now([("c", lim)])
    assert refused is not None and refused[0] is lim and refused[1] == pytest.approx(900 - 800)
    clock.now += 99.9  # still inside the window that began with the first request
    assert store.hit_now([("c", lim)]) is not None
    clock.now += 0.2  # the window has ended: a full new one
    for _ in range(100):
        assert store.hit_now([("c", lim)]) is None
    assert store.hit_now([("c", lim)]) is not None


def test_a_refused_request_consumes_nothing_from_the_other_limits():
    clock = Clock()
    store = MemoryWindows(clock=clock)
    glob, per = Limit("global", 3, 10.0), Limit("client", 1, 10.0)
    assert store.hit_now([("global", glob), ("client:a", per)]) is None
    assert store.hit_now([("global", glob), ("client:a", per)])[0] is per  # refused by its client limit
    assert store.hit_now([("global", glob), ("client:b", per)]) is None
    assert store.hit_now([("global", glob), ("client:c", per)]) is None  # 3rd counted global hit
    assert store.hit_now([("global", glob), ("client:d", per)])[0] is glob


def test_memory_stays_bounded_under_a_million_distinct_clients():
    clock = Clock()
    store = MemoryWindows(max_keys=50_000, clock=clock)
    lim = Limit("client", 10, 60.0)
    for i in range(1_000_000):
        if i % 1000 == 0:
            clock.now += 0.01
        store.hit_now([(f"ip:10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}:{i}", lim)])
        assert len(store.maps[lim]) <= 50_000
    assert len(store) == 50_000
    clock.now += 61  # every window ended: the next request sweeps them all
    store.hit_now([("ip:192.0.2.1", lim)])
    assert len(store) == 1


def test_idle_windows_are_dropped_as_time_passes():
    clock = Clock()
    store = MemoryWindows(clock=clock)
    lim = Limit("client", 5, 1.0)
    for i in range(1000):
        store.hit_now([(f"c{i}", lim)])
    clock.now += 0.5
    store.hit_now([("late", lim)])
    assert len(store) == 1001
    clock.now += 0.6  # the first 1000 windows have ended, "late" has not
    store.hit_now([("later", lim)])
    assert set(store.maps[lim]) == {"late", "later"}


async def test_leaky_bucket_bursts_then_drips_and_evicts_idle_buckets():
    clock = Clock()
    store = MemoryBuckets(max_keys=1000, clock=clock)
    lim = Limit("client", 3, 3.0)
    for _ in range(3):
        assert await store.hit([("c", lim)]) is None
    refused = await store.hit([("c", lim)])
    assert refused is not None and refused[1] == pytest.approx(1.0)
    for i in range(5000):
        await store.hit([(f"k{i}", lim)])
    assert len(store) <= 1000


def test_forwarded_for_is_believed_only_from_trusted_proxies():
    proxies = [ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("fd00::/8")]
    assert resolve_client_ip("203.0.113.5", "1.2.3.4", proxies) == "203.0.113.5"  # untrusted peer
    assert resolve_client_ip("10.0.0.1", "1.2.3.4", proxies) == "1.2.3.4"
    assert resolve_client_ip("10.0.0.1", "6.6.6.6, 1.2.3.4, 10.0.0.2", proxies) == "1.2.3.4"  # forged left part
    assert resolve_client_ip("10.0.0.1", "10.0.0.3, 10.0.0.2", proxies) == "10.0.0.3"  # all proxies
    assert resolve_client_ip("10.0.0.1", "not-an-ip", proxies) == "10.0.0.1"
    assert resolve_client_ip("fd00::1", "2001:db8::7", proxies) == "2001:db8::7"
    assert resolve_client_ip("10.0.0.1", None, proxies) == "10.0.0.1"
    assert resolve_client_ip("10.0.0.1", "1.2.3.4", []) == "10.0.0.1"  # no proxies configured


@pytest.mark.parametrize("section, message", [
    ({"per_client": {"requests": 0, "window": 1}}, "rate_limit.per_client.requests: must be at least 1"),
    ({"per_client": {"requests": 5}}, "rate_limit.per_client.window: required"),
    ({"per_client": {"requests": 5, "window": "soon"}}, "rate_limit.per_client.window"),
    ({"per_client": {"requests": 5, "window": 1, "burst": 2}}, "rate_limit.per_client.burst: unknown key"),
    ({"trusted_proxies": ["10.0.0.0/33"]}, "rate_limit.trusted_proxies[0]"),
    ({"store": "memcached"}, "rate_limit.store: must be one of memory, redis"),
    ({"per_operation": {"Op": {"requests": 1, "window": 1, "x": 1}}}, "rate_limit.per_operation.Op.x"),
    ({"limit": 5}, "rate_limit.limit: unknown key"),
    ({"store": "redis", "algorithm": "leaky_bucket"}, "rate_limit.algorithm"),
])
def test_config_errors_name_the_key(section, message):
    with pytest.raises(ConfigError) as e:
        rate_limit.parse(section)
    assert message in str(e.value)


def test_durations_and_no_limit_without_limits():
    cfg = rate_limit.parse({"per_client": {"requests": 100, "window": "15m"}})
    assert cfg.per_client == Limit("client", 100, 900.0)
    assert rate_limit.build(Config()) is None
    assert rate_limit.build(Config(sections=validate_sections({"rate_limit": {"trusted_proxies": ["10.0.0.0/8"]}}))) is None
    assert asyncio.iscoroutinefunction(MemoryWindows().hit)
