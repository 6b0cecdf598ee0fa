"""The TCP service over real sockets: every request form and reply, pipelining, CRLF, the idle
flush, half-close, a million-digit number, ``--single`` and many clients at once.

Each server is ``python -m server`` on free ports (tests/support.py), as a user runs it.
"""

from __future__ import annotations

import json
import signal
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support import ask, checked_server, open_conn, read_lines, start_server

pytestmark = pytest.mark.timeout(60)


# -- helpers ----------------------------------------------------------------------------------
def read_until_closed(sock: socket.socket, timeout: float = 5.0) -> bytes:
    sock.settimeout(timeout)
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk


def assert_silent(sock: socket.socket, seconds: float) -> None:
    """Nothing arrives on ``sock`` for ``seconds`` (the connection stays open)."""
    sock.settimeout(seconds)
    try:
        data = sock.recv(65536)
    except TimeoutError:
        return
    raise AssertionError(f"expected no reply yet, got {data!r}")


def ask_json(address: tuple[str, int], request: dict | bytes) -> dict:
    line = request if isinstance(request, bytes) else json.dumps(request).encode()
    return json.loads(ask(address, line + b"\n"))


def assert_no_traceback(server) -> None:
    err = server.stderr()
    assert "Traceback" not in err, err


def answered_conn(server, request: bytes, reply: bytes) -> socket.socket:
    """A new connection on which ``request`` got ``reply`` (an unterminated request: through
    the idle flush; under ``--single``: the connection now holds the turn)."""
    sock = open_conn(server.tcp)
    sock.sendall(request)
    assert read_lines(sock, 1) == [reply]
    return sock


# -- servers ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def server():
    yield from checked_server("--quiet")


@pytest.fixture(scope="module")
def server_en():
    yield from checked_server("--quiet", "--lang", "en")


# -- plain request forms ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("request_line", "reply"),
    [
        (b"parity 42", b"angka 42 merupakan genap"),
        (b"parity -7", b"angka -7 merupakan ganjil"),
        (b"parity +8", b"angka +8 merupakan genap"),
        (b"parity 0", b"angka 0 merupakan genap"),
        (b"parity -0", b"angka -0 merupakan genap"),
        (b"parity   13  ", b"angka 13 merupakan ganjil"),
        (b"parity ", b"ERR not_an_integer"),
        (b"parity  \t ", b"ERR not_an_integer"),
        (b"parity 98765432109876543210987654321", b"angka 98765432109876543210987654321 "
                                                  b"merupakan ganjil"),
        (b"length halo dunia", b"jumlah karakter: 10"),
        (b"length  two", b"jumlah karakter: 4"),  # everything after the first space, verbatim
        (b"length", b"jumlah karakter: 0"),
        (b"length ", b"jumlah karakter: 0"),
        ("length héllo".encode(), b"jumlah karakter: 5"),
        (b"42", b"angka 42 merupakan genap"),
        (b"  -3 ", b"angka -3 merupakan ganjil"),
        (b"halo", b"jumlah karakter: 4"),
        (b"halo dunia", b"jumlah karakter: 10"),
        (b"   ", b"jumlah karakter: 3"),  # a line of blanks is text, not an empty line
        (b"[1, 2]", b"jumlah karakter: 6"),  # not JSON: does not start with {
        (b"PARITY 3", b"angka 3 merupakan ganjil"),
        (b"Length abc", b"jumlah karakter: 3"),
        (b"LeNgTh abc", b"jumlah karakter: 3"),
    ],
)
def test_plain_request_gets_the_lab_sheets_reply(server, request_line, reply):
    got = ask(server.tcp, request_line + b"\n")
    if reply.startswith(b"ERR "):
        assert got.startswith(reply + b":"), got
    else:
        assert got == reply


@pytest.mark.parametrize("request_line", [b"parity", b"parity abc", b"parity 4.2", b"parity 1e3",
                                          b"parity 0x10", b"parity - 1", b"parity 1 2",
                                          "parity ٣".encode(), "parity １".encode()])
def test_parity_of_a_non_integer_is_err_not_an_integer_with_an_explanation(server, request_line):
    got = ask(server.tcp, request_line + b"\n")
    assert got.startswith(b"ERR not_an_integer: "), got
    assert len(got) > len(b"ERR not_an_integer: ")  # a short human explanation follows


@pytest.mark.parametrize("request_line", [b"help", b"HELP", b"help me"])
def test_help_is_one_line_of_usage(server, request_line):
    got = ask(server.tcp, request_line + b"\n")
    assert b"parity" in got and b"length" in got, got


