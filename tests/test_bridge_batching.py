"""The bridge asks aiohttp whether more messages of a WebSocket are already parsed (to batch
their lines into one write to the backend, and to send a lone message at once). aiohttp has
no public call for it; this checks that the look it takes still sees what it should."""

import asyncio

from aiohttp import web

from server.bridge import _more_messages_waiting
from tests.support import masked_frame, open_websocket, serve_ws_handler


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

    async def client(port: int) -> None:
        _, writer = await open_websocket(port)
        writer.write(b"".join(masked_frame(m.encode()) for m in messages))
        await asyncio.wait_for(done.wait(), 10)
        writer.close()

    await serve_ws_handler(handler, client)
    return seen


def test_messages_that_came_together_are_seen_waiting_and_the_last_is_alone() -> None:
    assert asyncio.run(seen_by_handler(["parity 1", "parity 2", "parity 3"])) == [
        True, True, False]


def test_a_lone_message_has_nothing_waiting_behind_it() -> None:
    assert asyncio.run(seen_by_handler(["parity 1"])) == [False]
