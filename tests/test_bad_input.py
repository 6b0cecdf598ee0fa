"""The contract's "Bad input never hurts anyone else" table, row by row, over real sockets.

For every row: the bad connection gets the documented reply, stays open where it should (its
next request is answered), and another client is served meanwhile. At the end the server's
stderr holds no traceback.
"""

from __future__ import annotations

import json
import select
import socket
import struct
import threading
import time

import pytest

from tests.support import checked_server, open_conn, read_lines, start_server, wait_until

pytestmark = pytest.mark.timeout(60)

TCP_ESTABLISHED = 1
MIB = 1 << 20


# -- helpers ----------------------------------------------------------------------------------
def tcp_state(sock: socket.socket) -> int:
    """The kernel's TCP state of ``sock`` (1 established, 7 closed, 8 close-wait, ...)."""
    return struct.unpack("B", sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1))[0]


def read_until_closed(sock: socket.socket, timeout: float) -> bytes:
    sock.settimeout(timeout)
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return data
        if not chunk:
            return data
        data += chunk


def assert_served(server) -> None:
    """Another client, on its own connection, gets its answer right now."""
    with open_conn(server.tcp) as other:
        started = time.monotonic()
        other.sendall(b"parity 42\n")
        assert read_lines(other, 1) == [b"angka 42 merupakan genap"]
        assert time.monotonic() - started < 1.0


def assert_still_usable(sock: socket.socket) -> None:
    sock.sendall(b"parity 3\n")
    assert read_lines(sock, 1) == [b"angka 3 merupakan ganjil"]


def check_row(server, bad: bytes, count: int = 1) -> list[bytes]:
    """Send ``bad`` (``count`` request lines) on one connection while another client is
    served; the bad connection stays usable. Returns the replies to ``bad``."""
    with open_conn(server.tcp) as sock:
        sock.sendall(bad)
        replies = read_lines(sock, count)
        assert_served(server)
        assert_still_usable(sock)
    return replies


def json_error(reply: bytes) -> dict:
    value = json.loads(reply)
    assert value["ok"] is False, value
    assert set(value["error"]) == {"code", "message"} and value["error"]["message"]
    return value


# -- the module's server ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def server():
    with start_server("--quiet") as srv:
        yield srv


# -- not an integer ---------------------------------------------------------------------------
@pytest.mark.parametrize("line", [b"parity abc", b"parity", b"parity 1.0", b"parity --1",
                                  b"parity 1_000", b"parity \xd9\xa3", b"parity +"])
def test_not_an_integer_is_err_not_an_integer_and_the_connection_stays_open(server, line):
    [reply] = check_row(server, line + b"\n")
    assert reply.startswith(b"ERR not_an_integer: "), reply


def test_not_an_integer_in_json_is_a_json_error_with_the_id(server):
    [reply] = check_row(server, b'{"id": "q", "handler": "parity", "text": "abc"}\n')
    value = json_error(reply)
    assert value["id"] == "q" and value["error"]["code"] == "not_an_integer"


# -- invalid UTF-8 ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "line",
    [
        b"\xff\xfe",  # never valid in UTF-8
        b"parity 4\xe2\x82",  # truncated sequence
        b"length \x80abc",  # lone continuation byte
        b"length \xc0\xaf",  # overlong encoding of /
        b"length \xed\xa0\x80",  # an encoded surrogate (CESU-8), not UTF-8
        b"length \xf4\x90\x80\x80",  # beyond U+10FFFF
        b"\xe9t\xe9",  # Latin-1 "été"
    ],
)
def test_bytes_that_are_not_utf8_are_err_invalid_utf8_and_the_connection_stays_open(server,
                                                                                      line):
    [reply] = check_row(server, line + b"\n")
    assert reply.startswith(b"ERR invalid_utf8"), reply


def test_invalid_utf8_in_a_json_line_is_a_json_invalid_utf8_error(server):
    [reply] = check_row(server, b'{"id": 1, "text": "caf\xe9"}\n')
    assert json_error(reply)["error"]["code"] == "invalid_utf8"


def test_invalid_utf8_line_does_not_disturb_the_lines_around_it(server):
    replies = check_row(server, b"parity 2\n\xff\nparity 5\n", count=3)
    assert replies[0] == b"angka 2 merupakan genap"
    assert replies[1].startswith(b"ERR invalid_utf8")
    assert replies[2] == b"angka 5 merupakan ganjil"