def test_plain_replies_in_english_with_lang_en(server_en):
    assert ask(server_en.tcp, b"parity 42\n") == b"42 is even"
    assert ask(server_en.tcp, b"parity -7\n") == b"-7 is odd"
    assert ask(server_en.tcp, b"length halo dunia\n") == b"10 characters"
    assert ask(server_en.tcp, b"42\n") == b"42 is even"
    assert ask(server_en.tcp, b"hello\n") == b"5 characters"
    assert ask(server_en.tcp, b"help\n").startswith(b"usage")
    err = ask(server_en.tcp, b"parity abc\n")
    assert err.startswith(b"ERR not_an_integer: ") and b"integer" in err, err
    assert ask(server_en.tcp, b"\n").startswith(b"ERR empty: ")


def test_default_parity_sends_a_bare_line_to_parity():
    with start_server("--quiet", "--default", "parity") as srv:
        assert ask(srv.tcp, b"42\n") == b"angka 42 merupakan genap"
        assert ask(srv.tcp, b"halo\n").startswith(b"ERR not_an_integer")
        # command words still choose their handler
        assert ask(srv.tcp, b"length halo\n") == b"jumlah karakter: 4"
        assert ask_json(srv.tcp, {"text": "halo"})["handler"] == "length"  # JSON auto is auto
        assert_no_traceback(srv)


def test_default_length_sends_a_bare_line_to_length():
    with start_server("--quiet", "--default", "length") as srv:
        assert ask(srv.tcp, b"42\n") == b"jumlah karakter: 2"
        assert ask(srv.tcp, b"halo dunia\n") == b"jumlah karakter: 10"
        assert ask(srv.tcp, b"parity 42\n") == b"angka 42 merupakan genap"
        assert_no_traceback(srv)


# -- JSON requests ----------------------------------------------------------------------------
def test_json_examples_of_the_contract(server):
    assert ask_json(server.tcp, {"id": 7, "handler": "length", "text": "héllo"}) == {
        "id": 7, "ok": True, "handler": "length",
        "result": {"characters": 5, "bytes": 6, "graphemes": 5},
        "message": "jumlah karakter: 5"}
    assert ask_json(server.tcp, {"id": 8, "handler": "parity", "text": "42"}) == {
        "id": 8, "ok": True, "handler": "parity", "result": {"parity": "even", "digits": 2},
        "message": "angka 42 merupakan genap"}
    reply = ask_json(server.tcp, {"id": 9, "handler": "parity", "text": "abc"})
    assert reply["id"] == 9 and reply["ok"] is False
    assert reply["error"]["code"] == "not_an_integer" and reply["error"]["message"]


def test_json_reply_is_one_line_of_exactly_one_object(server):
    raw = ask(server.tcp, b'{"id": 1, "handler": "length", "text": "a\\nb\\r\\nc"}\n')
    reply = json.loads(raw)
    assert reply["result"]["characters"] == 6


@pytest.mark.parametrize("request_id", [0, -1, 2**70, 1.5, "abc", "", None, True, [1, "x"],
                                        {"nested": {"k": [None]}}])
def test_json_id_is_echoed_as_given(server, request_id):
    reply = ask_json(server.tcp, {"id": request_id, "handler": "parity", "text": "3"})
    assert "id" in reply and reply["id"] == request_id
    assert type(reply["id"]) is type(request_id)
    error = ask_json(server.tcp, {"id": request_id, "handler": "parity", "text": "x"})
    assert error["id"] == request_id and error["ok"] is False


def test_json_without_id_gets_a_reply_without_id(server):
    reply = ask_json(server.tcp, {"handler": "parity", "text": "3"})
    assert "id" not in reply and reply["ok"] is True
    error = ask_json(server.tcp, {"handler": "parity", "text": "three"})
    assert "id" not in error and error["ok"] is False


