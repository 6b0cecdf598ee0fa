"""The core's answer to one framed line, with a fast path for the common plain requests.

Most lines a service sees are ``parity N``, a bare ``N`` and ``length TEXT`` (or bare text
under ``auto``). The general path (:func:`server.protocol.answer`) decodes the line, builds a
:class:`~server.requests.Request`, a result, a message string and then encodes the reply:
about twenty calls and a dozen objects for a twenty-byte line, which is most of the Python
time a request costs. Here those lines are answered in one function, on their bytes: no
decoding of an ASCII line, no intermediate objects, and for ``length`` a reply made once at
start. The answer is a pair ``(reply, kind)``: the kind is the ``"handler outcome"`` the
service counts the request under (:func:`server.protocol.kind_of`), a string whose hash
Python keeps, so counting costs no hashing. A non-ASCII ``length`` line is decoded once and
its code points counted (a plain reply shows only the characters, so no grapheme
segmentation is needed).

Anything else (JSON, ``help``, errors, blanks in front, a line over the limit), and any line
the fast path itself fails on, goes to the general path. The replies are byte for byte those
of the general path; tests/test_fast_path.py checks that over generated lines and every
setting.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING

from server.length import LengthResult
from server.parity import ParityResult
from server.replies import ECHO_LIMIT, length_message, parity_message, plain_ok

if TYPE_CHECKING:  # protocol.py imports this module; the classes are looked up at first use
    from server.protocol import Exchange, ServiceSettings

#: Longest number echoed whole; longer ones keep ECHO_HALF digits either side of an ellipsis.
ECHO_WHOLE = ECHO_LIMIT
ECHO_HALF = ECHO_LIMIT // 2
ELLIPSIS = "…".encode()
PLACEHOLDER = "\x00"  # stands for the echo; abbreviate() leaves it as it is
#: Lengths whose reply line is made once, at start (longer texts are formatted per request).
CACHED_LENGTHS = 1024

#: The kinds of the lines answered here (server.protocol.kind_of).
PARITY_OK = "parity ok"
LENGTH_OK = "length ok"

#: A line that is only a command word (``head`` is the whole line lowercased when it is short).
LONE_COMMANDS = (b"parity", b"length", b"help")

#: First bytes (as ints: a set lookup, far cheaper than ``bytes in bytes``).
JSON_OR_BLANK = frozenset(b"{ \t")
INTEGER_START = frozenset(b"+-0123456789")

Answer = tuple[bytes, str]  # (reply line, kind)
AnswerLine = Callable[[bytes | None], Answer]


def _length_reply(count: int, lang: str) -> bytes:
    """The plain reply to a ``length`` of ``count`` characters: words from server.replies,
    the one place where results become words (a plain reply shows only the characters)."""
    return plain_ok(length_message(LengthResult(count, count, count), lang))


def _parity_replies(lang: str) -> tuple[bytes, tuple[bytes, bytes]]:
    """The reply to ``parity N`` around its echo: (head, (tail when even, tail when odd)),
    cut from server.replies' own message for a placeholder number."""
    even, odd = (plain_ok(parity_message(ParityResult(PLACEHOLDER, is_even, 1), lang))
                 for is_even in (True, False))
    head, _, even_tail = even.partition(PLACEHOLDER.encode())
    return head, (even_tail, odd.partition(PLACEHOLDER.encode())[2])


@cache
def make_fast_path(settings: ServiceSettings,
                   general: Callable[[bytes | None], Exchange] | None = None) -> AnswerLine:
    """The answer to one framed line (ending removed; ``None`` for a line over the limit)
    under ``settings``: ``(reply, kind)``. ``general`` answers what the fast path does not
    take (default: :func:`server.protocol.answer_safely`; tests pass their own, to see
    which lines it gets)."""
    from server import protocol

    if general is None:
        def general(line: bytes | None) -> Exchange:
            return protocol.answer_safely(line, settings)
    kind_of = protocol.kind_of
    lang = settings.lang
    by_default = settings.default  # what a line with no command word is
    auto = by_default == "auto"
    length_default = by_default == "length"
    parity_default = by_default == "parity"
    length_answers = tuple((_length_reply(n, lang), LENGTH_OK) for n in range(CACHED_LENGTHS))
    parity_head, parity_tails = _parity_replies(lang)

    def by_general(line: bytes | None) -> Answer:
        exchange = general(line)
        return exchange.reply, kind_of(exchange)

    def length_answer(size: int) -> Answer:
        if size < CACHED_LENGTHS:
            return length_answers[size]
        return _length_reply(size, lang), LENGTH_OK

    def non_ascii_length(line: bytes) -> int:
        """The characters a non-ASCII line's ``length`` (or bare text) counts, or -1 for
        the general path (JSON, blanks in front, bad UTF-8, another command)."""
        if line[0] in JSON_OR_BLANK:
            return -1
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            return -1
        word, _, rest = text.partition(" ")
        command = word.lower()
        if command == "length":
            return len(rest)
        if command in ("parity", "help") or parity_default:
            return -1
        return len(text)  # under auto, text with a non-ASCII character is never an integer

    def answer_line(line: bytes | None) -> Answer:
        try:
            if line is None:  # over the limit
                return by_general(line)
            if line.isdigit():  # a bare number; bytes: ASCII digits only
                if length_default:
                    return length_answer(len(line))
                number = line
            else:
                if not line.isascii():
                    size = non_ascii_length(line)  # not ASCII: not empty
                    return by_general(line) if size < 0 else length_answer(size)
                head = line[:7].lower()
                if head == b"parity ":
                    text = line[7:]
                elif head == b"length ":
                    return length_answer(len(line) - 7)
                elif (not line or line[0] in JSON_OR_BLANK or head in LONE_COMMANDS
                      or head[:5] == b"help "):
                    return by_general(line)  # empty, JSON, blanks in front, help
                elif length_default or (auto and line[0] not in INTEGER_START):
                    return length_answer(len(line))  # cannot be an integer: its length
                else:
                    text = line  # bare: a number, or under auto its length
                if text.isdigit():  # the usual case, nothing to trim
                    number = text
                else:
                    number = text.strip(b" \t")
                    digits = number[1:] if number[:1] in b"+-" else number
                    if not digits.isdigit():  # not an integer
                        if text is line and auto:  # bare under auto: its length
                            return length_answer(len(line))
                        return by_general(line)
            if len(number) > ECHO_WHOLE:  # abbreviated as replies.abbreviate does, head…tail
                number = number[:ECHO_HALF] + ELLIPSIS + number[-ECHO_HALF:]
            # the last byte is a digit, whose code has the digit's parity
            return parity_head + number + parity_tails[number[-1] & 1], PARITY_OK
        except Exception:  # a bug here must not cost the client its reply: the general path
            return by_general(line)

    return answer_line
