"""The web app's HTTP side, against the real server (``python -m server`` on free ports):
the page and its static files, ``/healthz``, ``/config`` and ``/metrics``.

What is held here: CONTRACT.md "The web app" and "Instruments", docs/web-api.md.
"""

from __future__ import annotations

import json
import re
import socket

import pytest
from prometheus_client.parser import text_string_to_metric_families
from websockets.sync.client import connect as ws_connect

from tests.support import (
    ROOT,
    ServerProcess,
    connect,
    free_port,
    http_get,
    read_lines,
    start_server,
    wait_until,
)

pytestmark = pytest.mark.timeout(60)


# -- helpers ------------------------------------------------------------------------------
def raw_http(port: int, target: str) -> tuple[int, bytes]:
    """A GET sent byte for byte (no client-side path normalisation); (status, body)."""
    with connect(("127.0.0.1", port)) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                     "Connection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def scrape(server: ServerProcess) -> dict[tuple[str, tuple], float]:
    """``/metrics`` parsed with prometheus_client: {(sample name, sorted labels): value}."""
    status, headers, body = http_get(server.http_url + "/metrics")
    assert status == 200
    assert headers["Content-Type"].startswith("text/plain")
    samples: dict[tuple[str, tuple], float] = {}
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def requests_count(samples: dict, handler: str, outcome: str) -> float:
    key = ("playground_requests_total", (("handler", handler), ("outcome", outcome)))
    return samples.get(key, 0.0)


def value(samples: dict, name: str) -> float:
    return samples[(name, ())]


@pytest.fixture(scope="module")
def server() -> ServerProcess:
    with start_server("--lang", "en") as s:
        yield s


# -- the page and static files -------------------------------------------------------------
def test_root_serves_the_page_as_html(server: ServerProcess) -> None:
    status, headers, body = http_get(server.http_url + "/")
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    text = body.decode()
    assert "<html" in text.lower()
    assert "/static/" in text  # the page loads its scripts and styles from /static/


def test_static_files_are_served(server: ServerProcess) -> None:
    status, headers, body = http_get(server.http_url + "/static/style.css")
    assert status == 200
    assert headers["Content-Type"].startswith("text/css")
    assert body == (ROOT / "web" / "style.css").read_bytes()
    status, headers, body = http_get(server.http_url + "/static/main.js")
    assert status == 200
    assert "javascript" in headers["Content-Type"]
    assert len(body) > 0


def test_page_references_only_static_files_that_exist(server: ServerProcess) -> None:
    _, _, body = http_get(server.http_url + "/")
    referenced = set(re.findall(r'(?:src|href)="(/static/[^"?#]+)', body.decode()))
    assert referenced, "the page references no /static/ file"
    for path in sorted(referenced):
        status, _, _ = http_get(server.http_url + path)
        assert status == 200, path


def test_missing_static_file_is_404(server: ServerProcess) -> None:
    status, _, _ = http_get(server.http_url + "/static/no-such-file.js")
    assert status == 404


@pytest.mark.parametrize("target", [
    "/static/../server/cli.py",
    "/static/%2e%2e/server/cli.py",
    "/static/..%2fserver%2fcli.py",
    "/static/../pyproject.toml",
])
def test_static_does_not_serve_files_outside_web(server: ServerProcess, target: str) -> None:
    status, body = raw_http(server.http_port, target)
    assert status in (400, 403, 404), (target, status)
    assert b"argparse" not in body and b"[project]" not in body


# -- /healthz -------------------------------------------------------------------------------
def assert_healthz(server: ServerProcess, status: int, ok: bool, backend: str) -> dict:
    """``GET /healthz``: its status, a JSON reply with ``ok`` and ``backend``; the reply."""
    got, headers, body = http_get(server.http_url + "/healthz")
    assert got == status
    assert headers["Content-Type"].startswith("application/json")
    reply = json.loads(body)
    assert reply["ok"] is ok
    assert reply["backend"] == backend
    return reply


def test_healthz_ok_with_the_service_up(server: ServerProcess) -> None:
    assert_healthz(server, 200, True, f"127.0.0.1:{server.tcp_port}")


