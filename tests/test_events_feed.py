"""The server view's feed ``GET /events``, against the real server: the snapshot, the
events of raw TCP clients and of bridge sessions, ``--single`` queueing and turn passing,
the rate cap on request events, and the Origin check.

What is held here: docs/web-api.md "GET /events", CONTRACT.md "The page" (server view,
queue experiment).
"""

from __future__ import annotations

import json
import signal
import socket
import socketserver
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection
from websockets.sync.client import connect as ws_connect

from tests.support import ServerProcess, connect, read_lines, start_server

pytestmark = pytest.mark.timeout(60)


class Feed:
    """A viewer of ``/events``: every event received is kept, in order."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.events: list[dict] = []

    def wait(self, predicate: Callable[[dict], bool], timeout: float = 5.0) -> dict:
        """The first event (already received or still to come) matching ``predicate``."""
        for event in self.events:
            if predicate(event):
                return event
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no matching event within {timeout} s; got {self.events}")
            try:
                event = json.loads(self.ws.recv(timeout=remaining))
            except TimeoutError:
                continue
            self.events.append(event)
            if predicate(event):
                return event

    def of(self, kind: str, **fields: object) -> dict:
        return self.wait(lambda e: e["type"] == kind
                         and all(e.get(k) == v for k, v in fields.items()))


@contextmanager
def feed(server: ServerProcess, **kwargs: object) -> Iterator[Feed]:
    with ws_connect(f"ws://127.0.0.1:{server.http_port}/events", **kwargs) as ws:
        viewer = Feed(ws)
        snapshot = json.loads(ws.recv(timeout=5))
        viewer.events.append(snapshot)
        yield viewer


def address(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"{host}:{port}"


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    with start_server() as s:  # Indonesian, as in the lab sheet
        yield s


# -- snapshot ------------------------------------------------------------------------------
def test_snapshot_comes_first_and_lists_open_connections(server: ServerProcess) -> None:
    with connect(server.tcp) as client:
        client.sendall(b"parity 2\n")
        assert read_lines(client, 1) == [b"angka 2 merupakan genap"]
        with feed(server) as viewer:
            snapshot = viewer.events[0]
            assert snapshot["type"] == "snapshot"
            assert snapshot["single"] is False
            assert snapshot["external_backend"] is False
            mine = [c for c in snapshot["connections"] if c["peer"] == address(client)]
            assert len(mine) == 1, snapshot
            entry = mine[0]
            assert entry["label"] is None
            assert entry["state"] == "served"
            assert isinstance(entry["conn"], int)
            assert isinstance(entry["opened"], (int, float))
            assert abs(entry["opened"] - time.time() * 1000) < 60_000


# -- raw TCP clients ---------------------------------------------------------------------------
def test_raw_tcp_client_open_request_close(server: ServerProcess) -> None:
    with feed(server) as viewer:
        # the lab sheet's clients: one message without LF, read the reply, close
        for message, reply, handler in [(b"42", "angka 42 merupakan genap", "parity"),
                                        (b"halo dunia", "jumlah karakter: 10", "length")]:
            with connect(server.tcp) as client:
                peer = address(client)
                client.sendall(message)
                assert read_lines(client, 1) == [reply.encode()]
            opened = viewer.of("open", peer=peer)
            conn = opened["conn"]
            assert opened["label"] is None
            assert opened["state"] == "served"
            assert "position" not in opened
            request = viewer.of("request", conn=conn)
            assert request["peer"] == peer
            assert request["request"] == message.decode()
            assert request["reply"] == reply
            assert request["handler"] == handler
            assert request["outcome"] == "ok"
            assert request["label"] is None
            closed = viewer.of("close", conn=conn)
            assert closed["reason"] == "client closed"
            kinds = [e["type"] for e in viewer.events if e.get("conn") == conn]
            assert kinds == ["open", "request", "close"]
            for event in (opened, request, closed):
                assert isinstance(event["t"], (int, float))


def test_request_event_reports_error_outcome_and_abbreviates(server: ServerProcess) -> None:
    with feed(server) as viewer, connect(server.tcp) as client:
        long_text = "length " + "a" * 500
        client.sendall(b"parity abc\n" + long_text.encode() + b"\n")
        read_lines(client, 2)
        conn = viewer.of("open", peer=address(client))["conn"]
        first = viewer.of("request", conn=conn)
        assert first["request"] == "parity abc"
        assert first["reply"].startswith("ERR not_an_integer")
        assert first["handler"] == "parity"
        assert first["outcome"] == "not_an_integer"
        second = viewer.wait(lambda e: e["type"] == "request" and e["conn"] == conn
                             and e is not first)
        assert len(second["request"]) <= 205
        assert second["request"].startswith("length aaa")
        assert second["reply"] == "jumlah karakter: 500"


def test_idle_timeout_close_reason() -> None:
    with start_server("--idle-timeout", "0.5") as s, feed(s) as viewer:
        with connect(s.tcp) as client:
            conn = viewer.of("open", peer=address(client))["conn"]
            assert viewer.wait(lambda e: e["type"] == "close" and e["conn"] == conn,
                               timeout=5)["reason"] == "idle timeout"
            client.settimeout(5)
            assert client.recv(100) == b""


def test_request_events_over_the_rate_are_counted_as_skipped(server: ServerProcess) -> None:
    total = 300
    with feed(server) as viewer, connect(server.tcp) as client:
        client.sendall(b"".join(b"parity %d\n" % n for n in range(total)))
        read_lines(client, total)
        conn = viewer.of("open", peer=address(client))["conn"]

        def accounted() -> int:
            shown = sum(1 for e in viewer.events
                        if e["type"] == "request" and e.get("conn") == conn)
            skipped = sum(e["count"] for e in viewer.events if e["type"] == "skipped")
            return shown + skipped

        viewer.wait(lambda e: accounted() >= total, timeout=5)
        shown = sum(1 for e in viewer.events if e["type"] == "request" and e.get("conn") == conn)
        assert shown < total  # more than 100 a second are counted, not shown
        assert accounted() == total


# -- bridge sessions ------------------------------------------------------------------------
def test_bridge_session_is_labelled(server: ServerProcess) -> None:
    with feed(server) as viewer:
        with ws_connect(server.ws_url + "?label=queue-1",
                        subprotocols=["playground.v1"]) as ws:
            hello = json.loads(ws.recv(timeout=5))
            ws.send(json.dumps({"type": "send", "text": "parity 3"}))
            while json.loads(ws.recv(timeout=5))["type"] != "reply":
                pass
            opened = viewer.of("open", peer=hello["local"])
            assert opened["label"] == "queue-1"
            assert opened["state"] == "served"
            request = viewer.of("request", conn=opened["conn"])
            assert request["label"] == "queue-1"
            assert request["request"] == "parity 3"
            assert request["reply"] == "angka 3 merupakan ganjil"
        viewer.of("close", conn=opened["conn"])

        # unlabelled sessions are "ws N"; labels are cut at 40 characters
        with ws_connect(server.ws_url, subprotocols=["playground.v1"]) as ws:
            hello = json.loads(ws.recv(timeout=5))
            opened = viewer.of("open", peer=hello["local"])
            assert opened["label"] == f"ws {hello['session']}"
        with ws_connect(server.ws_url + "?label=" + "L" * 60,
                        subprotocols=["playground.v1"]) as ws:
            hello = json.loads(ws.recv(timeout=5))
            assert viewer.of("open", peer=hello["local"])["label"] == "L" * 40


def test_bridge_sessions_to_an_external_backend() -> None:
    def echo(conn: socket.socket) -> None:
        while data := conn.recv(65536):
            conn.sendall(data.upper())

    class Server(socketserver.ThreadingTCPServer):
        allow_reuse_address = True
        daemon_threads = True

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            try:
                echo(self.request)
            except OSError:
                pass

    backend = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=backend.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    backend_text = f"127.0.0.1:{backend.server_address[1]}"
    try:
        with start_server("--backend", backend_text, tcp=False) as s, feed(s) as viewer:
            snapshot = viewer.events[0]
            assert snapshot["external_backend"] is True
            assert snapshot["connections"] == []
            with ws_connect(s.ws_url + "?label=mine") as ws:
                ws.send("hello")
                assert ws.recv(timeout=5) == "HELLO"
                opened = viewer.of("open", label="mine")
                assert opened["backend"] == backend_text
                assert opened["peer"] != backend_text  # the client's address (the bridge's)
                request = viewer.of("request", conn=opened["conn"])
                assert request["request"] == "hello"
                assert request["reply"] == "HELLO"
            viewer.of("close", conn=opened["conn"])
    finally:
        backend.shutdown()
        backend.server_close()


# -- --single -------------------------------------------------------------------------------
def test_single_second_connection_waits_then_is_served() -> None:
    with start_server("--single") as s, feed(s) as viewer:
        assert viewer.events[0]["single"] is True
        first = connect(s.tcp)
        try:
            first.sendall(b"parity 1\n")
            assert read_lines(first, 1) == [b"angka 1 merupakan ganjil"]
            first_conn = viewer.of("open", peer=address(first))["conn"]
            with connect(s.tcp) as second:
                second.sendall(b"parity 2\n")
                opened = viewer.of("open", peer=address(second))
                assert opened["state"] == "waiting"
                assert opened["position"] == 1
                second_conn = opened["conn"]
                assert not any(e["type"] == "served" and e.get("conn") == second_conn
                               for e in viewer.events)
                first.close()
                viewer.of("close", conn=first_conn)
                viewer.of("served", conn=second_conn)
                # what it sent while waiting is answered now
                assert read_lines(second, 1) == [b"angka 2 merupakan genap"]
                viewer.of("request", conn=second_conn)
        finally:
            first.close()


def test_single_idle_connection_passes_its_turn() -> None:
    with start_server("--single", "--turn-idle", "0.5") as s, feed(s) as viewer:
        with connect(s.tcp) as first, connect(s.tcp) as second:
            first.sendall(b"parity 1\n")
            assert read_lines(first, 1) == [b"angka 1 merupakan ganjil"]
            first_conn = viewer.of("open", peer=address(first))["conn"]
            second.sendall(b"length abc\n")
            opened = viewer.of("open", peer=address(second))
            assert opened["state"] == "waiting"
            # first stays idle (but open): after --turn-idle the second one is served
            served = viewer.of("served", conn=opened["conn"])
            # not before the first one has been idle --turn-idle since its last request
            last_request = viewer.of("request", conn=first_conn)
            assert served["t"] - last_request["t"] >= 450
            assert read_lines(second, 1) == [b"jumlah karakter: 3"]
            # and the first now waits, first in line
            viewer.wait(lambda e: e["type"] == "waiting" and e["conn"] == first_conn
                        and e["position"] == 1)
            assert not any(e["type"] == "close" and e.get("conn") == first_conn
                           for e in viewer.events)


# -- Origin check ---------------------------------------------------------------------------
def test_events_refused_for_a_foreign_origin(server: ServerProcess) -> None:
    with pytest.raises(InvalidStatus) as refused:
        with ws_connect(f"ws://127.0.0.1:{server.http_port}/events",
                        origin="http://evil.example"):
            pass
    assert refused.value.response.status_code == 403
    with feed(server, origin=f"http://127.0.0.1:{server.http_port}") as viewer:
        assert viewer.events[0]["type"] == "snapshot"


# -- shutdown -------------------------------------------------------------------------------
def test_sigterm_closes_viewers_1001_and_exits_0() -> None:
    s = start_server()
    try:
        with feed(s) as viewer:
            s.proc.send_signal(signal.SIGTERM)
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    viewer.ws.recv(timeout=5)
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 1001
        assert s.proc.wait(5) == 0
    finally:
        s.terminate()


def test_no_event_about_a_connection_comes_before_its_open() -> None:
    with start_server("--single") as s, feed(s) as viewer:
        with connect(s.tcp) as first, connect(s.tcp) as second:
            first.sendall(b"parity 1\n")
            read_lines(first, 1)
            opened = viewer.of("open", peer=address(second))
            kinds = [e["type"] for e in viewer.events if e.get("conn") == opened["conn"]]
            assert kinds[0] == "open", kinds
