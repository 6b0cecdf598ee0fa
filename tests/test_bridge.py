"""The WebSocket bridge ``GET /ws``, against the real server and, for backends that behave
like the lab sheet's own server, tiny TCP servers (``TinyTcpServer`` in tests/support.py).

What is held here: CONTRACT.md "The web app", docs/web-api.md "GET /ws" (plain mode and the
``playground.v1`` subprotocol, close codes and reasons, the Origin check, shutdown).
"""

from __future__ import annotations

import json
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection
from websockets.sync.client import connect as ws_connect

from tests.support import (
    ServerProcess,
    TinyTcpServer,
    connect,
    free_port,
    http_get,
    lab_sheet_handler,
    lines_of,
    read_lines,
    start_server,
    wait_until,
)
from tests.test_events_feed import feed
from tests.test_web_app import scrape, value

pytestmark = pytest.mark.timeout(60)

SUBPROTOCOL = "playground.v1"


# -- helpers ------------------------------------------------------------------------------
def recv_json(ws: ClientConnection, timeout: float = 5.0) -> dict:
    return json.loads(ws.recv(timeout=timeout))


def recv_type(ws: ClientConnection, kind: str, timeout: float = 5.0) -> dict:
    """The next envelope of type ``kind`` (others before it are skipped)."""
    deadline = time.monotonic() + timeout
    while True:
        message = recv_json(ws, max(0.01, deadline - time.monotonic()))
        if message["type"] == kind:
            return message


def expect_close(ws: ClientConnection, timeout: float = 5.0) -> tuple[int, str, list[str]]:
    """Read until the server closes; (code, reason, messages received before the close)."""
    messages: list[str] = []
    deadline = time.monotonic() + timeout
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"WebSocket still open after {timeout} s: {messages}")
            messages.append(ws.recv(timeout=remaining))
    except TimeoutError:
        raise AssertionError(f"WebSocket still open after {timeout} s: {messages}") from None
    except ConnectionClosed as closed:
        assert closed.rcvd is not None, "no close frame from the server"
        return closed.rcvd.code, closed.rcvd.reason, messages


def ask(ws: ClientConnection, text: str) -> str:
    ws.send(text)
    return ws.recv(timeout=5)


def scripted(replies: dict[bytes, bytes]) -> Callable[[socket.socket], None]:
    """A backend that stays open and answers each request line with ``replies[line]``
    (raw bytes, sent as they are), or ``echo:<line>\\n``."""
    def handle(conn: socket.socket) -> None:
        for line in lines_of(conn):
            conn.sendall(replies.get(line, b"echo:" + line + b"\n"))
    return handle


@contextmanager
def bridge_to(handler: Callable[[socket.socket], None],
              *args: str) -> Iterator[tuple[ServerProcess, TinyTcpServer]]:
    """A :class:`TinyTcpServer` serving ``handler``, and a server started with ``--backend``
    pointing at it (and ``args``): (the server, the backend)."""
    with TinyTcpServer(handler) as backend, \
            start_server("--backend", backend.address, *args) as bridge:
        yield bridge, backend


def ok_until_eof(closed: threading.Event) -> Callable[[socket.socket], None]:
    """A backend that answers every line with ``ok`` and sets ``closed`` at EOF."""
    def handle(conn: socket.socket) -> None:
        for _ in lines_of(conn):
            conn.sendall(b"ok\n")
        closed.set()
    return handle


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    with start_server("--lang", "en", "--max-line", "1000", "--ws-max-message", "8192") as s:
        yield s


# -- plain mode -----------------------------------------------------------------------------
def test_text_message_gets_reply_without_lf(server: ServerProcess) -> None:
    with ws_connect(server.ws_url) as ws:
        assert ws.subprotocol is None
        assert ask(ws, "parity 42") == "42 is even"
        assert ask(ws, "length héllo") == "5 characters"
        assert ask(ws, "-7") == "-7 is odd"
        reply = json.loads(ask(ws, '{"id": 7, "handler": "length", "text": "héllo"}'))
        assert reply == {"id": 7, "ok": True, "handler": "length",
                         "result": {"characters": 5, "bytes": 6, "graphemes": 5},
                         "message": "5 characters"}


