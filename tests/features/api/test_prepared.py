"""features.sql.prepared: statements prepared once per connection, re-prepared when lost."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.db.utils import ProgrammingError

from features.sql import prepared

SQL = "SELECT %(a)s::int + %(b)s::int, %(a)s::int"


@pytest.mark.django_db(transaction=True)
def test_a_lost_statement_is_prepared_again() -> None:
    assert prepared.fetch_one("np_test_sum", SQL, {"a": 1, "b": 2}) == (3, 1)
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE np_test_sum")  # e.g. a pooler gave us another session
    assert prepared.fetch_one("np_test_sum", SQL, {"a": 2, "b": 2}) == (4, 2)


@pytest.mark.django_db(transaction=True)
def test_inside_a_transaction_the_error_stands() -> None:
    prepared.fetch_one("np_test_sum2", SQL, {"a": 1, "b": 2})
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE np_test_sum2")
    with pytest.raises(ProgrammingError), transaction.atomic():
        prepared.fetch_one("np_test_sum2", SQL, {"a": 1, "b": 2})


def test_placeholders_become_positional() -> None:
    assert prepared._positional(SQL) == ("SELECT $1::int + $2::int, $1::int", ["a", "b"])
