"""``server/ws_fast_path.py``: text messages taken as aiohttp parses them, and the heartbeat
kept by one sweep. The fast path reaches into aiohttp's internals, so this checks that it is
actually taken with the pinned aiohttp (in the bridge too, both shapes), that the rules on
what it may take hold, and that without those internals every message still arrives through
``receive()``. The heartbeat's two promises (a chatty WebSocket stays open, a dead one is
closed) are held against the real server in tests/test_bridge_heartbeat.py."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from aiohttp import WSMsgType, web, web_ws
from websockets.asyncio.client import connect as ws_connect

from server import ws_fast_path
from server.bridge import BridgeSession
from server.config import Config
from server.web_app import BRIDGE, SERVICE, make_app
from server.ws_fast_path import FastWebSocketResponse, HeartbeatSweep, _queue_class
from tests.support import masked_frame, open_websocket, serve_ws_handler

pytestmark = pytest.mark.timeout(60)


async def raw_client(port: int, frames: bytes, until: asyncio.Event) -> None:
    """Open a WebSocket by hand and send ``frames`` in one TCP write (one read for the
    server), then wait for ``until``."""
    _, writer = await open_websocket(port)
    writer.write(frames)
    await asyncio.wait_for(until.wait(), 10)
    writer.close()


async def taken_and_received(frames: bytes, expected: int, take: Callable[[str], bool],
                             ) -> tuple[list, list, int, tuple[bool, bool]]:
    """(messages offered to ``take`` with its answers, messages ``receive()`` returned,
    flushes, whether taking and the sweep were taken on) for ``frames`` sent in one write;
    ``expected``: how many reach ``receive()``."""
    switched_on: list[bool] = []
    offered: list[tuple[str, bool]] = []
    received: list[tuple[WSMsgType, object]] = []
    flushes = [0]
    ready = asyncio.Event()
    done = asyncio.Event()

    def record(text: str) -> bool:
        answer = take(text)
        offered.append((text, answer))
        return answer

    def flush() -> None:
        flushes[0] += 1

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = FastWebSocketResponse(heartbeat=5.0)
        await ws.prepare(request)
        sweep = HeartbeatSweep(5.0)
        switched_on.extend((ws.take_text(record, flush), ws.join_sweep(sweep)))
        ready.set()
        while len(received) < expected:
            msg = await ws.receive()
            received.append((msg.type, msg.data))
        sweep.discard(ws)
        done.set()
        return ws

    async def client(port: int) -> None:
        task = asyncio.create_task(raw_client(port, frames, done))
        await asyncio.wait_for(ready.wait(), 10)
        await task

    await serve_ws_handler(handler, client)
    return offered, received, flushes[0], tuple(switched_on)


def test_the_fast_path_is_there_with_the_pinned_aiohttp() -> None:
    assert ws_fast_path.AVAILABLE
    assert issubclass(ws_fast_path._Queue, web_ws.WebSocketDataQueue)


def test_taken_text_skips_receive_and_a_read_is_flushed_once() -> None:
    frames = masked_frame(b"take 1") + masked_frame(b"take 2") + masked_frame(b"\x00", 0x2)
    offered, received, flushes, switched_on = asyncio.run(
        taken_and_received(frames, 1, lambda text: text.startswith("take")))
    assert switched_on == (True, True)
    assert offered == [("take 1", True), ("take 2", True)]
    assert received == [(WSMsgType.BINARY, b"\x00")]  # binary is never offered
    assert flushes >= 1


def test_after_a_refused_message_later_ones_queue_behind_it_in_order() -> None:
    frames = b"".join(masked_frame(t) for t in (b"take 1", b"keep 2", b"take 3"))
    offered, received, _, _ = asyncio.run(
        taken_and_received(frames, 2, lambda text: text.startswith("take")))
    # "take 3" is not offered: "keep 2" is queued before it, and order must hold
    assert offered == [("take 1", True), ("keep 2", False)]
    assert received == [(WSMsgType.TEXT, "keep 2"), (WSMsgType.TEXT, "take 3")]


def test_a_close_frame_ends_taking() -> None:
    close = bytes((0x88, 0x82)) + b"\0\0\0\0" + (1000).to_bytes(2, "big")
    frames = masked_frame(b"take 1") + close + masked_frame(b"take 2")
    offered, received, _, _ = asyncio.run(taken_and_received(frames, 1, lambda text: True))
    assert offered == [("take 1", True)]
    assert received[0][0] == WSMsgType.CLOSE


def test_what_comes_after_the_server_closes_is_not_taken() -> None:
    offered: list[str] = []

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = FastWebSocketResponse(timeout=5.0)
        await ws.prepare(request)
        assert ws.take_text(lambda text: offered.append(text) or True, lambda: None)
        await ws.close(code=1001)  # reads until the client's close: "late" comes meanwhile
        return ws

    async def client(port: int) -> None:
        reader, writer = await open_websocket(port)
        head = await asyncio.wait_for(reader.readexactly(2), 10)
        assert head[0] == 0x88  # the server's close frame
        writer.write(masked_frame(b"late") + masked_frame((1001).to_bytes(2, "big"), 0x8))
        await asyncio.wait_for(reader.read(), 10)  # until the server closes the connection
        writer.close()

    asyncio.run(serve_ws_handler(handler, client))
    assert offered == []


def test_without_the_internals_every_message_goes_through_receive(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ws_fast_path, "_Queue", None)
    frames = b"".join(masked_frame(t) for t in (b"a", b"b"))
    offered, received, flushes, switched_on = asyncio.run(
        taken_and_received(frames, 2, lambda text: True))
    assert switched_on == (False, False)  # aiohttp's own path and heartbeat
    assert (offered, flushes) == ([], 0)
    assert received == [(WSMsgType.TEXT, "a"), (WSMsgType.TEXT, "b")]


def test_an_unexpected_queue_class_turns_the_fast_path_off(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(web_ws, "WebSocketDataQueue")
    assert _queue_class() is None
    monkeypatch.setattr(web_ws, "WebSocketDataQueue", bool, raising=False)  # final: no subclass
    assert _queue_class() is None


# -- in the bridge --------------------------------------------------------------------------
async def bridge_round_trips(monkeypatch: pytest.MonkeyPatch, external: bool,
                             compress: bool) -> tuple[list, int, int, str | None]:
    """Replies to requests sent through the real bridge (in process; ``external``: the
    ``--backend`` shape, a second app bridging to the first one's service; ``compress``:
    ``--ws-compress``), how many requests the fast path took, how many WebSockets the
    heartbeat sweep kept, and the extensions negotiated."""
    taken = [0]
    original = BridgeSession.take_text

    def counting(self: BridgeSession, text: str) -> bool:
        answer = original(self, text)
        taken[0] += answer
        return answer

    monkeypatch.setattr(BridgeSession, "take_text", counting)
    runners = []

    async def start(config: Config) -> tuple[web.Application, int]:
        app = make_app(config)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        return app, runner.addresses[0][1]

    try:
        app, port = await start(Config(tcp_port=0, http_port=0, lang="en",
                                       ws_compress=compress))
        if external:
            backend = app[SERVICE].bridge_address
            _, port = await start(Config(http_port=0, lang="en", backend=backend,
                                         ws_compress=compress))
        replies = []
        async with ws_connect(f"ws://127.0.0.1:{port}/ws") as ws:  # offers permessage-deflate
            extensions = ws.response.headers.get("Sec-WebSocket-Extensions")
            for n in range(5):
                await ws.send(f"parity {n}")
                replies.append(await asyncio.wait_for(ws.recv(), 5))
            swept = len(runners[-1].app[BRIDGE].heartbeats.sockets)  # the sweep keeps its heartbeat
            await ws.send("a\nb")  # refused: answered by the bridge, not the fast path
            replies.append(await asyncio.wait_for(ws.recv(), 5))
            await ws.send("parity 7")
            replies.append(await asyncio.wait_for(ws.recv(), 5))
    finally:
        for runner in reversed(runners):
            await runner.cleanup()
    return replies, taken[0], swept, extensions


@pytest.mark.parametrize(("external", "compress"), [(False, False), (True, False), (False, True)],
                         ids=["default", "backend", "ws-compress"])
def test_the_bridge_takes_plain_requests_on_the_fast_path(
        monkeypatch: pytest.MonkeyPatch, external: bool, compress: bool) -> None:
    replies, taken, swept, extensions = asyncio.run(
        bridge_round_trips(monkeypatch, external, compress))
    assert swept == 1
    assert ("permessage-deflate" in (extensions or "")) == compress
    assert replies[:5] == ["0 is even", "1 is odd", "2 is even", "3 is odd", "4 is even"]
    assert replies[5].startswith("ERR invalid_request")
    assert replies[6] == "7 is odd"
    # all but the refusal; and a foreign session's first message opens the connection
    # (the task's work)
    assert taken == (5 if external else 6)
