"""Plugins around the pipeline's stages, each in its own module with its own
`router.yaml` section. `build_plugins` creates the configured ones in the order a request
meets them; an unconfigured plugin costs nothing on the request path."""

from __future__ import annotations

from typing import Any, Callable

from ..config import Config


def build_plugins(config: Config) -> list[Any]:
    """Order matters: cheap refusals first (csrf, limits), then identity (jwt) so that rate
    limits can key on it, then authorization, then what touches subgraph requests and the
    response (headers, masking, telemetry)."""
    plugins: list[Any] = []
    sections = config.plugins
    # --- security (router-security): cors (ASGI middleware), csrf, jwt, authorization, persisted, headers, masking
    from . import authorization, cors, csrf, headers, jwt, masking, persisted

    def add(section: str, factory: Callable[[Any, Config], Any]) -> None:
        if section in sections:
            plugin = factory(sections[section], config)
            if plugin is not None:
                plugins.append(plugin)

    # --- traffic (router-traffic): modules imported only when their section is present.
    # telemetry first: it must see every request, including those another plugin refuses
    if "telemetry" in sections:
        from . import telemetry
        plugins += [p for p in (telemetry.build(config),) if p is not None]
    add("cors", cors.CorsPlugin.from_config)
    add("csrf", csrf.CsrfPlugin.from_config)
    if "limits" in sections:
        from . import limits
        plugins += [p for p in (limits.build(config),) if p is not None]
    if "demand_control" in sections:  # the operation's cost, before any planning
        from . import demand_control
        plugins += [p for p in (demand_control.build(config),) if p is not None]
    add("jwt", jwt.JwtPlugin.from_config)
    if "rate_limit" in sections:  # after jwt: a verified `sub` is the client
        from . import rate_limit
        plugins += [p for p in (rate_limit.build(config),) if p is not None]
    add("authorization", authorization.AuthorizationPlugin.from_config)
    add("persisted_queries", persisted.PersistedPlugin.from_config)
    add("headers", headers.HeadersPlugin.from_config)
    add("error_masking", masking.MaskingPlugin.from_config)
    if "subgraph_signing" in sections:  # last: its wrapper is the closest to the wire
        from . import signing
        plugins += [p for p in (signing.build(config),) if p is not None]
    # Requests refused for a bad token still count against their IP's rate limits.
    authn = next((p for p in plugins if isinstance(p, jwt.JwtPlugin)), None)
    limiter = next((p for p in plugins if hasattr(p, "count_failed_auth")), None)
    if authn is not None and limiter is not None:
        authn.on_failure = limiter.count_failed_auth
    return plugins
