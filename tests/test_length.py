"""The length handler: code points, UTF-8 bytes and extended grapheme clusters."""

import pytest

from server.length import count_graphemes, length


@pytest.mark.parametrize(("text", "characters", "size", "graphemes"), [
    ("", 0, 0, 0),
    ("halo dunia", 10, 10, 10),
    ("héllo", 5, 6, 5),
    ("he\u0301llo", 6, 7, 5),  # e + combining acute: one grapheme, two code points
    ("👨‍👩‍👧‍👦", 7, 25, 1),  # a family: four people joined by ZWJ
    ("🇮🇩", 2, 8, 1),  # a flag: two regional indicators
    ("   ", 3, 3, 3),
    ("a\r\nb", 4, 4, 3),  # CR LF is one grapheme
])
def test_three_counts(text, characters, size, graphemes):
    result = length(text)
    assert (result.characters, result.bytes, result.graphemes) == (characters, size, graphemes)


def test_known_encoding_is_used_for_the_byte_count():
    assert length("abc", b"abc").bytes == 3


def test_ascii_fast_path_agrees_with_the_regex():
    import regex
    text = "".join(chr(c) for c in range(128)) + "\r\n\r\r\n\n"
    assert count_graphemes(text) == len(regex.findall(r"\X", text))


def test_a_lone_surrogate_from_json_is_counted_not_crashed_on():
    assert length("\ud800").characters == 1


def test_json_shape():
    assert length("héllo").as_json() == {"characters": 5, "bytes": 6, "graphemes": 5}
