"""Fetch a running subgraph's SDL with `{ _service { sdl } }`, as rover does for `subgraph_url`.

Regular introspection loses federation directives; `_service.sdl` is the
subgraph's own view, directives included. Failures name the subgraph and URL.
"""

from __future__ import annotations

import httpx

from .config import SubgraphConfig

QUERY = "query SubgraphIntrospectQuery { _service { sdl } }"


class IntrospectionError(RuntimeError):
    pass


def fetch_sdl(subgraph: SubgraphConfig, timeout: float = 10.0) -> str:
    assert subgraph.subgraph_url is not None
    url = subgraph.subgraph_url
    headers = {"content-type": "application/json", "accept": "application/json", **subgraph.introspection_headers}
    try:
        response = httpx.post(url, json={"query": QUERY}, headers=headers, timeout=timeout)
    except httpx.HTTPError as e:
        raise IntrospectionError(f'subgraph "{subgraph.name}": cannot reach {url}: {e}') from None
    if response.status_code != 200:
        raise IntrospectionError(f'subgraph "{subgraph.name}": {url} answered HTTP {response.status_code}')
    try:
        body = response.json()
    except ValueError:
        raise IntrospectionError(f'subgraph "{subgraph.name}": {url} did not answer JSON') from None
    if body.get("errors"):
        messages = "; ".join(str(e.get("message", e)) for e in body["errors"])
        raise IntrospectionError(f'subgraph "{subgraph.name}": {url} answered errors: {messages}')
    sdl = ((body.get("data") or {}).get("_service") or {}).get("sdl")
    if not isinstance(sdl, str) or not sdl.strip():
        raise IntrospectionError(f'subgraph "{subgraph.name}": {url} returned no _service.sdl (is it a federated subgraph?)')
    return sdl