# -- a line over the limit --------------------------------------------------------------------
def test_one_mib_line_is_err_line_too_long_and_the_connection_stays_usable(server):
    with open_conn(server.tcp, timeout=10) as sock:
        sock.sendall(b"length " + b"x" * (MIB // 2))
        # answered as soon as the limit is passed, before the line's LF comes
        [reply] = read_lines(sock, 1, timeout=10)
        assert reply.startswith(b"ERR line_too_long"), reply[:100]
        assert_served(server)  # meanwhile, another client
        sock.sendall(b"y" * (MIB // 2) + b"\n")  # the rest of that line is discarded
        assert_still_usable(sock)


def test_one_mib_line_sent_at_once_gets_exactly_one_error_reply(server):
    with open_conn(server.tcp, timeout=10) as sock:
        sock.sendall(b"9" * MIB + b"\nparity 10\n")
        replies = read_lines(sock, 2, timeout=10)
    assert replies[0].startswith(b"ERR line_too_long")
    assert replies[1] == b"angka 10 merupakan genap"


def test_line_of_exactly_the_limit_is_answered(server):
    text = b"x" * (65536 - len(b"length "))
    [reply] = check_row(server, b"length " + text + b"\n")
    assert reply == f"jumlah karakter: {len(text)}".encode()
    [reply] = check_row(server, b"length " + text + b"\r\n")  # the CR is not counted
    assert reply == f"jumlah karakter: {len(text)}".encode()


def test_line_one_byte_over_the_limit_is_too_long(server):
    [reply] = check_row(server, b"length " + b"x" * (65537 - len(b"length ")) + b"\n")
    assert reply.startswith(b"ERR line_too_long")


def test_too_long_json_line_is_an_error_reply(server):
    line = json.dumps({"id": 1, "text": "x" * 70000}).encode()
    [reply] = check_row(server, line + b"\n")
    assert reply.startswith(b"ERR line_too_long") or (
        json_error(reply)["error"]["code"] == "line_too_long"), reply[:100]


def test_lower_max_line_is_the_limit():
    with start_server("--quiet", "--max-line", "16") as srv:
        [ok] = check_row(srv, b"length 123456789\n")  # 16 bytes
        assert ok == b"jumlah karakter: 9"
        [too_long] = check_row(srv, b"length 1234567890\n")  # 17 bytes
        assert too_long.startswith(b"ERR line_too_long")
        assert "Traceback" not in srv.stderr()


# -- malformed JSON, unknown handler, missing or non-string text ------------------------------
@pytest.mark.parametrize(
    "line",
    [
        b"{",
        b"{bad",
        b'{"text": "1"',
        b"{'text': '1'}",
        b'{"text": "1"} trailing',
        b'{"text": "1"}{"text": "2"}',
        b'{"text": "1", "id": NaN}',
        b'{"text": "1", "id": Infinity}',
        b'{"text": "1", "id": 1e999}',
        b'{"text": "1", "id": ' + b"9" * 5000 + b"}",
        b'{"a": ' + b"[" * 30000 + b"]" * 30000 + b"}",
        b'{"text": "\\x"}',
    ],
)
def test_malformed_json_is_invalid_json_and_the_connection_stays_open(server, line):
    [reply] = check_row(server, line + b"\n")
    value = json_error(reply)
    assert value["error"]["code"] == "invalid_json"
    assert "id" not in value


@pytest.mark.parametrize("handler", ["foo", "help", "PARITY", ""])
def test_unknown_handler_is_unknown_handler_and_the_connection_stays_open(server, handler):
    [reply] = check_row(server, json.dumps({"id": 4, "handler": handler, "text": "1"}).encode()
                        + b"\n")
    value = json_error(reply)
    assert value["error"]["code"] == "unknown_handler" and value["id"] == 4


@pytest.mark.parametrize(
    "request_object",
    [
        {"id": 5},
        {"id": 5, "handler": "length"},
        {"id": 5, "text": None},
        {"id": 5, "text": 42},
        {"id": 5, "text": ["a"]},
        {"id": 5, "text": {"a": 1}},
        {"id": 5, "handler": "parity", "text": True},
        {"id": 5, "handler": 7, "text": "1"},
        {"id": 5, "handler": None, "text": "1"},
        {"id": 5, "text": "1", "lang": "fr"},
    ],
)
def test_missing_or_non_string_text_is_invalid_request_and_the_connection_stays_open(
        server, request_object):
    [reply] = check_row(server, json.dumps(request_object).encode() + b"\n")
    value = json_error(reply)
    assert value["error"]["code"] == "invalid_request" and value["id"] == 5


@pytest.mark.parametrize("line", [b"[1, 2]", b'"text"', b"42.5"])
def test_json_that_is_not_an_object_but_starts_otherwise_is_plain_text(server, line):
    [reply] = check_row(server, line + b"\n")
    assert reply == f"jumlah karakter: {len(line)}".encode()


@pytest.mark.parametrize("line", [b'{"x": [1]} ', b"{}"])
def test_json_object_without_text_is_invalid_request(server, line):
    [reply] = check_row(server, line + b"\n")
    assert json_error(reply)["error"]["code"] == "invalid_request"


# -- an empty line ----------------------------------------------------------------------------
@pytest.mark.parametrize("line", [b"\n", b"\r\n"])
def test_empty_line_is_err_empty_with_a_usage_hint(server, line):
    [reply] = check_row(server, line)
    assert reply.startswith(b"ERR empty: "), reply
    assert b"parity" in reply and b"length" in reply  # the hint


def test_many_empty_lines_each_get_err_empty(server):
    replies = check_row(server, b"\n" * 50, count=50)
    assert all(r.startswith(b"ERR empty") for r in replies)


def test_empty_json_text_is_empty(server):
    [reply] = check_row(server, b'{"id": 6, "text": ""}\n')
    value = json_error(reply)
    assert value["error"]["code"] == "empty" and value["id"] == 6


def test_bad_input_left_no_traceback_on_stderr(server):
    err = server.stderr()
    assert "Traceback" not in err, err
    assert "internal error" not in err, err


# -- a client that stops reading --------------------------------------------------------------
def flood_without_reading(sock: socket.socket, stall: float = 0.5, limit: int = 64 * MIB
                          ) -> int:
    """Send requests (each with a long reply) and never read, until the server stops taking
    them for ``stall`` seconds. Returns the bytes sent."""
    data = memoryview(b"help\n" * (limit // 5))
    sock.setblocking(False)
    sent = 0
    last_progress = time.monotonic()
    try:
        while sent < len(data) and time.monotonic() - last_progress < stall:
            try:
                sent += sock.send(data[sent:sent + 256 * 1024])
                last_progress = time.monotonic()
            except BlockingIOError:
                select.select([], [sock], [], 0.05)
    finally:
        sock.setblocking(True)
    assert sent < len(data), "the server kept reading a client that never reads"
    return sent


def test_client_that_stops_reading_is_cut_off_after_send_timeout():
    send_timeout = 1.5
    with start_server("--quiet", "--send-timeout", str(send_timeout)) as srv:
        with open_conn(srv.tcp, rcvbuf=4096) as stuck:
            started = time.monotonic()
            flood_without_reading(stuck)
            stalled = time.monotonic()
            assert tcp_state(stuck) == TCP_ESTABLISHED
            assert_served(srv)  # meanwhile another client is served at once
            wait_until(lambda: tcp_state(stuck) != TCP_ESTABLISHED, send_timeout + 5)
            cut = time.monotonic()
            assert cut - started >= send_timeout * 0.9, cut - started
            assert cut - stalled <= send_timeout + 3.0, cut - stalled
        assert_served(srv)
        assert "Traceback" not in srv.stderr()


def test_client_that_reads_slowly_but_drains_is_not_cut_off():
    with start_server("--quiet", "--send-timeout", "1") as srv:
        with open_conn(srv.tcp, rcvbuf=4096) as slow:
            count = 20000
            slow.sendall(b"parity 2\n" * count)  # 500 KB of replies, read in small bites
            reply = b"angka 2 merupakan genap\n"
            got = 0
            slow.settimeout(5)
            while got < count * len(reply):
                chunk = slow.recv(4096)
                assert chunk, "cut off while still reading"
                got += len(chunk)
            assert_still_usable(slow)
        assert "Traceback" not in srv.stderr()


# -- a client that sends nothing --------------------------------------------------------------
@pytest.fixture(scope="module")
def idle_server():
    yield from checked_server("--quiet", "--idle-timeout", "1")


def test_client_that_sends_nothing_is_closed_after_idle_timeout(idle_server):
    with open_conn(idle_server.tcp) as silent:
        started = time.monotonic()
        assert_served(idle_server)
        assert read_until_closed(silent, timeout=5) == b""
        elapsed = time.monotonic() - started
        assert 0.9 <= elapsed <= 3.0, elapsed


def test_client_silent_after_a_request_is_closed_after_idle_timeout(idle_server):
    with open_conn(idle_server.tcp) as sock:
        sock.sendall(b"parity 7\n")
        assert read_lines(sock, 1) == [b"angka 7 merupakan ganjil"]
        started = time.monotonic()
        assert read_until_closed(sock, timeout=5) == b""
        assert time.monotonic() - started <= 3.0


def test_client_that_keeps_talking_is_not_closed_by_idle_timeout(idle_server):
    with open_conn(idle_server.tcp) as sock:
        started = time.monotonic()
        n = 0
        while time.monotonic() - started < 2.5:  # well past the 1 s idle timeout
            sock.sendall(f"parity {n}\n".encode())
            assert read_lines(sock, 1)[0].startswith(f"angka {n} ".encode())
            n += 1
            time.sleep(0.3)  # the pace is the behaviour under test


def test_many_silent_clients_do_not_delay_another(idle_server):
    silent = [open_conn(idle_server.tcp) for _ in range(50)]
    try:
        assert_served(idle_server)
        results: list[bytes] = []
        readers = [threading.Thread(target=lambda s=s: results.append(read_until_closed(s, 5)))
                   for s in silent]
        for t in readers:
            t.start()
        for t in readers:
            t.join(10)
        assert results == [b""] * len(silent)
    finally:
        for s in silent:
            s.close()


def test_encoded_surrogate_in_a_json_line_is_invalid_utf8(server):
    [reply] = check_row(server, b'{"id": 1, "handler": "length", "text": "\xed\xa0\x80"}\n')
    assert json_error(reply)["error"]["code"] == "invalid_utf8"


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-32-le"])
def test_json_line_in_another_encoding_is_not_json(server, encoding):
    line = '{"id": 1, "text": "42"}'.encode(encoding)
    [reply] = check_row(server, line + b"\n")
    assert json_error(reply)["error"]["code"] == "invalid_json"
