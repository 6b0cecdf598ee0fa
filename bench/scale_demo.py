"""``make scale-demo``: two instances of the service behind HAProxy, one stopped mid-run.

What it does, all on 127.0.0.1 and bounded (about 15 s, at most ``--rate`` requests a second
per connection):

1. makes sure HAProxy is installed (Debian's package; ``apt-get`` as root, else a clear
   message and exit status 1);
2. starts two instances ``a`` and ``b`` of ``python -m server --quiet`` on free ports;
3. renders ``bench/haproxy.cfg.template`` with free frontend ports into a temporary
   directory, checks it (``haproxy -c``) and runs ``haproxy -db`` with it, waiting until the
   health checks have both instances up;
4. drives load through HAProxy: TCP connections (``parity N``, lockstep) to the TCP frontend
   and WebSockets (``length ...``, lockstep) to ``/ws`` on the HTTP frontend, checking every
   reply;
5. after a "before" window, asks HAProxy which client connection is on which instance
   (``show sess`` on its runtime API), then stops ``b`` with SIGTERM while the load goes on;
   connections that ``b`` closes are reconnected (HAProxy puts them on ``a``), and a request
   such a connection left unanswered is sent again (every request here is a pure question);
6. measures requests per instance from each instance's own ``/metrics``
   (``playground_requests_total``: ``parity`` is the TCP load, ``length`` the WebSocket load,
   ``help`` HAProxy's TCP health check) for the window before and the window after the stop.

It prints a table and exits 0 when both instances shared the load, traffic moved to the
survivor, the connections closed were exactly those on ``b``, and every request sent on a
connection that survived got its (correct) reply; 1 otherwise (or when something could not
run). Every process it started is stopped on the way out, whatever happens.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import websockets
from websockets.protocol import State

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = Path(__file__).resolve().parent / "haproxy.cfg.template"
HOST = "127.0.0.1"
LISTEN_TCP = re.compile(r"tcp listening on (\S+):(\d+)")
LISTEN_HTTP = re.compile(r"http listening on http://(\S+):(\d+)/")
REQUESTS = re.compile(r'^playground_requests_total\{handler="([^"]*)",outcome="([^"]*)"\} (\S+)$',
                      re.M)
PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
REPLY_TIMEOUT = 5.0
START_TIMEOUT = 15.0


class DemoError(Exception):
    """Something the demo could not do (install, start, connect): exit status 1."""


# -- HAProxy: installed, rendered, run -----------------------------------------------------
def find_haproxy() -> str | None:
    path = os.environ.get("PATH", "") + os.pathsep + "/usr/sbin:/sbin"
    return shutil.which("haproxy", path=path)


def ensure_haproxy() -> str:
    """The haproxy binary; installs Debian's package when it is missing (root only)."""
    found = find_haproxy()
    if found:
        return found
    if os.geteuid() != 0:
        raise DemoError("haproxy is not installed and installing it needs root: run "
                        "`sudo apt-get install haproxy` (or this demo as root), then again")
    if shutil.which("apt-get") is None:
        raise DemoError("haproxy is not installed and there is no apt-get here: install "
                        "HAProxy 2.2 or newer with your system's package manager")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for argv in (["apt-get", "update"], ["apt-get", "install", "-y", "haproxy"]):
        print(f"haproxy missing: running {' '.join(argv)}", flush=True)
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, env=env, text=True)
        if done.returncode != 0:
            tail = done.stdout.strip().splitlines()[-5:]
            raise DemoError(f"{' '.join(argv)} failed with status {done.returncode}: "
                            + " | ".join(tail))
    found = find_haproxy()
    if not found:
        raise DemoError("apt-get install haproxy succeeded but no haproxy binary was found")
    return found


