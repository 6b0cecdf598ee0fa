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
from bench.procs import (
    BenchError,
    Server,
    busy_cpu_seconds,
    children_cpu_seconds,
    cpu_seconds,
)
from bench.report import fmt_int, fmt_ratio, fmt_us, median

BUSY_LIMIT = 0.3  # cores other processes may keep busy during a run we call quiet


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
    retried: int = 0

    def other_load(self) -> tuple[float, float]:
        """Median and max, over all runs, of the CPU other processes used (in cores)."""
        loads = [s.other_load for d in self.samples.values() for s in d.values()]
        return (median(loads), max(loads)) if loads else (float("nan"), float("nan"))

    def pairs(self, shape: str, a: str, b: str) -> list[tuple[Sample, Sample]]:
        """The rounds in which both ran: only those in which both runs were quiet (other
        processes under BUSY_LIMIT cores) when there are at least 3 such, else all."""
        ra, rb = self.rounds(shape, a), self.rounds(shape, b)
        both = [(ra[r], rb[r]) for r in sorted(ra) if r in rb]
        quiet = [(x, y) for x, y in both
                 if x.other_load <= BUSY_LIMIT and y.other_load <= BUSY_LIMIT]
        return quiet if len(quiet) >= 3 else both

    def _ratio(self, shape: str, a: str, b: str, key) -> float:
        return median([key(x) / key(y) for x, y in self.pairs(shape, a, b) if key(y) > 0])

    def ratio(self, shape: str, a: str, b: str) -> float:
        """Median over rounds of a's req/s over b's."""
        return self._ratio(shape, a, b, lambda s: s.rps)

    def p99_ratio(self, shape: str, a: str, b: str) -> float:
        return self._ratio(shape, a, b, lambda s: s.p99_us)

    def cpu_ratio(self, shape: str, a: str, b: str) -> float:
        """How much less CPU per request ``a`` needs than ``b`` (b's µs / a's µs)."""
        return median([y.cpu_us / x.cpu_us for x, y in self.pairs(shape, a, b)
                       if x.cpu_us > 0])

    def round_ratios(self, shape: str, a: str, b: str, kind: str = "rps") -> list[float]:
        """Per-round ratios of a over b (the rounds :meth:`pairs` picks): ``rps`` (a's req/s
        over b's), ``p99`` (a's p99 over b's) or ``cpu`` (b's CPU per request over a's)."""
        if kind == "cpu":
            return [y.cpu_us / x.cpu_us for x, y in self.pairs(shape, a, b) if x.cpu_us > 0]
        key = (lambda s: s.rps) if kind == "rps" else (lambda s: s.p99_us)
        return [key(x) / key(y) for x, y in self.pairs(shape, a, b) if key(y) > 0]

    def ratio_basis(self, shape: str, a: str, b: str) -> str:
        pairs = self.pairs(shape, a, b)
        quiet = all(x.other_load <= BUSY_LIMIT and y.other_load <= BUSY_LIMIT for x, y in pairs)
        return f"{len(pairs)} {'quiet ' if quiet else ''}rounds"

    def rounds(self, shape: str, name: str) -> dict[int, Sample]:
        return self.samples.get((shape, name), {})

    def rps(self, shape: str, name: str) -> float:
        return median([s.rps for s in self.rounds(shape, name).values()])

    def p99(self, shape: str, name: str) -> float:
        return median([s.p99_us for s in self.rounds(shape, name).values()])


def _measure(c: Contender, shape: Shape, warmup: float, duration: float) -> Sample:
    """One run, with the server's CPU time and the machine's other load over it."""
    cpu0 = sum(cpu_seconds(s.pid) for s in c.servers)
    busy0, kids0, t0 = busy_cpu_seconds(), children_cpu_seconds(), time.monotonic()
    sample = c.load(shape.conns, shape.depth, warmup, duration)
    wall = time.monotonic() - t0
    cpu = sum(cpu_seconds(s.pid) for s in c.servers) - cpu0
    client = children_cpu_seconds() - kids0
    if c.servers and sample.total:
        sample.cpu_us = cpu / sample.total * 1e6
    sample.other_load = max(0.0, (busy_cpu_seconds() - busy0 - cpu - client) / wall)
    return sample


class Quiet:
    """Waits, within a budget of seconds, for other processes to leave the machine alone."""

    def __init__(self, budget: float) -> None:
        self.budget = budget
        self.waited = 0.0

    def wait(self, limit: float, window: float = 0.5) -> bool:
        while self.waited < self.budget:
            b0, t0 = busy_cpu_seconds(), time.monotonic()
            time.sleep(window)
            dt = time.monotonic() - t0
            self.waited += dt
            if (busy_cpu_seconds() - b0) / dt < limit:
                return True
        return False


def _revive(c: Contender, label: str) -> str | None:
    """Restart a contender's dead server once; the reason it cannot go on otherwise."""
    for s in c.servers:
        if s.alive():
            continue
        why = f"{s.name} exited (status {s.proc.returncode}): {s.log_tail(300)}"
        if s.restarts:
            return why
        print(f"{label} {why}; restarting it", flush=True)
        s.restarts += 1
        try:
            s.start()
        except BenchError as exc:
            return f"{why}; restart failed: {exc}"
    return None


