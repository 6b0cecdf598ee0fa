"""Request parsing: command words, the default handler, JSON requests."""

import json

import pytest

from server.requests import NO_ID, RequestError, parse_request


def parsed(line: bytes, default: str = "auto"):
    r = parse_request(line, default)
    return r.handler, r.text


@pytest.mark.parametrize(("line", "handler", "text"), [
    (b"parity 42", "parity", "42"),
    (b"PARITY 42", "parity", "42"),
    (b"Length halo dunia", "length", "halo dunia"),
    (b"length  two spaces", "length", " two spaces"),  # everything after the first space
    (b"length", "length", ""),
    (b"parity", "parity", ""),
    (b"help", "help", ""),
    (b"42", "parity", "42"),
    (b" -7 ", "parity", " -7 "),
    (b"halo", "length", "halo"),
    (b"   ", "length", "   "),  # a line of blanks is text like any other
    (b"parityx 4", "length", "parityx 4"),
    (b" parity 4", "length", " parity 4"),  # a command word starts the line
])
def test_plain_lines(line, handler, text):
    assert parsed(line) == (handler, text)


@pytest.mark.parametrize(("default", "handler"), [("parity", "parity"), ("length", "length")])
def test_default_handler_option(default, handler):
    assert parsed(b"42", default) == (handler, "42")
    assert parsed(b"parity 4", default) == ("parity", "4")  # a command word still wins


def error_of(line: bytes) -> RequestError:
    with pytest.raises(RequestError) as info:
        parse_request(line)
    return info.value


def test_only_a_truly_empty_line_is_empty():
    e = error_of(b"")
    assert (e.error.code, e.is_json) == ("empty", False)


def test_invalid_utf8():
    e = error_of(b"length \xff")
    assert e.error.code == "invalid_utf8"


def test_json_request_fields():
    r = parse_request('{"id": 7, "handler": "length", "text": "héllo", "lang": "en"}'.encode())
    assert (r.handler, r.text, r.id, r.lang, r.is_json) == ("length", "héllo", 7, "en", True)


def test_json_id_is_kept_as_any_value_and_absent_stays_absent():
    assert parse_request(b'{"id": {"a": [1]}, "text": "x"}').id == {"a": [1]}
    assert parse_request(b'{"id": null, "text": "x"}').id is None
    assert parse_request(b'{"text": "x"}').id is NO_ID


@pytest.mark.parametrize(("line", "handler", "text"), [
    (b'{"text": "parity 10"}', "parity", "10"),
    (b'{"handler": "auto", "text": "halo"}', "length", "halo"),
    (b'{"text": "42"}', "parity", "42"),
    (b'{"handler": "length", "text": "parity 10"}', "length", "parity 10"),  # verbatim
    (b'{"handler": "parity", "text": " 4 "}', "parity", " 4 "),
    (b'{"text": "{\\"id\\": 1}"}', "length", '{"id": 1}'),  # nested JSON is just text
    (b'  {"text": "x"}', "length", "x"),  # first non-blank character
])
def test_json_handlers(line, handler, text):
    assert parsed(line) == (handler, text)


@pytest.mark.parametrize(("line", "code"), [
    (b"{", "invalid_json"),
    (b"{not json}", "invalid_json"),
    (b'{"text": "x"} trailing', "invalid_json"),
    (b'{"id": NaN, "text": "x"}', "invalid_json"),
    (b'{"id": 1e999, "text": "x"}', "invalid_json"),
    (b'{"id": 1' + b"0" * 5000 + b', "text": "x"}', "invalid_json"),
    (b"{" * 100_000, "invalid_json"),
    (b'{"text": "\xff"}', "invalid_utf8"),
    (b'{"handler": "shout", "text": "x"}', "unknown_handler"),
    (b'{"handler": 5, "text": "x"}', "invalid_request"),
    (b'{"handler": "parity"}', "invalid_request"),
    (b'{"text": 42}', "invalid_request"),
    (b'{"text": null}', "invalid_request"),
    (b'{"text": "x", "lang": "fr"}', "invalid_request"),
    (b'{"text": ""}', "empty"),
])
def test_json_errors(line, code):
    e = error_of(line)
    assert e.error.code == code
    assert e.is_json


def test_json_error_keeps_the_id_and_language_when_it_can():
    e = error_of(b'{"id": 9, "handler": "x", "text": "1", "lang": "en"}')
    assert (e.id, e.lang) == (9, "en")


@pytest.mark.parametrize(("line", "code"), [
    (b'{"id": 1, "handler": "length", "text": "\xed\xa0\x80"}', "invalid_utf8"),
    ('{"id": 1, "text": "42"}'.encode("utf-16-le"), "invalid_json"),
    ('{"id": 1, "text": "42"}'.encode("utf-32-le"), "invalid_json"),
    (b"{\x00}\x00", "invalid_json"),
])
def test_json_lines_are_strictly_utf8(line, code):
    assert error_of(line).error.code == code


# -- issue 13: JSON nested past any sensible depth ------------------------------------------
def test_a_request_nested_too_deeply_is_invalid_json_not_an_internal_error():
    """An id nested ~980 deep parses, but cannot be echoed: refused up front."""
    from server.protocol import ServiceSettings, answer

    deep = "[" * 980 + "]" * 980
    with pytest.raises(RequestError) as refused:
        parse_request(f'{{"id": {deep}, "text": "1"}}'.encode())
    assert refused.value.error.code == "invalid_json" and refused.value.id is NO_ID
    reply = answer(f'{{"id": {deep}, "text": "1"}}'.encode(), ServiceSettings())
    assert reply.outcome == "invalid_json" and "id" not in json.loads(reply.reply)
    ok = parse_request(('{"id": ' + "[" * 30 + "]" * 30 + ', "text": "1"}').encode())
    assert ok.id is not NO_ID  # a modest nesting is still echoed as given
