"""Celery worker lifecycle: announce in the registry when ready, withdraw on shutdown."""

from __future__ import annotations

from typing import Any

from celery.signals import worker_ready, worker_shutdown

from workers import heartbeat, serving


@worker_ready.connect
def _announce(sender: Any = None, **kwargs: Any) -> None:
    queues = sorted(q.name for q in sender.app.amqp.queues.consume_from.values())
    heartbeat.start(sender.hostname, queues, serving.describe)


@worker_shutdown.connect
def _withdraw(sender: Any = None, **kwargs: Any) -> None:
    heartbeat.stop(sender.hostname)