def test_healthz_follows_an_external_backend_down_then_up() -> None:
    port = free_port()
    with start_server("--backend", f"127.0.0.1:{port}", tcp=False) as bridge:
        reply = assert_healthz(bridge, 503, False, f"127.0.0.1:{port}")
        assert reply.get("error")  # says why

        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(16)
        try:
            status, _, body = http_get(bridge.http_url + "/healthz")
            assert status == 200
            assert json.loads(body)["ok"] is True
        finally:
            listener.close()

        status, _, body = http_get(bridge.http_url + "/healthz")
        assert status == 503
        assert json.loads(body)["ok"] is False


# -- /config --------------------------------------------------------------------------------
def test_config_defaults(server: ServerProcess) -> None:
    status, headers, body = http_get(server.http_url + "/config")
    assert status == 200
    assert headers["Content-Type"].startswith("application/json")
    config = json.loads(body)
    expected_keys = {"version", "lang", "default", "single", "max_line", "idle_flush_ms",
                     "idle_timeout_s", "send_timeout_s", "turn_idle_s", "ws_max_message",
                     "heartbeat_s", "backend", "external_backend", "start_mode", "time_slice_ms",
                     "header_timeout_s", "max_viewers", "ws_compress"}
    assert expected_keys <= set(config)
    assert (config["time_slice_ms"], config["header_timeout_s"], config["max_viewers"],
            config["ws_compress"]) == (5, 10, 64, False)
    assert config["lang"] == "en"
    assert config["default"] == "auto"
    assert config["single"] is False
    assert config["max_line"] == 65536
    assert config["idle_flush_ms"] == 50
    assert config["ws_max_message"] >= 1 << 20
    assert config["ws_max_message"] > config["max_line"]
    assert config["backend"] == f"127.0.0.1:{server.tcp_port}"
    assert config["external_backend"] is False
    assert config["start_mode"] == "auto"
    assert isinstance(config["version"], str) and config["version"]


def test_config_reflects_options() -> None:
    with start_server("--lang", "en", "--default", "length", "--single", "--max-line", "1000",
                      "--idle-flush-ms", "120", "--turn-idle", "0.75",
                      "--ws-max-message", "300000", "--time-slice-ms", "2.5",
                      "--header-timeout", "4", "--max-viewers", "3", "--ws-compress") as s:
        config = json.loads(http_get(s.http_url + "/config")[2])
    assert config["lang"] == "en"
    assert config["default"] == "length"
    assert config["single"] is True
    assert config["max_line"] == 1000
    assert config["idle_flush_ms"] == 120
    assert config["turn_idle_s"] == 0.75
    assert config["ws_max_message"] == 300000
    assert (config["time_slice_ms"], config["header_timeout_s"], config["max_viewers"],
            config["ws_compress"]) == (2.5, 4, 3, True)
    assert config["start_mode"] == "auto"
    assert config["external_backend"] is False


def test_config_with_backend_starts_in_raw_mode() -> None:
    port = free_port()
    with start_server("--backend", f"127.0.0.1:{port}", tcp=False) as s:
        config = json.loads(http_get(s.http_url + "/config")[2])
    assert config["start_mode"] == "raw"
    assert config["external_backend"] is True
    assert config["backend"] == f"127.0.0.1:{port}"
    assert config["lang"] == "id"  # the lab sheet's language by default


