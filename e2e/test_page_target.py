"""One playground for a class, on the page: the "Server address" field (class names offered,
Enter connects, the choice kept in the URL), refusals, the session's name, hints that name
the address the browser used, and a class of three students on a shared instance, each
seeing only their own conversation.

Every student server is a small TCP server on 127.0.0.1; the shared instance listens on
0.0.0.0 and the browsers reach it through 127.0.0.1.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from e2e.pages import CONNECTED, DISCONNECTED, message_box, open_page, reply, send, server_view
from e2e.support import RunningServer, TinyTcpServer
from tests.support import lines_of

TARGET = {"en": "Server address", "id": "Alamat server"}
PICK = {"en": "Pick from the list", "id": "Pilih dari daftar"}
SETTINGS = {"en": "Settings in force", "id": "Pengaturan yang berlaku"}
NAME = {"en": "Who are you?", "id": "Siapa kamu?"}  # not "Name" nor "Show": other fields
STUDENTS = ("Budi", "Ani", "Citra")


def answering(prefix: str) -> Callable[[socket.socket], None]:
    """A student's server: stays open, answers each line with ``prefix: line``."""
    def handle(conn: socket.socket) -> None:
        for line in lines_of(conn):
            conn.sendall(f"{prefix}: ".encode() + line.rstrip(b"\r") + b"\n")
    return handle


@pytest.fixture
def students() -> Iterator[dict[str, TinyTcpServer]]:
    servers = {name: TinyTcpServer(answering(f"server of {name}")) for name in STUDENTS}
    yield servers
    for server in servers.values():
        server.close()


@pytest.fixture
def class_file(tmp_path: Path, students: dict[str, TinyTcpServer]) -> Path:
    path = tmp_path / "class.txt"
    path.write_text("# lab 3\n" + "".join(f"{s.address} {name}\n" for name, s in students.items()))
    return path


def choose(page: Page, target: str, lang: str = "en") -> None:
    field = page.get_by_role("textbox", name=TARGET[lang])
    field.fill(target)
    field.press("Enter")


@pytest.mark.parametrize("lang", ["en", "id"])
def test_the_field_connects_to_a_class_name_and_keeps_it_in_the_url(
        page: Page, start, class_file: Path, students: dict[str, TinyTcpServer],
        lang: str) -> None:
    running = start("--allow-target", f"@{class_file}")
    open_page(page, running, lang)
    field = page.get_by_role("textbox", name=TARGET[lang])
    expect(field).to_be_visible()
    expect(page.get_by_label(TARGET[lang])).to_be_visible()
    pick = page.get_by_role("combobox", name=PICK[lang])
    for name in STUDENTS:
        expect(pick.get_by_role("option", name=name)).to_have_count(1)

    choose(page, "ani", lang)  # names are matched without regard to case
    expect(page).to_have_url(re.compile(r"[?&]target=ani\b"))
    expect(page.get_by_role("status")).to_contain_text(students["Ani"].address)
    expect(pick).to_have_value("Ani")

    pick.select_option("Citra")
    expect(field).to_have_value("Citra")
    expect(page.get_by_role("status")).to_contain_text(students["Citra"].address)
    send(page, "1", lang)
    expect(reply(page, "server of Citra: 1", lang)).to_have_count(1)

    choose(page, "Ani", lang)
    expect(page).to_have_url(re.compile(r"[?&]target=Ani\b"))
    expect(page.get_by_role("status")).to_contain_text(students["Ani"].address)
    send(page, "42", lang)
    expect(reply(page, "server of Ani: 42", lang)).to_have_count(1)
    settings = page.get_by_role("region", name=SETTINGS[lang])
    expect(settings).to_contain_text(students["Ani"].address)  # the chosen server, not ours

    # a bookmark: the page opens there again
    page.reload()
    expect(page.get_by_role("textbox", name=TARGET[lang])).to_have_value("Ani")
    expect(page.get_by_role("status")).to_contain_text(students["Ani"].address)
    send(page, "7", lang)
    expect(reply(page, "server of Ani: 7", lang)).to_have_count(1)


