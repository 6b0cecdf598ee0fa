"""Reference server: the Python ceiling. A minimal uvloop ``asyncio.Protocol`` that feeds
each chunk it reads to the project's sans-I/O ``ServiceConnection`` and writes all the
replies of that chunk in one ``transport.write``. No log, no metrics, no timers.

``python -m bench.ref_uvloop [--host H] [--port P] [--max-line N]`` (port 0: a free one).
"""

from __future__ import annotations

import asyncio

import uvloop

from bench.ref_common import reference_args, serve_until_signalled
from server.protocol import ServiceConnection, ServiceSettings


class LineProtocol(asyncio.Protocol):
    __slots__ = ("transport", "conn")

    def __init__(self, settings: ServiceSettings) -> None:
        self.conn = ServiceConnection(settings)
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        answers = self.conn.read(data)[1]
        if answers:
            self.transport.write(b"".join([reply for reply, _ in answers]))

    def eof_received(self) -> bool:
        answers = self.conn.read_eof()[1]
        if answers:
            self.transport.write(b"".join([reply for reply, _ in answers]))
        return False


async def main() -> None:
    args = reference_args(__doc__)
    settings = ServiceSettings(max_line=args.max_line)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: LineProtocol(settings), args.host, args.port,
                                      backlog=1024)
    await serve_until_signalled(server)


if __name__ == "__main__":
    uvloop.run(main())
