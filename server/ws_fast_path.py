"""Plain text messages taken where aiohttp parses them, and a heartbeat without a timer per
read: the bridge's two per-message savings that reach into aiohttp's internals, kept here.

Why: through aiohttp's public API every browser message costs the bridge a trip through
the reader queue and a wake-up of the task that awaits ``ws.receive()`` (a future, a task
step, the receive loop), and every read of the socket a ``call_soon`` handle that re-arms
the heartbeat. For one short request line that was most of the bridge's Python time per
request (bench/README.md, "Where the time goes").

What it depends on (as in aiohttp 3.14, the version measured; checked at import and again
on every WebSocket, so an aiohttp without any of it falls back):

* ``aiohttp.web_ws`` builds each WebSocket's reader queue in ``WebSocketResponse._post_start``
  from its module global ``WebSocketDataQueue``, whose ``feed_data(message, size)`` the
  frame parser calls once per message; the class can be subclassed (the C one too: its
  ``feed_data`` is ``cpdef``, so a Python override is called). A message is a
  ``WSMessage`` tuple ``(type, data, extra)``; ``queue._buffer`` holds what is queued.
* ``_post_start`` hands the parser to ``request.protocol.set_parser``, which stores it as
  the protocol's ``_payload_parser`` (``feed_data(bytes)``, ``feed_eof()``) and the
  heartbeat's callback as ``_data_received_cb``, called once per read.
* The heartbeat lives in ``WebSocketResponse._need_heartbeat_reset``,
  ``_flush_heartbeat_reset()``, ``_reset_heartbeat()``, ``_pong_response_cb`` and
  ``_closing``.

If any of that is not as expected the WebSocket is left exactly as aiohttp made it (every
message through ``receive()``, aiohttp's own heartbeat): an upgrade of aiohttp costs speed,
never correctness. ``tests/test_ws_fast_path.py`` checks that the fast path is taken with
the pinned aiohttp, and that the fallback works.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from aiohttp import WSMsgType, web, web_ws

_TEXT = WSMsgType.TEXT
_LAST = (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR)
_HEARTBEAT_PARTS = ("_need_heartbeat_reset", "_flush_heartbeat_reset", "_reset_heartbeat",
                    "_pong_response_cb", "_closing")

Take = Callable[[str], bool]  # a plain text message -> whether it was handled (not queued)


def _queue_class() -> type | None:
    """aiohttp's reader queue class, subclassed, or None when it is not what we expect."""
    base = getattr(web_ws, "WebSocketDataQueue", None)
    if not isinstance(base, type) or not hasattr(base, "feed_data"):
        return None
    if not hasattr(web.WebSocketResponse, "_post_start"):
        return None
    try:
        class TakingQueue(base):  # type: ignore[misc, valid-type]
            """aiohttp's queue, but a text message with nothing queued before it is offered
            to ``take`` first (the bridge's handler), and only queued if refused."""

            take: Take | None = None

            def feed_data(self, data, size) -> None:  # called by the parser, per message
                take = self.take
                if take is not None:
                    kind = data[0]
                    if kind is _TEXT:
                        if not self._buffer and take(data[1]):
                            return
                    elif kind in _LAST:
                        self.take = None  # a closing WebSocket: the rest goes to receive()
                base.feed_data(self, data, size)
    except TypeError:  # a final class
        return None
    return TakingQueue


_Queue = _queue_class()
AVAILABLE = _Queue is not None  # whether this aiohttp has what the fast path needs


class ParserHook:
    """Stands in for the WebSocket's frame parser on the HTTP protocol: after each read is
    parsed, ``flush`` sends what ``take`` gathered from it in one write (messages that came
    together, one system call); before it, the heartbeat is told that data came, by a flag
    the sweep reads (:class:`HeartbeatSweep`), not a timer handle per read."""

    __slots__ = ("parser", "ws", "flush", "swept")

    def __init__(self, parser, ws: web.WebSocketResponse) -> None:
        self.parser = parser
        self.ws = ws
        self.flush: Callable[[], None] | None = None
        self.swept = False  # the heartbeat's resets are the sweep's (not aiohttp's call_soon)

    def feed_data(self, data: bytes):
        if self.swept:
            ws = self.ws
            if ws._pong_response_cb is not None:  # a ping is out: its answer counts now
                ws._reset_heartbeat()
            else:
                ws._need_heartbeat_reset = True  # also keeps a ping from going out meanwhile
        result = self.parser.feed_data(data)
        flush = self.flush
        if flush is not None:
            flush()
        return result

    def feed_eof(self) -> None:
        self.parser.feed_eof()


