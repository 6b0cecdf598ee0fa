"""The request log: what the lab sheet's server prints, without costing the service its speed.

The lab sheet prints ``Request dari client : 42 IP client : ('127.0.0.1', 50412)`` per
request. A ``print`` per request costs about 3x in throughput (NOTES), so lines are buffered
and written with one ``write`` per event-loop tick, and past :attr:`lines_per_second` lines
in a second the rest are only counted and summarised once a second
(``... 38211 more requests in the last 1.0 s``): more than a person can read is not lost
information, it is noise. ``--log-format json`` writes one JSON object per event, every
event, for tools; ``--quiet`` writes nothing.

The log never slows or stops the service (contract): when stdout is a real file descriptor,
:class:`OutputThread` writes it from a thread of its own, so a pipe nobody reads or a
terminal paused with Ctrl-S blocks that thread, never the event loop. What cannot be handed
over meanwhile (past :data:`MAX_PENDING` characters) is dropped and counted, and the count
is written as soon as the output flows again.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import sys
import threading
from collections.abc import Callable, Iterable
from typing import TextIO

from server.protocol import Exchange
from server.replies import abbreviate

LOG_ECHO_LIMIT = 120
MAX_PENDING = 1 << 20  # characters waiting for a blocked output before lines are dropped


def printable(text: str) -> str:
    """``text`` with control characters escaped, so no client can send escape sequences
    to the operator's terminal through the log."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


#: What a line over the limit is logged as (its bytes were discarded, not an empty request).
TOO_LONG_TEXT = "<line over the limit, discarded>"

# Characters a terminal acts on, kept raw by ``ensure_ascii=False``: C1 controls (U+009B is
# CSI) and the bidirectional formatting characters (U+202E reverses what follows).
_UNSAFE_IN_JSON = {c: f"\\u{c:04x}" for c in [*range(0x80, 0xA0), 0x061C, 0x200E, 0x200F,
                                                 *range(0x202A, 0x202F), *range(0x2066, 0x206A),
                                                 0x2028, 0x2029]}


def request_text(exchange: Exchange, limit: int = LOG_ECHO_LIMIT) -> str:
    """The request of ``exchange`` as a log or the server view shows it."""
    if exchange.outcome == "line_too_long":
        return TOO_LONG_TEXT
    return abbreviate(exchange.request.decode("utf-8", "replace"), limit)


def lab_sheet_line(request: bytes | str, peer: tuple, name: str | None = None) -> str:
    """The lab sheet's line; a session's name (a page in a class gives one) after it."""
    if isinstance(request, bytes):
        request = abbreviate(request.decode("utf-8", "replace"), LOG_ECHO_LIMIT)
    line = f"Request dari client : {printable(request)} IP client : {peer!r}"
    return f"{line} [{printable(name)}]" if name else line


class OutputThread:
    """Writes text to a file descriptor from a daemon thread; :meth:`put` never waits.

    The thread writes with ``os.write`` on a duplicate of the descriptor, not through
    ``sys.stdout``'s buffer, whose lock a thread blocked in a write would hold when the
    interpreter exits. ``notice(count)`` makes the line that reports dropped lines."""

    def __init__(self, fd: int, notice: Callable[[int], str],
                 max_pending: int = MAX_PENDING) -> None:
        self.fd = os.dup(fd)
        self.notice = notice
        self.max_pending = max_pending
        self.dropped = 0  # lines dropped since the last notice
        self._pending: list[str] = []
        self._size = 0
        self._closing = False
        self._wakeup = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="request-log", daemon=True)
        self._thread.start()

    def put(self, text: str, lines: int) -> None:
        """Hand ``text`` (``lines`` lines) over, or drop and count it if the output has
        been blocked for more than ``max_pending`` characters."""
        with self._wakeup:
            if self._size + len(text) > self.max_pending:
                self.dropped += lines
                return
            self._pending.append(text)
            self._size += len(text)
            self._wakeup.notify()

    def _run(self) -> None:
        while True:
            with self._wakeup:
                while not self._pending and not self._closing:
                    self._wakeup.wait()
                if not self._pending:
                    break
                text = "".join(self._pending)
                self._pending.clear()
                self._size = 0
            try:
                self._write(text)
                with self._wakeup:  # the output flows again: say what it missed
                    dropped, self.dropped = self.dropped, 0
                if dropped:
                    self._write(self.notice(dropped) + "\n")
            except OSError:  # closed or broken: logging must not kill serving
                with self._wakeup:
                    self.max_pending = -1  # drop everything from now on
                return
        os.close(self.fd)

    def _write(self, text: str) -> None:
        data = text.encode("utf-8", "replace")
        while data:
            written = os.write(self.fd, data)
            data = data[written:]

    def close(self, timeout: float = 1.0) -> None:
        """Write what is pending if the output takes it within ``timeout`` seconds;
        a blocked output is left behind (the thread is a daemon), never waited for."""
        with self._wakeup:
            self._closing = True
            self._wakeup.notify()
        self._thread.join(timeout)