@pytest.mark.parametrize("ending", ["\n", "\r\n"])
def test_one_trailing_line_ending_is_the_line_ending(server: ServerProcess, ending: str) -> None:
    with ws_connect(server.ws_url) as ws:
        assert ask(ws, "parity 42" + ending) == "42 is even"
        # the ending is not part of the text
        assert ask(ws, "length abc" + ending) == "3 characters"


def test_several_messages_in_flight_are_answered_in_order(server: ServerProcess) -> None:
    requests = [f"parity {n}" for n in range(60)] + [f"length {'x' * n}" for n in range(1, 21)]
    expected = [f"{n} is {'even' if n % 2 == 0 else 'odd'}" for n in range(60)] + [
        f"{n} character{'' if n == 1 else 's'}" for n in range(1, 21)]
    with ws_connect(server.ws_url) as ws:
        for text in requests:
            ws.send(text)
        assert [ws.recv(timeout=5) for _ in requests] == expected


def test_bridge_rejections_keep_their_place_in_order(server: ServerProcess) -> None:
    with ws_connect(server.ws_url) as ws:
        for text in ["parity 1", "a\nb", "parity 2", "x" * 1001, "parity 3"]:
            ws.send(text)
        replies = [ws.recv(timeout=5) for _ in range(5)]
    assert replies[0] == "1 is odd"
    assert replies[1].startswith("ERR invalid_request")
    assert replies[2] == "2 is even"
    assert replies[3].startswith("ERR line_too_long")
    assert replies[4] == "3 is odd"


@pytest.mark.parametrize("text", ["parity 1\nparity 2", "a\rb", "parity 1\r", "parity 1\n\n",
                                  "parity 1\r\n\r\n", "\nparity 1"])
def test_inner_line_break_is_invalid_request_and_stays_open(server: ServerProcess,
                                                            text: str) -> None:
    with ws_connect(server.ws_url) as ws:
        reply = ask(ws, text)
        assert reply.startswith("ERR invalid_request"), reply
        assert "\n" not in reply
        # never a silent split: nothing else comes for that message
        assert ask(ws, "parity 5") == "5 is odd"


def test_json_message_with_line_break_gets_json_error_with_its_id(server: ServerProcess) -> None:
    with ws_connect(server.ws_url) as ws:
        reply = json.loads(ask(ws, '{"id": 41, "handler": "length",\n "text": "a"}'))
        assert reply["id"] == 41
        assert reply["ok"] is False
        assert reply["error"]["code"] == "invalid_request"
        reply = json.loads(ask(ws, '{"id": "abc",\r\n "text": "a", "lang": "id"}\n'))
        assert reply["id"] == "abc"
        assert reply["error"]["code"] == "invalid_request"
        assert reply["error"]["message"].startswith("permintaan tidak valid")  # its "lang"
        assert ask(ws, "parity 8") == "8 is even"


def test_message_over_max_line_is_line_too_long_and_stays_open(server: ServerProcess) -> None:
    with ws_connect(server.ws_url) as ws:
        reply = ask(ws, "length " + "x" * 994)  # 1001 bytes
        assert reply.startswith("ERR line_too_long"), reply
        # exactly the limit is fine; the line ending does not count
        assert ask(ws, "length " + "x" * 993) == "993 characters"
        assert ask(ws, "length " + "x" * 993 + "\r\n") == "993 characters"
        # the limit is in UTF-8 bytes: 500 'é' are 1000 bytes + 7
        assert ask(ws, "length " + "é" * 500).startswith("ERR line_too_long")
        assert ask(ws, "length " + "é" * 496) == "496 characters"
        reply = json.loads(ask(ws, json.dumps({"id": 9, "text": "y" * 1200})))
        assert reply["id"] == 9
        assert reply["ok"] is False
        assert reply["error"]["code"] == "line_too_long"
        assert ask(ws, "parity 9") == "9 is odd"


