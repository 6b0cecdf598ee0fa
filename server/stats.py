"""Counters for ``/metrics``, kept as plain integers and updated once per batch of replies.

A prometheus_client ``Counter.inc()`` per request takes a lock and costs the service
measurable throughput (see NOTES); here the hot path only adds to dict entries and a
histogram bucket, and :mod:`server.metrics` turns these into Prometheus families when
someone scrapes.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter

#: Upper bounds (seconds) of the request latency histogram: time from a batch's bytes
#: arriving to its replies being handed to the transport.
LATENCY_BUCKETS = (0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                   0.05, 0.1, 0.25, 0.5, 1.0)


class ServiceStats:
    def __init__(self) -> None:
        # "handler outcome" (server.protocol.kind_of) -> count; a plain dict, since Counter's
        # += costs twice as much per request (add with ``counts[key] = counts.get(key, 0) + n``)
        self.requests: dict[str, int] = {}
        self.tcp_open = 0
        self.tcp_total = 0
        self.ws_open = 0
        self.ws_total = 0
        self.bytes_in = 0
        self.bytes_out = 0
        self.latency_counts = [0] * (len(LATENCY_BUCKETS) + 1)  # last: +Inf
        self.latency_sum = 0.0
        self.cut_off: Counter[str] = Counter()  # reason -> connections closed by the service

    def observe_latency(self, seconds: float, requests: int) -> None:
        """Every request of a batch waited as long as the batch: count them all at once."""
        self.latency_counts[bisect_left(LATENCY_BUCKETS, seconds)] += requests
        self.latency_sum += seconds * requests
