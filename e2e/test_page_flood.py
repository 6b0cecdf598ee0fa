"""A flood of 5,000 replies: the log keeps the last 1,000 with a note, the page answers."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect

from e2e.pages import conversation, open_page_behind, reply, send
from e2e.support import FLOOD_LINES, TinyTcpServer, flooding_server

DROPPED = {"en": "older entries were dropped; showing the last 1,000",
           "id": "entri lama dibuang; yang tampil 1.000 terakhir"}


@pytest.mark.parametrize("lang", ["en", "id"])
def test_flood_of_replies_is_capped_and_the_page_stays_responsive(page: Page, start,
                                                                  lang: str) -> None:
    with TinyTcpServer(flooding_server) as flood:
        open_page_behind(page, start, flood.address, lang)
        log = conversation(page, lang)
        # this server reads lines: send LF (the default with --backend is none)
        page.get_by_label("Line ending" if lang == "en" else "Akhir baris").select_option("lf")

        send(page, "flood", lang)

        expect(reply(page, f"flood {FLOOD_LINES}", lang)).to_have_count(1, timeout=30_000)
        expect(log.get_by_role("listitem")).to_have_count(1000)
        expect(page.get_by_text(DROPPED[lang])).to_be_visible()
        expect(reply(page, "flood 1", lang).filter(has_text="#1")).to_have_count(0)

        began = time.monotonic()
        send(page, "still here?", lang)
        expect(reply(page, "echo: still here?", lang)).to_have_count(1)
        assert time.monotonic() - began < 5
        expect(log.get_by_role("listitem")).to_have_count(1000)
