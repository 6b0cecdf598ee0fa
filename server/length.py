"""The length handler: three honest counts of a text.

``characters`` is what the lab sheet means (Python's ``len``: Unicode code points),
``bytes`` is what went on the wire (UTF-8), and ``graphemes`` is what a person sees
(Unicode extended grapheme clusters, as the ``regex`` package's ``\\X`` finds them,
counted at line speed by :mod:`server.graphemes`), so the difference between the three can
be taught with an emoji family or an accented letter.
"""

from __future__ import annotations

from typing import NamedTuple

from server.graphemes import count_graphemes


class LengthResult(NamedTuple):
    characters: int
    bytes: int
    graphemes: int

    def as_json(self) -> dict[str, object]:
        return {"characters": self.characters, "bytes": self.bytes, "graphemes": self.graphemes}


def length(text: str, encoded: bytes | None = None) -> LengthResult:
    """Counts of ``text``; ``encoded`` is its UTF-8 form when the caller already has it."""
    size = len(encoded) if encoded is not None else len(text.encode("utf-8", "surrogatepass"))
    return LengthResult(len(text), size, count_graphemes(text))
