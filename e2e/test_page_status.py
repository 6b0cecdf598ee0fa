"""The connection status: connected only through to the backend, disconnected with the
reason, reconnecting by itself, and nothing typed meanwhile is lost."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from e2e.pages import (
    CONNECTED,
    DISCONNECTED,
    NAMES,
    READY,
    entry,
    open_page_behind,
    reply,
    request,
    send,
)
from e2e.support import TinyTcpServer, free_port, lab_sheet_server

RECONNECT = 20_000  # ms: the backoff is capped at 5 s


@pytest.mark.parametrize("lang", ["en", "id"])
def test_status_says_connected_with_the_backend_and_a_ping_time(page: Page, server,
                                                                lang: str) -> None:
    page.goto(server.page_url(lang))

    status = page.get_by_role("status")
    expect(status).to_contain_text(CONNECTED[lang])
    expect(status).to_contain_text(f"127.0.0.1:{server.tcp_port}")
    expect(status).to_contain_text(re.compile(r"ping \d+([.,]\d+)? ms"))


@pytest.mark.parametrize("lang", ["en", "id"])
def test_backend_killed_and_restarted_under_an_open_page(page: Page, start, lang: str) -> None:
    backend = start()
    open_page_behind(page, start, f"127.0.0.1:{backend.tcp_port}", lang)
    status = page.get_by_role("status")
    # A server it did not start may not speak JSON: the page starts in Raw mode.
    expect(page.get_by_role("radio", name=NAMES[lang]["raw"])).to_be_checked()
    send(page, "parity 4", lang)
    expect(reply(page, "angka 4 merupakan genap", lang)).to_have_count(1)

    backend.kill()

    # A foreign backend is connected only to send: nothing to say until a message is sent.
    send(page, "parity 5", lang)
    expect(status).to_contain_text(DISCONNECTED[lang])
    expect(status).not_to_contain_text(CONNECTED[lang])
    refused = "Connection refused" if lang == "en" else "Koneksi ditolak"
    expect(entry(page, refused, lang).first).to_be_visible()
    queued = "queued" if lang == "en" else "dalam antrean"
    expect(request(page, "parity 5", lang)).to_contain_text(queued)
    expect(status).to_contain_text("1 queued" if lang == "en" else "1 dalam antrean")

    start("--tcp-port", str(backend.tcp_port))

    expect(reply(page, "angka 5 merupakan ganjil", lang)).to_have_count(1, timeout=RECONNECT)
    expect(request(page, "parity 5", lang)).not_to_contain_text(queued)


@pytest.mark.parametrize("lang", ["en", "id"])
def test_page_is_ready_without_connecting_and_a_message_waits_for_the_backend(
        page: Page, start, lang: str) -> None:
    port = free_port()
    front = start("--backend", f"127.0.0.1:{port}")
    page.goto(front.page_url(lang))
    status = page.get_by_role("status")
    expect(status).to_contain_text(READY[lang])  # nothing was tried: nothing is sent
    send(page, "42", lang)
    expect(status).to_contain_text(DISCONNECTED[lang])
    expect(status).to_contain_text("refused" if lang == "en" else "menolak")
    expect(request(page, "42", lang)).to_contain_text("queued" if lang == "en"
                                                      else "dalam antrean")
    expect(status).not_to_contain_text(CONNECTED[lang])

    with TinyTcpServer(lab_sheet_server, port=port):
        expect(reply(page, "angka42 merupakan genap", lang)).to_have_count(1, timeout=RECONNECT)
        expect(status).to_contain_text(READY[lang])  # the lab sheet's server closed it
