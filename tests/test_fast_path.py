"""The core's fast path answers byte for byte as the general path does, under every setting,
and it does take the common plain requests (else it would buy nothing)."""

from itertools import product

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from server.fast_path import CACHED_LENGTHS, ECHO_WHOLE, make_fast_path
from server.protocol import Exchange, ServiceConnection, ServiceSettings, answer

ALL_SETTINGS = [ServiceSettings(lang=lang, default=default, max_line=max_line)
                for lang, default, max_line in product(("id", "en"), ("auto", "parity", "length"),
                                                       (16, 65536))]

# Pieces that make lines near every branch of the fast path: command words in any case,
# with and without their space, signs, blanks, digits, JSON, CR, non-ASCII and bad UTF-8.
PIECES = ["parity", "PARITY", "Parity", "length", "LENGTH", "help", "HELP", " ", "  ", "\t",
          "+", "-", "0", "7", "42", "18446744073709551617", "9" * ECHO_WHOLE, "{", "}", '"',
          "\r", "halo", "dunia", "é", "👋🏽", "あ", "\u0301", "\x00", "ﾠ", "١٢", "²", "K", "İ"]
line_text = st.lists(st.sampled_from(PIECES) | st.text(max_size=6), max_size=8).map("".join)
lines = (line_text.map(lambda t: t.encode("utf-8", "surrogatepass"))
         | st.binary(max_size=12)
         | st.tuples(st.sampled_from(["", "parity ", "PARITY ", "length "]),
                     st.sampled_from(["", "+", "-", " ", "\t"]),
                     st.text("0123456789", min_size=1, max_size=ECHO_WHOLE + 3),
                     st.sampled_from(["", " ", "\t", "x", "\r"]))
         .map(lambda parts: "".join(parts).encode()))


def general(line: bytes, service: ServiceSettings) -> tuple:
    return tuple(answer(line, service))


def fast(service: ServiceSettings, lines: list[bytes]) -> list[tuple | None]:
    """Each line's exchange as the fast path answers it, ``None`` where it handed the line
    to the general path."""
    handed: list[bytes] = []

    def general_path(line: bytes) -> Exchange:
        handed.append(line)
        return answer(line, service)
    answer_line = make_fast_path(service, general_path)
    answers = [answer_line(line) for line in lines]
    return [None if any(h is line for h in handed) else (line, reply, *kind.split(" "))
            for line, (reply, kind) in zip(lines, answers, strict=True)]


@pytest.mark.parametrize("service", ALL_SETTINGS, ids=repr)
@settings(max_examples=400, deadline=None)
@given(line=lines)
@example(line=b"")
@example(line=b"length")
@example(line=b"parity")
@example(line=b"help me")
@example(line=b'{"text": "42"}')
@example(line='{"text": "é"}'.encode())
@example(line=" é".encode())
@example(line=b"42 ")
@example(line=b"+7")
@example(line=b"-")
@example(line=b"parity\t42")
@example(line=b"length " + b"x" * CACHED_LENGTHS)
@example(line=b"1" * (ECHO_WHOLE + 1))
def test_fast_path_answers_as_the_general_path(service: ServiceSettings, line: bytes) -> None:
    (exchange,) = fast(service, [line])
    if exchange is not None:
        assert exchange == general(line, service)


@pytest.mark.parametrize("service", ALL_SETTINGS, ids=repr)
@settings(max_examples=150, deadline=None)
@given(batch=st.lists(lines, max_size=12))
def test_a_read_of_many_lines_is_answered_line_by_line_in_order(
        service: ServiceSettings, batch: list[bytes]) -> None:
    batch = [line for line in batch if not set(line) & set(b"\r\n")]
    conn = ServiceConnection(service)
    got = conn.receive_data(b"".join(line + b"\n" for line in batch))
    assert [tuple(e) for e in got] == [general(line, service) if len(line) <= service.max_line
                                       else general(None, service) for line in batch]


@pytest.mark.parametrize("service", ALL_SETTINGS, ids=repr)
def test_fast_path_takes_the_common_plain_requests(service: ServiceSettings) -> None:
    common = [b"parity 42", b"PARITY -7", b"length halo dunia", b"Length ", b"123456789",
              "length héllo 👋🏽".encode(), b"parity " + b"7" * 100_000]
    if service.default != "parity":
        common += [b"halo dunia", "héllo".encode()]
    for line, exchange in zip(common, fast(service, common), strict=True):
        assert exchange is not None, line
        assert exchange == general(line, service)


def test_connection_uses_the_fast_path_and_keeps_order() -> None:
    conn = ServiceConnection(ServiceSettings(lang="en"))
    data = b"parity 42\n{\"text\": \"7\"}\nhelp\n\nlength ab\n" + b"9" * 50 + b"\n"
    replies = [e.reply for e in conn.receive_data(data)]
    assert replies[0] == b"42 is even\n"
    assert replies[1].startswith(b'{"ok": true, "handler": "parity"')
    assert replies[2].startswith(b"usage:")
    assert replies[3].startswith(b"ERR empty")
    assert replies[4] == b"2 characters\n"
    assert replies[5] == b"99999999999999999999\xe2\x80\xa699999999999999999999 is odd\n"
