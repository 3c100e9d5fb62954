"""Streaming frames from a worker to the web process through Redis pub/sub."""

from __future__ import annotations

import time

from bus import frames


def _until_done(subscription: frames.Subscription) -> list[frames.Message]:
    received: list[frames.Message] = []
    while not received or received[-1]["kind"] == frames.FRAME:
        message = subscription.next_message(5)
        assert message is not None
        received.append(message)
    return received


def test_frames_arrive_in_order_until_done() -> None:
    channel = frames.new_channel()
    with frames.Subscription(channel) as subscription:
        on_frame = frames.publisher(channel)
        on_frame({"n": 1})
        on_frame({"n": 2})
        frames.finish(channel, {"n": 3})
        frames.publish(channel, frames.FRAME, {"n": 4})  # after done: not read
        received = _until_done(subscription)
    assert received == [
        {"kind": "frame", "data": {"n": 1}},
        {"kind": "frame", "data": {"n": 2}},
        {"kind": "done", "data": {"n": 3}},
    ]


def test_an_error_result_ends_the_stream_as_an_error() -> None:
    channel = frames.new_channel()
    with frames.Subscription(channel) as subscription:
        frames.finish(channel, {"error": "Unsupported model", "status": 400})
        assert _until_done(subscription) == [
            {"kind": "error", "data": {"error": "Unsupported model", "status": 400}}
        ]


def test_silence_is_no_message() -> None:
    with frames.Subscription(frames.new_channel()) as subscription:
        started = time.monotonic()
        assert subscription.next_message(0.3) is None
        assert 0.3 <= time.monotonic() - started < 1


def test_channels_are_separate() -> None:
    first, second = frames.new_channel(), frames.new_channel()
    with frames.Subscription(first) as subscription:
        frames.finish(second, {"n": "other"})
        frames.finish(first, {"n": "mine"})
        assert [m["data"] for m in _until_done(subscription)] == [{"n": "mine"}]