@pytest.mark.parametrize(
    ("json_request", "handler", "result"),
    [
        ({"text": "parity 10"}, "parity", {"parity": "even", "digits": 2}),
        ({"text": "halo"}, "length", {"characters": 4, "bytes": 4, "graphemes": 4}),
        ({"text": "-77"}, "parity", {"parity": "odd", "digits": 2}),
        ({"handler": "auto", "text": "length abc"}, "length",
         {"characters": 3, "bytes": 3, "graphemes": 3}),
        ({"handler": "auto", "text": "12"}, "parity", {"parity": "even", "digits": 2}),
        ({"handler": "auto", "text": '{"text": "1"}'}, "length",
         {"characters": 13, "bytes": 13, "graphemes": 13}),
        # parity and length take text verbatim: no command word inside it
        ({"handler": "length", "text": "parity 10"}, "length",
         {"characters": 9, "bytes": 9, "graphemes": 9}),
        ({"handler": "length", "text": ""}, "length",
         {"characters": 0, "bytes": 0, "graphemes": 0}),
        ({"handler": "parity", "text": " +5 "}, "parity", {"parity": "odd", "digits": 1}),
    ],
)
def test_json_handler_in_the_reply_is_the_one_that_ran(server, json_request, handler, result):
    reply = ask_json(server.tcp, json_request)
    assert reply["ok"] is True, reply
    assert reply["handler"] == handler
    assert reply["result"] == result


def test_json_parity_of_command_text_is_not_an_integer(server):
    reply = ask_json(server.tcp, {"handler": "parity", "text": "parity 10"})
    assert reply["ok"] is False and reply["error"]["code"] == "not_an_integer"


@pytest.mark.parametrize(
    ("text", "characters", "utf8_bytes", "graphemes"),
    [
        ("héllo", 5, 6, 5),
        ("e\u0301", 2, 3, 1),  # e + combining acute: one perceived character
        ("👨‍👩‍👧", 5, 18, 1),  # family emoji: 3 people joined by 2 ZWJ
        ("🇮🇩", 2, 8, 1),  # flag of Indonesia: two regional indicators
        ("a\r\nb", 4, 4, 3),  # CR LF is one grapheme cluster
        ("日本語", 3, 9, 3),
    ],
)
def test_length_counts_characters_bytes_and_graphemes(server, text, characters, utf8_bytes,
                                                      graphemes):
    reply = ask_json(server.tcp, {"handler": "length", "text": text})
    assert reply["result"] == {"characters": characters, "bytes": utf8_bytes,
                               "graphemes": graphemes}
    assert reply["message"] == f"jumlah karakter: {characters}"
    if "\r" not in text and "\n" not in text:
        assert ask(server.tcp, b"length " + text.encode() + b"\n") == (
            f"jumlah karakter: {characters}".encode())


def test_json_lang_chooses_the_language_of_one_request(server, server_en):
    en = ask_json(server.tcp, {"id": 1, "handler": "parity", "text": "42", "lang": "en"})
    assert en["message"] == "42 is even"
    idn = ask_json(server_en.tcp, {"id": 2, "handler": "parity", "text": "42", "lang": "id"})
    assert idn["message"] == "angka 42 merupakan genap"
    assert ask_json(server_en.tcp, {"handler": "length", "text": "halo dunia"})["message"] == (
        "10 characters")
    # the next plain request is in the server's language again
    assert ask(server.tcp, b"parity 42\n") == b"angka 42 merupakan genap"


def test_json_request_may_start_after_blanks_and_end_in_crlf(server):
    assert ask_json(server.tcp, b'  \t{"id": 3, "text": "7"}\r')["handler"] == "parity"


# -- pipelining, CRLF -------------------------------------------------------------------------
def expected_parity(n: int) -> bytes:
    return f"angka {n} merupakan {'genap' if n % 2 == 0 else 'ganjil'}".encode()


def test_many_pipelined_lines_in_one_send_are_answered_in_order(server):
    count = 2000
    requests = b"".join(f"parity {n}\n".encode() for n in range(count))
    with open_conn(server.tcp) as sock:
        sock.sendall(requests)
        replies = read_lines(sock, count, timeout=10)
    assert replies == [expected_parity(n) for n in range(count)]


def test_pipelined_mixed_forms_are_answered_in_order(server):
    lines = [b"parity 1", b"length abc", b'{"id": "j", "text": "4"}', b"", b"parity x",
             b"halo", b"help", b"\xff", b'{"id": 5, "handler": "length", "text": ""}', b"6"]
    with open_conn(server.tcp) as sock:
        sock.sendall(b"\n".join(lines) + b"\n")
        replies = read_lines(sock, len(lines))
    assert replies[0] == b"angka 1 merupakan ganjil"
    assert replies[1] == b"jumlah karakter: 3"
    assert json.loads(replies[2])["id"] == "j"
    assert replies[3].startswith(b"ERR empty")
    assert replies[4].startswith(b"ERR not_an_integer")
    assert replies[5] == b"jumlah karakter: 4"
    assert replies[6].startswith(b"pakai")
    assert replies[7].startswith(b"ERR invalid_utf8")
    assert json.loads(replies[8])["result"]["characters"] == 0
    assert replies[9] == b"angka 6 merupakan genap"


