"""The bridge asks aiohttp whether more messages of a WebSocket are already parsed (to batch
their lines into one write to the backend, and to send a lone message at once). aiohttp has
no public call for it; this checks that the look it takes still sees what it should."""

import asyncio
import base64
import os
import socket

from aiohttp import web

from server.bridge import _more_messages_waiting


def masked_text_frame(text: str) -> bytes:
    payload = text.encode()
    mask = os.urandom(4)
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes((0x81, 0x80 | len(payload))) + mask + body


async def seen_by_handler(messages: list[str]) -> list[bool]:
    """Send ``messages`` in one TCP write; for each message the handler takes, whether the
    bridge's look said more were waiting."""
    seen: list[bool] = []
    done = asyncio.Event()

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        for _ in messages:
            await ws.receive()
            seen.append(_more_messages_waiting(ws))
        done.set()
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write((f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                      f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                      "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        await reader.readuntil(b"\r\n\r\n")
        writer.transport.get_extra_info("socket").setsockopt(
            socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        writer.write(b"".join(masked_text_frame(m) for m in messages))
        await asyncio.wait_for(done.wait(), 10)
        writer.close()
    finally:
        await runner.cleanup()
    return seen


def test_messages_that_came_together_are_seen_waiting_and_the_last_is_alone() -> None:
    assert asyncio.run(seen_by_handler(["parity 1", "parity 2", "parity 3"])) == [
        True, True, False]


def test_a_lone_message_has_nothing_waiting_behind_it() -> None:
    assert asyncio.run(seen_by_handler(["parity 1"])) == [False]
