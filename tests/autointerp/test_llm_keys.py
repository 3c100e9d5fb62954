"""Users' LLM keys: checked live, stored encrypted, never shown in full, used by precedence."""

from __future__ import annotations

from typing import Any

import pytest

from bench.fake_llm import FakeLLM
from neuronpedia_site import llm_keys
from neuronpedia_site.errors import ApiError
from neuronpedia_site.models import UserSecret
from tests.support.accounts import Account

GOOD = "sk-good"
URL = "/api/user/api-key-update"


def test_a_key_is_checked_then_stored_encrypted(alice: Account, llm: FakeLLM) -> None:
    answer = alice.client().post(URL, {"type": "OPENAI", "value": GOOD}, format="json")
    assert answer.status_code == 200, answer.json()
    assert answer.json() == {"message": "API key updated"}
    assert [r.path for r in llm.requests] == ["/v1/models"]  # checked at the configured endpoint
    stored = UserSecret.objects.get(user=alice.user, type="OPENAI")
    assert stored.value.startswith(llm_keys.ENCRYPTED_PREFIX)
    assert GOOD not in stored.value
    assert llm_keys.decrypt(stored.value) == GOOD
    assert stored.display_prefix == "sk-goo…"


def test_a_stored_key_is_never_returned_in_full(alice: Account) -> None:
    alice.client().post(URL, {"type": "OPENROUTER", "value": GOOD}, format="json")
    shown = alice.client().post("/api/user/api-key", {"type": "OPENROUTER"}, format="json")
    assert shown.status_code == 200
    assert shown.json()["value"] == "sk-goo…"
    assert GOOD not in shown.content.decode()


def test_openrouter_keys_are_checked_at_key(alice: Account, llm: FakeLLM) -> None:
    alice.client().post(URL, {"type": "OPENROUTER", "value": GOOD}, format="json")
    assert [r.path for r in llm.requests] == ["/v1/key"]


def test_a_rejected_key_is_a_400_and_not_saved(alice: Account) -> None:
    answer = alice.client().post(URL, {"type": "OPENAI", "value": "sk-bad"}, format="json")
    assert answer.status_code == 400
    assert answer.json()["message"] == "Invalid OpenAI API key"
    assert not UserSecret.objects.filter(user=alice.user, type="OPENAI").exists()


def test_an_empty_value_removes_the_key(alice: Account) -> None:
    alice.client().post(URL, {"type": "GOOGLE", "value": GOOD}, format="json")
    answer = alice.client().post(URL, {"type": "GOOGLE", "value": ""}, format="json")
    assert answer.json() == {"message": "API key removed"}
    assert not UserSecret.objects.filter(user=alice.user, type="GOOGLE").exists()


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"type": "NEURONPEDIA", "value": "x"}, 400),  # not an LLM key
        ({"type": "OPENAI"}, 400),
        ({"type": "OPENAI", "value": "sk-é"}, 400),  # not a header value: refused unsent
        ({"type": "OPENAI", "value": "sk- spaced"}, 400),
        ({"type": "OPENAI", "value": GOOD, "baseUrl": "http://evil"}, 200),  # URL ignored
    ],
)
def test_bodies(alice: Account, llm: FakeLLM, body: dict[str, Any], status: int) -> None:
    answer = alice.client().post(URL, body, format="json")
    assert answer.status_code == status
    # only the configured endpoint is ever asked, and only for a well-formed body
    assert len(llm.requests) == (1 if status == 200 else 0)


def test_closed_to_anonymous_callers_and_gets(anon: Any, alice: Account) -> None:
    assert anon.post(URL, {"type": "OPENAI", "value": GOOD}, format="json").status_code == 401
    assert alice.client().get(URL).status_code == 405


def test_the_provider_key_comes_first_then_openrouter(alice: Account, settings: Any) -> None:
    with pytest.raises(ApiError) as none:
        llm_keys.explainer_endpoint(alice.user, "gpt-4o-mini", requires_openrouter=False)
    assert none.value.detail == llm_keys.ERROR_NO_AUTOINTERP_KEY
    llm_keys.save_user_key(alice.user, "OPENROUTER", "sk-or")
    fallback = llm_keys.explainer_endpoint(alice.user, "gpt-4o-mini", requires_openrouter=False)
    assert (fallback.provider, fallback.api_key) == ("OPENROUTER", "sk-or")
    assert fallback.base_url == settings.OPENROUTER_BASE_URL
    llm_keys.save_user_key(alice.user, "OPENAI", "sk-oa")
    own = llm_keys.explainer_endpoint(alice.user, "gpt-4o-mini", requires_openrouter=False)
    assert (own.provider, own.api_key) == ("OPENAI", "sk-oa")
    claude = llm_keys.explainer_endpoint(alice.user, "claude-3-haiku", requires_openrouter=False)
    assert claude.provider == "OPENROUTER"  # no Anthropic key of hers
    eleuther = llm_keys.explainer_endpoint(alice.user, "gpt-4o-mini", requires_openrouter=True)
    assert eleuther.provider == "OPENROUTER"


def test_trusted_users_use_the_servers_keys(alice: Account, settings: Any) -> None:
    settings.OPENAI_API_KEY = "sk-server"
    alice.user.can_trigger_explanations = True
    alice.user.save()
    llm_keys.save_user_key(alice.user, "OPENAI", "sk-hers")
    chosen = llm_keys.explainer_endpoint(alice.user, "gpt-4o-mini", requires_openrouter=False)
    assert chosen.api_key == "sk-server"


def test_openrouter_is_required_where_upstream_requires_it(alice: Account) -> None:
    llm_keys.save_user_key(alice.user, "OPENAI", "sk-oa")
    with pytest.raises(ApiError) as missing:
        llm_keys.scorer_endpoint(alice.user)
    assert missing.value.detail == llm_keys.ERROR_REQUIRES_OPENROUTER