def test_requests_split_across_many_sends_are_reassembled(server):
    with open_conn(server.tcp) as sock:
        for byte in b"parity 1234\nlength ab":
            sock.sendall(bytes([byte]))
        sock.sendall(b"cd\n")
        assert read_lines(sock, 2) == [b"angka 1234 merupakan genap", b"jumlah karakter: 4"]


def test_crlf_ends_a_request_and_is_not_counted(server):
    with open_conn(server.tcp) as sock:
        sock.sendall(b"parity 42\r\nlength abc\r\nlength abc\n\r\nhalo\r\n")
        assert read_lines(sock, 5) == [
            b"angka 42 merupakan genap", b"jumlah karakter: 3", b"jumlah karakter: 3",
            b"ERR empty: baris kosong; coba: parity 42, length halo, atau help",
            b"jumlah karakter: 4"]


def test_crlf_split_between_two_sends_is_one_line_ending(server):
    with open_conn(server.tcp) as sock:
        sock.sendall(b"length abc\r")
        sock.sendall(b"\nparity 1\n")
        assert read_lines(sock, 2) == [b"jumlah karakter: 3", b"angka 1 merupakan ganjil"]


def test_replies_end_in_lf_only(server):
    with open_conn(server.tcp) as sock:
        sock.sendall(b"parity 2\r\n")
        sock.settimeout(5)
        data = b""
        while not data.endswith(b"\n"):
            data += sock.recv(100)
        assert data == b"angka 2 merupakan genap\n"


# -- unterminated requests: idle flush and half-close -----------------------------------------
def test_unterminated_request_is_answered_after_idle_pause(server):
    with open_conn(server.tcp) as sock:
        started = time.monotonic()
        sock.sendall(b"parity 42")
        assert read_lines(sock, 1) == [b"angka 42 merupakan genap"]
        assert time.monotonic() - started < 1.0  # tens of milliseconds, generously bounded


def test_lone_lf_after_an_idle_flushed_request_gives_no_extra_reply(server):
    with answered_conn(server, b"parity 42", b"angka 42 merupakan genap") as sock:
        sock.sendall(b"\n")  # the late line ending of the request already answered
        sock.sendall(b"parity 3\n")
        assert read_lines(sock, 1) == [b"angka 3 merupakan ganjil"]


def test_lone_crlf_after_an_idle_flushed_request_gives_no_extra_reply(server):
    with answered_conn(server, b"length abc", b"jumlah karakter: 3") as sock:
        sock.sendall(b"\r\nparity 5\n")
        assert read_lines(sock, 1) == [b"angka 5 merupakan ganjil"]


def test_unterminated_cr_is_a_line_ending_for_the_idle_flush(server):
    # the LF is still on its way; CR is not counted
    with answered_conn(server, b"length abc\r", b"jumlah karakter: 3") as sock:
        sock.sendall(b"\nparity 8\n")
        assert read_lines(sock, 1) == [b"angka 8 merupakan genap"]


def test_second_empty_line_after_idle_flush_is_still_err_empty(server):
    with answered_conn(server, b"parity 42", b"angka 42 merupakan genap") as sock:
        sock.sendall(b"\n\n")  # the first LF ends the flushed line, the second is empty
        assert read_lines(sock, 1)[0].startswith(b"ERR empty")


def test_pipelined_lines_then_unterminated_tail_are_all_answered(server):
    with open_conn(server.tcp) as sock:
        sock.sendall(b"parity 1\nparity 2\nparity 3")
        assert read_lines(sock, 3) == [expected_parity(1), expected_parity(2),
                                       expected_parity(3)]


def test_idle_flush_pause_is_configurable():
    with start_server("--quiet", "--idle-flush-ms", "600") as srv, open_conn(srv.tcp) as sock:
        started = time.monotonic()
        sock.sendall(b"parity 9")
        assert_silent(sock, 0.3)
        assert read_lines(sock, 1) == [b"angka 9 merupakan ganjil"]
        assert time.monotonic() - started >= 0.55
        # parts of one line sent closer together than the pause stay one request
        sock.sendall(b"length ab")
        sock.sendall(b"cd\n")
        assert read_lines(sock, 1) == [b"jumlah karakter: 4"]
        assert_no_traceback(srv)


