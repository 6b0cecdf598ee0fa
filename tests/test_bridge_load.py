"""The bridge under load: 300 WebSocket sessions at once, each with several requests in
flight, against the real server. Every reply must be the right one, in order, and the
server must end with no session left open.
"""

from __future__ import annotations

import asyncio
import json
import resource
import time
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families
from websockets.asyncio.client import connect as ws_connect

from tests.support import start_server, vm_rss, wait_until

SESSIONS = 300
ROUNDS = 2
IN_FLIGHT = 6  # requests sent before the first reply is read, per round
TIME_LIMIT = 60.0

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(autouse=True)
def enough_file_descriptors():
    """Each session is one client socket here; ask for head room, softly."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 4 * SESSIONS + 256
    if soft != resource.RLIM_INFINITY and soft < wanted:
        new_soft = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new_soft, hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def conversation(session: int, round_: int) -> list[tuple[str, str]]:
    """(message, expected reply) pairs, distinct per session and round."""
    n = session * 1000 + round_ * 10
    text = f"sesi-{session}-{round_} héllo"
    json_id = f"{session}/{round_}"
    return [
        (f"parity {n + 1}", f"{n + 1} is odd"),
        (f"parity -{n + 2}", f"-{n + 2} is even"),
        (f"length {text}", f"{len(text)} characters"),
        (f"{n + 3}\r\n", f"{n + 3} is odd"),
        ("parity x" + str(session), None),  # an error reply, checked by prefix
        (json.dumps({"id": json_id, "handler": "parity", "text": str(n)}),
         json.dumps({"id": json_id, "ok": True, "handler": "parity",
                     "result": {"parity": "even", "digits": len(str(n))},
                     "message": f"{n} is even"})),
    ][:IN_FLIGHT]


async def run_session(url: str, session: int, all_open: asyncio.Barrier,
                      all_done: asyncio.Barrier) -> int:
    async with ws_connect(url, open_timeout=30, close_timeout=10) as ws:
        await all_open.wait()  # every session is open before any sends
        answered = 0
        for round_ in range(ROUNDS):
            pairs = conversation(session, round_)
            for message, _ in pairs:
                await ws.send(message)
            for message, expected in pairs:
                reply = await ws.recv()
                if expected is None:
                    assert reply.startswith("ERR not_an_integer"), (session, message, reply)
                elif expected.startswith("{"):
                    assert json.loads(reply) == json.loads(expected), (session, reply)
                else:
                    assert reply == expected, (session, message, reply)
                answered += 1
        await all_done.wait()  # stay open until the gauges have been read
        return answered


async def run_all(http_url: str, ws_url: str) -> tuple[list[int], float, float]:
    all_open = asyncio.Barrier(SESSIONS)
    all_done = asyncio.Barrier(SESSIONS + 1)

    async def read_gauges() -> tuple[float, float]:
        while all_done.n_waiting < SESSIONS:
            await asyncio.sleep(0.02)
        try:
            return (await asyncio.to_thread(metric, http_url, "playground_websocket_sessions"),
                    await asyncio.to_thread(metric, http_url, "playground_tcp_connections"))
        finally:
            await all_done.wait()

    sessions = [run_session(ws_url, i, all_open, all_done) for i in range(SESSIONS)]
    *answered, (ws_gauge, tcp_gauge) = await asyncio.wait_for(
        asyncio.gather(*sessions, read_gauges()), TIME_LIMIT)
    return answered, ws_gauge, tcp_gauge


def metric(url: str, name: str, labels: dict[str, str] | None = None) -> float:
    with urllib.request.urlopen(url + "/metrics", timeout=5) as response:
        text = response.read().decode()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == (labels or {}):
                return sample.value
    return 0.0


def test_300_concurrent_sessions_with_requests_in_flight() -> None:
    with start_server("--lang", "en", "--quiet") as s:
        started = time.monotonic()
        answered, ws_gauge, tcp_gauge = asyncio.run(run_all(s.http_url, s.ws_url))
        elapsed = time.monotonic() - started
        assert answered == [ROUNDS * IN_FLIGHT] * SESSIONS
        assert ws_gauge == SESSIONS  # all at once
        assert tcp_gauge == SESSIONS  # one backend connection each
        assert elapsed < TIME_LIMIT

        per_session = ROUNDS * IN_FLIGHT
        assert metric(s.http_url, "playground_websocket_sessions_opened_total") == SESSIONS
        parity_ok = metric(s.http_url, "playground_requests_total",
                           {"handler": "parity", "outcome": "ok"})
        assert parity_ok == SESSIONS * ROUNDS * 4
        assert metric(s.http_url, "playground_request_latency_seconds_count") == (
            SESSIONS * per_session)
        wait_until(lambda: metric(s.http_url, "playground_websocket_sessions") == 0, 10, 0.05,
                   what="every session closed after its client left")


def test_a_browser_that_stops_reading_does_not_make_the_bridge_buffer_without_bound():
    """A client asks for ~33 MB of replies and reads none for a while: the bridge must push
    back (stop reading the backend, which stops the service) rather than hold the replies;
    when the client reads again, every reply arrives, in order."""
    total = 300_000  # `help` replies are ~110 bytes each
    requests = ["help" if i % 1000 else f"parity {i}" for i in range(total)]

    async def scenario(server) -> tuple[int, list[str]]:
        async with ws_connect(server.ws_url, max_queue=1, compression=None) as ws:
            baseline = vm_rss(server.proc.pid)
            sender = asyncio.create_task(_send_all(ws, requests))
            await asyncio.sleep(3.0)  # the client reads nothing meanwhile
            growth = vm_rss(server.proc.pid) - baseline
            replies = [await asyncio.wait_for(ws.recv(), 10) for _ in range(total)]
            await sender
            return growth, replies

    with start_server("--quiet") as server:
        growth, replies = asyncio.run(scenario(server))
    assert growth < 16 * 1024 * 1024, f"bridge grew by {growth >> 20} MiB while not read"
    assert len(replies) == total
    assert all(replies[i] == f"angka {i} merupakan genap" for i in range(0, total, 1000))
    assert all(r.startswith("pakai: parity") for i, r in enumerate(replies) if i % 1000)


async def _send_all(ws, messages: list[str]) -> None:
    for message in messages:
        await ws.send(message)
