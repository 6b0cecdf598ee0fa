"""Clients that misbehave on purpose, shared by the hardening tests and ``bench/harden.py``.

Each is bounded in time and connects only to loopback. They measure what a well-behaved
bystander gets while they run, so a test and the benchmark use the same recipe.
"""

from __future__ import annotations

import contextlib
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator

from tests.support import ROOT, connect, free_port, vm_rss

#: A legal request line just under the 64 KiB limit that is slow to answer: "e" + a
#: combining acute, 21,000 times, so the length handler walks 21,000 grapheme clusters.
COMBINING_LINE = ("length " + "e\u0301" * 21000).encode() + b"\n"


@contextlib.contextmanager
def combining_flood(address: tuple[str, int], line: bytes = COMBINING_LINE,
                    seconds: float = 30.0) -> Iterator[dict[str, int]]:
    """One client pipelining ``line`` as fast as the server reads it (and reading its
    replies, so flow control never pauses it) while the ``with`` body runs."""
    sent = {"lines": 0, "replies": 0}
    stop = threading.Event()
    sock = connect(address)
    batch = line * 8

    def write() -> None:
        deadline = time.monotonic() + seconds
        with contextlib.suppress(OSError):
            while not stop.is_set() and time.monotonic() < deadline:
                sock.sendall(batch)
                sent["lines"] += 8

    def read() -> None:
        with contextlib.suppress(OSError):
            while not stop.is_set():
                data = sock.recv(65536)
                if not data:
                    return
                sent["replies"] += data.count(b"\n")

    threads = [threading.Thread(target=f, daemon=True) for f in (write, read)]
    for t in threads:
        t.start()
    try:
        time.sleep(0.5)  # let the flood fill the server's buffers first
        yield sent
    finally:
        stop.set()
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()
        for t in threads:
            t.join(5)


def tcp_latencies(address: tuple[str, int], count: int = 20, pause: float = 0.02,
                  request: bytes = b"parity 1\n") -> list[float]:
    """Round-trip seconds of ``count`` lockstep requests on one connection."""
    times = []
    with connect(address, timeout=30) as sock:
        for _ in range(count):
            started = time.perf_counter()
            sock.sendall(request)
            reply = b""
            while not reply.endswith(b"\n"):
                chunk = sock.recv(4096)
                if not chunk:
                    raise AssertionError("the server closed the bystander's connection")
                reply += chunk
            times.append(time.perf_counter() - started)
            time.sleep(pause)
    return times


def http_latencies(url: str, count: int = 5, timeout: float = 30.0) -> list[float]:
    """Seconds each of ``count`` GETs of ``url`` took (a new connection each)."""
    times = []
    for _ in range(count):
        started = time.perf_counter()
        with urllib.request.urlopen(url, timeout=timeout) as response:
            response.read()
        times.append(time.perf_counter() - started)
    return times


def p50(values: list[float]) -> float:
    return statistics.median(values)


def summary_ms(values: list[float]) -> str:
    ordered = sorted(values)
    return (f"p50 {p50(values) * 1000:.1f} ms, max {ordered[-1] * 1000:.1f} ms "
            f"(n={len(values)})")


def raw_websocket(host: str, port: int, path: str = "/ws", rcvbuf: int = 0) -> socket.socket:
    """A WebSocket opened by hand on a plain socket (a client that can stop reading for
    real, and send pre-built frames as fast as the socket takes them)."""
    sock = socket.socket()
    if rcvbuf:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.settimeout(10)
    sock.connect((host, port))
    sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                  "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                  "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(1)
        if not chunk:
            raise AssertionError(f"no WebSocket handshake: {head!r}")
        head += chunk
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


def client_text_frame(text: str) -> bytes:
    """A client's text frame with the all-zero mask key (RFC 6455 5.3: masked, and XOR
    with zero leaves the payload as it is, so one frame can be sent many times)."""
    payload = text.encode()
    size = len(payload)
    if size < 126:
        head = bytes((0x81, 0x80 | size))
    elif size < 65536:
        head = bytes((0x81, 0x80 | 126)) + size.to_bytes(2, "big")
    else:
        head = bytes((0x81, 0x80 | 127)) + size.to_bytes(8, "big")
    return head + b"\0\0\0\0" + payload


def read_forever(conn: socket.socket) -> None:
    """A backend (for :class:`~tests.support.TinyTcpServer`) that reads and never answers:
    every request sent to it stays owed."""
    while conn.recv(65536):
        pass


def refusals_while_not_reading(host: str, port: int, pid: int, seconds: float = 3.0,
                               id_size: int = 900_000) -> tuple[int, int]:
    """A WebSocket client that sends one request whose reply stays owed (run the server
    with ``--backend`` to a :func:`read_forever` backend), stops reading, and then sends
    messages the bridge refuses (a line break inside, a big JSON ``id`` that the refusal
    echoes) for ``seconds``: each refusal must wait behind the owed reply.

    Returns (the server's peak RSS growth in bytes, refused messages sent)."""
    baseline = peak = vm_rss(pid)
    sent = 0
    sock = raw_websocket(host, port, rcvbuf=4096)
    try:
        sock.sendall(client_text_frame("parity 1"))
        refused = client_text_frame(json.dumps({"id": "y" * id_size, "text": "a\nb"}))
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            sock.settimeout(left)
            try:
                sock.sendall(refused)
            except TimeoutError:  # the bridge stopped reading us
                break
            sent += 1
            peak = max(peak, vm_rss(pid))
        time.sleep(0.3)
        return max(peak, vm_rss(pid)) - baseline, sent
    finally:
        sock.close()


