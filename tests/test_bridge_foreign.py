"""The bridge to a foreign backend (``--backend``): connect only to send a message.

What is held here: CONTRACT.md "The web app" (with ``--backend`` no TCP connection when a
page merely opens or reloads, never one that closes without a request; a message typed while
the backend is down waits), docs/web-api.md (the ``connecting``, ``tcp_open``, ``tcp_closed``
and ``unreachable`` envelopes, the ``end`` of ``send``), docs/protocol.md (messages without a
line ending are not run together). The backends are student-style servers: a real
single-threaded process (``tests/lab_server.py``) or tiny threaded ones.
"""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest
from websockets.sync.client import connect as ws_connect

from server.foreign import must_hold
from tests.support import (
    LabServer,
    TinyTcpServer,
    free_port,
    lines_of,
    start_server,
    wait_until,
)
from tests.test_bridge import SUBPROTOCOL, ask, expect_close, recv_json, recv_type
from tests.test_events_feed import feed

pytestmark = pytest.mark.timeout(60)


def send(ws, text: str, end: str | None = None) -> None:
    command = {"type": "send", "text": text}
    if end is not None:
        command["end"] = end
    ws.send(json.dumps(command))


# -- the hold rule (sans-I/O) ----------------------------------------------------------------
def test_hold_rule() -> None:
    assert not must_hold(False, 0, True, True)          # nothing owed: never held
    assert not must_hold(False, 2, False, False)        # terminated lines pipeline
    assert must_hold(False, 1, False, True)             # no ending: waits for the replies
    assert must_hold(False, 1, True, False)             # behind one without an ending
    assert must_hold(True, 1, False, False)             # one at a time (the page)


# -- lazy: nothing until a message -------------------------------------------------------------
def test_opening_websockets_connects_nothing_and_a_message_connects_once() -> None:
    with LabServer("parity") as lab, start_server("--backend", lab.address, tcp=False) as s:
        for protocols in (None, [SUBPROTOCOL], None, [SUBPROTOCOL]):  # pages open and reload
            with ws_connect(s.ws_url, subprotocols=protocols) as ws:
                if protocols:
                    hello = recv_json(ws)
                    assert hello["type"] == "hello"
                    assert hello["foreign"] is True and hello["local"] is None
        with ws_connect(s.ws_url) as ws:
            assert ask(ws, "42") == "angka 42 merupakan genap"
        # Had any of the four WebSockets connected, the server (one client at a time, crashing
        # on a connection without data) would have died or answered someone else first.
        assert lab.accepts == 1, lab.output()
        assert lab.alive


def test_one_request_per_connection_server_keeps_the_session_open() -> None:
    with LabServer("parity") as lab, start_server("--backend", lab.address, tcp=False) as s:
        with ws_connect(s.ws_url) as ws:
            assert ask(ws, "42") == "angka 42 merupakan genap"
            assert ask(ws, "7") == "angka 7 merupakan ganjil"   # a new connection
        with ws_connect(s.ws_url, subprotocols=[SUBPROTOCOL]) as ws:
            recv_type(ws, "hello")
            for number, word in (("10", "genap"), ("3", "ganjil")):
                send(ws, number, "none")
                assert recv_type(ws, "connecting")["backend"] == lab.address
                opened = recv_type(ws, "tcp_open")
                assert opened["local"].startswith("127.0.0.1:")
                sent = recv_type(ws, "sent")
                assert sent["wire"] == number and sent["bytes"] == len(number)
                reply = recv_type(ws, "reply")
                assert reply["line"] == f"angka {number} merupakan {word}"
                closed = recv_type(ws, "tcp_closed")
                assert (closed["how"], closed["owed"]) == ("closed", 0)
                assert closed["connection"] == opened["connection"]
        assert lab.accepts == 4 and lab.alive


@pytest.mark.parametrize(("end", "wire", "count"),
                         [("none", b"halo dunia", "10"), ("lf", b"halo dunia\n", "11"),
                          ("crlf", b"halo dunia\r\n", "12")])
