"""The pure parts of a shared playground: the session cap, names, viewer keys, and what the
server view shows each viewer."""

from __future__ import annotations

import json

from server.classroom import (
    OwnedEvent,
    SessionCap,
    client_address,
    feed_entry,
    session_name,
    viewer_key,
    visible_snapshot,
)

KEY_A = "a" * 32
KEY_B = "b" * 32


def test_session_cap_counts_per_address() -> None:
    cap = SessionCap(2)
    assert cap.take("10.0.0.7") and cap.take("10.0.0.7")
    assert not cap.take("10.0.0.7")
    assert cap.take("10.0.0.8")
    cap.give_back("10.0.0.7")
    assert cap.take("10.0.0.7")
    assert "at most 2" in cap.refusal_reason()


def test_no_limit() -> None:
    cap = SessionCap(0)
    assert all(cap.take("10.0.0.7") for _ in range(1000))


def test_client_address_is_ipv4_when_mapped() -> None:
    assert client_address("::ffff:10.0.0.7") == "10.0.0.7"
    assert client_address("::1") == "::1"
    assert client_address(None) == "?"


def test_names_are_short_and_printable() -> None:
    assert session_name("  Budi \x1b[31m Santoso\n") == "Budi [31m Santoso"
    assert session_name("x" * 60) == "x" * 40
    assert session_name(None) == session_name("") == ""


def test_viewer_keys_must_be_long_and_plain() -> None:
    assert viewer_key(KEY_A) == KEY_A
    assert viewer_key("short") == ""
    assert viewer_key("k" * 65) == ""
    assert viewer_key("a b" * 10) == ""
    assert viewer_key(None) == ""


def visible_event(event: dict, key: str, private: bool, owners: dict) -> dict:
    """What a viewer with ``key`` receives of ``event`` from the feed."""
    entry = feed_entry(event, owners, private)
    return json.loads(entry if isinstance(entry, str) else entry.text_for(key))


REQUEST = {"type": "request", "conn": 3, "peer": "127.0.0.1:40000", "label": "Budi",
           "request": "password saya: budi123", "reply": "jumlah karakter: 22"}
OWNERS = {"127.0.0.1:40000": KEY_A}


def test_private_view_shows_others_without_what_they_typed() -> None:
    seen = visible_event(REQUEST, KEY_B, True, OWNERS)
    assert seen["request"] is None and seen["reply"] is None and seen["hidden"] is True
    assert seen["label"] == "Budi" and seen["conn"] == 3
    assert REQUEST["request"] == "password saya: budi123"  # the shared event is untouched


def test_private_view_shows_a_page_its_own_requests() -> None:
    seen = visible_event(REQUEST, KEY_A, True, OWNERS)
    assert seen["request"] == "password saya: budi123" and seen["mine"] is True


def test_a_bridge_session_event_carries_its_owner_and_never_shows_it() -> None:
    event = {**REQUEST, "peer": "10.0.0.7:12345", "owner": KEY_A}
    mine = visible_event(event, KEY_A, True, {})
    theirs = visible_event(event, KEY_B, True, {})
    everyone = visible_event(event, KEY_B, False, {})
    assert "owner" not in mine and "owner" not in theirs and "owner" not in everyone
    assert mine["request"] and theirs["request"] is None and everyone["request"]


def test_raw_tcp_clients_belong_to_nobody() -> None:
    event = {**REQUEST, "peer": "127.0.0.1:50000"}
    assert visible_event(event, KEY_A, True, OWNERS)["request"] is None
    assert visible_event(event, KEY_A, False, OWNERS) == event  # the full view: as it was
    assert isinstance(feed_entry(event, OWNERS, False), str)  # one text for every viewer


def test_no_key_sees_nothing_of_anyone_in_the_private_view() -> None:
    assert visible_event(REQUEST, "", True, OWNERS)["request"] is None
    assert visible_event({**REQUEST, "owner": ""}, "", True, {})["request"] is None


def test_events_without_content_pass_unchanged() -> None:
    opened = {"type": "open", "conn": 4, "peer": "127.0.0.1:50000", "label": None}
    assert visible_event(opened, KEY_A, True, OWNERS) == opened
    assert isinstance(feed_entry(opened, OWNERS, True), str)


def test_an_owned_event_is_serialised_once_per_kind_of_reader() -> None:
    entry = feed_entry(REQUEST, OWNERS, True)
    assert isinstance(entry, OwnedEvent)
    assert entry.text_for(KEY_A) is entry.text_for(KEY_A)
    assert entry.text_for(KEY_B) is entry.text_for("")  # everyone else: one text


def test_snapshot_marks_the_viewers_own_connections() -> None:
    connections = [{"conn": 3, "peer": "127.0.0.1:40000"}, {"conn": 4, "peer": "127.0.0.1:5"}]
    marked = visible_snapshot(connections, KEY_A, OWNERS)
    assert [c.get("mine", False) for c in marked] == [True, False]
    assert visible_snapshot(connections, "", OWNERS) == connections
