"""Persisted operations: APQ protocol, trusted-document manifests, safelisting."""

import hashlib
import json

import pytest

from router.config import ConfigError
from router.pipeline import Context, GraphQLRequest
from router.plugins.persisted import PersistedPlugin, canonical, load_manifest

Q = "query Hello { public }"
H = hashlib.sha256(Q.encode()).hexdigest()


def manifest_file(tmp_path, ops, **top):
    doc = {"format": "apollo-persisted-query-manifest", "version": 1, "operations": ops, **top}
    p = tmp_path / "manifest.json"
    p.write_text(json.dumps(doc))
    return str(p)


async def send(p, query="", ext=None):
    ctx = Context(GraphQLRequest(query, extensions=ext), None)  # type: ignore[arg-type]
    early = await p.on_request(ctx)
    return ctx, early


def pq(h=H, version=1):
    return {"persistedQuery": {"version": version, "sha256Hash": h}}


async def test_apq_round_trip_and_errors():
    p = PersistedPlugin()
    ctx, early = await send(p, "", pq())
    assert early["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND" and ctx.status == 200
    ctx, early = await send(p, Q, pq(H.upper()))  # hex digests are case-insensitive
    assert early is None
    ctx, early = await send(p, "", pq())
    assert early is None and ctx.request.query == Q
    _, early = await send(p, "query Other { public }", pq())
    assert early["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"
    _, early = await send(p, "", pq(version=2))
    assert early["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_UNSUPPORTED_VERSION"
    for bad in ("abc", 12, None, "g" * 64):
        ctx, early = await send(p, "", pq(h=bad))
        assert ctx.status == 400 and early["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_apq_cache_is_bounded():
    p = PersistedPlugin(apq_entries=2)
    docs = [f"query Q{i} {{ public }}" for i in range(3)]
    for d in docs:
        await send(p, d, pq(hashlib.sha256(d.encode()).hexdigest()))
    assert len(p.cache) == 2
    _, early = await send(p, "", pq(hashlib.sha256(docs[0].encode()).hexdigest()))
    assert early["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_safelist_by_id_and_by_body(tmp_path):
    path = manifest_file(tmp_path, [{"id": "op-1", "name": "Hello", "type": "query", "body": Q}])
    p = PersistedPlugin.from_yaml({"manifest": path, "safelist": True}, None)
    assert p.apq is False
    ctx, early = await send(p, "", pq(h="0" * 64))
    assert early["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_IN_LIST" and ctx.status == 400
    # ids need not be hashes in a manifest, but the protocol carries a sha256Hash: use one
    path = manifest_file(tmp_path, [{"id": H, "name": "Hello", "type": "query", "body": Q}])
    p = PersistedPlugin.from_yaml({"manifest": path, "safelist": True}, None)
    ctx, early = await send(p, "", pq())
    assert early is None and ctx.request.query == Q
    _, early = await send(p, "query Hello {\n  # a comment\n  public,\n}")
    assert early is None  # same document, other whitespace/commas/comments
    ctx, early = await send(p, "{ public counter }")
    assert early["errors"][0]["extensions"]["code"] == "QUERY_NOT_IN_SAFELIST" and ctx.status == 400
    _, early = await send(p, "{ public counter }", pq(hashlib.sha256(b"{ public counter }").hexdigest()))
    assert early["errors"][0]["extensions"]["code"] == "QUERY_NOT_IN_SAFELIST"  # no APQ registration


async def test_require_id_and_log_only(tmp_path, caplog):
    path = manifest_file(tmp_path, [{"id": H, "body": Q}])
    p = PersistedPlugin.from_yaml({"manifest": path, "safelist": True, "require_id": True}, None)
    _, early = await send(p, Q)
    assert early["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_ID_REQUIRED"
    assert (await send(p, "", pq()))[1] is None
    audit = PersistedPlugin.from_yaml({"manifest": path, "safelist": True, "log_unknown": True}, None)
    ctx, early = await send(audit, "{ counter }")
    assert early is None and ctx.status == 200
    assert "would refuse" in caplog.text


def test_manifest_and_config_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    with pytest.raises(ConfigError, match="not JSON"):
        load_manifest(str(bad))
    with pytest.raises(ConfigError, match='"format"'):
        load_manifest(manifest_file(tmp_path, [], format="other"))
    with pytest.raises(ConfigError, match="version"):
        load_manifest(manifest_file(tmp_path, [], version=2))
    with pytest.raises(ConfigError, match=r"operations\[0\].*does not parse"):
        load_manifest(manifest_file(tmp_path, [{"id": "a", "body": "query {"}]))
    with pytest.raises(ConfigError, match="appears twice"):
        load_manifest(manifest_file(tmp_path, [{"id": "a", "body": Q}, {"id": "a", "body": "{ x }"}]))
    with pytest.raises(ConfigError, match="cannot read"):
        load_manifest(str(tmp_path / "missing.json"))
    with pytest.raises(ConfigError, match="needs persisted_queries.manifest"):
        PersistedPlugin.from_yaml({"safelist": True}, None)
    with pytest.raises(ConfigError, match="apq.enabled"):
        PersistedPlugin.from_yaml({"manifest": manifest_file(tmp_path, []), "safelist": True,
                                     "apq": {"enabled": True}}, None)
    with pytest.raises(ConfigError, match="persisted_queries.apq.size: unknown key"):
        PersistedPlugin.from_yaml({"apq": {"size": 3}}, None)


def test_canonical_ignores_ignored_tokens_only():
    assert canonical("{a,b}") == canonical("{\n a\n b # c\n}")
    assert canonical("{ a }") != canonical("{ b }")
    assert canonical("{") is None
