"""The page as the contract names it: accessible names per language, and a few steps that
every test takes (open the page, send a message, find an entry in the log)."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Locator, Page, expect

from e2e.support import RunningServer

LANGS = ("en", "id")

NAMES = {
    "en": {
        "message": "Message", "conversation": "Conversation", "server": "Server",
        "bytes": "Bytes", "queue": "Queue experiment", "export": "Export", "copy": "Copy",
        "clear": "Clear", "send": "Send", "auto": "Auto", "parity": "Parity",
        "length": "Length", "raw": "Raw", "waiting": "waiting",
    },
    "id": {
        "message": "Pesan", "conversation": "Percakapan", "server": "Server",
        "bytes": "Bita", "queue": "Percobaan antrean", "export": "Ekspor", "copy": "Salin",
        "clear": "Bersihkan", "send": "Kirim", "auto": "Auto", "parity": "Parity",
        "length": "Length", "raw": "Raw", "waiting": "menunggu",
    },
}

# The status's words (whole words: "disconnected" does not say "connected").
CONNECTED = {"en": re.compile(r"\bconnected\b"), "id": re.compile(r"\bterhubung\b")}
DISCONNECTED = {"en": re.compile(r"\bdisconnected\b"), "id": re.compile(r"\bterputus\b")}
READY = {"en": re.compile(r"\bready\b"), "id": re.compile(r"\bsiap\b")}
RECONNECTING = {"en": re.compile(r"\breconnecting\b"), "id": re.compile(r"menghubungkan ulang")}


def open_page(page: Page, server: RunningServer, lang: str = "en") -> Page:
    """Load the page in ``lang`` and wait until it is connected through to the backend."""
    page.goto(server.page_url(lang))
    expect(page.get_by_role("status")).to_contain_text(CONNECTED[lang])
    return page


def open_page_behind(page: Page, start: Callable[..., RunningServer], backend: str,
                     lang: str = "en") -> RunningServer:
    """Start a server with ``--backend backend`` (``host:port``) and open its page in ``lang``
    (ready: a foreign backend is connected only to send); returns the server."""
    front = start("--backend", backend)
    page.goto(front.page_url(lang))
    expect(page.get_by_role("status")).to_contain_text(READY[lang])
    return front


def message_box(page: Page, lang: str = "en") -> Locator:
    return page.get_by_role("textbox", name=NAMES[lang]["message"])


def conversation(page: Page, lang: str = "en") -> Locator:
    return page.get_by_role("log", name=NAMES[lang]["conversation"])


def server_view(page: Page, lang: str = "en") -> Locator:
    return page.get_by_role("region", name=re.compile(NAMES[lang]["server"]))


def send(page: Page, text: str, lang: str = "en", handler: str | None = None) -> None:
    """Choose ``handler`` (if given), type ``text`` in the message box and press Enter."""
    if handler:
        page.get_by_role("radio", name=NAMES[lang][handler]).check()
    box = message_box(page, lang)
    box.fill(text)
    box.press("Enter")


def entry(page: Page, text: str | re.Pattern[str], lang: str = "en") -> Locator:
    """The log entries holding ``text``."""
    return conversation(page, lang).get_by_role("listitem").filter(has_text=text)


def reply(page: Page, text: str | re.Pattern[str], lang: str = "en") -> Locator:
    """Received entries holding ``text`` (a reply, not the request that asked it)."""
    received = "received" if lang == "en" else "diterima"
    return entry(page, text, lang).filter(has_text=received)


def request(page: Page, text: str | re.Pattern[str], lang: str = "en") -> Locator:
    """Sent entries holding ``text`` (a request, not its reply)."""
    sent = "→ sent" if lang == "en" else "→ dikirim"
    return entry(page, text, lang).filter(has_text=sent)
