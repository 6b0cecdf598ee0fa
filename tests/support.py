"""Test support: the real server as a subprocess on free ports, and small socket helpers.

Tests run ``python -m server`` exactly as a user does (port 0, then read the listening
lines it prints), so what they check is what a user gets. Also here, shared by ``tests/``
and ``e2e/``: :class:`TinyTcpServer`, a foreign TCP server for ``--backend`` and for the
client, with :func:`lab_sheet_handler` (the lab sheet's own server) and :func:`lines_of`;
:func:`wait_until` (polling) and :func:`http_get`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
LISTEN_TCP = re.compile(r"tcp listening on (\S+):(\d+)")
LISTEN_HTTP = re.compile(r"http listening on http://(\S+):(\d+)/")
START_TIMEOUT = 15.0


@dataclass
class ServerProcess:
    """A running ``python -m server``; stdout and stderr are kept in files to read later."""

    proc: subprocess.Popen
    tcp_port: int | None
    http_port: int | None
    stdout_path: Path
    stderr_path: Path
    host: str = "127.0.0.1"
    _files: list = field(default_factory=list)

    @property
    def tcp(self) -> tuple[str, int]:
        assert self.tcp_port is not None
        return (self.host, self.tcp_port)

    @property
    def http_url(self) -> str:
        return f"http://{self.host}:{self.http_port}"

    @property
    def url(self) -> str:
        """The page's address as the listening line prints it: ``http://127.0.0.1:Q/``."""
        return self.http_url + "/"

    def page_url(self, lang: str | None = None) -> str:
        return self.url + (f"?lang={lang}" if lang else "")

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.http_port}/ws"

    def stdout(self) -> str:
        return self.stdout_path.read_text(errors="replace")

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def terminate(self, timeout: float = 10.0) -> int:
        """SIGTERM, then wait; returns the exit status (kills and fails loudly on a hang)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"server did not exit within {timeout} s of SIGTERM") from None
        finally:
            for f in self._files:
                f.close()

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, as Ctrl-C would; SIGKILL if it does not exit in time (no failure then)."""
        with contextlib.suppress(AssertionError):
            self.terminate(timeout)

    def kill(self) -> None:
        """SIGKILL: the process dies without closing anything itself."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.terminate()


def start_server(*args: str, env: dict | None = None, tcp: bool | None = None,
                 timeout: float = START_TIMEOUT) -> ServerProcess:
    """Start ``python -m server --tcp-port 0 --http-port 0 *args`` and wait for its
    listening lines. ``tcp=False`` for ``--backend`` (no TCP listener of its own): the
    default is ``--backend`` not in ``args``. A port given in ``args`` is used instead of 0."""
    if tcp is None:
        tcp = "--backend" not in args
    tmp = Path(tempfile.mkdtemp(prefix="playground-test-"))
    out_path, err_path = tmp / "stdout", tmp / "stderr"
    out, err = open(out_path, "wb"), open(err_path, "wb")
    argv = [sys.executable, "-m", "server"]
    if tcp and "--tcp-port" not in args:
        argv += ["--tcp-port", "0"]
    if "--http-port" not in args:
        argv += ["--http-port", "0"]
    argv += args
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                            env={**os.environ, **(env or {})})
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = out_path.read_text(errors="replace")
        http = LISTEN_HTTP.search(text)
        tcp_match = LISTEN_TCP.search(text)
        if http and (tcp_match or not tcp):
            return ServerProcess(proc, int(tcp_match.group(2)) if tcp_match else None,
                                 int(http.group(2)), out_path, err_path, _files=[out, err])
        if proc.poll() is not None:
            break
        time.sleep(0.02)
    proc.kill()
    proc.wait()
    out.close()
    err.close()
    raise AssertionError(f"server did not start: {err_path.read_text()}{out_path.read_text()}")


def checked_server(*args: str) -> Iterator[ServerProcess]:
    """For a server fixture, ``yield from checked_server(*args)``: the server started with
    ``args``; when the fixture ends, its stderr must hold no traceback."""
    with start_server(*args) as srv:
        yield srv
        stderr = srv.stderr()
        assert "Traceback" not in stderr, stderr


def free_port() -> int:
    """A port nobody listens on right now (for 'connection refused' tests)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def connect(address: tuple[str, int], timeout: float = 5.0) -> socket.socket:
    return socket.create_connection(address, timeout=timeout)


def open_conn(address: tuple[str, int], timeout: float = 5.0,
              rcvbuf: int | None = None) -> socket.socket:
    """A client socket with Nagle off, so each send goes out at once (no accidental pauses);
    ``rcvbuf`` is a receive buffer size set before connecting (a small window)."""
    if rcvbuf is None:
        sock = connect(address, timeout)
    else:  # a small receive window must be set before connecting
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.settimeout(timeout)
        sock.connect(address)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def read_lines(sock: socket.socket, count: int, timeout: float = 5.0) -> list[bytes]:
    """Read exactly ``count`` LF-terminated lines (endings removed)."""
    sock.settimeout(timeout)
    data = b""
    while data.count(b"\n") < count:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"connection closed after {data!r}")
        data += chunk
    lines = data.split(b"\n")
    assert len(lines) - 1 == count, f"more than {count} lines: {data!r}"
    return lines[:count]


def ask(address: tuple[str, int], request: bytes) -> bytes:
    """One request line on a fresh connection; its reply without LF."""
    with connect(address) as sock:
        sock.sendall(request)
        return read_lines(sock, 1)[0]


def run_in_thread(target, *args) -> threading.Thread:
    thread = threading.Thread(target=target, args=args, daemon=True)
    thread.start()
    return thread


