"""The server view: every connected client with its address and what it asked, printed as
the lab sheet's server prints it; and the lab sheet's own server behind --backend."""

from __future__ import annotations

import re
import socket

import pytest
from playwright.sync_api import Page, expect

from e2e.pages import NAMES, entry, open_page, open_page_behind, reply, send, server_view
from e2e.support import TinyTcpServer, lab_sheet_server


@pytest.mark.parametrize(("lang", "tcp_client"), [("en", "TCP client"), ("id", "client TCP")])
def test_raw_tcp_client_appears_with_its_address_and_request(page: Page, server, lang: str,
                                                             tcp_client: str) -> None:
    open_page(page, server, lang)
    view = server_view(page, lang)

    with socket.create_connection(("127.0.0.1", server.tcp_port)) as client:
        port = client.getsockname()[1]
        client.sendall(b"parity 42\n")
        assert client.recv(1024) == b"angka 42 merupakan genap\n"

        listed = view.get_by_role("listitem").filter(has_text=f"127.0.0.1:{port}")
        expect(listed).to_contain_text(tcp_client)
        expect(listed).to_contain_text("parity 42")
        expect(view).to_contain_text(
            f"Request dari client : parity 42 IP client : ('127.0.0.1', {port})")
        expect(view).to_contain_text("→ angka 42 merupakan genap")

    expect(view.get_by_role("listitem").filter(has_text=f"127.0.0.1:{port}")).to_have_count(0)


@pytest.mark.parametrize(("lang", "served"), [("en", "served"), ("id", "dilayani")])
def test_the_pages_own_session_is_listed_with_what_it_asked(page: Page, server, lang: str,
                                                            served: str) -> None:
    open_page(page, server, lang)
    view = server_view(page, lang)

    send(page, "42", lang)

    own = view.get_by_role("listitem").filter(has_text="WebSocket")
    expect(own.filter(has_text="42")).to_have_count(1)
    expect(own.filter(has_text="42")).to_contain_text(served)
    expect(view).to_contain_text(re.compile(
        r"Request dari client : 42 IP client : \('127\.0\.0\.1', \d+\)"))


@pytest.mark.parametrize("lang", ["en", "id"])
def test_lab_sheet_server_behind_backend_is_heard_in_raw_mode(page: Page, start,
                                                              lang: str) -> None:
    """The lab sheet's server: one request per connection, a reply with no LF, then close."""
    with TinyTcpServer(lab_sheet_server) as lab:
        open_page_behind(page, start, lab.address, lang)
        expect(page.get_by_role("radio", name=NAMES[lang]["raw"])).to_be_checked()

        send(page, "42", lang)

        expect(reply(page, "angka42 merupakan genap", lang)).to_have_count(1)
        replied = ("the server replied and closed it" if lang == "en"
                   else "server membalas lalu menutupnya")
        expect(entry(page, replied, lang)).not_to_have_count(0)
        # The page stays open; the next question opens the next connection.
        send(page, "7", lang)
        expect(reply(page, "angka7 merupakan ganjil", lang)).to_have_count(1)
        assert len(lab.peers) == 2

        view = server_view(page, lang)
        # the client's address, as the lab sheet's server prints it: never the server's port
        client_port = lab.peers[0][1]
        expect(view).to_contain_text(
            f"Request dari client : 42 IP client : ('127.0.0.1', {client_port})")
        expect(view).not_to_contain_text(f"('127.0.0.1', {lab.port})")
        expect(view).to_contain_text(f"127.0.0.1:{lab.port}")