def test_an_address_not_allowed_is_refused_and_not_retried(
        page: Page, start, class_file: Path) -> None:
    with TinyTcpServer(answering("forbidden")) as forbidden:
        running = start("--allow-target", f"@{class_file}")
        open_page(page, running)
        choose(page, forbidden.address)
        status = page.get_by_role("status")
        expect(status).to_contain_text(DISCONNECTED["en"])
        expect(status).to_contain_text("not allowed")
        expect(page.get_by_text(re.compile(r"Refused by the playground: .*not allowed"))
               ).to_be_visible()
        expect(status).not_to_contain_text("reconnecting")
        assert forbidden.peers == []
        # back to the playground's own service: an empty field
        choose(page, "")
        expect(status).to_contain_text(CONNECTED["en"])
        expect(page).not_to_have_url(re.compile("target="))


def test_without_allow_target_there_is_no_field(page: Page, server: RunningServer) -> None:
    open_page(page, server)
    expect(page.get_by_role("textbox", name=TARGET["en"])).to_have_count(0)


def test_hints_name_the_address_the_browser_used(page: Page, start) -> None:
    running = start("--host", "0.0.0.0")
    open_page(page, running)
    command = page.locator("#utf8-cmd")
    expect(command).to_have_text(f"printf 'parity \\xff\\n' | nc 127.0.0.1 {running.tcp_port}")


def test_a_name_is_shown_in_the_server_view_and_remembered(page: Page, start) -> None:
    running = start("--host", "0.0.0.0")
    open_page(page, running, "id")
    name = page.get_by_role("textbox", name=NAME["id"])
    name.fill("Budi Santoso")
    name.press("Enter")
    expect(page.get_by_role("status")).to_contain_text(CONNECTED["id"])
    send(page, "42", "id")
    view = server_view(page, "id")
    expect(view.get_by_role("listitem").filter(has_text="“Budi Santoso” (kamu)")
           ).to_contain_text("42")
    page.reload()
    expect(page.get_by_role("textbox", name=NAME["id"])).to_have_value("Budi Santoso")


def test_a_class_of_three_each_sees_only_their_own_conversation(
        new_context: Callable[..., BrowserContext], start, class_file: Path,
        students: dict[str, TinyTcpServer], console_errors: list[str]) -> None:
    """Three students, three browsers, one playground on 0.0.0.0, each on their own server."""
    running = start("--host", "0.0.0.0", "--allow-target", f"@{class_file}")
    pages: dict[str, Page] = {}
    for name in STUDENTS:
        page = new_context().new_page()
        page.on("pageerror", lambda e: console_errors.append(f"uncaught: {e}"))
        open_page(page, running)
        field = page.get_by_role("textbox", name=NAME["en"])
        field.fill(name)
        choose(page, name)
        expect(page.get_by_role("status")).to_contain_text(students[name].address)
        pages[name] = page
    for name, page in pages.items():
        send(page, f"rahasia {name}", "en")
        expect(reply(page, f"server of {name}: rahasia {name}")).to_have_count(1)
    for name, page in pages.items():
        view = server_view(page)
        own = view.get_by_role("listitem").filter(has_text=f"“{name}” (you)")
        expect(own).to_contain_text(f"rahasia {name}")
        for other in STUDENTS:
            if other == name:
                continue
            expect(view.get_by_role("listitem").filter(has_text=f"“{other}”")
                   ).not_to_have_count(0)
            expect(view).not_to_contain_text(f"rahasia {other}")
            expect(page.get_by_role("log")).not_to_contain_text(f"rahasia {other}")
        expect(message_box(page)).to_be_visible()
        print(f"{name}: conversation -> {students[name].address}; server view shows "
              f"own requests, others hidden: {view.locator('.console-list').inner_text()!r}")
    for name, server in students.items():
        assert len(server.peers) == 1, f"{name}'s server: {server.peers}"


def test_the_pages_check_follows_the_chosen_server(page: Page, start) -> None:
    """"Check server" checks the server the page chose, the same choice /ws uses."""
    from tests.student_servers import student_server

    with student_server("through_float") as own:
        running = start("--allow-target", own)
        open_page(page, running)
        choose(page, own)
        expect(page.get_by_role("status")).to_contain_text(own)
        page.get_by_role("button", name="Check server").click()
        results = page.get_by_role("table", name="Check results")
        big = results.get_by_role("row").filter(
            has=page.get_by_role("cell", name="big", exact=True))
        expect(big.get_by_role("cell").nth(1)).to_have_text("fail")  # not our own service
