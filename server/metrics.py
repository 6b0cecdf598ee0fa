"""``GET /metrics``: the service's counters in the Prometheus text format.

The hot path only adds to :class:`~server.stats.ServiceStats`; this collector turns those
numbers into Prometheus metric families at scrape time (prometheus_client's custom-collector
pattern), so scraping costs the scraper, not every request.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from server.stats import LATENCY_BUCKETS, ServiceStats

PREFIX = "playground"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class StatsCollector(Collector):
    def __init__(self, stats: ServiceStats) -> None:
        self.stats = stats

    def collect(self) -> Iterator[Metric]:
        s = self.stats
        requests = CounterMetricFamily(
            f"{PREFIX}_requests", "Requests answered, by handler and outcome (ok or error code).",
            labels=["handler", "outcome"])
        for kind, count in sorted(s.requests.items()):
            handler, outcome = kind.split(" ")
            requests.add_metric([handler if handler != "-" else "none", outcome], count)
        yield requests
        yield GaugeMetricFamily(f"{PREFIX}_tcp_connections", "Open TCP connections to the service.",
                                value=s.tcp_open)
        yield CounterMetricFamily(f"{PREFIX}_tcp_connections_accepted",
                                  "TCP connections accepted.", value=s.tcp_total)
        yield GaugeMetricFamily(f"{PREFIX}_websocket_sessions", "Open WebSocket bridge sessions.",
                                value=s.ws_open)
        yield CounterMetricFamily(f"{PREFIX}_websocket_sessions_opened",
                                  "WebSocket bridge sessions opened.", value=s.ws_total)
        yield CounterMetricFamily(f"{PREFIX}_received_bytes", "Bytes received from TCP clients.",
                                  value=s.bytes_in)
        yield CounterMetricFamily(f"{PREFIX}_sent_bytes", "Bytes sent to TCP clients.",
                                  value=s.bytes_out)
        cut = CounterMetricFamily(f"{PREFIX}_connections_cut_off",
                                  "Connections closed by the service, by reason.",
                                  labels=["reason"])
        for reason, count in sorted(s.cut_off.items()):
            cut.add_metric([reason], count)
        yield cut
        cumulative = 0
        buckets = []
        for bound, count in zip((*map(str, LATENCY_BUCKETS), "+Inf"), s.latency_counts,
                                strict=True):
            cumulative += count
            buckets.append((bound, cumulative))
        yield HistogramMetricFamily(
            f"{PREFIX}_request_latency_seconds",
            "Time from a request's bytes arriving to its reply being written.",
            buckets=buckets, sum_value=s.latency_sum)


def make_registry(stats: ServiceStats) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StatsCollector(stats))
    return registry


def render(registry: CollectorRegistry) -> bytes:
    return generate_latest(registry)
