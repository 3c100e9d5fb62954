from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from neuronpedia_site.models import User, user_for_api_key

pytestmark = pytest.mark.django_db


def test_it_creates_the_user_and_prints_a_working_key_last() -> None:
    out = StringIO()
    call_command("create_api_key", "Dana", stdout=out)
    key = out.getvalue().strip().splitlines()[-1]
    assert key.startswith("sk-np-")
    assert user_for_api_key(key) == User.objects.get(username="dana")
    assert "manage.py changepassword dana" in out.getvalue()


def test_running_it_again_rotates_the_key(alice) -> None:
    out = StringIO()
    call_command("create_api_key", "alice", stdout=out)
    key = out.getvalue().strip().splitlines()[-1]
    assert user_for_api_key(key) == alice.user
    assert user_for_api_key(alice.key) is None
    assert User.objects.filter(username="alice").count() == 1
