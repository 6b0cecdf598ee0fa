"""The service's side of one connection, sans-I/O: request bytes in, reply bytes out.

:class:`ServiceConnection` joins framing, parsing, the handlers and the replies, in the
manner of h11 and python-websockets: the I/O layer calls :meth:`receive_data`,
:meth:`receive_idle` (the peer paused with an unterminated line) and :meth:`receive_eof`
(half-close), and gets back the :class:`Exchange` of every request answered, in order.
Nothing here touches a socket or a clock, so every rule is a plain function call in a test.
Any exception escaping :func:`answer` is a bug; the I/O layer still answers
``ERR internal`` rather than crash.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from server import replies
from server.errors import HandlerError
from server.fast_path import make_fast_path
from server.framing import TOO_LONG, LineFramer
from server.length import length
from server.parity import parity
from server.requests import NO_ID, Request, RequestError, is_json_line, parse_request


@dataclass(frozen=True, slots=True)
class ServiceSettings:
    """What decides a reply: set once from the command line."""

    lang: str = "id"
    default: str = "auto"
    max_line: int = 65536


class Exchange(NamedTuple):
    """One request and its reply, for the request log, the metrics and the server view."""

    request: bytes  # the request line without its ending (b"" for a line over the limit)
    reply: bytes  # the reply line, LF included
    handler: str  # parity, length, help, or "-" when no handler ran
    outcome: str  # "ok" or the error code


def answer(line: bytes | None, settings: ServiceSettings) -> Exchange:
    """The reply to one framed line (``None``: a line over the limit)."""
    if line is TOO_LONG:
        error = HandlerError("line_too_long")
        return Exchange(b"", replies.plain_error(error, settings.lang, settings.max_line),
                        "-", "line_too_long")
    try:
        request = parse_request(line, settings.default)
    except RequestError as exc:
        lang = exc.lang or settings.lang
        if exc.is_json:
            reply = replies.json_error(exc.id, exc.error, lang, settings.max_line)
        else:
            reply = replies.plain_error(exc.error, lang, settings.max_line)
        return Exchange(line, reply, "-", exc.error.code)
    return run_request(line, request, settings)


def run_request(line: bytes, request: Request, settings: ServiceSettings) -> Exchange:
    lang = request.lang or settings.lang
    handler = request.handler
    try:
        if handler == "parity":
            result = parity(request.text)
            message = replies.parity_message(result, lang)
        elif handler == "length":
            result = length(request.text, request.encoded)
            message = replies.length_message(result, lang)
        else:  # help
            message = replies.USAGE["en" if lang == "en" else "id"]
            if request.is_json:
                reply = replies.json_ok(request.id, "help", {"usage": message}, message)
            else:
                reply = replies.plain_ok(message)
            return Exchange(line, reply, "help", "ok")
    except HandlerError as error:
        if request.is_json:
            reply = replies.json_error(request.id, error, lang, settings.max_line)
        else:
            reply = replies.plain_error(error, lang, settings.max_line)
        return Exchange(line, reply, handler, error.code)
    if request.is_json:
        reply = replies.json_ok(request.id, handler, result.as_json(), message)
    else:
        reply = replies.plain_ok(message)
    return Exchange(line, reply, handler, "ok")


def internal_error(line: bytes | None, settings: ServiceSettings) -> Exchange:
    """The reply when :func:`answer` itself failed: still exactly one line, still in order."""
    error = HandlerError("internal")
    if line and is_json_line(line):
        reply = replies.json_error(NO_ID, error, settings.lang, settings.max_line)
    else:
        reply = replies.plain_error(error, settings.lang, settings.max_line)
    return Exchange(line or b"", reply, "-", "internal")


def kind_of(exchange: Exchange) -> str:
    """What the service counts a request under: ``"handler outcome"``, one string (its hash
    is computed once and kept, where a ``(handler, outcome)`` tuple is hashed at every
    count)."""
    return f"{exchange.handler} {exchange.outcome}"


def answer_safely(line: bytes | None, settings: ServiceSettings) -> Exchange:
    """:func:`answer`, or ``ERR internal`` if it failed: one reply whatever happens."""
    try:
        return answer(line, settings)
    except Exception:  # a bug must not cost the client its connection or its reply
        return internal_error(line, settings)


#: The answers to the lines of one read, in order: ``(lines, answers)``, each answer the
#: reply and its kind (:func:`kind_of`). What the I/O layer needs for every read is the reply
#: bytes and the counts; the :class:`Exchange` of each request (for the request log within
#: its budget, the server view) is built only when asked for, by :func:`exchanges_of`. A plain
#: tuple: making a NamedTuple (even with ``tuple.__new__``) costs about as much as the whole
#: answer to ``parity 42``.
Batch = tuple[list[bytes | None], list[tuple[bytes, str]]]


def exchanges_of(batch: Batch) -> list[Exchange]:
    lines, answers = batch
    return [Exchange(b"" if line is TOO_LONG else line, reply, *kind.split(" "))
            for line, (reply, kind) in zip(lines, answers, strict=True)]


class ServiceConnection:
    """One client's conversation: framing state plus the settings that shape replies.

    A single read may hold thousands of pipelined lines. With a ``limit``, :meth:`read`
    answers that many and keeps the rest of the read, unframed, as a backlog that
    :meth:`read_backlog` works through, so the I/O layer can answer a flood in slices,
    interleaved with other clients and stopping while the client is not reading. The
    backlog is the read's own bytes (no copy, no line objects): a client that floods and
    never reads costs its read buffer, not a list of thousands of lines.

    :meth:`read`, :meth:`read_backlog`, :meth:`read_idle` and :meth:`read_eof` return a
    :data:`Batch` (what the service writes and counts); :meth:`receive_data`,
    :meth:`answer_backlog`, :meth:`receive_idle` and :meth:`receive_eof` are the same
    steps returning the :class:`Exchange` of each request, for callers that want them all."""

    __slots__ = ("settings", "framer", "backlog", "_unread", "_unread_pos", "_answer_line")

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self._answer_line = make_fast_path(settings)
        self.framer = LineFramer(settings.max_line)
        self._unread: bytes | None = None
        self._unread_pos = 0
        self.backlog = False  # lines of an earlier read are still to be answered

    @property
    def has_partial(self) -> bool:
        """An unterminated request is waiting (the I/O layer arms the idle flush)."""
        return self.framer.has_partial

    def read(self, data: bytes, limit: int = 0, max_bytes: int = 0) -> Batch:
        """Frame ``data`` and answer its lines, at most ``limit`` of them (0: all), and
        no more lines than fit in ``max_bytes`` (0: no cap; at least one line is answered):
        a read of a few long, expensive lines is answered a slice at a time too."""
        if self._unread is not None:
            self._unread = self._unread[self._unread_pos:] + data
            self._unread_pos = 0
            return self.read_backlog(limit, max_bytes)
        line = self.framer.single_line(data)
        if line is not None:  # the usual read: one line
            return [line], [self._answer_line(line)]
        if limit and (data.count(b"\n") > limit
                      or (max_bytes and len(data) > max_bytes and data.count(b"\n") > 1)):
            self._unread = data
            self._unread_pos = 0
            self.backlog = True
            return self.read_backlog(limit, max_bytes)
        return self._answer(self.framer.feed(data))

    def read_backlog(self, limit: int = 0, max_bytes: int = 0) -> Batch:
        """Answer up to ``limit`` more lines of the backlog (0: all of it), in order,
        stopping after the line that reaches ``max_bytes`` (0: no cap)."""
        return self._answer(self._backlog_lines(limit, max_bytes))

    def read_idle(self) -> Batch:
        """The peer paused: answer an unterminated request, if there is one (after any
        backlog, which comes first)."""
        lines = self._backlog_lines(0, 0)
        line = self.framer.flush()
        if line is not None:
            lines.append(line)
        return self._answer(lines)

    read_eof = read_idle  # half-close: the same rule, the last chance to answer

    def receive_data(self, data: bytes, limit: int = 0, max_bytes: int = 0) -> list[Exchange]:
        """:meth:`read`, as the :class:`Exchange` of each request."""
        return exchanges_of(self.read(data, limit, max_bytes))

    def answer_backlog(self, limit: int = 0, max_bytes: int = 0) -> list[Exchange]:
        """:meth:`read_backlog`, as the :class:`Exchange` of each request."""
        return exchanges_of(self.read_backlog(limit, max_bytes))

    def receive_idle(self) -> list[Exchange]:
        """:meth:`read_idle`, as the :class:`Exchange` of each request."""
        return exchanges_of(self.read_idle())

    receive_eof = receive_idle

    def _backlog_lines(self, limit: int, max_bytes: int) -> list[bytes | None]:
        data = self._unread
        if data is None:
            return []
        start = self._unread_pos
        cut = len(data)
        if limit:
            end = start
            for _ in range(limit):
                end = data.find(b"\n", end) + 1
                if end == 0 or (max_bytes and end - start >= max_bytes):
                    break
            if end != 0:
                cut = end
        if cut >= len(data):
            self._unread = None
            self.backlog = False
        else:
            self._unread_pos = cut
        return self.framer.feed(data[start:cut])

    def _answer(self, lines: list[bytes | None]) -> Batch:
        return lines, list(map(self._answer_line, lines))
