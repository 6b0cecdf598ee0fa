"""Export for a lab report: Markdown and CSV downloads, and the Markdown on the clipboard."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from e2e.pages import NAMES, open_page, reply, send

HEADINGS = {
    "en": ["# Lab report", "## Settings", "## Requests and replies", "## Round-trip time",
           "## Analysis", "### 1. Analysis of the experiment", "### 2. Server",
           "### 3. Client", "## Conclusion"],
    "id": ["# Laporan praktikum", "## Pengaturan", "## Permintaan dan balasan",
           "## Waktu pulang-pergi (RTT)", "## Analisis", "### 1. Analisis hasil percobaan",
           "### 2. Program server", "### 3. Program client", "## Kesimpulan"],
}
REPLIES = {"en": ("42 is even", "10 characters"),
           "id": ("angka 42 merupakan genap", "jumlah karakter: 10")}


def converse(page: Page, lang: str) -> None:
    send(page, "42", lang)
    send(page, "halo dunia", lang)
    for text in REPLIES[lang]:
        expect(reply(page, text, lang)).to_have_count(1)


def download(page: Page, lang: str, item: str) -> tuple[str, str]:
    page.get_by_role("button", name=NAMES[lang]["export"]).click()
    with page.expect_download() as info:
        page.get_by_role("button", name=item).click()
    path = info.value.path()
    return info.value.suggested_filename, Path(path).read_text(encoding="utf-8")


@pytest.mark.parametrize("lang", ["en", "id"])
def test_export_markdown_is_a_lab_report_skeleton(page: Page, server, lang: str) -> None:
    open_page(page, server, lang)
    converse(page, lang)

    name, text = download(page, lang, "Markdown")

    assert name.endswith(".md")
    for heading in HEADINGS[lang]:
        assert f"\n{heading}" in f"\n{text}", heading
    for answer in REPLIES[lang]:
        # number, time, handler, request, line ending (none in JSON modes), reply, RTT
        assert re.search(rf"^\| 1?\d \| \d\d:\d\d:\d\d\.\d{{3}} \| auto \| .* \|   \| {answer} \| "
                         r"\d+([.,]\d)? \|$", text, re.M), answer
    assert re.search(r"min [\d.,]+ ms · median [\d.,]+ ms · (max|maks) [\d.,]+ ms", text)
    assert f"127.0.0.1:{server.tcp_port}" in text  # the settings in force


def test_export_csv_holds_every_request_and_reply_with_time_and_rtt(page: Page,
                                                                    server) -> None:
    open_page(page, server)
    converse(page, "en")
    send(page, "x", handler="parity")
    expect(reply(page, "not_an_integer")).to_have_count(1)

    name, text = download(page, "en", "CSV")

    assert name.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["handler"], r["request"], r["reply"], r["ok"]) for r in rows] == [
        ("auto", "42", "42 is even", "true"),
        ("auto", "halo dunia", "10 characters", "true"),
        ("parity", "x", 'not_an_integer: "x" is not an integer', "false"),
    ]
    for row in rows:
        assert float(row["rtt_ms"]) > 0
        # one zone throughout, with its offset
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d",
                            row["request_time"])
        assert row["reply_time"] >= row["request_time"]


@pytest.mark.parametrize("lang", ["en", "id"])
def test_copy_puts_the_markdown_on_the_clipboard(page: Page, server, lang: str) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    open_page(page, server, lang)
    converse(page, lang)

    page.get_by_role("button", name=NAMES[lang]["copy"], exact=True).click()

    copied = "Markdown copied" if lang == "en" else "Markdown tersalin"
    expect(page.get_by_text(copied)).to_be_attached()
    text = page.evaluate("navigator.clipboard.readText()")
    assert text.startswith(HEADINGS[lang][0])
    for answer in REPLIES[lang]:
        assert answer in text