def run(contenders: list[Contender], shapes: list[Shape], rounds: int, warmup: float,
        duration: float, tag: str, pause: float = 0.3, busy_limit: float = BUSY_LIMIT,
        quiet_budget: float = 45.0) -> Outcome:
    """Every contender at every shape, ``rounds`` times. A run during which other processes
    kept more than ``busy_limit`` of a core busy is done again, once, after waiting (within
    ``quiet_budget`` seconds for the whole call) for the machine to be quiet; at most a fifth
    of the runs are done again, so a busy machine cannot make the bench much longer."""
    out = Outcome()
    quiet = Quiet(quiet_budget)
    retry_budget = max(1, len(contenders) * len(shapes) * rounds // 5)
    for shape in shapes:
        for r in range(rounds):
            k = r % len(contenders)
            for c in contenders[k:] + contenders[:k]:
                key = (shape.label, c.name)
                label = f"  [{tag} {shape.label} r{r + 1}] {c.name}:"
                if c.error:
                    out.failures.setdefault(key, c.error)
                    continue
                if why := _revive(c, label):
                    c.error = why
                    out.failures[key] = c.error
                    print(f"{label} {c.error}", flush=True)
                    continue
                try:
                    sample = _measure(c, shape, warmup, duration)
                    if sample.other_load > busy_limit and out.retried < retry_budget:
                        print(f"{label} other processes kept {sample.other_load:.2f} cores "
                              "busy; again", flush=True)
                        out.retried += 1
                        quiet.wait(busy_limit)
                        again = _measure(c, shape, warmup, duration)
                        if again.other_load < sample.other_load:
                            sample = again
                except BenchError as exc:
                    out.failures[key] = str(exc)
                    print(f"{label} FAILED {exc}", flush=True)
                    time.sleep(pause)
                    continue
                out.samples.setdefault(key, {})[r] = sample
                print(f"{label} {fmt_int(sample.rps)} req/s, p50 {fmt_us(sample.p50_us)} µs, "
                      f"p99 {fmt_us(sample.p99_us)} µs, server CPU {sample.cpu_us:.1f} µs/req, "
                      f"other load {sample.other_load:.2f} cores", flush=True)
                time.sleep(pause)
    return out


def rows(out: Outcome, contenders: list[Contender], shapes: list[Shape],
         base: str | None = None, also: tuple[str, ...] = ()) -> list[list[str]]:
    """Table rows: shape, contender, median req/s, range, ratio to ``base`` (and to each of
    ``also``, one column each, after it), p50, p99, CPU."""
    table = []
    for shape in shapes:
        for c in contenders:
            samples = list(out.rounds(shape.label, c.name).values())
            if not samples:
                why = out.failures.get((shape.label, c.name), "not run")
                table.append([shape.label, c.name, "failed", why[:120], "",
                              *([""] * len(also)), "", "", ""])
                continue
            rps = [s.rps for s in samples]
            ratios = [out.ratio(shape.label, c.name, b) if b else float("nan")
                      for b in (base, *also)]
            table.append([
                shape.label, c.name, fmt_int(median(rps)),
                f"{fmt_int(min(rps))}–{fmt_int(max(rps))} (n={len(rps)})",
                *map(fmt_ratio, ratios),
                fmt_us(median([s.p50_us for s in samples])),
                fmt_us(median([s.p99_us for s in samples])),
                f"{median([s.cpu_us for s in samples]):.1f}",
            ])
    return table


HEADERS = ["shape", "server", "req/s (median)", "range (rounds)", "vs {base}", "p50 µs",
           "p99 µs", "server CPU µs/req"]


def headers(base: str, also: tuple[str, ...] = ()) -> list[str]:
    """:data:`HEADERS` with a ratio column for ``base`` and one for each of ``also``."""
    cols = [h.format(base=base) for h in HEADERS]
    return cols[:5] + [f"vs {b}" for b in also] + cols[5:]


#: A target is met when its median meets it and so do at least 4 of 5 of the rounds.
ROUNDS_MEETING = (4, 5)


def spread_target(out: Outcome, shape: str, a: str, b: str, bound: float, kind: str = "rps",
                  at_most: bool = False, what: str = "") -> tuple[str, bool | None]:
    """The measured text and verdict of a target on per-round ratios of ``a`` over ``b``
    (``kind`` as in :meth:`Outcome.round_ratios`): at least ``bound`` (or at most, with
    ``at_most``), met when the median and at least :data:`ROUNDS_MEETING` of the rounds
    meet it. The text gives the median, the spread over rounds and how many met it."""
    ratios = out.round_ratios(shape, a, b, kind)
    if not ratios:
        return "not measured", None
    mid = median(ratios)
    meeting = sum((r <= bound) if at_most else (r >= bound) for r in ratios)
    share, of = ROUNDS_MEETING
    enough = meeting >= -(-len(ratios) * share // of)  # 4 of 5, 3 of 3
    met = ((mid <= bound) if at_most else (mid >= bound)) and enough
    text = (f"{fmt_ratio(mid)} (rounds {fmt_ratio(min(ratios))}–{fmt_ratio(max(ratios))}, "
            f"{meeting} of {len(ratios)} {'≤' if at_most else '≥'} {bound:g}×) over "
            f"{out.ratio_basis(shape, a, b)}")
    return text + (f"; {what}" if what else ""), met


def noise_note(out: Outcome) -> str:
    med, top = out.other_load()
    return (f"other processes on the machine used a median {med:.2f} cores (max {top:.2f}) "
            f"during the runs kept; {out.retried} run(s) were done again because other "
            "processes used over 0.3 cores (the quieter of the two kept)")
