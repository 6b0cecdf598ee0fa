"""The request log: the lab sheet's line, batched, summarised under load."""

import asyncio
import io
import json

from server.protocol import Exchange
from server.request_log import RequestLog, lab_sheet_line

PEER = ("127.0.0.1", 50412)


def exchange(request: bytes) -> Exchange:
    return Exchange(request, b"r\n", "parity", "ok")


def test_the_lab_sheet_line():
    expected = "Request dari client : 42 IP client : ('127.0.0.1', 50412)"
    assert lab_sheet_line(b"42", PEER) == expected


def test_lines_are_written_once_per_loop_tick():
    stream = io.StringIO()
    writes = []
    stream.write = lambda text, w=stream.write: (writes.append(text), w(text))[1]

    async def scenario():
        log = RequestLog(stream)
        log.requests([exchange(b"1"), exchange(b"2")], PEER, 1, 0.0)
        log.requests([exchange(b"3")], PEER, 1, 0.0)
        assert stream.getvalue() == ""  # nothing yet: buffered
        await asyncio.sleep(0)
        await asyncio.sleep(0)
    asyncio.run(scenario())
    assert len(writes) == 1
    assert stream.getvalue().count("Request dari client") == 3


def test_past_the_budget_requests_are_counted_and_summarised():
    stream = io.StringIO()

    async def scenario():
        log = RequestLog(stream, lines_per_second=2)
        log.requests([exchange(b"%d" % i) for i in range(5)], PEER, 1, 0.0)
        log.requests([exchange(b"x")], PEER, 1, 0.0)
        log._close_window()
        log.flush()
    asyncio.run(scenario())
    lines = stream.getvalue().splitlines()
    assert lines[:2] == [lab_sheet_line(b"0", PEER), lab_sheet_line(b"1", PEER)]
    assert lines[2] == "... 4 more requests in the last 1.0 s"


def test_json_format_is_one_object_per_event():
    stream = io.StringIO()
    log = RequestLog(stream, log_format="json")
    log.event("open", 3, PEER)
    log.requests([Exchange(b"parity x", b"ERR\n", "parity", "not_an_integer")], PEER, 3, 0.0015)
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert records[0] == {"event": "open", "session": 3, "peer": "127.0.0.1:50412"}
    assert records[1] == {"event": "request", "session": 3, "peer": "127.0.0.1:50412",
                          "request": "parity x", "handler": "parity",
                          "reply": "not_an_integer", "duration_ms": 1.5}


def test_a_broken_stdout_does_not_stop_the_service():
    class Broken(io.StringIO):
        def write(self, text):
            raise BrokenPipeError
    log = RequestLog(Broken())
    log.message("hello")  # no loop: written at once, and the error swallowed
    log.message("again")


def test_control_characters_never_reach_the_terminal():
    line = lab_sheet_line(b"\x1b[31mred\x07", PEER)
    assert "\x1b" not in line and "\x07" not in line
    assert "\\x1b[31mred\\x07" in line


def test_a_blocked_output_drops_and_counts_lines_and_says_so_when_it_flows_again():
    """A pipe nobody reads: put() never waits; what does not fit is dropped and counted,
    and the count is written once the reader drains the pipe."""
    import os
    import threading
    import time

    from server.request_log import OutputThread

    read_fd, write_fd = os.pipe()
    output = OutputThread(write_fd, lambda n: f"... {n} dropped", max_pending=10_000)
    os.close(write_fd)  # the thread writes to its own duplicate
    line = "x" * 99 + "\n"
    started = time.monotonic()
    for _ in range(3000):  # 300 KB: far more than the pipe (64 KiB) plus max_pending
        output.put(line, 1)
    assert time.monotonic() - started < 1.0
    assert output.dropped > 0
    chunks: list[bytes] = []
    reader = threading.Thread(target=lambda: chunks.extend(iter(lambda: os.read(read_fd, 65536),
                                                                 b"")))
    reader.start()
    output.close(timeout=5)
    reader.join(5)
    os.close(read_fd)
    text = b"".join(chunks).decode()
    kept = text.count(line)
    (notice,) = [n for n in text.splitlines() if n.endswith(" dropped")]
    assert kept + int(notice.split()[1]) == 3000


def test_json_log_escapes_c1_controls_and_bidi_overrides():
    """ensure_ascii=False keeps text readable, but must not hand the terminal C1 controls
    (U+009B is CSI) or bidi overrides (U+202E turns the rest of the line around)."""
    stream = io.StringIO()
    log = RequestLog(stream, log_format="json")
    log.requests([exchange("a\u009b31mb\u202ec\u2066d é".encode())], PEER, 1, 0.0)
    log.flush()
    text = stream.getvalue()
    for raw in ("\u009b", "\u202e", "\u2066"):
        assert raw not in text
    assert "é" in text and json.loads(text)["request"] == "a\u009b31mb\u202ec\u2066d é"


def test_an_over_long_line_is_logged_as_such_not_as_an_empty_request():
    too_long = Exchange(b"", b"ERR line_too_long\n", "-", "line_too_long")
    stream = io.StringIO()
    log = RequestLog(stream)
    log.requests([too_long], PEER, 1, 0.0)
    log.flush()
    assert "Request dari client : <" in stream.getvalue()
    assert "line over the limit" in stream.getvalue()
    stream = io.StringIO()
    log = RequestLog(stream, log_format="json")
    log.requests([too_long], PEER, 1, 0.0)
    log.flush()
    assert json.loads(stream.getvalue())["request"] != ""


def test_a_relayed_request_names_the_session_and_where_it_went() -> None:
    out = io.StringIO()
    log = RequestLog(out)
    log.relayed("42\x1b[2J", ("127.0.0.1", 50412), 3, "Budi", "10.0.0.11:12345")
    log.relayed("7", ("127.0.0.1", 50413), 4, "", "10.0.0.11:12345")
    log.flush()
    assert out.getvalue().splitlines() == [
        "Request dari client : 42\\x1b[2J IP client : ('127.0.0.1', 50412) [Budi]"
        " -> 10.0.0.11:12345",
        "Request dari client : 7 IP client : ('127.0.0.1', 50413) -> 10.0.0.11:12345"]
    out = io.StringIO()
    log = RequestLog(out, log_format="json")
    log.relayed("42", ("127.0.0.1", 50412), 3, "Budi", "10.0.0.11:12345")
    log.flush()
    assert json.loads(out.getvalue()) == {"event": "request", "session": 3,
                                          "peer": "127.0.0.1:50412", "request": "42",
                                          "backend": "10.0.0.11:12345", "name": "Budi"}