@pytest.fixture(scope="module")
def slow_flush_server():
    """The idle flush is far away: what answers an unterminated request here is the half-close."""
    yield from checked_server("--quiet", "--idle-flush-ms", "30000")


def test_half_close_answers_the_pending_unterminated_request(slow_flush_server):
    with open_conn(slow_flush_server.tcp) as sock:
        started = time.monotonic()
        sock.sendall(b"parity 5")
        sock.shutdown(socket.SHUT_WR)
        assert read_until_closed(sock) == b"angka 5 merupakan ganjil\n"
        assert time.monotonic() - started < 2.0


def test_half_close_answers_everything_pipelined_then_closes(slow_flush_server):
    with open_conn(slow_flush_server.tcp) as sock:
        sock.sendall(b"parity 1\nlength halo\n{\"id\": 1, \"text\": \"2\"}\nparity 4")
        sock.shutdown(socket.SHUT_WR)
        lines = read_until_closed(sock).split(b"\n")
    assert lines[:2] == [b"angka 1 merupakan ganjil", b"jumlah karakter: 4"]
    assert json.loads(lines[2])["result"]["parity"] == "even"
    assert lines[3:] == [b"angka 4 merupakan genap", b""]


def test_half_close_after_complete_lines_adds_no_reply(slow_flush_server):
    with open_conn(slow_flush_server.tcp) as sock:
        sock.sendall(b"parity 1\n")
        sock.shutdown(socket.SHUT_WR)
        assert read_until_closed(sock) == b"angka 1 merupakan ganjil\n"


def test_half_close_with_nothing_sent_closes_without_reply(slow_flush_server):
    with open_conn(slow_flush_server.tcp) as sock:
        sock.shutdown(socket.SHUT_WR)
        assert read_until_closed(sock) == b""


def test_unterminated_request_is_not_answered_before_the_pause(slow_flush_server):
    with open_conn(slow_flush_server.tcp) as sock:
        sock.sendall(b"parity 5")
        assert_silent(sock, 0.3)
        sock.sendall(b"1\n")
        assert read_lines(sock, 1) == [b"angka 51 merupakan ganjil"]


# -- a million digits -------------------------------------------------------------------------
def test_million_digit_number_is_answered_with_raised_max_line():
    digits = "1" * 999_999 + "8"
    with start_server("--quiet", "--max-line", "2000000") as srv, open_conn(srv.tcp) as sock:
        started = time.monotonic()
        sock.sendall(b"parity " + digits.encode() + b"\n")
        [reply] = read_lines(sock, 1, timeout=10)
        assert time.monotonic() - started < 5.0
        assert reply.startswith(b"angka 1") and reply.endswith(b"8 merupakan genap"), reply[:100]
        assert len(reply) < 1000  # the echo may be abbreviated
        sock.sendall(json.dumps({"id": 1, "handler": "parity", "text": "-" + digits[:-1] + "3"})
                     .encode() + b"\n")
        reply = json.loads(read_lines(sock, 1, timeout=10)[0])
        assert reply["result"] == {"parity": "odd", "digits": 1_000_000}
        sock.sendall(digits.encode() + b"\n")  # auto: an integer, so parity
        assert read_lines(sock, 1, timeout=10)[0].endswith(b"merupakan genap")
        assert time.monotonic() - started < 10.0
        assert_no_traceback(srv)


def test_million_digit_number_is_over_the_default_line_limit(server):
    with open_conn(server.tcp) as sock:
        sock.sendall(b"parity " + b"7" * 1_000_000 + b"\nparity 7\n")
        replies = read_lines(sock, 2, timeout=10)
    assert replies[0].startswith(b"ERR line_too_long")
    assert replies[1] == b"angka 7 merupakan ganjil"


# -- --single ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def single_server():
    """One connection at a time; the served one keeps its turn (turn-idle far away)."""
    yield from checked_server("--quiet", "--single", "--turn-idle", "60")


def test_single_second_connection_waits_until_the_first_closes(single_server):
    first = answered_conn(single_server, b"parity 1\n", b"angka 1 merupakan ganjil")
    with open_conn(single_server.tcp) as second:
        second.sendall(b"parity 2\n")
        assert_silent(second, 0.5)
        first.sendall(b"parity 3\n")  # the served one is still answered meanwhile
        assert read_lines(first, 1) == [b"angka 3 merupakan ganjil"]
        first.close()
        started = time.monotonic()
        assert read_lines(second, 1) == [b"angka 2 merupakan genap"]
        assert time.monotonic() - started < 2.0
        second.sendall(b"parity 4\n")
        assert read_lines(second, 1) == [b"angka 4 merupakan genap"]


