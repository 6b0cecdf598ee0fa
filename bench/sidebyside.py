"""Run several servers at several load shapes, round after round, side by side.

Each round runs every contender once per shape, in an order rotated from round to round so
that drift on a noisy machine falls on all of them alike. Ratios are taken per round (the
contenders ran back to back) and their median reported.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.clients import Sample
from bench.procs import BenchError, Server, cpu_seconds
from bench.report import fmt_int, fmt_ratio, fmt_us, median


@dataclass(frozen=True)
class Shape:
    label: str
    conns: int
    depth: int


@dataclass
class Contender:
    name: str
    load: Callable[[int, int, float, float], Sample]  # conns, depth, warm-up s, duration s
    servers: list[Server] = field(default_factory=list)  # must stay alive; CPU counted
    error: str | None = None


@dataclass
class Outcome:
    samples: dict[tuple[str, str], dict[int, Sample]] = field(default_factory=dict)
    failures: dict[tuple[str, str], str] = field(default_factory=dict)

    def rounds(self, shape: str, name: str) -> dict[int, Sample]:
        return self.samples.get((shape, name), {})

    def rps(self, shape: str, name: str) -> float:
        return median([s.rps for s in self.rounds(shape, name).values()])

    def ratio(self, shape: str, a: str, b: str) -> float:
        ra, rb = self.rounds(shape, a), self.rounds(shape, b)
        return median([ra[r].rps / rb[r].rps for r in ra if r in rb and rb[r].rps > 0])

    def p99(self, shape: str, name: str) -> float:
        return median([s.p99_us for s in self.rounds(shape, name).values()])

    def p99_ratio(self, shape: str, a: str, b: str) -> float:
        ra, rb = self.rounds(shape, a), self.rounds(shape, b)
        return median([ra[r].p99_us / rb[r].p99_us for r in ra if r in rb and rb[r].p99_us > 0])


def run(contenders: list[Contender], shapes: list[Shape], rounds: int, warmup: float,
        duration: float, tag: str, pause: float = 0.3) -> Outcome:
    out = Outcome()
    for shape in shapes:
        for r in range(rounds):
            k = r % len(contenders)
            for c in contenders[k:] + contenders[:k]:
                key = (shape.label, c.name)
                if c.error:
                    out.failures.setdefault(key, c.error)
                    continue
                dead = [s for s in c.servers if not s.alive()]
                if dead:
                    c.error = (f"{dead[0].name} exited (status {dead[0].proc.returncode}): "
                               f"{dead[0].log_tail(300)}")
                    out.failures[key] = c.error
                    print(f"  [{tag} {shape.label} r{r + 1}] {c.name}: {c.error}", flush=True)
                    continue
                cpu0 = sum(cpu_seconds(s.pid) for s in c.servers)
                try:
                    sample = c.load(shape.conns, shape.depth, warmup, duration)
                except BenchError as exc:
                    out.failures[key] = str(exc)
                    print(f"  [{tag} {shape.label} r{r + 1}] {c.name}: FAILED {exc}", flush=True)
                    time.sleep(pause)
                    continue
                cpu = sum(cpu_seconds(s.pid) for s in c.servers) - cpu0
                if c.servers and sample.total:
                    sample.cpu_us = cpu / sample.total * 1e6
                out.samples.setdefault(key, {})[r] = sample
                print(f"  [{tag} {shape.label} r{r + 1}] {c.name}: {fmt_int(sample.rps)} req/s, "
                      f"p50 {fmt_us(sample.p50_us)} µs, p99 {fmt_us(sample.p99_us)} µs, "
                      f"server CPU {sample.cpu_us:.1f} µs/req", flush=True)
                time.sleep(pause)
    return out


def rows(out: Outcome, contenders: list[Contender], shapes: list[Shape],
         base: str | None = None) -> list[list[str]]:
    """Table rows: shape, contender, median req/s, range, ratio to ``base``, p50, p99, CPU."""
    table = []
    for shape in shapes:
        for c in contenders:
            samples = list(out.rounds(shape.label, c.name).values())
            if not samples:
                why = out.failures.get((shape.label, c.name), "not run")
                table.append([shape.label, c.name, "failed", why[:120], "", "", "", ""])
                continue
            rps = [s.rps for s in samples]
            ratio = out.ratio(shape.label, c.name, base) if base else float("nan")
            table.append([
                shape.label, c.name, fmt_int(median(rps)),
                f"{fmt_int(min(rps))}–{fmt_int(max(rps))} (n={len(rps)})",
                fmt_ratio(ratio),
                fmt_us(median([s.p50_us for s in samples])),
                fmt_us(median([s.p99_us for s in samples])),
                f"{median([s.cpu_us for s in samples]):.1f}",
            ])
    return table


HEADERS = ["shape", "server", "req/s (median)", "range (rounds)", "vs {base}", "p50 µs",
           "p99 µs", "server CPU µs/req"]