def test_line_ending_reaches_the_server_as_chosen(end: str, wire: bytes, count: str) -> None:
    with LabServer("length") as lab, start_server("--backend", lab.address, tcp=False) as s:
        with ws_connect(s.ws_url, subprotocols=[SUBPROTOCOL]) as ws:
            recv_type(ws, "hello")
            send(ws, "halo dunia", end)
            assert recv_type(ws, "sent")["wire"].encode() == wire
            assert recv_type(ws, "reply")["line"] == count  # the server counted what came


def test_line_ending_given_with_a_line_break_in_the_text_is_refused() -> None:
    with LabServer("length") as lab, start_server("--backend", lab.address, tcp=False) as s:
        with ws_connect(s.ws_url, subprotocols=[SUBPROTOCOL]) as ws:
            recv_type(ws, "hello")
            send(ws, "halo\n", "none")
            assert recv_json(ws)["type"] == "rejected"
            send(ws, "halo", "cr")  # not a line ending the page offers
            assert recv_json(ws)["type"] == "rejected"
        assert lab.accepts == 0


def test_messages_without_line_ending_do_not_run_together() -> None:
    chunks: list[bytes] = []

    def reply_per_read(conn: socket.socket) -> None:  # stays open, answers each recv
        while data := conn.recv(1024):
            chunks.append(data)
            conn.sendall(b"got " + data)

    with TinyTcpServer(reply_per_read) as backend, \
            start_server("--backend", backend.address, tcp=False) as s:
        with ws_connect(s.ws_url, subprotocols=[SUBPROTOCOL]) as ws:
            recv_type(ws, "hello")
            send(ws, "42", "none")
            send(ws, "7", "none")  # sent at once: the bridge holds it for the reply
            assert recv_type(ws, "reply")["line"] == "got 42"
            assert recv_type(ws, "reply")["line"] == "got 7"
    assert chunks == [b"42", b"7"]
    assert len(backend.peers) == 1  # one connection, two requests, never "427"


# -- how a connection ended ---------------------------------------------------------------------
def test_a_crash_is_named_closed_without_reply() -> None:
    with LabServer("parity") as lab, start_server("--backend", lab.address, tcp=False) as s:
        with ws_connect(s.ws_url, subprotocols=[SUBPROTOCOL]) as ws:
            recv_type(ws, "hello")
            send(ws, "abc", "none")  # int("abc") raises: the server dies
            closed = recv_type(ws, "tcp_closed")
            assert (closed["how"], closed["owed"]) == ("closed_without_reply", 1)
            assert "without replying" in closed["detail"]
        assert "ValueError" in lab.output()

    with LabServer("parity") as lab, start_server("--backend", lab.address, tcp=False) as s:
        with ws_connect(s.ws_url) as ws:
            ws.send("abc")
            code, reason, messages = expect_close(ws)
        assert (code, messages) == (1011, [])
        assert reason == "backend closed the connection without replying"


def test_refused_is_told_and_the_session_stays_open_until_the_server_is_back() -> None:
    port = free_port()
    with start_server("--backend", f"127.0.0.1:{port}", tcp=False) as s:
        with ws_connect(s.ws_url, subprotocols=[SUBPROTOCOL]) as ws:
            recv_type(ws, "hello")  # accepted: nothing was tried yet
            send(ws, "42", "lf")
            unreachable = recv_type(ws, "unreachable")
            assert unreachable["reason"] == "refused"
            assert unreachable["detail"] == "connection refused"
            assert unreachable["text"] == "42"
            with TinyTcpServer(lambda conn: [conn.sendall(b"ok\n") for _ in lines_of(conn)],
                               port=port):
                send(ws, "42", "lf")  # the page sends it again
                assert recv_type(ws, "reply")["line"] == "ok"

        with ws_connect(s.ws_url) as ws:  # a plain client: the contract's 1013
            ws.send("42")
            code, reason, _ = expect_close(ws)
        assert code == 1013
        assert reason == f"backend unreachable: 127.0.0.1:{port} (connection refused)"


