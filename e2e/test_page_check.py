"""The page's lab checks: the "Check server" button fills the "Check results" table as
cases finish, each row's bytes open on demand, and the Markdown export includes the check."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from e2e.pages import NAMES, READY, open_page, open_page_behind
from server.check.cases import case_ids
from tests.student_servers import student_server

CHECK = {
    "en": {"region": "Lab checks", "button": "Check server", "table": "Check results",
           "pass": "pass", "fail": "fail", "info": "info", "bytes": "Sent and received",
           "sent": "sent", "md": "## Lab checks"},
    "id": {"region": "Pemeriksaan lab", "button": "Periksa server", "table": "Hasil pemeriksaan",
           "pass": "lulus", "fail": "gagal", "info": "info", "bytes": "Dikirim dan diterima",
           "sent": "dikirim", "md": "## Pemeriksaan lab"},
}
INFO_CASES = {"two_clients", "pipelined"}


def results(page: Page, lang: str):
    return page.get_by_role("table", name=CHECK[lang]["table"])


def row(page: Page, lang: str, case_id: str):
    return results(page, lang).get_by_role("row").filter(
        has=page.get_by_role("cell", name=case_id, exact=True))


@pytest.mark.parametrize("lang", ["en", "id"])
def test_check_fills_the_table_against_the_own_service(page: Page, server, lang: str) -> None:
    open_page(page, server, lang)
    region = page.get_by_role("region", name=CHECK[lang]["region"])
    region.get_by_role("button", name=CHECK[lang]["button"]).click()
    for case_id in case_ids("parity"):
        word = CHECK[lang]["info" if case_id in INFO_CASES else "pass"]
        expect(row(page, lang, case_id).get_by_role("cell").nth(1)).to_have_text(word)
    expect(results(page, lang).get_by_role("row")).to_have_count(1 + len(case_ids("parity")))
    # the bytes of a case, on demand, drawn by the byte view (LF shown as \n)
    even = row(page, lang, "even")
    even.get_by_text(CHECK[lang]["bytes"]).click()
    expect(even).to_contain_text(f"{CHECK[lang]['sent']}: 42\\n")


def test_check_of_a_student_server_explains_its_failure(page: Page, start) -> None:
    with student_server("through_float") as backend:
        open_page_behind(page, start, backend, "id")
        page.get_by_role("button", name=CHECK["id"]["button"]).click()
        expect(row(page, "id", "big").get_by_role("cell").nth(1)).to_have_text("gagal")
        expect(row(page, "id", "big")).to_contain_text("konversi lewat float")
        expect(row(page, "id", "even").get_by_role("cell").nth(1)).to_have_text("lulus")
        expect(row(page, "id", "pipelined")).to_have_count(1)


def test_markdown_export_includes_the_last_check(page: Page, server, tmp_path: Path) -> None:
    open_page(page, server, "en")
    page.get_by_role("button", name=CHECK["en"]["button"]).click()
    expect(row(page, "en", "pipelined")).to_have_count(1)
    expect(page.get_by_role("region", name="Lab checks")).to_contain_text(re.compile(r"Done"))
    page.get_by_role("button", name=NAMES["en"]["export"]).click()
    with page.expect_download() as info:
        page.get_by_role("button", name="Markdown (.md)").click()
    text = Path(info.value.path()).read_text(encoding="utf-8")
    assert CHECK["en"]["md"] in text
    assert "| `even` | pass |" in text
    assert "### Findings for the analysis" in text
    assert text.index("## Lab checks") < text.index("## Conclusion")


def test_a_second_check_meanwhile_is_told_so(page: Page, context, start) -> None:
    with student_server("silent") as backend:  # a silent server: the first check takes long
        front = open_page_behind(page, start, backend, "en")
        page.get_by_role("button", name=CHECK["en"]["button"]).click()
        expect(page.get_by_role("region", name="Lab checks")).to_contain_text("Checking…")
        other = context.new_page()
        other.goto(front.page_url("en"))
        expect(other.get_by_role("status")).to_contain_text(READY["en"])  # foreign: no TCP yet
        other.get_by_role("button", name=CHECK["en"]["button"]).click()
        expect(other.get_by_role("region", name="Lab checks")).to_contain_text(
            "Another check is running on this web app")
        expect(results(other, "en").get_by_role("row")).to_have_count(1)  # the header only
        page.close()  # leaving cancels the first check