def test_message_over_websocket_max_size_closes_1009_others_unharmed(
        server: ServerProcess) -> None:
    with ws_connect(server.ws_url) as other, ws_connect(server.ws_url) as ws:
        assert ask(other, "parity 1") == "1 is odd"
        ws.send("length " + "z" * 9000)  # over --ws-max-message 8192
        code, _, messages = expect_close(ws)
        assert code == 1009
        assert messages == []
        assert ask(other, "parity 2") == "2 is even"
    with ws_connect(server.ws_url) as ws:
        assert ask(ws, "parity 3") == "3 is odd"


def test_binary_message_gets_err_reply(server: ServerProcess) -> None:
    with ws_connect(server.ws_url) as ws:
        ws.send(b"parity 42")
        try:
            reply = ws.recv(timeout=5)
        except ConnectionClosed as closed:  # the contract's other choice
            assert closed.rcvd is not None and closed.rcvd.code == 1003
            return
        assert isinstance(reply, str)
        assert reply.startswith("ERR invalid_request"), reply
        assert ask(ws, "parity 4") == "4 is even"


def test_empty_message_is_an_empty_request(server: ServerProcess) -> None:
    with ws_connect(server.ws_url) as ws:
        assert ask(ws, "").startswith("ERR empty")
        assert ask(ws, "\n").startswith("ERR empty")
        assert ask(ws, "parity 6") == "6 is even"


# -- backends that are down, close, pause or die ---------------------------------------------
def test_backend_unreachable_closes_1013() -> None:
    port = free_port()
    with start_server("--backend", f"127.0.0.1:{port}", tcp=False) as s:
        with ws_connect(s.ws_url) as ws:
            ws.send("42")  # a foreign backend is tried only to send (test_bridge_foreign)
            code, reason, messages = expect_close(ws)
        assert code == 1013
        assert "unreachable" in reason
        assert f"127.0.0.1:{port}" in reason
        assert messages == []


def test_lab_sheet_backend_reply_arrives_and_the_session_stays_open() -> None:
    with bridge_to(lab_sheet_handler()) as (s, backend):
        with ws_connect(s.ws_url) as ws:
            assert ask(ws, "42") == "angka 42 merupakan genap"
            assert ask(ws, "43") == "angka 43 merupakan ganjil"  # on a new connection
        assert len(backend.peers) == 2

        with ws_connect(s.ws_url, subprotocols=[SUBPROTOCOL]) as ws:
            assert ws.subprotocol == SUBPROTOCOL
            hello = recv_json(ws)
            assert hello["type"] == "hello"
            ws.send(json.dumps({"type": "send", "text": "7"}))
            envelopes = [recv_json(ws) for _ in range(5)]
        assert [e["type"] for e in envelopes] == ["connecting", "tcp_open", "sent", "reply",
                                                   "tcp_closed"]
        reply = envelopes[3]
        assert reply["line"] == "angka 7 merupakan ganjil"
        assert reply["wire"] == "angka 7 merupakan ganjil"
        assert reply["bytes"] == len("angka 7 merupakan ganjil")
        assert reply["end"] in ("close", "idle")
        assert envelopes[4]["how"] == "closed"


def test_backend_reply_without_lf_staying_open_is_flushed_after_pause() -> None:
    handler = scripted({b"one": b"first", b"two": b"\nsecond\n", b"three": b"third"})
    with bridge_to(handler) as (s, _):
        with ws_connect(s.ws_url) as ws:
            started = time.monotonic()
            assert ask(ws, "one") == "first"
            assert time.monotonic() - started < 2.0
            # the LF that follows a flushed reply ends it; it is not an empty reply
            assert ask(ws, "two") == "second"
            assert ask(ws, "plain") == "echo:plain"
        with ws_connect(s.ws_url, subprotocols=[SUBPROTOCOL]) as ws:
            recv_type(ws, "hello")
            ws.send(json.dumps({"type": "send", "text": "three"}))
            reply = recv_type(ws, "reply")
            assert reply["line"] == "third"
            assert reply["wire"] == "third"
            assert reply["bytes"] == 5
            assert reply["end"] == "idle"
            # and the WebSocket stays open
            ws.send(json.dumps({"type": "send", "text": "four"}))
            assert recv_type(ws, "reply")["line"] == "echo:four"


