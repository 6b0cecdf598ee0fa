"""6. The core in process: Python time per request, and the longest single request.

Two views that other load on the machine disturbs far less than requests/s over sockets
(both in CPU time of the thread, ``time.thread_time``: time spent descheduled by a busy
machine is not the code's):

- µs per request of the TCP service's whole Python path (``ServiceProtocol.data_received``
  of a real :class:`~server.tcp_service.TcpService` with its request log on, into a transport
  that only counts writes), of its core alone behind ref_uvloop's minimal protocol, and of
  bench/ref_minimal.py's handler, on the same reads, at one
  line per read (as at 50×1) and 16 (as at 50×16). The socket work both share is left out,
  so this is the part of the gap the project's code can close.
- the time the core takes for one request line at the default line limit (64 KiB), for the
  most expensive lines known (grapheme counts of joining text, flags, long numbers, JSON): the
  time that request holds the event loop.
"""

from __future__ import annotations

import asyncio
import io
import json
import statistics
import time

import uvloop

from bench.ref_minimal import Minimal
from bench.ref_uvloop import LineProtocol
from bench.report import Section, Target, table
from server.protocol import ServiceConnection, ServiceSettings
from server.request_log import RequestLog
from server.tcp_service import ServiceOptions, ServiceProtocol, TcpService

TITLE = "6. The core in process: Python time per request, longest request"
TEXT = "halo dunia apa kabar semuanya baik baik saja"
HOLD_LIMIT_MS = 10.0
TURN = 32  # reads per turn of the event loop (uvloop reads a socket up to 32 times a turn)
LINE_LIMIT = 65536


def mix(count: int, conn: int = 3) -> list[bytes]:
    """The load generator's request mix (bench/c/loadgen.c), one line each with its LF."""
    lines = []
    for k in range(count):
        n = (k * 2654435761 + conn * 40503 + 7) % 1_000_000_000
        size = 1 + (k * 7 + conn) % 30
        lines.append((f"parity {n}", f"length {TEXT[:size]}", f"{n}", TEXT[:size])[k & 3])
    return [f"{line}\n".encode() for line in lines]


class CountingTransport:
    """Enough of a transport for both protocols: writes are counted, not sent."""

    def __init__(self) -> None:
        self.writes = 0

    def write(self, data: bytes) -> None:
        self.writes += 1

    def get_extra_info(self, name: str, default: object = None) -> object:
        return ("127.0.0.1", 40000) if name == "peername" else default

    def set_write_buffer_limits(self, high: int | None = None) -> None:
        pass

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def is_closing(self) -> bool:
        return False


async def per_request(depth: int, rounds: int) -> dict[str, list[float]]:
    """µs per request of each contender, one figure per round (contenders alternate)."""
    lines = mix(4000)
    reads = [b"".join(lines[i:i + depth]) for i in range(0, len(lines), depth)]
    service = TcpService(ServiceOptions(), request_log=RequestLog(io.StringIO()))
    service.loop = asyncio.get_running_loop()
    project = ServiceProtocol(service, 1)
    project.connection_made(CountingTransport())
    minimal = Minimal()
    minimal.connection_made(CountingTransport())
    core_only = LineProtocol(ServiceSettings())
    core_only.connection_made(CountingTransport())
    out: dict[str, list[float]] = {"project": [], "ref_uvloop": [], "ref_minimal": []}
    for _ in range(rounds):
        for name, receive in (("project", project.data_received),
                              ("ref_uvloop", core_only.data_received),
                              ("ref_minimal", minimal.data_received)):
            best = float("inf")
            for _ in range(3):  # best of three passes: the least disturbed
                spent = 0.0
                for k in range(0, len(reads), TURN):
                    t = time.thread_time()
                    for data in reads[k:k + TURN]:
                        receive(data)
                    spent += time.thread_time() - t
                    # a turn of the loop between, untimed, as in service: the request log's
                    # timers, the time slice's new turn
                    await asyncio.sleep(0)
                best = min(best, spent)
            out[name].append(best / len(lines) * 1e6)
    return out


