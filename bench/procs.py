"""Subprocesses for the benchmark: servers on free ports, waited for, always stopped.

Every server's stdout and stderr go to a log file under bench/build/logs (never an unread
pipe); the bench waits for a server by reading its "listening" lines from that file, or, for
peers that print none, by connecting to the port it was given.
"""

from __future__ import annotations

import os
import re
import resource
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the project checkout
BUILD = ROOT / "bench" / "build"
LOGS = BUILD / "logs"
PYTHON = sys.executable

LISTEN_RE = {
    "tcp": re.compile(r"tcp listening on (\S+):(\d+)"),
    "http": re.compile(r"http listening on http://(\S+?):(\d+)/?"),
}


class BenchError(Exception):
    """Something the bench could not do (a server that did not start, a client that failed)."""


def raise_nofile() -> tuple[int, int]:
    """Raise this process's RLIMIT_NOFILE soft limit to the hard limit (children inherit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_port(host: str, port: int, timeout: float, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            pass
        if proc is not None and proc.poll() is not None:
            raise BenchError(f"exited with status {proc.returncode} before listening")
        if time.monotonic() > deadline:
            raise BenchError(f"nothing listening on {host}:{port} after {timeout:.0f} s")
        time.sleep(0.05)


@dataclass
class Server:
    """A server process. ``expect`` names the listening lines to wait for ("tcp", "http");
    ``port`` is waited for by connecting when the server prints none."""

    name: str
    argv: list[str]
    expect: tuple[str, ...] = ()
    port: int | None = None
    env: dict[str, str] | None = None
    start_timeout: float = 30.0
    proc: subprocess.Popen | None = None
    addr: dict[str, tuple[str, int]] = field(default_factory=dict)
    log_path: Path | None = None
    exit_status: int | None = None
    stop_seconds: float | None = None
    restarts: int = 0
    _log_start: int = 0

    def start(self) -> Server:
        LOGS.mkdir(parents=True, exist_ok=True)
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", self.name)
        self.log_path = LOGS / f"{safe}.log"
        if self.proc is None and self.log_path.exists():
            self.log_path.unlink()  # a fresh log per bench run; a restart appends
        self._log_start = self.log_path.stat().st_size if self.log_path.exists() else 0
        self.addr = {}
        self.exit_status = self.stop_seconds = None
        env = dict(os.environ)
        env.pop("PYTHONUNBUFFERED", None)  # the server's log buffering is part of what we measure
        env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        if self.env:
            env.update(self.env)
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                self.argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                cwd=ROOT, env=env, start_new_session=True,
            )
        try:
            if self.expect:
                self._wait_lines()
            if self.port is not None:
                wait_port("127.0.0.1", self.port, self.start_timeout, self.proc)
                self.addr["tcp"] = ("127.0.0.1", self.port)
        except BaseException as exc:
            self.stop()
            raise BenchError(f"{self.name}: {exc}; log: {self.log_tail()}") from None
        return self

    def _wait_lines(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        while True:
            with open(self.log_path, "rb") as f:
                f.seek(self._log_start)
                text = f.read().decode("utf-8", "replace")
            for kind in self.expect:
                if kind not in self.addr and (m := LISTEN_RE[kind].search(text)):
                    self.addr[kind] = (m.group(1), int(m.group(2)))
            if all(kind in self.addr for kind in self.expect):
                return
            if self.proc.poll() is not None:
                raise BenchError(f"exited with status {self.proc.returncode} before listening")
            if time.monotonic() > deadline:
                raise BenchError(
                    f"no '{' and '.join(self.expect)} listening' line on stdout after "
                    f"{self.start_timeout:.0f} s (stdout not flushed?)")
            time.sleep(0.02)

    def log_tail(self, n: int = 600) -> str:
        try:
            text = self.log_path.read_text("utf-8", "replace")
        except (OSError, AttributeError):
            return "(no log)"
        return text[-n:].strip().replace("\n", " | ") or "(empty)"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 8.0) -> None:
        """SIGTERM to the server's process group, SIGKILL after ``timeout`` s."""
        if self.proc is None:
            return
        t0 = time.monotonic()
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        # whatever is left of the group (worker processes, websockify's children)
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self.proc.returncode is None:
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
        if self.exit_status is None:
            self.exit_status = self.proc.returncode
            self.stop_seconds = time.monotonic() - t0


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def rss_kib(pid: int) -> int:
    """Resident set size of ``pid`` and all its descendants, in KiB (from /proc)."""
    total = 0
    for p in descendants(pid):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            pass
    return total


def run(argv: list[str], timeout: float, **kw) -> subprocess.CompletedProcess:
    """A client run to completion, with a timeout; output captured (it is small)."""
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                              cwd=ROOT, **kw)
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"{os.path.basename(argv[0])} took over {timeout:.0f} s") from exc


_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` and its descendants so far, including children
    that have exited and been waited for (websockify forks one per connection)."""
    total = 0
    for p in descendants(pid):
        try:
            with open(f"/proc/{p}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(b")") + 2 :].split()
        total += sum(int(x) for x in fields[11:15])  # utime, stime, cutime, cstime
    return total / _TICK


def busy_cpu_seconds() -> float:
    """CPU time spent busy by the whole machine so far (all cores, from /proc/stat)."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    steal = fields[7] if len(fields) > 7 else 0
    return (sum(fields[:8]) - idle - steal) / _TICK


def children_cpu_seconds() -> float:
    """CPU time of this process's finished children (the load clients)."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime
