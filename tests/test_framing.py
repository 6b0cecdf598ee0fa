"""Line framing: LF and CRLF, the line limit, the idle flush, end of input."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.framing import TOO_LONG, LineFramer


def flushed(data: bytes) -> LineFramer:
    """A framer (limit 10) that has been fed the unterminated ``data`` and flushed it."""
    framer = LineFramer(10)
    framer.feed(data)
    framer.flush()
    return framer


def test_lines_end_at_lf_and_crlf_endings_are_removed():
    framer = LineFramer(100)
    assert framer.feed(b"parity 42\nlength halo\r\n") == [b"parity 42", b"length halo"]


def test_a_line_split_across_reads_is_joined():
    framer = LineFramer(100)
    assert framer.feed(b"par") == []
    assert framer.feed(b"ity 4") == []
    assert framer.feed(b"2\r") == []
    assert framer.feed(b"\n") == [b"parity 42"]


def test_an_empty_line_is_a_line():
    assert LineFramer(10).feed(b"\n\r\n") == [b"", b""]


def test_a_cr_inside_a_line_is_kept():
    assert LineFramer(10).feed(b"a\rb\n") == [b"a\rb"]


def test_line_at_the_limit_is_accepted_and_one_byte_more_is_too_long():
    framer = LineFramer(5)
    assert framer.feed(b"12345\n123456\n") == [b"12345", TOO_LONG]


def test_crlf_does_not_count_towards_the_limit():
    assert LineFramer(5).feed(b"12345\r\n") == [b"12345"]
    framer = LineFramer(5)
    assert framer.feed(b"12345\r") == []  # the LF may still come
    assert framer.feed(b"\n") == [b"12345"]


def test_too_long_is_reported_once_as_soon_as_the_limit_passes_and_the_rest_discarded():
    framer = LineFramer(8)
    assert framer.feed(b"x" * 9) == [TOO_LONG]
    assert framer.pending == 0
    assert framer.feed(b"y" * 10_000) == []
    assert framer.pending == 0  # memory stays bounded during the flood
    assert framer.feed(b"zz\nparity 1\n") == [b"parity 1"]


def test_flush_hands_out_an_unterminated_line_once():
    framer = LineFramer(10)
    framer.feed(b"42")
    assert framer.has_partial
    assert framer.flush() == b"42"
    assert framer.flush() is None
    assert not framer.has_partial


def test_a_line_ending_right_after_a_flush_ends_the_flushed_line():
    framer = flushed(b"42")
    assert framer.feed(b"\n") == []
    assert framer.feed(b"7\n") == [b"7"]
    framer.feed(b"8")
    framer.flush()
    assert framer.feed(b"\r\n9\n") == [b"9"]


def test_only_the_first_line_ending_after_a_flush_is_swallowed():
    framer = flushed(b"1")
    assert framer.feed(b"\n\n") == [b""]


def test_flush_with_nothing_waiting_is_none():
    assert LineFramer(10).flush() is None


def test_keep_cr_keeps_the_cr_of_crlf_for_the_bridge():
    framer = LineFramer(10, keep_cr=True)
    assert framer.feed(b"ok\r\nno\n") == [b"ok\r", b"no"]


def _frames_of(chunks: list[bytes], limit: int) -> list[bytes | None]:
    framer = LineFramer(limit)
    out: list[bytes | None] = []
    for chunk in chunks:
        out.extend(framer.feed(chunk))
    return out


@given(st.binary(max_size=400), st.lists(st.integers(min_value=0, max_value=400), max_size=12),
       st.integers(min_value=1, max_value=40))
def test_any_chunking_of_the_same_bytes_gives_the_same_lines(data, cuts, limit):
    points = sorted({c for c in cuts if c <= len(data)})
    chunks = [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]
    assert _frames_of(chunks, limit) == _frames_of([data], limit)


@given(st.binary(max_size=300), st.integers(min_value=1, max_value=20))
def test_every_lf_ends_exactly_one_frame_unless_it_ends_a_discarded_line(data, limit):
    frames = _frames_of([data], limit)
    assert len(frames) <= data.count(b"\n") + 1
    assert all(f is TOO_LONG or len(f) <= limit for f in frames)


def test_a_crlf_split_in_two_after_a_flush_still_ends_the_flushed_line():
    framer = flushed(b"42")
    assert framer.feed(b"\r") == []
    assert framer.flush() is None  # a lone CR after a flush is not a request
    assert framer.feed(b"\n") == []
    assert framer.feed(b"3\n") == [b"3"]


def test_a_cr_after_a_flush_followed_by_data_is_data():
    framer = flushed(b"42")
    assert framer.feed(b"\r") == []
    assert framer.feed(b"x\n") == [b"\rx"]


@pytest.mark.parametrize(("data", "line"), [
    (b"parity 42\n", b"parity 42"), (b"a\r\n", b"a"), (b"\n", b""), (b"", None),
    (b"a\nb\n", None), (b"abc", None), (b"1234567890\n", None), (b"a\rb\n", b"a\rb"),
    (b"123456789\r\n", b"123456789"),
])
def test_single_line_fast_path_agrees_with_feed(data, line):
    framer = LineFramer(9)
    assert framer.single_line(data) == line
    if line is not None:
        assert LineFramer(9).feed(data) == [line]


def test_single_line_fast_path_steps_aside_while_a_line_is_held():
    framer = LineFramer(10)
    framer.feed(b"par")
    assert framer.single_line(b"ity 4\n") is None
