"""A worker keeps its database connection from one task to the next (a new one cost 4-6 ms per
task) and replaces it when it broke (CELERY_DB_REUSE_MAX, `workers.signals`)."""

from __future__ import annotations

import pytest
from django.db import connection

from bus import client
from tests.support.tasks import BACKEND_PID

pytestmark = pytest.mark.django_db(transaction=True)


def _backend_pid() -> int:
    return int(client.call(BACKEND_PID, {}, queue="default", timeout=30))


def test_a_worker_keeps_its_connection_between_tasks(start_worker) -> None:
    start_worker()
    first = _backend_pid()
    assert _backend_pid() == first
    assert _backend_pid() == first


def test_a_broken_connection_is_replaced_before_the_next_task(start_worker) -> None:
    start_worker()
    first = _backend_pid()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [first])
        assert cursor.fetchone()[0] is True
    second = _backend_pid()
    assert second != first
    assert _backend_pid() == second