def render(template: str, values: dict[str, object]) -> str:
    """Replace every ``{{NAME}}``; a placeholder without a value is an error."""
    missing = sorted({m for m in PLACEHOLDER.findall(template) if m not in values})
    if missing:
        raise DemoError(f"{TEMPLATE.name}: no value for {', '.join(missing)}")
    return PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), template)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def haproxy_api(sock_path: Path, command: str, timeout: float = 2.0) -> str:
    """One command on HAProxy's runtime API (the stats socket); its whole answer."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(str(sock_path))
        s.sendall(command.encode() + b"\n")
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).decode("utf-8", "replace")


def server_status(sock_path: Path) -> dict[tuple[str, str], dict[str, str]]:
    """``show stat`` as {(backend, server): row} for the servers (not frontends/backends)."""
    lines = haproxy_api(sock_path, "show stat").splitlines()
    header = lines[0].lstrip("# ").split(",")
    rows = {}
    for line in lines[1:]:
        if not line:
            continue
        row = dict(zip(header, line.split(","), strict=False))
        if row.get("svname") not in ("FRONTEND", "BACKEND"):
            rows[(row["pxname"], row["svname"])] = row
    return rows


def sessions_by_port(sock_path: Path) -> dict[tuple[str, int], str]:
    """``show sess``: {(backend, client port): server name} for the client connections."""
    out = {}
    for m in re.finditer(r"src=[^ ]*:(\d+) fe=\S+ be=(\S+) srv=(\S+)",
                         haproxy_api(sock_path, "show sess")):
        out[(m.group(2), int(m.group(1)))] = m.group(3)
    return out


# -- processes ----------------------------------------------------------------------------
@dataclass
class Proc:
    name: str
    proc: subprocess.Popen
    log: Path
    tcp_port: int = 0
    http_port: int = 0
    exit_status: int | None = None
    exit_seconds: float | None = None

    def tail(self, n: int = 400) -> str:
        try:
            text = self.log.read_text("utf-8", "replace").strip()
        except OSError:
            return "(no output)"
        return text[-n:].replace("\n", " | ") or "(no output)"


def spawn(name: str, argv: list[str], log: Path) -> Proc:
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT)
    return Proc(name, proc, log)


def start_instance(name: str, tmp: Path, procs: list[Proc]) -> Proc:
    """Start one instance (added to ``procs`` at once, to be stopped whatever happens)."""
    p = spawn(name, [sys.executable, "-m", "server", "--tcp-port", "0", "--http-port", "0",
                     "--quiet"], tmp / f"server-{name}.log")
    procs.append(p)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        text = p.log.read_text("utf-8", "replace")
        tcp, http = LISTEN_TCP.search(text), LISTEN_HTTP.search(text)
        if tcp and http:
            p.tcp_port, p.http_port = int(tcp.group(2)), int(http.group(2))
            return p
        if p.proc.poll() is not None:
            raise DemoError(f"instance {name} exited with status {p.proc.returncode}: "
                            f"{p.tail()}")
        time.sleep(0.02)
    raise DemoError(f"instance {name} printed no listening lines in {START_TIMEOUT:.0f} s")


def stop(p: Proc, timeout: float = 8.0) -> None:
    """SIGTERM, then SIGKILL after ``timeout`` s; records exit status and time."""
    if p.proc.poll() is None:
        t0 = time.monotonic()
        p.proc.send_signal(signal.SIGTERM)
        try:
            p.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            p.proc.kill()
            p.proc.wait()
        if p.exit_seconds is None:
            p.exit_seconds = time.monotonic() - t0
    if p.exit_status is None:
        p.exit_status = p.proc.returncode


def start_haproxy(binary: str, instances: list[Proc], tmp: Path,
                  procs: list[Proc]) -> tuple[Proc, dict]:
    ports = {"FRONT_HOST": HOST, "TCP_FRONT_PORT": free_port(), "HTTP_FRONT_PORT": free_port(),
             "STATS_SOCKET": tmp / "haproxy.sock"}
    for inst in instances:
        ports[f"{inst.name.upper()}_HOST"] = HOST
        ports[f"{inst.name.upper()}_TCP_PORT"] = inst.tcp_port
        ports[f"{inst.name.upper()}_HTTP_PORT"] = inst.http_port
    cfg = tmp / "haproxy.cfg"
    cfg.write_text(render(TEMPLATE.read_text(), ports))
    check = subprocess.run([binary, "-c", "-f", str(cfg)], stdin=subprocess.DEVNULL,
                           capture_output=True, text=True)
    if check.returncode != 0:
        raise DemoError(f"haproxy -c rejected the rendered config {cfg}: "
                        + " | ".join((check.stdout + check.stderr).strip().splitlines()[-5:]))
    hp = spawn("haproxy", [binary, "-db", "-f", str(cfg)], tmp / "haproxy.log")
    procs.append(hp)
    sock = ports["STATS_SOCKET"]
    deadline = time.monotonic() + START_TIMEOUT
    status: dict = {}
    while time.monotonic() < deadline:
        if hp.proc.poll() is not None:
            raise DemoError(f"haproxy exited with status {hp.proc.returncode}: {hp.tail()}")
        with contextlib.suppress(OSError, IndexError, KeyError):
            status = server_status(sock)
            if len(status) == 2 * len(instances) and all(
                    row["status"] == "UP" for row in status.values()):
                return hp, ports
        time.sleep(0.1)
    seen = ", ".join(f"{b}/{s} {row.get('status')}" for (b, s), row in status.items())
    raise DemoError(f"haproxy's health checks did not mark every instance UP in "
                    f"{START_TIMEOUT:.0f} s ({seen or 'no answer on its socket'})")


# -- load ---------------------------------------------------------------------------------
@dataclass(eq=False)
class Conn:
    """One client connection through HAProxy (a reconnect is a new Conn)."""

    kind: str  # "tcp" or "ws"
    slot: int
    opened: float = 0.0  # time.monotonic() when connected
    port: int = 0  # the client's local port, to find it in `show sess`
    sent: int = 0
    answered: int = 0
    closed_by_peer: bool = False
    reset: bool = False
    close_code: int | None = None
    timed_out: bool = False
    unanswered_at_close: int = 0
    resent: int = 0  # 1 when its first request repeats one lost at the previous close
    resent_answered: int = 0


@dataclass
class Slot:
    """A client's place: its next request and whether it repeats a lost one."""

    kind: str
    index: int
    next: int = 1
    resend: bool = False


