"""``python -m server client`` as a subprocess: --once, interactive over stdin, an unreachable
server, and a lab-sheet-style server (one request per connection, reply without LF, close)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest

from tests.support import (
    ROOT,
    TinyTcpServer,
    checked_server,
    free_port,
    lab_sheet_handler,
    lines_of,
)

pytestmark = pytest.mark.timeout(60)


def run_client(*args: str, stdin: str = "", timeout: float = 20.0) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "server", "client", *args], cwd=ROOT,
                          input=stdin, capture_output=True, text=True, timeout=timeout)


def assert_one_clear_error_line(result: subprocess.CompletedProcess, port: int) -> str:
    assert result.returncode != 0, result
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert str(port) in lines[0], lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def server():
    yield from checked_server("--quiet")


# -- against the service ----------------------------------------------------------------------
def test_once_prints_the_reply_and_exits_0(server):
    result = run_client("--port", str(server.tcp_port), "--once", "parity 42")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "angka 42 merupakan genap\n"
    assert result.stderr == ""


def test_once_with_host_and_json_request(server):
    result = run_client("--host", "127.0.0.1", "--port", str(server.tcp_port), "--once",
                        '{"id": 3, "handler": "length", "text": "héllo"}')
    assert result.returncode == 0, result.stderr
    reply = json.loads(result.stdout)
    assert reply["id"] == 3 and reply["result"]["characters"] == 5


def test_once_with_an_error_reply_still_exits_0(server):
    result = run_client("--port", str(server.tcp_port), "--once", "parity abc")
    assert result.returncode == 0
    assert result.stdout.startswith("ERR not_an_integer")


def test_interactive_sends_each_line_and_ends_at_eof(server):
    result = run_client("--port", str(server.tcp_port),
                        stdin="parity 1\nlength halo dunia\n42\n\nhalo\r\nparity 8")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "angka 1 merupakan ganjil",
        "jumlah karakter: 10",
        "angka 42 merupakan genap",
        "ERR empty: baris kosong; coba: parity 42, length halo, atau help",
        "jumlah karakter: 4",
        "angka 8 merupakan genap",
    ]
    assert result.stderr == ""


def test_interactive_with_no_input_exits_0(server):
    result = run_client("--port", str(server.tcp_port), stdin="")
    assert result.returncode == 0
    assert result.stdout == "" and result.stderr == ""


def test_interactive_many_lines(server):
    lines = [f"parity {n}" for n in range(200)]
    result = run_client("--port", str(server.tcp_port), stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"angka {n} merupakan {'genap' if n % 2 == 0 else 'ganjil'}" for n in range(200)]


# -- an unreachable server --------------------------------------------------------------------
def test_unreachable_server_is_one_clear_line_and_non_zero_exit_with_once():
    port = free_port()
    result = run_client("--port", str(port), "--once", "parity 42")
    line = assert_one_clear_error_line(result, port)
    assert "refused" in line or "connect" in line
    assert result.stdout == ""


def test_unreachable_server_is_one_clear_line_and_non_zero_exit_interactive():
    port = free_port()
    result = run_client("--port", str(port), stdin="parity 1\n")
    assert_one_clear_error_line(result, port)
    assert result.stdout == ""


# -- tiny servers of other shapes -------------------------------------------------------------
@pytest.fixture
def lab_server():
    """The lab sheet's server, fixed (else branch, space after "angka"): one recv, one reply
    without LF, close; what each connection sent is kept in ``requests``."""
    requests: list[bytes] = []
    with TinyTcpServer(lab_sheet_handler(requests=requests), timeout=5) as server:
        server.requests = requests
        yield server


def test_client_prints_each_reply_of_a_lab_sheet_style_server(lab_server):
    result = run_client("--port", str(lab_server.port), stdin="42\n7\n-10\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["angka 42 merupakan genap", "angka 7 merupakan ganjil",
                                          "angka -10 merupakan genap"]
    assert result.stderr == ""
    assert len(lab_server.requests) == 3  # one connection per request


def test_client_once_against_a_lab_sheet_style_server(lab_server):
    result = run_client("--port", str(lab_server.port), "--once", "13")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "angka 13 merupakan ganjil\n"


def test_client_prints_a_reply_without_lf_when_the_server_pauses():
    def handle(conn: socket.socket) -> None:
        for line in lines_of(conn):
            conn.sendall(b"got " + line)  # no LF, and the connection stays open

    with TinyTcpServer(handle, timeout=5) as server:
        result = run_client("--port", str(server.port), stdin="one\ntwo\n")
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines() == ["got one", "got two"]


def test_server_gone_mid_session_is_one_clear_line_and_non_zero_exit():
    def handle(conn: socket.socket) -> None:
        conn.recv(1024)
        conn.sendall(b"first reply\n")

    server = TinyTcpServer(handle, timeout=5, max_connections=1)  # then it stops listening
    result = run_client("--port", str(server.port), stdin="a\nb\nc\n")
    assert result.stdout.splitlines()[:1] == ["first reply"]
    assert_one_clear_error_line(result, server.port)
