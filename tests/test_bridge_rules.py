"""The bridge's sans-I/O rules: which message becomes which request line, and the Origin."""

import json

import pytest

from server.bridge import Rejection, binary_rejection, message_to_line, reply_end
from server.web_app import origin_allowed


@pytest.mark.parametrize(("message", "line"), [
    ("parity 42", b"parity 42\n"),
    ("parity 42\n", b"parity 42\n"),
    ("parity 42\r\n", b"parity 42\n"),
    ("", b"\n"),
    ("héllo", "héllo\n".encode()),
])
def test_a_message_is_one_request_line(message, line):
    assert message_to_line(message, 100, "en") == line


@pytest.mark.parametrize("message", ["a\nb", "a\rb", "a\n\n", "a\r", "\n\n"])
def test_another_line_break_is_refused_never_split(message):
    outcome = message_to_line(message, 100, "en")
    assert isinstance(outcome, Rejection) and outcome.code == "invalid_request"
    assert outcome.reply.startswith("ERR invalid_request: ")


def test_a_json_message_gets_a_json_error_with_its_id():
    outcome = message_to_line('{"id": 4, "text": "a\nb", "lang": "en"}', 100, "id")
    body = json.loads(outcome.reply)
    assert body["id"] == 4 and body["error"]["code"] == "invalid_request"
    assert "line break" in body["error"]["message"]


def test_over_the_line_limit_in_utf8_bytes():
    assert message_to_line("é" * 50, 100, "en") == "é".encode() * 50 + b"\n"
    outcome = message_to_line("é" * 51, 100, "en")
    assert isinstance(outcome, Rejection) and outcome.code == "line_too_long"


def test_binary_is_refused_with_a_reason():
    assert "binary" in binary_rejection(100, "en").reply


def test_reply_end_keeps_the_exact_wire_bytes():
    assert reply_end(b"ok\r", "lf") == (b"ok", "crlf", b"ok\r\n")
    assert reply_end(b"ok", "lf") == (b"ok", "lf", b"ok\n")
    assert reply_end(b"angka 4 merupakan genap", "close") == (
        b"angka 4 merupakan genap", "close", b"angka 4 merupakan genap")


@pytest.mark.parametrize(("origin", "host", "allowed", "ok"), [
    (None, "127.0.0.1:8080", (), True),
    ("http://127.0.0.1:8080", "127.0.0.1:8080", (), True),
    ("https://play.example:443", "play.example:443", (), True),
    ("http://evil.example", "127.0.0.1:8080", (), False),
    ("http://127.0.0.1:9999", "127.0.0.1:8080", (), False),
    ("http://evil.example", "127.0.0.1:8080", ("http://evil.example",), True),
    ("http://evil.example", "127.0.0.1:8080", ("*",), True),
    ("null", "127.0.0.1:8080", (), False),
])
def test_origin_check(origin, host, allowed, ok):
    assert origin_allowed(origin, host, allowed) is ok


def test_text_frames_are_rfc6455_server_frames():
    from server.bridge import text_frames
    assert text_frames([b"ok"]) == b"\x81\x02ok"
    assert text_frames([b"a", b""]) == b"\x81\x01a\x81\x00"
    assert text_frames([b"x" * 126])[:4] == b"\x81\x7e\x00\x7e"
    assert text_frames([b"x" * 65536])[:10] == b"\x81\x7f" + (65536).to_bytes(8, "big")


# -- issue 13: refusals that echo an id must still be valid JSON ------------------------------
@pytest.mark.parametrize("bad_id", ["NaN", "Infinity", "-Infinity", "[" * 980 + "]" * 980])
def test_a_refusal_never_echoes_an_id_that_is_not_json(bad_id):
    message = '{"id": ' + bad_id + ', "text": "a\\nb"}'.replace("\\n", "\n")
    outcome = message_to_line(message, 100, "en")
    assert isinstance(outcome, Rejection)
    reply = json.loads(outcome.reply, parse_constant=lambda name: pytest.fail(name))
    assert "id" not in reply and reply["error"]["code"] == "invalid_request"