@dataclass
class Load:
    rate: float
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    conns: list[Conn] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    connect_failures: int = 0

    def error(self, text: str) -> None:
        if len(self.errors) < 1000:
            self.errors.append(text)

    def delay(self, conn: Conn) -> float:
        return max(0.0, conn.opened + conn.answered / self.rate - time.monotonic())

    async def slot_loop(self, slot: Slot, run_one) -> None:
        """Keep one connection going in this slot: reconnect when the peer closes it, and
        send again the request the closed connection left unanswered (every request of
        this protocol is a pure question, so asking twice is safe)."""
        while not self.stopping.is_set():
            conn = Conn(slot.kind, slot.index)
            try:
                await run_one(conn, slot)
            except (OSError, websockets.exceptions.InvalidHandshake, TimeoutError) as exc:
                if not conn.port:
                    self.connect_failures += 1
                    self.error(f"{slot.kind} slot {slot.index}: connect failed: {exc}")
                    await asyncio.sleep(0.2)
                    continue
                self.error(f"{slot.kind} :{conn.port}: {type(exc).__name__}: {exc}")
            finally:
                if conn.port:
                    self.conns.append(conn)
            if conn.unanswered_at_close:
                slot.resend = True
            if conn.closed_by_peer and not conn.answered:
                await asyncio.sleep(0.2)  # closed at once (no instance up?): do not spin

    def _sending(self, conn: Conn, slot: Slot) -> int:
        conn.sent += 1
        if slot.resend and conn.sent == 1:
            conn.resent = 1
        return slot.next

    def _answered(self, conn: Conn, slot: Slot) -> None:
        conn.answered += 1
        if conn.resent and conn.answered == 1:
            conn.resent_answered = 1
            slot.resend = False
        slot.next += 1

    def _closed(self, conn: Conn, reset: bool = False) -> None:
        conn.closed_by_peer = True
        conn.reset = reset
        conn.unanswered_at_close = conn.sent - conn.answered

    async def tcp_conn(self, conn: Conn, slot: Slot, port: int) -> None:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), 5)
        conn.port, conn.opened = writer.get_extra_info("sockname")[1], time.monotonic()
        try:
            while not self.stopping.is_set():
                if reader.at_eof():  # closed between requests: nothing lost
                    self._closed(conn)
                    return
                n = self._sending(conn, slot)
                writer.write(b"parity %d\n" % n)
                try:
                    line = await asyncio.wait_for(reader.readline(), REPLY_TIMEOUT)
                except TimeoutError:
                    conn.timed_out = True
                    self.error(f"tcp :{conn.port}: no reply to 'parity {n}' in "
                               f"{REPLY_TIMEOUT:.0f} s on an open connection")
                    return
                except ConnectionResetError:
                    self._closed(conn, reset=True)
                    return
                if not line.endswith(b"\n"):
                    self._closed(conn)
                    if line:
                        self.error(f"tcp :{conn.port}: partial reply {line!r} at close")
                    return
                self._answered(conn, slot)
                want = f"angka {n} merupakan {'genap' if n % 2 == 0 else 'ganjil'}\n"
                if line.decode("utf-8", "replace") != want:
                    self.error(f"tcp :{conn.port}: 'parity {n}' got {line!r}")
                # Pause until the next request is due, watching the connection meanwhile:
                # a close seen here came between requests.
                try:
                    extra = await asyncio.wait_for(reader.read(1), self.delay(conn))
                except TimeoutError:
                    continue
                except ConnectionResetError:
                    self._closed(conn, reset=True)
                    return
                if extra:
                    self.error(f"tcp :{conn.port}: bytes nobody asked for: {extra!r}")
                self._closed(conn)
                return
            # stopping: the last request is answered; say goodbye and see the server agree
            writer.write_eof()
            if await asyncio.wait_for(reader.read(), REPLY_TIMEOUT):
                self.error(f"tcp :{conn.port}: unexpected bytes after the last reply")
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    async def ws_conn(self, conn: Conn, slot: Slot, url: str) -> None:
        ws = await websockets.connect(url, open_timeout=5, close_timeout=2, max_queue=4,
                                      compression=None)
        conn.port, conn.opened = ws.local_address[1], time.monotonic()
        try:
            while not self.stopping.is_set():
                if ws.state is not State.OPEN:  # the close came between requests
                    with contextlib.suppress(websockets.exceptions.ConnectionClosed):
                        await ws.recv()
                    self._closed(conn)
                    conn.close_code = ws.close_code
                    return
                n = self._sending(conn, slot)
                text = f"halo dunia {slot.index}-{n}"
                try:
                    await ws.send(f"length {text}")
                    reply = await asyncio.wait_for(ws.recv(), REPLY_TIMEOUT)
                except TimeoutError:
                    conn.timed_out = True
                    self.error(f"ws :{conn.port}: no reply to 'length {text}' in "
                               f"{REPLY_TIMEOUT:.0f} s on an open WebSocket")
                    return
                except websockets.exceptions.ConnectionClosed as exc:
                    self._ws_closed(conn, exc)
                    return
                self._answered(conn, slot)
                if reply != f"jumlah karakter: {len(text)}":
                    self.error(f"ws :{conn.port}: 'length {text}' got {reply!r}")
                try:  # as for TCP: a close between requests is seen here
                    extra = await asyncio.wait_for(ws.recv(), self.delay(conn))
                except TimeoutError:
                    continue
                except websockets.exceptions.ConnectionClosed as exc:
                    self._ws_closed(conn, exc)
                    return
                self.error(f"ws :{conn.port}: a message nobody asked for: {extra!r}")
        finally:
            await ws.close()

    def _ws_closed(self, conn: Conn, exc: websockets.exceptions.ConnectionClosed) -> None:
        self._closed(conn)
        conn.close_code = exc.rcvd.code if exc.rcvd else None
        if conn.close_code not in (1001, 1000):
            reason = exc.rcvd.reason if exc.rcvd else "no close frame"
            self.error(f"ws :{conn.port}: closed with {conn.close_code} ({reason})")


