"""A timer for "nothing more has arrived for a while" that a busy event loop cannot fool.

Both the service (a request without LF) and the bridge (a backend reply without LF) answer
or relay an unterminated line after a short silence (the idle flush, 50 ms by default). A
timer that fires *late* proves nothing: the loop was busy, and the rest of the line may be
sitting unread in a socket (or in the service's own write buffer, for the bridge's
in-process backend) because no I/O was processed meanwhile. Under CPU load that split one
reply line in two (the once-seen failure of issue 13's last row). So a timer that fires
more than :data:`LAG_TOLERANCE` late checks once more after :data:`RECHECK`, with a turn of
I/O in between; new data cancels it as usual. And silence is only silence when nothing
waits unread in the socket (:func:`unread_bytes`): a reader that paused reading (flow
control, a time slice) or fell behind has not heard the rest yet.
"""

from __future__ import annotations

import asyncio
import fcntl
import struct
import termios
from collections.abc import Callable

LAG_TOLERANCE = 0.01  # seconds late past which a firing says more about the loop than the peer
RECHECK = 0.01


class PauseTimer:
    """``loop.call_later(delay, callback)``, with one re-check when it fires late."""

    __slots__ = ("loop", "due", "callback", "handle", "rechecked")

    def __init__(self, loop: asyncio.AbstractEventLoop, delay: float,
                 callback: Callable[[], None]) -> None:
        self.loop = loop
        self.callback = callback
        self.rechecked = False
        self.due = loop.time() + delay
        self.handle = loop.call_at(self.due, self._fire)

    def _fire(self) -> None:
        if not self.rechecked and self.loop.time() - self.due > LAG_TOLERANCE:
            self.rechecked = True
            self.due = self.loop.time() + RECHECK
            self.handle = self.loop.call_at(self.due, self._fire)
            return
        self.callback()

    def cancel(self) -> None:
        self.handle.cancel()


def unread_bytes(transport: asyncio.BaseTransport | None) -> int:
    """Bytes waiting in the transport's socket receive queue (FIONREAD); 0 if unknown."""
    sock = transport.get_extra_info("socket") if transport is not None else None
    try:
        raw = fcntl.ioctl(sock.fileno(), termios.FIONREAD, b"\0\0\0\0")
    except (AttributeError, OSError, ValueError):
        return 0
    return struct.unpack("i", raw)[0]


def after_pause(delay: float, callback: Callable[[], None]) -> PauseTimer:
    """A :class:`PauseTimer` on the running loop."""
    return PauseTimer(asyncio.get_running_loop(), delay, callback)
