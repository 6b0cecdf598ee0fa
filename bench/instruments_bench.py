"""5. What the instruments cost: the TCP service watched and scraped vs left alone.

Two instances of ``python -m server`` with its defaults, measured side by side: one left
alone, one with a server-view viewer connected to ``/events`` for the whole run (reading
every event, as the page does) and ``/metrics`` scraped every 0.5 s (ten times as often as
a usual Prometheus). Target: the watched one keeps ≥ 0.95× the throughput.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import urllib.request
from contextlib import ExitStack

from websockets.sync.client import connect as ws_connect

from bench import build, clients, sidebyside
from bench.procs import PYTHON, ROOT, BenchError, Server
from bench.report import Section, Target, fmt_int, fmt_ratio, table
from bench.sidebyside import Contender, Shape
from bench.tcp_bench import project_argv

SHAPES = [Shape("50×1", 50, 1), Shape("50×16", 50, 16)]
ALONE, WATCHED = "project", "project, watched and scraped"
TITLE = "5. Cost of the instruments (server view feed and /metrics)"


class Watcher:
    """A /events viewer and a /metrics scraper, for the length of one run: in a process of
    their own (``python -m bench.instruments_bench watch``), like a browser and a Prometheus,
    so their own CPU is not taken from the load generator inside this process."""

    def __init__(self, http: tuple[str, int]) -> None:
        self.argv = [PYTHON, "-m", "bench.instruments_bench", "watch", f"{http[0]}:{http[1]}"]
        self.events = 0
        self.scrapes = 0
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Watcher:
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, cwd=ROOT)
        if self.proc.stdout.readline().strip() != "watching":
            raise BenchError("the watcher did not connect to /events")
        return self

    def __exit__(self, *exc: object) -> None:
        out, _ = self.proc.communicate("", timeout=15)
        events, scrapes = (int(x) for x in out.split())
        self.events += events
        self.scrapes += scrapes


def watch(base: str) -> None:
    """The watcher process: read every /events message and scrape /metrics every 0.5 s
    until standard input closes; then print the two counts."""
    stop = threading.Event()
    counts = {"events": 0, "scrapes": 0}

    def scrape() -> None:
        while not stop.wait(0.5):
            with urllib.request.urlopen(f"http://{base}/metrics", timeout=5) as response:
                response.read()
            counts["scrapes"] += 1

    with ws_connect(f"ws://{base}/events", open_timeout=10) as ws:
        ws.recv(timeout=10)  # the snapshot
        counts["events"] += 1
        print("watching", flush=True)
        threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
        scraper = threading.Thread(target=scrape, daemon=True)
        scraper.start()
        while not stop.is_set():
            try:
                ws.recv(timeout=0.2)
                counts["events"] += 1
            except TimeoutError:
                continue
        scraper.join(5)
    print(counts["events"], counts["scrapes"], flush=True)


def run(cfg) -> Section:
    section = Section("inst", TITLE)
    build.cc("loadgen")
    alone = Server("inst-project", project_argv(), expect=("tcp", "http"))
    watched = Server("inst-watched", project_argv(), expect=("tcp", "http"))
    seen = {"events": 0, "scrapes": 0}
    with ExitStack() as stack:
        for server in (alone, watched):
            try:
                server.start()
            except BenchError as exc:
                section.body = f"Could not run: {exc}"
                return section
            stack.callback(server.stop)

        def load_alone(conns, depth, warm, dur):
            host, port = alone.addr["tcp"]
            return clients.tcp_load(host, port, conns, depth, warm, dur)

        def load_watched(conns, depth, warm, dur):
            host, port = watched.addr["tcp"]
            with Watcher(watched.addr["http"]) as watcher:
                sample = clients.tcp_load(host, port, conns, depth, warm, dur)
            seen["events"] += watcher.events
            seen["scrapes"] += watcher.scrapes
            return sample

        contenders = [Contender(ALONE, load_alone, [alone]),
                      Contender(WATCHED, load_watched, [watched])]
        out = sidebyside.run(contenders, SHAPES, cfg.rounds, cfg.warmup, cfg.duration,
                             quiet_budget=15 if cfg.quick else 30, tag="inst")
    headers = [h.format(base=ALONE) for h in sidebyside.HEADERS]
    section.body = "\n".join([
        f"{cfg.rounds} rounds × {cfg.duration:g} s per instance and shape (after "
        f"{cfg.warmup:g} s warm-up), load from bench/c/loadgen.c. Both are `python -m server` "
        "with its defaults (request log on). The watched one has a viewer on `/events` for the "
        "whole run and `/metrics` scraped every 0.5 s, both from a process of their own "
        f"({seen['events']:,} feed messages and {seen['scrapes']:,} scrapes in all).",
        "",
        table(headers, sidebyside.rows(out, contenders, SHAPES, base=ALONE)),
        "",
    ])
    for shape in SHAPES:
        ratio = out.ratio(shape.label, WATCHED, ALONE)
        section.targets.append(Target(
            f"watched at {shape.label} ≥ 0.95× alone",
            f"{fmt_ratio(ratio)} ({fmt_int(out.rps(shape.label, WATCHED))} vs "
            f"{fmt_int(out.rps(shape.label, ALONE))} req/s)",
            None if ratio != ratio else ratio >= 0.95))
    section.notes.append(sidebyside.noise_note(out))
    return section


if __name__ == "__main__" and sys.argv[1:2] == ["watch"]:
    watch(sys.argv[2])
