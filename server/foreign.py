"""Rules for a foreign backend: a TCP server this process did not start (``--backend``, or a
target a page chose), often a student's single-threaded lab server. Sans-I/O: the bridge
asks these functions and does the I/O.

Such a server serves one connection at a time and crashes on a connection that closes
without data (``int(b'')``), so the bridge connects **only to send a message**: a WebSocket
is accepted with no TCP connection; the first message opens one; when the server closes it
(the lab sheet's server answers one request per connection), the session stays open and the
next message opens a new one. How each connection ended is named in words a student can act
on: the server closed after replying, closed without replying (did it crash?), reset it,
refused it, or did not answer in time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from server.class_file import join_host_port

LINE_ENDINGS: dict[str, bytes] = {"lf": b"\n", "crlf": b"\r\n", "none": b""}

CONNECT_TIMEOUT = 5.0  # seconds to wait for a TCP handshake
HOLD_GRACE = 0.05  # after a reply, this long to see whether the server closes (one-shot)


@dataclass(frozen=True, slots=True)
class Target:
    """Where a WebSocket session's requests go. ``foreign`` means connect lazily (only to
    send a message); the in-process service is not foreign (connected eagerly, so its view
    can show the page's own connection). Per session, so a page may choose its target."""

    host: str
    port: int
    foreign: bool
    #: ``HOST:PORT`` as the log and the page show it (made once: the log names it per reply)
    text: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", join_host_port(self.host, self.port))


# How a TCP connection to a foreign backend ended (the ``how`` of ``tcp_closed``).
CLOSED = "closed"                              # the server closed after answering everything
CLOSED_WITHOUT_REPLY = "closed_without_reply"  # closed with a reply owed: did it crash?
RESET = "reset"                                # the server reset the connection (RST)
TIMEOUT = "timeout"                            # no reply within --reply-timeout: we closed it
LOST = "lost"                                  # another socket error

# Why a connection could not be opened (the ``reason`` of ``unreachable``).
REFUSED = "refused"                            # nothing listening: the server is not running
CONNECT_TIMEOUT_KIND = "timeout"               # no answer to the handshake
UNREACHABLE = "error"                          # another error (no route, bad name, ...)


def connection_end(exc: BaseException | None, owed: int, timed_out: bool) -> str:
    """Name how a connection ended, from what the socket said and how many replies were
    still owed when it did."""
    if timed_out:
        return TIMEOUT
    if exc is None:
        return CLOSED_WITHOUT_REPLY if owed > 0 else CLOSED
    if isinstance(exc, (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)):
        return RESET
    return LOST


def connect_failure(exc: BaseException) -> str:
    """Name why a connection could not be opened."""
    if isinstance(exc, ConnectionRefusedError):
        return REFUSED
    if isinstance(exc, TimeoutError):
        return CONNECT_TIMEOUT_KIND
    return UNREACHABLE


def must_hold(one_at_a_time: bool, owed: int, previous_unterminated: bool,
              unterminated: bool) -> bool:
    """Whether a message must wait for the replies owed on the open connection before it
    is written. Two messages without a line ending on one connection would run together
    ("42" then "7" arrive as "427"), so a message with no line ending waits for the replies
    before it, and every message waits behind one that had none. A session that asks for
    it (the page) sends one request at a time, as the lab sheet's client does."""
    if owed <= 0:
        return False
    return one_at_a_time or previous_unterminated or unterminated