# -- /metrics ------------------------------------------------------------------------------
async def scrape(session: aiohttp.ClientSession, inst: Proc) -> dict[str, int]:
    """``playground_requests_total`` of one instance, summed over outcomes, by handler."""
    async with session.get(f"http://{HOST}:{inst.http_port}/metrics") as resp:
        text = await resp.text()
    counts: dict[str, int] = {}
    for handler, _outcome, value in REQUESTS.findall(text):
        counts[handler] = counts.get(handler, 0) + int(float(value))
    return counts


# -- the run ------------------------------------------------------------------------------
HANDLER = {"tcp": "parity", "ws": "length"}
BACKEND = {"tcp": "tcp_service", "ws": "web_app"}


@dataclass
class Result:
    """What was measured; windows are (counts at start, counts at end, seconds)."""

    before: dict[str, tuple[dict, dict]] = field(default_factory=dict)
    after: tuple[dict, dict] = ({}, {})
    final_a: dict = field(default_factory=dict)
    before_s: float = 0.0
    after_s: float = 0.0
    t_stop: float = 0.0
    placed_before: dict[tuple[str, int], str] = field(default_factory=dict)  # show sess
    placed_end: dict[tuple[str, int], str] = field(default_factory=dict)
    status_end: dict = field(default_factory=dict)  # show stat


