"""Reply lines in Indonesian and English."""

import json

from server import replies
from server.errors import HandlerError
from server.length import length
from server.parity import parity
from server.requests import NO_ID


def test_parity_messages_as_in_the_lab_sheet_and_in_english():
    assert replies.parity_message(parity("42"), "id") == "angka 42 merupakan genap"
    assert replies.parity_message(parity("-7"), "id") == "angka -7 merupakan ganjil"
    assert replies.parity_message(parity("42"), "en") == "42 is even"
    assert replies.parity_message(parity("-7"), "en") == "-7 is odd"


def test_length_messages():
    assert replies.length_message(length("halo dunia"), "id") == "jumlah karakter: 10"
    assert replies.length_message(length("halo dunia"), "en") == "10 characters"
    assert replies.length_message(length("a"), "en") == "1 character"


def test_a_very_long_number_is_abbreviated_in_the_echo():
    message = replies.parity_message(parity("1" * 1000 + "2"), "id")
    assert message.startswith("angka 1111") and message.endswith("2 merupakan genap")
    assert "…" in message and len(message) < 100


def test_every_error_code_has_words_in_both_languages():
    from server.errors import ERROR_CODES
    for code in ERROR_CODES:
        for lang in ("id", "en"):
            assert code in replies.ERROR_TEXT[lang]
            line = replies.plain_error(HandlerError(code, "x"), lang, 100)
            assert line.startswith(f"ERR {code}: ".encode()) and line.endswith(b"\n")
            assert line.count(b"\n") == 1


def test_echoed_text_never_breaks_the_line():
    line = replies.plain_error(HandlerError("not_an_integer", "a\nb\rc"), "en", 100)
    assert line.count(b"\n") == 1


def test_json_replies_echo_the_id_and_omit_an_absent_one():
    ok = json.loads(replies.json_ok(7, "parity", {"parity": "even", "digits": 2}, "m"))
    assert ok == {"id": 7, "ok": True, "handler": "parity",
                  "result": {"parity": "even", "digits": 2}, "message": "m"}
    error = json.loads(replies.json_error(NO_ID, HandlerError("empty"), "en", 100))
    assert "id" not in error and error["ok"] is False and error["error"]["code"] == "empty"


def test_json_reply_with_a_lone_surrogate_is_still_valid_utf8_json():
    line = replies.json_error(1, HandlerError("not_an_integer", "\ud800"), "en", 100)
    line.decode("utf-8")
    assert json.loads(line)["error"]["code"] == "not_an_integer"


def test_a_cr_in_an_echoed_request_is_escaped_once():
    """JSON string quoting escapes a CR itself; escaping it before too showed ``\\\\r``."""
    error = HandlerError("not_an_integer", "1\r2")
    expected = b'ERR not_an_integer: "1\\r2" is not an integer\n'
    assert replies.plain_error(error, "en", 100) == expected
    reply = json.loads(replies.json_error(NO_ID, error, "en", 100))
    assert reply["error"]["message"] == '"1\\r2" is not an integer'
