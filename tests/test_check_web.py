"""``/check``: the page's check over a WebSocket, against the page's own backend only, one
at a time per web app."""

from __future__ import annotations

import json

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect as ws_connect

from server.check.cases import case_ids
from tests.student_servers import student_server
from tests.support import free_port, start_server, wait_until

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def service():
    with start_server() as running:
        yield running


def messages(url: str, **kw) -> list[dict]:
    with ws_connect(url, open_timeout=10, **kw) as ws:
        return [json.loads(text) for text in ws]


def check_url(service, query: str = "") -> str:
    return f"ws://127.0.0.1:{service.http_port}/check{query}"


def test_a_check_streams_each_case_then_the_summary(service) -> None:
    got = messages(check_url(service))
    assert got[0] == {"type": "start", "target": f"127.0.0.1:{service.tcp_port}", "timeout": 2.0}
    assert got[1] == {"type": "exercise", "exercise": "parity", "cases": case_ids("parity")}
    cases = [m["case"] for m in got if m["type"] == "case"]
    assert [c["id"] for c in cases] == case_ids("parity")
    even = cases[0]
    assert even["verdict"] == "pass" and even["sent"] == "42\n"
    assert bytes.fromhex(even["sent_hex"]) == b"42\n"
    assert bytes.fromhex(even["received_hex"]).endswith(b"genap\n")
    assert set(even["explanations"]) == {"en", "id"}
    assert got[-1]["type"] == "done"
    assert got[-1]["summary"] == {"pass": 11, "fail": 0, "info": 2, "skip": 0}


def test_a_second_check_meanwhile_is_told_so(service) -> None:
    with ws_connect(check_url(service), open_timeout=10) as first:
        assert json.loads(first.recv(timeout=10))["type"] == "start"
        with ws_connect(check_url(service), open_timeout=10) as second:
            busy = json.loads(second.recv(timeout=10))
            assert busy["type"] == "busy" and "another check is running" in busy["message"]
            with pytest.raises(ConnectionClosed):
                second.recv(timeout=10)
            assert second.close_code == 1013
        rest = [json.loads(text) for text in first]
    assert rest[-1]["type"] == "done"


def test_target_may_only_name_the_own_backend(service) -> None:
    own = f"127.0.0.1:{service.tcp_port}"
    assert messages(check_url(service, f"?target={own}"))[-1]["type"] == "done"
    with pytest.raises(InvalidStatus) as refused:
        messages(check_url(service, "?target=10.0.0.1:12345"))
    assert refused.value.response.status_code == 403


def test_foreign_origin_is_refused(service) -> None:
    with pytest.raises(InvalidStatus) as refused:
        messages(check_url(service), origin="http://evil.example")
    assert refused.value.response.status_code == 403


def test_bad_exercise_is_refused(service) -> None:
    with pytest.raises(InvalidStatus) as refused:
        messages(check_url(service, "?exercise=chess"))
    assert refused.value.response.status_code == 400


def test_an_unreachable_backend_is_an_error_message() -> None:
    with start_server("--backend", f"127.0.0.1:{free_port()}") as front:
        got = messages(f"ws://127.0.0.1:{front.http_port}/check")
    assert got[-1]["type"] == "error" and "cannot connect" in got[-1]["message"]


def test_leaving_cancels_the_check_and_frees_the_web_app() -> None:
    with student_server("silent") as backend, start_server("--backend", backend) as front:
        url = f"ws://127.0.0.1:{front.http_port}/check"
        with ws_connect(url, open_timeout=10) as first:
            assert json.loads(first.recv(timeout=10))["type"] == "start"
        # the first check would take about 40 s against a silent server; it was cancelled,
        # so a new one starts within moments (the handler ends just after the close)
        def starts() -> bool:
            with ws_connect(url, open_timeout=10) as second:
                return json.loads(second.recv(timeout=10))["type"] == "start"

        wait_until(starts, timeout=20, interval=0.1, what="a new check after the first left")
