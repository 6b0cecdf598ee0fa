"""Turn-taking for ``--single``: one connection served at a time, the rest wait in order.

This is the lab sheet's single-threaded server made visible: its ``accept()`` loop serves
one client while later ones queue in the kernel's backlog. Here the queue is explicit so the
server view can say who waits and where. One difference, on purpose: a served connection
that stays idle for ``--turn-idle`` seconds while others wait gives up its turn and goes to
the back of the queue, so one forgotten browser tab cannot hold a classroom's server.

Pure bookkeeping (no I/O): the TCP layer pauses and resumes the transports.
"""

from __future__ import annotations

from collections import deque
from typing import Generic, TypeVar

Conn = TypeVar("Conn")


class Turns(Generic[Conn]):
    def __init__(self) -> None:
        self.current: Conn | None = None
        self.queue: deque[Conn] = deque()

    def arrive(self, conn: Conn) -> bool:
        """A new connection: True if it is served at once, False if it must wait."""
        if self.current is None:
            self.current = conn
            return True
        self.queue.append(conn)
        return False

    def leave(self, conn: Conn) -> Conn | None:
        """A connection closed; returns the connection whose turn starts now, if any."""
        if self.current is conn:
            self.current = self.queue.popleft() if self.queue else None
            return self.current
        try:
            self.queue.remove(conn)
        except ValueError:
            pass
        return None

    def pass_turn(self, conn: Conn) -> Conn | None:
        """The served connection gives up its turn to the first waiting one, if any."""
        if self.current is not conn or not self.queue:
            return None
        self.queue.append(conn)
        self.current = self.queue.popleft()
        return self.current

    def position(self, conn: Conn) -> int:
        """0 while served, 1 for the next in line, and so on."""
        if self.current is conn:
            return 0
        return self.queue.index(conn) + 1

    @property
    def waiting(self) -> bool:
        return bool(self.queue)
