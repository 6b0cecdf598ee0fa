"""The service's side of a connection, sans-I/O: bytes in, replies out, in order."""

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from server.protocol import ServiceConnection, ServiceSettings, answer

SETTINGS = ServiceSettings()


def replies_to(data: bytes, settings: ServiceSettings = SETTINGS) -> list[bytes]:
    conn = ServiceConnection(settings)
    return [e.reply for e in conn.receive_data(data)]


def test_the_contract_examples():
    assert replies_to(b"parity 42\nparity -7\nlength halo dunia\n") == [
        b"angka 42 merupakan genap\n", b"angka -7 merupakan ganjil\n", b"jumlah karakter: 10\n"]
    en = ServiceSettings(lang="en")
    assert replies_to(b"parity 42\nparity -7\nlength halo dunia\n", en) == [
        b"42 is even\n", b"-7 is odd\n", b"10 characters\n"]


def test_json_examples_from_the_contract():
    (reply,) = replies_to('{"id": 7, "handler": "length", "text": "héllo"}\n'.encode())
    assert json.loads(reply) == {"id": 7, "ok": True, "handler": "length",
                                 "result": {"characters": 5, "bytes": 6, "graphemes": 5},
                                 "message": "jumlah karakter: 5"}
    (reply,) = replies_to(b'{"id": 8, "text": "42"}\n')
    assert json.loads(reply) == {"id": 8, "ok": True, "handler": "parity",
                                 "result": {"parity": "even", "digits": 2},
                                 "message": "angka 42 merupakan genap"}
    (reply,) = replies_to(b'{"id": 9, "handler": "parity", "text": "abc"}\n')
    body = json.loads(reply)
    assert body["id"] == 9 and body["ok"] is False
    assert body["error"]["code"] == "not_an_integer"


def test_json_lang_chooses_the_language_of_that_reply_only():
    out = replies_to(b'{"text": "parity 3", "lang": "en"}\nparity 3\n')
    assert json.loads(out[0])["message"] == "3 is odd"
    assert out[1] == b"angka 3 merupakan ganjil\n"


def test_errors_have_stable_codes():
    out = replies_to(b"parity abc\n\n\xff\n{x\n{\"handler\": \"y\", \"text\": \"1\"}\n")
    assert out[0].startswith(b"ERR not_an_integer: ")
    assert out[1].startswith(b"ERR empty: ")
    assert out[2].startswith(b"ERR invalid_utf8: ")
    assert json.loads(out[3])["error"]["code"] == "invalid_json"
    assert json.loads(out[4])["error"]["code"] == "unknown_handler"


def test_a_line_over_the_limit_is_answered_once_and_the_next_line_is_served():
    conn = ServiceConnection(ServiceSettings(max_line=10))
    first = conn.receive_data(b"x" * 50)
    assert [e.outcome for e in first] == ["line_too_long"]
    assert conn.receive_data(b"x" * 50) == []
    rest = conn.receive_data(b"tail\nparity 2\n")
    assert [e.reply for e in rest] == [b"angka 2 merupakan genap\n"]


def test_an_unterminated_request_is_answered_on_idle_and_on_eof():
    conn = ServiceConnection(SETTINGS)
    assert conn.receive_data(b"43") == []
    assert conn.has_partial
    assert [e.reply for e in conn.receive_idle()] == [b"angka 43 merupakan ganjil\n"]
    assert conn.receive_idle() == []
    conn.receive_data(b"length abc")
    assert [e.reply for e in conn.receive_eof()] == [b"jumlah karakter: 3\n"]


def test_help_is_one_line_of_usage():
    (reply,) = replies_to(b"help\n")
    assert reply.startswith(b"pakai: parity") and reply.count(b"\n") == 1
    (reply,) = replies_to(b'{"id": 1, "text": "help", "lang": "en"}\n')
    assert json.loads(reply)["result"]["usage"].startswith("usage:")


def test_a_million_digit_number_with_a_raised_limit():
    settings = ServiceSettings(max_line=2_000_000)
    (reply,) = replies_to(b"parity " + b"7" * 1_000_000 + b"\n", settings)
    assert reply.endswith(b" merupakan ganjil\n")
    (reply,) = replies_to(b"7" * 1_000_000 + b"\n")
    assert reply.startswith(b"ERR line_too_long")


def test_exchanges_carry_handler_and_outcome_for_metrics():
    conn = ServiceConnection(SETTINGS)
    got = [(e.handler, e.outcome) for e in conn.receive_data(b"4\nx\nparity y\n\n")]
    assert got == [("parity", "ok"), ("length", "ok"), ("parity", "not_an_integer"),
                   ("-", "empty")]


def test_a_bug_in_a_handler_still_gives_one_reply(monkeypatch):
    import server.protocol as protocol

    def broken(*_args):
        raise ZeroDivisionError
    monkeypatch.setattr(protocol, "answer", broken)
    conn = ServiceConnection(SETTINGS)
    (exchange,) = conn.receive_data(b"parity 1.5\n")  # an error: not the fast path's
    assert exchange.reply.startswith(b"ERR internal: ") and exchange.outcome == "internal"


