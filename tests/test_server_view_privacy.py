"""Privacy between students in a shared playground, against the real server: listening
beyond loopback, each page sees the content of its own requests in the server view and
everyone else without what they typed; ``--server-view`` overrides both ways; names given
by pages reach the server view and the request log.

The shared instance listens on 0.0.0.0; the tests reach it through 127.0.0.1 only.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlencode

import pytest
from websockets.sync.client import connect as ws_connect

from tests.support import (
    ServerProcess,
    TinyTcpServer,
    ask,
    http_get,
    lines_of,
    start_server,
    wait_until,
)
from tests.test_bridge import recv_type
from tests.test_events_feed import Feed

pytestmark = pytest.mark.timeout(90)

SECRET = "password saya: budi123 NIM 1234567"


@contextmanager
def viewer(server: ServerProcess, key: str) -> Iterator[Feed]:
    with ws_connect(f"ws://127.0.0.1:{server.http_port}/events?viewer={key}") as ws:
        feed = Feed(ws)
        feed.events.append(json.loads(ws.recv(timeout=5)))
        yield feed


def say(server: ServerProcess, key: str, name: str, text: str, target: str = "") -> str:
    """A page's session: sends ``text`` in Raw mode and returns the reply line."""
    params = {"viewer": key, "label": name, **({"target": target} if target else {})}
    with ws_connect(f"{server.ws_url}?{urlencode(params)}", subprotocols=["playground.v1"]) as ws:
        ws.send(json.dumps({"type": "send", "text": text}))
        return recv_type(ws, "reply")["line"]


def request_of(feed: Feed, label: str) -> dict:
    return feed.wait(lambda e: e["type"] == "request" and e.get("label") == label)


@pytest.fixture(scope="module")
def student() -> Iterator[TinyTcpServer]:
    def echo(conn) -> None:
        for line in lines_of(conn):
            conn.sendall(b"echo " + line + b"\n")
    with TinyTcpServer(echo) as listener:
        yield listener


@pytest.fixture(scope="module")
def shared(student: TinyTcpServer) -> Iterator[ServerProcess]:
    with start_server("--host", "0.0.0.0", "--allow-target", student.address) as running:
        yield running


def test_a_shared_instance_shows_others_without_what_they_typed(shared: ServerProcess) -> None:
    budi, ani = secrets.token_hex(16), secrets.token_hex(16)
    with viewer(shared, budi) as budi_view, viewer(shared, ani) as ani_view:
        assert ani_view.events[0]["private"] is True
        assert "jumlah karakter" in say(shared, budi, "Budi", SECRET)
        mine = request_of(budi_view, "Budi")
        assert mine["request"] == SECRET and mine["mine"] is True
        theirs = request_of(ani_view, "Budi")
        assert theirs["request"] is None and theirs["reply"] is None and theirs["hidden"]
        assert SECRET not in json.dumps(ani_view.events)
        assert all("owner" not in e for e in ani_view.events + budi_view.events)


def test_raw_tcp_clients_content_is_hidden_too(shared: ServerProcess) -> None:
    with viewer(shared, secrets.token_hex(16)) as view:
        ask(shared.tcp, b"length rahasia\n")
        event = view.wait(lambda e: e["type"] == "request" and e.get("label") is None)
        assert event["request"] is None and event["hidden"] is True


def test_a_chosen_targets_requests_are_private_too(shared: ServerProcess,
                                                  student: TinyTcpServer) -> None:
    budi, ani = secrets.token_hex(16), secrets.token_hex(16)
    with viewer(shared, budi) as budi_view, viewer(shared, ani) as ani_view:
        assert say(shared, budi, "Budi-own", SECRET, student.address) == f"echo {SECRET}"
        assert request_of(budi_view, "Budi-own")["request"] == SECRET
        assert request_of(ani_view, "Budi-own")["request"] is None


@pytest.mark.parametrize("args, private", [
    (("--host", "0.0.0.0", "--server-view", "all"), False),
    (("--server-view", "own"), True),
    ((), False),  # loopback: one person, their own machine
])
def test_server_view_option_overrides_both_ways(args: tuple[str, ...], private: bool) -> None:
    with start_server(*args) as running, viewer(running, secrets.token_hex(16)) as other:
        assert other.events[0]["private"] is private
        say(running, secrets.token_hex(16), "Budi", SECRET)
        seen = request_of(other, "Budi")
        assert (seen["request"] is None) is private


def test_names_reach_the_request_log_not_the_metrics() -> None:
    with start_server() as running:
        say(running, secrets.token_hex(16), "Budi Santoso", "parity 42")
        wait_until(lambda: "[Budi Santoso]" in running.stdout(), what="the name in the log")
        line = next(x for x in running.stdout().splitlines() if "[Budi Santoso]" in x)
        assert line.startswith("Request dari client : parity 42 IP client : ('127.0.0.1', ")
        assert "Budi" not in http_get(running.http_url + "/metrics")[2].decode()


def test_requests_to_a_chosen_target_are_logged_with_the_name(student: TinyTcpServer) -> None:
    with start_server("--allow-target", student.address) as running:
        say(running, secrets.token_hex(16), "Ani Lestari", "halo", student.address)
        wait_until(lambda: "[Ani Lestari]" in running.stdout(), what="the name in the log")
        line = next(x for x in running.stdout().splitlines() if "[Ani Lestari]" in x)
        assert line.startswith("Request dari client : halo IP client : ('127.0.0.1', ")
        assert line.endswith(f"[Ani Lestari] -> {student.address}")
