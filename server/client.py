"""``python -m server client``: the lab sheet's exercise 3 client, made dependable.

Blocking sockets on purpose: it is the program students read next to the lab sheet's. It
sends each line typed (or ``--once TEXT``) with an LF, prints one reply line per request,
and ends at end of input. A server that closes after each reply (the lab sheet's own) is
reconnected to for the next line; a reply without LF is taken as complete when the server
closes or pauses. An unreachable server is one line on stderr and exit status 1.
"""

from __future__ import annotations

import socket
import sys
from typing import TextIO

REPLY_TIMEOUT = 10.0
PAUSE_AFTER_PARTIAL = 0.3  # a reply without LF is complete after this much silence


class ClientError(Exception):
    """A failure to show the user as one line (never a traceback)."""


class LineClient:
    def __init__(self, host: str, port: int, timeout: float = REPLY_TIMEOUT) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self.sock: socket.socket | None = None
        self.buffer = b""

    def connect(self) -> None:
        try:
            self.sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        except OSError as exc:
            reason = _reason(exc)
            raise ClientError(f"cannot connect to {self.host}:{self.port}: {reason}") from None
        self.buffer = b""

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def ask(self, text: str) -> str:
        """Send one request line and return its reply (without the line ending)."""
        if self.sock is None:
            self.connect()
        try:
            return self._ask_once(text)
        except ConnectionError:
            # The server closed after its last reply (one request per connection): reconnect.
            self.close()
            self.connect()
            return self._ask_once(text)

    def _ask_once(self, text: str) -> str:
        assert self.sock is not None
        try:
            self.sock.sendall(text.encode("utf-8", "replace") + b"\n")
            reply, closed = self._read_reply()
        except TimeoutError:
            raise ClientError(f"no reply within {self.timeout:g} s") from None
        except OSError as exc:
            if isinstance(exc, ConnectionError):
                raise
            raise ClientError(f"connection to {self.host}:{self.port} failed: {_reason(exc)}") \
                from None
        if closed:
            self.close()
        return reply.rstrip(b"\r").decode("utf-8", "replace")

    def _read_reply(self) -> tuple[bytes, bool]:
        """Read up to an LF; returns (reply, server closed)."""
        sock = self.sock
        assert sock is not None
        while b"\n" not in self.buffer:
            if self.buffer:
                sock.settimeout(PAUSE_AFTER_PARTIAL)  # a reply with no LF: wait a little more
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                if self.buffer:
                    reply, self.buffer = self.buffer, b""
                    return reply, False
                raise
            finally:
                sock.settimeout(self.timeout)
            if not chunk:
                if not self.buffer:
                    raise ConnectionResetError("closed without a reply")
                reply, self.buffer = self.buffer, b""
                return reply, True
            self.buffer += chunk
        reply, _, self.buffer = self.buffer.partition(b"\n")
        return reply, False


def run_client(host: str, port: int, once: str | None, stdin: TextIO = sys.stdin,
               stdout: TextIO = sys.stdout) -> int:
    client = LineClient(host, port)
    try:
        client.connect()
        if once is not None:
            print(client.ask(once), file=stdout, flush=True)
            return 0
        interactive = stdin.isatty()
        while True:
            if interactive:
                print("> ", end="", file=stdout, flush=True)
            line = stdin.readline()
            if not line:
                return 0
            print(client.ask(line.rstrip("\r\n")), file=stdout, flush=True)
    except ClientError as exc:
        print(f"client: {exc}", file=sys.stderr)
        return 1
    except ConnectionError as exc:
        print(f"client: connection to {host}:{port} lost: {_reason(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        client.close()


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (is the server running?)"
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, socket.gaierror):
        return "unknown host"
    return (getattr(exc, "strerror", None) or str(exc) or type(exc).__name__).lower()
