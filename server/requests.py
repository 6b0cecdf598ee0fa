"""Request parsing, sans-I/O: one request line (bytes, ending removed) to a :class:`Request`.

The forms (see docs/protocol.md):

* ``parity 42`` / ``length halo dunia`` / ``help``: a command word (case-insensitive) at the
  very start of the line, then everything after the first space, verbatim;
* anything else: the default handler (``auto`` picks parity for an integer, length otherwise);
* a line whose first non-blank character is ``{``: a JSON request with ``id``, ``handler``,
  ``text`` and ``lang``.

Errors are raised as :class:`~server.errors.HandlerError` inside a :class:`RequestError`
that also says which form the reply must take (a JSON line gets a JSON error).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from server.errors import HandlerError
from server.parity import split_integer

HANDLERS = ("parity", "length", "auto")
COMMANDS = ("parity", "length", "help")
LANGS = ("id", "en")
NO_ID = object()  # a JSON request without "id": the reply has none either


@dataclass(slots=True)
class Request:
    handler: str  # "parity", "length", "help", or "auto" (resolved by resolve_auto)
    text: str
    is_json: bool = False
    id: object = NO_ID
    lang: str | None = None  # None: the service's default language
    encoded: bytes | None = field(default=None, repr=False)  # UTF-8 of text, when known


class RequestError(Exception):
    """A line that is not a valid request, with what its error reply needs."""

    def __init__(
        self, error: HandlerError, is_json: bool, id: object = NO_ID, lang: str | None = None
    ) -> None:
        super().__init__(error.code)
        self.error = error
        self.is_json = is_json
        self.id = id
        self.lang = lang


def is_json_line(line: bytes) -> bool:
    first = line[:1]
    if first == b"{":
        return True
    return first in (b" ", b"\t") and line.lstrip(b" \t")[:1] == b"{"


def parse_request(line: bytes, default: str = "auto") -> Request:
    """Parse one line; raises :class:`RequestError` for a line that cannot be a request."""
    if is_json_line(line):
        return _parse_json(line)
    if not line:
        raise RequestError(HandlerError("empty"), is_json=False)
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RequestError(HandlerError("invalid_utf8", str(exc.start)), is_json=False) from None
    request = parse_plain(text, default)
    if request.handler == "length" and len(request.text) == len(text):
        request.encoded = line  # the whole line is the text: its byte count is known
    return request


def parse_plain(text: str, default: str = "auto") -> Request:
    """A plain (non-JSON) request line, already decoded."""
    word, space, rest = text.partition(" ")
    command = word.lower()
    if command in COMMANDS:
        return Request(command, rest)
    if default == "auto":
        return resolve_auto(text)
    return Request(default, text)


def resolve_auto(text: str) -> Request:
    """``auto``: parity for an integer, length for anything else."""
    return Request("parity" if split_integer(text) is not None else "length", text)


MAX_JSON_DEPTH = 64  # deeper JSON is refused: echoing it (an id) would hit the recursion limit


def load_json(text: str, strict: bool = True) -> object:
    """``json.loads`` for what clients send: no ``NaN``/``Infinity`` (not JSON, and they
    would be echoed as invalid JSON), nothing nested deeper than :data:`MAX_JSON_DEPTH`.
    Raises ValueError (or RecursionError) for anything else."""
    value = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float,
                       strict=strict)
    if text.count("[") + text.count("{") > MAX_JSON_DEPTH and _nested_deeper(value):
        raise RecursionError("nested too deeply")
    return value


def _nested_deeper(value: object, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``value`` nests lists and objects more than ``limit`` deep (iterative: a
    recursive walk would hit the limit it is checking for)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _finite_float(literal: str) -> float:
    value = float(literal)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"{literal[:20]} is out of range")
    return value


def _parse_json(line: bytes) -> Request:
    try:
        # Decode first: json.loads on bytes would guess UTF-16/32 and let encoded
        # surrogates through, and the protocol is strictly UTF-8.
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RequestError(HandlerError("invalid_utf8", str(exc.start)), is_json=True) from None
    try:
        value = load_json(text)
    except (ValueError, RecursionError) as exc:
        # ValueError covers JSONDecodeError and over-long integer literals.
        raise RequestError(HandlerError("invalid_json", _short_reason(exc)), is_json=True) from None
    if not isinstance(value, dict):
        raise RequestError(HandlerError("invalid_json", "not an object"), is_json=True)
    request_id = value.get("id", NO_ID)
    lang = value.get("lang")
    if lang is not None and lang not in LANGS:
        raise RequestError(HandlerError("invalid_request", "lang"), True, request_id)
    handler = value.get("handler", "auto")
    if not isinstance(handler, str):
        raise RequestError(HandlerError("invalid_request", "handler"), True, request_id, lang)
    if handler not in HANDLERS:
        raise RequestError(HandlerError("unknown_handler", handler), True, request_id, lang)
    text = value.get("text")
    if not isinstance(text, str):
        raise RequestError(HandlerError("invalid_request", "text"), True, request_id, lang)
    if handler == "auto":
        # As a plain line would be treated, except that a nested "{" is just text.
        if not text:
            raise RequestError(HandlerError("empty"), True, request_id, lang)
        request = parse_plain(text)
    else:
        request = Request(handler, text)
    request.is_json = True
    request.id = request_id
    request.lang = lang
    return request


def _short_reason(exc: BaseException) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at {exc.pos}"
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return str(exc)[:80]
