"""Property tests over a real socket (one server for the module): random bytes and random JSON
requests, cut into random chunks, get exactly one reply line per request line, in order; the
server never closes the connection and never logs an exception.

Request lines are counted the way the contract frames them: each LF ends a line (one CR
before it is part of the ending), and a final piece without LF is one more request, answered
by the idle flush.
"""

from __future__ import annotations

import json
import re
import socket

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import connect, read_lines, start_server

pytestmark = pytest.mark.timeout(120)

MAX_LINE = 4096
# Long enough that chunks sent back to back never look like a pause (so the only idle flush
# is the one of the final piece), short enough to keep the run quick.
IDLE_FLUSH_MS = 200
FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

KNOWN = {
    b"parity 42": b"angka 42 merupakan genap",
    b"parity -7": b"angka -7 merupakan ganjil",
    b"length halo dunia": b"jumlah karakter: 10",
    b"17": b"angka 17 merupakan ganjil",
    b"halo": b"jumlah karakter: 4",
}
INTEGER = re.compile(r"[ \t]*[+-]?[0-9]+[ \t]*")


@pytest.fixture(scope="module")
def server():
    with start_server("--quiet", "--max-line", str(MAX_LINE),
                      "--idle-flush-ms", str(IDLE_FLUSH_MS)) as srv:
        yield srv


# -- the framing rule, from the contract, as the oracle -------------------------------------
def request_lines(stream: bytes) -> list[bytes | None]:
    """The request lines of ``stream`` (None for one over the limit), final piece included."""
    pieces = stream.split(b"\n")
    tail = pieces.pop()
    if tail:
        pieces.append(tail)
    lines: list[bytes | None] = []
    for piece in pieces:
        line = piece[:-1] if piece.endswith(b"\r") else piece
        lines.append(None if len(line) > MAX_LINE else line)
    return lines


def split_at(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in zip(points, points[1:], strict=False) if b > a]


def converse(server, stream: bytes, cuts: list[int]) -> list[bytes]:
    """Send ``stream`` in chunks, read one reply per request line, then check the connection
    is still open and in step (a following request gets exactly its own reply)."""
    expected = len(request_lines(stream))
    with connect(server.tcp, timeout=10) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for chunk in split_at(stream, cuts):
            sock.sendall(chunk)
        replies = read_lines(sock, expected, timeout=10) if expected else []
        # A lone LF after the final piece ends it (idle-flushed or over-long) without a reply.
        sock.sendall((b"\n" if not stream.endswith(b"\n") and stream else b"") + b"parity 2\n")
        assert read_lines(sock, 1, timeout=10) == [b"angka 2 merupakan genap"]
    return replies


def check_reply_forms(lines: list[bytes | None], replies: list[bytes]) -> None:
    assert len(replies) == len(lines)
    for line, reply in zip(lines, replies, strict=True):
        assert reply, line
        assert not reply.startswith(b"ERR internal"), (line, reply)
        if line is None:
            assert reply.startswith(b"ERR line_too_long"), reply
        elif line in KNOWN:
            assert reply == KNOWN[line]
        elif line == b"":
            assert reply.startswith(b"ERR empty")
        elif line.lstrip(b" \t").startswith(b"{"):
            value = json.loads(reply)
            assert isinstance(value, dict) and isinstance(value["ok"], bool), reply
            assert value.get("error", {}).get("code") != "internal", reply
        else:
            assert reply.startswith((b"ERR ", b"angka ", b"jumlah karakter: ", b"pakai")), reply


# -- random bytes -----------------------------------------------------------------------------
pieces = st.one_of(
    st.binary(max_size=60),
    st.text(max_size=30).map(lambda t: t.encode()),
    st.sampled_from([*KNOWN, b"", b"\r", b"{", b'{"text": "1"}', b"  {", b"\xff\xfe", b"help",
                     b"parity", b"length", b"x" * (MAX_LINE + 1), b"y" * MAX_LINE + b"\r",
                     b"\xed\xa0\x80", b"{\x00}\x00"]),
)
endings = st.sampled_from([b"\n", b"\r\n", b"\n\n", b""])