def test_backend_reply_endings_and_bytes_are_reported() -> None:
    handler = scripted({b"crlf": b"hello\r\n", b"latin": b"caf\xe9\n", b"two": b"a\nb\n"})
    with bridge_to(handler) as (s, _):
        with ws_connect(s.ws_url) as ws:
            assert ask(ws, "crlf") == "hello"
            assert ask(ws, "latin") == "caf\ufffd"
            ws.send("two")
            assert [ws.recv(timeout=5), ws.recv(timeout=5)] == ["a", "b"]
        with ws_connect(s.ws_url, subprotocols=[SUBPROTOCOL]) as ws:
            recv_type(ws, "hello")
            ws.send(json.dumps({"type": "send", "text": "crlf"}))
            reply = recv_type(ws, "reply")
            assert (reply["line"], reply["wire"], reply["bytes"], reply["end"]) == (
                "hello", "hello\r\n", 7, "crlf")
            ws.send(json.dumps({"type": "send", "text": "latin"}))
            reply = recv_type(ws, "reply")
            assert reply["line"] == "caf\ufffd"
            assert reply["bytes"] == 5
            assert bytes.fromhex(reply["hex"]) == b"caf\xe9\n"


def test_backend_reply_over_websocket_limit_is_refused_not_relayed() -> None:
    handler = scripted({b"huge": b"h" * 20000 + b"\n"})
    with bridge_to(handler, "--ws-max-message", "8192") as (s, _):
        with ws_connect(s.ws_url, max_size=1 << 20) as ws:
            reply = ask(ws, "huge")
            assert reply.startswith("ERR line_too_long"), reply[:80]
            assert len(reply) < 8192
            assert ask(ws, "after") == "echo:after"


def test_backend_reset_closes_1011() -> None:
    def reset_after_reply(conn: socket.socket) -> None:
        lines = lines_of(conn)
        next(lines, None)
        conn.sendall(b"ok\n")
        next(lines, None)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        conn.close()

    with bridge_to(reset_after_reply) as (s, _):
        with ws_connect(s.ws_url) as ws:
            assert ask(ws, "first") == "ok"
            ws.send("second")
            code, reason, _ = expect_close(ws)
        assert code == 1011
        assert "backend" in reason and "lost" in reason


def test_websocket_close_closes_its_backend_connection() -> None:
    closed = threading.Event()
    with bridge_to(ok_until_eof(closed)) as (s, _):
        with ws_connect(s.ws_url) as ws:
            assert ask(ws, "x") == "ok"
        assert closed.wait(5), "the backend connection stayed open after the WebSocket closed"


def test_client_vanishing_without_close_frame_closes_its_backend_connection() -> None:
    closed = threading.Event()
    with bridge_to(ok_until_eof(closed)) as (s, _):
        with ws_connect(s.ws_url) as ws:
            assert ask(ws, "x") == "ok"
            ws.socket.shutdown(socket.SHUT_RDWR)  # the browser tab is gone: no close frame
            assert closed.wait(5), "the backend connection outlived its WebSocket's socket"


def test_backend_killed_mid_conversation_then_restarted() -> None:
    backend = start_server("--lang", "en")
    port = backend.tcp_port
    try:
        with start_server("--backend", f"127.0.0.1:{port}", tcp=False) as bridge:
            with ws_connect(bridge.ws_url) as ws:
                assert ask(ws, "parity 42") == "42 is even"
                assert backend.terminate() == 0
                # it closed with nothing owed: the session waits; the next message is refused
                ws.send("parity 1")
                code, reason, _ = expect_close(ws)
            assert code == 1013 and "unreachable" in reason

            # back on the same port: a new WebSocket works
            backend = start_server("--lang", "en", "--tcp-port", str(port))
            assert backend.tcp_port == port
            with ws_connect(bridge.ws_url) as ws:
                assert ask(ws, "parity 43") == "43 is odd"
    finally:
        backend.terminate()


