"""A shared playground for a class: who may hold how many sessions, whose requests a page
may see in the server view, and what a page's session is called.

Sans-I/O: plain values and functions; :mod:`server.web_app` and :mod:`server.bridge` call
them. The server view's privacy rests on a *viewer key*: a random string the page makes once
per load and sends on both ``/ws`` and ``/events`` (``?viewer=KEY``, docs/web-api.md). A
session opened with a key belongs to the viewer with that key; in the private view
(``--server-view own``, the default beyond loopback) a viewer gets the content of its own
sessions' requests only, and everyone else's requests without what was typed or answered.
Keys never leave the server in events.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

VIEWER_KEY_MAX = 64
NAME_MAX = 40
HIDDEN_FIELDS = ("request", "reply")


def viewer_key(text: str | None) -> str:
    """A usable viewer key from a query parameter ('' for none): short, printable ASCII.
    A key too short to be unguessable is no key (its owner sees only what others see)."""
    if not text or len(text) > VIEWER_KEY_MAX or len(text) < 16:
        return ""
    if not text.isascii() or not all(c.isalnum() or c in "-_" for c in text):
        return ""
    return text


def session_name(text: str | None) -> str:
    """The name a page gives its session (for the server view and the request log): at
    most 40 characters, control characters removed, blanks collapsed."""
    if not text:
        return ""
    kept = "".join(c if c.isprintable() else " " for c in text)
    return " ".join(kept.split())[:NAME_MAX]


class SessionCap:
    """WebSocket sessions per client address, at most ``limit`` at once (0: no limit)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.open: Counter[str] = Counter()

    def take(self, address: str) -> bool:
        """Count a new session for ``address``; False (nothing counted) when over the cap."""
        if self.limit and self.open[address] >= self.limit:
            return False
        self.open[address] += 1
        return True

    def give_back(self, address: str) -> None:
        self.open[address] -= 1
        if self.open[address] <= 0:
            del self.open[address]

    def refusal_reason(self) -> str:
        return (f"too many sessions from this address (at most {self.limit} at once, "
                "--max-sessions-per-address)")


def client_address(remote: str | None) -> str:
    """The key sessions are counted under: the client's IP (IPv4-mapped IPv6 as IPv4)."""
    text = remote or "?"
    return text[7:] if text.lower().startswith("::ffff:") and "." in text else text


def shown_event(event: dict[str, Any], mine: bool, private: bool) -> dict[str, Any]:
    """A copy of ``event`` for one kind of reader: its owner (``mine``), or anyone else, who
    in the private view gets requests without their content. The key is never in it."""
    shown = {k: v for k, v in event.items() if k != "owner"}
    if mine:
        shown["mine"] = True
    elif private and _has_content(shown):
        for field in HIDDEN_FIELDS:
            if field in shown:
                shown[field] = None
        shown["hidden"] = True
    return shown


def owner_of(event: dict[str, Any], owners: dict[str, str]) -> str:
    """The viewer key of the page an event is about ('' for none): a bridge session's own
    events carry ``owner``; the in-process service's are found by their peer (the bridge's
    local address) in ``owners``."""
    return event.get("owner") or owners.get(event.get("peer") or "", "")


class OwnedEvent:
    """A feed event whose text depends on who reads it (:meth:`text_for`): serialised at
    most twice, once for its owner and once for everyone else, on first use."""

    __slots__ = ("event", "owner", "private", "_texts")

    def __init__(self, event: dict[str, Any], owner: str, private: bool) -> None:
        self.event = event
        self.owner = owner
        self.private = private
        self._texts: dict[bool, str] = {}

    def text_for(self, key: str) -> str:
        mine = bool(key) and key == self.owner
        text = self._texts.get(mine)
        if text is None:
            text = json.dumps(shown_event(self.event, mine, self.private), ensure_ascii=False)
            self._texts[mine] = text
        return text


def feed_entry(event: dict[str, Any], owners: dict[str, str],
               private: bool) -> str | OwnedEvent:
    """What the server view's feed keeps for ``event``: its JSON text when every viewer
    sees the same, else an :class:`OwnedEvent`."""
    owner = owner_of(event, owners)
    if not owner and not (private and _has_content(event)):
        if "owner" in event:
            event = {k: v for k, v in event.items() if k != "owner"}
        return json.dumps(event, ensure_ascii=False)
    return OwnedEvent(event, owner, private)


def _has_content(event: dict[str, Any]) -> bool:
    return any(event.get(field) is not None for field in HIDDEN_FIELDS)


def visible_snapshot(connections: list[dict[str, Any]], key: str,
                     owners: dict[str, str]) -> list[dict[str, Any]]:
    """The snapshot's connections, with the viewer's own marked ``mine``."""
    return [{**c, "mine": True} if key and owners.get(c.get("peer", "")) == key else c
            for c in connections]
