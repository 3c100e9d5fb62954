"""Keep this worker's entry in the registry fresh while it runs (a daemon thread)."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import Any

from bus import registry

log = logging.getLogger(__name__)
_stop = threading.Event()


def start(hostname: str, queues: list[str], describe: Callable[[], dict[str, Any]]) -> None:
    """Announce now and every HEARTBEAT_SECONDS; `describe()` gives the model and its sources."""

    def beat() -> None:
        while not _stop.is_set():
            try:
                extra = describe()
                info = registry.WorkerInfo(
                    hostname=hostname,
                    queues=queues,
                    model_id=extra.get("model_id"),
                    sources=extra.get("sources", []),
                    pid=os.getpid(),
                    seen_at=0.0,
                )
                for key in ("model_ids", "token_limit", "device", "batching", "graph_source_set"):
                    if key in extra:
                        info[key] = extra[key]
                registry.announce(info)
            except Exception:  # the heartbeat must never kill the worker
                log.exception("worker heartbeat failed")
            _stop.wait(registry.HEARTBEAT_SECONDS)

    _stop.clear()
    beat_thread = threading.Thread(target=beat, name="np-heartbeat", daemon=True)
    beat_thread.start()


def stop(hostname: str) -> None:
    _stop.set()
    try:
        registry.withdraw(hostname)
    except Exception:
        log.exception("could not withdraw worker %s", hostname)
