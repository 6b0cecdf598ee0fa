"""What the browser tests (and ``scripts/screenshot.py``) run against.

* :func:`start_server` runs ``python -m server`` as a subprocess on free ports and reads the
  addresses it bound from its "listening" lines.
* :class:`TinyTcpServer` is a foreign TCP server for ``--backend``: the lab sheet's own
  (one request per connection, a reply without LF, then close) or one that floods.
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Chromium flags for a headless run here (see scripts/ensure_chromium.py for the binary).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TCP_LINE = re.compile(r"tcp listening on (\S+):(\d+)")
HTTP_LINE = re.compile(r"http listening on (http://\S+?)/?$")


@dataclass
class RunningServer:
    """A ``python -m server`` subprocess and the addresses it printed."""

    process: subprocess.Popen[str]
    url: str  # http://127.0.0.1:Q/
    tcp_port: int | None
    args: tuple[str, ...]
    output: list[str] = field(default_factory=list)

    def page_url(self, lang: str | None = None) -> str:
        return self.url + (f"?lang={lang}" if lang else "")

    def stop(self) -> None:
        """SIGTERM, as Ctrl-C would; SIGKILL if it does not exit in time."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def kill(self) -> None:
        """SIGKILL: the process dies without closing anything itself."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=5)


def start_server(*args: str, timeout: float = 20.0) -> RunningServer:
    """Start ``python -m server`` with ``args`` (free ports unless given) and return once it
    has printed its listening lines."""
    argv = list(args)
    if "--http-port" not in argv:
        argv += ["--http-port", "0"]
    if "--backend" not in argv and "--tcp-port" not in argv:
        argv += ["--tcp-port", "0"]
    process = subprocess.Popen(
        [sys.executable, "-m", "server", *argv],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )
    lines: queue.Queue[str | None] = queue.Queue()
    output: list[str] = []

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line.rstrip("\n"))
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    expect_tcp = "--backend" not in argv
    url: str | None = None
    tcp_port: int | None = None
    deadline = time.monotonic() + timeout
    while url is None or (expect_tcp and tcp_port is None):
        try:
            line = lines.get(timeout=max(deadline - time.monotonic(), 0.01))
        except queue.Empty:
            line = None
        if line is None:
            process.kill()
            raise RuntimeError(f"server {argv} did not start:\n" + "\n".join(output))
        if match := TCP_LINE.search(line):
            tcp_port = int(match.group(2))
        if match := HTTP_LINE.search(line.strip()):
            url = match.group(1) + "/"
    return RunningServer(process, url, tcp_port, tuple(argv), output)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class TinyTcpServer:
    """A TCP server on 127.0.0.1 in a thread, calling ``handle(conn)`` for each connection
    (each in its own thread when ``threaded``, else one at a time like the lab sheet's)."""

    def __init__(self, handle: Callable[[socket.socket], None], port: int = 0,
                 threaded: bool = False) -> None:
        self.handle = handle
        self.threaded = threaded
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", port))
        self.listener.listen(16)
        self.listener.settimeout(0.1)
        self.port: int = self.listener.getsockname()[1]
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)

    def __enter__(self) -> TinyTcpServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.thread.join(timeout=5)
        self.listener.close()

    def serve(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(None)
            if self.threaded:
                threading.Thread(target=self.run_one, args=(conn,), daemon=True).start()
            else:
                self.run_one(conn)

    def run_one(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            self.handle(conn)


def lab_sheet_server(conn: socket.socket) -> None:
    """The lab sheet's server, one connection: read a number, answer without a line
    ending (its own words: ``"angka" + str(angka) + " merupakan genap"``), close."""
    data = conn.recv(1024)
    if not data:
        return
    try:
        angka = int(data.decode())
    except ValueError:
        conn.sendall(b"bukan angka")
        return
    if angka % 2 == 0:
        response = "angka" + str(angka) + " merupakan genap"
    else:
        response = "angka" + str(angka) + " merupakan ganjil"
    conn.sendall(response.encode())


FLOOD_LINES = 5000


def flooding_server(conn: socket.socket) -> None:
    """Answers ``flood`` with 5,000 lines at once and echoes anything else, line by line."""
    pending = b""
    while True:
        data = conn.recv(65536)
        if not data:
            return
        pending += data
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            if line.strip() == b"flood":
                conn.sendall(b"".join(b"flood %d\n" % i for i in range(1, FLOOD_LINES + 1)))
            else:
                conn.sendall(b"echo: " + line + b"\n")
