"""Two router processes share one limit through a real Redis (the machine's, or one the
`redis_url` fixture starts)."""

from __future__ import annotations

import uuid

import pytest
import redis

from tests.integration.router.traffic.test_rate_limit import Q, assert_refused
from tests.support.harness import post
from tests.support.wait import wait_until


@pytest.fixture
def prefix(redis_url):
    p = f"test:router:{uuid.uuid4().hex[:12]}:"
    yield p
    r = redis.Redis.from_url(redis_url)
    keys = list(r.scan_iter(p + "*"))
    if keys:
        r.delete(*keys)


def test_two_routers_share_an_exact_window(make_router_process, prefix, redis_url):
    cfg = f"""
rate_limit:
  store: redis
  redis: {{ url: "{redis_url}", key_prefix: "{prefix}" }}
  per_client: {{ requests: 4, window: 3 }}
"""
    a = make_router_process(cfg)
    b = make_router_process(cfg)
    for url in (a.url, b.url, a.url, b.url):  # 4 allowed in total, whichever instance answers
        resp = post(url, Q)
        assert resp.status_code == 200, resp.text
    assert_refused(post(a.url, Q), "client")
    assert_refused(post(b.url, Q), "client")
    store = redis.Redis.from_url(redis_url)
    key = f"{prefix}client:ip:127.0.0.1"  # derivable: the prefix, the limit, the client
    assert store.keys(prefix + "*") == [key.encode()]
    assert 0 < store.pttl(key) <= 3000  # the window is the key's lifetime: it ends when Redis drops the key
    store.pexpire(key, 1)  # so end it now instead of waiting 3 s for it
    assert wait_until(lambda: not store.exists(key), 5)
    for url in (b.url, a.url, b.url, a.url):
        assert post(url, Q).status_code == 200
    assert_refused(post(b.url, Q), "client")
