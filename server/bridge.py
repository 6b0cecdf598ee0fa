"""``GET /ws``: each WebSocket gets its own TCP connection to the backend.

Browser text messages become request lines; backend reply lines become text messages. The
rules that decide what is sent and what is refused are sans-I/O (:func:`message_to_line`);
this module only pumps bytes, with flow control both ways:

* browser -> backend: lines of messages that arrived together are written at once; while
  the backend's transport is over its high-water mark the bridge stops reading the
  WebSocket (aiohttp then stops reading the socket), never an unbounded buffer. A plain
  text message is taken as aiohttp parses it (:meth:`BridgeSession.take_text`, through
  :mod:`server.ws_fast_path`) when nothing has to wait; anything else goes through
  aiohttp's queue to :meth:`BridgeSession.forward`, a task;
* backend -> browser: replies are written as they are framed; while the browser's
  transport is over :data:`WS_HIGH_WATER`, or the queue of replies waiting for aiohttp is
  long, the bridge stops reading the backend.

A backend that answers without LF is still heard: the same :class:`LineFramer` as the
service's, with the idle flush after a pause and a final flush at close.

A session's backend is *foreign* (:attr:`Target.foreign`: ``--backend``, or a target a page
chose) or the in-process service. A foreign backend is connected lazily, only to send a
message, and a session outlives its TCP connections (see :mod:`server.foreign`); the
in-process service is connected before the WebSocket is accepted, so its view shows the
page's own connection from the start.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
from collections import deque
from dataclasses import dataclass
from functools import partial

from aiohttp import WSCloseCode, WSMsgType, web

from server.class_file import join_host_port
from server.classroom import session_name, viewer_key
from server.config import Config
from server.errors import HandlerError
from server.events import EventHub, now_ms
from server.foreign import (
    CLOSED,
    CLOSED_WITHOUT_REPLY,
    CONNECT_TIMEOUT,
    HOLD_GRACE,
    LINE_ENDINGS,
    RESET,
    TIMEOUT,
    Target,
    connect_failure,
    connection_end,
    must_hold,
)
from server.framing import TOO_LONG, LineFramer
from server.pause_timer import PauseTimer, after_pause, unread_bytes
from server.replies import abbreviate, json_error, plain_error
from server.request_log import RequestLog
from server.requests import NO_ID, load_json
from server.stats import ServiceStats
from server.targets import ResolvedTarget
from server.tcp_service import TcpService
from server.ws_fast_path import FastWebSocketResponse, HeartbeatSweep

log = logging.getLogger(__name__)

SUBPROTOCOL = "playground.v1"
WS_HIGH_WATER = 256 * 1024  # past this, the browser is slow: stop reading the backend


@dataclass(frozen=True, slots=True)
class Rejection:
    """A message the bridge answers itself; nothing goes to the backend."""

    code: str
    reply: str  # the reply line, without LF


def message_to_line(message: str, max_line: int, lang: str,
                    ending: str | None = None) -> bytes | Rejection:
    """The request line (its line ending included) for one WebSocket text message, or why
    not.

    Without ``ending``, one trailing LF or CRLF is the message's line ending and LF is sent;
    with ``ending`` (``lf``, ``crlf`` or ``none``: the page's Raw mode) the message is the
    text alone and that ending is sent exactly. Any other CR or LF would split it into
    several requests, which the contract forbids (never a silent split)."""
    if ending is None and "\n" not in message and "\r" not in message:  # the usual message
        line = message.encode("utf-8", "replace")
        if len(line) <= max_line:
            return line + b"\n"
    terminator = b"\n"
    if ending is not None:
        body, terminator = message, LINE_ENDINGS[ending]
    elif message.endswith("\r\n"):
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
    return line + terminator


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
        value = load_json(body, strict=False)  # a raw line break inside a string too
    except (ValueError, RecursionError):  # NaN, too deep: an id that cannot be echoed
        return NO_ID, None
    if not isinstance(value, dict):
        return NO_ID, None
    lang = value.get("lang")
    return value.get("id", NO_ID), lang if lang in ("en", "id") else None


_SHORT_HEADS = [bytes((0x81, size)) for size in range(126)]  # a text frame's head, by size


def text_frames(payloads: list[bytes]) -> bytes:
    """Server-to-client WebSocket text frames (RFC 6455 5.2: FIN, opcode 1, unmasked) for
    UTF-8 payloads, concatenated."""
    if len(payloads) == 1 and len(payloads[0]) < 126:  # the usual reply: one short line
        return _SHORT_HEADS[len(payloads[0])] + payloads[0]
    out = bytearray()
    for payload in payloads:
        size = len(payload)
        if size < 126:
            out += _SHORT_HEADS[size]
        elif size < 65536:
            out += bytes((0x81, 126)) + size.to_bytes(2, "big")
        else:
            out += bytes((0x81, 127)) + size.to_bytes(8, "big")
        out += payload
    return bytes(out)


def _utf8(line: bytes) -> bytes:
    """A reply line as a text frame may carry it: ASCII as it is (no decode and encode),
    anything else decoded with U+FFFD for what is not UTF-8."""
    return line if line.isascii() else line.decode("utf-8", "replace").encode()


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

    def __init__(self, config, foreign: bool = False) -> None:
        self.config = config
        self.foreign = foreign
        self.number = 0  # a foreign connection's number in the server view
        self.exc: BaseException | None = None  # why the connection was lost, if an error
        self.timed_out = False  # the bridge closed it: no reply within --reply-timeout
        self.last_activity = time.monotonic()  # a foreign backend's last byte (or request)
        self.framer = LineFramer(config.ws_message_limit, keep_cr=True)
        self.transport: asyncio.Transport | None = None
        self.local: tuple | None = None  # our (host, port) on this connection
        self.session: BridgeSession | None = None
        self.early: list[bytes] = []  # bytes that came before the session was attached
        self.finished: tuple[int, str] | None = None
        self.idle_timer: PauseTimer | None = None
        self.writable = asyncio.Event()
        self.writable.set()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        # The bridge's address as the backend sees it, asked once (uvloop asks the kernel
        # at every get_extra_info("sockname")).
        self.local = transport.get_extra_info("sockname")

    def attach(self, session: BridgeSession) -> None:
        self.session = session
        early, self.early = self.early, []
        for data in early:
            self.data_received(data)
        if self.finished:
            self._deliver_end()

    def data_received(self, data: bytes) -> None:
        if self.foreign:
            self.last_activity = time.monotonic()
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
            self.idle_timer = after_pause(self.config.idle_flush, self._idle_flush)

    def _idle_flush(self) -> None:
        self.idle_timer = None
        if (self.session is not None and self.session.backend_paused
                or unread_bytes(self.transport)):
            # We stopped reading the backend ourselves, or have not read what it sent:
            # the silence is ours. Try later.
            self.idle_timer = after_pause(self.config.idle_flush, self._idle_flush)
            return
        line = self.framer.flush()
        if line is not None and self.session is not None:
            self.session.reply_lines([line], "idle")

    def eof_received(self) -> bool:
        self._finish(WSCloseCode.OK, "backend closed the connection")
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.writable.set()
        self.exc = exc
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
        self.session.backend_closed(self, *self.finished)

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
                 label: str | None, target: Target, backend: BackendConnection | None,
                 transport: asyncio.Transport | None, owner: str = "") -> None:
        self.bridge = bridge
        self.ws = ws
        self.id = session_id
        self.label = label
        self.owner = owner  # the viewer key of the page that opened it (server view privacy)
        self.name = "" if label == f"ws {session_id}" else label  # a name the page gave
        self.target = target
        self.foreign = target.foreign  # connect only to send; outlive TCP connections
        self.backend = backend  # None while a foreign session has no TCP connection
        self.enveloped = ws.ws_protocol == SUBPROTOCOL
        self.outstanding = 0  # request lines sent whose reply has not come back yet
        # Rejections wait behind replies still owed, so replies stay in order; while one
        # waits, the bridge reads no more from the WebSocket (see _reject).
        self.held_rejections: list[tuple[int, Rejection]] = []
        self.rejections_sent = asyncio.Event()
        self.last_request = ""
        self.pending_lines: list[bytes] = []
        self.raw_transport = (transport if not self.enveloped and not ws.compress
                              else None)
        self.queue: deque[tuple] = deque()  # (lines, how) or ("close", code, reason, backend)
        self.queue_ready = asyncio.Event()
        self.backend_paused = False
        # foreign sessions only
        self.released = asyncio.Event()  # a reply came or a connection's end was told
        self.previous_unterminated = False  # the last request had no line ending
        self.request_started = 0.0  # monotonic time the oldest owed request was written
        self.connecting: asyncio.Task | None = None
        self.ended = False  # the WebSocket is gone: a connection still opening closes itself
        self.idle = False  # forward() waits for a message: nothing of the browser's is pending
        # Looked up once: Python 3.11's get_running_loop() calls getpid() every time.
        self.loop = asyncio.get_running_loop()

    # -- browser -> backend ---------------------------------------------------------------
    async def forward(self) -> None:
        config = self.bridge.config
        ws = self.ws
        while True:
            self.idle = True  # take_text may send for us meanwhile
            msg = await ws.receive()
            self.idle = False
            ending = None
            if msg.type == WSMsgType.TEXT:
                text = msg.data
                if self.enveloped:
                    command = await self._envelope_command(text)
                    if command is None:
                        continue
                    text, ending = command
                outcome = message_to_line(text, config.max_line, config.lang, ending)
            elif msg.type == WSMsgType.BINARY:
                outcome = binary_rejection(config.max_line, config.lang)
            else:
                break
            if isinstance(outcome, Rejection):
                await self._reject(outcome)
                continue
            if self.foreign:
                if not await self._send_foreign(outcome, text):
                    if not self.enveloped:
                        break  # closed with 1013: the backend cannot be reached
                    continue
            else:
                self._queue_line(outcome)
                self.outstanding += 1
            self.last_request = text
            if self.enveloped:
                await self._send_json({"type": "sent", "wire": outcome.decode("utf-8", "replace"),
                                       "bytes": len(outcome)})
            backend = self.backend
            if backend is not None and not backend.writable.is_set():
                self._flush_lines()  # a slow backend: stop reading the browser
                await backend.writable.wait()

    def take_text(self, text: str) -> bool:
        """A plain text message, as aiohttp parses it (see :mod:`server.ws_fast_path`): its
        line joins the lines to write after this read, counted as :meth:`forward` counts it,
        and True; False (the message is queued for :meth:`forward`) for anything that must
        wait or be told apart: a refusal, a backend that is slow, closed or not connected, a
        reply it must wait for, :meth:`forward` busy with an earlier message."""
        backend = self.backend
        if (not self.idle or backend is None or backend.finished is not None
                or not backend.writable.is_set()):
            return False
        config = self.bridge.config
        line = message_to_line(text, config.max_line, config.lang)
        if line.__class__ is Rejection:
            return False
        if self.foreign:
            if must_hold(False, self.outstanding, self.previous_unterminated, False):
                return False
            self.pending_lines.append(line)
            self._count_request(False)
        else:
            self.pending_lines.append(line)
            self.outstanding += 1
        self.last_request = text
        return True

    # -- a foreign backend: connect only to send ---------------------------------------------
    async def _send_foreign(self, line: bytes, text: str) -> bool:
        """Write ``line`` to the foreign backend, opening a connection if none is open, after
        the replies it must wait for (:func:`must_hold`). False when it could not be sent."""
        unterminated = not line.endswith(b"\n")
        held = False
        while True:
            backend = self.backend
            if backend is not None and backend.finished is not None:
                await self._wait_released()  # it closed: wait until its end is told
                continue
            if backend is not None and must_hold(self.enveloped, self.outstanding,
                                                 self.previous_unterminated, unterminated):
                held = True
                await self._wait_released()
                continue
            if held and backend is not None:
                # The reply came. A one-shot server closes right after it: give it a moment,
                # so the next request goes to a new connection, not into a closing one.
                held = False
                await asyncio.sleep(HOLD_GRACE)
                continue
            break
        self.last_request = text
        if self.backend is None:
            self.connecting = asyncio.create_task(self._connect_and_write(line, text))
            return await asyncio.shield(self.connecting)
        self._queue_line(line)
        self._count_request(unterminated)
        return True

    async def _wait_released(self) -> None:
        self.released.clear()
        await self.released.wait()

    def _count_request(self, unterminated: bool) -> None:
        if self.outstanding == 0:
            self.request_started = time.monotonic()
            self.backend.last_activity = self.request_started
        self.outstanding += 1
        self.previous_unterminated = unterminated

    async def _connect_and_write(self, line: bytes, text: str) -> bool:
        """Open a connection and write ``line`` on it at once: never a connection without a
        request. Runs to its end even if the WebSocket goes meanwhile (then it closes the
        connection after writing: the request was sent, the server is not left with none)."""
        bridge = self.bridge
        if self.enveloped and not self.ws.closed:
            await self._send_json({"type": "connecting", "backend": self.target.text})
        started = time.monotonic()
        try:
            backend = await bridge.connect_foreign(self.target)
        except (OSError, TimeoutError) as exc:
            await self._unreachable(exc, text)
            return False
        backend.write(line)
        if self.ended:
            backend.close()
            return False
        backend.number = bridge.next_number()
        self.backend = backend
        self.outstanding = 0
        self._count_request(not line.endswith(b"\n"))
        local = _address(backend.local)
        if self.enveloped:
            await self._send_json({"type": "tcp_open", "connection": backend.number,
                                   "local": local, "backend": self.target.text,
                                   "connect_ms": round((time.monotonic() - started) * 1000, 1)})
        hub = bridge.hub
        if hub.active:
            hub.publish({"type": "open", "conn": backend.number, "peer": local,
                         "backend": self.target.text, "label": self.label,
                         "session": self.id, "state": "connected", "foreign": True,
                         "owner": self.owner})
        backend.attach(self)
        return True

    async def _unreachable(self, exc: BaseException, text: str) -> None:
        """The connection could not be opened: the page is told why and keeps the message
        (it sends it again later); a plain client gets the contract's close, 1013."""
        detail = f"{self.target.text} ({_reason(exc)})"
        if self.ws.closed:
            return
        if self.enveloped:
            await self._send_json({"type": "unreachable", "reason": connect_failure(exc),
                                   "detail": _reason(exc), "backend": self.target.text,
                                   "text": text})
        else:
            await self.ws.close(code=WSCloseCode.TRY_AGAIN_LATER,
                                message=f"backend unreachable: {detail}".encode()[:120])

    async def _foreign_closed(self, backend: BackendConnection) -> tuple[int, str] | None:
        """A foreign connection ended and every reply it gave has been relayed: say how. The
        session stays open (the next message opens a new connection), except for a plain
        client still owed a reply, which would otherwise wait for ever: it gets 1011."""
        owed = self.outstanding
        how = connection_end(backend.exc, owed, backend.timed_out)
        if self.backend is backend:
            self.backend = None
            self.outstanding = 0
            self.previous_unterminated = False
        if self.held_rejections:
            for _, rejection in self.held_rejections:
                await self._deliver_rejection(rejection)
            self.held_rejections = []
        self.released.set()
        hub = self.bridge.hub
        if hub.active:
            hub.publish({"type": "close", "conn": backend.number, "reason": how, "owed": owed})
        if self.enveloped:
            await self._send_json({"type": "tcp_closed", "connection": backend.number,
                                   "how": how, "owed": owed,
                                   "detail": _end_words(how, backend.exc)})
            return None
        if owed == 0 or how == CLOSED:
            return None
        return WSCloseCode.INTERNAL_ERROR, _end_words(how, backend.exc)

    def close_backend(self) -> None:
        """The WebSocket is gone: close its TCP connection (a foreign one is shown closed)."""
        backend = self.backend
        if backend is None:
            return
        backend.close()
        if self.foreign and self.bridge.hub.active:
            self.bridge.hub.publish({"type": "close", "conn": backend.number,
                                     "reason": "websocket closed", "owed": self.outstanding})

    async def watch_replies(self) -> None:
        """A foreign backend that accepted a request and says nothing for ``--reply-timeout``
        seconds is given up on (a single-threaded server busy with someone else, or one that
        forgot to reply): the connection is closed and the end is told as a timeout."""
        limit = self.bridge.config.reply_timeout
        while True:
            await asyncio.sleep(min(0.5, limit / 4))
            backend = self.backend
            if (backend is not None and backend.finished is None and self.outstanding > 0
                    and time.monotonic() - backend.last_activity > limit):
                backend.timed_out = True
                backend.close()

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
        if self.pending_lines and self.backend is not None:
            self.backend.write(b"".join(self.pending_lines))
        self.pending_lines.clear()

    async def _envelope_command(self, text: str) -> tuple[str, str | None] | None:
        """The page's JSON commands: ``send`` gives the text to send and, optionally, its
        line ending (``end``: ``lf``, ``crlf`` or ``none``); ``ping`` is answered."""
        try:
            command = load_json(text)
            kind = command.get("type")
        except (ValueError, AttributeError, RecursionError):
            kind = None
        if (kind == "send" and isinstance(command.get("text"), str)
                and command.get("end") in (None, *LINE_ENDINGS)):
            return command["text"], command.get("end")
        if kind == "ping":
            t = command.get("t")  # the page's clock: echoed only if it is one
            await self._send_json({"type": "pong", "t": t if isinstance(t, (int, float, str))
                                   else None}, stamp=False)
            return None
        await self._send_json({"type": "rejected", "code": "invalid_request",
                               "line": "unknown command for subprotocol " + SUBPROTOCOL})
        return None

    async def _reject(self, rejection: Rejection) -> None:
        if self.outstanding > 0:
            # Held behind replies still owed. Refusals must not accumulate (a client that
            # stops reading and keeps sending refused messages would grow memory without
            # bound): stop reading the WebSocket until this one has gone out.
            self.rejections_sent.clear()
            self.held_rejections.append((self.outstanding, rejection))
            await self.rejections_sent.wait()
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

    def backend_closed(self, backend: BackendConnection, code: int, reason: str) -> None:
        self.queue.append(("close", code, reason, backend))
        self.queue_ready.set()

    def _can_write_now(self, lines: list[bytes | None]) -> bool:
        """Plain replies with nothing to interleave can go out as one write of frames."""
        return (self.raw_transport is not None and not self.held_rejections
                and not (self.foreign and self.bridge.hub.viewers)
                and TOO_LONG not in lines and not self.raw_transport.is_closing())

    def _write_frames(self, lines: list[bytes]) -> None:
        """Every reply line of one backend read, as text frames in one write: one system
        call where aiohttp's ``send_str`` would make one per message."""
        transport = self.raw_transport
        # Text frames must hold UTF-8: an ASCII line already is (no decode and encode).
        transport.write(text_frames([_utf8(line[:-1] if line[-1:] == b"\r" else line)
                                     for line in lines]))
        self.outstanding = max(0, self.outstanding - len(lines))
        if self.foreign:
            self.released.set()
            if self.bridge.request_log is not None:  # relayed: logged as _relay logs it
                for _ in lines:
                    self._log_relayed()
        if transport.get_write_buffer_size() > WS_HIGH_WATER:
            self._pause_backend()

    def _pause_backend(self) -> None:
        """A slow browser (or a long queue): stop reading the backend until it catches up."""
        if (not self.backend_paused and self.backend is not None
                and self.backend.transport is not None):
            self.backend_paused = True
            self.backend.transport.pause_reading()
            self.loop.call_later(0.005, self._maybe_resume_backend)

    def _maybe_resume_backend(self) -> None:
        transport = self.raw_transport
        behind = transport is not None and transport.get_write_buffer_size() > WS_HIGH_WATER // 2
        if (behind or len(self.queue) > 16) and not self.ws.closed:
            self.loop.call_later(0.005, self._maybe_resume_backend)
            return
        self.backend_paused = False
        backend = self.backend
        if (backend is not None and backend.transport is not None
                and not backend.transport.is_closing()):
            backend.transport.resume_reading()

    async def relay(self) -> tuple[int, str]:
        """Send what could not take the fast path, in order; returns the WebSocket close
        code and reason once the backend has gone."""
        while True:
            await self.queue_ready.wait()
            while self.queue:
                item = self.queue[0]  # left in the queue while sent: later replies wait
                if item[0] == "close" and self.foreign:
                    self.queue.popleft()
                    close = await self._foreign_closed(item[3])
                    if close is not None:
                        return close
                    continue
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
        if self.foreign:
            self._report_relayed(message)
        if self.outstanding > 0:
            self.outstanding -= 1
            if self.foreign:
                self.released.set()
        if self.held_rejections:
            await self._release_rejections()

    def _report_relayed(self, reply: str) -> None:
        """A foreign server's reply was relayed: to the server view and the request log,
        under the bridge's address as that server saw it."""
        backend = self.backend
        local = backend.local if backend else None
        hub = self.bridge.hub
        if hub.active and hub.take_request_slots(1):
            hub.publish({
                "type": "request", "conn": backend.number if backend else 0,
                "peer": _address(local), "label": self.label,
                "request": abbreviate(self.last_request, 200),
                "reply": abbreviate(reply, 200), "handler": "-", "outcome": "-",
                "ms": round((time.monotonic() - self.request_started) * 1000, 1),
                "owner": self.owner})
        self._log_relayed()

    def _log_relayed(self) -> None:
        request_log = self.bridge.request_log
        backend = self.backend
        if request_log is not None and backend is not None:
            request_log.relayed(self.last_request, backend.local or ("?", 0), self.id,
                                self.name, self.target.text)

    async def _release_rejections(self) -> None:
        still_held = []
        for owed, rejection in self.held_rejections:
            owed -= 1
            if owed <= 0 or self.outstanding == 0:
                await self._deliver_rejection(rejection)
            else:
                still_held.append((owed, rejection))
        self.held_rejections = still_held
        if not still_held:
            self.rejections_sent.set()

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
        self.tcp_count = 0  # foreign TCP connections opened so far (their view numbers)
        self.request_log: RequestLog | None = None  # for requests relayed to a foreign server
        # The bridge's local address of each session on the in-process service -> the viewer
        # key of its page: how the server view knows whose requests the service reports.
        self.owners: dict[str, str] = hub.owners
        self.heartbeats = HeartbeatSweep(config.heartbeat)

    def next_number(self) -> int:
        """The server view's number for a new foreign TCP connection. Beside the in-process
        service (a page chose a target), numbered with the service's own connections: the
        view tells connections apart by that number."""
        if self.service is not None:
            self.service._next_id += 1
            return self.service._next_id
        self.tcp_count += 1
        return self.tcp_count

    def session_target(self, chosen: ResolvedTarget | None = None) -> Target:
        """Where this WebSocket's requests go, and whether that server is foreign (connected
        only to send a message). The one place a per-page choice of target plugs in: a
        chosen target (``?target=``, decided by :mod:`server.targets`) is foreign and is
        reached at an address that was checked, a number, never a name looked up again."""
        if chosen is not None and not chosen.default:
            host, port = chosen.address
            return Target(host, port, foreign=True)
        host, port = self.backend
        return Target(host, port, foreign=self.external)

    def _remember(self, backend: BackendConnection, name: str, owner: str) -> str | None:
        """A session on the in-process service: whose page it is (server view) and the name
        it was given (request log), by the address its connection comes from."""
        local = backend.local
        if self.service is None or not local:
            return None
        if owner:
            self.owners[_address(local)] = owner
        if name and self.service.request_log is not None:
            self.service.request_log.names[tuple(local[:2])] = name
        return _address(local)

    def _forget(self, local: str | None) -> None:
        if local is None:
            return
        self.owners.pop(local, None)
        if self.service is not None and self.service.request_log is not None:
            host, _, port = local.rpartition(":")
            self.service.request_log.names.pop((host.strip("[]"), int(port)), None)

    async def connect_foreign(self, target: Target) -> BackendConnection:
        """Open a TCP connection to a foreign backend (the caller writes a request at once)."""
        loop = asyncio.get_running_loop()
        factory = partial(BackendConnection, self.config, True)
        _, backend = await asyncio.wait_for(
            loop.create_connection(factory, target.host, target.port), CONNECT_TIMEOUT)
        sock = backend.transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return backend

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

    async def handle(self, request: web.Request, chosen: ResolvedTarget | None = None
                     ) -> web.StreamResponse:
        """One WebSocket session; ``chosen``: where its page chose to go, as
        :mod:`server.targets` decided (None: the configured backend)."""
        config = self.config
        ws = FastWebSocketResponse(
            protocols=(SUBPROTOCOL,), heartbeat=config.heartbeat,
            # aiohttp refuses a frame of exactly max_msg_size; the limit is the largest
            # message accepted (only bigger ones close with 1009)
            max_msg_size=config.ws_message_limit + 1, compress=config.ws_compress)
        if not ws.can_prepare(request).ok:  # a plain GET: no backend connection for it
            raise web.HTTPBadRequest(text="this is a WebSocket endpoint\n")
        self._next_id += 1
        session_id = self._next_id
        name = session_name(request.query.get("label"))
        label = name or f"ws {session_id}"
        owner = viewer_key(request.query.get("viewer"))
        target = self.session_target(chosen)
        backend = None
        remembered = None
        if not target.foreign:  # the in-process service: connected before accepting
            try:
                backend = await self.connect(label)
            except (OSError, TimeoutError) as exc:
                await ws.prepare(request)
                await ws.close(code=WSCloseCode.TRY_AGAIN_LATER,
                               message=f"backend unreachable: {self.backend_text} "
                                       f"({_reason(exc)})".encode()[:120])
                return ws
            sock = backend.transport.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            remembered = self._remember(backend, name, owner)
        try:
            await ws.prepare(request)
        except BaseException:
            if backend is not None:
                backend.close()
            self._forget(remembered)
            raise
        session = BridgeSession(self, ws, session_id, label, target, backend, request.transport,
                                owner)
        self.sessions[ws] = session
        self.stats.ws_open += 1
        self.stats.ws_total += 1
        if session.enveloped:
            local = (_address(backend.local)
                     if backend is not None else None)
            await session._send_json({"type": "hello", "backend": target.text, "local": local,
                                      "session": session_id, "foreign": target.foreign})
        if backend is not None:
            backend.attach(session)
        if not session.enveloped:
            ws.take_text(session.take_text, session._flush_lines)
        ws.join_sweep(self.heartbeats)
        relay = asyncio.create_task(session.relay())
        forward = asyncio.create_task(session.forward())
        tasks = {relay, forward}
        if target.foreign:
            tasks.add(asyncio.create_task(session.watch_replies()))
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            if relay in done and not relay.cancelled() and relay.exception() is None:
                code, reason = relay.result()
                await ws.close(code=code, message=reason.encode()[:120])
            elif forward in done and forward.exception() is not None:
                log.debug("bridge session %s: %r", session_id, forward.exception())
        except ConnectionResetError:
            pass
        finally:
            session.ended = True
            ws.stop_taking()
            self.heartbeats.discard(ws)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            session.close_backend()
            self._forget(remembered)
            self.sessions.pop(ws, None)
            self.stats.ws_open -= 1
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


def _address(sockname: tuple | None) -> str | None:
    if not sockname:
        return None
    return join_host_port(sockname[0], sockname[1])


_END_WORDS = {
    CLOSED: "backend closed the connection",
    CLOSED_WITHOUT_REPLY: "backend closed the connection without replying",
    TIMEOUT: "backend did not reply in time",
}


def _end_words(how: str, exc: BaseException | None) -> str:
    """A connection's end in the words of the close reason (English, like every reason)."""
    if how == RESET or (exc is not None and how != TIMEOUT):
        return f"backend connection lost: {_reason(exc) if exc else 'connection reset'}"
    return _END_WORDS[how]


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError):
        return "connection reset"
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return text.lower()
