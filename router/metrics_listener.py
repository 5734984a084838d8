"""`/metrics` on a port of its own (`telemetry.metrics.listen`, the default in production), so
the client-facing port never shows the router's internals and the scrape port can be kept to
the cluster network. prometheus_client's own small threaded HTTP server serves the registry
there; it runs beside the event loop and only reads counters."""

from __future__ import annotations

from dataclasses import dataclass
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, start_http_server

from .config_error import ConfigError


@dataclass(frozen=True)
class Address:
    host: str
    port: int


def parse_address(value: str, where: str) -> Address:
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"{where}: expected HOST:PORT like 0.0.0.0:9090, got {value!r}")
    return Address(host.strip("[]"), int(port))


class MetricsListener:
    def __init__(self, registry: CollectorRegistry, address: Address) -> None:
        try:
            self.server, self.thread = start_http_server(address.port, address.host, registry=registry)
        except OSError as error:
            raise ConfigError(f"telemetry.metrics.listen: cannot listen on {address.host}:{address.port}: "
                              f"{error.strerror}") from None

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def close(self) -> None:
        server: WSGIServer = self.server
        server.shutdown()  # waits for serve_forever's loop (polls every 0.5 s)
        server.server_close()
        self.thread.join(timeout=5)
