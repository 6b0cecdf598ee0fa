"""``--allow-target`` against the real server: a page chooses its backend with
``/ws?target=``, only among allowed targets; refusals (1008) and the session cap (1013) come
before any connection anywhere, which listeners that count their accepts prove; every
spelling of an address is that address; class-file names; ``/config``; the command line.

What is held here: CONTRACT.md "One playground for a class: --allow-target". Every
connection goes to loopback; 10.0.0.0/24 is only ever parsed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.sync.client import connect as ws_connect

from tests.support import ROOT, ServerProcess, TinyTcpServer, http_get, lines_of, start_server
from tests.test_bridge import expect_close, recv_type

pytestmark = pytest.mark.timeout(90)

SUBPROTOCOL = "playground.v1"
LOOPBACK_SPELLINGS = ["127.0.0.1", "127.1", "2130706433", "0x7f.0.0.1", "[::ffff:127.0.0.1]",
                      "localhost", "0177.0.0.1"]


def answering(prefix: bytes):
    """A student's server that stays open and answers each line with ``prefix + line``."""
    def handle(conn) -> None:
        for line in lines_of(conn):
            conn.sendall(prefix + line + b"\n")
    return handle


@pytest.fixture(scope="module")
def forbidden() -> Iterator[TinyTcpServer]:
    """A listener nobody may reach: it counts every connection it accepts."""
    with TinyTcpServer(answering(b"forbidden: ")) as listener:
        yield listener


@pytest.fixture(scope="module")
def student() -> Iterator[TinyTcpServer]:
    with TinyTcpServer(answering(b"student: ")) as listener:
        yield listener


@pytest.fixture(scope="module")
def class_file(tmp_path_factory: pytest.TempPathFactory, student: TinyTcpServer) -> Path:
    path = tmp_path_factory.mktemp("class") / "class.txt"
    path.write_text(f"# lab 3\n127.0.0.1:{student.port} Budi Santoso\n"
                    "10.0.0.7:12345 Ani\n")
    return path


@pytest.fixture(scope="module")
def server(class_file: Path) -> Iterator[ServerProcess]:
    with start_server("--allow-target", f"@{class_file}", "--allow-target",
                      "10.0.0.0/24:12000-12999", "--lang", "en") as running:
        yield running


def ws_url(server: ServerProcess, target: str, **params: str) -> str:
    from urllib.parse import urlencode
    return f"{server.ws_url}?{urlencode({'target': target, **params})}"


def refused(server: ServerProcess, target: str) -> tuple[int, str]:
    with ws_connect(ws_url(server, target), subprotocols=[SUBPROTOCOL]) as ws:
        code, reason, messages = expect_close(ws)
    assert messages == [], "a refused session gets no hello"
    return code, reason


@pytest.mark.parametrize("spelling", LOOPBACK_SPELLINGS)
def test_a_target_not_allowed_is_refused_before_any_connection(
        server: ServerProcess, forbidden: TinyTcpServer, spelling: str) -> None:
    code, reason = refused(server, f"{spelling}:{forbidden.port}")
    assert code == 1008
    assert "not allowed" in reason
    time.sleep(0.2)  # give a wrongly made connection time to arrive before counting
    assert forbidden.peers == []


@pytest.mark.parametrize("target", ["10.0.0.7:22", "10.0.1.7:12345", "nonsense",
                                    "Citra", "127.0.0.1:0", "[::1]:12345"])
def test_other_refusals(server: ServerProcess, forbidden: TinyTcpServer, target: str) -> None:
    assert refused(server, target)[0] == 1008
    assert forbidden.peers == []


@pytest.mark.parametrize("spelling", LOOPBACK_SPELLINGS)
def test_every_spelling_of_an_allowed_address_is_allowed(
        server: ServerProcess, student: TinyTcpServer, spelling: str) -> None:
    with ws_connect(ws_url(server, f"{spelling}:{student.port}")) as ws:
        ws.send("42")
        assert ws.recv(timeout=5) == "student: 42"


def test_a_class_name_chooses_its_target(server: ServerProcess, student: TinyTcpServer) -> None:
    for name in ("Budi Santoso", "budi santoso"):
        with ws_connect(ws_url(server, name), subprotocols=[SUBPROTOCOL]) as ws:
            ws.send(json.dumps({"type": "send", "text": "halo"}))
            reply = recv_type(ws, "reply")
            assert reply["line"] == "student: halo"


def test_the_hello_names_the_chosen_server(server: ServerProcess,
                                           student: TinyTcpServer) -> None:
    with ws_connect(ws_url(server, f"127.1:{student.port}"), subprotocols=[SUBPROTOCOL]) as ws:
        ws.send(json.dumps({"type": "send", "text": "1"}))
        hello = recv_type(ws, "hello")
        assert hello["backend"] == f"127.0.0.1:{student.port}"


