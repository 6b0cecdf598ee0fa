"""A silence timer that a busy loop cannot fool, and the unread bytes of a socket."""

from __future__ import annotations

import asyncio
import socket
import time

from server.pause_timer import PauseTimer, unread_bytes


def test_a_timer_on_time_fires_once():
    async def scenario():
        fired = []
        loop = asyncio.get_running_loop()
        PauseTimer(loop, 0.02, lambda: fired.append(loop.time()))
        await asyncio.sleep(0.1)
        return fired
    assert len(asyncio.run(scenario())) == 1


def test_a_timer_that_fires_late_checks_again_after_a_turn_of_io():
    """The loop was busy past the due time: the firing is put off once, so that what
    arrived meanwhile is read (and cancels it) before the silence counts."""
    async def scenario():
        loop = asyncio.get_running_loop()
        fired = []
        timer = PauseTimer(loop, 0.01, lambda: fired.append("flush"))
        time.sleep(0.05)  # a busy loop: the timer is due, I/O is not being read
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert fired == [] and timer.rechecked  # put off, not fired
        timer.cancel()  # what new data does
        await asyncio.sleep(0.05)
        return fired
    assert asyncio.run(scenario()) == []


def test_unread_bytes_counts_the_receive_queue():
    async def scenario():
        left, right = socket.socketpair()
        with left, right:
            transport, _ = await asyncio.get_running_loop().connect_accepted_socket(
                asyncio.Protocol, left)
            transport.pause_reading()
            right.sendall(b"12345")
            await asyncio.sleep(0.05)
            queued = unread_bytes(transport)
            transport.close()
            return queued, unread_bytes(None)
    assert asyncio.run(scenario()) == (5, 0)
