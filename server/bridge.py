"""``GET /ws``: each WebSocket gets its own TCP connection to the backend.

Browser text messages become request lines; backend reply lines become text messages. The
rules that decide what is sent and what is refused are sans-I/O (:func:`message_to_line`);
this module only pumps bytes, with flow control both ways:

* browser -> backend: lines of messages that arrived together are written at once; while
  the backend's transport is over its high-water mark the bridge stops reading the
  WebSocket (aiohttp then stops reading the socket), never an unbounded buffer;
* backend -> browser: replies are written as they are framed; while the browser's
  transport is over :data:`WS_HIGH_WATER`, or the queue of replies waiting for aiohttp is
  long, the bridge stops reading the backend.

A backend that answers without LF is still heard: the same :class:`LineFramer` as the
service's, with the idle flush after a pause and a final flush at close.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections import deque
from dataclasses import dataclass
from functools import partial

from aiohttp import WSCloseCode, WSMsgType, web

from server.config import Config
from server.errors import HandlerError
from server.events import EventHub, now_ms
from server.framing import TOO_LONG, LineFramer
from server.replies import abbreviate, json_error, plain_error
from server.requests import NO_ID
from server.stats import ServiceStats
from server.tcp_service import IDLE_CONFIRM, TcpService

log = logging.getLogger(__name__)

SUBPROTOCOL = "playground.v1"
CONNECT_TIMEOUT = 5.0
WS_HIGH_WATER = 256 * 1024  # past this, the browser is slow: stop reading the backend
CLOSE_TRY_AGAIN = 1013  # RFC 6455 registry: "Try Again Later" (backend unreachable)


@dataclass(frozen=True, slots=True)
class Rejection:
    """A message the bridge answers itself; nothing goes to the backend."""

    code: str
    reply: str  # the reply line, without LF


def message_to_line(message: str, max_line: int, lang: str) -> bytes | Rejection:
    """The request line (LF included) for one WebSocket text message, or why not.

    One trailing LF or CRLF is the message's line ending; any other CR or LF would split it
    into several requests, which the contract forbids (never a silent split)."""
    if message.endswith("\r\n"):
        body = message[:-2]
    elif message.endswith("\n"):
        body = message[:-1]
    else:
        body = message
    if "\n" in body or "\r" in body:
        return _reject(body, HandlerError("invalid_request", "line_break"), max_line, lang)
    line = body.encode("utf-8", "replace")  # a lone surrogate cannot cross the wire
    if len(line) > max_line:
        return _reject(body, HandlerError("line_too_long"), max_line, lang)
    return line + b"\n"


def binary_rejection(max_line: int, lang: str) -> Rejection:
    return _reject("", HandlerError("invalid_request", "binary"), max_line, lang)


def _reject(body: str, error: HandlerError, max_line: int, lang: str) -> Rejection:
    if body.lstrip(" \t").startswith("{"):
        request_id, request_lang = _json_id_and_lang(body)
        reply = json_error(request_id, error, request_lang or lang, max_line)
    else:
        reply = plain_error(error, lang, max_line)
    return Rejection(error.code, reply.decode().rstrip("\n"))


def _json_id_and_lang(body: str) -> tuple[object, str | None]:
    """The id (and language) of a JSON message refused whole, so its error can be matched."""
    try:
        value = json.loads(body, strict=False)  # a raw line break inside a string too
    except (ValueError, RecursionError):
        return NO_ID, None
    if not isinstance(value, dict):
        return NO_ID, None
    lang = value.get("lang")
    return value.get("id", NO_ID), lang if lang in ("en", "id") else None


def text_frames(payloads: list[bytes]) -> bytes:
    """Server-to-client WebSocket text frames (RFC 6455 5.2: FIN, opcode 1, unmasked) for
    UTF-8 payloads, concatenated."""
    if len(payloads) == 1 and len(payloads[0]) < 126:  # the usual reply: one short line
        return bytes((0x81, len(payloads[0]))) + payloads[0]
    out = bytearray()
    for payload in payloads:
        size = len(payload)
        if size < 126:
            out += bytes((0x81, size))
        elif size < 65536:
            out += bytes((0x81, 126)) + size.to_bytes(2, "big")
        else:
            out += bytes((0x81, 127)) + size.to_bytes(8, "big")
        out += payload
    return bytes(out)


def reply_end(line: bytes, how: str) -> tuple[bytes, str, bytes]:
    """Split a framed reply (CR kept) into (text, end kind, exact wire bytes)."""
    if how == "lf":
        if line.endswith(b"\r"):
            return line[:-1], "crlf", line + b"\n"
        return line, "lf", line + b"\n"
    return line, how, line


class BackendConnection(asyncio.Protocol):
    """The bridge's TCP connection to the backend: reply bytes in, framed into lines with
    the service's own :class:`LineFramer` (CR kept, to show the exact bytes), handed to the
    session as they come. No task sits between the socket and the browser: a reply is
    written to the WebSocket from ``data_received`` when nothing needs to wait."""

    def __init__(self, config) -> None:
        self.config = config
        self.framer = LineFramer(config.ws_message_limit, keep_cr=True)
        self.transport: asyncio.Transport | None = None
        self.session: BridgeSession | None = None
        self.early: list[bytes] = []  # bytes that came before the session was attached
        self.finished: tuple[int, str] | None = None
        self.idle_timer: asyncio.TimerHandle | None = None
        self.writable = asyncio.Event()
        self.writable.set()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def attach(self, session: BridgeSession) -> None:
        self.session = session
        early, self.early = self.early, []
        for data in early:
            self.data_received(data)
        if self.finished:
            self._deliver_end()

    def data_received(self, data: bytes) -> None:
        if self.session is None:
            self.early.append(data)
            return
        lines = self.framer.feed(data)
        if lines:
            self.session.reply_lines(lines, "lf")
        if self.idle_timer is not None:
            self.idle_timer.cancel()
            self.idle_timer = None
        if self.framer.held:
            self.idle_timer = asyncio.get_running_loop().call_later(
                self.config.idle_flush, self._idle_flush)

    def _idle_flush(self, confirmed: bool = False) -> None:
        self.idle_timer = None
        if self.session is not None and self.session.backend_paused:
            # We stopped reading the backend ourselves: its silence is ours. Try later.
            self.idle_timer = asyncio.get_running_loop().call_later(
                self.config.idle_flush, self._idle_flush)
            return
        if not confirmed:  # after one more poll for I/O, as the service does (IDLE_CONFIRM)
            self.idle_timer = asyncio.get_running_loop().call_later(
                IDLE_CONFIRM, self._idle_flush, True)
            return
        line = self.framer.flush()
        if line is not None and self.session is not None:
            self.session.reply_lines([line], "idle")

    def eof_received(self) -> bool:
        self._finish(WSCloseCode.OK, "backend closed the connection")
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.writable.set()
        if exc is None:
            self._finish(WSCloseCode.OK, "backend closed the connection")
        else:
            self._finish(WSCloseCode.INTERNAL_ERROR, f"backend connection lost: {_reason(exc)}")

    def _finish(self, code: int, reason: str) -> None:
        """The backend is gone: deliver what it said without LF, then the close."""
        if self.finished:
            return
        self.finished = (code, reason)
        if self.session is not None:
            self._deliver_end()

    def _deliver_end(self) -> None:
        if self.idle_timer is not None:
            self.idle_timer.cancel()
            self.idle_timer = None
        line = self.framer.flush()
        if line is not None:
            self.session.reply_lines([line], "close")
        self.session.backend_closed(*self.finished)

    def pause_writing(self) -> None:
        self.writable.clear()

    def resume_writing(self) -> None:
        self.writable.set()

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class BridgeSession:
    """One WebSocket and its backend connection.

    Replies take the fast path (text frames written straight to the WebSocket's transport,
    see :func:`text_frames`) in plain mode without compression when nothing has to be
    interleaved; otherwise they queue for :meth:`relay`, a task that sends them with
    aiohttp (JSON envelopes for the page, rejections held for their turn, server-view
    events), in order."""

    def __init__(self, bridge: Bridge, ws: web.WebSocketResponse, session_id: int,
                 label: str | None, backend: BackendConnection,
                 transport: asyncio.Transport | None) -> None:
        self.bridge = bridge
        self.ws = ws
        self.id = session_id
        self.label = label
        self.backend = backend
        self.enveloped = ws.ws_protocol == SUBPROTOCOL
        self.outstanding = 0  # request lines sent whose reply has not come back yet
        # Rejections wait behind replies still owed, so replies stay in order.
        self.held_rejections: list[tuple[int, Rejection]] = []
        self.last_request = ""
        self.pending_lines: list[bytes] = []
        self.raw_transport = (transport if not self.enveloped and not ws.compress
                              else None)
        self.queue: deque[tuple] = deque()  # (lines, how) or ("close", code, reason)
        self.queue_ready = asyncio.Event()
        self.backend_paused = False
        # Looked up once: Python 3.11's get_running_loop() calls getpid() every time.
        self.loop = asyncio.get_running_loop()

    # -- browser -> backend ---------------------------------------------------------------
    async def forward(self) -> None:
        config = self.bridge.config
        async for msg in self.ws:
            if msg.type == WSMsgType.TEXT:
                text = msg.data
                if self.enveloped:
                    text = await self._envelope_command(text)
                    if text is None:
                        continue
                outcome = message_to_line(text, config.max_line, config.lang)
            elif msg.type == WSMsgType.BINARY:
                outcome = binary_rejection(config.max_line, config.lang)
            else:
                break
            if isinstance(outcome, Rejection):
                await self._reject(outcome)
                continue
            self._queue_line(outcome)
            self.outstanding += 1
            self.last_request = text
            if self.enveloped:
                await self._send_json({"type": "sent", "wire": outcome.decode("utf-8", "replace"),
                                       "bytes": len(outcome)})
            if not self.backend.writable.is_set():  # a slow backend: stop reading the browser
                self._flush_lines()
                await self.backend.writable.wait()

    def _queue_line(self, line: bytes) -> None:
        """A lone message's line goes to the backend at once; lines of messages that arrived
        together go in one write, at the end of this turn of the event loop (one system
        call, not one per message)."""
        if self.pending_lines:
            self.pending_lines.append(line)
        elif _more_messages_waiting(self.ws):
            self.pending_lines.append(line)
            self.loop.call_soon(self._flush_lines)
        else:  # waiting a loop turn for company would cost a lone message a whole poll
            self.backend.write(line)

    def _flush_lines(self) -> None:
        if self.pending_lines:
            self.backend.write(b"".join(self.pending_lines))
        self.pending_lines.clear()

    async def _envelope_command(self, text: str) -> str | None:
        """The page's JSON commands: ``send`` gives the text to send; ``ping`` is answered."""
        try:
            command = json.loads(text)
            kind = command.get("type")
        except (ValueError, AttributeError, RecursionError):
            kind = None
        if kind == "send" and isinstance(command.get("text"), str):
            return command["text"]
        if kind == "ping":
            await self._send_json({"type": "pong", "t": command.get("t")}, stamp=False)
            return None
        await self._send_json({"type": "rejected", "code": "invalid_request",
                               "line": "unknown command for subprotocol " + SUBPROTOCOL})
        return None

    async def _reject(self, rejection: Rejection) -> None:
        if self.outstanding > 0:
            self.held_rejections.append((self.outstanding, rejection))
        else:
            await self._deliver_rejection(rejection)

    async def _deliver_rejection(self, rejection: Rejection) -> None:
        if self.enveloped:
            await self._send_json({"type": "rejected", "code": rejection.code,
                                   "line": rejection.reply})
        else:
            await self.ws.send_str(rejection.reply)

    # -- backend -> browser (called from BackendConnection) -------------------------------
    def reply_lines(self, lines: list[bytes | None], how: str) -> None:
        if not self.queue and self._can_write_now(lines):
            self._write_frames(lines)
            return
        self.queue.append((lines, how))
        self.queue_ready.set()
        if len(self.queue) > 64:
            self._pause_backend()

    def backend_closed(self, code: int, reason: str) -> None:
        self.queue.append(("close", code, reason))
        self.queue_ready.set()

    def _can_write_now(self, lines: list[bytes | None]) -> bool:
        """Plain replies with nothing to interleave can go out as one write of frames."""
        return (self.raw_transport is not None and not self.held_rejections
                and not (self.bridge.external and self.bridge.hub.viewers)
                and TOO_LONG not in lines and not self.raw_transport.is_closing())

    def _write_frames(self, lines: list[bytes]) -> None:
        """Every reply line of one backend read, as text frames in one write: one system
        call where aiohttp's ``send_str`` would make one per message."""
        transport = self.raw_transport
        # Text frames must hold UTF-8: an ASCII line already is (no decode and encode).
        payloads = [line if line.isascii() else line.decode("utf-8", "replace").encode()
                    for line in [line[:-1] if line.endswith(b"\r") else line
                                 for line in lines]]
        transport.write(text_frames(payloads))
        self.outstanding = max(0, self.outstanding - len(lines))
        if transport.get_write_buffer_size() > WS_HIGH_WATER:
            self._pause_backend()

    def _pause_backend(self) -> None:
        """A slow browser (or a long queue): stop reading the backend until it catches up."""
        if not self.backend_paused and self.backend.transport is not None:
            self.backend_paused = True
            self.backend.transport.pause_reading()
            asyncio.get_running_loop().call_later(0.005, self._maybe_resume_backend)

    def _maybe_resume_backend(self) -> None:
        transport = self.raw_transport
        behind = transport is not None and transport.get_write_buffer_size() > WS_HIGH_WATER // 2
        if (behind or len(self.queue) > 16) and not self.ws.closed:
            asyncio.get_running_loop().call_later(0.005, self._maybe_resume_backend)
            return
        self.backend_paused = False
        if self.backend.transport is not None and not self.backend.transport.is_closing():
            self.backend.transport.resume_reading()

    async def relay(self) -> tuple[int, str]:
        """Send what could not take the fast path, in order; returns the WebSocket close
        code and reason once the backend has gone."""
        while True:
            await self.queue_ready.wait()
            while self.queue:
                item = self.queue[0]  # left in the queue while sent: later replies wait
                if item[0] == "close":
                    if self.enveloped:
                        await self._send_json({"type": "backend_eof"})
                    return item[1], item[2]
                lines, how = item
                for line in lines:
                    await self._relay(line, how)
                self.queue.popleft()
            self.queue_ready.clear()

    async def _relay(self, line: bytes | None, how: str) -> None:
        if line is TOO_LONG:
            text, end, wire = b"", "too_long", b""
            message = f"ERR line_too_long: backend reply over {self.bridge.config.ws_message_limit}"
            message += " bytes, discarded"
        else:
            text, end, wire = reply_end(line, how)
            message = text.decode("utf-8", "replace")
        if self.enveloped:
            envelope = {"type": "reply", "line": message,
                        "wire": wire.decode("utf-8", "replace"), "bytes": len(wire), "end": end}
            if message.encode() != text:
                envelope["hex"] = wire.hex()
            await self._send_json(envelope)
        else:
            await self.ws.send_str(message)
        hub = self.bridge.hub
        if self.bridge.external and hub.active and hub.take_request_slots(1):
            hub.publish({
                "type": "request", "conn": self.id, "peer": self.bridge.backend_text,
                "label": self.label, "request": abbreviate(self.last_request, 200),
                "reply": abbreviate(message, 200), "handler": "-", "outcome": "-"})
        if self.outstanding > 0:
            self.outstanding -= 1
        if self.held_rejections:
            await self._release_rejections()

    async def _release_rejections(self) -> None:
        still_held = []
        for owed, rejection in self.held_rejections:
            owed -= 1
            if owed <= 0 or self.outstanding == 0:
                await self._deliver_rejection(rejection)
            else:
                still_held.append((owed, rejection))
        self.held_rejections = still_held

    async def _send_json(self, message: dict, stamp: bool = True) -> None:
        if stamp:
            message["t"] = now_ms()
        await self.ws.send_str(json.dumps(message, ensure_ascii=False))


