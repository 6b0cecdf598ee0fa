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


def parity(text: str) -> ParityResult:
    """Parity of ``text``: optional blanks, an optional sign, ASCII digits, optional blanks.

    Raises :class:`HandlerError` ``not_an_integer`` for anything else."""
    number = text.strip(BLANKS)
    digits = number[1:] if number[:1] in "+-" else number
    # str.isdigit alone accepts other scripts' digits and superscripts; isascii rules them out.
    if not (digits.isascii() and digits.isdigit()):
        raise HandlerError("not_an_integer", text)
    return ParityResult(number, digits[-1] in "02468", len(digits))
