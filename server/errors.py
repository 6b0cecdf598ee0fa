"""Errors as values with a stable code; words for them are chosen only at the edge
(:mod:`server.replies`), in the language the client asked for.

Codes (the contract's, plus none other):

* ``not_an_integer``  - parity of something that is not an integer
* ``invalid_utf8``    - the request line is not UTF-8
* ``line_too_long``   - the line passed ``--max-line``; the rest of it was discarded
* ``invalid_json``    - a line starting with ``{`` that is not JSON
* ``unknown_handler`` - a JSON ``handler`` other than parity, length or auto
* ``invalid_request`` - a JSON request of the wrong shape, or a bridged message with a line break
* ``empty``           - an empty line
* ``internal``        - a bug in the service (never expected; the reply still comes)
"""

from __future__ import annotations

ERROR_CODES = (
    "not_an_integer",
    "invalid_utf8",
    "line_too_long",
    "invalid_json",
    "unknown_handler",
    "invalid_request",
    "empty",
    "internal",
)


class HandlerError(Exception):
    """A request the service answers with an error reply (never a crash).

    ``detail`` is the offending value or a short fact, shown to the user (abbreviated)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code, detail)
        self.code = code
        self.detail = detail
