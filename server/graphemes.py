"""Grapheme cluster counts at line speed: segment only where a character can join another.

The ``regex`` package's ``\\X`` is the reference (Unicode extended grapheme clusters, UAX #29),
but it costs about 0.25 µs per cluster: 50 ms for a 1 MiB line of non-ASCII text, all of it
holding the event loop. Yet a cluster boundary can be missing only next to a character whose
Grapheme_Cluster_Break property lets it join: Extend, ZWJ, SpacingMark, Prepend,
Regional_Indicator, the Hangul jamo and syllables (L, V, T, LV, LVT), and CR (of CR LF). Every
other pair of neighbours is a boundary (UAX #29 rule GB999; GB11's ZWJ and GB9c's linker are
Extend or ZWJ themselves). So:

* text without such a character has one cluster per code point;
* otherwise only the *windows* around those characters (each run of them with one character
  on either side, runs one character apart merged into one window, since GB9c and GB11 look
  back across them) are segmented with ``\\X``, all in one call: they are joined with NUL, a
  Control character, which always stands alone (GB4, GB5). Text dense with such characters
  is segmented whole (as cheap, then);
* when every joiner of the text only attaches to the character before it (combining marks,
  vowel signs, variation selectors: GB9, GB9a), no segmentation at all: the count is the
  code points minus those joiners, counting back the ones that start a cluster (GB4);
* regional indicators (flags) are paired first, since ``regex`` is quadratic on long runs.

Finding the runs is Python's ``re`` (sre) with a character class: for the Basic
Multilingual Plane it is a bitmap lookup per character (:data:`BMP_JOINERS`, taken from
``regex``'s own tables; tests/test_graphemes.py checks it against them), and any character
outside the BMP is taken as a possible joiner (emoji modifiers, regional indicators, tags and
some scripts' marks are there; a superset costs only a larger window, never a wrong count).
"""

from __future__ import annotations

import re

import regex

#: Code points of the BMP whose Grapheme_Cluster_Break is Extend, ZWJ, SpacingMark, Prepend,
#: Regional_Indicator, L, V, T, LV or LVT, plus CR: hex, ranges inclusive. Generated from
#: ``regex`` 2026.11.19 (tests/test_graphemes.py says how when it no longer matches).
BMP_JOINERS = """
    000D 0300-036F 0483-0489 0591-05BD 05BF 05C1-05C2 05C4-05C5 05C7-05C9 0600-0605 0610-061A
    064B-065F 0670 06D6-06DD 06DF-06E4 06E7-06E8 06EA-06ED 070F 0711 0730-074A 07A6-07B0
    07EB-07F3 07FD 0816-0819 081B-0823 0825-0827 0829-082D 0859-085B 0890-0891 0897-089F
    08CA-0903 093A-093C 093E-094F 0951-0957 0962-0963 0981-0983 09BC 09BE-09C4 09C7-09C8
    09CB-09CD 09D7 09E2-09E3 09FE 0A01-0A03 0A3C 0A3E-0A42 0A47-0A48 0A4B-0A4D 0A51 0A70-0A71
    0A75 0A81-0A83 0ABC 0ABE-0AC5 0AC7-0AC9 0ACB-0ACD 0AE2-0AE3 0AFA-0AFF 0B01-0B03 0B3C
    0B3E-0B44 0B47-0B48 0B4B-0B4D 0B53-0B57 0B62-0B63 0B82 0BBE-0BC2 0BC6-0BC8 0BCA-0BCD 0BD7
    0C00-0C04 0C3C 0C3E-0C44 0C46-0C48 0C4A-0C4D 0C55-0C56 0C62-0C63 0C81-0C83 0CBC 0CBE-0CC4
    0CC6-0CC8 0CCA-0CCD 0CD5-0CD6 0CE2-0CE3 0CF3 0D00-0D03 0D3B-0D3C 0D3E-0D44 0D46-0D48
    0D4A-0D4E 0D57 0D62-0D63 0D81-0D83 0DCA 0DCF-0DD4 0DD6 0DD8-0DDF 0DF2-0DF3 0E31 0E33-0E3A
    0E47-0E4E 0EB1 0EB3-0EBC 0EC8-0ECE 0F18-0F19 0F35 0F37 0F39 0F3E-0F3F 0F71-0F84 0F86-0F87
    0F8D-0F97 0F99-0FBC 0FC6 102D-1037 1039-103E 1056-1059 105E-1060 1071-1074 1082 1084-1086
    108D 109D 1100-11FF 135D-135F 1712-1715 1732-1734 1752-1753 1772-1773 17B4-17D3 17DD
    180B-180D 180F 1885-1886 18A9 1920-192B 1930-193B 1A17-1A1B 1A55-1A5E 1A60 1A62 1A65-1A7C
    1A7F 1AB0-1AF0 1B00-1B04 1B34-1B44 1B6B-1B73 1B80-1B82 1BA1-1BAD 1BE6-1BF3 1C24-1C37
    1CD0-1CD2 1CD4-1CE8 1CED 1CF4 1CF7-1CF9 1DC0-1DFF 200C-200D 20D0-20F0 2CEF-2CF1 2D7F
    2DE0-2DFF 302A-302F 3099-309A A66F-A672 A674-A67D A69E-A69F A6F0-A6F1 A802 A806 A80B
    A823-A827 A82C A880-A881 A8B4-A8C5 A8E0-A8F1 A8FF A926-A92D A947-A953 A960-A97C A980-A983
    A9B3-A9C0 A9E5 AA29-AA36 AA43 AA4C-AA4D AA7C AAB0 AAB2-AAB4 AAB7-AAB8 AABE-AABF AAC1
    AAEB-AAEF AAF5-AAF6 ABE3-ABEA ABEC-ABED AC00-D7A3 D7B0-D7C6 D7CB-D7FB FB1E FE00-FE0F
    FE20-FE2F FF9E-FF9F
"""

