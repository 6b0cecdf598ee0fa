"""What the reference servers share: their command line and serving until a signal, so each
of them shows only its own I/O layer."""

from __future__ import annotations

import argparse
import asyncio
import signal


def reference_args(description: str | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--max-line", type=int, default=65536)
    return ap.parse_args()


async def serve_until_signalled(server: asyncio.AbstractServer) -> None:
    """Print the listening line the bench waits for, then serve until SIGTERM or SIGINT."""
    host, port = server.sockets[0].getsockname()[:2]
    print(f"tcp listening on {host}:{port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()