def test_reset_is_named_reset() -> None:
    def reset(conn: socket.socket) -> None:
        conn.recv(1024)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        conn.close()

    with TinyTcpServer(reset) as backend, \
            start_server("--backend", backend.address, tcp=False) as s:
        with ws_connect(s.ws_url, subprotocols=[SUBPROTOCOL]) as ws:
            recv_type(ws, "hello")
            send(ws, "42")
            closed = recv_type(ws, "tcp_closed")
            assert closed["how"] == "reset"
            assert closed["detail"] == "backend connection lost: connection reset"


def test_silence_is_named_timeout_and_the_connection_is_closed() -> None:
    eof = threading.Event()

    def silent(conn: socket.socket) -> None:
        while conn.recv(1024):
            pass
        eof.set()

    with TinyTcpServer(silent) as backend, \
            start_server("--backend", backend.address, "--reply-timeout", "0.5",
                         tcp=False) as s:
        with ws_connect(s.ws_url, subprotocols=[SUBPROTOCOL]) as ws:
            recv_type(ws, "hello")
            started = time.monotonic()
            send(ws, "42", "none")
            closed = recv_type(ws, "tcp_closed", timeout=10)
            assert closed["how"] == "timeout"
            assert time.monotonic() - started >= 0.5
            assert eof.wait(5), "the bridge left the silent connection open"


def test_a_websocket_closed_while_connecting_still_sends_its_request() -> None:
    received: list[bytes] = []

    def record(conn: socket.socket) -> None:
        received.append(conn.recv(1024))

    with TinyTcpServer(record) as backend, \
            start_server("--backend", backend.address, tcp=False) as s:
        with ws_connect(s.ws_url) as ws:
            ws.send("42")
        wait_until(lambda: received, 5, what="the request to arrive")
    assert received == [b"42\n"]  # a connection is never opened and closed without data


# -- the server view: this playground's connections to that server --------------------------------
def test_server_view_shows_the_bridges_own_connections_with_their_client_address() -> None:
    with LabServer("parity") as lab, start_server("--backend", lab.address, tcp=False) as s, \
            feed(s) as viewer:
        with ws_connect(s.ws_url + "?label=mine") as ws:
            assert ask(ws, "42") == "angka 42 merupakan genap"
            opened = viewer.of("open", label="mine")
            assert opened["backend"] == lab.address
            assert opened["peer"] != lab.address           # the client's address, not the server's
            assert opened["peer"].startswith("127.0.0.1:")
            request = viewer.of("request", conn=opened["conn"])
            assert request["request"] == "42"
            assert request["reply"] == "angka 42 merupakan genap"
            assert request["ms"] >= 0
            closed = viewer.of("close", conn=opened["conn"])
            assert closed["reason"] == "closed"
        accepted = [line for line in lab.lines if line.startswith("accepted")]
        assert accepted == [f"accepted ('127.0.0.1', {opened['peer'].rsplit(':', 1)[1]})"]


def test_a_plain_websockets_relayed_requests_are_in_the_request_log() -> None:
    """docs/protocol.md, "Request log": a request relayed to a foreign server is logged when
    its reply comes, however the reply reached the browser (a plain WebSocket's replies take
    the bridge's fastest path)."""
    with LabServer("parity") as lab, start_server("--backend", lab.address, tcp=False) as s:
        with ws_connect(s.ws_url) as ws:
            assert ask(ws, "42") == "angka 42 merupakan genap"
        wait_until(lambda: f"-> {lab.address}" in s.stdout(), what="the relayed request logged")
        line = next(x for x in s.stdout().splitlines() if x.endswith(f"-> {lab.address}"))
        assert line.startswith("Request dari client : 42 IP client : ('127.0.0.1', ")