# -- /metrics -------------------------------------------------------------------------------
def test_metrics_count_requests_over_tcp_and_websocket() -> None:
    with start_server("--lang", "en") as s:
        before = scrape(s)
        assert requests_count(before, "parity", "ok") == 0
        assert value(before, "playground_tcp_connections") == 0
        assert value(before, "playground_websocket_sessions") == 0

        tcp_requests = [b"parity 42\n", b"parity 7\n", b"parity abc\n", b"length halo\n"]
        ws_requests = ["parity 10", "parity x"]
        with connect(s.tcp) as sock, ws_connect(s.ws_url) as ws:
            sock.sendall(b"".join(tcp_requests))
            tcp_replies = read_lines(sock, len(tcp_requests))
            assert tcp_replies[0] == b"42 is even"
            assert tcp_replies[2].startswith(b"ERR not_an_integer")
            ws_replies = []
            for text in ws_requests:
                ws.send(text)
                ws_replies.append(ws.recv(timeout=5))
            assert ws_replies[0] == "10 is even"
            assert ws_replies[1].startswith("ERR not_an_integer")

            during = scrape(s)
            # the raw TCP client and the bridge's own connection to the service
            assert value(during, "playground_tcp_connections") == 2
            assert value(during, "playground_websocket_sessions") == 1
            assert value(during, "playground_websocket_sessions_opened_total") == 1
            assert value(during, "playground_tcp_connections_accepted_total") == 2

        assert requests_count(during, "parity", "ok") == 3
        assert requests_count(during, "parity", "not_an_integer") == 2
        assert requests_count(during, "length", "ok") == 1

        # bytes: every request line in (the bridge adds the LF), every reply line out
        sent_in = sum(map(len, tcp_requests)) + sum(len(t) + 1 for t in ws_requests)
        sent_out = sum(len(r) + 1 for r in tcp_replies) + sum(
            len(r.encode()) + 1 for r in ws_replies)
        assert value(during, "playground_received_bytes_total") == sent_in
        assert value(during, "playground_sent_bytes_total") == sent_out

        # the latency histogram saw six requests
        name = "playground_request_latency_seconds"
        buckets = sorted(((float(dict(labels)["le"]), v) for (n, labels), v in during.items()
                          if n == name + "_bucket"))
        assert len(buckets) >= 5
        assert buckets[-1][0] == float("inf")
        assert buckets[-1][1] == 6
        counts = [v for _, v in buckets]
        assert counts == sorted(counts), "histogram buckets must be cumulative"
        assert value(during, name + "_count") == 6
        assert value(during, name + "_sum") >= 0

        # gauges come back down when the clients leave
        wait_until(lambda: value(scrape(s), "playground_tcp_connections") == 0,
                   what="tcp gauge back to 0")
        wait_until(lambda: value(scrape(s), "playground_websocket_sessions") == 0,
                   what="websocket gauge back to 0")


def test_metrics_gauges_follow_many_connections() -> None:
    with start_server() as s:
        socks = [connect(s.tcp) for _ in range(3)]
        try:
            with ws_connect(s.ws_url) as ws1, ws_connect(s.ws_url) as ws2:
                for ws in (ws1, ws2):
                    ws.send("parity 1")
                    assert ws.recv(timeout=5) == "angka 1 merupakan ganjil"
                wait_until(lambda: value(scrape(s), "playground_tcp_connections") == 5,
                           what="3 raw + 2 bridge connections")
                assert value(scrape(s), "playground_websocket_sessions") == 2
            wait_until(lambda: value(scrape(s), "playground_websocket_sessions") == 0,
                       what="sessions closed")
        finally:
            for sock in socks:
                sock.close()
        wait_until(lambda: value(scrape(s), "playground_tcp_connections") == 0,
                   what="all closed")
        assert value(scrape(s), "playground_tcp_connections_accepted_total") == 5


def test_metrics_count_error_codes_of_every_kind() -> None:
    with start_server("--max-line", "100") as s:
        with connect(s.tcp) as sock:
            sock.sendall(b"\n" + b"x" * 200 + b"\n" + b"{nope\n" + b"\xff\xfe\n"
                         + b'{"handler": "nope", "text": "1"}\n')
            replies = read_lines(sock, 5)
        assert replies[0].startswith(b"ERR empty")
        assert replies[1].startswith(b"ERR line_too_long")
        assert json.loads(replies[2])["error"]["code"] == "invalid_json"
        assert replies[3].startswith(b"ERR invalid_utf8")
        assert json.loads(replies[4])["error"]["code"] == "unknown_handler"
        samples = scrape(s)
        outcomes = {dict(labels)["outcome"]: v for (n, labels), v in samples.items()
                    if n == "playground_requests_total"}
        for code in ("empty", "line_too_long", "invalid_json", "invalid_utf8",
                     "unknown_handler"):
            assert outcomes.get(code) == 1, (code, outcomes)
        handlers = {dict(labels)["handler"] for (n, labels), _ in samples.items()
                    if n == "playground_requests_total"}
        assert "" not in handlers
