"""The request log: what the lab sheet's server prints, without costing the service its speed.

The lab sheet prints ``Request dari client : 42 IP client : ('127.0.0.1', 50412)`` per
request. A ``print`` per request costs about 3x in throughput (NOTES), so lines are buffered
and written with one ``write`` per event-loop tick, and past :attr:`lines_per_second` lines
in a second the rest are only counted and summarised once a second
(``... 38211 more requests in the last 1.0 s``): more than a person can read is not lost
information, it is noise. ``--log-format json`` writes one JSON object per event, every
event, for tools; ``--quiet`` writes nothing.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterable
from typing import TextIO

from server.protocol import Exchange
from server.replies import abbreviate

LOG_ECHO_LIMIT = 120


def printable(text: str) -> str:
    """``text`` with control characters escaped, so no client can send escape sequences
    to the operator's terminal through the log."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def lab_sheet_line(request: bytes, peer: tuple, name: str | None = None) -> str:
    """The lab sheet's line; a session's name (a page in a class gives one) after it."""
    text = printable(abbreviate(request.decode("utf-8", "replace"), LOG_ECHO_LIMIT))
    line = f"Request dari client : {text} IP client : {peer!r}"
    return f"{line} [{printable(name)}]" if name else line


class RequestLog:
    def __init__(self, stream: TextIO | None = None, log_format: str = "text",
                 lines_per_second: int = 20) -> None:
        self.stream = stream if stream is not None else sys.stdout
        self.json = log_format == "json"
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
                          "request": abbreviate(e.request.decode("utf-8", "replace"),
                                                LOG_ECHO_LIMIT),
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
                self._lines.append(lab_sheet_line(e.request, peer, name))
            else:
                self.skipped += 1
        self._schedule()

    def relayed(self, request: str, peer: tuple, conn: int, name: str | None,
                backend: str) -> None:
        """A request the bridge relayed to a foreign server (``--backend``, or a student's
        own chosen with ``--allow-target``): the lab sheet's line with the session's name,
        then where it went. ``peer`` is the bridge's address as that server sees it."""
        text = abbreviate(request, LOG_ECHO_LIMIT)
        if self.json:
            record = {"event": "request", "session": conn, "peer": _peer(peer),
                      "request": text, "backend": backend}
            if name:
                record["name"] = name
            self._add_json(record)
        elif self.budget > 0:
            self.budget -= 1
            self._lines.append(f"{lab_sheet_line(text.encode(), peer, name)} -> {backend}")
            self._schedule()
        else:
            self.skipped += 1

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
        self._lines.append(json.dumps(record, ensure_ascii=False))
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

    def flush(self) -> None:
        self._flush_scheduled = False
        if not self._lines:
            return
        text = "\n".join(self._lines) + "\n"
        self._lines.clear()
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


def _peer(peer: Iterable) -> str:
    host, port = tuple(peer)[:2]
    return f"{host}:{port}"


class _Discard:
    def write(self, text: str) -> None:
        pass

    def flush(self) -> None:
        pass