# -- Origin check ---------------------------------------------------------------------------
def test_origin_same_site_and_missing_are_accepted(server: ServerProcess) -> None:
    with ws_connect(server.ws_url, origin=f"http://127.0.0.1:{server.http_port}") as ws:
        assert ask(ws, "parity 1") == "1 is odd"
    with ws_connect(server.ws_url) as ws:  # no Origin header: a script
        assert ask(ws, "parity 2") == "2 is even"


@pytest.mark.parametrize("origin", ["http://evil.example", "http://127.0.0.1:1",
                                    "null", "http://127.0.0.1.evil.example"])
def test_foreign_origin_is_refused_with_403(server: ServerProcess, origin: str) -> None:
    with pytest.raises(InvalidStatus) as refused:
        with ws_connect(server.ws_url, origin=origin):
            pass
    assert refused.value.response.status_code == 403


def test_allow_origin_option_accepts_that_origin() -> None:
    with start_server("--lang", "en", "--allow-origin", "http://evil.example") as s:
        with ws_connect(s.ws_url, origin="http://evil.example") as ws:
            assert ask(ws, "parity 3") == "3 is odd"
        with pytest.raises(InvalidStatus) as refused:
            with ws_connect(s.ws_url, origin="http://other.example"):
                pass
        assert refused.value.response.status_code == 403


# -- subprotocol playground.v1 --------------------------------------------------------------
def test_subprotocol_hello_sent_reply(server: ServerProcess) -> None:
    with ws_connect(server.ws_url, subprotocols=[SUBPROTOCOL]) as ws:
        assert ws.subprotocol == SUBPROTOCOL
        hello = recv_json(ws)
        assert hello["type"] == "hello"
        assert hello["backend"] == f"127.0.0.1:{server.tcp_port}"
        host, _, port = hello["local"].rpartition(":")
        assert host == "127.0.0.1" and int(port) > 0
        assert isinstance(hello["t"], (int, float))

        ws.send(json.dumps({"type": "send", "text": "parity 42"}))
        sent = recv_json(ws)
        assert sent["type"] == "sent"
        assert sent["wire"] == "parity 42\n"
        assert sent["bytes"] == 10
        reply = recv_json(ws)
        assert reply["type"] == "reply"
        assert reply["line"] == "42 is even"
        assert reply["wire"] == "42 is even\n"
        assert reply["bytes"] == 11
        assert reply["end"] == "lf"

        ws.send(json.dumps({"type": "send", "text": "length héllo\r\n"}))
        sent = recv_json(ws)
        assert sent["wire"] == "length héllo\n"
        assert sent["bytes"] == len("length héllo\n".encode())
        reply = recv_json(ws)
        assert reply["line"] == "5 characters"


def test_subprotocol_names_the_local_address_the_backend_sees() -> None:
    with start_server() as s, ws_connect(s.ws_url, subprotocols=[SUBPROTOCOL]) as ws:
        hello = recv_json(ws)  # in-process: connected before the WebSocket is accepted
        assert hello["backend"] == f"127.0.0.1:{s.tcp_port}" and hello["foreign"] is False
        assert hello["local"].startswith("127.0.0.1:")
    with bridge_to(scripted({})) as (s, backend):
        with ws_connect(s.ws_url, subprotocols=[SUBPROTOCOL]) as ws:
            hello = recv_json(ws)
            assert hello["backend"] == backend.address
            ws.send(json.dumps({"type": "send", "text": "hi"}))
            opened = recv_type(ws, "tcp_open")
            assert backend.accepted.wait(5)
            peer = backend.peers[-1]
            assert opened["local"] == f"{peer[0]}:{peer[1]}"


