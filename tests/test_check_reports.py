"""Reports are pure functions of results: text, JSON, Markdown, JUnit and the class summary,
all tested without a network."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from server.check.reports import (
    json_report,
    junit_report,
    markdown_report,
    summary_csv,
    summary_table,
    text_case,
    text_report,
)
from server.check.results import CaseResult, ProgramExit, Report

WHEN = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)
TRACEBACK = ("Traceback (most recent call last):",
             "ValueError: invalid literal for int() with base 10: 'abc\\n'")


def sample(**kw) -> Report:
    report = Report("127.0.0.1:12345", "parity", started=WHEN, **kw)
    report.cases = [
        CaseResult("even", "fail", b"42\n", b"angka42 merupakan ganjil", "closed", 1.25,
                   "wrong_parity", {"number": "42", "expected": "even", "word": "ganjil",
                                    "hint": "else", "reply": "angka42 merupakan ganjil"}),
        CaseResult("odd", "pass", b"7\n", b"ganjil\n", "reply", 0.5, "right_parity",
                   {"number": "7", "expected": "odd", "word": "ganjil", "reply": "ganjil"}),
        CaseResult("not_a_number", "fail", b"abc\n", b"", "closed", 2.0, "crashed",
                   {"status": 1, "hint": "int"}, restarted=True, exit=ProgramExit(1, TRACEBACK)),
        CaseResult("two_clients", "info", b"42\n", b"genap\n", "reply", 2004.0, "one_at_a_time",
                   {"seconds": 2.0}, "one_at_a_time"),
        CaseResult("pipelined", "skip", b"42\n7\n", b"", "refused", 0.0, "skipped",
                   {"after": "two_clients"}),
    ]
    return report


def test_json_is_the_contracts_shape_with_english_verdicts() -> None:
    body = json.loads(json_report(sample(), "id"))
    assert body["target"] == "127.0.0.1:12345" and body["exercise"] == "parity"
    assert body["summary"] == {"pass": 1, "fail": 2, "info": 1, "skip": 1}
    first = body["cases"][0]
    assert {"id", "verdict", "sent", "received", "ended", "ms", "explanation"} <= first.keys()
    assert [c["verdict"] for c in body["cases"]] == ["fail", "pass", "fail", "info", "skip"]
    assert first["sent"] == "42\n" and first["ended"] == "closed"
    assert "apakah ada `else` yang hilang?" in first["explanation"]
    assert body["cases"][2]["exit"] == {"status": 1, "output": list(TRACEBACK)}
    assert body["cases"][2]["restarted"] is True
    assert body["cases"][3]["finding"] == "one at a time"


def test_json_shows_bytes_that_are_not_utf8_as_escapes() -> None:
    report = Report("h:1", "length", started=WHEN)
    report.cases = [CaseResult("invalid_utf8", "pass", b"\xff\xfe", b"ok", "reply", 1.0,
                               "still_answers_after_reply", {})]
    assert json.loads(json_report(report, "en"))["cases"][0]["sent"] == "\\xff\\xfe"


def test_text_has_each_case_a_summary_and_a_recap_of_only_the_failures() -> None:
    text = text_report(sample(), "en")
    for case_id in ("even", "odd", "not_a_number", "two_clients", "pipelined"):
        assert case_id in text
    assert "Summary: 1 pass, 2 fail, 1 info, 1 skip" in text
    recap = text.split("Failures:")[1]
    assert "even:" in recap and "not_a_number:" in recap
    assert "odd:" not in recap and "two_clients" not in recap
    assert "ValueError: invalid literal" in recap and "exit status 1" in recap
    assert "\x1b[" not in text


def test_text_is_coloured_only_when_asked() -> None:
    case = sample().cases[0]
    assert "\x1b[31m" in text_case(case, "en", colour=True)
    assert "\x1b[" not in text_case(case, "en", colour=False)


def test_text_in_indonesian_uses_indonesian_verdict_words() -> None:
    text = text_report(sample(), "id")
    assert "gagal" in text and "lulus" in text and "lewat" in text
    assert "Ringkasan: 1 lulus, 2 gagal, 1 info, 1 lewat" in text
    assert "client kedua menunggu 2,0 detik" in text


def test_text_says_where_the_server_stopped() -> None:
    text = text_report(sample(stopped_after="two_clients"), "en")
    assert "stopped accepting connections after “two_clients”" in text


def test_markdown_has_target_date_table_and_findings() -> None:
    text = markdown_report(sample(), "en")
    assert "## Lab check: 127.0.0.1:12345" in text
    assert "2026-11-30 04:00 UTC" in text
    assert "| `even` | fail | `42\\n` |" in text
    assert "### Findings for the analysis" in text
    findings = text.split("### Findings for the analysis")[1]
    assert ("- One at a time — the second client waited 2.0 s: the server serves one client "
            "at a time") in findings
    assert "```\nTraceback (most recent call last):" in text


def test_junit_has_a_testcase_per_case_with_failure_and_skipped() -> None:
    root = ET.fromstring(junit_report(sample(), "id"))
    suite = root.find("testsuite")
    assert suite is not None and suite.get("failures") == "2" and suite.get("skipped") == "1"
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert list(cases) == ["even", "odd", "not_a_number", "two_clients", "pipelined"]
    assert cases["even"].find("failure") is not None
    assert cases["pipelined"].find("skipped") is not None
    assert cases["odd"].find("failure") is None
    verdicts = {c.get("name"): c.find("properties/property[@name='verdict']").get("value")
                for c in cases.values()}
    assert verdicts["pipelined"] == "skip" and verdicts["even"] == "fail"


def test_class_summary_table_and_csv() -> None:
    good = sample()
    good.name = "Budi"
    gone = Report("10.0.0.9:12345", "parity", started=WHEN, unreachable="connection refused",
                  name="Sari")
    rows = list(csv.DictReader(io.StringIO(summary_csv([good, gone]))))
    assert rows[0] == {"name": "Budi", "target": "127.0.0.1:12345", "passed": "1",
                       "failed": "2", "clients": "one at a time", "unreachable": "no"}
    assert rows[1]["unreachable"] == "yes" and rows[1]["clients"] == ""
    table = summary_table([good, gone], "en")
    assert table.splitlines()[0].split() == ["name", "target", "passed", "failed", "clients",
                                             "unreachable"]
    assert "one at a time" in table and "Sari" in table
    assert "satu per satu" in summary_table([good], "id")


def test_report_ok_only_without_fail_skip_or_unreachable() -> None:
    assert not sample().ok
    clean = Report("h:1", "parity", started=WHEN)
    clean.cases = [sample().cases[1], sample().cases[3]]
    assert clean.ok
    assert not Report("h:1", "parity", unreachable="refused").ok
