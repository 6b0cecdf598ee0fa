"""Reports as pure functions of a :class:`Report`: text, JSON, Markdown, JUnit, and the
class summary (table and CSV). No I/O here; :mod:`.command` decides where they go.

Verdict values in JSON and JUnit are always the English words; everything a person reads
is in the report's language.
"""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable

from server.check.explain import explain, finding_word, label, number, verdict_word
from server.check.results import CaseResult, Report, shown, wire_text

COLOURS = {"pass": "32", "fail": "31", "info": "36", "skip": "33"}
SHOWN_CHARS = 48
INDENT = " " * 9  # under the case id


def explanation(case: CaseResult, lang: str) -> str:
    return explain(case.key, case.vars, lang)


def case_json(case: CaseResult, lang: str) -> dict:
    """One case as the contract's JSON object (plus ``restarted``/``exit`` with --run)."""
    out: dict[str, object] = {
        "id": case.id, "verdict": case.verdict, "sent": wire_text(case.sent),
        "received": wire_text(case.received), "ended": case.ended, "ms": case.ms,
        "explanation": explanation(case, lang),
    }
    if case.finding:
        out["finding"] = finding_word(case.finding, "en")
    if case.cut:
        out["cut"] = True
    if case.restarted is not None:
        out["restarted"] = case.restarted
    if case.exit is not None:
        out["exit"] = {"status": case.exit.status, "output": list(case.exit.output)}
    return out


def json_report(report: Report, lang: str) -> str:
    body: dict[str, object] = {
        "target": report.target, "exercise": report.exercise,
        "cases": [case_json(case, lang) for case in report.cases],
        "summary": report.summary(),
        "date": report.started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "timeout": report.timeout,
        "stopped_after": report.stopped_after,
    }
    if report.name:
        body["name"] = report.name
    if report.command is not None:
        body["run"] = {"command": report.command, "starts": report.starts}
    if report.unreachable:
        body["unreachable"] = report.unreachable
    return json.dumps(body, ensure_ascii=False, indent=2) + "\n"


# -- text ----------------------------------------------------------------------------------
def paint(text: str, verdict: str, colour: bool) -> str:
    return f"\x1b[{COLOURS[verdict]}m{text}\x1b[0m" if colour else text


def text_header(report: Report, lang: str) -> str:
    line = label("checking", lang, target=report.target, exercise=report.exercise)
    if report.command is not None:
        line += " · " + label("program", lang, command=report.command)
    return line + "\n"


def text_case(case: CaseResult, lang: str, colour: bool = False) -> str:
    """A case as it finishes: verdict, id, what went and came, then the explanation."""
    word = verdict_word(case.verdict, lang)
    padded = paint(f"{word:<6}", case.verdict, colour)
    lines = []
    wire = ""
    if case.verdict != "skip":
        wire = (f"{shown(case.sent, SHOWN_CHARS) or '—'} → "
                f"{shown(case.received, SHOWN_CHARS) or '—'}  "
                f"({case.ended}, {number(case.ms, lang)} ms)")
    mark = "↻" if case.restarted else " "
    lines.append(f"{padded} {mark} {case.id:<13} {wire}".rstrip())
    lines.append(f"{INDENT}{explanation(case, lang)}")
    if case.exit is not None:
        lines.append(INDENT + label("exit", lang, status=case.exit.status).split(";")[0])
    return "\n".join(lines) + "\n"


def text_summary(report: Report, lang: str, colour: bool = False) -> str:
    """The summary line, where the server stopped, and a recap of only the failures."""
    counts = report.summary()
    out = ["", label("summary", lang, **counts)]
    if report.command is not None:
        out.append(label("program", lang, command=report.command) + " · "
                   + label("md.starts", lang, n=report.starts) + " · "
                   + label("restarted", lang))
    if report.stopped_after is not None:
        out.append(label("stopped", lang, after=report.stopped_after))
    failures = [case for case in report.cases if case.verdict == "fail"]
    if failures:
        out += ["", paint(label("failures", lang) + ":", "fail", colour)]
        for case in failures:
            out.append(f"  {case.id}: {explanation(case, lang)}")
            out.append(f"    {label('sent', lang)}: {shown(case.sent, 72) or '—'}")
            out.append(f"    {label('received', lang)}: {shown(case.received, 72) or '—'} "
                       f"({label('ended', lang)}: {case.ended})")
            if case.exit is not None and case.exit.crashed:
                out.append(f"    {label('exit', lang, status=case.exit.status)}")
                out += [f"      | {line}" for line in case.exit.output]
            elif case.exit is not None:
                out.append(f"    {label('exit', lang, status=case.exit.status).split(';')[0]}")
    return "\n".join(out) + "\n"


def text_report(report: Report, lang: str, colour: bool = False) -> str:
    return (text_header(report, lang)
            + "".join(text_case(case, lang, colour) for case in report.cases)
            + text_summary(report, lang, colour))


# -- Markdown ------------------------------------------------------------------------------
def md_cell(text: str) -> str:
    """A table cell: pipes escaped (GFM honours ``\\|`` in code spans too), one line."""
    return text.replace("|", "\\|").replace("\n", " ")


def md_code(text: str) -> str:
    return f"`{md_cell(text)}`" if text else "—"


