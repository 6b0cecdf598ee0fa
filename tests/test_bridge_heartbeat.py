"""The bridge's WebSocket heartbeat (``--heartbeat S``; kept by one sweep over all sessions,
see server/ws_fast_path.py): a WebSocket that keeps sending is never closed for a missed
pong, even by a client that does not answer pings; an idle one that answers pings stays
open; a dead one (no data, no pong) is closed. Against the real server, default shape and
``--backend``; bounds are generous (a loaded machine)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
from websockets.sync.client import connect as ws_connect

from tests.floods import client_text_frame, raw_websocket
from tests.support import ServerProcess, start_server

pytestmark = pytest.mark.timeout(90)

HEARTBEAT = 1.0  # seconds: pinged after this long without data, closed half of it later


@pytest.fixture(params=["default", "backend"], scope="module")
def bridge(request: pytest.FixtureRequest) -> Iterator[ServerProcess]:
    with start_server("--lang", "en", "--heartbeat", str(HEARTBEAT)) as service:
        if request.param == "default":
            yield service
            return
        with start_server("--lang", "en", "--heartbeat", str(HEARTBEAT), "--backend",
                          f"127.0.0.1:{service.tcp_port}") as bridge:
            yield bridge


def read_frames(sock: socket.socket, buffer: bytearray) -> list[tuple[int, bytes]]:
    """Server frames (unmasked, short) complete in ``buffer``: (opcode, payload); the bytes
    of an incomplete one stay in ``buffer``."""
    frames = []
    while len(buffer) >= 2:
        size = buffer[1] & 0x7F
        start = 2
        if size == 126:
            if len(buffer) < 4:
                break
            size, start = int.from_bytes(buffer[2:4], "big"), 4
        if len(buffer) < start + size:
            break
        frames.append((buffer[0] & 0x0F, bytes(buffer[start:start + size])))
        del buffer[:start + size]
    return frames


def test_a_chatty_websocket_that_never_answers_pings_stays_open(
        bridge: ServerProcess) -> None:
    sock = raw_websocket("127.0.0.1", bridge.http_port)
    buffer = bytearray()
    replies = []
    deadline = time.monotonic() + 4 * HEARTBEAT
    n = 0
    with sock:
        while time.monotonic() < deadline:
            sock.sendall(client_text_frame(f"parity {n}"))
            n += 1
            while len(replies) < n:
                chunk = sock.recv(4096)
                assert chunk, f"closed after {len(replies)} replies"
                buffer += chunk
                # pings (0x9) are not answered, on purpose
                replies += [p.decode() for op, p in read_frames(sock, buffer) if op == 0x1]
            time.sleep(0.05)
    assert replies == [f"{i} is {'odd' if i % 2 else 'even'}" for i in range(n)]
    assert n >= 10


def test_an_idle_websocket_that_answers_pings_stays_open(bridge: ServerProcess) -> None:
    with ws_connect(bridge.ws_url) as ws:  # the websockets library answers every ping
        ws.send("parity 1")
        assert ws.recv(timeout=5) == "1 is odd"
        time.sleep(4 * HEARTBEAT)  # idle: several pings, each answered
        ws.send("parity 2")
        assert ws.recv(timeout=5) == "2 is even"


def test_a_dead_websocket_is_pinged_and_closed(bridge: ServerProcess) -> None:
    sock = raw_websocket("127.0.0.1", bridge.http_port)
    sock.settimeout(20 * HEARTBEAT)
    started = time.monotonic()
    buffer = bytearray()
    opcodes = []
    with sock:
        sock.sendall(client_text_frame("parity 3"))  # then silence: no data, no pong
        while chunk := sock.recv(4096):
            buffer += chunk
            opcodes += [op for op, _ in read_frames(sock, buffer)]
    assert 0x9 in opcodes  # it was pinged before being given up on
    # the reply, then the ping after HEARTBEAT (plus up to a quarter of it: the sweep), then
    # the close half a HEARTBEAT later
    assert time.monotonic() - started >= HEARTBEAT
