"""The lab sheet's queueing experiment: extra connections at once; under --single one is
served while the others are marked waiting, and they are answered one by one."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from e2e.pages import NAMES, open_page, server_view

ANSWERED = {"en": re.compile(r"answered ([\d,]+) ms"), "id": re.compile(r"dijawab ([\d.]+) ms")}
DONE = {"en": "Done: 3 of 3 answered", "id": "Selesai: 3 dari 3 dijawab"}


def answer_times(view: Locator, lang: str) -> list[int]:
    """When each queue connection was answered, in ms from the start, from its timeline."""
    times = []
    for label in ("queue-1", "queue-2", "queue-3"):
        row = view.get_by_role("listitem").filter(has_text=label).filter(
            has_text=ANSWERED[lang]).last
        match = ANSWERED[lang].search(row.inner_text())
        assert match, row.inner_text()
        times.append(int(re.sub(r"[,.]", "", match.group(1))))
    return sorted(times)


@pytest.mark.parametrize("lang", ["en", "id"])
def test_queue_experiment_under_single_serves_one_at_a_time(page: Page, start,
                                                            lang: str) -> None:
    single = start("--single", "--turn-idle", "0.8")
    open_page(page, single, lang)
    view = server_view(page, lang)
    expect(view).to_contain_text("--single")

    page.get_by_role("button", name=NAMES[lang]["queue"]).click()

    waiting = view.get_by_role("listitem").filter(has_text="queue-").filter(
        has_text=NAMES[lang]["waiting"])
    expect(waiting.first).to_be_visible()
    expect(view).to_contain_text(DONE[lang], timeout=20_000)
    times = answer_times(view, lang)
    # Each waits until the one before it has closed (about a second after its reply).
    assert times[1] - times[0] >= 700 and times[2] - times[1] >= 700, times


@pytest.mark.parametrize("lang", ["en", "id"])
def test_queue_experiment_without_single_serves_all_at_once(page: Page, server,
                                                            lang: str) -> None:
    open_page(page, server, lang)
    view = server_view(page, lang)
    explanation = ("The lab sheet's server is single-threaded" if lang == "en"
                   else "Server pada lembar praktikum berjalan single thread")
    expect(view).to_contain_text(explanation)

    page.get_by_role("button", name=NAMES[lang]["queue"]).click()

    expect(view).to_contain_text(DONE[lang], timeout=10_000)
    times = answer_times(view, lang)
    assert times[2] - times[0] < 500, times
    expect(view.get_by_role("listitem").filter(has_text="queue-").filter(
        has_text=NAMES[lang]["waiting"])).to_have_count(0)


def test_queue_experiment_under_single_accounts_for_the_pages_own_connection(
        page: Page, start) -> None:
    single = start("--single", "--turn-idle", "0.8")
    open_page(page, single)
    view = server_view(page)
    page.get_by_role("button", name=NAMES["en"]["queue"]).click()
    expect(view).to_contain_text(DONE["en"], timeout=20_000)
    own = view.get_by_role("listitem").filter(has_text="this page's own connection")
    expect(own).to_contain_text("held the turn when the experiment started")
    expect(own).to_contain_text(re.compile(r"gave up its turn at [\d,]+ ms"))
    expect(view).to_contain_text("This page's own connection is a client too")
