"""The server view's feed: one shared log, viewers capped, events rate-limited, a slow
viewer summarised."""

import asyncio
import json

from server.events import EventHub


def texts_of(viewer) -> list[dict]:
    return [json.loads(text) for text in viewer.take()]


def snapshot() -> dict:
    return {"type": "snapshot", "connections": [{"conn": 1}]}


def test_publishing_reaches_every_viewer_once_serialised_with_a_time():
    hub = EventHub()
    assert not hub.active
    one, two = hub.subscribe(), hub.subscribe()
    hub.publish({"type": "request", "conn": 1})
    assert texts_of(one)[0]["t"] > 0 and texts_of(two)[0]["type"] == "request"
    hub.unsubscribe(one)
    hub.publish({"type": "request", "conn": 2})
    assert len(texts_of(two)) == 1 and one not in hub.viewers
    assert len(hub.log) == 2  # one copy of each event, however many viewers


def test_the_log_is_shared_and_bounded_whatever_the_number_of_viewers():
    hub = EventHub(backlog=10, max_viewers=500)
    viewers = [hub.subscribe() for _ in range(500)]
    for i in range(1000):
        hub.publish({"type": "request", "i": i})
    assert len(hub.log) == 10
    assert all(v.behind == 1000 for v in viewers)  # a cursor each, nothing copied


def test_a_viewer_that_falls_behind_gets_a_summary_not_every_event():
    hub = EventHub(backlog=3)
    hub.snapshot = snapshot
    slow, quick = hub.subscribe(), hub.subscribe()
    for i in range(2):
        hub.publish({"type": "request", "i": i})
    assert [e["i"] for e in texts_of(quick)] == [0, 1]
    for i in range(2, 10):
        hub.publish({"type": "request", "i": i})
    summary = texts_of(slow)
    assert [e["type"] for e in summary] == ["dropped", "snapshot"]
    assert summary[0]["count"] == 10 and summary[1]["connections"] == [{"conn": 1}]
    assert texts_of(slow) == []
    hub.publish({"type": "request", "i": 10})
    assert [e["i"] for e in texts_of(slow)] == [10]


def test_viewers_are_capped():
    hub = EventHub(max_viewers=2)
    first, second = hub.subscribe(), hub.subscribe()
    assert first and second and hub.subscribe() is None
    hub.unsubscribe(first)
    assert hub.subscribe() is not None


def test_request_events_past_the_rate_are_counted_and_reported():
    async def scenario():
        hub = EventHub(requests_per_second=3)
        viewer = hub.subscribe()
        assert hub.take_request_slots(2) == 2
        assert hub.take_request_slots(5) == 1
        assert hub.take_request_slots(1) == 0
        hub._close_window()  # what the one-second timer does
        events = texts_of(viewer)
        assert events == [{"type": "skipped", "count": 5, "t": events[0]["t"]}]
        assert hub.take_request_slots(3) == 3
    asyncio.run(scenario())


def test_connection_events_past_the_rate_are_replaced_by_a_snapshot():
    async def scenario():
        hub = EventHub(connections_per_second=2)
        hub.snapshot = snapshot
        viewer = hub.subscribe()
        for conn in range(5):
            hub.publish({"type": "open", "conn": conn})
            hub.publish({"type": "close", "conn": conn})
        assert [(e["type"], e["conn"]) for e in texts_of(viewer)] == [("open", 0), ("close", 0)]
        hub._close_window()
        assert [e["type"] for e in texts_of(viewer)] == ["snapshot"]
        hub.publish({"type": "open", "conn": 9})  # a new second, a new budget
        assert texts_of(viewer)[0]["conn"] == 9
    asyncio.run(scenario())


def test_a_waiting_viewer_is_woken_by_a_publish():
    async def scenario():
        hub = EventHub()
        viewer = hub.subscribe()
        waiting = asyncio.create_task(hub.wait(viewer))
        await asyncio.sleep(0)
        assert not waiting.done()
        hub.publish({"type": "request"})
        await asyncio.wait_for(waiting, 1)
        await asyncio.wait_for(hub.wait(viewer), 1)  # something is new: returns at once
    asyncio.run(scenario())


def test_the_snapshot_that_replaces_skipped_connection_events_marks_each_viewers_own():
    """Past the connection-event rate a fresh snapshot replaces the events; like the first
    snapshot and a slow viewer's summary, it marks each viewer's own connections ``mine``."""

    async def run() -> tuple[list[dict], list[dict]]:
        hub = EventHub(connections_per_second=1)
        hub.snapshot = lambda: {"type": "snapshot", "connections": [
            {"conn": 1, "peer": "127.0.0.1:5001"}, {"conn": 2, "peer": "127.0.0.1:5002"}]}
        hub.owners["127.0.0.1:5001"] = "key-a"
        mine, other = hub.subscribe(), hub.subscribe()
        mine.key, other.key = "key-a", "key-b"
        for conn in (1, 2, 3):  # the second and third are over the rate: skipped
            hub.publish({"type": "open", "conn": conn})
        hub._close_window()
        return texts_of(mine), texts_of(other)

    seen_by_mine, seen_by_other = asyncio.run(run())
    snapshot_mine = [e for e in seen_by_mine if e["type"] == "snapshot"][-1]
    snapshot_other = [e for e in seen_by_other if e["type"] == "snapshot"][-1]
    assert snapshot_mine["connections"][0].get("mine") is True
    assert "mine" not in snapshot_mine["connections"][1]
    assert not any(c.get("mine") for c in snapshot_other["connections"])