class FastWebSocketResponse(web.WebSocketResponse):
    """A ``WebSocketResponse`` whose plain text messages can be handled as they are parsed
    (:meth:`take_text`) and whose heartbeat can be kept by a sweep (:meth:`join_sweep`)."""

    _hook: ParserHook | None = None

    def _post_start(self, request, protocol, writer) -> None:
        if _Queue is None:
            super()._post_start(request, protocol, writer)
            return
        saved = web_ws.WebSocketDataQueue
        web_ws.WebSocketDataQueue = _Queue  # synchronous: no other WebSocket sees it
        try:
            super()._post_start(request, protocol, writer)
        finally:
            web_ws.WebSocketDataQueue = saved
        http = request.protocol
        parser = getattr(self, "_parser", None)
        reader = getattr(self, "_reader", None)
        if (isinstance(reader, _Queue) and hasattr(reader, "_buffer") and parser is not None
                and getattr(http, "_payload_parser", None) is parser
                and hasattr(http, "_data_received_cb")):
            self._hook = ParserHook(parser, self)
            http._payload_parser = self._hook

    def take_text(self, take: Take, flush: Callable[[], None]) -> bool:
        """From now on offer each text message with nothing queued before it to ``take``
        (called inside the parser: it must not block, and returns False to have the message
        queued for ``receive()`` as usual); ``flush`` is called after each read. False when
        the fast path is not available (every message then goes to ``receive()``)."""
        hook = self._hook
        if hook is None or self.closed:
            return False
        hook.flush = flush
        self._reader.take = take
        return True

    def stop_taking(self) -> None:
        """Every message goes to ``receive()`` from now on."""
        hook = self._hook
        if hook is not None:
            hook.flush = None
            self._reader.take = None

    async def close(self, *args, **kwargs) -> bool:
        """Closing: what comes after goes to aiohttp (which discards it, as before), never
        to the backend."""
        self.stop_taking()
        return await super().close(*args, **kwargs)

    def join_sweep(self, sweep: HeartbeatSweep) -> bool:
        """Let ``sweep`` keep this WebSocket's heartbeat (False: aiohttp keeps it)."""
        hook = self._hook
        if (hook is None or self._heartbeat is None
                or not all(hasattr(self, name) for name in _HEARTBEAT_PARTS)):
            return False
        http = self._req.protocol if self._req is not None else None
        if http is None or http._payload_parser is not hook:
            return False
        http._data_received_cb = None
        hook.swept = True
        sweep.add(self)
        return True


class HeartbeatSweep:
    """aiohttp's heartbeat, re-armed for every WebSocket that received data by one timer for
    all of them instead of one ``call_soon`` handle per read of each.

    aiohttp pings a WebSocket ``heartbeat`` seconds after its last data, and closes it when
    no answer comes within half that. Here each read only sets a flag
    (``_need_heartbeat_reset``, which also keeps aiohttp's timer from pinging meanwhile);
    every quarter of ``heartbeat`` the sweep re-arms the timer of each WebSocket whose flag
    is set. A chatty WebSocket is therefore never pinged, a silent one is pinged at most a
    quarter of ``heartbeat`` later than aiohttp would, and once a ping is out every read
    re-arms at once (:class:`ParserHook`), so the answer is never missed."""

    def __init__(self, heartbeat: float) -> None:
        self.period = heartbeat / 4
        self.sockets: set[web.WebSocketResponse] = set()
        self.timer: asyncio.TimerHandle | None = None

    def add(self, ws: web.WebSocketResponse) -> None:
        self.sockets.add(ws)
        if self.timer is None:
            self.timer = asyncio.get_running_loop().call_later(self.period, self.sweep)

    def discard(self, ws: web.WebSocketResponse) -> None:
        self.sockets.discard(ws)
        if not self.sockets and self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def sweep(self) -> None:
        self.timer = None
        for ws in self.sockets:
            if ws._need_heartbeat_reset and not ws._closing and not ws.closed:
                ws._flush_heartbeat_reset()
        if self.sockets:
            self.timer = asyncio.get_running_loop().call_later(self.period, self.sweep)
