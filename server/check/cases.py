"""The case catalogue, as data: what each case sends and which judge decides it.

The ids and their order are the contract's ("Checking a lab server"). A case's ``kind``
names the judging rule in :mod:`server.check.judge`; ``expect`` is what that rule compares
with (a parity word or a count); ``hint`` picks the teaching sentence used when it fails.
"""

from __future__ import annotations

from dataclasses import dataclass

EXERCISES = ("parity", "length")
LONG_LINE_CHARS = 100_000


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    exercise: str  # "parity", "length" or "both"
    kind: str  # "parity", "length", "robust", "empty", "sequential", "two_clients", "pipelined"
    sends: bytes
    expect: object = None  # "even"/"odd" for parity; accepted counts (tuple) for length
    hint: str = ""  # key of the sentence that teaches what a failure here usually means
    number: str = ""  # the number as the student reads it (parity cases)


PARITY_CASES: tuple[Case, ...] = (
    Case("even", "parity", "parity", b"42\n", "even", "else", "42"),
    Case("odd", "parity", "parity", b"7\n", "odd", "else", "7"),
    Case("zero", "parity", "parity", b"0\n", "even", "zero", "0"),
    Case("negative", "parity", "parity", b"-7\n", "odd", "negative", "-7"),
    Case("big", "parity", "parity", b"18446744073709551617\n", "odd", "float",
         "18446744073709551617"),
    Case("no_newline", "parity", "parity", b"42", "even", "no_newline", "42"),
    Case("crlf", "parity", "parity", b"42\r\n", "even", "crlf", "42"),
)

# Length: the text the lab sheet's client sends (no LF), then lines. ``expect`` holds every
# accepted count; ``wrong`` in :mod:`.judge` names what a known wrong count means.
LENGTH_CASES: tuple[Case, ...] = (
    Case("ascii", "length", "length", b"halo dunia", (10,), "ascii"),
    Case("non_ascii", "length", "length", "héllo".encode(), (5,), "bytes"),
    Case("emoji", "length", "length", "👋🏽".encode(), (2, 1), "bytes"),
    Case("newline", "length", "length", b"halo\n", (4,), "line_end"),
    Case("crlf", "length", "length", b"halo\r\n", (4,), "line_end"),
)

# Known wrong counts and what they mean (key of the sentence in :mod:`.explain`).
WRONG_COUNTS: dict[str, dict[int, str]] = {
    "non_ascii": {6: "counted_bytes"},
    "emoji": {8: "counted_bytes"},
    "newline": {5: "counted_line_end"},
    "crlf": {5: "counted_line_end", 6: "counted_line_end"},
}

# What a next client sends to see whether the server still answers (any reply will do).
PROBE = {"parity": b"42\n", "length": b"halo\n"}
# What the two clients of ``sequential`` and client B of ``two_clients`` send.
REQUEST = {"parity": b"42\n", "length": b"halo dunia"}
PIPELINED = {"parity": b"42\n7\n", "length": b"halo\nhalo dunia\n"}
PIPELINED_EXPECT = {"parity": ("even", "odd"), "length": (4, 10)}


def common_cases(exercise: str) -> tuple[Case, ...]:
    """The cases both exercises share, in the contract's order."""
    bad = (Case("not_a_number", "parity", "robust", b"abc\n", hint="int")
           if exercise == "parity" else
           Case("invalid_utf8", "length", "robust", b"\xff\xfe", hint="decode"))
    filler = b"7" if exercise == "parity" else b"a"
    return (
        bad,
        Case("empty", "both", "empty", b"", hint="empty"),
        Case("long", "both", "robust", filler * LONG_LINE_CHARS + b"\n", hint="long"),
        Case("sequential", "both", "sequential", REQUEST[exercise], hint="loop"),
        Case("two_clients", "both", "two_clients", REQUEST[exercise]),
        Case("pipelined", "both", "pipelined", PIPELINED[exercise]),
    )


def catalogue(exercise: str) -> tuple[Case, ...]:
    """Every case of one exercise, in order."""
    own = PARITY_CASES if exercise == "parity" else LENGTH_CASES
    return own + common_cases(exercise)


def case_ids(exercise: str) -> list[str]:
    return [case.id for case in catalogue(exercise)]
