"""Reply lines, in Indonesian (the lab sheet's language, the default) or English.

The only place where results and error codes become words. Plain requests get a plain line
(``angka 42 merupakan genap``, ``ERR not_an_integer: ...``); JSON requests get one JSON object.
Every reply is one line ending in LF: user text echoed in a reply never carries a line break.
"""

from __future__ import annotations

import json

from server.errors import HandlerError
from server.length import LengthResult
from server.parity import ParityResult
from server.requests import NO_ID

ECHO_LIMIT = 40  # longer numbers and texts are abbreviated in the echo: head…tail

USAGE = {
    "id": 'pakai: parity <bilangan bulat> | length <teks> | <teks> (auto) | '
    '{"id": 1, "handler": "auto", "text": "42"} | help',
    "en": 'usage: parity <integer> | length <text> | <text> (auto) | '
    '{"id": 1, "handler": "auto", "text": "42"} | help',
}

ERROR_TEXT = {
    "id": {
        "not_an_integer": "{echo} bukan bilangan bulat",
        "invalid_utf8": "baris ini bukan UTF-8 (byte ke-{detail})",
        "line_too_long": "baris lebih dari {max_line} byte; sisanya dibuang",
        "invalid_json": "JSON tidak valid: {detail}",
        "unknown_handler": "handler {echo} tidak dikenal; pakai parity, length atau auto",
        "invalid_request": "permintaan tidak valid: {reason}",
        "empty": "baris kosong; coba: parity 42, length halo, atau help",
        "internal": "kesalahan internal; koneksi tetap bisa dipakai",
    },
    "en": {
        "not_an_integer": "{echo} is not an integer",
        "invalid_utf8": "the line is not UTF-8 (byte {detail})",
        "line_too_long": "line longer than {max_line} bytes; the rest of it was discarded",
        "invalid_json": "invalid JSON: {detail}",
        "unknown_handler": "unknown handler {echo}; use parity, length or auto",
        "invalid_request": "invalid request: {reason}",
        "empty": "empty line; try: parity 42, length hello, or help",
        "internal": "internal error; the connection stays usable",
    },
}

INVALID_REQUEST_REASON = {
    "id": {
        "text": '"text" harus berupa string',
        "handler": '"handler" harus berupa string',
        "lang": '"lang" harus "en" atau "id"',
        "line_break": "pesan berisi pemisah baris; kirim satu baris per pesan",
        "binary": "pesan biner tidak didukung; kirim teks UTF-8",
    },
    "en": {
        "text": '"text" must be a string',
        "handler": '"handler" must be a string',
        "lang": '"lang" must be "en" or "id"',
        "line_break": "the message holds a line break; send one line per message",
        "binary": "binary messages are not supported; send UTF-8 text",
    },
}


def shorten(text: str, limit: int = ECHO_LIMIT) -> str:
    """``text`` if short, else its head and tail around an ellipsis."""
    if len(text) > limit:
        half = limit // 2
        text = f"{text[:half]}…{text[-half:]}"
    return text


def abbreviate(text: str, limit: int = ECHO_LIMIT) -> str:
    """``text`` if short, else its head and tail around an ellipsis (one line, always)."""
    text = shorten(text, limit)
    if "\n" in text or "\r" in text:
        text = text.replace("\r", "\\r").replace("\n", "\\n")
    return text


def parity_message(result: ParityResult, lang: str) -> str:
    number = abbreviate(result.number)
    if lang == "en":
        return f"{number} is {'even' if result.even else 'odd'}"
    return f"angka {number} merupakan {'genap' if result.even else 'ganjil'}"


def length_message(result: LengthResult, lang: str) -> str:
    if lang == "en":
        return f"{result.characters} character{'' if result.characters == 1 else 's'}"
    return f"jumlah karakter: {result.characters}"


def error_message(error: HandlerError, lang: str, max_line: int) -> str:
    table = ERROR_TEXT["en" if lang == "en" else "id"]
    template = table.get(error.code, error.code)
    reasons = INVALID_REQUEST_REASON["en" if lang == "en" else "id"]
    return template.format(
        # json.dumps escapes a CR or LF itself (abbreviate() would escape it twice)
        echo=json.dumps(shorten(error.detail), ensure_ascii=False),
        detail=abbreviate(error.detail, 80),
        max_line=max_line,
        reason=reasons.get(error.detail, error.detail),
    )


def plain_ok(message: str) -> bytes:
    return (message + "\n").encode("utf-8", "replace")


def plain_error(error: HandlerError, lang: str, max_line: int) -> bytes:
    return f"ERR {error.code}: {error_message(error, lang, max_line)}\n".encode()


def _json_line(reply: dict[str, object]) -> bytes:
    try:
        return (json.dumps(reply, ensure_ascii=False) + "\n").encode()
    except UnicodeEncodeError:  # a lone surrogate from a JSON "\\ud800" escape
        return (json.dumps(reply) + "\n").encode()


def json_ok(request_id: object, handler: str, result: dict[str, object], message: str) -> bytes:
    reply: dict[str, object] = {} if request_id is NO_ID else {"id": request_id}
    reply.update(ok=True, handler=handler, result=result, message=message)
    return _json_line(reply)


def json_error(request_id: object, error: HandlerError, lang: str, max_line: int) -> bytes:
    reply: dict[str, object] = {} if request_id is NO_ID else {"id": request_id}
    reply.update(
        ok=False, error={"code": error.code, "message": error_message(error, lang, max_line)}
    )
    return _json_line(reply)
