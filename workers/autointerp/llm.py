"""One chat request to an OpenAI-compatible endpoint, tried again until its reply can be read.

The `openai` client itself retries 408/409/429/5xx answers, connection errors and timeouts with
exponential backoff (and honours `Retry-After`); a reply that arrives but cannot be read (no
choices, empty content, not the format the prompt asked for) is asked again here. After
`LLM_TRIES` tries the failure is an `LLMError` with a status and a message a user can act on.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import openai
from django.conf import settings

from neuronpedia_site.llm_keys import Endpoint

T = TypeVar("T")
Messages = list[dict[str, str]]


class LLMError(Exception):
    """The LLM failed for good; `status` is the HTTP status the API answers with."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class MalformedReply(ValueError):
    """A reply that does not say what the prompt asked for."""


@dataclass
class Usage:
    """Requests and tokens spent by one job (the batch job adds them up)."""

    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    prompts: list[Messages] = field(default_factory=list)


def client(endpoint: Endpoint) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=endpoint.base_url,
        api_key=endpoint.api_key,
        timeout=settings.LLM_TIMEOUT,
        max_retries=max(settings.LLM_TRIES - 1, 0),
    )


def chat(
    endpoint: Endpoint,
    model: str,
    messages: Messages,
    parse: Callable[[str], T],
    usage: Usage | None = None,
    **params: Any,
) -> T:
    """Send `messages`, and return `parse(reply text)`; a reply `parse` rejects with
    MalformedReply is asked for again, up to LLM_TRIES times in all."""
    llm = client(endpoint)
    where = f"the {endpoint.provider} endpoint"
    tries = max(settings.LLM_TRIES, 1)
    problem = ""
    for _ in range(tries):
        try:
            completion = llm.chat.completions.create(
                model=model,
                messages=messages,  # type: ignore[arg-type]
                **params,
            )
        except openai.RateLimitError as exc:
            raise LLMError(
                f"{where} kept answering 429 Too Many Requests ({tries} tries); try again later.",
                status=429,
            ) from exc
        except openai.APITimeoutError as exc:
            raise LLMError(
                f"{where} did not answer within {settings.LLM_TIMEOUT} s ({tries} tries).",
                status=504,
            ) from exc
        except (openai.AuthenticationError, openai.PermissionDeniedError) as exc:
            raise LLMError(
                f"{where} rejected the {endpoint.provider} API key ({exc.status_code}).",
                status=400,
            ) from exc
        except (openai.NotFoundError, openai.BadRequestError) as exc:
            raise LLMError(
                f"{where} refused the request for model '{model}' ({exc.status_code}): "
                f"{_short(exc.message)}",
                status=400,
            ) from exc
        except openai.APIStatusError as exc:
            raise LLMError(
                f"{where} failed with {exc.status_code} ({tries} tries).", status=502
            ) from exc
        except openai.APIConnectionError as exc:
            raise LLMError(f"{where} could not be reached ({tries} tries).", status=502) from exc
        except (json.JSONDecodeError, openai.APIResponseValidationError) as exc:
            # a 200 whose body is not a chat completion: ask again, like an unreadable reply
            problem = f"the answer was not a chat completion ({type(exc).__name__})"
            continue
        if usage is not None:
            usage.requests += 1
            usage.prompts.append(messages)
            if completion.usage is not None:
                usage.prompt_tokens += completion.usage.prompt_tokens or 0
                usage.completion_tokens += completion.usage.completion_tokens or 0
        try:
            choices = completion.choices or []
            text = choices[0].message.content if choices else None
            if not text or not text.strip():
                raise MalformedReply("the reply was empty")
            return parse(text)
        except MalformedReply as exc:
            problem = str(exc)
    raise LLMError(
        f"{where} gave no usable reply in {tries} tries (model '{model}'): {problem}.",
        status=502,
    )


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