def wait_until(condition: Callable[[], object], timeout: float = 5.0, interval: float = 0.02,
               what: str = "") -> object:
    """Poll ``condition`` until it is truthy; returns its value or fails after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what or 'condition'} not met within {timeout} s")
        time.sleep(interval)


def http_get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict, bytes]:
    """(status, headers, body) of a GET; an error status is returned, not raised."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), error.read()


# -- a foreign TCP server ---------------------------------------------------------------------
class TinyTcpServer:
    """A threaded TCP server on 127.0.0.1 (a free port unless ``port`` is given): each
    connection is served by ``handle(conn)`` in a thread of its own, with ``timeout`` on the
    socket. Records the peer address of every connection it accepted (``peers``,
    ``accepted``). Stops listening on ``close()`` or after ``max_connections``."""

    def __init__(self, handle: Callable[[socket.socket], None], port: int = 0, *,
                 timeout: float | None = None, max_connections: int | None = None) -> None:
        self.handle = handle
        self.timeout = timeout
        self.max_connections = max_connections
        self.peers: list[tuple[str, int]] = []
        self.accepted = threading.Event()
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", port))
        self.listener.listen(16)
        self.listener.settimeout(0.05)
        self.port: int = self.listener.getsockname()[1]
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._accept_loop, daemon=True)
        self.thread.start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _accept_loop(self) -> None:
        with self.listener:
            while not self.stopping.is_set() and (self.max_connections is None
                                                  or len(self.peers) < self.max_connections):
                try:
                    conn, peer = self.listener.accept()
                except TimeoutError:
                    continue
                except OSError:
                    return
                conn.settimeout(self.timeout)
                self.peers.append(peer)
                self.accepted.set()
                threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            self.handle(conn)

    def close(self) -> None:
        """Stop listening (connections being served are left to their handlers)."""
        self.stopping.set()
        self.thread.join(timeout=5)

    def __enter__(self) -> TinyTcpServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def lines_of(conn: socket.socket) -> Iterator[bytes]:
    """The LF-terminated lines arriving on ``conn`` (LF removed, CR kept), until EOF."""
    buffer = b""
    while True:
        while b"\n" not in buffer:
            chunk = conn.recv(65536)
            if not chunk:
                return
            buffer += chunk
        line, _, buffer = buffer.partition(b"\n")
        yield line


def lab_sheet_handler(*, as_printed: bool = False,
                      requests: list[bytes] | None = None) -> Callable[[socket.socket], None]:
    """The lab sheet's server, one connection: read a number with one ``recv(1024)``, answer
    without a line ending, close. ``as_printed`` keeps the sheet's own words
    (``"angka" + str(angka) + " merupakan genap"``, no space after "angka"); else the fixed
    ``angka 42 merupakan genap``. Not a number: ``bukan angka``. Each request read is added
    to ``requests`` when given."""
    def handle(conn: socket.socket) -> None:
        data = conn.recv(1024)
        if requests is not None:
            requests.append(data)
        if not data:
            return
        try:
            angka = int(data.decode())
        except ValueError:
            conn.sendall(b"bukan angka")
            return
        word = "genap" if angka % 2 == 0 else "ganjil"
        conn.sendall(f"angka{'' if as_printed else ' '}{angka} merupakan {word}".encode())
    return handle


def vm_rss(pid: int) -> int:
    """Resident set size of ``pid`` in bytes, from /proc/PID/status."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


# -- a student's single-threaded server, as a process ------------------------------------------
class LabServer:
    """``tests/lab_server.py`` running as a program of its own: the lab sheet's server, single
    threaded, one ``recv(1024)``, reply without LF, crashing on a connection that closes
    without data. ``accepts`` counts the connections it accepted (from its output), so a test
    can prove that nothing connected; ``alive`` says whether it still runs."""

    def __init__(self, exercise: str = "parity", loop: bool = True) -> None:
        args = [sys.executable, str(ROOT / "tests" / "lab_server.py"), exercise]
        if loop:
            args.append("--loop")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.lines: list[str] = []
        first = self.proc.stdout.readline()
        if not first.startswith("port "):
            self.proc.kill()
            raise AssertionError(f"lab server did not start: {first!r}")
        self.port = int(first.split()[1])
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def accepts(self) -> int:
        return sum(line.startswith("accepted") for line in self.lines)

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def output(self) -> str:
        return "\n".join(self.lines)

    def close(self) -> None:
        if self.alive:
            self.proc.kill()
        self.proc.wait(5)
        self.reader.join(5)
        self.proc.stdout.close()

    def __enter__(self) -> LabServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def masked_frame(payload: bytes, opcode: int = 0x1) -> bytes:
    """A client's WebSocket frame (FIN, masked with a random key; payload under 126 bytes),
    text by default."""
    mask = os.urandom(4)
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes((0x80 | opcode, 0x80 | len(payload))) + mask + body


async def open_websocket(port: int, path: str = "/ws"
                         ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A WebSocket opened by hand on asyncio streams to 127.0.0.1 (the 101 response read,
    TCP_NODELAY on): a client that sends exactly the bytes a test builds."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                  "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    await reader.readuntil(b"\r\n\r\n")
    writer.transport.get_extra_info("socket").setsockopt(
        socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return reader, writer


async def serve_ws_handler(handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
                           client: Callable[[int], Awaitable[None]]) -> None:
    """Run an aiohttp app (in this event loop) with ``handler`` on ``/ws`` and
    ``client(port)`` against it, then clean the app up."""
    app = web.Application()
    app.router.add_get("/ws", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        await client(runner.addresses[0][1])
    finally:
        await runner.cleanup()
