"""The plugin contract: what a plugin may hook and declare, with no-op defaults.

A plugin is a subclass of `Plugin[ItsSettings]` owning one `router.yaml` section (`section`,
validated by its `Settings` model when the file is loaded); it is built from that validated model,
so no plugin reads a raw mapping. The pipeline calls a hook only for the plugins that use it (`hooks()`,
computed once when the router is built), so a hook a plugin does not override costs nothing per
request. http.py reads the declared capabilities (request limits, routes, middleware) once when
it builds the app instead of probing objects for attributes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, TypeVar, get_args

from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from ..settings import Settings, validate

if TYPE_CHECKING:  # the pipeline imports this module: only the type checker needs the reverse
    from ..config import Config
    from ..pipeline import Context, Router

Hook = Literal["on_request", "on_operation", "on_plan", "on_subgraph_request", "on_response", "wrap_send"]
HOOKS: tuple[Hook, ...] = get_args(Hook)
S = TypeVar("S", bound=Settings)
HeadersSend = Callable[[str, bytes, "dict[str, str] | None"], Awaitable[dict[str, Any]]]


class Plugin(Generic[S]):
    """Hook points, each a no-op here. A request hook may return a result dict to answer the
    request right away (with `ctx.status`)."""

    section: ClassVar[str] = ""  # its router.yaml section
    settings: type[S]  # the section's model (extra keys refused), set by each subclass

    # Capabilities read by http.py when it builds the app (None / 1 / False: not declared).
    max_request_bytes: int | None = None  # request body limit (http.py's default otherwise)
    request_timeout: float | None = None  # seconds for one whole request
    max_batch_size: int = 1  # more than 1: a JSON array of operations is accepted
    resolves_persisted_queries: bool = False  # a request may carry only a persisted query hash
    reads_merged_data: bool = False  # a deferred answer keeps its merged data for the last `on_response`

    @classmethod
    def from_config(cls, settings: S, config: Config) -> Plugin[S] | None:
        """The plugin for its validated section, or None when the section turns it off."""
        raise NotImplementedError(f"{cls.__name__} does not say how it is built from {cls.section!r}")

    @classmethod
    def from_yaml(cls, body: Any, config: Config) -> Plugin[S] | None:
        """The plugin for a raw section (a test, or one plugin built alone): validated, then built."""
        return cls.from_config(validate(cls.settings, cls.section, body), config)

    def hooks(self) -> frozenset[Hook]:
        """The hooks the pipeline calls: those the class overrides. A plugin whose hooks depend
        on its settings (limits, telemetry, headers) narrows this, so an unused hook is free."""
        own: set[Hook] = set()
        for klass in type(self).__mro__:
            if klass is Plugin:
                break
            own.update(h for h in HOOKS if h in vars(klass))
        return frozenset(own)

    def connect(self, plugins: list[Plugin[Any]]) -> None:
        """Called once with every built plugin (in order), for plugins that cooperate (a refused
        token counting against the rate limits)."""

    # ---------------------------------------------------------------- request hooks
    async def on_request(self, ctx: Context) -> dict[str, Any] | None:
        """Before parsing (csrf, limits, jwt, rate limits, persisted queries, headers)."""
        return None

    async def on_operation(self, ctx: Context) -> dict[str, Any] | None:
        """Parsed and validated (authorization, limits, cost)."""
        return None

    async def on_plan(self, ctx: Context) -> dict[str, Any] | None:
        """Plan chosen, before execution."""
        return None

    async def on_subgraph_request(self, ctx: Context, service: str, body: bytes) -> bytes:
        """A subgraph request's body, before it is sent."""
        return body

    async def on_response(self, ctx: Context) -> None:
        """After execution (masking, authorization errors, cost)."""

    def wrap_send(self, ctx: Context, send: HeadersSend) -> HeadersSend:
        """Wraps one request's subgraph send (retries, breaker, fetch spans, signing); the first
        plugin's wrapper is the outermost."""
        return send

    # ---------------------------------------------------------------- app level
    def middleware(self) -> list[Middleware]:
        """ASGI middleware around the whole app (cors, telemetry), in plugin order."""
        return []

    def routes(self, router: Router) -> list[BaseRoute]:
        """HTTP routes the plugin serves (telemetry's /metrics)."""
        return []

    async def aclose(self) -> None:
        """Releases what the plugin holds (connections, exporters) when the router stops."""
