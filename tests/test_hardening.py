"""Issue 13: no single client can stall, bloat or freeze the server.

Each test runs one misbehaving client from :mod:`tests.floods` against the real server and
checks what everyone else gets, with bounds generous enough for a loaded 2-core machine
(the measured figures are in ``bench/harden.py``'s output, not asserted here).
"""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import threading
import time

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as connect_ws

from tests.floods import (
    MALFORMED_HTTP,
    combining_flood,
    connection_churn,
    events_viewers,
    http_latencies,
    lockstep,
    malformed_http_requests,
    p50,
    read_forever,
    refusals_while_not_reading,
    server_with_unread_stdout,
    summary_ms,
    tcp_latencies,
    unfinished_http_requests,
    viewers_leaving_mid_send,
)
from tests.support import TinyTcpServer, checked_server, connect, start_server


@pytest.fixture
def server():
    yield from checked_server()


def test_a_client_flooding_expensive_lines_does_not_hold_a_bystander_up(server):
    """One client pipelining 64 KiB lines of combining marks gets a bounded share of each
    loop turn (in time): a bystander's reply waits tens of ms, not seconds."""
    with combining_flood(server.tcp) as flood:
        web = http_latencies(server.http_url + "/healthz", count=5)
        tcp = tcp_latencies(server.tcp, count=15)
    assert flood["replies"] > 0, "the flooding client itself must still be served"
    assert p50(tcp) < 0.2, "bystander parity 1: " + summary_ms(tcp)
    assert p50(web) < 0.2, "bystander /healthz: " + summary_ms(web)


def test_refused_messages_from_a_client_that_does_not_read_do_not_grow_memory():
    """Refusals owed behind unread replies do not pile up: the bridge stops reading that
    WebSocket instead (contract, "The web app")."""
    silent = TinyTcpServer(read_forever)
    try:
        with start_server("--quiet", "--backend", silent.address) as srv:
            growth, sent = refusals_while_not_reading(srv.host, srv.http_port, srv.proc.pid,
                                                      seconds=4.0)
            assert growth < 20 * 2**20, f"RSS grew {growth >> 20} MiB after {sent} refusals"
            assert http_latencies(srv.http_url + "/healthz", count=1)  # still answering
    finally:
        silent.close()


def test_a_server_whose_stdout_nobody_reads_keeps_answering_and_stops_on_sigterm():
    """The request log never blocks the service: with stdout a full pipe (every event
    logged with --log-format json), thousands of requests are answered, and SIGTERM
    still ends the server with status 0."""
    with server_with_unread_stdout("--log-format", "json") as (proc, port):
        assert lockstep(("127.0.0.1", port), 3000) == 3000
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0


def test_http_connections_without_a_complete_request_head_are_closed():
    """--header-timeout: connections that send nothing, or half a request head, are
    closed; one that finished its request and then idles is closed too; a WebSocket in use
    (its request long complete) is not."""
    with start_server("--quiet", "--header-timeout", "1") as srv:
        address = (srv.host, srv.http_port)
        with connect(address) as idle_after_response:
            idle_after_response.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert idle_after_response.recv(65536).startswith(b"HTTP/1.1 200")
            assert unfinished_http_requests(address, count=6, wait=3.0) == 0
            idle_after_response.settimeout(5)
            assert idle_after_response.recv(65536) == b""  # closed, not timed out
        with connect_ws(srv.ws_url) as ws:
            time.sleep(2.5)
            ws.send("parity 4")
            assert ws.recv(timeout=5) == "angka 4 merupakan genap"


def test_the_header_timeout_is_ten_seconds_by_default_and_documented():
    from server.cli import server_parser

    assert server_parser().parse_args([]).header_timeout == 10.0
    assert "--header-timeout" in server_parser().format_help()


def test_malformed_http_requests_and_viewers_leaving_mid_send_print_no_traceback():
    with start_server() as srv:
        http = (srv.host, srv.http_port)
        assert malformed_http_requests(http, rounds=10) == 10 * len(MALFORMED_HTTP)
        viewers_leaving_mid_send(http, srv.tcp)
        assert tcp_latencies(srv.tcp, count=2)
        stderr = srv.stderr()
    assert "Traceback" not in stderr
    assert len(stderr) < 2000, stderr[:2000]  # a client's mistake is not the operator's news


def test_events_viewers_are_capped_and_get_a_bounded_feed_under_connection_churn():
    """--max-viewers: one viewer more is refused (1013). Under connection churn every
    viewer gets the rate-limited feed (open/close at most 100 a second, then a snapshot),
    not an event per connection."""
    with start_server("--quiet", "--max-viewers", "8") as srv:
        http = (srv.host, srv.http_port)
        with events_viewers(http, 9) as got:
            churn = connection_churn(srv.tcp, 2.0)
            time.sleep(1.2)  # the last second's snapshot
        assert got["closed"] == 1
        per_viewer = got["bytes"] / 8
        every_event = churn * 2 * 2.0 * 60  # open + close, ~60 bytes each
        assert churn > 300, f"churn {churn:.0f}/s: too slow to test the rate limit"
        assert per_viewer < every_event / 2, (per_viewer, every_event)
        assert per_viewer < 3.5 * 200 * 200 + 20_000  # ~200 events/s of ~200 bytes


