"""The load clients: bench/build/loadgen (C, TCP) and bench/ws_client.js (Node, WebSocket),
run to completion with timeouts; each prints one JSON line, parsed here into a
:class:`Sample`. Holding clients (for the memory bench) stay up until told to go."""

from __future__ import annotations

import json
import os
import select
import subprocess
import time
from dataclasses import dataclass

from bench import build
from bench.procs import ROOT, BenchError, run


@dataclass
class Sample:
    """One measured run of one server at one shape."""

    rps: float
    p50_us: float
    p99_us: float
    requests: int
    total: int = 0  # replies over the whole run, warm-up and drain included
    errors: int = 0
    note: str = ""
    cpu_us: float = float("nan")  # server CPU time per reply (filled in by the bench)
    other_load: float = 0.0  # cores kept busy by other processes meanwhile (filled in)


def _parse(proc: subprocess.CompletedProcess, what: str) -> Sample:
    line = next((x for x in proc.stdout.splitlines() if x.startswith("{")), None)
    if line is None:
        raise BenchError(f"{what} failed (status {proc.returncode}): "
                         f"{proc.stderr.strip()[-400:] or proc.stdout.strip()[-400:]}")
    data = json.loads(line)
    if data.get("stalled"):
        raise BenchError(f"{what}: stalled (no reply for 5 s): {proc.stderr.strip()[-300:]}")
    if data["errors"]:
        raise BenchError(f"{what}: {data['errors']} wrong replies, first: {data['first_error']}")
    if proc.returncode:
        raise BenchError(f"{what} failed (status {proc.returncode}): {proc.stderr.strip()[-400:]}")
    return Sample(rps=data["rps"], p50_us=data["p50_us"], p99_us=data["p99_us"],
                  requests=data["requests"], total=data["total_replies"], errors=data["errors"],
                  note=data.get("extensions", ""))


def tcp_load(host: str, port: int, conns: int, depth: int, warmup: float,
             duration: float) -> Sample:
    argv = [str(build.cc("loadgen")), "load", host, str(port), str(conns), str(depth),
            str(warmup), str(duration)]
    return _parse(run(argv, timeout=warmup + duration + 30), "loadgen")


def _node_env() -> dict[str, str]:
    env = dict(os.environ)
    env["NODE_PATH"] = str(build.node_ws())
    return env


def ws_load(url: str, conns: int, depth: int, warmup: float, duration: float,
            frames: str = "text") -> Sample:
    argv = ["node", str(ROOT / "bench" / "ws_client.js"), "load", url, str(conns), str(depth),
            str(warmup), str(duration), frames]
    return _parse(run(argv, timeout=warmup + duration + 40, env=_node_env()), "ws_client")


class Holder:
    """A client process holding N idle connections open (``loadgen hold`` or
    ``ws_client.js hold``): started, waited for until it says "ready", then released."""

    def __init__(self, argv: list[str], count: int, timeout: float,
                 env: dict[str, str] | None = None) -> None:
        self.argv, self.count, self.timeout, self.env = argv, count, timeout, env
        self.proc: subprocess.Popen | None = None
        self.ready_line = ""

    def __enter__(self) -> Holder:
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, cwd=ROOT, env=self.env, text=True)
        deadline = time.monotonic() + self.timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.__exit__(None, None, None)
                raise BenchError(f"{self.argv[0]} hold: not ready after {self.timeout:.0f} s")
            ready, _, _ = select.select([self.proc.stdout], [], [], min(left, 0.5))
            if ready:
                line = self.proc.stdout.readline()
                if not line:
                    err = self.proc.stderr.read()[-400:]
                    self.__exit__(None, None, None)
                    raise BenchError(f"hold client failed: {err.strip()}")
                if line.startswith("ready"):
                    self.ready_line = line.strip()
                    parts = line.split()
                    if int(parts[1]) != self.count or int(parts[3]) != 0:
                        self.__exit__(None, None, None)
                        raise BenchError(f"hold client: {line.strip()}")
                    return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is None:
            return
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        for f in (self.proc.stdout, self.proc.stderr):
            f.close()


def tcp_hold(host: str, port: int, count: int, timeout: float = 120) -> Holder:
    return Holder([str(build.cc("loadgen")), "hold", host, str(port), str(count)], count, timeout)


def ws_hold(url: str, count: int, frames: str = "text", timeout: float = 120) -> Holder:
    return Holder(["node", str(ROOT / "bench" / "ws_client.js"), "hold", url, str(count), frames],
                  count, timeout, env=_node_env())
