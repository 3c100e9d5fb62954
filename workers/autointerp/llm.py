"""One chat request to an OpenAI-compatible endpoint, tried again until its reply can be read.

Each try is one HTTP request through the `openai` client (its own retries are off, so that a
rate limiter sees every request). A 429 or 5xx answer, a timeout or a lost connection is tried
again after an exponential backoff (or the server's `Retry-After`); a reply that arrives but
cannot be read (no choices, empty content, not the format the prompt asked for, a body that is
not a chat completion) is asked again at once. After `LLM_TRIES` tries the failure is an
`LLMError` with a status and a message a user can act on.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import openai
from django.conf import settings

from neuronpedia_site.llm_keys import Endpoint

T = TypeVar("T")
Messages = list[dict[str, str]]
BACKOFF_FIRST = 0.5  # seconds before the second try; doubled each time
BACKOFF_MAX = 8.0
RETRY_AFTER_MAX = 60.0


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
    """Requests and tokens spent (the batch job adds them up across its threads)."""

    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, completion: Any) -> None:
        with self.lock:
            self.requests += 1
            if getattr(completion, "usage", None) is not None:
                self.prompt_tokens += completion.usage.prompt_tokens or 0
                self.completion_tokens += completion.usage.completion_tokens or 0


def client(endpoint: Endpoint) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=endpoint.base_url,
        api_key=endpoint.api_key,
        timeout=settings.LLM_TIMEOUT,
        max_retries=0,
    )


def _backoff(attempt: int, exc: Exception) -> float:
    """The server's Retry-After (ms or s) when it gives one, else exponential."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        try:
            wait = float(headers.get(name, "")) * scale
        except ValueError:
            continue
        if 0 <= wait <= RETRY_AFTER_MAX:
            return wait
    return float(min(BACKOFF_FIRST * 2**attempt, BACKOFF_MAX))


def _final(exc: Exception, where: str, provider: str, model: str, tries: int) -> LLMError:
    """The error reported once `exc` ended the last try (or could not be retried)."""
    if isinstance(exc, openai.RateLimitError):
        return LLMError(
            f"{where} kept answering 429 Too Many Requests ({tries} tries); try again later.",
            status=429,
        )
    if isinstance(exc, openai.APITimeoutError):
        return LLMError(
            f"{where} did not answer within {settings.LLM_TIMEOUT} s ({tries} tries).", status=504
        )
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return LLMError(f"{where} rejected the {provider} API key ({exc.status_code}).", status=400)
    if isinstance(exc, openai.NotFoundError | openai.BadRequestError):
        message = exc.message if len(exc.message) <= 200 else exc.message[:200] + "…"
        return LLMError(
            f"{where} refused the request for model '{model}' ({exc.status_code}): {message}",
            status=400,
        )
    if isinstance(exc, openai.APIStatusError):
        return LLMError(f"{where} failed with {exc.status_code} ({tries} tries).", status=502)
    return LLMError(f"{where} could not be reached ({tries} tries).", status=502)


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, openai.RateLimitError | openai.APITimeoutError | openai.APIConnectionError):
        return True
    return isinstance(exc, openai.APIStatusError) and exc.status_code >= 500


def chat(
    endpoint: Endpoint,
    model: str,
    messages: Messages,
    parse: Callable[[str], T],
    usage: Usage | None = None,
    limiter: Any = None,
    llm: openai.OpenAI | None = None,
    **params: Any,
) -> T:
    """Send `messages` and return `parse(reply text)`, trying up to LLM_TRIES times.

    `limiter` (the batch job's `RateLimiter`) is asked before every HTTP request and told when
    it ended; `llm` is a client to reuse (one per job) instead of a new one."""
    llm = llm or client(endpoint)
    where = f"the {endpoint.provider} endpoint"
    tries = max(settings.LLM_TRIES, 1)
    problem = ""
    for attempt in range(tries):
        if limiter is not None:
            limiter.acquire()
        try:
            try:
                completion = llm.chat.completions.create(
                    model=model,
                    messages=messages,  # type: ignore[arg-type]
                    **params,
                )
            finally:
                if limiter is not None:
                    limiter.release()
        except (json.JSONDecodeError, openai.APIResponseValidationError) as exc:
            # a 200 whose body is not a chat completion: ask again, like an unreadable reply
            problem = f"the answer was not a chat completion ({type(exc).__name__})"
            continue
        except openai.OpenAIError as exc:
            if not _retryable(exc) or attempt == tries - 1:
                raise _final(exc, where, endpoint.provider, model, tries) from exc
            time.sleep(_backoff(attempt, exc))
            continue
        if usage is not None:
            usage.add(completion)
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
