"""The page against a student's own server (issue 12): ``--backend`` to a single-threaded,
one-request-per-connection server that replies without LF and crashes on a connection
without data (``tests/lab_server.py``, a real process). The page never holds or crashes it,
a reload sends nothing, the line ending reaches it as chosen, a crash is named, the queue
experiment finishes against it, the log survives a reload, and the export is a report."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from e2e.pages import NAMES, READY, entry, open_page_behind, reply, send, server_view
from tests.support import LabServer


def choose_ending(page: Page, ending: str) -> None:
    page.get_by_label("Line ending").select_option(ending)


def test_opening_and_reloading_the_page_sends_nothing(page: Page, start) -> None:
    with LabServer("parity") as lab:
        open_page_behind(page, start, lab.address)
        for _ in range(3):
            page.reload()
            expect(page.get_by_role("status")).to_contain_text(READY["en"])
        # an accept would have crashed it (int(b'')) or been counted
        assert lab.accepts == 0 and lab.alive
        send(page, "42")
        expect(reply(page, "angka 42 merupakan genap")).to_have_count(1)
        send(page, "7")
        expect(reply(page, "angka 7 merupakan ganjil")).to_have_count(1)
        assert lab.accepts == 2 and lab.alive  # one connection per message, none idle


@pytest.mark.parametrize(("ending", "count"), [("none", "10"), ("lf", "11"), ("crlf", "12")])
def test_line_ending_reaches_the_server_as_chosen(page: Page, start, ending: str,
                                                  count: str) -> None:
    with LabServer("length") as lab:
        open_page_behind(page, start, lab.address)
        expect(page.get_by_label("Line ending")).to_have_value("none")  # the default here
        choose_ending(page, ending)
        send(page, "halo dunia")
        expect(reply(page, re.compile(rf"received.*\D{count}\s*$"))).to_have_count(1)
        page.get_by_role("button", name=NAMES["en"]["bytes"]).click()
        sent_bytes = {"none": 10, "lf": 11, "crlf": 12}[ending]
        expect(entry(page, f"{sent_bytes} bytes on the wire").first).to_be_visible()
        expect(page.get_by_role("region", name=re.compile("Server"))).to_contain_text(
            "Request dari client : halo dunia")


@pytest.mark.parametrize("lang", ["en", "id"])
def test_a_crash_is_named_as_such(page: Page, start, lang: str) -> None:
    with LabServer("parity") as lab:
        open_page_behind(page, start, lab.address, lang)
        send(page, "abc", lang)
        words = ("closed it without replying — did it crash?" if lang == "en"
                 else "menutupnya tanpa membalas — apakah server crash?")
        expect(entry(page, words, lang)).to_have_count(1)
        expect(page.get_by_role("status")).to_contain_text(
            "did it crash" if lang == "en" else "apakah server crash")
        lab.proc.wait(5)
        assert "ValueError" in lab.output()


def test_queue_experiment_finishes_against_a_single_threaded_server(page: Page, start) -> None:
    with LabServer("parity") as lab:
        open_page_behind(page, start, lab.address)
        view = server_view(page)
        view.get_by_role("button", name="Queue experiment").click()
        expect(view).to_contain_text(re.compile(r"Done: 3 of 3 answered"), timeout=30_000)
        expect(view).not_to_contain_text("serves many clients")
        assert lab.accepts == 3 and lab.alive


def test_log_survives_a_reload_and_clear_can_be_undone(page: Page, start) -> None:
    with LabServer("parity") as lab:
        open_page_behind(page, start, lab.address)
        send(page, "42")
        expect(reply(page, "angka 42 merupakan genap")).to_have_count(1)
        page.reload()
        expect(reply(page, "angka 42 merupakan genap")).to_have_count(1)
        assert lab.accepts == 1
        page.get_by_role("button", name="Clear").click()
        expect(reply(page, "angka 42 merupakan genap")).to_have_count(0)
        page.get_by_role("button", name="Undo clear").click()
        expect(reply(page, "angka 42 merupakan genap")).to_have_count(1)
        page.get_by_label("Show").select_option("errors")
        expect(reply(page, "angka 42 merupakan genap")).to_be_hidden()
        page.get_by_label("Show").select_option("all")
        page.get_by_role("searchbox").fill("zzz")
        expect(reply(page, "angka 42 merupakan genap")).to_be_hidden()


def test_export_is_a_lab_report(page: Page, start) -> None:
    with LabServer("length") as lab:
        open_page_behind(page, start, lab.address)
        page.get_by_text("Your details for the lab report").click()
        page.get_by_label("Name").fill("Siti Aminah")
        page.get_by_label("Student number (NIM)").fill("123456")
        page.get_by_label("Class").fill("TI-2A")
        page.reload()  # typed once, remembered
        expect(page.get_by_label("Name")).to_have_value("Siti Aminah")
        send(page, "héllo")
        expect(reply(page, re.compile(r"received.*\D5\s*$"))).to_have_count(1)
        view = server_view(page)
        view.get_by_role("button", name="Queue experiment").click()
        expect(view).to_contain_text(re.compile(r"Done: 3 of 3 answered"), timeout=30_000)
        page.get_by_role("button", name="Export").click()
        with page.expect_download() as info:
            page.get_by_role("button", name="Markdown").click()
        text = Path(info.value.path()).read_text(encoding="utf-8")
    assert "- Name: Siti Aminah" in text and "123456" in text and "TI-2A" in text
    assert "```mermaid\nsequenceDiagram" in text
    assert "C->>S: héllo (no line ending)" in text and "S-->>C: 5" in text
    assert "| 1 | héllo | 5 | 6 | 5 |" in text  # characters, bytes, graphemes
    assert "## Server console" in text and "Request dari client : héllo" in text
    assert "## Queue experiment" in text and "answered after" in text
    assert re.search(r"Times are \S+ \(UTC[+-]\d\d:\d\d\)", text)
    for heading in ("## Aim", "## Analysis", "## Conclusion"):
        assert heading in text


def test_queue_experiment_against_a_one_shot_server_ends_every_connection(page: Page,
                                                                          start) -> None:
    """The lab sheet's server exactly: it serves one client and exits. The other queue
    connections are left in its backlog or refused; each still ends with a result."""
    with LabServer("parity", loop=False) as lab:
        front = start("--backend", lab.address, "--reply-timeout", "2")
        page.goto(front.page_url("en"))
        expect(page.get_by_role("status")).to_contain_text(READY["en"])
        view = server_view(page)
        view.get_by_role("button", name="Queue experiment").click()
        expect(view).to_contain_text(re.compile(r"Done: 1 of 3 answered"), timeout=30_000)
        runs = view.get_by_role("listitem").filter(has_text=re.compile(r"^queue-\d"))
        expect(runs.filter(has_text="answered after")).to_have_count(1)
        expect(runs.filter(has_text=re.compile(
            r"ended: |timed out after"))).to_have_count(2)
        expect(view).not_to_contain_text("Running")
