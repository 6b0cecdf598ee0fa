"""The command line as a subprocess: listening lines, --help, errors (one line, exit 2, no
traceback), SIGTERM / SIGINT, --quiet, --log-format json, the lab sheet's request log line,
and --backend."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support import ROOT, connect, free_port, http_get, read_lines, start_server, wait_until

pytestmark = pytest.mark.timeout(60)

CONTRACT_OPTIONS = ("--tcp-port", "--http-port", "--host", "--backend", "--lang", "--default",
                    "--single", "--max-line", "--allow-origin")
LIMIT_OPTIONS = ("--idle-flush-ms", "--idle-timeout", "--send-timeout", "--turn-idle",
                 "--quiet", "--log-format")


def run_cli(*args: str, timeout: float = 20.0) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "server", *args], cwd=ROOT, timeout=timeout,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True)


def assert_one_line_error(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].strip(), result.stderr
    assert "tcp listening" not in result.stdout and "http listening" not in result.stdout
    return lines[0]


# -- listening lines --------------------------------------------------------------------------
def test_listening_lines_give_the_real_ports_of_port_0():
    with start_server("--quiet") as srv:
        lines = srv.stdout().splitlines()
        assert f"tcp listening on 127.0.0.1:{srv.tcp_port}" in lines
        assert f"http listening on http://127.0.0.1:{srv.http_port}/" in lines
        assert srv.tcp_port != 0 and srv.http_port != 0
        with connect(srv.tcp) as sock:
            sock.sendall(b"parity 42\n")
            assert read_lines(sock, 1) == [b"angka 42 merupakan genap"]
        status, _, body = http_get(f"{srv.http_url}/healthz")
        assert status == 200 and json.loads(body)["ok"] is True


def test_listening_lines_give_the_ports_asked_for():
    tcp_port, http_port = free_port(), free_port()
    proc = subprocess.Popen([sys.executable, "-m", "server", "--quiet", "--tcp-port",
                             str(tcp_port), "--http-port", str(http_port)], cwd=ROOT,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline().strip()
        second = proc.stdout.readline().strip()
        assert first == f"tcp listening on 127.0.0.1:{tcp_port}", (first, proc.stderr)
        assert second == f"http listening on http://127.0.0.1:{http_port}/"
        with connect(("127.0.0.1", tcp_port)) as sock:
            sock.sendall(b"parity 3\n")
            assert read_lines(sock, 1) == [b"angka 3 merupakan ganjil"]
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
        assert "Traceback" not in proc.stderr.read()


# -- --help -----------------------------------------------------------------------------------
def test_help_lists_every_option_of_the_contract():
    result = run_cli("--help")
    assert result.returncode == 0, result.stderr
    for option in CONTRACT_OPTIONS + LIMIT_OPTIONS:
        assert option in result.stdout, option
    for choice in ("id", "en", "auto", "parity", "length"):
        assert re.search(rf"\b{choice}\b", result.stdout), choice
    assert "client" in result.stdout  # says how to run the client


def test_client_help_lists_host_port_and_once():
    result = run_cli("client", "--help")
    assert result.returncode == 0, result.stderr
    for option in ("--host", "--port", "--once"):
        assert option in result.stdout, option


# -- user errors: one line, exit 2 ------------------------------------------------------------
BAD_ARGS = [
    ("--bogus",),
    ("--tcp-port", "abc"),
    ("--tcp-port", "70000"),
    ("--lang", "fr"),
    ("--default", "xyz"),
    ("--max-line", "0"),
    ("--backend", "no-port-here"),
    ("--backend", "::1:80"),  # an IPv6 address needs brackets: [::1]:80
    ("--backend", "127.0.0.1:0"),
    ("--idle-timeout", "0"),
    ("stray-argument",),
    ("client", "--port", "x"),
]


def test_bad_option_is_one_line_on_stderr_and_exit_2():
    # two at a time: start-up (imports) is most of each run's time
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda args: run_cli(*args), BAD_ARGS))
    for args, result in zip(BAD_ARGS, results, strict=True):
        try:
            line = assert_one_line_error(result)
        except AssertionError as exc:
            raise AssertionError(f"{args}: {exc}") from None
        assert "error" in line.lower(), (args, line)


def test_tcp_port_in_use_is_one_line_on_stderr_and_exit_2():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = assert_one_line_error(run_cli("--tcp-port", str(port), "--http-port", "0"))
    assert str(port) in line


def test_http_port_in_use_is_one_line_on_stderr_and_exit_2():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = assert_one_line_error(run_cli("--tcp-port", "0", "--http-port", str(port)))
    assert str(port) in line


def test_same_port_for_both_listeners_is_one_line_on_stderr_and_exit_2():
    port = free_port()
    assert_one_line_error(run_cli("--tcp-port", str(port), "--http-port", str(port)))


def test_address_that_cannot_be_bound_is_one_line_on_stderr_and_exit_2():
    # 203.0.113.1 is TEST-NET-3: no interface of this machine has it.
    line = assert_one_line_error(run_cli("--host", "203.0.113.1", "--tcp-port", "0",
                                         "--http-port", "0"))
    assert "203.0.113.1" in line


# -- signals ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("signum", "with_stuck_client"),
                         [(signal.SIGTERM, True), (signal.SIGINT, False)])
def test_signal_exits_0_within_seconds_with_connections_open(signum, with_stuck_client):
    srv = start_server("--quiet")
    idle = connect(srv.tcp)
    served = connect(srv.tcp)
    served.sendall(b"parity 1\n")
    assert read_lines(served, 1) == [b"angka 1 merupakan ganjil"]
    stuck = socket.socket()
    stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stuck.connect(srv.tcp)
    if with_stuck_client:
        stuck.sendall(b"help\n" * 50_000)  # replies it never reads
    halfway = connect(srv.tcp)
    halfway.sendall(b"length " + b"x" * 1000)  # a long line still arriving
    try:
        started = time.monotonic()
        srv.proc.send_signal(signum)
        status = srv.proc.wait(10)
        took = time.monotonic() - started
        assert status == 0
        assert took < 6.0, took
        for sock in (idle, served):
            sock.settimeout(5)
            assert sock.recv(1024) == b""  # closed by the server
        assert "Traceback" not in srv.stderr()
    finally:
        srv.terminate()
        for sock in (idle, served, stuck, halfway):
            sock.close()


def test_sigterm_with_no_connections_exits_0_quickly():
    srv = start_server("--quiet")
    started = time.monotonic()
    assert srv.terminate(10) == 0
    assert time.monotonic() - started < 4.0
    assert srv.stderr() == ""


def test_sigterm_stops_accepting():
    srv = start_server("--quiet")
    address = srv.tcp
    assert srv.terminate(10) == 0
    with pytest.raises(OSError):
        connect(address, timeout=2).close()


# -- logging ----------------------------------------------------------------------------------
def test_request_log_line_is_the_lab_sheets():
    with start_server() as srv:
        with connect(srv.tcp) as sock:
            port = sock.getsockname()[1]
            sock.sendall(b"42")  # as the lab sheet's client sends it: no newline
            assert read_lines(sock, 1) == [b"angka 42 merupakan genap"]
            sock.sendall(b"length halo dunia\n")
            assert read_lines(sock, 1) == [b"jumlah karakter: 10"]
        expected = [f"Request dari client : 42 IP client : ('127.0.0.1', {port})",
                    f"Request dari client : length halo dunia IP client : ('127.0.0.1', {port})"]
        wait_until(lambda: all(line in srv.stdout().splitlines() for line in expected))
        lines = srv.stdout().splitlines()
        assert lines.index(expected[0]) < lines.index(expected[1])


def test_quiet_writes_no_request_log():
    srv = start_server("--quiet")
    with connect(srv.tcp) as sock:
        sock.sendall(b"parity 42\nparity x\n\n")
        read_lines(sock, 3)
    assert srv.terminate() == 0
    lines = [line for line in srv.stdout().splitlines() if line.strip()]
    assert len(lines) == 2, lines
    assert lines[0].startswith("tcp listening on ")
    assert lines[1].startswith("http listening on ")
    assert "Request dari client" not in srv.stdout()


def test_log_format_json_is_one_object_per_line_with_session_peer_request_reply_duration():
    with start_server("--log-format", "json") as srv:
        with connect(srv.tcp) as sock:
            peer = f"127.0.0.1:{sock.getsockname()[1]}"
            sock.sendall(b"parity 42\nparity x\n")
            read_lines(sock, 2)

        def records() -> list[dict]:
            out = []
            for line in srv.stdout().splitlines():
                if line.startswith(("tcp listening on ", "http listening on ")) or not line:
                    continue
                value = json.loads(line)  # every other line is one JSON object
                assert isinstance(value, dict), line
                out.append(value)
            return out

        def requests_logged():
            found = [r for r in records() if r.get("event") == "request" and r.get("peer") == peer]
            return found if len(found) == 2 else None

        first, second = wait_until(requests_logged)
        for record in (first, second):
            assert isinstance(record["session"], int)
            assert isinstance(record["duration_ms"], int | float) and record["duration_ms"] >= 0
        assert first["session"] == second["session"]
        assert first["request"] == "parity 42" and first["reply"] == "ok"
        assert second["request"] == "parity x" and second["reply"] == "not_an_integer"
        assert first["handler"] == "parity"
        # the connection's own events carry the same session
        wait_until(lambda: any(r.get("event") == "close" and r.get("session") == first["session"]
                               for r in records()))
        assert any(r.get("event") == "open" and r.get("session") == first["session"]
                   for r in records())


# -- --backend --------------------------------------------------------------------------------
def test_backend_prints_no_tcp_listening_line():
    backend = f"127.0.0.1:{free_port()}"
    with start_server("--backend", backend, tcp=False) as srv:
        out = srv.stdout()
        assert "tcp listening" not in out
        assert re.search(r"^http listening on http://127\.0\.0\.1:\d+/$", out, re.M), out
        status, _, _ = http_get(f"{srv.http_url}/healthz")
        assert status == 503  # nobody listens on the backend port
    assert "Traceback" not in srv.stderr()