@contextlib.contextmanager
def server_with_unread_stdout(*args: str) -> Iterator[tuple[subprocess.Popen, int]]:
    """``python -m server`` whose stdout is a pipe that nobody reads (``| less`` left
    alone, a terminal paused with Ctrl-S): yields the process and its TCP port."""
    tcp_port, http_port = free_port(), free_port()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "server", "--tcp-port", str(tcp_port), "--http-port",
             str(http_port), *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=err,
            stdin=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 15
            while True:
                try:
                    socket.create_connection(("127.0.0.1", tcp_port), timeout=1).close()
                    break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise AssertionError("server did not start") from None
                    time.sleep(0.05)
            yield proc, tcp_port
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            proc.stdout.close()
            err.seek(0)
            stderr = err.read().decode(errors="replace")
            assert "Traceback" not in stderr, stderr


def lockstep(address: tuple[str, int], count: int, timeout: float = 5.0) -> int:
    """Send ``count`` requests one at a time; returns how many were answered before the
    first wait of more than ``timeout`` seconds."""
    answered = 0
    with contextlib.suppress(OSError), connect(address, timeout=timeout) as sock:
        reader = sock.makefile("rb")
        for i in range(count):
            sock.sendall(b"parity %d\n" % i)
            if not reader.readline():
                break
            answered += 1
    return answered


def unfinished_http_requests(address: tuple[str, int], count: int = 20,
                             wait: float = 12.0) -> int:
    """Open ``count`` HTTP connections, half sending nothing and half a request head cut
    short, and keep them ``wait`` seconds: how many the server still holds open then."""
    socks = []
    for i in range(count):
        sock = connect(address)
        if i % 2:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        socks.append(sock)
    time.sleep(wait)
    still_open = 0
    for sock in socks:
        sock.setblocking(False)
        try:
            still_open += sock.recv(1) != b""
        except BlockingIOError:  # nothing to read, not closed
            still_open += 1
        except OSError:
            pass
        sock.close()
    return still_open


MALFORMED_HTTP = [
    b"GARBAGE\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    b"GET / HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n",
    b"G\x00T / HTTP/1.1\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -1\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header: x\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n",
]


def malformed_http_requests(address: tuple[str, int], rounds: int = 10) -> int:
    """Send each of :data:`MALFORMED_HTTP` ``rounds`` times; returns how many got an answer
    (any status line) or a close."""
    answered = 0
    for _ in range(rounds):
        for request in MALFORMED_HTTP:
            with contextlib.suppress(OSError), connect(address) as sock:
                sock.sendall(request)
                sock.recv(1)  # a status line, or the close
                answered += 1
    return answered


def viewers_leaving_mid_send(http_address: tuple[str, int], tcp_address: tuple[str, int],
                             viewers: int = 20, rounds: int = 3) -> None:
    """/events viewers that vanish (reset, no close frame) while events are being sent to
    them: a TCP client makes requests meanwhile, so every viewer has events on the way."""
    host, port = http_address
    for _ in range(rounds):
        socks = [raw_websocket(host, port, "/events", rcvbuf=2048) for _ in range(viewers)]
        with connect(tcp_address) as client:
            for i in range(200):
                client.sendall(b"length %d\n" % i)
            client.recv(65536)
            for sock in socks:  # RST, in the middle of what the server writes
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
                sock.close()
            for i in range(200):
                client.sendall(b"parity %d\n" % i)
        time.sleep(0.3)


@contextlib.contextmanager
def events_viewers(http_address: tuple[str, int], count: int) -> Iterator[dict[str, int]]:
    """``count`` /events viewers that read everything (one thread drains them all);
    yields a dict counting the bytes they received and the viewers the server refused
    (a close frame before any event)."""
    import selectors

    got = {"bytes": 0, "closed": 0}
    socks = [raw_websocket(*http_address, "/events") for _ in range(count)]
    selector = selectors.DefaultSelector()
    for sock in socks:
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ)
    stop = threading.Event()

    first: set[socket.socket] = set()

    def drain() -> None:
        while not stop.is_set():
            for key, _ in selector.select(0.1):
                try:
                    data = key.fileobj.recv(65536)
                except OSError:
                    data = b""
                if key.fileobj not in first:  # refused: a close frame comes first
                    first.add(key.fileobj)
                    got["closed"] += data[:1] == b"\x88"
                if not data:
                    selector.unregister(key.fileobj)
                got["bytes"] += len(data)

    thread = threading.Thread(target=drain, daemon=True)
    thread.start()
    try:
        time.sleep(0.3)
        yield got
    finally:
        stop.set()
        thread.join(5)
        for sock in socks:
            sock.close()


def connection_churn(address: tuple[str, int], seconds: float = 3.0) -> float:
    """Connections opened and closed per second by one client, one after another."""
    done = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        socket.create_connection(address, timeout=5).close()
        done += 1
    return done / seconds
