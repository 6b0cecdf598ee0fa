"""Unit tests of the lab report's pieces (web/export.js, web/lab-report.js, web/i18n.js,
web/log-tools.js), run as ES modules in Chromium: the CSV formula guard, numbers that cannot
be misread, Mermaid-safe text, counts, the time zone, and what a reload keeps."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page


@pytest.fixture
def module_page(page: Page, server) -> Page:
    page.goto(server.url + "?lang=en")  # same origin for the import
    return page


@pytest.mark.parametrize(("value", "cell"), [
    ("=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\""),
    ("+1", "'+1"), ("-7", "'-7"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
    ("\rx", "\"'\rx\""), ("42", "42"), ("halo, dunia", "\"halo, dunia\""), ("", ""),
])
def test_csv_cells_never_run_as_formulas(module_page: Page, value: str, cell: str) -> None:
    got = module_page.evaluate("async (v) => (await import('/static/export.js')).csvCell(v)", value)
    assert got == cell


@pytest.mark.parametrize(("ms", "lang", "text"), [
    (11.659, "id", "11,7"), (11.659, "en", "11.7"), (27.6, "id", "27,6"), (0.42, "id", "0,4"),
    (1234.5, "id", "1235"), (1234.5, "en", "1235"),  # never grouped: "1.235" reads as one
])
def test_milliseconds_are_written_so_they_cannot_be_misread(module_page: Page, ms: float,
                                                            lang: str, text: str) -> None:
    got = module_page.evaluate(
        "async ([ms, lang]) => (await import('/static/i18n.js')).formatMs(ms, lang)", [ms, lang])
    assert got == text


def test_mermaid_text_and_counts(module_page: Page) -> None:
    got = module_page.evaluate("""async () => {
      const m = await import('/static/lab-report.js');
      return {
        mermaid: m.mermaidText('a;b #1 <x>\\nline'),
        counts: [m.counts('halo dunia'), m.counts('héllo'), m.counts('👋🏽')],
        zone: m.timeZone(),
      };
    }""")
    assert got["mermaid"] == "a#59;b #35;1 #lt;x#gt; line"
    assert got["counts"] == [{"characters": 10, "bytes": 10, "graphemes": 10},
                             {"characters": 5, "bytes": 6, "graphemes": 5},
                             {"characters": 2, "bytes": 8, "graphemes": 1}]
    assert got["zone"]["offset"][0] in "+-"


def test_a_reload_keeps_requests_but_never_sends_them_again(module_page: Page) -> None:
    got = module_page.evaluate("""async () => {
      const m = await import('/static/log-tools.js');
      return m.storable([{kind: 'request', state: 'sent', text: '42'},
                         {kind: 'request', state: 'answered', text: '7'}]);
    }""")
    assert got[0]["state"] == "lost" and got[0]["lostHow"] == "reload"
    assert got[1]["state"] == "answered"