#: Of those, the ones that join by more than "attach to what precedes": ZWJ (GB11), Prepend
#: (GB9b), the Hangul jamo and syllables (GB6-8), the conjunct linkers (GB9c), CR (GB3).
#: Text whose joiners are all outside this set (Extend and SpacingMark: combining marks,
#: vowel signs, variation selectors) is counted without segmenting (:func:`_attached`).
BMP_NOT_ATTACHING = """
    000D 0600-0605 06DD 070F 0890-0891 08E2 094D 09CD 0ACD 0B4D 0C4D 0D4D-0D4E 1039 1100-11FF
    17D2 1A60 1B44 1BAB 1CF5-1CF6 200D A960-A97C A9C0 AAF6 AC00-D7A3 D7B0-D7C6 D7CB-D7FB
"""

#: Code points of the BMP whose Grapheme_Cluster_Break is Control, plus LF: nothing attaches
#: to them (GB4).
BMP_CONTROLS = """
    0000-000C 000E-001F 007F-009F 00AD 061C 180E 200B 200E-200F 2028-202E 2060-206F FEFF
    FFF0-FFFB
"""

_GRAPHEME = regex.compile(r"\X")


def _char_class(table: str) -> str:
    """The inside of an sre character class for a table of hex code points and ranges."""
    parts = []
    for item in table.split():
        low, _, high = item.partition("-")
        parts.append(re.escape(chr(int(low, 16))))
        if high:
            parts.append("-" + re.escape(chr(int(high, 16))))
    return "".join(parts)


_ASTRAL = "\U00010000-\U0010FFFF"  # taken as possible joiners, all of them
_J = _char_class(BMP_JOINERS) + _ASTRAL
_JOINER = re.compile(f"[{_J}]")
_NOT_ATTACHING = re.compile(f"[{_char_class(BMP_NOT_ATTACHING)}{_ASTRAL}]")
_CONTROL_THEN_JOINER = re.compile(f"[{_char_class(BMP_CONTROLS)}][{_J}]")
_RUNS = re.compile(f"[{_J}]+")  # sre: one bitmap lookup per BMP character
#: Regional indicators pair up from the start of each run (GB12, GB13); ``regex`` takes time
#: quadratic in the length of a run (64 KiB of flags: over a second), so each pair becomes
#: one neutral character first, which joins and breaks as the pair does.
_RI = re.compile("[\U0001F1E6-\U0001F1FF]")
_RI_PAIR = re.compile("[\U0001F1E6-\U0001F1FF]{2}")
#: Runs per character of text past which segmenting the whole text is as cheap (a run costs
#: a little Python; a cluster inside ``regex`` about 0.25 µs).
RUNS_PER_CHAR = 1 / 32


def count_graphemes(text: str) -> int:
    """The number of extended grapheme clusters in ``text``, as ``regex``'s ``\\X`` counts."""
    if text.isascii():  # every character its own cluster, except CR LF
        return len(text) - text.count("\r\n")
    if _RUNS.search(text) is None:
        return len(text)
    if _NOT_ATTACHING.search(text) is None:
        return _attached(text)
    if _RI.search(text) is not None:
        text = _RI_PAIR.sub("x", text)
    windows: list[tuple[int, int]] = []  # [low, high): each run with one character either side
    runs_left = len(text) * RUNS_PER_CHAR
    for run in _RUNS.finditer(text):
        runs_left -= 1
        if runs_left < 0:
            return _GRAPHEME.subn("", text)[1]  # dense: segmenting it all is as cheap
        low, high = run.start() - 1, run.end() + 1
        if windows and low < windows[-1][1]:  # runs one character apart: one window
            windows[-1] = (windows[-1][0], high)
        else:
            windows.append((max(low, 0), high))
    joined = "\x00".join([text[low:high] for low, high in windows])
    return len(text) - len(joined) + _GRAPHEME.subn("", joined)[1]


def _attached(text: str) -> int:
    """Text whose only joiners attach to the character before them (GB9, GB9a): every one
    of them joins a cluster, except at the start and right after a control or LF (GB4).
    Counted by sre at C speed, whatever the density of marks."""
    joiners = len(text) - len(_JOINER.sub("", text))
    alone = len(text) - len(_CONTROL_THEN_JOINER.sub("", text)) >> 1  # pairs of two
    return len(text) - joiners + alone + (_JOINER.match(text) is not None)
