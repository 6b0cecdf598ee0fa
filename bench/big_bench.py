"""4. Big inputs: the round trip of one huge request line on an open connection.

Servers started with ``--max-line 2000000``. Cases: parity of a million-digit number
(``parity DIGITS``; target < 50 ms), the same number bare (auto → parity), the length of a
1 MiB ASCII line, and the length of a 1 MiB line of non-ASCII text (which also counts
grapheme clusters). Each case is timed from the first byte sent to the reply's LF, on a
connection opened beforehand; median of several tries. The reference servers run the same
handlers for comparison.
"""

from __future__ import annotations

import json
import random
import socket
import statistics
import time
from contextlib import ExitStack

from bench import build
from bench.procs import PYTHON, BenchError, Server
from bench.report import Section, Target, table
from bench.tcp_bench import project_argv

TITLE = "4. Big inputs"
MAX_LINE = 2_000_000
TARGET_MS = 50.0
LENGTH_TARGET_MS = 10.0


def cases() -> list[tuple[str, bytes, str]]:
    """(name, request line with LF, the start of the expected reply)."""
    rng = random.Random(42)
    digits = "".join(rng.choice("0123456789") for _ in range(999_999)) + "4"
    digits = "7" + digits[1:]
    mib = 1 << 20
    ascii_text = ("halo dunia " * (mib // 11 + 1))[: mib - len("length ")]
    uni = "é👋🏽あ"  # 2 + 4 + 4 + 3 bytes: 4 code points, 3 graphemes
    uni_text = uni * ((mib - len("length ")) // len(uni.encode()))
    return [
        ("parity, 1,000,000 digits", f"parity {digits}\n".encode(), "angka 7"),
        ("bare number, 1,000,000 digits (auto)", f"{digits}\n".encode(), "angka 7"),
        ("length, 1 MiB ASCII line", f"length {ascii_text}\n".encode(),
         f"jumlah karakter: {len(ascii_text)}"),
        (f"length, 1 MiB non-ASCII line ({len(uni_text):,} code points)",
         f"length {uni_text}\n".encode(), f"jumlah karakter: {len(uni_text)}"),
        ("JSON length, the same text (graphemes counted too)",
         (json.dumps({"handler": "length", "text": uni_text}, ensure_ascii=False) + "\n")
         .encode(), '{"ok": true, "handler": "length", "result": {"characters": '
         f'{len(uni_text)}, "bytes": {len(uni_text.encode())}, "graphemes": '
         f'{len(uni_text) // 4 * 3}}}'),
    ]


def round_trip(sock: socket.socket, request: bytes) -> tuple[float, bytes]:
    t = time.perf_counter()
    sock.sendall(request)
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = sock.recv(65536)
        if not chunk:
            raise BenchError("connection closed before the reply")
        buf += chunk
    return (time.perf_counter() - t) * 1000, buf


def measure(host: str, port: int, request: bytes, expect: str, tries: int) -> list[float]:
    times = []
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for _ in range(tries + 1):  # the first is a warm-up
            ms, reply = round_trip(sock, request)
            text = reply.decode("utf-8", "replace").rstrip("\n")
            if not text.startswith(expect):
                raise BenchError(f"expected {expect[:60]!r}…, got {text[:120]!r}")
            times.append(ms)
            # the server must still answer a small request on the same connection
            _, small = round_trip(sock, b"parity 42\n")
            if small != b"angka 42 merupakan genap\n":
                raise BenchError(f"after a big line, 'parity 42' got {small[:100]!r}")
    return times[1:]


def run(cfg) -> Section:
    section = Section("big", TITLE)
    tries = 3 if cfg.quick else 7
    specs = [("project", project_argv("--max-line", str(MAX_LINE)), ("tcp", "http"))]
    specs += [
        ("ref_uvloop", [PYTHON, "-m", "bench.ref_uvloop", "--max-line", str(MAX_LINE)], ("tcp",)),
        ("C epoll", [str(build.cc("epoll_server")), "--max-line", str(MAX_LINE)], ("tcp",)),
    ]
    the_cases = cases()
    results: dict[tuple[str, str], list[float] | str] = {}
    with ExitStack() as stack:
        servers = []
        for name, argv, expect in specs:
            try:
                server = Server(f"big-{name}", argv, expect=expect).start()
                stack.callback(server.stop)
                servers.append((name, server))
            except BenchError as exc:
                for case, _, _ in the_cases:
                    results[(case, name)] = f"did not start: {exc}"
        for case, request, expect in the_cases:
            for name, server in servers:
                if name == "C epoll" and case.startswith("JSON"):
                    results[(case, name)] = "no JSON"
                    continue
                try:
                    results[(case, name)] = measure(*server.addr["tcp"], request, expect, tries)
                except (BenchError, OSError) as exc:
                    results[(case, name)] = f"failed: {exc}"
                r = results[(case, name)]
                shown = (f"median {statistics.median(r):.1f} ms, max {max(r):.1f} ms"
                         if isinstance(r, list) else r)
                print(f"  [big] {case} — {name}: {shown}", flush=True)
    names = [n for n, _, _ in specs]
    rows = []
    for case, _, _ in the_cases:
        row = [case]
        for name in names:
            r = results.get((case, name), "not run")
            row.append(f"{statistics.median(r):.1f} (max {max(r):.1f})" if isinstance(r, list)
                       else str(r)[:100])
        rows.append(row)
    section.body = "\n".join([
        f"Round trip in ms on an open connection, median of {tries} tries (max in brackets), "
        f"servers started with `--max-line {MAX_LINE}`; every reply checked, and a small "
        "request answered on the same connection after each big one.",
        "",
        table(["request", *(f"{n} ms" for n in names)], rows),
        "",
    ])
    r = results.get((the_cases[0][0], "project"))
    section.targets.append(Target(
        f"project: parity of a million-digit number < {TARGET_MS:g} ms round trip",
        f"median {statistics.median(r):.1f} ms, max {max(r):.1f} ms" if isinstance(r, list)
        else str(r)[:100],
        statistics.median(r) < TARGET_MS if isinstance(r, list) else None))
    r = results.get((the_cases[3][0], "project"))
    section.targets.append(Target(
        f"project: length of a 1 MiB non-ASCII line ≤ {LENGTH_TARGET_MS:g} ms round trip",
        f"median {statistics.median(r):.1f} ms, max {max(r):.1f} ms" if isinstance(r, list)
        else str(r)[:100],
        statistics.median(r) <= LENGTH_TARGET_MS if isinstance(r, list) else None))
    r = results.get((the_cases[2][0], "project"))
    if isinstance(r, list):
        section.notes.append(f"project: length of a 1 MiB ASCII line takes "
                             f"{statistics.median(r):.1f} ms (no target)")
    return section
