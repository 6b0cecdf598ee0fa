"""The server view's feed: a bounded fan-out of small event dicts.

The service publishes; each viewer (a WebSocket on ``/events``) has its own queue of the
latest :data:`VIEWER_QUEUE` events. A slow viewer loses its oldest events and is told how
many with a ``dropped`` event; publishing never waits, so a viewer never slows the service.
With no viewer, publishers skip building events at all (:attr:`EventHub.active`).

Request events are also capped at :data:`REQUESTS_PER_SECOND`: the view is for people, and
past that rate the rest are counted and reported once a second in a ``skipped`` event, so a
load test costs the service almost nothing even while someone watches.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import Any

VIEWER_QUEUE = 1000
REQUESTS_PER_SECOND = 100


def now_ms() -> float:
    return round(time.time() * 1000, 1)


class Viewer:
    """One subscriber's bounded queue."""

    __slots__ = ("events", "dropped", "wakeup")

    def __init__(self, maxlen: int = VIEWER_QUEUE) -> None:
        self.events: deque[dict[str, Any]] = deque(maxlen=maxlen)
        self.dropped = 0
        self.wakeup = asyncio.Event()

    def push(self, event: dict[str, Any]) -> None:
        if len(self.events) == self.events.maxlen:
            self.dropped += 1
        self.events.append(event)
        self.wakeup.set()

    def take(self) -> list[dict[str, Any]]:
        """Everything queued, oldest first, with a ``dropped`` note in front if any was lost."""
        batch = list(self.events)
        self.events.clear()
        self.wakeup.clear()
        if self.dropped:
            batch.insert(0, {"type": "dropped", "count": self.dropped, "t": now_ms()})
            self.dropped = 0
        return batch


class EventHub:
    def __init__(self, requests_per_second: int = REQUESTS_PER_SECOND) -> None:
        self.viewers: set[Viewer] = set()
        self.requests_per_second = requests_per_second
        self.request_budget = requests_per_second
        self.skipped = 0
        self._window_open = False

    @property
    def active(self) -> bool:
        return bool(self.viewers)

    def take_request_slots(self, wanted: int) -> int:
        """How many of ``wanted`` request events may be published now; the rest are
        counted for the next ``skipped`` event."""
        if not self._window_open:
            self._window_open = True
            asyncio.get_running_loop().call_later(1.0, self._close_window)
        granted = min(wanted, self.request_budget)
        self.request_budget -= granted
        self.skipped += wanted - granted
        return granted

    def _close_window(self) -> None:
        self._window_open = False
        self.request_budget = self.requests_per_second
        if self.skipped:
            self.publish({"type": "skipped", "count": self.skipped})
            self.skipped = 0

    def publish(self, event: dict[str, Any]) -> None:
        event.setdefault("t", now_ms())
        for viewer in self.viewers:
            viewer.push(event)

    def subscribe(self) -> Viewer:
        viewer = Viewer()
        self.viewers.add(viewer)
        return viewer

    def unsubscribe(self, viewer: Viewer) -> None:
        self.viewers.discard(viewer)
