"""The server view's feed: a bounded, rate-limited fan-out whose cost does not grow with
its viewers.

The service publishes small event dicts; each is stamped, serialised to JSON once, and
appended to one shared log of the latest :data:`BACKLOG` events. Publishing costs the same
with one viewer or a hundred: viewers keep only a cursor into the log and are woken once
per turn of the event loop, whatever the number of events (the ``/events`` handler then
writes each viewer's new events in one write). With no viewer, publishers skip building
events at all (:attr:`EventHub.active`).

Bounds (the view is for people):

* at most ``max_viewers`` viewers (``--max-viewers``); more are refused;
* request events: at most ``requests_per_second``; past it the rest are counted and reported
  once a second in a ``skipped`` event;
* connection events (open, close, waiting, served): at most ``connections_per_second``; past
  it they are not sent, and once a second a fresh ``snapshot`` (the connections as they are
  now) replaces them;
* a viewer that cannot keep up (more than :data:`BACKLOG` events behind) gets a summary, not
  every event: a ``dropped`` event with the count it missed, then a fresh ``snapshot``.

Privacy between pages (:mod:`server.classroom`): an event whose text depends on the reader
(a page's own requests, or anyone's in the private view) is kept as an ``OwnedEvent``,
serialised once for its owner and once for everyone else; every other event stays one text.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import Callable
from itertools import islice
from typing import Any

from server.classroom import OwnedEvent, feed_entry, visible_snapshot

BACKLOG = 1000
REQUESTS_PER_SECOND = 100
CONNECTIONS_PER_SECOND = 100
MAX_VIEWERS = 64
CONNECTION_EVENTS = frozenset({"open", "close", "waiting", "served"})


def now_ms() -> float:
    return round(time.time() * 1000, 1)


class Viewer:
    """One subscriber: a cursor into the hub's log (the sequence number it has seen)."""

    __slots__ = ("hub", "cursor", "key")

    def __init__(self, hub: EventHub) -> None:
        self.hub = hub
        self.cursor = hub.seq
        self.key = ""  # the page's viewer key: whose requests' content it may read

    @property
    def behind(self) -> int:
        return self.hub.seq - self.cursor

    def take(self) -> list[str]:
        """The JSON texts of the events since the last take, oldest first; a summary
        (``dropped``, then a fresh ``snapshot``) if the viewer fell out of the log."""
        hub = self.hub
        missed = hub.seq - self.cursor
        self.cursor = hub.seq
        if missed <= 0:
            return []
        log = hub.log
        if missed <= len(log):
            return [entry if type(entry) is str else entry.text_for(self.key)
                    for entry in islice(log, len(log) - missed, None)]
        summary = [json.dumps({"type": "dropped", "count": missed, "t": now_ms()})]
        snapshot = hub.snapshot_entry()
        if snapshot is not None:
            summary.append(snapshot.text_for(self.key))
        return summary


class SnapshotEntry:
    """A ``snapshot`` event in the feed: the same connections for every viewer, each
    viewer's own marked ``mine`` (:func:`visible_snapshot`), serialised per viewer key on
    first use."""

    __slots__ = ("event", "owners", "_texts")

    def __init__(self, event: dict[str, Any], owners: dict[str, str]) -> None:
        self.event = event
        self.owners = owners
        self._texts: dict[str, str] = {}

    def text_for(self, key: str) -> str:
        text = self._texts.get(key)
        if text is None:
            event = {**self.event, "connections": visible_snapshot(
                self.event["connections"], key, self.owners)}
            text = self._texts[key] = json.dumps(event, ensure_ascii=False)
        return text


class EventHub:
    def __init__(self, requests_per_second: int = REQUESTS_PER_SECOND,
                 connections_per_second: int = CONNECTIONS_PER_SECOND,
                 max_viewers: int = MAX_VIEWERS, backlog: int = BACKLOG) -> None:
        self.viewers: set[Viewer] = set()
        self.max_viewers = max_viewers
        self.log: deque[str | OwnedEvent | SnapshotEntry] = deque(maxlen=backlog)
        # Privacy between pages (server.classroom): the private view, and the viewer key of
        # each in-process session's page by the bridge's local address (the bridge fills it).
        self.private = False
        self.owners: dict[str, str] = {}
        self.seq = 0  # events published so far
        # The snapshot event (``{"type": "snapshot", ...}``), set by the web app.
        self.snapshot: Callable[[], dict[str, Any]] | None = None
        self.requests_per_second = requests_per_second
        self.request_budget = requests_per_second
        self.skipped = 0
        self.connections_per_second = connections_per_second
        self.connection_budget = connections_per_second
        self.connections_skipped = 0
        self._window_open = False
        self._changed: asyncio.Event | None = None

    @property
    def active(self) -> bool:
        return bool(self.viewers)

    def _open_window(self) -> None:
        if not self._window_open:
            self._window_open = True
            asyncio.get_running_loop().call_later(1.0, self._close_window)

    def take_request_slots(self, wanted: int) -> int:
        """How many of ``wanted`` request events may be published now; the rest are
        counted for the next ``skipped`` event."""
        self._open_window()
        granted = min(wanted, self.request_budget)
        self.request_budget -= granted
        self.skipped += wanted - granted
        return granted

    def _close_window(self) -> None:
        self._window_open = False
        self.request_budget = self.requests_per_second
        self.connection_budget = self.connections_per_second
        if self.skipped:
            self.publish({"type": "skipped", "count": self.skipped})
            self.skipped = 0
        if self.connections_skipped:
            self.connections_skipped = 0
            snapshot = self.snapshot_entry()
            if snapshot is not None and self.viewers:
                self.log.append(snapshot)  # each viewer's own connections marked, as ever
                self.seq += 1

    def snapshot_entry(self) -> SnapshotEntry | None:
        """The connections as they are now, as a feed entry (None before the web app has
        set :attr:`snapshot`)."""
        if self.snapshot is None:
            return None
        event = self.snapshot()
        event.setdefault("t", now_ms())
        return SnapshotEntry(event, self.owners)

    def publish(self, event: dict[str, Any]) -> None:
        if event.get("type") in CONNECTION_EVENTS:
            self._open_window()
            if self.connection_budget <= 0:
                self.connections_skipped += 1
                return
            self.connection_budget -= 1
        self._append(event)

    def _append(self, event: dict[str, Any]) -> None:
        if not self.viewers:
            return
        event.setdefault("t", now_ms())
        self.log.append(feed_entry(event, self.owners, self.private))
        self.seq += 1
        changed = self._changed
        if changed is not None:  # wake every waiting viewer, once per turn of the loop
            self._changed = None
            changed.set()

    async def wait(self, viewer: Viewer) -> None:
        """Until there is something new for ``viewer``."""
        if viewer.behind:
            return
        if self._changed is None:
            self._changed = asyncio.Event()
        await self._changed.wait()

    def subscribe(self) -> Viewer | None:
        """A new viewer, or None when ``max_viewers`` are watching already."""
        if len(self.viewers) >= self.max_viewers:
            return None
        viewer = Viewer(self)
        self.viewers.add(viewer)
        return viewer

    def unsubscribe(self, viewer: Viewer) -> None:
        self.viewers.discard(viewer)