def test_single_waiting_connections_are_served_in_arrival_order(single_server):
    first = answered_conn(single_server, b"parity 10\n", expected_parity(10))
    waiting = []
    for n in (11, 12, 13):
        sock = open_conn(single_server.tcp)
        sock.sendall(f"parity {n}\n".encode())
        waiting.append((n, sock))
    for _, sock in waiting:
        assert_silent(sock, 0.2)
    first.close()
    for index, (n, sock) in enumerate(waiting):
        assert read_lines(sock, 1) == [expected_parity(n)]
        for _, later in waiting[index + 1:]:
            assert_silent(later, 0.2)
        sock.close()


def test_single_half_close_of_a_waiting_client_is_answered_in_its_turn(single_server):
    first = answered_conn(single_server, b"parity 1\n", b"angka 1 merupakan ganjil")
    with open_conn(single_server.tcp) as second:
        second.sendall(b"parity 22\nparity 23")
        second.shutdown(socket.SHUT_WR)
        assert_silent(second, 0.3)
        first.close()
        assert read_until_closed(second) == (
            b"angka 22 merupakan genap\nangka 23 merupakan ganjil\n")


def test_single_idle_connection_passes_its_turn_after_turn_idle():
    with start_server("--quiet", "--single", "--turn-idle", "0.5") as srv:
        # served first, then sends nothing
        idle = answered_conn(srv, b"parity 1\n", b"angka 1 merupakan ganjil")
        last_read = time.monotonic()
        with open_conn(srv.tcp) as other:
            other.sendall(b"parity 2\n")
            assert read_lines(other, 1, timeout=5) == [b"angka 2 merupakan genap"]
            waited = time.monotonic() - last_read
            assert 0.4 <= waited < 3.0, waited
            # the idle one now waits at the back; it is answered when the turn comes back
            idle.sendall(b"parity 3\n")
            assert read_lines(idle, 1, timeout=5) == [b"angka 3 merupakan ganjil"]
        idle.close()
        assert_no_traceback(srv)


def test_without_single_a_second_connection_is_served_at_once(server):
    with open_conn(server.tcp) as first, open_conn(server.tcp) as second:
        first.sendall(b"parity 1\n")
        assert read_lines(first, 1) == [b"angka 1 merupakan ganjil"]
        second.sendall(b"parity 2\n")
        assert read_lines(second, 1, timeout=1) == [b"angka 2 merupakan genap"]


# -- many clients -----------------------------------------------------------------------------
def test_many_clients_at_once_each_get_their_own_replies_in_order(server):
    clients, per_client = 150, 20

    def one_client(index: int) -> None:
        numbers = [index * 1000 + k for k in range(per_client)]
        with open_conn(server.tcp, timeout=20) as sock:
            sock.sendall(b"".join(f"parity {n}\n".encode() for n in numbers[:10]))
            sock.sendall(b"".join(f"{n}\n".encode() for n in numbers[10:]))
            got = read_lines(sock, per_client, timeout=20)
        assert got == [expected_parity(n) for n in numbers]

    with ThreadPoolExecutor(max_workers=clients) as pool:
        for future in [pool.submit(one_client, i) for i in range(clients)]:
            future.result()


def test_late_crlf_split_across_two_sends_after_idle_flush_gives_no_extra_reply(server):
    with answered_conn(server, b"parity 42", b"angka 42 merupakan genap") as sock:
        sock.sendall(b"\r")
        sock.sendall(b"\n")
        sock.sendall(b"parity 3\n")
        assert read_lines(sock, 1) == [b"angka 3 merupakan ganjil"]


def test_late_cr_after_idle_flush_is_not_a_request_of_its_own(server):
    with answered_conn(server, b"parity 42", b"angka 42 merupakan genap") as sock:
        sock.sendall(b"\r")
        assert_silent(sock, 0.3)


def test_request_split_across_sigterm_is_answered_once_as_a_whole():
    srv = start_server("--quiet")
    try:
        with open_conn(srv.tcp) as sock:
            sock.sendall(b"parity 12")
            srv.proc.send_signal(signal.SIGTERM)
            time.sleep(0.02)  # well under the idle flush: still one request
            sock.sendall(b"34\n")
            assert read_until_closed(sock) == b"angka 1234 merupakan genap\n"
    finally:
        assert srv.terminate() == 0
