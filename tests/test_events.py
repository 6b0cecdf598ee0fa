"""The server view's feed: bounded per viewer, request events capped per second."""

import asyncio

from server.events import EventHub, Viewer


def test_a_slow_viewer_loses_the_oldest_events_and_is_told_how_many():
    viewer = Viewer(maxlen=3)
    for i in range(5):
        viewer.push({"type": "x", "i": i})
    batch = viewer.take()
    assert batch[0]["type"] == "dropped" and batch[0]["count"] == 2
    assert [e["i"] for e in batch[1:]] == [2, 3, 4]
    assert viewer.take() == []


def test_publishing_reaches_every_viewer_and_stamps_a_time():
    hub = EventHub()
    assert not hub.active
    one, two = hub.subscribe(), hub.subscribe()
    hub.publish({"type": "open"})
    assert one.take()[0]["t"] > 0 and two.take()[0]["type"] == "open"
    hub.unsubscribe(one)
    hub.publish({"type": "close"})
    assert one.take() == [] and len(two.take()) == 1


def test_request_events_past_the_rate_are_counted_and_reported():
    async def scenario():
        hub = EventHub(requests_per_second=3)
        viewer = hub.subscribe()
        assert hub.take_request_slots(2) == 2
        assert hub.take_request_slots(5) == 1
        assert hub.take_request_slots(1) == 0
        hub._close_window()  # what the one-second timer does
        events = viewer.take()
        assert events == [{"type": "skipped", "count": 5, "t": events[0]["t"]}]
        assert hub.take_request_slots(3) == 3
    asyncio.run(scenario())
