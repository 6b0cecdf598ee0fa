"""Line framing, sans-I/O: bytes in, complete request lines out.

One implementation serves the TCP service (reading requests) and the WebSocket bridge
(reading a backend's replies), so both agree on what a line is:

* a line ends at LF; one CR before the LF is part of the line ending (CRLF accepted);
* a line longer than ``max_line`` bytes (line ending excluded) is reported once as
  :data:`TOO_LONG` as soon as the limit is passed, and the rest of it is discarded up to
  and including its LF, so memory stays bounded whatever a peer sends;
* an unterminated line is handed out by :meth:`LineFramer.flush` when the I/O layer decides
  the peer has paused (idle flush) or has half-closed (end of input). A lone line ending
  that arrives right after such a flush ends the flushed line; it is not a new, empty one.

The framer never raises on input: every byte sequence is valid framing.
"""

from __future__ import annotations

from typing import Final

#: Marker returned in place of a line that passed the limit (only once per such line).
TOO_LONG: Final = None


class LineFramer:
    """Splits a byte stream into lines; see the module docstring for the rules."""

    __slots__ = ("max_line", "keep_cr", "_parts", "held", "_discarding", "_after_flush")

    def __init__(self, max_line: int, keep_cr: bool = False) -> None:
        self.max_line = max_line
        # The bridge keeps a CR of a CRLF on its lines, to show the reply's exact bytes.
        self.keep_cr = keep_cr
        # The unterminated line so far, as the chunks it came in (joined once, when its LF
        # comes: a long line arriving in small reads costs linear time, not quadratic).
        self._parts: list[bytes] = []
        self.held = 0  # bytes of that line so far
        # True while skipping the rest of an over-long line, up to its LF.
        self._discarding = False
        # True right after flush() handed out an unterminated line: a line ending that
        # arrives next belongs to that line (b"\r" while half of a CRLF has come).
        self._after_flush: bool | bytes = False

    @property
    def pending(self) -> int:
        """Bytes held for a line not yet complete (0 when nothing is waiting)."""
        return self.held

    @property
    def has_partial(self) -> bool:
        return self.held > 0

    def single_line(self, data: bytes) -> bytes | None:
        """Fast path for the most common read, exactly one complete line and nothing held:
        the line (ending removed), or None when the general :meth:`feed` is needed."""
        if self.held or self._discarding or self._after_flush:
            return None
        line, lf, rest = data.partition(b"\n")  # one C call where find, len and slice are three
        if rest or not lf:
            return None
        if line and line[-1] == 13 and not self.keep_cr:  # 13: CR, of a CRLF
            line = line[:-1]
        return line if len(line) <= self.max_line else None

    def feed(self, data: bytes) -> list[bytes | None]:
        """Take the next bytes; return each completed line (without its ending) in order,
        with :data:`TOO_LONG` in place of a line over the limit."""
        if not data:
            return []
        if self._after_flush:
            if data == b"\r":  # the CR of a CRLF, its LF still on the way: wait for it
                self._after_flush = b"\r"
                return []
            if self._after_flush == b"\r" and not data.startswith(b"\n"):
                data = b"\r" + data  # that CR was data after all
            self._after_flush = False
            if data.startswith(b"\n"):
                data = data[1:]
            elif data.startswith(b"\r\n"):
                data = data[2:]
        if self._discarding:
            end = data.find(b"\n")
            if end < 0:
                return []
            self._discarding = False
            data = data[end + 1 :]
        limit = self.max_line
        if b"\n" not in data:
            # No line ends here: hold the bytes, unless that passes the limit. One CR more
            # than the limit is allowed: it may be the CR of a CRLF still on its way.
            held = self.held + len(data)
            if held > limit + 1 or (held == limit + 1 and not data.endswith(b"\r")):
                self._drop_partial()
                self._discarding = True
                return [TOO_LONG]
            if data:
                self._parts.append(data)
                self.held = held
            return []
        if self._parts:
            self._parts.append(data)
            data = b"".join(self._parts)
            self._drop_partial()
        lines = data.split(b"\n")
        rest = lines.pop()
        if len(data) <= limit and b"\r" not in data:  # the usual read: the lines as they are
            if rest:
                lines.extend(self.feed(rest))
            return lines  # type: ignore[return-value]
        frames: list[bytes | None] = []
        strip_cr = not self.keep_cr
        for line in lines:
            has_cr = line.endswith(b"\r")
            if len(line) - has_cr > limit:
                frames.append(TOO_LONG)
            else:
                frames.append(line[:-1] if has_cr and strip_cr else line)
        if rest:
            frames.extend(self.feed(rest))
        return frames

    def _drop_partial(self) -> None:
        self._parts = []
        self.held = 0

    def flush(self) -> bytes | None:
        """Hand out the unterminated line, if any (idle pause or end of input).

        Returns ``None`` when nothing is waiting (distinct from an empty line, which only a
        LF can make)."""
        if not self.held:
            return None
        line = b"".join(self._parts)
        self._drop_partial()
        if line.endswith(b"\r") and not self.keep_cr:
            line = line[:-1]
        self._after_flush = True
        return line