def test_no_target_is_the_playgrounds_own_service(server: ServerProcess) -> None:
    with ws_connect(server.ws_url) as ws:
        ws.send("parity 42")
        assert ws.recv(timeout=5) == "42 is even"
    with ws_connect(ws_url(server, f"localhost:{server.tcp_port}")) as ws:
        ws.send("parity 7")
        assert ws.recv(timeout=5) == "7 is odd"


def test_config_tells_the_page(server: ServerProcess) -> None:
    status, _, body = http_get(server.http_url + "/config")
    config = json.loads(body)
    assert status == 200
    assert config["targets_allowed"] is True
    assert config["class_names"] == ["Budi Santoso", "Ani"]
    assert config["max_sessions_per_address"] == 32
    assert config["server_view"] == "all"  # loopback: one person, their own machine


def test_without_allow_target_only_the_backend(forbidden: TinyTcpServer) -> None:
    with start_server() as running:
        config = json.loads(http_get(running.http_url + "/config")[2])
        assert config["targets_allowed"] is False and config["class_names"] == []
        assert config["max_sessions_per_address"] == 0
        assert refused(running, f"127.0.0.1:{forbidden.port}")[0] == 1008
        with ws_connect(ws_url(running, f"127.0.0.1:{running.tcp_port}")) as ws:
            ws.send("parity 2")
            assert "genap" in ws.recv(timeout=5)
    assert forbidden.peers == []


def test_sessions_per_address_are_capped_before_connecting() -> None:
    with TinyTcpServer(answering(b"")) as counted, start_server(
            "--allow-target", counted.address, "--max-sessions-per-address", "2") as running:
        url = ws_url(running, counted.address)
        with ws_connect(url) as first, ws_connect(url) as second:
            for ws in (first, second):
                ws.send("x")
                assert ws.recv(timeout=5) == "x"
            accepted = len(counted.peers)
            with ws_connect(url) as third:
                code, reason, _ = expect_close(third)
            assert code == 1013
            assert "too many sessions" in reason and "2" in reason
            with ws_connect(running.ws_url) as fourth:  # the cap counts every /ws session
                assert expect_close(fourth)[0] == 1013
            time.sleep(0.2)
            assert len(counted.peers) == accepted
        # once they are closed, the address may open sessions again
        with ws_connect(url) as again:
            again.send("y")
            assert again.recv(timeout=5) == "y"


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "server", "--http-port", "0", "--tcp-port",
                           "0", *args], cwd=ROOT, capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize("args, words", [
    (["--allow-target", "10.0.0.0/24"], "expected HOST:PORT"),
    (["--allow-target", "10.0.0.1:70000"], "out of range"),
    (["--allow-target", "@/nonexistent/class.txt"], "cannot read class file"),
    (["--max-sessions-per-address", "-1"], "must be 0 or more"),
    (["--server-view", "some"], "invalid choice"),
])
def test_a_bad_option_is_one_line_and_exit_2(args: list[str], words: str) -> None:
    result = run_cli(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_class_file_line_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "class.txt"
    bad.write_text("127.0.0.1:12345 Budi\n127.0.0.1 Ani\n")
    result = run_cli("--allow-target", f"@{bad}")
    assert result.returncode == 2
    assert "line 2" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_a_chosen_target_is_connected_only_to_send(server: ServerProcess) -> None:
    """Like --backend's: opening (or reloading) a page makes no connection to it."""
    with TinyTcpServer(answering(b"lazy: ")) as counted, start_server(
            "--allow-target", counted.address) as running:
        with ws_connect(ws_url(running, counted.address), subprotocols=[SUBPROTOCOL]) as ws:
            hello = recv_type(ws, "hello")
            assert hello["foreign"] is True and hello["backend"] == counted.address
            time.sleep(0.3)  # a wrongly eager connection would have arrived by now
            assert counted.peers == []
            ws.send(json.dumps({"type": "send", "text": "42"}))
            assert recv_type(ws, "reply")["line"] == "lazy: 42"
            assert len(counted.peers) == 1


def test_the_pages_check_follows_the_chosen_target(forbidden: TinyTcpServer) -> None:
    """/check?target= is decided like /ws: the chosen server is checked; another is refused
    (403) before any connection."""
    from websockets.exceptions import InvalidStatus

    from tests.support import lab_sheet_handler

    with TinyTcpServer(lab_sheet_handler()) as lab, start_server(
            "--allow-target", lab.address) as running:
        check = f"ws://127.0.0.1:{running.http_port}/check?target={lab.address}"
        with ws_connect(check, open_timeout=10) as ws:
            got = [json.loads(text) for text in ws]
        assert got[0]["type"] == "start" and got[0]["target"] == lab.address
        assert got[-1]["type"] == "done"
        assert lab.peers
        with pytest.raises(InvalidStatus) as refused:
            ws_connect(f"ws://127.0.0.1:{running.http_port}/check?target={forbidden.address}")
        assert refused.value.response.status_code == 403
        assert b"not allowed" in refused.value.response.body
    assert forbidden.peers == []
