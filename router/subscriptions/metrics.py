"""The subscriptions' Prometheus metrics, read from the hub's own counters at scrape time (the
event path only adds to plain integers), on the registry of the telemetry plugin's metrics."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric

if TYPE_CHECKING:
    from .stream import Hub


class SubscriptionMetrics:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    def describe(self) -> Iterable[Metric]:
        return []

    def collect(self) -> Iterable[Metric]:
        hub = self.hub
        open_ = GaugeMetricFamily("router_subscriptions_open", "Client subscriptions open now.")
        open_.add_metric([], len(hub.open))
        yield open_
        upstreams = GaugeMetricFamily("router_subscription_upstreams",
                                      "Subgraph subscriptions open now (fewer than client ones with subscriptions.dedupe).")
        upstreams.add_metric([], hub.upstreams)
        yield upstreams
        events = CounterMetricFamily("router_subscription_events",
                                     "Subscription events handed to clients (each a result, the last one included).")
        events.add_metric([], hub.delivered)
        yield events
        ended = CounterMetricFamily("router_subscriptions_ended", "Client subscriptions ended, by why.", labels=["reason"])
        for reason, count in sorted(hub.ended.items()):
            ended.add_metric([reason], count)
        yield ended
        again = CounterMetricFamily("router_subgraph_resubscriptions",
                                    "Subgraph subscriptions opened again after they were lost (subscriptions.resubscribe).")
        again.add_metric([], hub.resubscribed)
        yield again
