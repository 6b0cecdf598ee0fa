"""Clients that misbehave on purpose, shared by the hardening tests and ``bench/harden.py``.

Each is bounded in time and connects only to loopback. They measure what a well-behaved
bystander gets while they run, so a test and the benchmark use the same recipe.
"""

from __future__ import annotations

import contextlib
import socket
import statistics
import threading
import time
import urllib.request
from collections.abc import Iterator

from tests.support import connect

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
