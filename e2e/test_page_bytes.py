"""The byte view (each message as it went on the TCP wire) and the settings in force."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from e2e.pages import NAMES, open_page, open_page_behind, reply, request, send
from e2e.support import TinyTcpServer, lab_sheet_server


def open_byte_view_behind(page: Page, start, backend: TinyTcpServer) -> None:
    """Open the page of a server bridging to ``backend``, with the byte view on."""
    open_page_behind(page, start, backend.address)
    page.get_by_role("button", name="Bytes").click()


@pytest.mark.parametrize(("lang", "on_wire"), [("en", "bytes on the wire"),
                                               ("id", "byte di jaringan")])
def test_byte_view_shows_line_endings_hex_and_size(page: Page, server, lang: str,
                                                   on_wire: str) -> None:
    open_page(page, server, lang)
    send(page, "héllo", lang, handler="raw")
    toggle = page.get_by_role("button", name=NAMES[lang]["bytes"])
    expect(toggle).to_have_attribute("aria-pressed", "false")
    sent = request(page, "héllo", lang)
    expect(sent).not_to_contain_text(on_wire)

    toggle.click()

    expect(toggle).to_have_attribute("aria-pressed", "true")
    # "héllo\n": é is c3 a9 in UTF-8, the LF is shown, 7 bytes in all.
    expect(sent).to_contain_text("c3 a9")
    expect(sent).to_contain_text("llo\\n")
    expect(sent).to_contain_text(f"7 {on_wire}")
    # Raw "héllo" has no command word: the default handler counts it, in Indonesian.
    expect(reply(page, "jumlah karakter: 5", lang)).to_contain_text("jumlah karakter: 5\\n")

    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "false")
    expect(sent).not_to_contain_text(on_wire)


def test_byte_view_shows_a_reply_that_came_without_a_line_ending(page: Page, start) -> None:
    with TinyTcpServer(lab_sheet_server) as lab:
        open_byte_view_behind(page, start, lab)

        send(page, "12")

        answer = reply(page, "angka12 merupakan genap")
        expect(answer).to_contain_text("23 bytes on the wire")
        expect(answer).to_contain_text("no LF")
        expect(answer).not_to_contain_text("genap\\n")
        # with --backend the page sends what the lab sheet's client sends: no line ending
        expect(request(page, "12")).to_contain_text("2 bytes on the wire")
        expect(request(page, "12")).not_to_contain_text("12\\n")


def test_a_json_request_on_the_wire_is_one_line(page: Page, server) -> None:
    open_page(page, server)
    page.get_by_role("button", name="Bytes").click()

    send(page, "42", handler="parity")

    sent = request(page, "42")
    expect(sent).to_contain_text('{"id":1,"handler":"parity","text":"42","lang":"en"}\\n')
    expect(reply(page, "42 is even")).to_contain_text('"message": "42 is even"}\\n')


@pytest.mark.parametrize(("lang", "rows"), [
    ("en", ["Line limit", "1000 bytes", "Idle flush", "80 ms", "Idle timeout", "60 s",
            "Default handler", "length", "Server language", "en",
            "One connection at a time (--single)", "yes", "Backend"]),
    ("id", ["Batas baris", "1000 byte", "Dijawab setelah jeda", "80 ms", "Batas waktu diam",
            "60 detik", "Jenis permintaan bawaan", "length", "Bahasa layanan", "ya", "Server"]),
])
def test_settings_in_force_come_from_the_server(page: Page, start, lang: str,
                                                rows: list[str]) -> None:
    custom = start("--max-line", "1000", "--idle-flush-ms", "80", "--idle-timeout", "60",
                   "--default", "length", "--lang", "en", "--single")
    open_page(page, custom, lang)

    settings = page.get_by_role("region", name="Settings in force" if lang == "en"
                                else "Pengaturan yang berlaku")
    for text in rows:
        expect(settings).to_contain_text(text)
    expect(settings).to_contain_text(f"127.0.0.1:{custom.tcp_port}")


def test_byte_view_shows_reply_bytes_that_are_not_utf8_in_hex(page: Page, start) -> None:
    def latin1_server(conn) -> None:
        conn.recv(1024)
        conn.sendall("café\n".encode("latin-1"))  # é is one byte, e9: not UTF-8

    with TinyTcpServer(latin1_server) as foreign:
        open_byte_view_behind(page, start, foreign)

        send(page, "menu")

        answer = reply(page, "caf\ufffd")
        expect(answer).to_contain_text("e9")
        expect(answer).to_contain_text("\\n")
        expect(answer).to_contain_text("5 bytes on the wire")