async def drive(args, a: Proc, b: Proc, ports: dict, load: Load) -> Result:
    sock = ports["STATS_SOCKET"]
    tcp_port, ws_url = ports["TCP_FRONT_PORT"], f"ws://{HOST}:{ports['HTTP_FRONT_PORT']}/ws"
    res = Result()
    tasks = [asyncio.create_task(load.slot_loop(
        Slot("tcp", i), lambda c, s: load.tcp_conn(c, s, tcp_port))) for i in range(args.tcp)]
    tasks += [asyncio.create_task(load.slot_loop(
        Slot("ws", i), lambda c, s: load.ws_conn(c, s, ws_url))) for i in range(args.ws)]
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http:
            await asyncio.sleep(args.warmup)
            t0 = time.monotonic()
            s0 = {p.name: await scrape(http, p) for p in (a, b)}
            await asyncio.sleep(args.before)
            s1 = {p.name: await scrape(http, p) for p in (a, b)}
            res.before_s = time.monotonic() - t0
            res.before = {name: (s0[name], s1[name]) for name in s0}
            # Who is where just before the stop: HAProxy knows, the client cannot tell.
            res.placed_before = await asyncio.to_thread(sessions_by_port, sock)
            print(f"stopping instance b (pid {b.proc.pid}) with SIGTERM; the load goes on",
                  flush=True)
            res.t_stop = time.monotonic()
            await asyncio.to_thread(stop, b)
            # Let closed connections reconnect and the health checks mark b down; measure.
            await asyncio.sleep(args.settle)
            t1 = time.monotonic()
            a1 = await scrape(http, a)
            await asyncio.sleep(args.after)
            a2 = await scrape(http, a)
            res.after_s = time.monotonic() - t1
            res.after = (a1, a2)
            res.placed_end = await asyncio.to_thread(sessions_by_port, sock)
            res.status_end = await asyncio.to_thread(server_status, sock)
            load.stopping.set()
            await asyncio.wait_for(asyncio.gather(*tasks), REPLY_TIMEOUT + 5)
            res.final_a = await scrape(http, a)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return res


