"""An unterminated request is answered after a pause of the *client*, never because the
service's own loop was busy: uvloop runs a timer that fell due during a long callback before
it polls for the bytes that arrived meanwhile, so the idle flush first asks the kernel
whether bytes wait unread (server/pause_timer.py). (Seen as replies split in two under load:
tests/test_bridge_load.py, on a busy machine.)"""

import asyncio
import socket
import time

import uvloop

from server.tcp_service import ServiceOptions, TcpService

IDLE_FLUSH = 0.2  # long beside the test's own steps, even on a busy machine


async def replies_when_the_rest_comes_while_the_loop_is_busy() -> bytes:
    loop = asyncio.get_running_loop()
    service = TcpService(ServiceOptions(idle_flush=IDLE_FLUSH))
    host, port = await service.start("127.0.0.1", 0)
    client = socket.create_connection((host, port), timeout=5)
    trigger, trigger_peer = socket.socketpair()

    class Busy(asyncio.Protocol):
        """Another connection's callback that holds the loop past the idle deadline, while
        the rest of the client's line arrives."""

        def data_received(self, data: bytes) -> None:
            client.sendall(b"ity 4\n")
            time.sleep(IDLE_FLUSH * 2)

    try:
        await loop.create_connection(Busy, sock=trigger)
        client.sendall(b"par")
        await asyncio.sleep(IDLE_FLUSH / 10)  # "par" is read; the idle flush is armed
        trigger_peer.send(b"go")
        await asyncio.sleep(IDLE_FLUSH * 3)
        client.settimeout(0.5)
        received = b""
        try:
            while chunk := await loop.run_in_executor(None, client.recv, 4096):
                received += chunk
        except TimeoutError:
            pass
        return received
    finally:
        client.close()
        trigger_peer.close()
        await service.shutdown(grace=1.0)


def test_a_busy_loop_is_not_a_pause_of_the_client() -> None:
    assert uvloop.run(replies_when_the_rest_comes_while_the_loop_is_busy()) == (
        b"angka 4 merupakan genap\n")
