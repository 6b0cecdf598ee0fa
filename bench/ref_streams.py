"""Reference server: the service's handlers behind asyncio streams, as tutorials write it.

``python -m bench.ref_streams [--host H] [--port P] [--max-line N]`` (port 0: a free one).
One coroutine per connection: ``readline``, answer, ``write``, ``await drain()``, on the
default asyncio event loop. The replies come from the project's own sans-I/O code
(``server.protocol.answer``), so the benchmark compares I/O layers, not handlers.
"""

from __future__ import annotations

import asyncio

from bench.ref_common import reference_args, serve_until_signalled
from server.protocol import ServiceSettings, answer


async def main() -> None:
    args = reference_args(__doc__)
    settings = ServiceSettings(max_line=args.max_line)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                line = line.removesuffix(b"\n").removesuffix(b"\r")
                writer.write(answer(line, settings).reply)
                await writer.drain()
        except (ConnectionError, ValueError):
            pass  # ValueError: a line over the reader's limit
        finally:
            writer.close()

    server = await asyncio.start_server(handle, args.host, args.port,
                                        limit=args.max_line + 2, backlog=1024)
    await serve_until_signalled(server)


if __name__ == "__main__":
    asyncio.run(main())