def report(args, a: Proc, b: Proc, res: Result, load: Load) -> bool:
    """Print the tables; True when the demo's claims hold."""
    problems: list[str] = []

    def delta(window: tuple[dict, dict], kind: str) -> int:
        return window[1].get(HANDLER[kind], 0) - window[0].get(HANDLER[kind], 0)

    before = {n: {k: delta(res.before[n], k) for k in HANDLER} for n in ("a", "b")}
    after_a = {k: delta(res.after, k) for k in HANDLER}
    total_before = sum(sum(v.values()) for v in before.values()) or 1

    def line(who: str, window: str, counts: dict | None, secs: float, share: str,
             note: str = "") -> None:
        if counts is None:
            cells = f"{'-':>8} {'-':>8} {'-':>8}"
        else:
            total = sum(counts.values())
            cells = f"{counts['tcp']:>8,} {counts['ws']:>8,} {total / secs:>8,.0f}"
        print(f"{who:<27} {window:<25} {cells} {share:>6}{note}")

    print()
    print("Requests answered per instance, from each instance's own /metrics")
    print("(playground_requests_total: handler parity = the TCP load, length = the WebSocket "
          "load)")
    print()
    head = f"{'instance':<27} {'window':<25} {'tcp':>8} {'ws':>8} {'req/s':>8} {'share':>6}"
    print(head)
    print("-" * len(head))
    for n, p in (("a", a), ("b", b)):
        share = sum(before[n].values()) / total_before
        line(f"{n}  tcp :{p.tcp_port} http :{p.http_port}",
             f"before, both up ({res.before_s:.1f} s)", before[n], res.before_s, f"{share:.0%}")
    line("a", f"after b stopped ({res.after_s:.1f} s)", after_a, res.after_s, "100%")
    line("b", "after b stopped", None, 1, "0%",
         f"   (b exited with status {b.exit_status}, {b.exit_seconds or 0:.1f} s after SIGTERM)")
    for n in ("a", "b"):
        for kind in HANDLER:
            if before[n][kind] <= 0:
                problems.append(f"instance {n} got no {kind} requests while both were up")
    for kind in HANDLER:
        if after_a[kind] <= 0:
            problems.append(f"instance a got no {kind} requests after b stopped")
    if b.exit_status != 0:
        problems.append(f"instance b exited with status {b.exit_status} after SIGTERM")

    # Whole run: what the clients got = what the two instances counted.
    got = {k: sum(c.answered for c in load.conns if c.kind == k) for k in HANDLER}
    a_all = {k: res.final_a.get(HANDLER[k], 0) for k in HANDLER}
    b_seen = {k: res.before["b"][1].get(HANDLER[k], 0) for k in HANDLER}
    print()
    print("Whole run: replies the clients got = a's count + b's count at its last scrape + "
          "what b answered while stopping")
    for k in HANDLER:
        tail = got[k] - a_all[k] - b_seen[k]
        print(f"  {k:<3} {got[k]:>7,} = {a_all[k]:,} + {b_seen[k]:,} + {tail:,}")
        if tail < 0:
            problems.append(f"the instances counted more {k} replies than the clients got")

    # Connections: where they were, which were closed, what happened to their requests.
    rows: dict[str, dict[str, object]] = {}
    for kind in HANDLER:
        conns = [c for c in load.conns if c.kind == kind]
        placed = {c: res.placed_before.get((BACKEND[kind], c.port)) for c in conns
                  if c.opened < res.t_stop}
        on_b = [c for c, srv in placed.items() if srv == "b"]
        closed = [c for c in conns if c.closed_by_peer]
        stray = [c for c in closed if c not in on_b]
        kept = [c for c in on_b if not c.closed_by_peer]
        later = [c for c in conns if c.opened >= res.t_stop]
        later_at_end = [res.placed_end.get((BACKEND[kind], c.port)) for c in later
                        if not c.closed_by_peer]
        surviving = [c for c in conns if not c.closed_by_peer]
        lost = sum(c.unanswered_at_close for c in closed)
        codes = sorted({c.close_code for c in closed if c.close_code is not None})
        unanswered = sum(c.sent - c.answered for c in surviving)
        rows[kind] = {
            "connections opened in all": len(conns),
            "on a / on b just before the stop": f"{len(placed) - len(on_b)} / {len(on_b)}",
            "closed by b when it stopped": f"{len(closed)}" + (
                f" (close code {', '.join(map(str, codes))})" if codes else ""),
            "  of them with a request in flight": f"{lost}" + (
                f" ({sum(c.reset for c in closed)} reset)" if kind == "tcp" else ""),
            "  reconnected; on a at the end": f"{len(later)}; "
                                              f"{sum(s == 'a' for s in later_at_end)}",
            "  lost requests resent, answered": f"{sum(c.resent for c in conns)}, "
                                                f"{sum(c.resent_answered for c in conns)}",
            "connections never closed": len(surviving),
            "  requests sent / answered": f"{sum(c.sent for c in surviving):,} / "
                                          f"{sum(c.answered for c in surviving):,}",
            "  unanswered (must be 0)": unanswered,
        }
        if not on_b:
            problems.append(f"no {kind} connection was on b before the stop (show sess)")
        if stray:
            problems.append(f"{len(stray)} {kind} connection(s) not on b were closed")
        if kept:
            problems.append(f"{len(kept)} {kind} connection(s) on b were not closed")
        if any(s != "a" for s in later_at_end):
            problems.append(f"a {kind} reconnection was not on a at the end")
        if unanswered:
            problems.append(f"{unanswered} {kind} request(s) on connections that were never "
                            "closed got no reply")
        if any(c.timed_out for c in conns):
            problems.append(f"a {kind} request got no reply within {REPLY_TIMEOUT:.0f} s")
        if sum(c.resent_answered for c in conns) < sum(c.resent for c in conns):
            problems.append(f"a resent {kind} request was not answered")
    print()
    print(f"Client connections through HAProxy ({args.tcp} TCP, {args.ws} WebSocket; a client "
          "whose connection is closed reconnects and resends what was unanswered)")
    print()
    label_w = max(len(k) for k in rows["tcp"])
    print(f"{'':<{label_w}}  {'tcp':>20}  {'ws':>20}")
    for key in rows["tcp"]:
        print(f"{key:<{label_w}}  {rows['tcp'][key]!s:>20}  {rows['ws'][key]!s:>20}")

    print()
    print("HAProxy at the end (show stat):")
    for (be, srv), row in sorted(res.status_end.items()):
        print(f"  {be}/{srv}: {row.get('status')}, {row.get('stot') or 0} sessions assigned, "
              f"{row.get('wredis') or 0} redispatched to the other, "
              f"{row.get('chkfail') or 0} failed checks")
    for (be, srv), row in res.status_end.items():
        if srv == "b" and not row.get("status", "").startswith("DOWN"):
            problems.append(f"haproxy still has {be}/b {row.get('status')} after the stop")
        if srv == "a" and row.get("status") != "UP":
            problems.append(f"haproxy has {be}/a {row.get('status')}")

    print()
    if load.errors:
        print(f"errors seen by the clients: {len(load.errors)}")
        for text in load.errors[:10]:
            print(f"  {text}")
        problems.append(f"{len(load.errors)} client error(s)")
    else:
        print("errors seen by the clients: none (every reply checked against the expected "
              "text; no connect failure, no timeout)")
    print()
    if problems:
        print("FAILED: " + "; ".join(problems))
        return False
    print("OK: both instances shared the load, traffic moved to a when b stopped, and every "
          "request on a connection that stayed open got its reply.")
    return True


