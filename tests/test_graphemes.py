"""The fast grapheme count equals ``regex``'s ``\\X`` count, on generated and on tricky text."""

import regex
from hypothesis import example, given, settings
from hypothesis import strategies as st

from server import graphemes
from server.graphemes import BMP_CONTROLS, BMP_JOINERS, BMP_NOT_ATTACHING, count_graphemes

JOINING = regex.compile(
    r"[\p{Grapheme_Cluster_Break=Extend}\p{Grapheme_Cluster_Break=ZWJ}"
    r"\p{Grapheme_Cluster_Break=SpacingMark}\p{Grapheme_Cluster_Break=Prepend}"
    r"\p{Grapheme_Cluster_Break=Regional_Indicator}\p{Grapheme_Cluster_Break=L}"
    r"\p{Grapheme_Cluster_Break=V}\p{Grapheme_Cluster_Break=T}\p{Grapheme_Cluster_Break=LV}"
    r"\p{Grapheme_Cluster_Break=LVT}\r]")


def reference(text: str) -> int:
    return len(regex.findall(r"\X", text))


NOT_ATTACHING = regex.compile(
    r"[\p{Grapheme_Cluster_Break=ZWJ}\p{Grapheme_Cluster_Break=Prepend}"
    r"\p{Grapheme_Cluster_Break=Regional_Indicator}\p{Grapheme_Cluster_Break=L}"
    r"\p{Grapheme_Cluster_Break=V}\p{Grapheme_Cluster_Break=T}\p{Grapheme_Cluster_Break=LV}"
    r"\p{Grapheme_Cluster_Break=LVT}\r\p{InCB=Linker}]")
CONTROLS = regex.compile(r"[\p{Grapheme_Cluster_Break=Control}\n]")


def bmp_ranges(pattern: regex.Pattern = JOINING) -> str:
    """What a table of server/graphemes.py must hold, from ``regex``'s own data (paste it
    there when ``regex`` moves to a new Unicode version and this test says so)."""
    bmp = "".join(chr(c) for c in range(0x10000) if not 0xD800 <= c < 0xE000)
    ranges: list[list[int]] = []
    for c in map(ord, pattern.findall(bmp)):
        if ranges and ranges[-1][1] == c - 1:
            ranges[-1][1] = c
        else:
            ranges.append([c, c])
    return " ".join(f"{a:04X}-{b:04X}" if a != b else f"{a:04X}" for a, b in ranges)


def test_the_tables_are_regex_own() -> None:
    for table, pattern in ((BMP_JOINERS, JOINING), (BMP_NOT_ATTACHING, NOT_ATTACHING),
                           (BMP_CONTROLS, CONTROLS)):
        assert " ".join(table.split()) == bmp_ranges(pattern), (
            "regex's Unicode data changed: regenerate the tables with bmp_ranges()")


TRICKY = [
    "", "é", "e\u0301", "e\u0301\u0302", "\u0301", "\u0301a", "a\r\nb", "\r\n", "\r\r\n",
    "\n\u0301",
    "\x00\u0301", "👋🏽", "👨‍👩‍👧", "👨‍👩‍👧‍👦x", "❤‍🔥", "❤️‍🔥", "‍👋", "a‍👋", "🇮🇩", "🇮🇩🇯", "🇮🇩🇯🇵🇺",
    "x🇮🇩🇯🇵🇺", "🇮\u0301🇩", "한국어", "\u1100\u1161\u11a8", "\u1100\uac00", "\uac00\u11a8",
    "\u0915\u094d\u0937", "\u0915\u094d\u200d\u0937", "\u0915\u094d\u0937\u094d\u092e",
    "\u0600\u0661", "\u0600", "a\u0600", "\u0600\r\n", "\u0e01\u0e33", "ก\u0e33a",
    "क्षि", "நி", "\U000110bd\u0915", "a\U0001F3FB", "\U0001F3FB", "\U000E0041a", "\ufe0f",
    "👋" * 5, "🏴\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F", "a" * 50 + "\u0301",
]


def test_tricky_cases() -> None:
    for text in TRICKY:
        assert count_graphemes(text) == reference(text), text
        assert count_graphemes("ab " + text + " cd") == reference("ab " + text + " cd"), text


def test_many_windows_and_dense_text() -> None:
    sparse = ("halo dunia " * 40 + "e\u0301 ") * 20  # windows far apart
    dense = "ab\u0301" * 500  # a window every third character: segmented whole
    flags = "🇮🇩" * 3000 + "🇯"  # one long run of regional indicators, odd
    for text in (sparse, dense, flags, "x" + flags, "é" * 1000 + "\u0301"):
        assert count_graphemes(text) == reference(text)


pieces = st.sampled_from(["a", " ", "é", "\r", "\n", "\r\n", "\x00", "\u0301", "\u200d", "\u200c",
                          "👋", "🏽", "❤", "\ufe0f", "🇮", "🇩", "\u1100", "\u1161", "\u11a8",
                          "\uac00", "\uac01", "\u0915", "\u094d", "\u0937", "\u0600", "\u0e33",
                          "\u0903", "\U000E0041", "あ"])
mixed = st.lists(pieces | st.characters(codec="utf-8"), max_size=40).map("".join)


@settings(max_examples=1500, deadline=None)
@given(text=mixed | st.text())
@example(text="a\u0301" * 3)
def test_count_equals_regex(text: str) -> None:
    assert count_graphemes(text) == reference(text)


@settings(max_examples=300, deadline=None)
@given(text=st.lists(pieces, min_size=20, max_size=200).map("".join))
def test_count_equals_regex_past_the_dense_switch(text: str) -> None:
    graphemes.RUNS_PER_CHAR, saved = 1.0, graphemes.RUNS_PER_CHAR
    try:
        assert count_graphemes(text) == reference(text)
    finally:
        graphemes.RUNS_PER_CHAR = saved
