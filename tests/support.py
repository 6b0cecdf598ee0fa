"""Test support: the real server as a subprocess on free ports, and small socket helpers.

Tests run ``python -m server`` exactly as a user does (port 0, then read the listening
lines it prints), so what they check is what a user gets.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

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

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.terminate()


def start_server(*args: str, env: dict | None = None, tcp: bool = True) -> ServerProcess:
    """Start ``python -m server --tcp-port 0 --http-port 0 *args`` and wait for its
    listening lines. ``tcp=False`` for ``--backend`` (no TCP listener of its own)."""
    tmp = Path(tempfile.mkdtemp(prefix="playground-test-"))
    out_path, err_path = tmp / "stdout", tmp / "stderr"
    out, err = open(out_path, "wb"), open(err_path, "wb")
    argv = [sys.executable, "-m", "server"]
    if tcp:
        argv += ["--tcp-port", "0"]
    argv += ["--http-port", "0", *args]
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                            env={**os.environ, **(env or {})})
    deadline = time.monotonic() + START_TIMEOUT
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


def free_port() -> int:
    """A port nobody listens on right now (for 'connection refused' tests)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def connect(address: tuple[str, int], timeout: float = 5.0) -> socket.socket:
    return socket.create_connection(address, timeout=timeout)


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
