"""The checker's side of the wire: one client connection, every wait bounded.

Raw non-blocking sockets driven by ``loop.sock_*`` (plain asyncio and uvloop alike), so the
checker owns each socket and can close it the way the lab sheet's server needs: after the
server's FIN, with SO_LINGER 0 (an RST), which ends the server's TIME_WAIT so a restarted
program binds its port again at once, even without SO_REUSEADDR.

A reply is what arrives until a LF, or until a pause after some bytes, or until the server
closes; it is read up to :data:`REPLY_LIMIT` bytes and no further.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import time

from server.check.results import REPLY_LIMIT, Exchange

PAUSE = 0.3  # seconds of silence after some bytes that end a reply without LF
RECV_SIZE = 65536


class Unreachable(Exception):
    """The target's name does not resolve: one line saying so."""


async def resolve(host: str, port: int) -> list[tuple[int, tuple]]:
    """Every address of ``host`` (``localhost`` may be both ::1 and 127.0.0.1)."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise Unreachable(f"cannot resolve {host!r}: {reason}") from None
    seen: list[tuple[int, tuple]] = []
    for family, _, _, _, address in infos:
        if (family, address) not in seen:
            seen.append((family, address))
    return seen


class Client:
    """One connection to the target, as a lab client would make it."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""
        self.eof = False
        self.reset = False
        self.last_byte = 0.0  # monotonic time the last bytes arrived (a pause is not the reply's)
        self.loop = asyncio.get_running_loop()

    @classmethod
    async def connect(cls, addresses: list[tuple[int, tuple]],
                      timeout: float) -> tuple[Client | None, str, str]:
        """(client, "", "") or (None, ``refused``/``timeout``/``reset``, why): each address
        in turn."""
        loop = asyncio.get_running_loop()
        deadline = time.monotonic() + timeout
        ended, why = "refused", "no address"
        for family, address in addresses:
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setblocking(False)
            try:
                await asyncio.wait_for(loop.sock_connect(sock, address),
                                       max(0.01, deadline - time.monotonic()))
                return cls(sock), "", ""
            except TimeoutError:
                ended, why = "timeout", f"no answer to connect within {timeout:g} s"
            except (ConnectionResetError, ConnectionAbortedError):
                sock.close()  # accepted, then reset before asyncio saw the connect finish
                return None, "reset", "reset at once"
            except OSError as exc:
                ended, why = "refused", (exc.strerror or str(exc)).lower()
            except BaseException:  # cancelled (the page left, Ctrl-C): no socket left open
                sock.close()
                raise
            sock.close()
        return None, ended, why

    async def send(self, data: bytes, timeout: float) -> str:
        """Write ``data``; "" when written, else how it ended (``reset``/``timeout``)."""
        if not data:
            return ""
        try:
            await asyncio.wait_for(self.loop.sock_sendall(self.sock, data), timeout)
        except TimeoutError:
            return "timeout"
        except OSError:
            self.reset = True
            return "reset"
        return ""

    async def read_reply(self, deadline: float, pause: float = PAUSE) -> tuple[bytes, str, bool]:
        """(reply, ended, cut): bytes up to and including a LF, or until a pause after some
        bytes (``reply``), a close (``closed``), a reset, or the deadline (``timeout``)."""
        while True:
            line_end = self.buffer.find(b"\n")
            if 0 <= line_end < REPLY_LIMIT:
                reply, self.buffer = self.buffer[:line_end + 1], self.buffer[line_end + 1:]
                return reply, "reply", False
            if len(self.buffer) >= REPLY_LIMIT:
                reply, self.buffer = self.buffer[:REPLY_LIMIT], b""
                return reply, "reply", True
            if self.eof or self.reset:
                reply, self.buffer = self.buffer, b""
                return reply, "closed" if self.eof else "reset", False
            left = deadline - time.monotonic()
            wait = min(pause, left) if self.buffer else left
            chunk = None
            if wait > 0:
                try:
                    chunk = await asyncio.wait_for(self.loop.sock_recv(self.sock, RECV_SIZE), wait)
                except TimeoutError:
                    pass
                except OSError:
                    self.reset = True
                    continue
            if chunk is None:
                reply, self.buffer = self.buffer, b""
                return reply, "reply" if reply else "timeout", False
            if not chunk:
                self.eof = True
            else:
                self.last_byte = time.monotonic()
            self.buffer += chunk

    def close(self) -> None:
        """Close; with an RST when the server has closed first (its TIME_WAIT ends)."""
        server_closed = self.eof or self.reset
        if not server_closed:
            try:
                server_closed = self.sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
            except BlockingIOError:
                pass
            except OSError:
                server_closed = True
        if server_closed:
            try:
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                pass
        self.sock.close()


async def exchange(addresses: list[tuple[int, tuple]], data: bytes, timeout: float,
                   pause: float = PAUSE) -> Exchange:
    """A new connection: send ``data``, read one reply, close. Bounded by ``timeout`` for
    the connect, the write and the reply each."""
    started = time.monotonic()
    client, ended, why = await Client.connect(addresses, timeout)
    if client is None:
        return unconnected(data, ended, started, why)
    try:
        ended = await client.send(data, timeout)
        reply, how, cut = await client.read_reply(time.monotonic() + timeout, pause)
        return Exchange(data, reply, how if ended != "timeout" or reply else ended,
                        elapsed_ms(started, client.last_byte if reply else 0.0), cut)
    finally:
        client.close()


def unconnected(data: bytes, ended: str, started: float, why: str = "") -> Exchange:
    """The exchange of a client whose connect failed: refused, timed out, or reset at once
    (a server that accepts and resets: connected, and answered with nothing)."""
    return Exchange(data, b"", ended, elapsed_ms(started), connected=ended == "reset",
                    why=why)


def elapsed_ms(started: float, until: float = 0.0) -> float:
    """Milliseconds from ``started`` to ``until`` (the last byte of a reply), or to now."""
    return round(((until or time.monotonic()) - started) * 1000, 2)
