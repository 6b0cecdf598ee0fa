"""``--run "COMMAND"``: the student's program, started, watched and started again.

The program runs in a process group of its own (so stopping it stops its children too) with
``PYTHONUNBUFFERED=1`` (so its prints and traceback arrive as they happen). Its port is
watched in ``/proc/net/tcp{,6}`` (state ``0A``, LISTEN) and never by connecting: a connection
would use up a one-client server like the lab sheet's, and crash it (``int(b'')``).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import errno
import os
import signal
import socket
import time
from pathlib import Path

from server.check.results import ProgramExit
from server.class_file import join_host_port

LISTEN_TIMEOUT = 10.0
SETTLE = 0.3  # after the server closed a connection: time for it to exit, if it is going to
OUTPUT_LINES = 200
SHOWN_LINES = 12  # of the last run, in a case's report
LINE_CHARS = 200  # a longer printed line is cut (a student's server may echo 100,000 digits)
PROC_TABLES = (Path("/proc/net/tcp"), Path("/proc/net/tcp6"))


class RunError(Exception):
    """The program cannot be run or never listens: one line for the user (exit status 2)."""


def listening_ports(tables: tuple[Path, ...] = PROC_TABLES) -> set[int] | None:
    """Local ports in LISTEN state, from the kernel's tables; None where there are none."""
    ports: set[int] = set()
    found = False
    for table in tables:
        try:
            text = table.read_text()
        except OSError:
            continue
        found = True
        ports |= parse_listening(text)
    return ports if found else None


def parse_listening(table: str) -> set[int]:
    """The ports of ``/proc/net/tcp``-format lines whose state is ``0A`` (LISTEN)."""
    ports = set()
    for line in table.splitlines()[1:]:
        fields = line.split()
        if len(fields) > 3 and fields[3] == "0A":
            ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def port_bound(port: int) -> bool:
    """Without ``/proc``: is the port taken? (binding without SO_REUSEADDR tells, and
    connects to nobody)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            return exc.errno == errno.EADDRINUSE
    return False


def is_listening(port: int) -> bool:
    ports = listening_ports()
    return port_bound(port) if ports is None else port in ports


class Supervisor:
    """Starts ``command`` for ``host:port`` and keeps what it prints."""

    def __init__(self, command: str, host: str, port: int,
                 listen_timeout: float = LISTEN_TIMEOUT) -> None:
        self.command, self.host, self.port = command, host, port
        self.listen_timeout = listen_timeout
        self.output: collections.deque[str] = collections.deque(maxlen=OUTPUT_LINES)
        self.instance_output: collections.deque[str] = collections.deque(maxlen=SHOWN_LINES)
        self.proc: asyncio.subprocess.Process | None = None
        self.reader: asyncio.Task | None = None
        self.starts = 0
        self.exit_reported = False

    @property
    def where(self) -> str:
        return join_host_port(self.host, self.port)

    def last_line(self) -> str:
        for line in reversed(self.output):
            if line.strip():
                return line.strip()
        return "(it printed nothing)"

    async def start(self) -> None:
        """Start the program and wait until its port listens; RunError says why not."""
        if is_listening(self.port):
            raise RunError(f"port {self.port} is already in use by another program; stop it, "
                           "or check that one without --run")
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        try:
            self.proc = await asyncio.create_subprocess_shell(
                self.command, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT, start_new_session=True, env=env)
        except OSError as exc:
            raise RunError(f"cannot start {self.command!r}: {exc.strerror or exc}") from None
        self.starts += 1
        self.exit_reported = False
        self.instance_output = collections.deque(maxlen=SHOWN_LINES)
        self.reader = asyncio.create_task(self._read_output(self.proc))
        deadline = time.monotonic() + self.listen_timeout
        while not is_listening(self.port):
            if self.proc.returncode is not None or time.monotonic() > deadline:
                exited = self.proc.returncode is not None
                await self._drain()
                if not exited:
                    await self.stop()
                    raise RunError(f"{self.command!r} did not listen on {self.where} within "
                                   f"{self.listen_timeout:g} s; its last line: "
                                   f"{self.last_line()}")
                raise RunError(f"{self.command!r} exited with status {self.proc.returncode} "
                               f"before listening on {self.where}; its last line: "
                               f"{self.last_line()}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.proc.wait(), 0.02)

    async def _read_output(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout is not None
        lines = self.instance_output
        while line := await proc.stdout.readline():
            text = line.decode("utf-8", "replace").rstrip("\r\n")
            if len(text) > LINE_CHARS:
                text = f"{text[:LINE_CHARS]}… ({len(text):,} characters)"
            self.output.append(text)
            lines.append(text)

    async def _drain(self) -> None:
        """Let the output reader take what the program printed last (bounded)."""
        if self.reader is not None:
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(self.reader), 1.0)

    @property
    def exited(self) -> bool:
        return self.proc is None or self.proc.returncode is not None

    async def ensure_running(self) -> bool:
        """Before a case: start the program again if it has exited. True if it was."""
        if not self.exited and is_listening(self.port):
            return False
        if not self.exited:  # closed its port but still alive: give it a moment to exit
            await self.wait_exit(1.0)
            if not self.exited:
                await self.stop()
        await self._drain()
        await self.start()
        return True

    async def wait_exit(self, seconds: float) -> None:
        if self.proc is not None and self.proc.returncode is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.proc.wait(), seconds)

    async def take_exit(self) -> ProgramExit | None:
        """The program's exit during the case just run (once per exit), with its last lines."""
        if self.proc is None or self.proc.returncode is None or self.exit_reported:
            return None
        self.exit_reported = True
        await self._drain()
        return ProgramExit(self.proc.returncode, tuple(self.instance_output))

    async def stop(self) -> None:
        """SIGTERM to the program's group, then SIGKILL if it does not go within 3 s."""
        proc = self.proc
        if proc is None:
            return
        for signum, wait in ((signal.SIGTERM, 3.0), (signal.SIGKILL, 3.0)):
            if proc.returncode is not None:
                break
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signum)
            await self.wait_exit(wait)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # children left behind by a shell
        await self._drain()
        if self.reader is not None and not self.reader.done():
            self.reader.cancel()
