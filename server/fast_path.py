"""The fast path of the core: the common plain requests answered with fewer calls and objects.

Most lines a service sees are ``parity N``, a bare ``N`` and ``length TEXT`` (or bare text
under ``auto``). The general path (:func:`server.protocol.answer`) decodes the line, builds a
:class:`~server.requests.Request`, a result, a message string and then encodes the reply:
about twenty calls and a dozen objects for a twenty-byte line, which is most of the Python
time a request costs. Here an ASCII line is answered on its bytes, with no decoding and no
intermediate objects; a non-ASCII ``length`` line is decoded once and its code points counted
(a plain reply shows only the characters, so no grapheme segmentation is needed).

Anything else (JSON, ``help``, errors, blanks in front) is left to the general path:
:func:`make_fast_path`'s function returns ``None`` for it. The replies are byte for byte
those of the general path; tests/test_fast_path.py checks that over generated lines and
every setting.
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

#: A line that is only a command word (``head`` is the whole line lowercased when it is short).
LONE_COMMANDS = (b"parity", b"length", b"help")

#: First bytes (as ints: a set lookup, far cheaper than ``bytes in bytes``).
JSON_OR_BLANK = frozenset(b"{ \t")
INTEGER_START = frozenset(b"+-0123456789")

FastPath = Callable[[bytes], "Exchange | None"]

_new_exchange = tuple.__new__  # an Exchange without the NamedTuple's Python-level __new__


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
def make_fast_path(settings: ServiceSettings) -> FastPath:
    """The fast answer for ``settings``: a function of one framed line (ending removed) that
    returns its :class:`Exchange`, or ``None`` when the general path must answer."""
    from server.protocol import Exchange

    lang = settings.lang
    default = settings.default
    length_replies = tuple(_length_reply(n, lang) for n in range(CACHED_LENGTHS))
    parity_head, parity_tails = _parity_replies(lang)

    def length_exchange(line: bytes, count: int) -> Exchange:
        reply = length_replies[count] if count < CACHED_LENGTHS else _length_reply(count, lang)
        return _new_exchange(Exchange, (line, reply, "length", "ok"))

    def parity_exchange(line: bytes, text: bytes) -> Exchange | None:
        if text.isdigit():  # bytes: ASCII digits only; the usual case, nothing to trim
            number = text
        else:
            number = text.strip(b" \t")
            digits = number[1:] if number[:1] in b"+-" else number
            if not digits.isdigit():
                # not an integer: auto counts a bare line, anything else is an error
                if text is line and default == "auto":
                    return length_exchange(line, len(line))
                return None
        echo = number
        if len(number) > ECHO_WHOLE:  # abbreviated as replies.abbreviate does, head…tail
            echo = number[:ECHO_HALF] + ELLIPSIS + number[-ECHO_HALF:]
        reply = parity_head + echo + parity_tails[number[-1] & 1]  # a digit's code: its parity
        return _new_exchange(Exchange, (line, reply, "parity", "ok"))

    def answer(line: bytes) -> Exchange | None:
        if line.isdigit():  # a bare number
            if default == "length":
                return length_exchange(line, len(line))
            return parity_exchange(line, line)
        if not line.isascii():
            return _non_ascii(line)
        head = line[:7].lower()
        if head == b"parity ":
            return parity_exchange(line, line[7:])
        if head == b"length ":
            return length_exchange(line, len(line) - 7)
        if not line or line[0] in JSON_OR_BLANK:  # empty, JSON, blanks in front: general path
            return None
        if head in LONE_COMMANDS or head[:5] == b"help ":  # rare: the general path
            return None
        if default == "length":
            return length_exchange(line, len(line))
        if default == "auto" and line[0] not in INTEGER_START:  # cannot be an integer
            return length_exchange(line, len(line))
        return parity_exchange(line, line)  # under auto, its length if not an integer

    def _non_ascii(line: bytes) -> Exchange | None:
        """A line with non-ASCII bytes: only ``length`` (and bare text under ``auto`` or
        ``--default length``) is answered here, on the decoded text."""
        if line[0] in JSON_OR_BLANK:
            return None
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            return None
        word, space, rest = text.partition(" ")
        command = word.lower()
        if command == "length":
            return length_exchange(line, len(rest))
        if command in ("parity", "help") or default == "parity":
            return None
        # Under auto, text with a non-ASCII character is never an integer: its length.
        return length_exchange(line, len(text))

    return answer
