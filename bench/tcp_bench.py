"""1. The TCP service against reference servers of the same handlers.

Contenders, all started here on free ports and measured by the C load generator:

- project: ``python -m server`` with its defaults (request log on, stdout to a file);
- project --workers 2: the same with two SO_REUSEPORT processes (for information);
- ref_streams: asyncio streams on the default loop, as tutorials write it;
- ref_minimal: a minimal uvloop Protocol with its own ten-line handler, sharing no code with
  the project (what a user compares whole servers with: the target's reference);
- ref_uvloop: a minimal uvloop Protocol around the project's own sans-I/O core, one write per
  batch of replies (the ceiling of the I/O layer alone);
- C epoll: bench/c/epoll_server.c (the physical limit of this machine).

Shapes: 1 connection lockstep, 50 connections lockstep, 50 connections pipelining 16.
Nothing is pinned to a CPU: client and server share the 2 cores, as they would on a laptop.
"""

from __future__ import annotations

from contextlib import ExitStack

from bench import build, clients, sidebyside
from bench.procs import PYTHON, BenchError, Server
from bench.report import Section, Target, fmt_int, fmt_ratio, table
from bench.sidebyside import Contender, Shape

SHAPES = [Shape("1×1", 1, 1), Shape("50×1", 50, 1), Shape("50×16", 50, 16)]
PROJECT, STREAMS, UVLOOP, MINIMAL = "project", "ref_streams", "ref_uvloop", "ref_minimal"
TITLE = "1. TCP service vs reference servers"


def project_argv(*extra: str) -> list[str]:
    return [PYTHON, "-m", "server", "--host", "127.0.0.1", "--tcp-port", "0", "--http-port", "0",
            *extra]


def run(cfg) -> Section:
    section = Section("tcp", TITLE)
    specs = [
        (PROJECT, Server("tcp-project", project_argv(), expect=("tcp", "http"))),
        ("project --workers 2",
         Server("tcp-project-w2", project_argv("--workers", "2"), expect=("tcp", "http"))),
        (STREAMS, Server("tcp-ref_streams", [PYTHON, "-m", "bench.ref_streams"], expect=("tcp",))),
        (MINIMAL, Server("tcp-ref_minimal", [PYTHON, "-m", "bench.ref_minimal"],
                         expect=("tcp",))),
        (UVLOOP, Server("tcp-ref_uvloop", [PYTHON, "-m", "bench.ref_uvloop"], expect=("tcp",))),
        ("C epoll", Server("tcp-c-epoll", [str(build.cc("epoll_server"))], expect=("tcp",))),
    ]
    if cfg.quick:
        specs = [s for s in specs if s[0] != "project --workers 2"]
    build.cc("loadgen")
    contenders = []
    with ExitStack() as stack:
        for name, server in specs:
            try:
                server.start()
                stack.callback(server.stop)
            except BenchError as exc:
                contenders.append(Contender(name, lambda *a: None, error=f"did not start: {exc}"))
                print(f"  {name}: did not start: {exc}", flush=True)
                continue

            def load(conns, depth, warm, dur, server=server):
                host, port = server.addr["tcp"]  # read now: a restarted server has a new port
                return clients.tcp_load(host, port, conns, depth, warm, dur)

            contenders.append(Contender(name, load, [server]))
        out = sidebyside.run(contenders, SHAPES, cfg.rounds, cfg.warmup, cfg.duration,
                             quiet_budget=15 if cfg.quick else 45, tag="tcp")
        for name, server in specs:
            if server.proc is not None and not server.alive():
                section.notes.append(f"{name} exited during the bench with status "
                                     f"{server.proc.returncode}: {server.log_tail(300)}")
    # servers are stopped here; report how the project took SIGTERM
    proj = specs[0][1]
    if proj.stop_seconds is not None and (proj.exit_status != 0 or proj.stop_seconds > 5):
        section.notes.append(f"project on SIGTERM: exit status {proj.exit_status} after "
                             f"{proj.stop_seconds:.1f} s")

    section.body = "\n".join([
        f"{cfg.rounds} rounds × {cfg.duration:g} s per server and shape (after {cfg.warmup:g} s "
        "warm-up), load from bench/c/loadgen.c, every reply line checked. `project` is "
        "`python -m server` with its defaults (one process, `--workers 1`, request log on, "
        "stdout to a file). Shape C×D: C "
        "connections, D requests in flight on each (1 = lockstep). Request mix: `parity N`, "
        "`length TEXT`, bare `N`, bare `TEXT` in turn. `ref_minimal` (bench/ref_minimal.py) "
        "shares no code with the project: its own ten-line handler, no limits, no log; it is "
        "the reference of the targets. `ref_uvloop` and `ref_streams` answer with the "
        "project's own sans-I/O core (`server.protocol`), so against them only the I/O layers "
        "are compared; the C server has its own handlers. Ratios are medians of per-round "
        "ratios. Server CPU µs/req: CPU time of the server "
        "process(es) over the run divided by the replies; client and server share 2 cores, "
        "nothing pinned.",
        "",
        table(sidebyside.headers(MINIMAL, (UVLOOP,)),
              sidebyside.rows(out, contenders, SHAPES, base=MINIMAL, also=(UVLOOP,))),
        "",
    ])
    for shape in ("50×1", "50×16"):
        p = fmt_int(out.rps(shape, PROJECT))
        for ref, floor in ((MINIMAL, 0.90), (STREAMS, 1.25)):
            cpu = out.cpu_ratio(shape, PROJECT, ref)
            measured, met = sidebyside.spread_target(
                out, shape, PROJECT, ref, floor,
                what=f"medians {p} vs {fmt_int(out.rps(shape, ref))} req/s; CPU per request: "
                     f"{fmt_ratio(cpu)}")
            section.targets.append(Target(f"project at {shape} ≥ {floor:.2f}× {ref}",
                                          measured, met))
    for shape in ("50×1", "50×16"):
        # ref_uvloop answers with the project's own core, so it measures only what is
        # around the core: a second view, never the yardstick of a target.
        ratio = fmt_ratio(out.ratio(shape, PROJECT, UVLOOP))
        section.notes.append(
            f"second view at {shape}: the project does {ratio} ref_uvloop's req/s (CPU per request "
            f"{fmt_ratio(out.cpu_ratio(shape, PROJECT, UVLOOP))}): what the service's "
            "bookkeeping per read costs (request counts, latency histogram, bytes, the request "
            "log's and server view's checks, timers, the time slice) around the same core; "
            f"ref_minimal does {fmt_ratio(out.ratio(shape, MINIMAL, UVLOOP))} of it, the "
            "project's core against a ten-line handler, I/O layer aside")
    section.notes.append(sidebyside.noise_note(out))
    section.notes.append("CPU per request in the targets: the reference's server CPU µs per "
                         "request over the project's (above 1 = the project needs less), a "
                         "second view that other load on the machine disturbs less")
    return section