@st.composite
def byte_streams(draw) -> bytes:
    parts = draw(st.lists(st.tuples(pieces, endings), max_size=12))
    stream = b"".join(p + e for p, e in parts)
    if draw(st.booleans()):
        stream += draw(pieces)  # a final piece that may lack its LF
    return stream


@FUZZ
@given(stream=byte_streams(), cuts=st.lists(st.integers(0, 10_000), max_size=15))
def test_random_bytes_get_one_reply_per_line_and_the_connection_stays_open(server, stream,
                                                                           cuts):
    replies = converse(server, stream, cuts)
    check_reply_forms(request_lines(stream), replies)


# -- random JSON ------------------------------------------------------------------------------
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**30, 10**30),
                         st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20))
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=5), inner, max_size=4)),
    max_leaves=10)
texts = st.one_of(st.text(max_size=40), st.from_regex(INTEGER, fullmatch=True),
                  st.sampled_from(["parity 10", "length abc", "help", "", "  -0  ", "{x"]))
json_requests = st.fixed_dictionaries({}, optional={
    "id": json_values,
    "handler": st.one_of(st.sampled_from(["parity", "length", "auto", "help", "PARITY"]),
                         json_values),
    "text": st.one_of(texts, json_values),
    "lang": st.one_of(st.sampled_from(["en", "id"]), json_values),
    "extra": json_values,
})


def expected_outcome(request: dict) -> tuple[str | None, set[str]]:
    """(handler that runs or None, the error codes the reply may carry); from the contract."""
    errors: set[str] = set()
    lang = request.get("lang")
    if "lang" in request and lang not in ("en", "id", None):
        errors.add("invalid_request")
    handler = request.get("handler", "auto")
    if not isinstance(handler, str):
        errors.add("invalid_request")
    elif handler not in ("parity", "length", "auto"):
        errors.add("unknown_handler")
    text = request.get("text")
    if not isinstance(text, str):
        errors.add("invalid_request")
    if errors:
        return None, errors
    if handler == "auto":
        if text == "":
            return None, {"empty"}
        word, _, rest = text.partition(" ")
        if word.lower() in ("parity", "length", "help"):
            handler, text = word.lower(), rest
        else:
            handler = "parity" if INTEGER.fullmatch(text) else "length"
    if handler == "parity" and not INTEGER.fullmatch(text):
        return None, {"not_an_integer"}
    return handler, set()


@FUZZ
@given(requests=st.lists(json_requests, min_size=1, max_size=8),
       ascii_only=st.booleans(), crlf=st.booleans(), unterminated=st.booleans(),
       cuts=st.lists(st.integers(0, 10_000), max_size=10))
def test_random_json_requests_get_one_json_reply_each_with_their_id(server, requests,
                                                                    ascii_only, crlf,
                                                                    unterminated, cuts):
    ending = b"\r\n" if crlf else b"\n"
    lines = [json.dumps(r, ensure_ascii=ascii_only).encode() for r in requests]
    stream = ending.join(lines) + (b"" if unterminated else ending)
    assert all(len(line) <= MAX_LINE for line in lines)
    replies = converse(server, stream, cuts)
    assert len(replies) == len(requests)
    for request, raw in zip(requests, replies, strict=True):
        reply = json.loads(raw)
        if "id" in request:
            assert reply["id"] == request["id"], (request, reply)
        else:
            assert "id" not in reply
        handler, errors = expected_outcome(request)
        if errors:
            assert reply["ok"] is False, (request, reply)
            assert reply["error"]["code"] in errors, (request, reply)
            continue
        assert reply["ok"] is True, (request, reply)
        assert reply["handler"] == handler, (request, reply)
        if handler == "length":
            text = request["text"]
            if request.get("handler") in (None, "auto") and text.split(" ")[0].lower() == "length":
                text = text.partition(" ")[2]
            assert reply["result"]["characters"] == len(text)
            assert reply["result"]["bytes"] == len(text.encode())


def test_no_exception_reached_the_servers_stderr(server):
    err = server.stderr()
    assert "Traceback" not in err, err
    assert "internal error" not in err, err
    assert server.proc.poll() is None  # still serving
