"""Which LLM endpoint and key an autointerp job uses, and users' own LLM keys at rest.

Every LLM is reached through the `openai` package at an OpenAI-compatible endpoint the operator
configured (settings `*_BASE_URL`); users pick a provider and give a key, never a URL. The key
precedence is Neuronpedia's (`apps/webapp/lib/db/userSecret.ts`, `lib/utils/autointerp.ts`):

- a model's provider follows its name: `gpt*`, `o1*`, `o3*`, `o4*` are OPENAI, `claude*`
  ANTHROPIC, `gemini*` GOOGLE, anything else OPENROUTER;
- users with `canTriggerExplanations` use the server's key for that provider (settings
  `OPENAI_API_KEY`, ...); everyone else uses their own (`POST /api/user/api-key-update`);
- with no key for the provider, the OPENROUTER key is used instead; some explainers and every
  LLM scorer need OPENROUTER.

Users' keys are stored encrypted (Fernet: AES-128-CBC with an HMAC) under
`LLM_KEY_ENCRYPTION_KEY`, or a key derived from SECRET_KEY; the database holds only the
ciphertext and the first characters for display. Jobs look keys up by user id in the worker, so
no key travels through the broker.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

from neuronpedia_site.errors import ApiError
from neuronpedia_site.models import User, UserSecret

OPENAI = UserSecret.Type.OPENAI.value
ANTHROPIC = UserSecret.Type.ANTHROPIC.value
GOOGLE = UserSecret.Type.GOOGLE.value
OPENROUTER = UserSecret.Type.OPENROUTER.value
PROVIDERS = (OPENAI, ANTHROPIC, GOOGLE, OPENROUTER)

# Upstream's messages (lib/utils/autointerp.ts).
ERROR_NO_AUTOINTERP_KEY = "No auto-interp key found for user."
ERROR_REQUIRES_OPENROUTER = "This autointerp type requires an OpenRouter key."
ENCRYPTED_PREFIX = "fernet:"
SHOWN_CHARACTERS = 6  # of a stored key, in displayPrefix and API answers


@dataclass(frozen=True)
class Endpoint:
    """Where one job's LLM requests go: an operator-configured base URL and a key for it."""

    provider: str
    base_url: str
    api_key: str


def provider_for_model(model_name: str) -> str:
    """Upstream's `getAutoInterpModelTypeFromModelId`, as the key type it needs."""
    if model_name.startswith(("gpt", "o1", "o3", "o4")):
        return OPENAI
    if model_name.startswith("claude"):
        return ANTHROPIC
    if model_name.startswith("gemini"):
        return GOOGLE
    return OPENROUTER


def base_url(provider: str) -> str:
    return {
        OPENAI: settings.OPENAI_BASE_URL,
        ANTHROPIC: settings.ANTHROPIC_BASE_URL,
        GOOGLE: settings.GEMINI_BASE_URL,
        OPENROUTER: settings.OPENROUTER_BASE_URL,
    }[provider]


def _server_key(provider: str) -> str:
    return {
        OPENAI: settings.OPENAI_API_KEY,
        ANTHROPIC: settings.ANTHROPIC_API_KEY,
        GOOGLE: settings.GEMINI_API_KEY,
        OPENROUTER: settings.OPENROUTER_API_KEY,
    }[provider]


def key_to_use(user: User, provider: str) -> str | None:
    """Upstream's `getAutoInterpKeyToUse`: the server's key for trusted users, else the user's."""
    if user.can_trigger_explanations:
        return _server_key(provider) or None
    secret = UserSecret.objects.filter(user=user, type=provider).first()
    return decrypt(secret.value) if secret is not None else None