def hold_cases() -> list[tuple[str, bytes]]:
    """Request lines at the default limit that cost the core the most."""
    room = LINE_LIMIT - 64

    def fill(piece: str, head: str = "length ") -> str:
        return head + piece * ((room - len(head)) // len(piece.encode()))

    def as_json(text: str) -> bytes:
        return json.dumps({"handler": "length", "text": text}, ensure_ascii=False).encode()

    return [
        ("plain length, ASCII", fill("halo ").encode()),
        ("plain length, CJK", fill("漢字").encode()),
        ("JSON length, CJK", as_json(fill("漢字", ""))),
        ("JSON length, letters and combining marks", as_json(fill("e\u0301", ""))),
        ("JSON length, a mark every ten letters", as_json(fill("a" * 9 + "\u0301", ""))),
        ("JSON length, emoji with skin tones", as_json(fill("👋🏽", ""))),
        ("JSON length, ZWJ families", as_json(fill("👨‍👩‍👧", ""))),
        ("JSON length, flags", as_json(fill("🇮🇩", ""))),
        ("JSON length, Hangul", as_json(fill("한국어", ""))),
        ("parity, 65,000 digits", fill("7", "parity ").encode()),
        ("bare number, 65,000 digits", fill("8", "").encode()),
        ("JSON nested 30,000 deep", b'{"id": ' + b"[" * 30000),
    ]


def hold_ms(line: bytes, tries: int) -> list[float]:
    conn = ServiceConnection(ServiceSettings())
    times = []
    for _ in range(tries):
        t = time.thread_time()
        (exchange,) = conn.receive_data(line + b"\n")
        times.append((time.thread_time() - t) * 1000)
        assert exchange.reply.endswith(b"\n")
    return times


def run(cfg) -> Section:
    section = Section("core", TITLE)
    rows = []
    for depth, shape in ((1, "1 line per read (50×1)"), (16, "16 lines per read (50×16)")):
        figures = uvloop.run(per_request(depth, cfg.rounds))
        p, u, m = figures["project"], figures["ref_uvloop"], figures["ref_minimal"]
        ratios = [b / a for a, b in zip(p, m, strict=True)]
        rows.append([shape, *(f"{statistics.median(x):.2f} ({min(x):.2f}–{max(x):.2f})"
                              for x in (p, u, m)),
                     f"{statistics.median(ratios):.2f}× ({min(ratios):.2f}–{max(ratios):.2f})"])
        print(f"  [core] {shape}: project {statistics.median(p):.2f} µs, ref_uvloop "
              f"{statistics.median(u):.2f} µs, ref_minimal {statistics.median(m):.2f} µs per "
              "request", flush=True)
    tries = 3 if cfg.quick else 7
    holds = []
    for name, line in hold_cases():
        times = hold_ms(line, tries)
        holds.append((name, len(line), statistics.median(times), max(times)))
        print(f"  [core] {name}: median {statistics.median(times):.2f} ms", flush=True)
    worst = max(holds, key=lambda h: h[2])
    section.body = "\n".join([
        f"Python CPU time per request of the TCP service's whole path in process, µs (median of "
        f"{cfg.rounds} rounds, best of three passes each, spread in brackets), on the load "
        "generator's request mix; the socket work is left out. `ref_uvloop` is the project's "
        "core (`ServiceConnection`) behind bench/ref_uvloop.py's minimal I/O layer, so "
        "project − ref_uvloop is what the service's bookkeeping per read costs (latency "
        "histogram, counters, request log and server view checks, timers); `ref_minimal` is "
        "bench/ref_minimal.py's own ten-line handler on the same reads. The last column is "
        "ref_minimal's time over the project's (1.00× = as cheap).",
        "",
        table(["reads", "project µs/req", "ref_uvloop µs/req", "ref_minimal µs/req",
               "ref_minimal / project"], rows),
        "",
        f"CPU time the core takes for one request line at the default line limit (64 KiB), ms, "
        f"median (max) of {tries} tries: how long that request holds the event loop.",
        "",
        table(["request line", "bytes", "ms"],
              [[n, f"{size:,}", f"{med:.2f} (max {top:.2f})"] for n, size, med, top in holds]),
        "",
    ])
    section.targets.append(Target(
        f"no request at the default line limit holds the loop over {HOLD_LIMIT_MS:g} ms",
        f"longest: {worst[0]}, median {worst[2]:.2f} ms (max {worst[3]:.2f} ms)",
        worst[2] <= HOLD_LIMIT_MS))
    return section
