"""The runner against real servers on free loopback ports: small student-style programs
(``tests/student_servers``), the lab sheet's own server with ``--run``, and odd servers
(flooding, resetting at once)."""

from __future__ import annotations

import asyncio
import socket
import struct
import time

import pytest

from server.check.results import Report
from server.check.runner import Runner
from server.check.supervisor import Supervisor
from server.class_file import split_host_port
from tests.student_servers import command, student_server
from tests.support import TinyTcpServer, free_port

pytestmark = pytest.mark.timeout(90)


def check(target: str, *, run: str | None = None, timeout: float = 1.0,
          exercise: str = "auto") -> Report:
    host, port = split_host_port(target)
    supervisor = Supervisor(run, host, port) if run else None
    return asyncio.run(Runner(host, port, exercise=exercise, timeout=timeout,
                              supervisor=supervisor).run())


def by_id(report: Report) -> dict:
    return {case.id: case for case in report.cases}


def test_a_correct_threaded_server_passes_every_case() -> None:
    with student_server("correct_parity") as target:
        report = check(target)
    cases = by_id(report)
    assert report.exercise == "parity"
    assert [c.id for c in report.cases][0] == "even"
    assert {c.verdict for c in report.cases if c.id not in ("two_clients", "pipelined")} == {"pass"}
    assert cases["two_clients"].finding == "at_once"
    assert cases["pipelined"].finding == "both_in_order"
    assert report.ok


def test_single_threaded_server_serves_one_at_a_time() -> None:
    with student_server("single_threaded") as target:
        report = check(target, timeout=1.0)
    cases = by_id(report)
    assert cases["two_clients"].verdict == "info"
    assert cases["two_clients"].finding == "one_at_a_time"
    assert cases["two_clients"].vars["seconds"] >= 0.8
    assert cases["even"].ended == "closed" and cases["even"].verdict == "pass"
    assert report.ok


def test_crashing_server_without_run_stops_and_the_rest_is_skipped() -> None:
    with student_server("crashing") as target:
        report = check(target)
    cases = by_id(report)
    assert cases["even"].verdict == "pass"
    assert cases["not_a_number"].verdict == "fail"
    assert cases["not_a_number"].key == "stopped_silent"
    assert report.stopped_after == "not_a_number"
    assert [c.verdict for c in report.cases[8:]] == ["skip"] * 5
    assert not report.ok


def test_crashing_server_with_run_shows_the_traceback_and_is_started_again() -> None:
    port = free_port()
    report = check(f"127.0.0.1:{port}", run=command("crashing", port))
    cases = by_id(report)
    crash = cases["not_a_number"]
    assert crash.verdict == "fail" and crash.exit is not None and crash.exit.status == 1
    assert any("ValueError" in line for line in crash.exit.output)
    assert cases["empty"].restarted is True and cases["empty"].verdict == "pass"
    assert cases["even"].restarted is False
    assert report.starts >= 2 and report.stopped_after is None


def test_silent_server_run_stays_within_its_bound() -> None:
    timeout = 0.5
    with student_server("silent") as target:
        started = time.monotonic()
        report = check(target, timeout=timeout)
        elapsed = time.monotonic() - started
    # 13 cases, none waits more than three bounds (two_clients: B, A's hold, B again)
    assert elapsed < 13 * 3 * timeout + 5
    cases = by_id(report)
    assert cases["even"].verdict == "fail" and cases["even"].ended == "timeout"
    assert cases["no_newline"].key == "no_reply_timeout"
    assert {c.verdict for c in report.cases} <= {"fail", "info"}


def test_float_conversion_fails_big_only() -> None:
    with student_server("through_float") as target:
        report = check(target)
    cases = by_id(report)
    assert cases["big"].verdict == "fail" and cases["big"].key == "wrong_float"
    assert cases["even"].verdict == cases["odd"].verdict == "pass"


def test_counting_bytes_is_found_and_the_exercise_is_length() -> None:
    with student_server("counting_bytes") as target:
        report = check(target)
    cases = by_id(report)
    assert report.exercise == "length"
    assert cases["ascii"].verdict == "pass"
    assert cases["non_ascii"].key == "counted_bytes"
    assert cases["emoji"].key == "counted_bytes"
    assert cases["newline"].key == "counted_line_end"
    assert cases["crlf"].key == "counted_line_end"


def test_replies_without_lf_are_taken_after_a_pause() -> None:
    with student_server("no_lf") as target:
        report = check(target)
    assert by_id(report)["even"].received == b"genap"
    assert by_id(report)["even"].ended == "reply"
    assert report.ok


def test_lab_sheet_server_with_run_finds_else_crash_and_exit_after_one() -> None:
    port = free_port()
    report = check(f"127.0.0.1:{port}", run=command("lab_sheet", port), timeout=1.0)
    cases = by_id(report)
    assert cases["even"].verdict == "fail" and cases["even"].key == "wrong_parity"
    assert cases["even"].received == b"angka42 merupakan ganjil"
    assert cases["not_a_number"].key == "crashed"
    assert any("invalid literal for int()" in line for line in cases["not_a_number"].exit.output)
    assert cases["sequential"].key == "exited_after_one"
    assert all(c.restarted for c in report.cases[1:])
    assert report.starts == len(report.cases) + 1 or report.starts == len(report.cases)
    # the checker left the port free: the lab sheet's server can bind again at once
    with socket.socket() as again:
        again.bind(("127.0.0.1", port))


def test_lab_sheet_server_without_run_is_skipped_after_its_one_client() -> None:
    with student_server("lab_sheet") as target:
        report = check(target)
    assert by_id(report)["even"].verdict == "fail"
    assert report.stopped_after == "even"
    assert {c.verdict for c in report.cases[1:]} == {"skip"}


def flood(conn: socket.socket) -> None:
    conn.recv(1024)
    chunk = b"x" * 16384
    try:
        while True:
            conn.sendall(chunk)
    except OSError:
        pass


def test_a_flooding_server_is_cut_at_64_kib_and_fails_saying_so() -> None:
    with TinyTcpServer(flood) as server:
        report = check(server.address, exercise="parity", timeout=1.0)
    even = by_id(report)["even"]
    assert even.verdict == "fail" and even.key == "cut"
    assert len(even.received) == 64 * 1024


def reset_at_once(conn: socket.socket) -> None:
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def test_a_server_that_resets_at_once_gets_clear_verdicts() -> None:
    with TinyTcpServer(reset_at_once) as server:
        report = check(server.address, timeout=0.5)
    even = by_id(report)["even"]
    assert even.verdict == "fail" and even.ended == "reset" and even.key == "no_reply_reset"


def test_nothing_listening_is_unreachable() -> None:
    report = check(f"127.0.0.1:{free_port()}")
    assert report.unreachable.startswith("cannot connect to 127.0.0.1:")
    assert report.cases == []
