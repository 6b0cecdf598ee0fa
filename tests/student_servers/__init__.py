"""Small student-style servers for the checker's tests: each is a program run as
``python FILE PORT`` (the port from argv, so tests use free ports), written the way a
student would write it, bugs included on purpose. :func:`student_server` runs one."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from server.check.supervisor import is_listening
from tests.support import free_port

HERE = Path(__file__).resolve().parent


def command(name: str, port: int) -> str:
    """The shell command line that runs the server ``name`` on ``port`` (for ``--run``)."""
    return f"{sys.executable} {HERE / f'{name}.py'} {port}"


@contextlib.contextmanager
def student_server(name: str, timeout: float = 10.0) -> Iterator[str]:
    """Run ``name`` on a free port until the block ends; yields ``127.0.0.1:PORT``.
    Waits for its port in the kernel's table (a connection would use up a one-client
    server)."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(HERE / f"{name}.py"), str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + timeout
        while not is_listening(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"student server {name} did not listen on {port}")
            time.sleep(0.02)
        yield f"127.0.0.1:{port}"
    finally:
        proc.kill()
        proc.wait(5)
