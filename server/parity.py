"""The parity handler: is an integer of any length even (genap) or odd (ganjil)?

Validation is linear in the length of the text and never converts the number to an ``int``
(Python caps int/str conversion at 4300 digits, and a million digits would be slow): the
parity of a decimal number is the parity of its last digit.
"""

from __future__ import annotations

from typing import NamedTuple

from server.errors import HandlerError

BLANKS = " \t"


class ParityResult(NamedTuple):
    number: str  # as sent, blanks trimmed
    even: bool
    digits: int

    def as_json(self) -> dict[str, object]:
        return {"parity": "even" if self.even else "odd", "digits": self.digits}


def split_integer(text: str) -> tuple[str, str] | None:
    """``(number, digits)`` if ``text`` is an integer (optional blanks, an optional sign,
    ASCII digits, optional blanks), else None. ``auto`` asks this too, to pick parity."""
    number = text.strip(BLANKS)
    digits = number[1:] if number[:1] in "+-" else number
    # str.isdigit alone accepts other scripts' digits and superscripts; isascii rules them out.
    if digits.isascii() and digits.isdigit():
        return number, digits
    return None


def parity(text: str) -> ParityResult:
    """Parity of ``text``; raises :class:`HandlerError` ``not_an_integer`` unless it is an
    integer (see :func:`split_integer`)."""
    integer = split_integer(text)
    if integer is None:
        raise HandlerError("not_an_integer", text)
    number, digits = integer
    return ParityResult(number, digits[-1] in "02468", len(digits))
