"""Streaming frames from a worker to the web process through Redis pub/sub."""

from __future__ import annotations

import pytest

from bus import frames


def test_frames_arrive_in_order_until_done() -> None:
    channel = frames.new_channel()
    with frames.Subscription(channel) as subscription:
        on_frame = frames.publisher(channel)
        on_frame({"n": 1})
        on_frame({"n": 2})
        frames.finish(channel, {"n": 3})
        frames.publish(channel, frames.FRAME, {"n": 4})  # after done: not read
        received = list(subscription.messages(timeout=5))
    assert received == [
        {"kind": "frame", "data": {"n": 1}},
        {"kind": "frame", "data": {"n": 2}},
        {"kind": "done", "data": {"n": 3}},
    ]


def test_an_error_result_ends_the_stream_as_an_error() -> None:
    channel = frames.new_channel()
    with frames.Subscription(channel) as subscription:
        frames.finish(channel, {"error": "Unsupported model", "status": 400})
        assert list(subscription.messages(timeout=5)) == [
            {"kind": "error", "data": {"error": "Unsupported model", "status": 400}}
        ]


def test_silence_is_a_timeout() -> None:
    with frames.Subscription(frames.new_channel()) as subscription, pytest.raises(TimeoutError):
        list(subscription.messages(timeout=0.3))


def test_channels_are_separate() -> None:
    first, second = frames.new_channel(), frames.new_channel()
    with frames.Subscription(first) as subscription:
        frames.finish(second, {"n": "other"})
        frames.finish(first, {"n": "mine"})
        assert [m["data"] for m in subscription.messages(timeout=5)] == [{"n": "mine"}]
