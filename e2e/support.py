"""What the browser tests (and ``scripts/screenshot.py``) run against, from ``tests.support``.

* :func:`start_server` runs ``python -m server`` as a subprocess on free ports and reads the
  addresses it bound from its "listening" lines (:class:`RunningServer`).
* :class:`TinyTcpServer` is a foreign TCP server for ``--backend``: the lab sheet's own
  (one request per connection, a reply without LF, then close) or one that floods.
"""

from __future__ import annotations

import socket

from tests import support
from tests.support import ROOT, TinyTcpServer, free_port, lab_sheet_handler, lines_of

__all__ = ["CHROMIUM_ARGS", "FLOOD_LINES", "ROOT", "RunningServer", "TinyTcpServer",
           "flooding_server", "free_port", "lab_sheet_server", "start_server"]

# Chromium flags for a headless run here (see scripts/ensure_chromium.py for the binary).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

RunningServer = support.ServerProcess


def start_server(*args: str, timeout: float = 20.0) -> RunningServer:
    """Start ``python -m server`` with ``args`` (free ports unless given) and return once it
    has printed its listening lines."""
    return support.start_server(*args, timeout=timeout)


# The lab sheet's server as printed there: ``"angka" + str(angka) + " merupakan genap"``.
lab_sheet_server = lab_sheet_handler(as_printed=True)

FLOOD_LINES = 5000


def flooding_server(conn: socket.socket) -> None:
    """Answers ``flood`` with 5,000 lines at once and echoes anything else, line by line."""
    for line in lines_of(conn):
        if line.strip() == b"flood":
            conn.sendall(b"".join(b"flood %d\n" % i for i in range(1, FLOOD_LINES + 1)))
        else:
            conn.sendall(b"echo: " + line + b"\n")