def _fileno(stream: TextIO) -> int | None:
    try:
        return stream.fileno()
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None


class RequestLog:
    def __init__(self, stream: TextIO | None = None, log_format: str = "text",
                 lines_per_second: int = 20) -> None:
        self.stream = stream if stream is not None else sys.stdout
        self.json = log_format == "json"
        # A real file descriptor is written from a thread (it may block); an in-memory
        # stream (tests) directly.
        fd = _fileno(self.stream)
        self.output = None if fd is None else OutputThread(fd, self._dropped_notice)
        self.lines_per_second = lines_per_second
        self._lines: list[str] = []
        # Lines still to print in full this second (past it, requests are only counted in
        # `skipped`); JSON logs every event, so its budget never runs out.
        self.budget = lines_per_second if not self.json else float("inf")
        self.skipped = 0
        self._flush_scheduled = False
        self._window_open = False
        # Names pages gave their sessions, by the (host, port) their connection comes from
        # (the bridge fills it): who is who in a class. Never a metrics label.
        self.names: dict[tuple, str] = {}

    # -- recording (hot path) -------------------------------------------------------------
    def requests(self, exchanges: list[Exchange], peer: tuple, conn: int, seconds: float) -> None:
        name = self.names.get(tuple(peer[:2])) if self.names else None
        if self.json:
            ms = round(seconds * 1000, 3)
            for e in exchanges:
                record = {"event": "request", "session": conn, "peer": _peer(peer),
                          "request": request_text(e),
                          "handler": e.handler, "reply": e.outcome, "duration_ms": ms}
                if name:
                    record["name"] = name
                self._add_json(record)
            return
        if self.budget <= 0:
            self.skipped += len(exchanges)
            return
        for e in exchanges:
            if self.budget > 0:
                self.budget -= 1
                self._lines.append(lab_sheet_line(request_text(e), peer, name))
            else:
                self.skipped += 1
        self._schedule()

    def relayed(self, request: str, peer: tuple, conn: int, name: str | None,
                backend: str) -> None:
        """A request the bridge relayed to a foreign server (``--backend``, or a student's
        own chosen with ``--allow-target``): the lab sheet's line with the session's name,
        then where it went. ``peer`` is the bridge's address as that server sees it (only
        its host and port are shown)."""
        if not self.json and self.budget <= 0:  # past what a person can read: only counted
            self.skipped += 1
            return
        peer = tuple(peer[:2])
        text = abbreviate(request, LOG_ECHO_LIMIT)
        if self.json:
            record = {"event": "request", "session": conn, "peer": _peer(peer),
                      "request": text, "backend": backend}
            if name:
                record["name"] = name
            self._add_json(record)
        else:
            self.budget -= 1
            self._lines.append(f"{lab_sheet_line(text, peer, name)} -> {backend}")
            self._schedule()

    def event(self, kind: str, conn: int, peer: tuple, **fields: object) -> None:
        """A connection event (open, close, cut off): JSON format only; the readable log
        keeps to the lab sheet's one line per request."""
        if self.json:
            self._add_json({"event": kind, "session": conn, "peer": _peer(peer), **fields})

    def message(self, text: str) -> None:
        """A line for a person (start-up, shutdown) in the readable format."""
        if self.json:
            self._add_json({"event": "message", "text": text})
        else:
            self._lines.append(text)
            self._schedule()

    # -- writing --------------------------------------------------------------------------
    def _add_json(self, record: dict[str, object]) -> None:
        self._lines.append(json.dumps(record, ensure_ascii=False).translate(_UNSAFE_IN_JSON))
        self._schedule()

    def _schedule(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (tests, shutdown): write now
            self.flush()
            return
        if not self._flush_scheduled:
            self._flush_scheduled = True
            loop.call_soon(self.flush)
        if not self._window_open and not self.json:
            self._window_open = True
            loop.call_later(1.0, self._close_window)

    def _close_window(self) -> None:
        self._window_open = False
        self.budget = self.lines_per_second
        if self.skipped:
            self._lines.append(f"... {self.skipped} more requests in the last 1.0 s")
            self.skipped = 0
            self._schedule()

    def _dropped_notice(self, count: int) -> str:
        if self.json:
            return json.dumps({"event": "dropped", "lines": count,
                               "why": "the output was blocked"})
        return f"... {count} log lines dropped while the output was blocked"

    def flush(self) -> None:
        self._flush_scheduled = False
        if not self._lines:
            return
        text = "\n".join(self._lines) + "\n"
        count = len(self._lines)
        self._lines.clear()
        if self.output is not None:
            self.output.put(text, count)
            return
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # closed or broken stdout: logging must not kill serving
            self.stream = _Discard()

    def close(self) -> None:
        if self.skipped:
            self._lines.append(f"... {self.skipped} more requests")
            self.skipped = 0
        self.flush()
        if self.output is not None:
            self.output.close()


def _peer(peer: Iterable) -> str:
    host, port = tuple(peer)[:2]
    return f"{host}:{port}"


class _Discard:
    def write(self, text: str) -> None:
        pass

    def flush(self) -> None:
        pass
