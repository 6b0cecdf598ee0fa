"""Log records as one line each: no traceback ever reaches the operator's terminal.

aiohttp logs every malformed HTTP request (``Error handling request``) and every handler
exception with its traceback; 500 malformed requests made 345 KB of stderr. A client's
mistake (a malformed request, already answered with 400) or its leaving (a reset in the
middle of a send) is not news for the operator: those records are dropped. Anything else (a
bug) stays, as one line: the exception's type and first line. ``PLAYGROUND_DEBUG=1`` keeps
tracebacks.
"""

from __future__ import annotations

import logging

from aiohttp.http_exceptions import HttpProcessingError

#: Exceptions that say what a client did, not what went wrong here.
CLIENT_FAULTS: tuple[type[BaseException], ...] = (ConnectionError, HttpProcessingError)


class OneLineErrors(logging.Filter):
    """A handler filter: drops client faults, folds any other exception into the line."""

    def __init__(self, debug: bool = False) -> None:
        super().__init__()
        self.debug = debug

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is None:
            return True
        if isinstance(exc, CLIENT_FAULTS):
            return False
        if not self.debug:
            first_line = (str(exc).strip().splitlines() or [""])[0]
            record.msg = f"{record.getMessage()}: {type(exc).__name__}: {first_line}"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


def install(debug: bool = False) -> None:
    """Put :class:`OneLineErrors` on every handler of the root logger."""
    for handler in logging.getLogger().handlers:
        handler.addFilter(OneLineErrors(debug))
