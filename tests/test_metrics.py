"""The Prometheus exposition of the service's counters."""

from prometheus_client.parser import text_string_to_metric_families

from server.metrics import make_registry, render
from server.stats import ServiceStats


def samples(stats: ServiceStats) -> dict:
    text = render(make_registry(stats)).decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_requests_by_handler_and_outcome():
    stats = ServiceStats()
    stats.requests["parity ok"] = 3
    stats.requests["parity not_an_integer"] = 1
    stats.requests["- empty"] = 2
    got = samples(stats)
    assert got[("playground_requests_total", (("handler", "parity"), ("outcome", "ok")))] == 3
    assert got[("playground_requests_total",
                (("handler", "parity"), ("outcome", "not_an_integer")))] == 1
    assert got[("playground_requests_total", (("handler", "none"), ("outcome", "empty")))] == 2


def test_gauges_and_byte_counters():
    stats = ServiceStats()
    stats.tcp_open, stats.ws_open, stats.bytes_in, stats.bytes_out = 4, 2, 100, 250
    got = samples(stats)
    assert got[("playground_tcp_connections", ())] == 4
    assert got[("playground_websocket_sessions", ())] == 2
    assert got[("playground_received_bytes_total", ())] == 100
    assert got[("playground_sent_bytes_total", ())] == 250


def test_latency_histogram_counts_every_request_of_a_batch():
    stats = ServiceStats()
    stats.observe_latency(0.00003, 10)
    stats.observe_latency(0.003, 1)
    stats.observe_latency(5.0, 1)
    got = samples(stats)
    bucket = "playground_request_latency_seconds_bucket"
    assert got[(bucket, (("le", "5e-05"),))] == 10
    assert got[(bucket, (("le", "0.005"),))] == 11
    assert got[(bucket, (("le", "+Inf"),))] == 12
    assert got[("playground_request_latency_seconds_count", ())] == 12
