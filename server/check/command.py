"""``python -m server check``: the command line around :class:`Runner` and the reports.

Everything a user can get wrong (a target that is not HOST:PORT, a port out of range, a
``--run`` that never listens, an unreadable targets file, an unwritable output) is one line
on stderr and exit status 2; a target that cannot be reached at all is 2 as well. Otherwise
0 when no case failed and none was skipped, else 1.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
from pathlib import Path

from server.check.reports import (
    RENDERERS,
    json_report,
    markdown_report,
    summary_csv,
    summary_table,
    text_case,
    text_header,
    text_summary,
)
from server.check.results import Report
from server.check.runner import Runner
from server.check.supervisor import RunError, Supervisor
from server.class_file import ClassFileError, parse_class_file, split_host_port

# The command line's one-line usage errors, as the rest of ``python -m server`` has them
# (the check is reached through server.cli.main, so nothing more is loaded for it).
from server.cli import OneLineParser, UsageError

PROG = "python -m server check"
DEFAULT_JOBS = 8


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < value <= 600:
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most 600: {text}")
    return value


def jobs(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 64:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to 64: {text!r}")
    return int(text)


def check_parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog=PROG, description="Run the lab sheet's checks against a TCP server (a "
               "student's parity or length server) and report case by case.",
               epilog="Every case and what to do when it fails: docs/check.md.")
    p.add_argument("target", nargs="?", metavar="HOST:PORT", help="the server to check")
    p.add_argument("--targets", metavar="FILE",
                   help="check a class: one HOST:PORT [NAME] per line (# starts a comment)")
    p.add_argument("--exercise", choices=("auto", "parity", "length"), default="auto",
                   help="which exercise (default auto: decided from the first reply)")
    p.add_argument("--run", metavar="COMMAND",
                   help="start this shell command (the student's program), start it again "
                        "whenever it has exited, stop it at the end")
    p.add_argument("--format", choices=("text", "json", "markdown", "junit"), default="text",
                   help="report format (default text)")
    p.add_argument("--output", metavar="FILE", help="write the report here, not to stdout")
    p.add_argument("--output-dir", metavar="DIR", default="check-reports",
                   help="with --targets: where the reports go (default check-reports/)")
    p.add_argument("--lang", choices=("id", "en"), default="id",
                   help="language of the report (default id)")
    p.add_argument("--timeout", type=seconds, default=2.0, metavar="S",
                   help="bound of every wait, in seconds (default 2)")
    p.add_argument("--jobs", type=jobs, default=DEFAULT_JOBS, metavar="N",
                   help=f"with --targets: servers checked at once (default {DEFAULT_JOBS})")
    return p


def parse_target(text: str) -> tuple[str, int]:
    try:
        return split_host_port(text)
    except ValueError as exc:
        raise UsageError(f"target: {exc}") from None


def use_colour(stream) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def write_text(path: str | Path, text: str) -> None:
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {(exc.strerror or str(exc)).lower()}") from None


async def check_one(args: argparse.Namespace) -> int:
    host, port = parse_target(args.target)
    supervisor = Supervisor(args.run, host, port) if args.run else None
    streaming = args.format == "text" and args.output is None
    colour = streaming and use_colour(sys.stdout)

    def show_case(case) -> None:
        if streaming:
            print(text_case(case, args.lang, colour), end="", flush=True)

    def show_header(report: Report) -> None:
        if streaming:
            print(text_header(report, args.lang), end="", flush=True)

    runner = Runner(host, port, exercise=args.exercise, timeout=args.timeout,
                    supervisor=supervisor, on_case=show_case, on_exercise=show_header)
    try:
        report = await runner.run()
    except RunError as exc:
        raise UsageError(f"--run: {exc}") from None
    if report.unreachable:
        raise UsageError(report.unreachable)
    if streaming:
        print(text_summary(report, args.lang, colour), end="", flush=True)
    else:
        rendered = RENDERERS[args.format](report, args.lang)
        if args.output is None:
            sys.stdout.write(rendered)
        else:
            write_text(args.output, rendered)
    return 0 if report.ok else 1


def report_stem(name: str, address: str, taken: set[str]) -> str:
    """A file name for one student's reports: the name (or address), safe and unique."""
    stem = re.sub(r"[^\w.-]+", "_", name or address, flags=re.UNICODE).strip("._") or "target"
    unique, n = stem, 2
    while unique in taken:
        unique, n = f"{stem}-{n}", n + 1
    taken.add(unique)
    return unique


async def check_class(args: argparse.Namespace) -> int:
    try:
        text = Path(args.targets).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise UsageError(f"cannot read targets file {args.targets}: {reason.lower()}") from None
    try:
        entries = parse_class_file(text)
    except ClassFileError as exc:
        raise UsageError(f"targets file {args.targets}: {exc}") from None
    if not entries:
        raise UsageError(f"no targets in {args.targets}")
    out_dir = Path(args.output_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create {out_dir}: {(exc.strerror or str(exc)).lower()}") from None
    gate = asyncio.Semaphore(args.jobs)
    taken: set[str] = set()
    stems = [report_stem(entry.name, entry.address, taken) for entry in entries]

    async def one(entry, stem: str) -> Report:
        async with gate:
            report = await Runner(entry.host, entry.port, exercise=args.exercise,
                                  timeout=args.timeout).run()
        report.name = entry.name
        write_text(out_dir / f"{stem}.json", json_report(report, args.lang))
        write_text(out_dir / f"{stem}.md", markdown_report(report, args.lang))
        return report

    reports = await asyncio.gather(*(one(e, s) for e, s in zip(entries, stems, strict=True)))
    write_text(out_dir / "summary.csv", summary_csv(reports))
    sys.stdout.write(summary_table(reports, args.lang))
    return 0 if all(report.ok for report in reports) else 1


def run_check(argv: list[str]) -> int:
    args = check_parser().parse_args(argv)
    try:
        if args.targets is not None:
            if args.target is not None:
                raise UsageError("give either HOST:PORT or --targets FILE, not both")
            if args.run is not None:
                raise UsageError("--run starts one program for one target; it cannot be used "
                            "with --targets")
            return asyncio.run(check_class(args))
        if args.target is None:
            raise UsageError("give the server to check as HOST:PORT (or --targets FILE)")
        parse_target(args.target)  # a bad target is reported before anything starts
        return asyncio.run(check_one(args))
    except UsageError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; the program was stopped", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: one line, not a traceback
        print(f"{PROG}: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