def explainer_endpoint(user: User, model_name: str, requires_openrouter: bool) -> Endpoint:
    """The endpoint for an explainer model: its provider's key, else OPENROUTER's (400 when the
    user has neither, with upstream's messages)."""
    if requires_openrouter:
        key = key_to_use(user, OPENROUTER)
        if not key:
            raise ApiError(ERROR_REQUIRES_OPENROUTER, status=400)
        return Endpoint(OPENROUTER, base_url(OPENROUTER), key)
    provider = provider_for_model(model_name)
    key = key_to_use(user, provider)
    if not key and provider != OPENROUTER:
        provider, key = OPENROUTER, key_to_use(user, OPENROUTER)
    if not key:
        raise ApiError(ERROR_NO_AUTOINTERP_KEY, status=400)
    return Endpoint(provider, base_url(provider), key)


def scorer_endpoint(user: User) -> Endpoint:
    """LLM scorers always use OPENROUTER (upstream enforces it for every scorer type)."""
    key = key_to_use(user, OPENROUTER)
    if not key:
        raise ApiError(ERROR_REQUIRES_OPENROUTER, status=400)
    return Endpoint(OPENROUTER, base_url(OPENROUTER), key)


def model_id_for(endpoint: Endpoint, name: str, open_router_id: str | None) -> str:
    """The model id to send: the OpenRouter id when going through OpenRouter and one is known."""
    return open_router_id if endpoint.provider == OPENROUTER and open_router_id else name


KEY_CHECK_TIMEOUT = 15  # seconds
PROVIDER_NAMES = {
    OPENAI: "OpenAI",
    ANTHROPIC: "Anthropic",
    GOOGLE: "Google",
    OPENROUTER: "OpenRouter",
}


def check_key(provider: str, key: str) -> None:
    """400 `Invalid <provider> API key` unless the provider's endpoint accepts the key (upstream
    checks each key live before saving it): OpenRouter's `/key`, else the model list, which
    every OpenAI-compatible endpoint answers."""
    import openai

    invalid = ApiError(f"Invalid {PROVIDER_NAMES[provider]} API key", status=400)
    # A key travels in an HTTP header: printable ASCII with no spaces, or it cannot be a key.
    if not key or not key.isascii() or not key.isprintable() or any(c.isspace() for c in key):
        raise invalid
    try:
        llm = openai.OpenAI(
            base_url=base_url(provider), api_key=key, timeout=KEY_CHECK_TIMEOUT, max_retries=1
        )
        if provider == OPENROUTER:  # its model list is public; /key needs a valid key
            llm.get("/key", cast_to=object)
        else:
            llm.models.list()
    except openai.OpenAIError as exc:
        raise invalid from exc


# -- keys at rest ------------------------------------------------------------------------------


def _fernet() -> Fernet:
    configured = settings.LLM_KEY_ENCRYPTION_KEY
    if configured:
        return Fernet(configured.encode())
    digest = hashlib.sha256(b"neuronpedia-llm-keys\0" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(value: str) -> str:
    return ENCRYPTED_PREFIX + _fernet().encrypt(value.encode()).decode()


def decrypt(stored: str) -> str:
    if not stored.startswith(ENCRYPTED_PREFIX):
        raise ApiError("A stored LLM key is not encrypted; set it again.", status=400)
    try:
        return _fernet().decrypt(stored.removeprefix(ENCRYPTED_PREFIX).encode()).decode()
    except InvalidToken as exc:
        raise ApiError(
            "A stored LLM key cannot be decrypted (LLM_KEY_ENCRYPTION_KEY or SECRET_KEY changed); "
            "set it again.",
            status=400,
        ) from exc


def shown(value: str) -> str:
    """What may be shown of a key: its first characters."""
    return value[:SHOWN_CHARACTERS] + "…"


def save_user_key(user: User, provider: str, value: str) -> UserSecret:
    secret, _ = UserSecret.objects.update_or_create(
        user=user,
        type=provider,
        defaults={"value": encrypt(value), "display_prefix": shown(value)},
    )
    return secret


def remove_user_key(user: User, provider: str) -> bool:
    deleted, _ = UserSecret.objects.filter(user=user, type=provider).delete()
    return deleted > 0