def test_on_sigterm_a_line_cut_by_a_read_is_not_answered_as_a_whole_request():
    """A client still sending a line byte by byte (5 ms apart, well under the idle
    flush) when the server shuts down: what has come of that line is not a request."""
    with start_server("--quiet", "--idle-flush-ms", "1000") as srv:
        sock = connect(srv.tcp, timeout=10)
        line = b"parity " + b"1" * 600 + b"\n"
        sending = threading.Thread(target=trickle, args=(sock, line), daemon=True)
        sending.start()
        time.sleep(0.5)
        srv.proc.send_signal(signal.SIGTERM)
        got = read_to_end(sock)
        assert srv.proc.wait(10) == 0
        sending.join(5)
    assert got == b"", got  # no reply: "angka 1111...1 merupakan ganjil" would be a lie


def read_to_end(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes (then the socket is closed)."""
    sock.settimeout(10)
    got = b""
    with contextlib.suppress(OSError):
        while chunk := sock.recv(65536):
            got += chunk
    sock.close()
    return got


def trickle(sock, data: bytes, pause: float = 0.005) -> None:
    with contextlib.suppress(OSError):
        for i in range(len(data)):
            sock.sendall(data[i:i + 1])
            time.sleep(pause)


def test_on_sigterm_complete_requests_in_the_receive_queue_are_answered():
    """A client pipelined far more than the server could answer while the client was not
    reading, so the server stopped reading it: at SIGTERM its requests wait in the
    kernel's receive queue. They were received: each gets its reply."""
    with start_server("--quiet", "--lang", "en") as srv:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        sock.connect(srv.tcp)
        sock.settimeout(0.5)
        # Requests of ~1 KB whose replies echo ~1 KB: 16 MB of replies, more than the
        # kernel buffers between us hold (several MB), so the server stops reading us long
        # before the end, and the rest waits in its receive queue at SIGTERM.
        request = json.dumps({"id": "x" * 1000, "text": "1"}).encode() + b"\n"
        lines = request * 1000
        accepted = 0
        with contextlib.suppress(TimeoutError):
            while accepted < 16 * len(lines):
                accepted += sock.send(lines[accepted % len(lines):])
        srv.proc.send_signal(signal.SIGTERM)
        time.sleep(0.4)  # past the shutdown's first 0.2 s: connections are being closed
        got = read_to_end(sock)
        assert srv.proc.wait(10) == 0
    replies = got.split(b"\n")
    assert replies.pop() == b""
    # Our last request may have gone out cut (the send timed out in the middle of it):
    # the server read its start from the receive queue after the shutdown began, so
    # it is a line cut by a read, not answered.
    assert all(reply.startswith(b'{"id": "xxx') for reply in replies), [
        r[:100] for r in replies if not r.startswith(b'{"id": "xxx')][:3]
    # What may not have reached the server: our send queue (SO_SNDBUF, doubled, plus
    # one 64 KiB segment the kernel may add to).
    in_client_buffers = (65536 + 2 * 4096) // len(request) + 1
    assert len(replies) >= accepted // len(request) - in_client_buffers, (
        len(replies), accepted // len(request))


def test_a_ping_whose_t_cannot_be_echoed_is_refused_and_the_session_stays_open():
    deep = "[" * 980 + "]" * 980
    with start_server("--quiet") as srv, connect_ws(srv.ws_url,
                                                     subprotocols=["playground.v1"]) as ws:
        assert json.loads(ws.recv(timeout=5))["type"] == "hello"
        for t in (deep, "NaN"):
            ws.send('{"type": "ping", "t": ' + t + "}")
            reply = json.loads(ws.recv(timeout=5), parse_constant=pytest.fail)
            assert reply["type"] == "rejected"
        ws.send('{"type": "ping", "t": 12.5}')
        assert json.loads(ws.recv(timeout=5)) == {"type": "pong", "t": 12.5}


def test_a_message_of_exactly_the_websocket_maximum_is_not_closed_one_byte_more_is():
    """README: only messages *bigger* than --ws-max-message close with 1009."""
    with start_server("--quiet", "--lang", "en") as srv:
        with connect_ws(srv.ws_url, max_size=None) as ws:
            ws.send("x" * (1 << 20))
            assert ws.recv(timeout=10).startswith("ERR line_too_long")
            ws.send("x" * ((1 << 20) + 1))
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=10)
            assert closed.value.rcvd.code == 1009
