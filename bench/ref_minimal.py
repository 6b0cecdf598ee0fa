"""Reference server that shares no code with the project: a minimal uvloop ``asyncio.Protocol``
with its own ten-line handler (split at LF, partition the command word, ``int()``, ``% 2``, an
f-string reply). No line limit, no log, no metrics, no timers, no JSON, no errors worth the
name: what a student's fast server would be. It imports nothing from ``server`` (nor from
``bench``), so it measures what the project's whole path per request costs, core included.

``python -m bench.ref_minimal [--host H] [--port P]`` (port 0: a free one).
"""

from __future__ import annotations

import argparse
import asyncio
import signal

import uvloop


def reply(line: bytes) -> bytes:
    """The lab sheet's two exercises in one handler, Indonesian replies as the project's."""
    text = line.decode().removesuffix("\r")
    word, _, rest = text.partition(" ")
    if word == "length":
        return f"jumlah karakter: {len(rest)}\n".encode()
    number = rest if word == "parity" else text
    try:
        odd = int(number) % 2
    except ValueError:
        return f"jumlah karakter: {len(text)}\n".encode()
    return f"angka {number.strip()} merupakan {'ganjil' if odd else 'genap'}\n".encode()


class Minimal(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        *lines, self.buffer = (self.buffer + data).split(b"\n")
        if lines:
            self.transport.write(b"".join([reply(line) for line in lines]))


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Minimal, args.host, args.port, backlog=1024)
    print("tcp listening on {}:{}".format(*server.sockets[0].getsockname()[:2]), flush=True)
    done = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: done.done() or done.set_result(None))
    await done
    server.close()


if __name__ == "__main__":
    uvloop.run(main())