def parse_args(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench.scale_demo",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--tcp", type=int, default=20, help="TCP connections (default 20)")
    ap.add_argument("--ws", type=int, default=10, help="WebSockets (default 10)")
    ap.add_argument("--rate", type=float, default=100.0,
                    help="most requests a second per connection (default 100)")
    ap.add_argument("--warmup", type=float, default=1.0, help="seconds before measuring")
    ap.add_argument("--before", type=float, default=4.0, help="seconds measured with both up")
    ap.add_argument("--settle", type=float, default=1.0,
                    help="seconds after the stop before the after window")
    ap.add_argument("--after", type=float, default=4.0, help="seconds measured after the stop")
    args = ap.parse_args(argv)
    if args.tcp < 1 or args.ws < 1 or args.rate <= 0:
        ap.error("--tcp and --ws must be at least 1, --rate more than 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # clean up as on Ctrl-C
    t_start = time.monotonic()
    try:
        binary = ensure_haproxy()
    except DemoError as exc:
        print(f"scale-demo: {exc}", file=sys.stderr)
        return 1
    version = subprocess.run([binary, "-v"], capture_output=True, text=True,
                             stdin=subprocess.DEVNULL).stdout.splitlines()[0]
    procs: list[Proc] = []
    tmp = Path(tempfile.mkdtemp(prefix="scale-demo-"))
    ok = False
    try:
        a = start_instance("a", tmp, procs)
        b = start_instance("b", tmp, procs)
        hp, ports = start_haproxy(binary, [a, b], tmp, procs)
        print(f"{version.split(' - ')[0]}; config rendered from bench/{TEMPLATE.name}")
        print(f"instance a: pid {a.proc.pid}, tcp :{a.tcp_port}, http :{a.http_port}")
        print(f"instance b: pid {b.proc.pid}, tcp :{b.tcp_port}, http :{b.http_port}")
        print(f"haproxy: pid {hp.proc.pid}, tcp frontend :{ports['TCP_FRONT_PORT']}, "
              f"http frontend :{ports['HTTP_FRONT_PORT']} (ws://{HOST}:"
              f"{ports['HTTP_FRONT_PORT']}/ws); health checks: both instances UP")
        print(f"load: {args.tcp} TCP connections ('parity N') and {args.ws} WebSockets "
              f"('length ...'), lockstep, at most {args.rate:g} requests/s each; "
              f"{args.warmup:g} s warm-up, {args.before:g} s before, {args.after:g} s after",
              flush=True)
        load = Load(args.rate)
        res = asyncio.run(drive(args, a, b, ports, load))
        ok = report(args, a, b, res, load)
        if hp.proc.poll() is not None:
            print(f"haproxy exited early with status {hp.proc.returncode}: {hp.tail()}")
            ok = False
    except DemoError as exc:
        print(f"scale-demo: {exc}", file=sys.stderr)
    except KeyboardInterrupt:
        print("\nscale-demo: interrupted", file=sys.stderr)
    finally:
        for p in reversed(procs):
            stop(p)
        if ok and procs[0].exit_status != 0:
            print(f"FAILED: instance a exited with status {procs[0].exit_status} on SIGTERM")
            ok = False
        if ok:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"scale-demo: logs and the rendered config kept in {tmp}", file=sys.stderr)
    print(f"done in {time.monotonic() - t_start:.1f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