def _more_messages_waiting(ws: web.WebSocketResponse) -> bool:
    """Whether aiohttp has parsed more messages of this WebSocket than were handed out (they
    came in the same read). aiohttp has no public call for it: its reader queue's buffer is
    looked at, and when that is not there, the answer is no (each line then goes at once)."""
    buffered = getattr(getattr(ws, "_reader", None), "_buffer", None)
    return bool(buffered)


class Bridge:
    """Shared state of all sessions: the backend address, the labels for the server view."""

    def __init__(self, config: Config, backend: tuple[str, int], hub: EventHub,
                 stats: ServiceStats, service: TcpService | None = None) -> None:
        self.config = config
        self.backend = backend
        self.external = service is None  # --backend: a server this process did not start
        self.service = service  # the in-process TcpService (for the view's labels)
        self.hub = hub
        self.stats = stats
        self.backend_text = f"{backend[0]}:{backend[1]}"
        self.sessions: dict[web.WebSocketResponse, BridgeSession] = {}
        self._next_id = 0

    async def connect(self, label: str) -> BackendConnection:
        """Open the backend connection. For the in-process service, bind the local port
        first and register it, so the service's view can name this connection."""
        host, port = self.backend
        loop = asyncio.get_running_loop()
        factory = partial(BackendConnection, self.config)
        if self.service is None:
            _, backend = await asyncio.wait_for(loop.create_connection(factory, host, port),
                                                CONNECT_TIMEOUT)
            return backend
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setblocking(False)
            sock.bind((host, 0))
            local_port = sock.getsockname()[1]
            self.service.labels[local_port] = label
            try:
                await asyncio.wait_for(loop.sock_connect(sock, (host, port)), CONNECT_TIMEOUT)
                _, backend = await loop.create_connection(factory, sock=sock)
                return backend
            finally:
                self.service.labels.pop(local_port, None)
        except BaseException:
            sock.close()
            raise

    async def handle(self, request: web.Request) -> web.StreamResponse:
        config = self.config
        ws = web.WebSocketResponse(
            protocols=(SUBPROTOCOL,), heartbeat=config.heartbeat,
            max_msg_size=config.ws_message_limit, compress=config.ws_compress)
        if not ws.can_prepare(request).ok:  # a plain GET: no backend connection for it
            raise web.HTTPBadRequest(text="this is a WebSocket endpoint\n")
        self._next_id += 1
        session_id = self._next_id
        label = request.query.get("label", "")[:40] or f"ws {session_id}"
        try:
            backend = await self.connect(label)
        except (OSError, TimeoutError) as exc:
            await ws.prepare(request)
            await ws.close(code=CLOSE_TRY_AGAIN,
                           message=f"backend unreachable: {self.backend_text} ({_reason(exc)})"
                           .encode()[:120])
            return ws
        sock = backend.transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            await ws.prepare(request)
        except BaseException:
            backend.close()
            raise
        session = BridgeSession(self, ws, session_id, label, backend, request.transport)
        self.sessions[ws] = session
        self.stats.ws_open += 1
        self.stats.ws_total += 1
        local = backend.transport.get_extra_info("sockname")
        if session.enveloped:
            await session._send_json({"type": "hello", "backend": self.backend_text,
                                      "local": f"{local[0]}:{local[1]}", "session": session_id})
        if self.external and self.hub.active:
            self.hub.publish({"type": "open", "conn": session_id, "peer": self.backend_text,
                              "label": label, "state": "served"})
        backend.attach(session)
        relay = asyncio.create_task(session.relay())
        forward = asyncio.create_task(session.forward())
        try:
            done, _ = await asyncio.wait({relay, forward}, return_when=asyncio.FIRST_COMPLETED)
            if relay in done and not relay.cancelled() and relay.exception() is None:
                code, reason = relay.result()
                await ws.close(code=code, message=reason.encode()[:120])
            elif forward in done and forward.exception() is not None:
                log.debug("bridge session %s: %r", session_id, forward.exception())
        except ConnectionResetError:
            pass
        finally:
            for task in (relay, forward):
                task.cancel()
            await asyncio.gather(relay, forward, return_exceptions=True)
            backend.close()
            self.sessions.pop(ws, None)
            self.stats.ws_open -= 1
            if self.external and self.hub.active:
                self.hub.publish({"type": "close", "conn": session_id,
                                  "reason": f"websocket closed ({ws.close_code})"})
            if not ws.closed:
                await ws.close()
        return ws

    async def close_all(self, grace: float = 1.0) -> None:
        """On shutdown: give replies still owed up to ``grace`` seconds to arrive, then
        close every WebSocket with 1001 (going away), so none holds the runner's shutdown
        (NOTES: aiohttp waits for handlers still in ``async for``)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        while any(s.outstanding for s in self.sessions.values()) and loop.time() < deadline:
            await asyncio.sleep(0.02)
        for ws in list(self.sessions):
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutting down")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError):
        return "connection reset"
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return text.lower()