def markdown_report(report: Report, lang: str) -> str:
    """A section for the lab report: target, date, a table of the cases, the info findings
    as sentences for the analysis, and the program's last lines where it crashed."""
    out = [f"## {label('md.title', lang, target=report.target)}", ""]
    out.append(f"- {label('md.target', lang)}: `{report.target}`")
    out.append(f"- {label('md.date', lang)}: {report.started.strftime('%Y-%m-%d %H:%M')} UTC")
    out.append(f"- {label('md.exercise', lang)}: {report.exercise}")
    if report.command is not None:
        out.append(f"- {label('md.program', lang)}: `{report.command}` "
                   f"({label('md.starts', lang, n=report.starts)})")
    out.append(f"- {label('summary', lang, **report.summary())}")
    out.append("")
    if report.unreachable:
        out += [label("md.unreachable", lang, reason=report.unreachable), ""]
        return "\n".join(out)
    heads = [label(k, lang) for k in ("md.case", "md.verdict", "sent", "received", "ended")]
    out.append(f"| {' | '.join(heads)} | ms | {label('md.explanation', lang)} |")
    out.append("| --- | --- | --- | --- | --- | ---: | --- |")
    for case in report.cases:
        out.append("| " + " | ".join([
            f"`{case.id}`", verdict_word(case.verdict, lang), md_code(shown(case.sent, 40)),
            md_code(shown(case.received, 40)), case.ended, number(case.ms, lang),
            md_cell(explanation(case, lang))]) + " |")
    out.append("")
    if report.stopped_after is not None:
        out += [f"_{label('stopped', lang, after=report.stopped_after)}_", ""]
    for case in report.cases:
        if case.exit is not None and case.exit.crashed:
            out += [f"`{case.id}`: {label('exit', lang, status=case.exit.status)}", "", "```",
                    *case.exit.output, "```", ""]
    out += [f"### {label('md.findings', lang)}", ""]
    findings = [case for case in report.cases if case.verdict == "info"]
    if findings:
        out += [f"- {finding_sentence(case, lang)}" for case in findings]
    else:
        out.append(label("md.nofindings", lang))
    out.append("")
    return "\n".join(out)


def finding_sentence(case: CaseResult, lang: str) -> str:
    """An info finding as a sentence a student can put in the analysis."""
    text = explanation(case, lang)
    return text[:1].upper() + text[1:]


# -- JUnit ---------------------------------------------------------------------------------
def junit_report(report: Report, lang: str) -> str:
    counts = report.summary()
    seconds = sum(case.ms for case in report.cases) / 1000
    suites = ET.Element("testsuites", name="python -m server check",
                        tests=str(len(report.cases)), failures=str(counts["fail"]),
                        skipped=str(counts["skip"]), errors="0", time=f"{seconds:.3f}")
    suite = ET.SubElement(suites, "testsuite", name=report.target, tests=str(len(report.cases)),
                          failures=str(counts["fail"]), skipped=str(counts["skip"]),
                          errors="1" if report.unreachable else "0", time=f"{seconds:.3f}",
                          timestamp=report.started.strftime("%Y-%m-%dT%H:%M:%S"))
    if report.unreachable:
        error = ET.SubElement(ET.SubElement(suite, "testcase", classname="check", name="connect"),
                              "error", message=report.unreachable)
        error.text = report.unreachable
    for case in report.cases:
        element = ET.SubElement(suite, "testcase", classname=f"check.{report.exercise}",
                                name=case.id, time=f"{case.ms / 1000:.3f}")
        properties = ET.SubElement(element, "properties")
        ET.SubElement(properties, "property", name="verdict", value=case.verdict)
        ET.SubElement(properties, "property", name="ended", value=case.ended)
        detail = (f"sent: {shown(case.sent, 200)}\nreceived: {shown(case.received, 200)}\n"
                  f"ended: {case.ended}")
        if case.exit is not None:
            detail += f"\nexit status {case.exit.status}\n" + "\n".join(case.exit.output)
        if case.verdict == "fail":
            failure = ET.SubElement(element, "failure", message=explanation(case, lang),
                                    type="fail")
            failure.text = detail
        elif case.verdict == "skip":
            ET.SubElement(element, "skipped", message=explanation(case, lang))
        else:
            ET.SubElement(element, "system-out").text = f"{explanation(case, lang)}\n{detail}"
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, "unicode") + "\n"


RENDERERS = {"json": json_report, "markdown": markdown_report, "junit": junit_report,
             "text": text_report}


# -- a class: the summary of many reports --------------------------------------------------
SUMMARY_FIELDS = ("name", "target", "passed", "failed", "clients", "unreachable")


def summary_row(report: Report) -> dict[str, str]:
    """One student's line: English values (the CSV's); the table translates them."""
    counts = report.summary()
    return {"name": report.name, "target": report.target, "passed": str(counts["pass"]),
            "failed": str(counts["fail"]),
            "clients": finding_word(report.finding("two_clients"), "en")
            if report.finding("two_clients") else "",
            "unreachable": "yes" if report.unreachable else "no"}


def summary_csv(reports: Iterable[Report]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=SUMMARY_FIELDS, lineterminator="\n")
    writer.writeheader()
    for report in reports:
        writer.writerow(summary_row(report))
    return out.getvalue()


def summary_table(reports: Iterable[Report], lang: str) -> str:
    """The class's table for a terminal: name, target, passed, failed, one at a time or at
    once, unreachable."""
    rows = [[label(f"summary.{field}", lang) for field in SUMMARY_FIELDS]]
    for report in reports:
        row = summary_row(report)
        finding = report.finding("two_clients")
        row["clients"] = finding_word(finding, lang) if finding else "—"
        row["unreachable"] = label("yes" if report.unreachable else "no", lang)
        row["name"] = row["name"] or "—"
        rows.append([row[field] for field in SUMMARY_FIELDS])
    widths = [max(len(row[i]) for row in rows) for i in range(len(SUMMARY_FIELDS))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
             for row in rows]
    return "\n".join(lines) + "\n"