def test_subprotocol_ping_pong_and_rejections(server: ServerProcess) -> None:
    with ws_connect(server.ws_url, subprotocols=[SUBPROTOCOL]) as ws:
        recv_type(ws, "hello")
        ws.send(json.dumps({"type": "ping", "t": 123.4}))
        assert recv_json(ws) == {"type": "pong", "t": 123.4}

        for bad in ["not json", json.dumps({"type": "bogus"}), json.dumps([1, 2]),
                    json.dumps({"type": "send"}), json.dumps({"type": "send", "text": 5})]:
            ws.send(bad)
            rejected = recv_json(ws)
            assert rejected["type"] == "rejected", (bad, rejected)
            assert rejected["code"] == "invalid_request"

        ws.send(json.dumps({"type": "send", "text": "a\nb"}))
        rejected = recv_json(ws)
        assert rejected["type"] == "rejected"
        assert rejected["code"] == "invalid_request"
        assert rejected["line"].startswith("ERR invalid_request")

        ws.send(json.dumps({"type": "send", "text": "x" * 1001}))
        rejected = recv_json(ws)
        assert rejected["type"] == "rejected"
        assert rejected["code"] == "line_too_long"

        ws.send(b"\x01\x02")
        rejected = recv_json(ws)
        assert rejected["type"] == "rejected"

        # still usable
        ws.send(json.dumps({"type": "send", "text": "parity 2"}))
        assert recv_type(ws, "reply")["line"] == "2 is even"


# -- shutdown -------------------------------------------------------------------------------
def test_sigterm_closes_websockets_1001_and_exits_0() -> None:
    s = start_server("--lang", "en")
    try:
        with ExitStack() as stack:
            sockets = [stack.enter_context(ws_connect(s.ws_url, subprotocols=protocols))
                       for protocols in (None, None, [SUBPROTOCOL])]
            for ws in sockets[:2]:
                assert ask(ws, "parity 1") == "1 is odd"
            recv_type(sockets[2], "hello")
            started = time.monotonic()
            s.proc.send_signal(signal.SIGTERM)
            for ws in sockets:
                code, _, _ = expect_close(ws)
                assert code == 1001
            assert s.proc.wait(5) == 0
            assert time.monotonic() - started < 5
        assert "Traceback" not in s.stderr()
    finally:
        s.terminate()


def test_sigterm_bridge_only_with_websockets_open_exits_0() -> None:
    with TinyTcpServer(scripted({})) as backend:
        s = start_server("--backend", backend.address, tcp=False)
        try:
            with ws_connect(s.ws_url) as ws:
                assert ask(ws, "hi") == "echo:hi"
                s.proc.send_signal(signal.SIGTERM)
                code, _, _ = expect_close(ws)
                assert code == 1001
            assert s.proc.wait(5) == 0
        finally:
            s.terminate()


def test_plain_get_on_ws_opens_no_backend_connection() -> None:
    with start_server() as s:
        for _ in range(3):
            status, _, _ = http_get(s.http_url + "/ws")  # no Upgrade: a crawler, curl
            assert status == 400
        wait_until(lambda: value(scrape(s), "playground_tcp_connections") == 0, 5, 0.05,
                   what="backend connections closed after plain GET /ws")


def test_plain_get_on_ws_does_not_hold_an_external_backend() -> None:
    eof = threading.Event()

    def wait_eof(conn: socket.socket) -> None:
        if conn.recv(10) == b"":
            eof.set()

    with bridge_to(wait_eof) as (s, backend):
        assert http_get(s.http_url + "/ws")[0] == 400
        if backend.accepted.wait(1):
            assert eof.wait(5), "the lab server is held by a connection nobody will use"


def test_sigterm_answers_a_bridged_request_already_received() -> None:
    with start_server("--single", "--turn-idle", "30") as s:
        with connect(s.tcp) as first, feed(s) as viewer, \
                ws_connect(s.ws_url + "?label=q") as ws:
            first.sendall(b"parity 1\n")
            read_lines(first, 1)            # first holds the turn
            ws.send("parity 3")             # received, waits its turn
            conn = viewer.of("open", label="q")["conn"]
            viewer.of("waiting", conn=conn)
            s.proc.send_signal(signal.SIGTERM)
            code, _, messages = expect_close(ws)
            assert messages == ["angka 3 merupakan ganjil"]
            assert code == 1001
        assert s.proc.wait(5) == 0