def test_a_bug_in_the_fast_path_still_gives_the_general_paths_reply(monkeypatch):
    import server.fast_path as fast_path

    def broken(*_args):
        raise ZeroDivisionError
    conn = ServiceConnection(SETTINGS)
    monkeypatch.setattr(fast_path, "_length_reply", broken)  # used past the cached lengths
    long_text = b"length " + b"x" * 2000
    exchanges = conn.receive_data(b"parity 1\n" + long_text + b"\n")
    assert [e.reply for e in exchanges] == [answer(b"parity 1", SETTINGS).reply,
                                            answer(long_text, SETTINGS).reply]


def test_answer_never_raises_on_garbage():
    for line in (b"\x00", b"{\x00}", b"length \xed\xa0\x80", b"{\"text\": \"\\ud800\"}"):
        assert answer(line, SETTINGS).reply.endswith(b"\n")


lines = st.one_of(
    st.sampled_from([b"parity 42", b"length h\xc3\xa9llo", b"", b"{\"id\": 1, \"text\": \"9\"}",
                     b"{bad", b"\xff", b"help", b"x" * 30]),
    st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"")),
)


@settings(max_examples=200)
@given(st.lists(lines, max_size=20), st.lists(st.integers(min_value=0, max_value=2000),
                                              max_size=10))
def test_any_chunking_gives_the_same_replies_one_per_line(request_lines, cuts):
    settings_ = ServiceSettings(max_line=24)
    data = b"".join(line + b"\n" for line in request_lines)
    whole = replies_to(data, settings_)
    assert len(whole) == len(request_lines)
    points = sorted({c for c in cuts if c <= len(data)})
    conn = ServiceConnection(settings_)
    chunked = []
    for a, b in zip([0, *points], [*points, len(data)], strict=True):
        chunked.extend(e.reply for e in conn.receive_data(data[a:b]))
    assert chunked == whole
    assert all(r.endswith(b"\n") and r.count(b"\n") == 1 for r in whole)


def test_a_read_with_many_lines_can_be_answered_in_slices_in_order():
    conn = ServiceConnection(SETTINGS)
    data = b"".join(b"parity %d\n" % i for i in range(10))
    first = conn.receive_data(data, limit=4)
    assert len(first) == 4 and conn.backlog
    more = conn.receive_data(b"parity 10\nparity 1", limit=4)  # joins the backlog, in order
    assert len(more) == 4
    rest = conn.answer_backlog(100)
    assert not conn.backlog
    assert conn.receive_idle()[0].reply == b"angka 1 merupakan ganjil\n"
    replies = [e.reply for e in first + more + rest]
    assert replies == [b"angka %d merupakan %s\n" % (i, b"genap" if i % 2 == 0 else b"ganjil")
                       for i in range(11)]


def test_eof_answers_the_backlog_before_the_unterminated_line():
    conn = ServiceConnection(SETTINGS)
    conn.receive_data(b"1\n2\n3\n4", limit=1)
    assert [e.request for e in conn.receive_eof()] == [b"2", b"3", b"4"]


@settings(max_examples=150)
@given(st.lists(lines, max_size=30), st.integers(min_value=1, max_value=5),
       st.lists(st.integers(min_value=0, max_value=2000), max_size=6))
def test_answering_in_slices_gives_the_same_replies(request_lines, limit, cuts):
    settings_ = ServiceSettings(max_line=24)
    data = b"".join(line + b"\n" for line in request_lines) + b"tail"
    conn = ServiceConnection(settings_)
    whole = [e.reply for e in conn.receive_data(data) + conn.receive_eof()]
    points = sorted({c for c in cuts if c <= len(data)})
    conn = ServiceConnection(settings_)
    sliced = []
    for a, b in zip([0, *points], [*points, len(data)], strict=True):
        sliced.extend(e.reply for e in conn.receive_data(data[a:b], limit))
        if conn.backlog:
            sliced.extend(e.reply for e in conn.answer_backlog(limit))
    sliced.extend(e.reply for e in conn.receive_eof())
    assert sliced == whole


def test_a_read_of_long_lines_is_answered_a_few_bytes_worth_at_a_time():
    """``max_bytes`` caps a slice by size (a line's cost grows with it), at least one line."""
    long_line = b"length " + b"x" * 5000 + b"\n"
    conn = ServiceConnection(SETTINGS)
    first = conn.receive_data(long_line * 3 + b"parity 2\n", limit=64, max_bytes=8000)
    assert [e.reply for e in first] == [b"jumlah karakter: 5000\n"] * 2 and conn.backlog
    rest = conn.answer_backlog(64, max_bytes=1000)
    assert [e.reply for e in rest] == [b"jumlah karakter: 5000\n"] and conn.backlog
    assert [e.reply for e in conn.answer_backlog(64, max_bytes=1000)] == [
        b"angka 2 merupakan genap\n"]
    assert not conn.backlog
